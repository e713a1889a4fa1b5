/**
 * Prefix keys for the speaker's tables: one primitive per prefix, cheap to
 * hash in a `Map` and to turn back into bytes. IPv4: `address * 64 + length`
 * (a number below 2^38, exact in a double). IPv6: a 9-character string (eight
 * 16-bit halves, then the length). No ADD-PATH ids: the speaker sends one
 * path per prefix (received paths live in @kbgp/rib, keyed with their ids).
 */
import { Either } from "effect"
import { Family, Prefixes, Text } from "@kbgp/wire"
import type { Family as FamilyTypes } from "@kbgp/wire"

export type PrefixKey = number | string

export const ofBytes = (afi: FamilyTypes.Afi, bytes: Uint8Array, at: number, length: number): PrefixKey => {
  if (afi === Family.Afi.Ipv4) {
    const a = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0
    return a * 64 + length
  }
  let s = ""
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode((bytes[at + i]! << 8) | bytes[at + i + 1]!)
  return s + String.fromCharCode(length)
}

/** Key of prefix `i` of a block. */
export const ofPrefixes = (p: Prefixes.Prefixes, i: number): PrefixKey => ofBytes(p.afi, p.addresses, i * Prefixes.width(p), p.lengths[i]!)

export const lengthOf = (key: PrefixKey): number =>
  typeof key === "number" ? key % 64 : key.charCodeAt(8)

/** Write the address of `key` into `out` at `at` (4 or 16 bytes). */
export const writeAddress = (key: PrefixKey, out: Uint8Array, at: number): void => {
  if (typeof key === "number") {
    const a = Math.floor(key / 64)
    out[at] = a >>> 24
    out[at + 1] = (a >>> 16) & 0xff
    out[at + 2] = (a >>> 8) & 0xff
    out[at + 3] = a & 0xff
    return
  }
  for (let i = 0; i < 8; i++) {
    const c = key.charCodeAt(i)
    out[at + 2 * i] = c >>> 8
    out[at + 2 * i + 1] = c & 0xff
  }
}

export const addressOf = (key: PrefixKey): Uint8Array => {
  const out = new Uint8Array(typeof key === "number" ? 4 : 16)
  writeAddress(key, out, 0)
  return out
}

export const format = (key: PrefixKey): string => {
  const afi = typeof key === "number" ? Family.Afi.Ipv4 : Family.Afi.Ipv6
  return Text.formatPrefix({ afi, address: addressOf(key), length: lengthOf(key) })
}

/** Collects keys of one AFI into a `Prefixes` block (for `Pack`). */
export class BlockBuilder {
  private readonly builder: Prefixes.Builder
  private readonly scratch: Uint8Array

  constructor(readonly afi: FamilyTypes.Afi, capacity = 16) {
    this.builder = new Prefixes.Builder(afi, capacity)
    this.scratch = new Uint8Array(Family.addressWidth(afi))
  }

  get count(): number {
    return this.builder.count
  }

  push(key: PrefixKey): void {
    writeAddress(key, this.scratch, 0)
    this.builder.pushBytes(lengthOf(key), this.scratch, 0)
  }

  done(): Prefixes.Prefixes {
    return this.builder.done()
  }
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/

/**
 * A prefix text to its family and key; strict about host bits, as `Text.parsePrefix`.
 * Plain IPv4 takes a fast path (no objects), everything else goes through `Text`.
 */
export const parse = (text: string): { readonly family: FamilyTypes.FamilyKey; readonly key: PrefixKey } | Text.TextError => {
  const m = DOTTED.exec(text)
  if (m !== null) {
    const o = [m[1], m[2], m[3], m[4]].map((x) => Number(x))
    const length = m[5] === undefined ? 32 : Number(m[5])
    const clean = o.every((x, i) => x <= 255 && String(x) === [m[1], m[2], m[3], m[4]][i]) && length <= 32 && (m[5] === undefined || String(length) === m[5])
    if (clean) {
      const a = ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0
      const host = length === 32 ? 0 : a % 2 ** (32 - length)
      if (host === 0) return { family: Family.Ipv4Unicast, key: a * 64 + length }
    }
  }
  const p = Text.parsePrefix(text)
  if (Either.isLeft(p)) return p.left
  const family = p.right.afi === Family.Afi.Ipv4 ? Family.Ipv4Unicast : Family.Ipv6Unicast
  return { family, key: ofBytes(p.right.afi, p.right.address, 0, p.right.length) }
}
