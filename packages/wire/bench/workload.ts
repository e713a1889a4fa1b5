/**
 * The benchmark workload: a realistic full-table-like stream. 1,000,000 IPv4
 * prefixes of length /24–/32 spread over ~1,000 distinct attribute sets, plus
 * 100,000 IPv6 prefixes (/32–/64) over ~100 sets. Deterministic (seeded PRNG), so
 * every run and every peer sees the same bytes.
 */
import { Afi, Safi } from "../src/Family.js"
import type { Attributes } from "../src/Attributes.js"
import { SegmentType } from "../src/Attributes.js"
import * as Prefixes from "../src/Prefixes.js"

/** xorshift32: cheap, deterministic, good enough to spread prefixes. */
const rng = (seed: number) => {
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
  readonly attributes: Attributes
  readonly afi: number
  readonly safi: number
  readonly nextHop: Uint8Array
  readonly prefixes: Prefixes.Prefixes
}

const attributeSet = (i: number, next: () => number, afi: number): Attributes => {
  const pathLength = 1 + (next() % 6)
  const asns: Array<number> = [65001]
  for (let k = 1; k < pathLength; k++) asns.push(1 + (next() % 400000))
  const communities = new Uint32Array(next() % 5)
  for (let k = 0; k < communities.length; k++) communities[k] = ((65001 << 16) | (next() % 1000)) >>> 0
  const base: Attributes = {
    origin: (i % 3) as 0 | 1 | 2,
    asPath: [{ type: SegmentType.AsSequence, asns }],
    med: next() % 1000,
    ...(communities.length > 0 ? { communities } : {})
  }
  return afi === Afi.Ipv4 ? { ...base, nextHop: new Uint8Array([192, 0, 2, 1 + (i % 250)]) } : base
}

/**
 * `count` unique prefixes grouped by attribute set, in the order a speaker would
 * send them. Uniqueness: the prefix index is spread into the address bits above
 * the longest length, so no two prefixes collide.
 */
export const groups = (afi: number, count: number, sets: number, seed: number): Array<Group> => {
  const next = rng(seed)
  const width = afi === Afi.Ipv4 ? 4 : 16
  const builders: Array<Prefixes.Builder> = []
  const attrs: Array<Attributes> = []
  for (let i = 0; i < sets; i++) {
    builders.push(new Prefixes.Builder(afi, Math.ceil(count / sets) + 16))
    attrs.push(attributeSet(i, next, afi))
  }
  const addr = new Uint8Array(width)
  for (let i = 0; i < count; i++) {
    addr.fill(0)
    let length: number
    if (afi === Afi.Ipv4) {
      // /24../32 over 1.0.0.0 – 223.255.255.255, index in the top 20 bits → unique.
      length = 24 + (next() % 9)
      const v = ((1 + (i >>> 16)) << 24) | ((i & 0xffff) << 8) | (next() & 0xff)
      addr[0] = v >>> 24
      addr[1] = v >>> 16
      addr[2] = v >>> 8
      addr[3] = v
    } else {
      // /32../64 in 2000::/8, index in bits 8..31 (kept by every length) → unique.
      length = 32 + (next() % 33)
      addr[0] = 0x20
      addr[1] = i >>> 16
      addr[2] = i >>> 8
      addr[3] = i
      addr[4] = next() & 0xff
      addr[5] = next() & 0xff
      addr[6] = next() & 0xff
      addr[7] = next() & 0xff
    }
    builders[next() % sets]!.pushBytes(length, addr, 0)
  }
  return builders.map((b, i) => ({
    attributes: attrs[i]!,
    afi,
    safi: Safi.Unicast,
    nextHop: afi === Afi.Ipv4 ? attrs[i]!.nextHop! : new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Uint8Array(11), 1 + (i % 250)]),
    prefixes: b.done()
  }))
}
