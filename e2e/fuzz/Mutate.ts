/**
 * Structured mutation of valid messages: bit flips, interesting bytes,
 * truncation, extension, insertion and deletion, splicing path attributes
 * between messages, and lies in the length fields `Layout` finds (message,
 * optional parameters, parameter, capability, FQDN, withdrawn routes, path
 * attributes, attribute, NLRI prefix length, AS_PATH segment, MP next hop,
 * shutdown communication). Most operations patch the header length afterwards
 * so that the damage reaches the body decoders instead of the header check.
 *
 * Every case is a pure function of (run seed, case index): a finding is
 * reproduced from those two numbers alone, and the corpus keeps its bytes.
 */
import type { Context } from "@kbgp/wire"
import * as Layout from "./Layout.js"

/** mulberry32: small, fast, good enough to pick mutations. */
export class Rng {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** 0 .. n-1 */
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n
  }
  chance(p: number): boolean {
    return this.u32() < p * 4294967296
  }
  pick<T>(xs: ReadonlyArray<T>): T {
    return xs[this.int(xs.length)]!
  }
}

/** The per-case seed: an integer hash of (run seed, case index). */
export const caseSeed = (seed: number, index: number): number => {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca77) ^ Math.floor(index / 4294967296)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d)
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b)
  return (h ^ (h >>> 16)) >>> 0
}

const MAX = 65535

const hex2 = (n: number): string => n.toString(16).padStart(2, "0")

const setHeaderLength = (m: Uint8Array): void => {
  if (m.length < 18) return
  const n = Math.min(m.length, MAX)
  m[16] = n >>> 8
  m[17] = n & 0xff
}

const concat = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(Math.min(n, MAX))
  let o = 0
  for (const p of parts) {
    const m = Math.min(p.length, out.length - o)
    out.set(p.subarray(0, m), o)
    o += m
    if (o === out.length) break
  }
  return out
}

const randomBytes = (rng: Rng, n: number): Uint8Array => {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = rng.u32() & 0xff
  return out
}

const interesting8 = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 19, 24, 25, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200, 253, 254, 255]
const interesting16 = [0, 1, 2, 3, 4, 18, 19, 20, 21, 22, 23, 29, 255, 256, 257, 4095, 4096, 4097, 0x7fff, 0x8000, 0xfffe, 0xffff]

const readField = (m: Uint8Array, f: Layout.Field): number => (f.size === 1 ? m[f.at]! : (m[f.at]! << 8) | m[f.at + 1]!)

const lieValue = (rng: Rng, f: Layout.Field, current: number, messageLength: number): number => {
  const limit = f.size === 1 ? 0xff : 0xffff
  switch (rng.int(6)) {
    case 0:
      return Math.min(limit, current + 1 + rng.int(3))
    case 1:
      return Math.max(0, current - 1 - rng.int(3))
    case 2:
      return f.size === 1 ? rng.pick(interesting8) : rng.pick(interesting16)
    case 3:
      return rng.chance(0.5) ? 0 : limit
    case 4:
      // Point just past, or exactly at, the end of the message.
      return Math.max(0, Math.min(limit, messageLength - f.at + rng.int(5) - 2))
    default:
      return rng.u32() & limit
  }
}

/** A pool of path attributes (whole, header included) cut from the seed UPDATEs, for splicing. */
export type AttributePool = ReadonlyArray<Uint8Array>

export interface Mutated {
  readonly bytes: Uint8Array
  readonly notes: ReadonlyArray<string>
}

/** Apply one to a few mutations to a copy of `seed`. */
export const mutate = (rng: Rng, seed: Uint8Array, ctx: Context.Context, pool: AttributePool): Mutated => {
  let m: Uint8Array = seed.slice()
  const notes: Array<string> = []
  const rounds = 1 + (rng.chance(0.5) ? 0 : rng.int(3))
  for (let r = 0; r < rounds; r++) {
    const op = rng.int(100)
    const fix = rng.chance(0.85)
    const bodyPos = (): number => (m.length > 19 && rng.chance(0.85) ? 19 + rng.int(m.length - 19) : rng.int(Math.max(1, m.length)))
    if (op < 12) {
      if (m.length === 0) continue
      const at = bodyPos()
      const bit = rng.int(8)
      m[at] = m[at]! ^ (1 << bit)
      notes.push(`flip @${at} bit ${bit}`)
    } else if (op < 20) {
      if (m.length === 0) continue
      const at = bodyPos()
      const v = rng.chance(0.6) ? rng.pick(interesting8) : rng.u32() & 0xff
      notes.push(`byte @${at} ${hex2(m[at]!)}->${hex2(v)}`)
      m[at] = v
    } else if (op < 30) {
      const at = bodyPos()
      m = m.slice(0, at)
      if (fix) setHeaderLength(m)
      notes.push(`truncate to ${at}${fix ? " (length fixed)" : ""}`)
    } else if (op < 38) {
      const n = 1 + rng.int(rng.chance(0.9) ? 64 : 2048)
      const tail =
        rng.chance(0.5) || m.length <= 19 ? randomBytes(rng, n) : m.subarray(19 + rng.int(m.length - 19)).subarray(0, n)
      m = concat(m, tail)
      if (fix) setHeaderLength(m)
      notes.push(`extend by ${tail.length}${fix ? " (length fixed)" : ""}`)
    } else if (op < 44) {
      if (m.length <= 19) continue
      const at = 19 + rng.int(m.length - 19)
      if (rng.chance(0.5)) {
        const n = 1 + rng.int(Math.min(16, m.length - at))
        m = concat(m.subarray(0, at), m.subarray(at + n))
        notes.push(`delete ${n} @${at}`)
      } else {
        const ins = randomBytes(rng, 1 + rng.int(16))
        m = concat(m.subarray(0, at), ins, m.subarray(at))
        notes.push(`insert ${ins.length} @${at}`)
      }
      if (fix) setHeaderLength(m)
    } else if (op < 80) {
      // Lie in a length field (the structure of the bytes as they are now).
      const layout = Layout.scan(m, ctx)
      const fields = layout.fields.filter((f) => f.at + f.size <= m.length)
      if (fields.length === 0) continue
      // The header length is one field among many: prefer the inner ones.
      const f = fields.length > 1 && rng.chance(0.8) ? fields[1 + rng.int(fields.length - 1)]! : rng.pick(fields)
      const current = readField(m, f)
      const v = f.kind === "attribute-flags" ? current ^ (1 << (4 + rng.int(4))) : lieValue(rng, f, current, m.length)
      if (f.size === 1) m[f.at] = v & 0xff
      else {
        m[f.at] = (v >>> 8) & 0xff
        m[f.at + 1] = v & 0xff
      }
      notes.push(`lie ${f.kind} @${f.at} ${current}->${v}`)
    } else if (op < 94) {
      // Splice path attributes (from another message, or this one's own).
      const layout = Layout.scan(m, ctx)
      const block = layout.attributeBlock
      if (block === undefined || block.end > m.length) continue
      const own = layout.attributes
      const donor = rng.chance(0.7) || own.length === 0 ? rng.pick(pool) : m.slice(own[rng.int(own.length)]!.start, own[rng.int(own.length)]!.end)
      if (donor === undefined) continue
      const mode = own.length > 0 ? rng.int(3) : 0
      let at = block.end
      let cut = 0
      if (mode === 0) at = own.length === 0 ? block.start : rng.chance(0.5) ? own[rng.int(own.length)]!.start : block.end
      else {
        const victim = own[rng.int(own.length)]!
        at = victim.start
        cut = mode === 1 ? victim.end - victim.start : 0
      }
      m = concat(m.subarray(0, at), donor, m.subarray(at + cut))
      const attrs = block.end - block.start - cut + donor.length
      if (attrs <= 0xffff && rng.chance(0.9)) {
        m[block.lengthAt] = attrs >>> 8
        m[block.lengthAt + 1] = attrs & 0xff
      }
      if (fix) setHeaderLength(m)
      notes.push(`splice ${mode === 1 ? "replace" : "insert"} attr ${donor[1] ?? "?"} (${donor.length} B) @${at}`)
    } else if (op < 97) {
      if (m.length < 19) continue
      const t = rng.int(8)
      notes.push(`type ${m[18]}->${t}`)
      m[18] = t
    } else {
      if (m.length < 16) continue
      const at = rng.int(16)
      notes.push(`marker @${at}`)
      m[at] = rng.u32() & 0xff
    }
  }
  if (notes.length === 0) {
    // Every case mutates something.
    m = m.slice(0, Math.max(0, m.length - 1))
    setHeaderLength(m)
    notes.push(`truncate to ${m.length} (length fixed)`)
  }
  return { bytes: m, notes }
}

/** Attribute byte ranges of the pool's UPDATEs. */
export const attributesOf = (bytes: Uint8Array, ctx: Context.Context): Array<Uint8Array> =>
  Layout.scan(bytes, ctx).attributes.map((s) => bytes.slice(s.start, s.end))
