/**
 * Path attributes (RFC 4271 §5 and extensions) as decoded data. MP_REACH_NLRI and
 * MP_UNREACH_NLRI are not here: an `Update` lifts them into `mpReach`/`mpUnreach`.
 * IPv4 identifiers (ORIGINATOR_ID, CLUSTER_LIST, AGGREGATOR address) are unsigned
 * 32-bit numbers; next hops are bytes, as the MP next hop is.
 */

export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  Med: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  Ipv6ExtendedCommunities: 25,
  LargeCommunities: 32,
  Otc: 35
} as const

export const AttrFlag = {
  Optional: 0x80,
  Transitive: 0x40,
  Partial: 0x20,
  ExtendedLength: 0x10
} as const

export const Origin = { Igp: 0, Egp: 1, Incomplete: 2 } as const
export type Origin = 0 | 1 | 2

export const SegmentType = { AsSet: 1, AsSequence: 2, ConfedSequence: 3, ConfedSet: 4 } as const
export type SegmentType = 1 | 2 | 3 | 4

export interface AsPathSegment {
  readonly type: SegmentType
  readonly asns: ReadonlyArray<number>
}

export type AsPath = ReadonlyArray<AsPathSegment>

export interface Aggregator {
  readonly asn: number
  /** IPv4 address of the aggregating speaker, as an unsigned 32-bit number. */
  readonly address: number
}

/** An attribute this codec does not interpret, kept as received (flags include Partial once kept). */
export interface UnknownAttribute {
  readonly flags: number
  readonly code: number
  readonly value: Uint8Array
}

export interface Attributes {
  readonly origin?: Origin
  readonly asPath?: AsPath
  /** NEXT_HOP attribute: 4 bytes. */
  readonly nextHop?: Uint8Array
  readonly med?: number
  readonly localPref?: number
  readonly atomicAggregate?: true
  readonly aggregator?: Aggregator
  /** RFC 1997: one 32-bit value per community, in received order. */
  readonly communities?: Uint32Array
  readonly originatorId?: number
  readonly clusterList?: Uint32Array
  /** RFC 4360: 8 bytes per community. */
  readonly extendedCommunities?: Uint8Array
  /** RFC 6793: present only on 2-octet sessions (discarded on 4-octet ones, §6). */
  readonly as4Path?: AsPath
  readonly as4Aggregator?: Aggregator
  /** RFC 5701: 20 bytes per community. */
  readonly ipv6ExtendedCommunities?: Uint8Array
  /** RFC 8092: three 32-bit values (global admin, local 1, local 2) per community. */
  readonly largeCommunities?: Uint32Array
  /** RFC 9234 Only To Customer: an AS number. */
  readonly otc?: number
  /** Unrecognised optional transitive attributes, in received order. */
  readonly unknown?: ReadonlyArray<UnknownAttribute>
}
