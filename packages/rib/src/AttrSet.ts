/**
 * An interned attribute set: one shared, immutable copy per distinct set of path
 * attributes, found by a structural hash. Every route in every table refers to its
 * set by `id`; the set is freed when the last route lets go of it (see `Interner`).
 *
 * RIB convention for the next hop: `attributes.nextHop` holds the route's next hop
 * whatever the family — 4 bytes for IPv4, 16 (global) or 32 (global + link-local)
 * for IPv6 and for IPv4 over an IPv6 next hop (RFC 8950). It is filled from
 * MP_REACH_NLRI on receipt, and `Pack.packUpdates(attributes, { afi, safi, nextHop:
 * attributes.nextHop, prefixes }, ctx)` puts it back in the right place on the wire.
 */
import type { Attributes } from "@kbgp/wire"

export interface AttrSet {
  /** Index in the interner; reused after the set is freed, so compare ids only between live sets. */
  readonly id: number
  /** Structural hash of `attributes` (see `hash`). */
  readonly hash: number
  /** The attributes: treat as deeply immutable (typed arrays included). */
  readonly attributes: Attributes.Attributes
}

/** Well-known communities the RIB acts on (RFC 1997, RFC 9494). */
export const Community = {
  NoExport: 0xffffff01,
  NoAdvertise: 0xffffff02,
  NoExportSubconfed: 0xffffff03,
  LlgrStale: 0xffff0006,
  NoLlgr: 0xffff0007
} as const

// --- hashing ---------------------------------------------------------------------------------------------

const mix = (h: number, v: number): number => {
  // murmur3-style 32-bit mix step: cheap, good spread, no allocation.
  let k = Math.imul(v | 0, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, 0x1b873593)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

const finish = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h | 0
}

const mixBytes = (h: number, b: Uint8Array): number => {
  h = mix(h, b.length)
  for (let i = 0; i < b.length; i++) h = mix(h, b[i]!)
  return h
}

const mixWords = (h: number, w: Uint32Array): number => {
  h = mix(h, w.length)
  for (let i = 0; i < w.length; i++) h = mix(h, w[i]!)
  return h
}

const mixPath = (h: number, path: Attributes.AsPath): number => {
  h = mix(h, path.length)
  for (let i = 0; i < path.length; i++) {
    const s = path[i]!
    h = mix(h, s.type)
    h = mix(h, s.asns.length)
    for (let k = 0; k < s.asns.length; k++) h = mix(h, s.asns[k]!)
  }
  return h
}

/**
 * Structural 32-bit hash of a set: every field that is present, tagged by a field
 * number so that equal values in different fields hash differently. Order of
 * communities matters (they are kept as received), as it does on the wire.
 */
export const hash = (a: Attributes.Attributes): number => {
  let h = 0x9747b28c
  if (a.origin !== undefined) h = mix(mix(h, 1), a.origin)
  if (a.asPath !== undefined) h = mixPath(mix(h, 2), a.asPath)
  if (a.nextHop !== undefined) h = mixBytes(mix(h, 3), a.nextHop)
  if (a.med !== undefined) h = mix(mix(h, 4), a.med)
  if (a.localPref !== undefined) h = mix(mix(h, 5), a.localPref)
  if (a.atomicAggregate !== undefined) h = mix(h, 6)
  if (a.aggregator !== undefined) h = mix(mix(mix(h, 7), a.aggregator.asn), a.aggregator.address)
  if (a.communities !== undefined) h = mixWords(mix(h, 8), a.communities)
  if (a.originatorId !== undefined) h = mix(mix(h, 9), a.originatorId)
  if (a.clusterList !== undefined) h = mixWords(mix(h, 10), a.clusterList)
  if (a.extendedCommunities !== undefined) h = mixBytes(mix(h, 16), a.extendedCommunities)
  if (a.as4Path !== undefined) h = mixPath(mix(h, 17), a.as4Path)
  if (a.as4Aggregator !== undefined) h = mix(mix(mix(h, 18), a.as4Aggregator.asn), a.as4Aggregator.address)
  if (a.ipv6ExtendedCommunities !== undefined) h = mixBytes(mix(h, 25), a.ipv6ExtendedCommunities)
  if (a.largeCommunities !== undefined) h = mixWords(mix(h, 32), a.largeCommunities)
  if (a.otc !== undefined) h = mix(mix(h, 35), a.otc)
  if (a.unknown !== undefined && a.unknown.length > 0) {
    h = mix(mix(h, 255), a.unknown.length)
    for (const u of a.unknown) h = mixBytes(mix(mix(h, u.flags), u.code), u.value)
  }
  return finish(h)
}

// --- equality --------------------------------------------------------------------------------------------

const sameArray = (x: ArrayLike<number> | undefined, y: ArrayLike<number> | undefined): boolean => {
  if (x === y) return true
  if (x === undefined || y === undefined || x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false
  return true
}

const samePath = (x: Attributes.AsPath | undefined, y: Attributes.AsPath | undefined): boolean => {
  if (x === y) return true
  if (x === undefined || y === undefined || x.length !== y.length) return false
  for (let i = 0; i < x.length; i++) {
    if (x[i]!.type !== y[i]!.type || !sameArray(x[i]!.asns, y[i]!.asns)) return false
  }
  return true
}

const sameAggregator = (x: Attributes.Aggregator | undefined, y: Attributes.Aggregator | undefined): boolean =>
  x === y || (x !== undefined && y !== undefined && x.asn === y.asn && x.address === y.address)

const sameUnknown = (
  x: ReadonlyArray<Attributes.UnknownAttribute> | undefined,
  y: ReadonlyArray<Attributes.UnknownAttribute> | undefined
): boolean => {
  const n = x?.length ?? 0
  if (n !== (y?.length ?? 0)) return false
  for (let i = 0; i < n; i++) {
    const a = x![i]!
    const b = y![i]!
    if (a.flags !== b.flags || a.code !== b.code || !sameArray(a.value, b.value)) return false
  }
  return true
}

/** Structural equality: the same attributes with the same values (an empty `unknown` equals an absent one). */
export const equals = (a: Attributes.Attributes, b: Attributes.Attributes): boolean =>
  a === b ||
  (a.origin === b.origin &&
    a.med === b.med &&
    a.localPref === b.localPref &&
    a.atomicAggregate === b.atomicAggregate &&
    a.originatorId === b.originatorId &&
    a.otc === b.otc &&
    sameArray(a.nextHop, b.nextHop) &&
    samePath(a.asPath, b.asPath) &&
    sameAggregator(a.aggregator, b.aggregator) &&
    sameArray(a.communities, b.communities) &&
    sameArray(a.clusterList, b.clusterList) &&
    sameArray(a.extendedCommunities, b.extendedCommunities) &&
    samePath(a.as4Path, b.as4Path) &&
    sameAggregator(a.as4Aggregator, b.as4Aggregator) &&
    sameArray(a.ipv6ExtendedCommunities, b.ipv6ExtendedCommunities) &&
    sameArray(a.largeCommunities, b.largeCommunities) &&
    sameUnknown(a.unknown, b.unknown))

/** True when the set carries standard community `c`. */
export const hasCommunity = (a: Attributes.Attributes, c: number): boolean => {
  const cs = a.communities
  if (cs === undefined) return false
  for (let i = 0; i < cs.length; i++) if (cs[i] === c) return true
  return false
}
