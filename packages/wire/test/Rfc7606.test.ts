/**
 * One test per error-handling rule of the Path Attributes decoder (RFC 7606 and the
 * RFCs it points to): the action taken and, for session resets, the NOTIFICATION.
 */
import { describe, expect, test } from "bun:test"
import { AttrType, SegmentType } from "../src/Attributes.js"
import * as Context from "../src/Context.js"
import * as Family from "../src/Family.js"
import type { AttributeIssue } from "../src/Message.js"
import * as Prefixes from "../src/Prefixes.js"
import { WireError } from "../src/WireError.js"
import { decodePathAttributes, uniqueLargeCommunities, UpdateSubcode, type DecodedAttributes } from "../src/internal/PathAttributes.js"
import { ipv4, ipv6 } from "./arbitraries/Prefixes.js"

const hex = (s: string): Array<number> => (s.replace(/\s+/g, "").match(/../g) ?? []).map((h) => parseInt(h, 16))

const WK = 0x40 // well-known
const OT = 0xc0 // optional transitive
const ON = 0x80 // optional non-transitive
const P = 0x20
const X = 0x10

/** One attribute as sent: flags, code, 1- or 2-byte length (per Extended Length), value given as hex. */
const attr = (flags: number, code: number, value: string): Array<number> => {
  const v = hex(value)
  return (flags & X) !== 0 ? [flags, code, v.length >>> 8, v.length & 0xff, ...v] : [flags, code, v.length, ...v]
}

const field = (...parts: Array<Array<number>>): Uint8Array => Uint8Array.from(parts.flat())

const ibgp = Context.make({ asn4: true, ebgp: false })
const ebgp = Context.make({ asn4: true, ebgp: true, peerAs: 65001 })
const old = Context.make({ asn4: false, ebgp: false })

const decode = (b: Uint8Array, ctx: Context.Context = ibgp): DecodedAttributes | WireError =>
  decodePathAttributes(b, 0, b.length, ctx)

const ok = (r: DecodedAttributes | WireError): DecodedAttributes => {
  if (r instanceof WireError) throw new Error(`unexpected session reset: ${r.message}`)
  return r
}

/** The decode kept going and reported exactly these findings. */
const findings = (r: DecodedAttributes | WireError, ...want: Array<[number, AttributeIssue["action"]]>): DecodedAttributes => {
  const d = ok(r)
  expect(d.issues.map((i) => [i.code, i.action])).toEqual(want)
  for (const i of d.issues) expect(i.detail.length).toBeGreaterThan(0)
  expect(d.treatAsWithdraw).toBe(want.some(([, a]) => a === "treat-as-withdraw"))
  return d
}

const treatAsWithdraw = (r: DecodedAttributes | WireError, code: number): DecodedAttributes => findings(r, [code, "treat-as-withdraw"])
const discard = (r: DecodedAttributes | WireError, code: number): DecodedAttributes => findings(r, [code, "discard"])

/** A session reset: UPDATE Message Error with this subcode and data. */
const reset = (r: DecodedAttributes | WireError, subcode: number, data: Array<number> = []): WireError => {
  expect(r).toBeInstanceOf(WireError)
  const e = r as WireError
  expect(e.reason).toBe("Update")
  expect(e.code).toBe(3)
  expect(e.subcode).toBe(subcode)
  expect(Array.from(e.data)).toEqual(data)
  return e
}

const ORIGIN_IGP = attr(WK, 1, "00")
const MED = attr(ON, 4, "00000064")

describe("RFC 7606 §4: attribute lengths against the field end", () => {
  test("fewer than 3 bytes left for an attribute header → treat-as-withdraw, earlier attributes kept", () => {
    const d = treatAsWithdraw(decode(field(ORIGIN_IGP, [0x40, 0x02])), AttrType.AsPath)
    expect(d.attributes.origin).toBe(0)
  })

  test("a lone flags byte at the end → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(ORIGIN_IGP, [0x40])), 0)
  })

  test("fewer than 4 bytes left for an Extended Length header → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(ORIGIN_IGP, [0x50, 0x08, 0x00])), AttrType.Communities)
  })

  test("an attribute value running past the field end → treat-as-withdraw, earlier attributes kept", () => {
    const d = treatAsWithdraw(decode(field(ORIGIN_IGP, [0xc0, 0x08, 0x08, 0, 0, 0, 1])), AttrType.Communities)
    expect(d.attributes).toEqual({ origin: 0 })
  })

  test("MP_REACH_NLRI running past the field end → session reset 3/1 (its NLRI cannot be located, §3 j)", () => {
    reset(decode(field(ORIGIN_IGP, [0x80, 0x0e, 0x20, 0, 1, 1, 4])), UpdateSubcode.MalformedAttributeList)
  })

  test("MP_UNREACH_NLRI header cut short → session reset 3/1", () => {
    reset(decode(field(ORIGIN_IGP, [0x90, 0x0f, 0x00])), UpdateSubcode.MalformedAttributeList)
  })

  test("treat-as-withdraw for a cut-short attribute still withdraws an MP_REACH_NLRI parsed before it", () => {
    const d = treatAsWithdraw(decode(field(attr(ON, 14, "0001 01 04 c0000201 00 18 0a0000"), [0x40, 0x01, 0x05])), AttrType.Origin)
    expect(d.mpReach?.nlri).toEqual(ipv4("10.0.0.0/24"))
  })
})

describe("RFC 7606 §3 c: attribute flags", () => {
  const conflicting: ReadonlyArray<readonly [string, number, number, string]> = [
    ["ORIGIN marked optional", AttrType.Origin, OT, "00"],
    ["AS_PATH marked non-transitive", AttrType.AsPath, 0x00, ""],
    ["NEXT_HOP marked optional", AttrType.NextHop, ON, "c0000201"],
    ["MULTI_EXIT_DISC marked transitive", AttrType.Med, OT, "00000001"],
    ["LOCAL_PREF marked optional", AttrType.LocalPref, OT, "00000001"],
    ["ATOMIC_AGGREGATE marked optional", AttrType.AtomicAggregate, OT, ""],
    ["AGGREGATOR marked well-known", AttrType.Aggregator, WK, "0000fde9c0000201"],
    ["COMMUNITIES marked non-transitive", AttrType.Communities, ON, "fde90001"],
    ["ORIGINATOR_ID marked transitive", AttrType.OriginatorId, OT, "01020304"],
    ["CLUSTER_LIST marked well-known", AttrType.ClusterList, WK, "01020304"],
    ["EXTENDED_COMMUNITIES marked non-transitive", AttrType.ExtendedCommunities, ON, "0002fde900000001"],
    ["IPv6 EXTENDED_COMMUNITIES marked well-known", AttrType.Ipv6ExtendedCommunities, WK, "00".repeat(20)],
    ["LARGE_COMMUNITIES marked non-transitive", AttrType.LargeCommunities, ON, "00".repeat(12)],
    ["OTC marked non-transitive", AttrType.Otc, ON, "0000fde9"]
  ]
  for (const [name, code, flags, value] of conflicting) {
    test(`${name} → treat-as-withdraw`, () => {
      const d = treatAsWithdraw(decode(field(attr(flags, code, value))), code)
      expect(d.attributes).toEqual({})
    })
  }

  test("AS4_PATH marked non-transitive on a 2-octet session → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(ON, AttrType.As4Path, "0201 fa56ea00")), old), AttrType.As4Path)
  })

  // RFC 7606 §5.3 lists flags inconsistent with RFC 4760 among what makes an MP attribute incorrect, and §3 c
  // defers to that: AFI/SAFI disable or session reset, never treat-as-withdraw.
  test("§5.3: MP_REACH_NLRI marked transitive → session reset 3/9 with the attribute as data", () => {
    const a = attr(OT, 14, "0001 01 04 c0000201 00 18 0a0000")
    reset(decode(field(ORIGIN_IGP, a)), UpdateSubcode.OptionalAttributeError, a)
  })

  test("§5.3: MP_UNREACH_NLRI marked well-known → session reset 3/9 with the attribute as data", () => {
    const a = attr(WK, 15, "0001 01 18 0a0000")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })

  test("§5.3: MP_REACH_NLRI with the Partial and Extended Length bits is still correctly flagged", () => {
    const d = findings(decode(field(attr(ON | P | X, 14, "0001 01 04 c0000201 00 18 0a0000"))))
    expect(d.mpReach?.nlri).toEqual(ipv4("10.0.0.0/24"))
  })

  test("the Partial and Extended Length bits are not part of the check", () => {
    const d = findings(decode(field(attr(WK | P | X, 1, "02"), attr(ON | P, 4, "00000005"))))
    expect(d.attributes).toEqual({ origin: 2, med: 5 })
  })

  test("the unused low four flag bits are ignored", () => {
    expect(findings(decode(field(attr(WK | 0x0f, 1, "01")))).attributes).toEqual({ origin: 1 })
  })
})

describe("RFC 7606 §3 g: repeated attributes", () => {
  test("MP_REACH_NLRI twice → session reset 3/1 Malformed Attribute List", () => {
    const reach = attr(ON, 14, "0001 01 04 c0000201 00")
    reset(decode(field(reach, reach)), UpdateSubcode.MalformedAttributeList)
  })

  test("MP_UNREACH_NLRI twice → session reset 3/1 Malformed Attribute List", () => {
    const unreach = attr(ON, 15, "0001 01")
    reset(decode(field(unreach, ORIGIN_IGP, unreach)), UpdateSubcode.MalformedAttributeList)
  })

  test("any other repeat is discarded and the first occurrence kept", () => {
    const d = findings(
      decode(field(MED, attr(ON, 4, "00000007"), attr(OT, 99, "01"), attr(OT, 99, "02"))),
      [AttrType.Med, "discard"],
      [99, "discard"]
    )
    expect(d.attributes).toEqual({ med: 100, unknown: [{ flags: 0xe0, code: 99, value: Uint8Array.of(1) }] })
  })

  test("a repeat of a malformed attribute is discarded too (the first occurrence decided)", () => {
    findings(decode(field(attr(WK, 1, "07"), ORIGIN_IGP)), [1, "treat-as-withdraw"], [1, "discard"])
  })
})

describe("RFC 7606 §3 h: the most severe action wins", () => {
  test("discard and treat-as-withdraw together → treat-as-withdraw, both findings listed", () => {
    const d = findings(decode(field(attr(WK, 6, "01"), attr(WK, 1, "03"))), [6, "discard"], [1, "treat-as-withdraw"])
    expect(d.treatAsWithdraw).toBe(true)
  })

  test("treat-as-withdraw followed by a reset condition → session reset", () => {
    reset(decode(field(attr(WK, 1, "03"), attr(ON, 15, "00"))), UpdateSubcode.OptionalAttributeError, attr(ON, 15, "00"))
  })
})

describe("RFC 7606 §7.1 ORIGIN", () => {
  test("length other than 1 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 1, "0000"))), 1)
  })
  test("an undefined value (3) → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 1, "03"))), 1)
  })
})

describe("RFC 7606 §7.2 AS_PATH", () => {
  test("a segment overrunning the attribute → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0202 0000fde9"))), 2)
  })
  test("a single octet left after the last segment (underrun) → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0201 0000fde9 02"))), 2)
  })
  test("a zero-length segment → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0200"))), 2)
  })
  test("an unrecognised segment type → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0501 0000fde9"))), 2)
  })
  test("2-octet AS numbers on a 2-octet session; a 4-octet layout there is malformed", () => {
    expect(findings(decode(field(attr(WK, 2, "0201 fde9")), old)).attributes.asPath).toEqual([
      { type: SegmentType.AsSequence, asns: [65001] }
    ])
    treatAsWithdraw(decode(field(attr(WK, 2, "0201 fde9")), ibgp), 2)
  })
  test("RFC 7607: AS 0 in AS_PATH → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0202 0000fde9 00000000"))), 2)
  })
  test("an empty AS_PATH is legal from an internal peer", () => {
    expect(findings(decode(field(attr(WK, 2, "")))).attributes.asPath).toEqual([])
  })
  test("eBGP: the leftmost AS must be the peer AS → otherwise treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0201 0000fdea")), ebgp), 2)
    expect(findings(decode(field(attr(WK, 2, "0202 0000fde9 0000fdea")), ebgp)).attributes.asPath).toEqual([
      { type: SegmentType.AsSequence, asns: [65001, 65002] }
    ])
  })
  test("eBGP: a path starting with an AS_SET (even one holding the peer AS) → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0101 0000fde9")), ebgp), 2)
  })
  test("eBGP: an empty AS_PATH → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "")), ebgp), 2)
  })
  test("eBGP without a peer AS (route server): the leftmost-AS check is skipped", () => {
    const rs = Context.make({ asn4: true, ebgp: true })
    expect(findings(decode(field(attr(WK, 2, "0201 0000fdea")), rs)).attributes.asPath).toEqual([
      { type: SegmentType.AsSequence, asns: [65002] }
    ])
  })
  test("eBGP on a 2-octet session with a 4-octet peer AS: the leftmost AS must be AS_TRANS", () => {
    const ctx = Context.make({ asn4: false, ebgp: true, peerAs: 4200000000 })
    findings(decode(field(attr(WK, 2, "0201 5ba0")), ctx))
    treatAsWithdraw(decode(field(attr(WK, 2, "0201 fde9")), ctx), 2)
  })
  test("RFC 5065 §5: confederation segments from an external peer → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 2, "0201 0000fde9 0301 0000fdf0")), ebgp), 2)
  })
  test("confederation segments from an internal (confederation) peer are kept", () => {
    expect(findings(decode(field(attr(WK, 2, "0301 0000fdf0 0401 0000fdf1 0201 0000fde9")))).attributes.asPath).toEqual([
      { type: SegmentType.ConfedSequence, asns: [65008] },
      { type: SegmentType.ConfedSet, asns: [65009] },
      { type: SegmentType.AsSequence, asns: [65001] }
    ])
  })
})

describe("RFC 7606 §7.3 NEXT_HOP", () => {
  test("length other than 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 3, "c00002"))), 3)
  })
  for (const [name, value] of [
    ["0.0.0.0", "00000000"],
    ["0.1.2.3 (0/8)", "00010203"],
    ["127.0.0.1", "7f000001"],
    ["224.0.0.5 (multicast)", "e0000005"],
    ["240.0.0.1 (class E)", "f0000001"],
    ["255.255.255.255", "ffffffff"]
  ] as const) {
    test(`RFC 4271 §6.3: ${name} is not a host address → treat-as-withdraw`, () => {
      treatAsWithdraw(decode(field(attr(WK, 3, value))), 3)
    })
  }
  test("a unicast host address is kept", () => {
    expect(findings(decode(field(attr(WK, 3, "c0000201")))).attributes.nextHop).toEqual(Uint8Array.of(192, 0, 2, 1))
  })
})

describe("RFC 7606 §7.4–§7.10", () => {
  test("§7.4 MULTI_EXIT_DISC of length other than 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(ON, 4, "000001"))), 4)
  })
  test("§7.5 LOCAL_PREF from an external peer → discarded, even when well formed", () => {
    expect(discard(decode(field(attr(WK, 5, "00000064")), ebgp), 5).attributes).toEqual({})
  })
  test("§7.5 LOCAL_PREF from an internal peer with length other than 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(WK, 5, "0064"))), 5)
  })
  test("§7.6 ATOMIC_AGGREGATE with a non-zero length → discarded", () => {
    discard(decode(field(attr(WK, 6, "00"))), 6)
  })
  test("§7.7 AGGREGATOR of 6 bytes on a 4-octet session → discarded", () => {
    discard(decode(field(attr(OT, 7, "fde9 c0000201"))), 7)
  })
  test("§7.7 AGGREGATOR of 8 bytes on a 2-octet session → discarded; 6 bytes accepted", () => {
    discard(decode(field(attr(OT, 7, "0000fde9 c0000201")), old), 7)
    expect(findings(decode(field(attr(OT, 7, "fde9 c0000201")), old)).attributes.aggregator).toEqual({
      asn: 65001,
      address: 0xc0000201
    })
  })
  test("RFC 7607: AGGREGATOR with AS 0 → discarded", () => {
    discard(decode(field(attr(OT, 7, "00000000 c0000201"))), 7)
  })
  test("§7.8 COMMUNITIES of a length that is not a multiple of 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(OT, 8, "fde9000100"))), 8)
  })
  test("§7.9 ORIGINATOR_ID from an external peer → discarded", () => {
    discard(decode(field(attr(ON, 9, "01020304")), ebgp), 9)
  })
  test("§7.9 ORIGINATOR_ID from an internal peer with length other than 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(ON, 9, "010203"))), 9)
  })
  test("§7.10 CLUSTER_LIST from an external peer → discarded", () => {
    discard(decode(field(attr(ON, 10, "01020304")), ebgp), 10)
  })
  test("§7.10 CLUSTER_LIST from an internal peer with a length not a multiple of 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(ON, 10, "010203040506"))), 10)
  })
})

describe("RFC 7606 §7.11 MP_REACH_NLRI (RFC 4760 §3)", () => {
  test("shorter than AFI, SAFI, next-hop length and reserved → reset 3/9 with the attribute as data", () => {
    const a = attr(ON, 14, "0001 01 00")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("a next-hop length running past the attribute → reset 3/9", () => {
    const a = attr(ON, 14, "0001 01 10 c0000201 00")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("IPv4 with a 16-byte next hop without extended next hop → reset 3/9", () => {
    const a = attr(ON, 14, `0001 01 10 ${"20010db8".padEnd(32, "0")} 00`)
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("RFC 8950: IPv4 with a 16- or 32-byte next hop when extended next hop is negotiated", () => {
    const ctx = Context.make({ asn4: true, ebgp: false, extendedNextHop: new Set([Family.Ipv4Unicast]) })
    for (const nh of ["20010db8".padEnd(32, "0"), "20010db8".padEnd(32, "0") + "fe80".padEnd(32, "0")]) {
      const d = findings(decode(field(attr(ON, 14, `0001 01 ${(nh.length / 2).toString(16)} ${nh} 00 18 0a0000`)), ctx))
      expect(d.mpReach?.nextHop.length).toBe(nh.length / 2)
      expect(d.mpReach?.nlri).toEqual(ipv4("10.0.0.0/24"))
    }
  })
  test("IPv6 with a 4-byte next hop → reset 3/9", () => {
    const a = attr(ON, 14, "0002 01 04 c0000201 00")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("IPv6 with a 32-byte (global + link-local) next hop is accepted", () => {
    const nh = "20010db8".padEnd(32, "0") + "fe80".padEnd(32, "0")
    expect(findings(decode(field(attr(ON, 14, `0002 01 20 ${nh} 00 20 20010db8`)))).mpReach?.nlri).toEqual(ipv6("2001:db8::/32"))
  })
  test("RFC 7606 §5.3: malformed NLRI (IPv4 /33) → reset 3/9", () => {
    const a = attr(ON, 14, "0001 01 04 c0000201 00 21 0a000000 00")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("RFC 7606 §5.3: NLRI truncated mid-prefix → reset 3/9", () => {
    const a = attr(ON, 14, "0001 01 04 c0000201 00 18 0a00")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("RFC 4760 §3: the reserved octet (old SNPA count) is ignored", () => {
    expect(findings(decode(field(attr(ON, 14, "0001 01 04 c0000201 07 18 0a0000")))).mpReach).toEqual({
      afi: 1,
      safi: 1,
      nextHop: Uint8Array.of(192, 0, 2, 1),
      nlri: ipv4("10.0.0.0/24")
    })
  })
  test("an AFI/SAFI this codec does not parse keeps next hop and NLRI as bytes", () => {
    const d = findings(decode(field(attr(ON, 14, "0001 80 0c 0000000000000000c0000201 00 7000001100000000000000010a0000"))))
    expect(d.mpReach).toEqual({
      afi: 1,
      safi: 128,
      nextHop: Uint8Array.from(hex("0000000000000000c0000201")),
      nlri: Uint8Array.from(hex("7000001100000000000000010a0000"))
    })
  })
  test("RFC 7911: NLRI carry path identifiers when ADD-PATH is received for the family", () => {
    const ctx = Context.make({ asn4: true, ebgp: false, addPath: new Set([Family.Ipv4Unicast]) })
    const value = "0001 01 04 c0000201 00 000000ff 18 0a0000"
    expect(findings(decode(field(attr(ON, 14, value)), ctx)).mpReach?.nlri).toEqual(
      Prefixes.fromEntries(1, [{ address: Uint8Array.of(10, 0, 0), length: 24, pathId: 255 }], true)
    )
    // Without ADD-PATH the same bytes read as three /0 and then a prefix length of 255.
    reset(decode(field(attr(ON, 14, value)), ibgp), UpdateSubcode.OptionalAttributeError, attr(ON, 14, value))
  })
})

describe("RFC 7606 §7.12 MP_UNREACH_NLRI (RFC 4760 §4)", () => {
  test("shorter than AFI and SAFI → reset 3/9", () => {
    const a = attr(ON, 15, "0001")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("malformed withdrawn routes → reset 3/9", () => {
    const a = attr(ON, 15, "0002 01 81")
    reset(decode(field(a)), UpdateSubcode.OptionalAttributeError, a)
  })
  test("no withdrawn routes (the End-of-RIB marker) is accepted", () => {
    expect(findings(decode(field(attr(ON, 15, "0002 01")))).mpUnreach).toEqual({
      afi: 2,
      safi: 1,
      withdrawn: Prefixes.empty(2)
    })
  })
  test("an AFI/SAFI this codec does not parse keeps the withdrawn routes as bytes", () => {
    expect(findings(decode(field(attr(ON, 15, "0019 46 0102")))).mpUnreach).toEqual({
      afi: 25,
      safi: 70,
      withdrawn: Uint8Array.of(1, 2)
    })
  })
  test("RFC 7911: withdrawn routes carry path identifiers under ADD-PATH", () => {
    const ctx = Context.make({ asn4: true, ebgp: false, addPath: new Set([Family.Ipv6Unicast]) })
    expect(findings(decode(field(attr(ON, 15, "0002 01 00000003 20 20010db8")), ctx)).mpUnreach?.withdrawn).toEqual(
      Prefixes.fromEntries(2, [{ address: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8), length: 32, pathId: 3 }], true)
    )
  })
})

describe("RFC 7606 §7.14, §7.15; RFC 8092 §6; RFC 9234 §5", () => {
  test("§7.14 EXTENDED_COMMUNITIES of a length not a multiple of 8 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(OT, 16, "0002fde90000000100000000"))), 16)
  })
  test("§7.15 IPv6 EXTENDED_COMMUNITIES of a length not a multiple of 20 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(OT, 25, "00".repeat(21)))), 25)
  })
  test("§7.15 IPv6 EXTENDED_COMMUNITIES of 20 bytes are kept", () => {
    expect(findings(decode(field(attr(OT, 25, "0002" + "20010db8".padEnd(32, "0") + "0001")))).attributes.ipv6ExtendedCommunities?.length).toBe(20)
  })
  test("RFC 8092 §6: LARGE_COMMUNITIES of a length not a multiple of 12 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(OT, 32, "00".repeat(13)))), 32)
  })
  test("RFC 9234 §5: OTC of length other than 4 → treat-as-withdraw", () => {
    treatAsWithdraw(decode(field(attr(OT, 35, "00fde9"))), 35)
  })
  test("RFC 9234 §5: OTC of 4 bytes is kept", () => {
    expect(findings(decode(field(attr(OT, 35, "0000fde9")))).attributes.otc).toBe(65001)
  })
})

describe("RFC 6793 §3, §6; RFC 7607: AS4_PATH and AS4_AGGREGATOR", () => {
  test("on a 4-octet session AS4_PATH and AS4_AGGREGATOR are discarded", () => {
    const d = findings(
      decode(field(attr(OT, 17, "0201 fa56ea00"), attr(OT, 18, "fa56ea00 c0000201"))),
      [17, "discard"],
      [18, "discard"]
    )
    expect(d.attributes).toEqual({})
  })
  test("on a 2-octet session well-formed ones are kept", () => {
    expect(findings(decode(field(attr(OT, 17, "0201 fa56ea00"), attr(OT, 18, "fa56ea00 c0000201")), old)).attributes).toEqual({
      as4Path: [{ type: SegmentType.AsSequence, asns: [4200000000] }],
      as4Aggregator: { asn: 4200000000, address: 0xc0000201 }
    })
  })
  test("§6: a malformed AS4_PATH (segment overrun) → discarded", () => {
    discard(decode(field(attr(OT, 17, "0202 fa56ea00")), old), 17)
  })
  test("§6: an AS4_PATH too short to carry an AS number (empty) → discarded", () => {
    discard(decode(field(attr(OT, 17, "")), old), 17)
  })
  test("RFC 7607: AS 0 in AS4_PATH → discarded", () => {
    discard(decode(field(attr(OT, 17, "0201 00000000")), old), 17)
  })
  test("§6: confederation segments in AS4_PATH are removed, the rest kept", () => {
    const d = discard(decode(field(attr(OT, 17, "0301 0000fdf0 0201 fa56ea00")), old), 17)
    expect(d.attributes.as4Path).toEqual([{ type: SegmentType.AsSequence, asns: [4200000000] }])
  })
  test("§6: AS4_AGGREGATOR of length other than 8 → discarded", () => {
    discard(decode(field(attr(OT, 18, "fde9 c0000201")), old), 18)
  })
  test("RFC 7607: AS4_AGGREGATOR with AS 0 → discarded", () => {
    discard(decode(field(attr(OT, 18, "00000000 c0000201")), old), 18)
  })
})

describe("RFC 4271 §5, §6.3: unrecognised attributes", () => {
  test("an unrecognised well-known attribute → reset 3/2, data = the whole attribute", () => {
    const a = attr(WK, 99, "0102")
    reset(decode(field(ORIGIN_IGP, a)), UpdateSubcode.UnrecognizedWellKnownAttribute, a)
  })
  test("the reset data keeps an Extended Length header as received", () => {
    const a = attr(WK | X, 99, "0102")
    reset(decode(field(a)), UpdateSubcode.UnrecognizedWellKnownAttribute, a)
  })
  test("an unrecognised optional non-transitive attribute is quietly ignored", () => {
    expect(findings(decode(field(attr(ON, 99, "0102"), ORIGIN_IGP))).attributes).toEqual({ origin: 0 })
  })
  test("an unrecognised optional transitive attribute is kept, with the Partial bit set", () => {
    expect(findings(decode(field(attr(OT | X, 99, "0102")))).attributes.unknown).toEqual([
      { flags: OT | P, code: 99, value: Uint8Array.of(1, 2) }
    ])
  })
})

describe("zero-length values", () => {
  const cases: ReadonlyArray<readonly [string, number, number, "ok" | AttributeIssue["action"] | "reset"]> = [
    ["ORIGIN", WK, 1, "treat-as-withdraw"],
    ["AS_PATH", WK, 2, "ok"],
    ["NEXT_HOP", WK, 3, "treat-as-withdraw"],
    ["MULTI_EXIT_DISC", ON, 4, "treat-as-withdraw"],
    ["LOCAL_PREF", WK, 5, "treat-as-withdraw"],
    ["ATOMIC_AGGREGATE", WK, 6, "ok"],
    ["AGGREGATOR", OT, 7, "discard"],
    ["COMMUNITIES", OT, 8, "treat-as-withdraw"],
    ["ORIGINATOR_ID", ON, 9, "treat-as-withdraw"],
    ["CLUSTER_LIST", ON, 10, "treat-as-withdraw"],
    ["MP_REACH_NLRI", ON, 14, "reset"],
    ["MP_UNREACH_NLRI", ON, 15, "reset"],
    ["EXTENDED_COMMUNITIES", OT, 16, "treat-as-withdraw"],
    ["IPv6 EXTENDED_COMMUNITIES", OT, 25, "treat-as-withdraw"],
    ["LARGE_COMMUNITIES", OT, 32, "treat-as-withdraw"],
    ["OTC", OT, 35, "treat-as-withdraw"],
    ["an unknown optional transitive attribute", OT, 99, "ok"]
  ]
  for (const [name, flags, code, action] of cases) {
    test(`an empty ${name} → ${action === "ok" ? "accepted" : action}`, () => {
      const r = decode(field(attr(flags, code, "")))
      if (action === "reset") reset(r, UpdateSubcode.OptionalAttributeError, [flags, code, 0])
      else if (action === "ok") findings(r)
      else findings(r, [code, action])
    })
  }
  test("an empty AS4_PATH or AS4_AGGREGATOR on a 2-octet session → discarded", () => {
    findings(decode(field(attr(OT, 17, ""), attr(OT, 18, "")), old), [17, "discard"], [18, "discard"])
  })
})

describe("RFC 4271 §6.3: the NOTIFICATION behind each treat-as-withdraw finding (sent when RFC 7606 §5.2 escalates)", () => {
  const noticeOf = (r: DecodedAttributes | WireError): [number, Array<number>] | undefined => {
    const n = ok(r).withdrawNotice
    return n === undefined ? undefined : [n.subcode, Array.from(n.data)]
  }
  const cases: ReadonlyArray<readonly [string, Array<number>, number, "attribute" | "none"]> = [
    ["§4: a value past the field end → 3/1, no data", [0xc0, 0x08, 0x08, 0, 0, 0, 1], UpdateSubcode.MalformedAttributeList, "none"],
    ["§3 c: flags conflict → 3/4 Attribute Flags Error", attr(OT, 1, "00"), UpdateSubcode.AttributeFlagsError, "attribute"],
    ["§7.1: ORIGIN of 2 bytes → 3/5 Attribute Length Error", attr(WK, 1, "0000"), UpdateSubcode.AttributeLengthError, "attribute"],
    ["§7.1: ORIGIN value 3 → 3/6 Invalid ORIGIN Attribute", attr(WK, 1, "03"), UpdateSubcode.InvalidOriginAttribute, "attribute"],
    ["§7.2: zero-length AS_PATH segment → 3/11 Malformed AS_PATH, no data", attr(WK, 2, "0200"), UpdateSubcode.MalformedAsPath, "none"],
    ["RFC 7607: AS 0 in AS_PATH → 3/11", attr(WK, 2, "0201 00000000"), UpdateSubcode.MalformedAsPath, "none"],
    ["§7.3: NEXT_HOP of 3 bytes → 3/5", attr(WK, 3, "c00002"), UpdateSubcode.AttributeLengthError, "attribute"],
    ["§7.3 / §3 e: NEXT_HOP 127.0.0.1 → 3/8 Invalid NEXT_HOP Attribute", attr(WK, 3, "7f000001"), UpdateSubcode.InvalidNextHopAttribute, "attribute"],
    ["§7.4: MULTI_EXIT_DISC of 3 bytes → 3/5", attr(ON, 4, "000001"), UpdateSubcode.AttributeLengthError, "attribute"],
    ["§7.8: COMMUNITIES of 5 bytes → 3/5", attr(OT, 8, "fde9000100"), UpdateSubcode.AttributeLengthError, "attribute"],
    ["RFC 8092 §6: LARGE_COMMUNITIES of 13 bytes → 3/5", attr(OT, 32, "00".repeat(13)), UpdateSubcode.AttributeLengthError, "attribute"],
    ["RFC 9234 §5: OTC of 3 bytes → 3/5", attr(OT, 35, "00fde9"), UpdateSubcode.AttributeLengthError, "attribute"]
  ]
  for (const [name, a, subcode, data] of cases) {
    test(name, () => {
      expect(noticeOf(decode(field(a)))).toEqual([subcode, data === "attribute" ? a : []])
    })
  }

  test("eBGP leftmost-AS mismatch → 3/11 (RFC 4271 §6.3 names Malformed AS_PATH for it)", () => {
    expect(noticeOf(decode(field(attr(WK, 2, "0201 0000fdea")), ebgp))).toEqual([UpdateSubcode.MalformedAsPath, []])
  })

  test("the first treat-as-withdraw finding gives the notice; discards give none", () => {
    expect(noticeOf(decode(field(attr(WK, 6, "01"))))).toBeUndefined()
    const first = attr(WK, 1, "07")
    expect(noticeOf(decode(field(attr(WK, 6, "01"), first, attr(OT, 8, "01"))))).toEqual([UpdateSubcode.InvalidOriginAttribute, first])
  })

  test("the notice data is a copy that outlives the receive buffer", () => {
    const a = attr(WK, 1, "09")
    const b = field(a)
    const d = ok(decode(b))
    b.fill(0)
    expect(Array.from(d.withdrawNotice!.data)).toEqual(a)
  })
})

describe("RFC 8092 §3: redundant large communities", () => {
  test("RFC 8092 §6/§3: repeated values do not make the attribute malformed; the decoder silently drops the repeats", () => {
    const d = findings(decode(field(attr(OT, 32, "0000fde9 00000001 00000002  00000001 00000002 00000003  0000fde9 00000001 00000002"))))
    expect(d.issues).toEqual([])
    expect(Array.from(d.attributes.largeCommunities!)).toEqual([65001, 1, 2, 1, 2, 3])
  })

  test("uniqueLargeCommunities removes repeated values, keeping the first occurrence order", () => {
    const v = Uint32Array.of(65001, 1, 2, 1, 2, 3, 65001, 1, 2, 1, 2, 3, 9, 9, 9)
    expect(Array.from(uniqueLargeCommunities(v))).toEqual([65001, 1, 2, 1, 2, 3, 9, 9, 9])
  })

  test("uniqueLargeCommunities handles many values (the set-based path) too", () => {
    const v = Uint32Array.from({ length: 120 }, (_, i) => (i % 3 === 1 ? Math.floor(i / 3) % 20 : 65001))
    expect(uniqueLargeCommunities(v).length).toBe(60)
  })

  test("uniqueLargeCommunities returns its argument when nothing repeats", () => {
    const v = Uint32Array.of(1, 2, 3, 4, 5, 6)
    expect(uniqueLargeCommunities(v)).toBe(v)
  })
})
