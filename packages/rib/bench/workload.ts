/**
 * A deterministic full-table-like workload: `count` IPv4 prefixes (/24–/32, all distinct)
 * spread over `sets` attribute sets, in the order a speaker would send them (grouped by
 * attribute set). Shared by the benchmark and the memory-shape test.
 */
import { Family, Prefixes, type Attributes } from "@kbgp/wire"

/** xorshift32: cheap and deterministic. */
export const rng = (seed: number) => {
  let s = seed >>> 0 || 1
  return (): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
}

export interface Group {
  readonly attributes: Attributes.Attributes
  readonly prefixes: Prefixes.Prefixes
}

const attributeSet = (i: number, next: () => number, peerAs: number): Attributes.Attributes => {
  const asns: Array<number> = [peerAs]
  const n = 1 + (next() % 6)
  for (let k = 1; k < n; k++) asns.push(1 + (next() % 400000))
  const communities = new Uint32Array(next() % 5)
  for (let k = 0; k < communities.length; k++) communities[k] = ((peerAs << 16) | (next() % 1000)) >>> 0
  return {
    origin: (i % 3) as 0 | 1 | 2,
    asPath: [{ type: 2, asns }],
    nextHop: Uint8Array.of(192, 0, 2, 1 + (i % 250)),
    med: next() % 1000,
    ...(communities.length > 0 ? { communities } : {})
  }
}

/** `count` distinct IPv4 prefixes over `sets` attribute sets (the prefix index sits in the top 24 address bits). */
export const ipv4Groups = (count: number, sets: number, seed = 7, peerAs = 65001): Array<Group> => {
  const next = rng(seed)
  const builders: Array<Prefixes.Builder> = []
  const attrs: Array<Attributes.Attributes> = []
  for (let i = 0; i < sets; i++) {
    builders.push(new Prefixes.Builder(Family.Afi.Ipv4, Math.ceil(count / sets) + 16))
    attrs.push(attributeSet(i, next, peerAs))
  }
  const addr = new Uint8Array(4)
  for (let i = 0; i < count; i++) {
    const length = 24 + (next() % 9)
    const v = ((1 + (i >>> 16)) << 24) | ((i & 0xffff) << 8) | (next() & 0xff)
    addr[0] = v >>> 24
    addr[1] = v >>> 16
    addr[2] = v >>> 8
    addr[3] = v
    builders[next() % sets]!.pushBytes(length, addr, 0)
  }
  return builders.map((b, i) => ({ attributes: attrs[i]!, prefixes: b.done() }))
}
