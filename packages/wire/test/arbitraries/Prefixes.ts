/** fast-check arbitraries and small builders for `Prefixes` blocks (tests only). */
import fc from "fast-check"
import { Afi, addressWidth } from "../../src/Family.js"
import * as Prefixes from "../../src/Prefixes.js"

/** One prefix of `afi`; the address may have host bits set (they are cleared by the builders). */
export const entry = (afi: number, withPathId: boolean): fc.Arbitrary<Prefixes.Entry> => {
  const w = addressWidth(afi)
  return fc
    .record({
      address: fc.uint8Array({ minLength: w, maxLength: w }),
      length: fc.integer({ min: 0, max: w * 8 }),
      pathId: fc.integer({ min: 0, max: 0xffffffff })
    })
    .map((e) => (withPathId ? e : { address: e.address, length: e.length }))
}

/** A block of `afi` prefixes, with path ids iff `withPathIds`. */
export const prefixes = (
  afi: number,
  withPathIds: boolean,
  constraints: { readonly minLength?: number; readonly maxLength?: number } = {}
): fc.Arbitrary<Prefixes.Prefixes> =>
  fc
    .array(entry(afi, withPathIds), { minLength: constraints.minLength ?? 0, maxLength: constraints.maxLength ?? 40 })
    .map((es) => Prefixes.fromEntries(afi, es, withPathIds))

/** `"10.0.0.0/8"` → an IPv4 entry; a tiny parser so tests do not depend on the text module. */
export const v4 = (cidr: string, pathId?: number): Prefixes.Entry => {
  const [addr, len] = cidr.split("/")
  const address = Uint8Array.from(addr!.split(".").map(Number))
  const length = len === undefined ? 32 : Number(len)
  return pathId === undefined ? { address, length } : { address, length, pathId }
}

/** `"2001:db8::/32"` → an IPv6 entry (supports one "::"). */
export const v6 = (cidr: string, pathId?: number): Prefixes.Entry => {
  const [addr, len] = cidr.split("/")
  const [head, tail] = addr!.split("::") as [string, string | undefined]
  const groups = (s: string | undefined): Array<number> => (s ? s.split(":").map((g) => parseInt(g, 16)) : [])
  const h = groups(head)
  const t = groups(tail)
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
  const address = new Uint8Array(16)
  all.forEach((g, i) => {
    address[2 * i] = g >>> 8
    address[2 * i + 1] = g & 0xff
  })
  const length = len === undefined ? 128 : Number(len)
  return pathId === undefined ? { address, length } : { address, length, pathId }
}

export const ipv4 = (...cidrs: Array<string>): Prefixes.Prefixes => Prefixes.fromEntries(Afi.Ipv4, cidrs.map((c) => v4(c)))
export const ipv6 = (...cidrs: Array<string>): Prefixes.Prefixes => Prefixes.fromEntries(Afi.Ipv6, cidrs.map((c) => v6(c)))

/** Prefix `i` as `"a.b.c.d/len"` or hex groups, for readable assertions. */
export const show = (p: Prefixes.Prefixes, i: number): string => {
  const e = Prefixes.entry(p, i)
  const id = e.pathId === undefined ? "" : `#${e.pathId}`
  if (p.afi === Afi.Ipv4) return `${Array.from(e.address).join(".")}/${e.length}${id}`
  const g: Array<string> = []
  for (let k = 0; k < 16; k += 2) g.push(((e.address[k]! << 8) | e.address[k + 1]!).toString(16))
  return `${g.join(":")}/${e.length}${id}`
}

export const showAll = (p: Prefixes.Prefixes): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < p.count; i++) out.push(show(p, i))
  return out
}
