/**
 * The case table of the evil peer: each row is one malformed input and the
 * exact outcome the standards require. Abbreviations in names: TAW =
 * treat-as-withdraw (RFC 7606 §2), "reset a/b" = NOTIFICATION code a subcode b.
 * Sessions are eBGP from AS 65100 unless a row says iBGP; every case announces
 * its prefix validly first, so "withdraw" is visible in its Adj-RIB-In.
 */
import * as Craft from "./Craft.js"
import type * as SpeakerProcess from "../lab/SpeakerProcess.js"
import type { Case, CaseContext } from "./Scenario.js"

const { attribute: attr, bytes, concat, u16, u32, Attr, AttrCode: T, WK, OT, ON, Flag, seq } = Craft

const absent = (field: keyof SpeakerProcess.RouteRow) => (r: SpeakerProcess.RouteRow) =>
  r[field] === undefined ? undefined : `${field} is ${JSON.stringify(r[field])}, expected it discarded`

const withdraw = { kind: "withdraw" } as const

/** An unknown attribute of the route as /v1/routes shows it (code, flags, value in hex). */
const unknownAttr = (r: SpeakerProcess.RouteRow, code: number) => r.unknown?.find((x) => x.code === code)

// ---------------------------------------------------------------------------
// RFC 7606 (and the attribute RFCs it revises): one row per attribute and error.

const mpReachV4 = (c: CaseContext, nextHop: Uint8Array, nhLength?: number, flags: number = ON) =>
  attr(flags, T.MpReachNlri, concat([u16(1), bytes(1, nhLength ?? nextHop.length), nextHop, bytes(0), Craft.prefixes(c.prefix)]))

/** An UPDATE that carries its NLRI in MP_REACH_NLRI only (no NEXT_HOP, no NLRI field). */
const mpUpdate = (c: CaseContext, mp: ReadonlyArray<Uint8Array>) =>
  Craft.update({ attributes: [Attr.origin(0), Attr.asPath([seq(c.asn)], c.asn4), ...mp] })

/**
 * An MP_REACH/MP_UNREACH attribute that cannot be parsed: RFC 7606 §5.3 leaves only a
 * session reset, NOTIFICATION 3/9 with the attribute as data.
 */
const malformedMpAttribute = (
  name: string,
  rfc: string,
  bad: (c: CaseContext) => Uint8Array,
  send: (c: CaseContext, attribute: Uint8Array) => Uint8Array = (c, a) => mpUpdate(c, [a])
): Case => ({ name, rfc, category: "rfc7606", send: (c) => send(c, bad(c)), expect: { kind: "reset", code: 3, subcode: 9, dataOf: bad } })

const ibgp = { ibgp: true } as const
const twoOctet = { asn4: false } as const

export const rfc7606: ReadonlyArray<Case> = [
  // ORIGIN (RFC 7606 §7.1, §3 c, §3 d, §3 g)
  { name: "ORIGIN flagged optional → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([[T.Origin, attr(OT, T.Origin, bytes(0))]]), expect: withdraw },
  { name: "ORIGIN of length 2 → TAW", rfc: "RFC 7606 §7.1", category: "rfc7606", send: (c) => c.updateWith([[T.Origin, attr(WK, T.Origin, bytes(0, 0))]]), expect: withdraw },
  { name: "ORIGIN of length 0 → TAW", rfc: "RFC 7606 §7.1, §4", category: "rfc7606", send: (c) => c.updateWith([[T.Origin, attr(WK, T.Origin, bytes())]]), expect: withdraw },
  { name: "ORIGIN value 3 → TAW", rfc: "RFC 7606 §7.1", category: "rfc7606", send: (c) => c.updateWith([[T.Origin, attr(WK, T.Origin, bytes(3))]]), expect: withdraw },
  { name: "ORIGIN missing → TAW", rfc: "RFC 7606 §3 d", category: "rfc7606", send: (c) => c.updateWith([[T.Origin, null]]), expect: withdraw },
  {
    name: "ORIGIN twice → the repeat is discarded, the first kept",
    rfc: "RFC 7606 §3 g",
    category: "rfc7606",
    send: (c) => c.updateWith([], [attr(WK, T.Origin, bytes(2))]),
    expect: { kind: "keep", what: "first ORIGIN kept", check: (r) => (r.origin === "igp" ? undefined : `origin ${String(r.origin)}`) }
  },
  {
    name: "ORIGIN with the Extended Length flag on a 1-byte value is accepted",
    rfc: "RFC 4271 §4.3",
    category: "rfc7606",
    send: (c) => c.updateWith([[T.Origin, attr(WK, T.Origin, bytes(2), { extended: true })]]),
    expect: { kind: "keep", what: "ORIGIN read through a 2-byte length", check: (r) => (r.origin === "incomplete" ? undefined : `origin ${String(r.origin)}`) }
  },
  // AS_PATH (RFC 7606 §7.2, RFC 7607, RFC 4271 §6.3)
  { name: "AS_PATH flagged optional → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, attr(OT, T.AsPath, Craft.asPathValue([seq(c.asn)]))]]), expect: withdraw },
  { name: "AS_PATH with an unknown segment type 5 → TAW", rfc: "RFC 7606 §7.2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, attr(WK, T.AsPath, Craft.asPathValue([seq(c.asn), { type: 5, asns: [65200] }]))]]), expect: withdraw },
  { name: "AS_PATH with a zero-length segment → TAW", rfc: "RFC 7606 §7.2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, attr(WK, T.AsPath, Craft.asPathValue([seq(c.asn), { type: 2, asns: [] }]))]]), expect: withdraw },
  { name: "AS_PATH segment count overrunning the attribute → TAW", rfc: "RFC 7606 §7.2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, attr(WK, T.AsPath, Craft.asPathValue([{ type: 2, asns: [c.asn], count: 3 }]))]]), expect: withdraw },
  { name: "AS_PATH with one octet left after the last segment → TAW", rfc: "RFC 7606 §7.2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, attr(WK, T.AsPath, concat([Craft.asPathValue([seq(c.asn)]), bytes(2)]))]]), expect: withdraw },
  { name: "AS_PATH containing AS 0 → TAW", rfc: "RFC 7607 §2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, Attr.asPath([seq(c.asn, 0, 65200)])]]), expect: withdraw },
  { name: "AS_PATH whose leftmost AS is not the eBGP peer's → TAW", rfc: "RFC 4271 §6.3, RFC 7606 §7.2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, Attr.asPath([seq(65200)])]]), expect: withdraw },
  { name: "AS_PATH empty from an eBGP peer → TAW", rfc: "RFC 4271 §6.3, RFC 7606 §7.2", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, attr(WK, T.AsPath, bytes())]]), expect: withdraw },
  {
    name: "AS_PATH empty from an iBGP peer is valid",
    rfc: "RFC 4271 §5.1.2, RFC 7606 §4",
    category: "rfc7606",
    session: ibgp,
    send: (c) => c.updateWith([[T.AsPath, attr(WK, T.AsPath, bytes())]]),
    expect: { kind: "keep", what: "empty AS_PATH kept", check: (r) => (r.asPath === "" ? undefined : `asPath ${String(r.asPath)}`) }
  },
  { name: "AS_PATH missing → TAW", rfc: "RFC 7606 §3 d", category: "rfc7606", send: (c) => c.updateWith([[T.AsPath, null]]), expect: withdraw },
  // NEXT_HOP (RFC 7606 §7.3)
  { name: "NEXT_HOP flagged optional → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([[T.NextHop, attr(OT, T.NextHop, Craft.ipv4("192.0.2.99"))]]), expect: withdraw },
  { name: "NEXT_HOP of length 0 → TAW", rfc: "RFC 7606 §7.3", category: "rfc7606", send: (c) => c.updateWith([[T.NextHop, attr(WK, T.NextHop, bytes())]]), expect: withdraw },
  { name: "NEXT_HOP of length 5 → TAW", rfc: "RFC 7606 §7.3", category: "rfc7606", send: (c) => c.updateWith([[T.NextHop, attr(WK, T.NextHop, bytes(192, 0, 2, 99, 0))]]), expect: withdraw },
  { name: "NEXT_HOP multicast 224.0.0.1 → TAW", rfc: "RFC 4271 §6.3, RFC 7606 §7.3", category: "rfc7606", send: (c) => c.updateWith([[T.NextHop, Attr.nextHop("224.0.0.1")]]), expect: withdraw },
  { name: "NEXT_HOP missing with NLRI → TAW", rfc: "RFC 7606 §3 d", category: "rfc7606", send: (c) => c.updateWith([[T.NextHop, null]]), expect: withdraw },
  // MULTI_EXIT_DISC (RFC 7606 §7.4)
  { name: "MED flagged well-known → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([], [attr(WK, T.Med, u32(5))]), expect: withdraw },
  { name: "MED of length 3 → TAW", rfc: "RFC 7606 §7.4", category: "rfc7606", send: (c) => c.updateWith([], [attr(ON, T.Med, bytes(0, 0, 5))]), expect: withdraw },
  { name: "MED of length 0 → TAW", rfc: "RFC 7606 §7.4", category: "rfc7606", send: (c) => c.updateWith([], [attr(ON, T.Med, bytes())]), expect: withdraw },
  // LOCAL_PREF (RFC 7606 §7.5)
  { name: "LOCAL_PREF from an eBGP peer → discarded", rfc: "RFC 7606 §7.5", category: "rfc7606", send: (c) => c.updateWith([], [Attr.localPref(300)]), expect: { kind: "keep", what: "LOCAL_PREF discarded", check: absent("localPref") } },
  { name: "LOCAL_PREF of length 2 from an iBGP peer → TAW", rfc: "RFC 7606 §7.5", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(WK, T.LocalPref, bytes(1, 0))]), expect: withdraw },
  { name: "LOCAL_PREF of length 0 from an iBGP peer → TAW", rfc: "RFC 7606 §7.5", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(WK, T.LocalPref, bytes())]), expect: withdraw },
  { name: "LOCAL_PREF flagged optional from an iBGP peer → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(OT, T.LocalPref, u32(100))]), expect: withdraw },
  // ATOMIC_AGGREGATE (RFC 7606 §7.6)
  { name: "ATOMIC_AGGREGATE of length 1 → discarded", rfc: "RFC 7606 §7.6", category: "rfc7606", send: (c) => c.updateWith([], [attr(WK, T.AtomicAggregate, bytes(1))]), expect: { kind: "keep", what: "ATOMIC_AGGREGATE discarded", check: absent("atomicAggregate") } },
  { name: "ATOMIC_AGGREGATE flagged optional → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.AtomicAggregate, bytes())]), expect: withdraw },
  // AGGREGATOR (RFC 7606 §7.7, RFC 7607)
  { name: "AGGREGATOR of length 7 on a 4-octet session → discarded", rfc: "RFC 7606 §7.7", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.Aggregator, bytes(0, 0, 0xfe, 0x4c, 192, 0, 2))]), expect: { kind: "keep", what: "AGGREGATOR discarded", check: absent("aggregator") } },
  { name: "AGGREGATOR of length 0 → discarded", rfc: "RFC 7606 §7.7, §4", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.Aggregator, bytes())]), expect: { kind: "keep", what: "AGGREGATOR discarded", check: absent("aggregator") } },
  { name: "AGGREGATOR with AS 0 → discarded", rfc: "RFC 7607 §2", category: "rfc7606", send: (c) => c.updateWith([], [Attr.aggregator(0, "192.0.2.7")]), expect: { kind: "keep", what: "AGGREGATOR discarded", check: absent("aggregator") } },
  { name: "AGGREGATOR flagged well-known → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([], [attr(WK, T.Aggregator, concat([u32(c.asn), Craft.ipv4("192.0.2.7")]))]), expect: withdraw },
  // COMMUNITIES (RFC 7606 §7.8)
  { name: "COMMUNITIES of length 5 → TAW", rfc: "RFC 7606 §7.8", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.Communities, bytes(0xfd, 0xe8, 0, 1, 0))]), expect: withdraw },
  { name: "COMMUNITIES of length 0 → TAW", rfc: "RFC 7606 §7.8", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.Communities, bytes())]), expect: withdraw },
  { name: "COMMUNITIES flagged non-transitive → TAW", rfc: "RFC 7606 §3 c", category: "rfc7606", send: (c) => c.updateWith([], [attr(ON, T.Communities, u32(0xfde80001))]), expect: withdraw },
  // ORIGINATOR_ID, CLUSTER_LIST (RFC 7606 §7.9, §7.10)
  { name: "ORIGINATOR_ID from an eBGP peer → discarded", rfc: "RFC 7606 §7.9", category: "rfc7606", send: (c) => c.updateWith([], [Attr.originatorId("192.0.2.9")]), expect: { kind: "keep", what: "ORIGINATOR_ID discarded", check: absent("originatorId") } },
  { name: "ORIGINATOR_ID of length 3 from an iBGP peer → TAW", rfc: "RFC 7606 §7.9", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(ON, T.OriginatorId, bytes(192, 0, 2))]), expect: withdraw },
  { name: "ORIGINATOR_ID of length 0 from an iBGP peer → TAW", rfc: "RFC 7606 §7.9", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(ON, T.OriginatorId, bytes())]), expect: withdraw },
  { name: "CLUSTER_LIST from an eBGP peer → discarded", rfc: "RFC 7606 §7.10", category: "rfc7606", send: (c) => c.updateWith([], [Attr.clusterList("192.0.2.10")]), expect: { kind: "keep", what: "CLUSTER_LIST discarded", check: absent("clusterList") } },
  { name: "CLUSTER_LIST of length 5 from an iBGP peer → TAW", rfc: "RFC 7606 §7.10", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(ON, T.ClusterList, bytes(192, 0, 2, 10, 1))]), expect: withdraw },
  { name: "CLUSTER_LIST of length 0 from an iBGP peer → TAW", rfc: "RFC 7606 §7.10", category: "rfc7606", session: ibgp, send: (c) => c.updateWith([], [attr(ON, T.ClusterList, bytes())]), expect: withdraw },
  // MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 7606 §7.11, §7.12, §5.3, §3 g; RFC 4760 §7)
  malformedMpAttribute("MP_REACH_NLRI IPv4 with a 5-byte next hop → reset 3/9 with the attribute", "RFC 7606 §7.11, §5.3; RFC 4271 §6.3", (c) => mpReachV4(c, bytes(192, 0, 2, 99, 0))),
  malformedMpAttribute("MP_REACH_NLRI IPv4 with a 16-byte next hop without RFC 8950 → reset 3/9 with the attribute", "RFC 7606 §7.11; RFC 8950 §3", (c) => mpReachV4(c, Craft.ipv6("2001:db8::99"))),
  malformedMpAttribute("MP_REACH_NLRI next-hop length running past the attribute → reset 3/9", "RFC 7606 §5.3, §7.11", (c) => mpReachV4(c, Craft.ipv4("192.0.2.99"), 30)),
  malformedMpAttribute("MP_REACH_NLRI of length 0 → reset 3/9", "RFC 7606 §5.3 (shorter than 5 bytes)", () => attr(ON, T.MpReachNlri, bytes())),
  malformedMpAttribute("MP_REACH_NLRI flagged transitive → reset 3/9", "RFC 7606 §5.3, §3 c; RFC 4760 §7", (c) => mpReachV4(c, Craft.ipv4("192.0.2.99"), undefined, OT)),
  malformedMpAttribute("MP_REACH_NLRI with an IPv4 /33 → reset 3/9", "RFC 7606 §5.3", () => attr(ON, T.MpReachNlri, concat([u16(1), bytes(1, 4), Craft.ipv4("192.0.2.99"), bytes(0), bytes(33, 10, 0, 0, 0, 0)]))),
  {
    name: "MP_REACH_NLRI twice → reset 3/1",
    rfc: "RFC 7606 §3 g",
    category: "rfc7606",
    send: (c) => mpUpdate(c, [mpReachV4(c, Craft.ipv4("192.0.2.99")), mpReachV4(c, Craft.ipv4("192.0.2.98"))]),
    expect: { kind: "reset", code: 3, subcode: 1, data: bytes() }
  },
  malformedMpAttribute("MP_UNREACH_NLRI of 2 bytes → reset 3/9", "RFC 7606 §7.12, §5.3", () => attr(ON, T.MpUnreachNlri, bytes(0, 1)), (_c, a) => Craft.update({ attributes: [a] })),
  // EXTENDED_COMMUNITIES, IPv6 address specific, LARGE_COMMUNITIES (RFC 7606 §7.14, §7.15; RFC 8092 §6)
  { name: "EXTENDED_COMMUNITIES of length 7 → TAW", rfc: "RFC 7606 §7.14", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.ExtendedCommunities, bytes(0, 2, 0xfd, 0xe8, 0, 0, 0))]), expect: withdraw },
  { name: "EXTENDED_COMMUNITIES of length 0 → TAW", rfc: "RFC 7606 §7.14", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.ExtendedCommunities, bytes())]), expect: withdraw },
  { name: "LARGE_COMMUNITIES of length 11 → TAW", rfc: "RFC 8092 §6", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.LargeCommunities, Craft.repeat(11, 1))]), expect: withdraw },
  { name: "LARGE_COMMUNITIES of length 0 → TAW", rfc: "RFC 8092 §6", category: "rfc7606", send: (c) => c.updateWith([], [attr(OT, T.LargeCommunities, bytes())]), expect: withdraw },
  // AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.1, §4.2.3, §6; RFC 7607)
  {
    name: "AS4_PATH malformed (segment overrun) from a 2-octet speaker → discarded",
    rfc: "RFC 6793 §6",
    category: "rfc7606",
    session: twoOctet,
    send: (c) => c.updateWith([], [attr(OT, T.As4Path, Craft.asPathValue([{ type: 2, asns: [4200000001], count: 4 }]))]),
    expect: { kind: "keep", what: "AS4_PATH discarded, AS_PATH used", check: (r) => (r.asPath === "65100" ? undefined : `asPath ${String(r.asPath)}`) }
  },
  {
    name: "AS4_PATH with AS 0 from a 2-octet speaker → discarded",
    rfc: "RFC 7607 §2, RFC 6793 §6",
    category: "rfc7606",
    session: twoOctet,
    send: (c) => Craft.update({ attributes: [Attr.origin(0), Attr.asPath([seq(c.asn, 23456)], false), Attr.nextHop("192.0.2.99"), attr(OT, T.As4Path, Craft.asPathValue([seq(0)]))], nlri: Craft.prefixes(c.prefix) }),
    expect: { kind: "keep", what: "AS4_PATH discarded", check: (r) => (r.asPath === "65100 23456" ? undefined : `asPath ${String(r.asPath)}`) }
  },
  {
    name: "AS4_PATH before AS_PATH from a 2-octet speaker is merged",
    rfc: "RFC 6793 §4.2.3; RFC 4271 §5 (any order)",
    category: "rfc7606",
    session: twoOctet,
    send: (c) =>
      Craft.update({
        attributes: [Attr.origin(0), attr(OT, T.As4Path, Craft.asPathValue([seq(4200000001)])), Attr.asPath([seq(c.asn, 23456)], false), Attr.nextHop("192.0.2.99")],
        nlri: Craft.prefixes(c.prefix)
      }),
    expect: { kind: "keep", what: "AS4_PATH merged", check: (r) => (r.asPath === "65100 4200000001" ? undefined : `asPath ${String(r.asPath)}`) }
  },
  {
    name: "AS4_PATH from a 4-octet speaker → discarded",
    rfc: "RFC 6793 §4.1",
    category: "rfc7606",
    send: (c) => c.updateWith([], [attr(OT, T.As4Path, Craft.asPathValue([seq(4200000001)]))]),
    expect: { kind: "keep", what: "AS4_PATH ignored", check: (r) => (r.asPath === "65100" ? undefined : `asPath ${String(r.asPath)}`) }
  },
  {
    name: "AS4_AGGREGATOR of length 5 from a 2-octet speaker → discarded",
    rfc: "RFC 6793 §6",
    category: "rfc7606",
    session: twoOctet,
    send: (c) =>
      c.updateWith([], [attr(OT, T.Aggregator, concat([u16(23456), Craft.ipv4("192.0.2.7")])), attr(OT, T.As4Aggregator, bytes(0xfa, 0x56, 0xea, 0x01, 192))]),
    expect: { kind: "keep", what: "AS4_AGGREGATOR discarded", check: (r) => (String(r.aggregator).startsWith("23456 ") ? undefined : `aggregator ${String(r.aggregator)}`) }
  },
  // Unknown attributes (RFC 4271 §5, §6.3)
  (() => {
    const bad = () => attr(WK, 100, bytes(1, 2, 3))
    return {
      name: "unknown well-known attribute 100 → reset 3/2 with the attribute",
      rfc: "RFC 4271 §6.3",
      category: "rfc7606" as const,
      send: (c: CaseContext) => c.updateWith([], [bad()]),
      expect: { kind: "reset", code: 3, subcode: 2, dataOf: bad } as const
    }
  })(),
  {
    name: "unknown optional transitive attribute 100 → kept with Partial set (to pass on)",
    rfc: "RFC 4271 §5, §9.1.4",
    category: "rfc7606",
    send: (c) => c.updateWith([], [attr(OT, 100, bytes(1, 2, 3))]),
    expect: {
      kind: "keep",
      what: "attribute 100 kept",
      check: (r) => {
        const u = unknownAttr(r, 100)
        return u?.value === "010203" && (u.flags & Flag.Partial) !== 0 ? undefined : `unknown ${JSON.stringify(r.unknown)}`
      }
    }
  },
  {
    name: "unknown optional non-transitive attribute 101 → ignored",
    rfc: "RFC 4271 §5",
    category: "rfc7606",
    send: (c) => c.updateWith([], [attr(ON, 101, bytes(1, 2, 3))]),
    expect: {
      kind: "keep",
      what: "attribute 101 ignored",
      check: (r) => (unknownAttr(r, 101) !== undefined ? "attribute 101 stored" : undefined)
    }
  },
  // Message structure (RFC 7606 §3 b, §3 i, §3 j, §4, §5.2; RFC 4271 §6.3)
  { name: "NLRI prefix length 33 → reset 3/10", rfc: "RFC 7606 §3 j; RFC 4271 §6.3", category: "rfc7606", send: (c) => Craft.update({ attributes: c.base(), nlri: bytes(33, 10, 0, 0, 0, 0) }), expect: { kind: "reset", code: 3, subcode: 10, data: bytes() } },
  { name: "NLRI prefix running past the message → reset 3/10", rfc: "RFC 7606 §3 j; RFC 4271 §6.3", category: "rfc7606", send: (c) => Craft.update({ attributes: c.base(), nlri: bytes(24, 10, 0) }), expect: { kind: "reset", code: 3, subcode: 10, data: bytes() } },
  { name: "withdrawn prefix length 33 → reset 3/10", rfc: "RFC 7606 §3 i, §5.3", category: "rfc7606", send: () => Craft.update({ withdrawn: bytes(33, 10, 0, 0, 0, 0) }), expect: { kind: "reset", code: 3, subcode: 10, data: bytes() } },
  { name: "Withdrawn Routes Length past the message → reset 3/1", rfc: "RFC 7606 §3 b; RFC 4271 §6.3", category: "rfc7606", send: () => Craft.update({ withdrawn: bytes(8, 10), withdrawnLength: 40 }), expect: { kind: "reset", code: 3, subcode: 1, data: bytes() } },
  { name: "Total Path Attribute Length past the message → reset 3/1", rfc: "RFC 7606 §3 b; RFC 4271 §6.3", category: "rfc7606", send: (c) => Craft.update({ attributes: c.base(), attributesLength: 200 }), expect: { kind: "reset", code: 3, subcode: 1, data: bytes() } },
  { name: "two stray bytes after the last attribute → TAW", rfc: "RFC 7606 §4", category: "rfc7606", send: (c) => c.updateWith([], [bytes(0x40, 0x01)]), expect: withdraw },
  { name: "last attribute running past the attribute list → TAW", rfc: "RFC 7606 §4", category: "rfc7606", send: (c) => c.updateWith([], [concat([bytes(0xc0, 8, 12), u32(1)])]), expect: withdraw },
  {
    name: "treat-as-withdraw error with no NLRI at all → reset 3/6 with the ORIGIN",
    rfc: "RFC 7606 §5.2; RFC 4271 §6.3",
    category: "rfc7606",
    send: () => Craft.update({ attributes: [attr(WK, T.Origin, bytes(3)), Attr.asPath([seq(65100)]), Attr.nextHop("192.0.2.99")] }),
    expect: { kind: "reset", code: 3, subcode: 6, data: attr(WK, T.Origin, bytes(3)) }
  }
]

// ---------------------------------------------------------------------------
// Inputs that crashed or confused other implementations.

const ASN = 65100
const ID = Craft.ipv4Number("127.0.1.200")
const openWith = (fields: Partial<Craft.OpenFields>) => Craft.open({ asn: ASN, holdTime: 9, bgpId: ID, ...fields })
const caps = () => Craft.defaultCapabilities(ASN)

export const parserKillers: ReadonlyArray<Case> = [
  { name: "OPEN whose Opt Parm Len runs past the message → reset 2/0", rfc: "RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ optLength: 60 }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "OPEN with bytes after its optional parameters → reset 2/0", rfc: "RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ optLength: 8 }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "OPEN with a 1-byte optional parameter header → reset 2/0", rfc: "RFC 4271 §6.2 (CVE-2022-43681 shape)", category: "parser-killers", phase: "open", send: () => openWith({ params: bytes(2) }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "RFC 9072 extended parameters length past the message → reset 2/0", rfc: "RFC 9072 §2; RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ extended: true, extLength: 1000 }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "RFC 9072 extended parameter length past the parameters → reset 2/0", rfc: "RFC 9072 §2", category: "parser-killers", phase: "open", send: () => openWith({ extended: true, params: Craft.paramExtended(2, concat(caps()), 500) }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "RFC 9072 layout cut after the type 255 octet → reset 2/0", rfc: "RFC 9072 §2", category: "parser-killers", phase: "open", send: () => Craft.message(1, concat([bytes(4), u16(ASN), u16(9), u32(ID), bytes(1, 255)])), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "RFC 9072 layout with Non-Ext OP Len 1 is still the extended layout → Established", rfc: "RFC 9072 §3", category: "parser-killers", phase: "open", send: () => openWith({ extended: true, optLength: 1 }), expect: { kind: "session-up" } },
  { name: "capability 4-octet AS of length 0 → reset 2/0", rfc: "RFC 6793 §3; RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [Craft.Cap.multiprotocol(), Craft.capability(65, bytes())] }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "capability multiprotocol of length 3 → reset 2/0", rfc: "RFC 4760 §8; RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [Craft.capability(1, bytes(0, 1, 0)), Craft.Cap.fourOctetAs(ASN)] }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "capability 4-octet AS of length 5 → reset 2/0", rfc: "RFC 6793 §3; RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [Craft.Cap.multiprotocol(), Craft.capability(65, concat([u32(ASN), bytes(0)]))] }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "capability length past its parameter → reset 2/0", rfc: "RFC 5492 §4; RFC 4271 §6.2", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [Craft.Cap.multiprotocol(), Craft.capability(65, u32(ASN), 40)] }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "unknown capability of length 0 is ignored → Established", rfc: "RFC 5492 §4", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [...caps(), Craft.capability(200, bytes())] }), expect: { kind: "session-up" } },
  { name: "FQDN capability whose hostname length lies → reset 2/0", rfc: "RFC 4271 §6.2 (draft-walton-bgp-hostname-capability)", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [...caps(), Craft.Cap.fqdn(Craft.utf8("evil"), Craft.utf8("lab"), 200)] }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "FQDN capability whose domain length lies → reset 2/0", rfc: "RFC 4271 §6.2 (draft-walton-bgp-hostname-capability)", category: "parser-killers", phase: "open", send: () => openWith({ capabilities: [...caps(), Craft.Cap.fqdn(Craft.utf8("evil"), Craft.utf8("lab"), 4, 90)] }), expect: { kind: "reset", code: 2, subcode: 0, data: bytes() } },
  { name: "NEXT_HOP of 3 bytes → TAW", rfc: "RFC 7606 §7.3", category: "parser-killers", send: (c) => c.updateWith([[T.NextHop, attr(WK, T.NextHop, bytes(192, 0, 2))]]), expect: withdraw },
  { name: "IPv6 address specific extended community truncated to 19 bytes → TAW", rfc: "RFC 7606 §7.15", category: "parser-killers", send: (c) => c.updateWith([], [attr(OT, T.Ipv6ExtendedCommunities, Craft.repeat(19, 2))]), expect: withdraw },
  { name: "UPDATE of 23 bytes whose Withdrawn Routes Length is 4 → reset 3/1", rfc: "RFC 4271 §6.3; RFC 7606 §3 b", category: "parser-killers", send: () => Craft.update({ withdrawnLength: 4 }), expect: { kind: "reset", code: 3, subcode: 1, data: bytes() } },
  {
    // ORIGIN and AS_PATH inside the announced length; NEXT_HOP's flags octet (0x40 = /64) is then the first NLRI byte.
    name: "UPDATE whose Total Path Attribute Length stops short: the rest is NLRI that does not parse → reset 3/10",
    rfc: "RFC 7606 §4, §3 j; RFC 4271 §6.3",
    category: "parser-killers",
    send: (c) => Craft.update({ attributes: c.base(), attributesLength: 13, nlri: Craft.prefixes(c.prefix) }),
    expect: { kind: "reset", code: 3, subcode: 10, data: bytes() }
  },
  {
    name: "AS_PATH of 2100 ASNs in an RFC 8654 extended message is accepted",
    rfc: "RFC 8654 §3; RFC 4271 §5.1.2",
    category: "parser-killers",
    send: (c) => {
      const asns = [c.asn, ...Array.from({ length: 2099 }, (_, i) => 64512 + (i % 1000))]
      const segments: Array<Craft.AsPathSegment> = []
      for (let i = 0; i < asns.length; i += 255) segments.push(seq(...asns.slice(i, i + 255)))
      return c.updateWith([[T.AsPath, Attr.asPath(segments)]])
    },
    expect: {
      kind: "keep",
      what: "2100-AS path kept",
      check: (r) => {
        const n = String(r.asPath).split(" ").length
        return n === 2100 ? undefined : `asPath has ${n} ASNs`
      }
    }
  },
  {
    name: "NOTIFICATION 6/2 whose shutdown length runs past the data → session closed, nothing sent back",
    rfc: "RFC 9003 §4; RFC 4271 §6.4",
    category: "parser-killers",
    send: () => Craft.notification(6, 2, concat([bytes(200), Craft.utf8("maintenance")])),
    expect: { kind: "received-notification", code: 6, subcode: 2 }
  },
  {
    name: "NOTIFICATION 6/4 with invalid UTF-8 → session closed, nothing sent back",
    rfc: "RFC 9003 §2, §4; RFC 4271 §6.4",
    category: "parser-killers",
    send: () => Craft.notification(6, 4, bytes(4, 0xc3, 0x28, 0xff, 0xfe)),
    expect: { kind: "received-notification", code: 6, subcode: 4 }
  },
  {
    name: "NOTIFICATION with code 99 → session closed, nothing sent back",
    rfc: "RFC 4271 §6.4",
    category: "parser-killers",
    send: () => Craft.notification(99, 99, Craft.repeat(300, 0xee)),
    expect: { kind: "received-notification", code: 99, subcode: 99 }
  },
  {
    name: "attribute 29 (BGP-LS) garbage, optional non-transitive → ignored",
    rfc: "RFC 4271 §5 (RFC 9552 not implemented)",
    category: "parser-killers",
    send: (c) => c.updateWith([], [attr(ON, T.BgpLs, Craft.repeat(40, 0xff))]),
    expect: { kind: "keep", what: "attribute 29 ignored", check: (r) => (unknownAttr(r, 29) !== undefined ? "attribute 29 stored" : undefined) }
  },
  {
    name: "attribute 40 (Prefix-SID) garbage, optional transitive → kept with Partial set (to pass on)",
    rfc: "RFC 4271 §5, §9.1.4 (RFC 8669 not implemented)",
    category: "parser-killers",
    send: (c) => c.updateWith([], [attr(OT, T.PrefixSid, bytes(1, 0, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff))]),
    expect: {
      kind: "keep",
      what: "attribute 40 kept",
      check: (r) => {
        const u = unknownAttr(r, 40)
        return u !== undefined && (u.flags & Flag.Partial) !== 0 ? undefined : `unknown ${JSON.stringify(r.unknown)}`
      }
    }
  },
  { name: "OTC of length 3 → TAW", rfc: "RFC 9234 §5", category: "parser-killers", send: (c) => c.updateWith([], [attr(OT, T.Otc, bytes(0, 0, 1))]), expect: withdraw },
  { name: "OTC of length 5 → TAW", rfc: "RFC 9234 §5", category: "parser-killers", send: (c) => c.updateWith([], [attr(OT, T.Otc, bytes(0, 0, 0xfe, 0x4c, 0))]), expect: withdraw },
  { name: "OTC of length 0 → TAW", rfc: "RFC 9234 §5", category: "parser-killers", send: (c) => c.updateWith([], [attr(OT, T.Otc, bytes())]), expect: withdraw }
]

// ---------------------------------------------------------------------------
// Message header errors (RFC 4271 §6.1) and messages out of place.

const len = (n: number) => u16(n)

export const header: ReadonlyArray<Case> = [
  { name: "marker not all ones → reset 1/1", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(4, bytes(), { marker: Craft.repeat(16, 0) }), expect: { kind: "reset", code: 1, subcode: 1, data: bytes() } },
  { name: "length 18 → reset 1/2 with the length", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(4, bytes(), { length: 18 }), expect: { kind: "reset", code: 1, subcode: 2, data: len(18) } },
  { name: "length 0 → reset 1/2 with the length", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(2, bytes(0, 0, 0, 0), { length: 0 }), expect: { kind: "reset", code: 1, subcode: 2, data: len(0) } },
  {
    name: "UPDATE of 4097 bytes without extended messages → reset 1/2 with the length",
    rfc: "RFC 4271 §6.1; RFC 8654 §4",
    category: "header",
    session: { extendedMessage: false },
    send: (c) => Craft.update({ attributes: [...c.base(), attr(OT, 100, Craft.repeat(4097 - 19 - 4 - 18 - 4))], length: 4097 }),
    expect: { kind: "reset", code: 1, subcode: 2, data: len(4097) }
  },
  { name: "KEEPALIVE with a 1-byte body → reset 1/2 with the length", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(4, bytes(0)), expect: { kind: "reset", code: 1, subcode: 2, data: len(20) } },
  { name: "UPDATE of 22 bytes → reset 1/2 with the length", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(2, bytes(0, 0, 0)), expect: { kind: "reset", code: 1, subcode: 2, data: len(22) } },
  { name: "NOTIFICATION of 20 bytes → reset 1/2 with the length", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(3, bytes(6)), expect: { kind: "reset", code: 1, subcode: 2, data: len(20) } },
  { name: "OPEN of 28 bytes → reset 1/2 with the length", rfc: "RFC 4271 §6.1", category: "header", phase: "open", send: () => Craft.message(1, Craft.repeat(9, 4)), expect: { kind: "reset", code: 1, subcode: 2, data: len(28) } },
  { name: "message type 6 → reset 1/3 with the type", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(6, bytes()), expect: { kind: "reset", code: 1, subcode: 3, data: bytes(6) } },
  { name: "message type 0 → reset 1/3 with the type", rfc: "RFC 4271 §6.1", category: "header", send: () => Craft.message(0, bytes()), expect: { kind: "reset", code: 1, subcode: 3, data: bytes(0) } },
  { name: "ROUTE-REFRESH of 5 body bytes → reset 7/1 with the message", rfc: "RFC 7313 §5", category: "header", send: () => Craft.message(5, bytes(0, 1, 0, 1, 0)), expect: { kind: "reset", code: 7, subcode: 1, data: Craft.message(5, bytes(0, 1, 0, 1, 0)) } },
  { name: "OPEN in Established → reset 5/3", rfc: "RFC 6608 §4; RFC 4271 §8.2.2", category: "header", send: () => openWith({}), expect: { kind: "reset", code: 5, subcode: 3 } }
]

// ---------------------------------------------------------------------------
// OPEN values and messages in the wrong FSM state (RFC 4271 §6.2, §8.2.2; RFC 6608; RFC 7607; RFC 6793; RFC 6286).

const mismatch = { kind: "reset" } as const

export const openFsm: ReadonlyArray<Case> = [
  { name: "OPEN version 3 → reset 2/1 with version 4 as data", rfc: "RFC 4271 §6.2", category: "open-fsm", phase: "open", send: () => openWith({ version: 3 }), expect: { kind: "reset", code: 2, subcode: 1, data: u16(4) } },
  { name: "OPEN hold time 1 → reset 2/6", rfc: "RFC 4271 §6.2", category: "open-fsm", phase: "open", send: () => openWith({ holdTime: 1 }), expect: { ...mismatch, code: 2, subcode: 6 } },
  { name: "OPEN hold time 2 → reset 2/6", rfc: "RFC 4271 §6.2", category: "open-fsm", phase: "open", send: () => openWith({ holdTime: 2 }), expect: { ...mismatch, code: 2, subcode: 6 } },
  { name: "OPEN hold time 0 (no keepalives) → Established", rfc: "RFC 4271 §4.2", category: "open-fsm", phase: "open", send: () => openWith({ holdTime: 0 }), expect: { kind: "session-up" } },
  { name: "OPEN BGP identifier 0 → reset 2/3", rfc: "RFC 6286 §2.2; RFC 4271 §6.2", category: "open-fsm", phase: "open", send: () => openWith({ bgpId: 0 }), expect: { ...mismatch, code: 2, subcode: 3 } },
  { name: "OPEN BGP identifier equal to ours from an eBGP peer → Established", rfc: "RFC 6286 §2.2", category: "open-fsm", phase: "open", send: () => openWith({ bgpId: Craft.ipv4Number("127.0.0.1") }), expect: { kind: "session-up" } },
  { name: "OPEN from AS 65200 where 65100 is configured → reset 2/2", rfc: "RFC 4271 §6.2", category: "open-fsm", phase: "open", send: () => openWith({ asn: 65200, capabilities: Craft.defaultCapabilities(65200) }), expect: { ...mismatch, code: 2, subcode: 2 } },
  { name: "OPEN My AS 0 → reset 2/2", rfc: "RFC 7607 §2", category: "open-fsm", phase: "open", send: () => openWith({ asn: 0, capabilities: [Craft.Cap.multiprotocol()] }), expect: { ...mismatch, code: 2, subcode: 2 } },
  { name: "OPEN 4-octet AS capability 0 → reset 2/2", rfc: "RFC 7607 §2; RFC 6793 §4.1", category: "open-fsm", phase: "open", send: () => openWith({ capabilities: [Craft.Cap.multiprotocol(), Craft.Cap.fourOctetAs(0)] }), expect: { ...mismatch, code: 2, subcode: 2 } },
  { name: "OPEN My AS 65100 but 4-octet AS capability 65200 → reset 2/2 (the capability is the AS)", rfc: "RFC 6793 §4.1", category: "open-fsm", phase: "open", send: () => openWith({ capabilities: [Craft.Cap.multiprotocol(), Craft.Cap.fourOctetAs(65200)] }), expect: { ...mismatch, code: 2, subcode: 2 } },
  { name: "OPEN without capabilities (IPv4 unicast implied) → Established", rfc: "RFC 4760 §8; RFC 5492 §3", category: "open-fsm", phase: "open", session: twoOctet, send: () => openWith({ capabilities: [] }), expect: { kind: "session-up" } },
  { name: "OPEN with optional parameter type 1 (authentication, deprecated) → reset 2/4", rfc: "RFC 4271 §6.2; RFC 5492 §3", category: "open-fsm", phase: "open", send: () => openWith({ params: Craft.param(1, bytes(1, 2, 3)) }), expect: { ...mismatch, code: 2, subcode: 4 } },
  { name: "connection from an address that is not a peer → Cease 6/5", rfc: "RFC 4486 §4", category: "open-fsm", phase: "open", session: { unconfigured: true }, send: () => openWith({}), expect: { ...mismatch, code: 6, subcode: 5 } },
  { name: "KEEPALIVE before OPEN (OpenSent) → reset 5/1", rfc: "RFC 6608 §4; RFC 4271 §8.2.2", category: "open-fsm", phase: "open", send: () => Craft.keepalive(), expect: { ...mismatch, code: 5, subcode: 1 } },
  { name: "UPDATE before OPEN (OpenSent) → reset 5/1", rfc: "RFC 6608 §4; RFC 4271 §8.2.2", category: "open-fsm", phase: "open", send: () => Craft.announce(ASN, ["10.99.0.0/24"]), expect: { ...mismatch, code: 5, subcode: 1 } },
  { name: "UPDATE after OPEN, before KEEPALIVE (OpenConfirm) → reset 5/2", rfc: "RFC 6608 §4; RFC 4271 §8.2.2", category: "open-fsm", phase: "open", send: () => [openWith({}), Craft.announce(ASN, ["10.99.0.0/24"])], expect: { ...mismatch, code: 5, subcode: 2 } },
  { name: "ROUTE-REFRESH with unknown subtype 7 is ignored", rfc: "RFC 7313 §5", category: "open-fsm", send: () => Craft.routeRefresh(1, 1, 7), expect: { kind: "keep", what: "session and route unaffected" } },
  { name: "ROUTE-REFRESH for IPv6 unicast, not negotiated, is ignored", rfc: "RFC 2918 §4", category: "open-fsm", send: () => Craft.routeRefresh(2, 1), expect: { kind: "keep", what: "session and route unaffected" } },
  { name: "attribute flags with the four low bits set are ignored", rfc: "RFC 4271 §4.3", category: "open-fsm", send: (c) => c.updateWith([[T.Origin, attr(WK | 0x0f, T.Origin, bytes(1))]]), expect: { kind: "keep", what: "ORIGIN read", check: (r) => (r.origin === "egp" ? undefined : `origin ${String(r.origin)}`) } },
  { name: "AS_CONFED_SEQUENCE from an eBGP peer → TAW", rfc: "RFC 5065 §5; RFC 7606 §7.2", category: "open-fsm", send: (c) => c.updateWith([[T.AsPath, Attr.asPath([{ type: 3, asns: [65300] }, seq(c.asn)])]]), expect: withdraw }
]
