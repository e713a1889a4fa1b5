/**
 * fast-check arbitraries for path attributes, AS paths and MP_REACH/MP_UNREACH, in
 * canonical form: values the decoder returns unchanged after an encode (host bits
 * zero, no empty segments or lists, unknown attributes sorted by code with the
 * Partial bit set, AS numbers that fit the session). Shared by the attribute,
 * UPDATE and Pack tests.
 *
 * Sizes are moderate but not bounded: a generated attribute set can, rarely, exceed
 * what fits in a 4096-byte UPDATE. Tests that need a message filter with
 * `PathAttributes.attributesByteLength` or use an extended-message context.
 */
import fc from "fast-check"
import type { AsPath, AsPathSegment, Attributes, Origin, SegmentType, UnknownAttribute } from "../../src/Attributes.js"
import { AttrFlag } from "../../src/Attributes.js"
import * as Family from "../../src/Family.js"
import type { MpReach, MpUnreach } from "../../src/Message.js"
import { isRecognized } from "../../src/internal/PathAttributes.js"
import { prefixes } from "./Prefixes.js"

export interface AttributeOptions {
  /** 4-octet AS session (RFC 6793): AS numbers up to 2^32-1 and no AS4_PATH / AS4_AGGREGATOR. */
  readonly asn4: boolean
  /**
   * Attributes as an external peer may send them: no LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST
   * and no confederation segments. (The leftmost-AS check is left to a context without `peerAs`.)
   */
  readonly ebgp: boolean
}

/** A non-zero AS number that fits the session (RFC 7607: AS 0 is never valid). */
export const asn = (asn4: boolean): fc.Arbitrary<number> => fc.integer({ min: 1, max: asn4 ? 0xffffffff : 0xffff })

const segmentSize = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 8 }), weight: 9 }, { arbitrary: fc.integer({ min: 200, max: 255 }), weight: 1 })

export const segment = (asn4: boolean, types: ReadonlyArray<SegmentType>): fc.Arbitrary<AsPathSegment> =>
  fc.record({
    type: fc.constantFrom(...types),
    asns: segmentSize.chain((n) => fc.array(asn(asn4), { minLength: n, maxLength: n }))
  })

/** AS_PATH: up to 3 segments of 1..255 AS numbers; confederation segments unless `ebgp`. */
export const asPath = (opts: AttributeOptions): fc.Arbitrary<AsPath> =>
  fc.array(segment(opts.asn4, opts.ebgp ? [1, 2] : [1, 2, 3, 4]), { maxLength: 3 })

/** AS4_PATH (RFC 6793): 4-octet AS numbers, at least one segment, no confederation segments. */
export const as4Path: fc.Arbitrary<AsPath> = fc.array(segment(true, [1, 2]), { minLength: 1, maxLength: 3 })

/** An IPv4 host address usable as NEXT_HOP (not 0/8, 127/8, multicast or class E). */
export const nextHop: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 1, max: 223 }).filter((a) => a !== 127), fc.uint8Array({ minLength: 3, maxLength: 3 }))
  .map(([a, rest]) => Uint8Array.of(a, rest[0]!, rest[1]!, rest[2]!))

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const aggregator = (asn4: boolean) => fc.record({ asn: asn(asn4), address: u32 })

const bytesOfMultiple = (unit: number, maxUnits: number): fc.Arbitrary<Uint8Array> =>
  fc.integer({ min: 1, max: maxUnits }).chain((n) => fc.uint8Array({ minLength: n * unit, maxLength: n * unit }))

/** Unknown optional transitive attributes as the decoder keeps them: unique codes, ascending, Partial set. */
export const unknownAttributes: fc.Arbitrary<ReadonlyArray<UnknownAttribute>> = fc
  .uniqueArray(
    fc.record({
      code: fc.integer({ min: 0, max: 255 }).filter((c) => !isRecognized(c)),
      value: fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 16 }), weight: 4 }, { arbitrary: fc.uint8Array({ minLength: 250, maxLength: 300 }), weight: 1 })
    }),
    { selector: (u) => u.code, minLength: 1, maxLength: 3 }
  )
  .map((us) =>
    us
      .map((u) => ({ flags: AttrFlag.Optional | AttrFlag.Transitive | AttrFlag.Partial, code: u.code, value: u.value }))
      .sort((x, y) => x.code - y.code)
  )

/** Canonical `Attributes` for a session (any subset of the fields). */
export const attributes = (opts: AttributeOptions): fc.Arbitrary<Attributes> => {
  const common = {
    origin: fc.constantFrom<Origin>(0, 1, 2),
    asPath: asPath(opts),
    nextHop,
    med: u32,
    atomicAggregate: fc.constant(true as const),
    aggregator: aggregator(opts.asn4),
    communities: fc.uint32Array({ minLength: 1, maxLength: 70 }),
    extendedCommunities: bytesOfMultiple(8, 40),
    ipv6ExtendedCommunities: bytesOfMultiple(20, 15),
    // RFC 8092 §3: canonical values carry no repeats (the decoder removes them).
    largeCommunities: fc
      .uniqueArray(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), {
        minLength: 1,
        maxLength: 25,
        selector: (t) => t.join(":")
      })
      .map((ts) => Uint32Array.from(ts.flat())),
    otc: asn(true),
    unknown: unknownAttributes
  }
  const ibgpOnly = opts.ebgp
    ? {}
    : { localPref: u32, originatorId: u32, clusterList: fc.uint32Array({ minLength: 1, maxLength: 10 }) }
  const oldOnly = opts.asn4 ? {} : { as4Path, as4Aggregator: aggregator(true) }
  return fc.record({ ...common, ...ibgpOnly, ...oldOnly }, { requiredKeys: [] }) as fc.Arbitrary<Attributes>
}

const prefixFamilies: ReadonlyArray<readonly [number, number]> = [
  [Family.Afi.Ipv4, Family.Safi.Unicast],
  [Family.Afi.Ipv4, Family.Safi.Multicast],
  [Family.Afi.Ipv6, Family.Safi.Unicast],
  [Family.Afi.Ipv6, Family.Safi.Multicast]
]

/** Families this codec does not parse (NLRI kept as bytes): L3VPN IPv4, EVPN, flowspec. */
const rawFamilies: ReadonlyArray<readonly [number, number]> = [
  [1, 128],
  [25, 70],
  [1, 133]
]

interface MpContext {
  readonly addPath: ReadonlySet<Family.FamilyKey>
  readonly extendedNextHop: ReadonlySet<Family.FamilyKey>
}

const nextHopFor = (afi: number, safi: number, ctx: MpContext): fc.Arbitrary<Uint8Array> => {
  const lengths =
    afi === Family.Afi.Ipv4 ? (ctx.extendedNextHop.has(Family.key(afi, safi)) ? [4, 16, 32] : [4]) : [16, 32]
  return fc.constantFrom(...lengths).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }))
}

/** MP_REACH_NLRI for a prefix family (next hop of a valid length) or an unparsed family (raw NLRI). */
export const mpReach = (ctx: MpContext): fc.Arbitrary<MpReach> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...prefixFamilies).chain(([afi, safi]) =>
        fc.record({
          afi: fc.constant(afi),
          safi: fc.constant(safi),
          nextHop: nextHopFor(afi, safi, ctx),
          nlri: prefixes(afi, ctx.addPath.has(Family.key(afi, safi)), { maxLength: 20 })
        })
      )
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...rawFamilies).chain(([afi, safi]) =>
        fc.record({
          afi: fc.constant(afi),
          safi: fc.constant(safi),
          nextHop: fc.uint8Array({ maxLength: 24 }),
          nlri: fc.uint8Array({ maxLength: 64 })
        })
      )
    }
  )

/** MP_UNREACH_NLRI for a prefix family or an unparsed family (raw withdrawn bytes). */
export const mpUnreach = (ctx: MpContext): fc.Arbitrary<MpUnreach> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...prefixFamilies).chain(([afi, safi]) =>
        fc.record({
          afi: fc.constant(afi),
          safi: fc.constant(safi),
          withdrawn: prefixes(afi, ctx.addPath.has(Family.key(afi, safi)), { maxLength: 20 })
        })
      )
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...rawFamilies).chain(([afi, safi]) =>
        fc.record({ afi: fc.constant(afi), safi: fc.constant(safi), withdrawn: fc.uint8Array({ maxLength: 64 }) })
      )
    }
  )
