import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { Attributes } from "../src/Attributes.js"
import * as Context from "../src/Context.js"
import { Afi, Ipv4Unicast, Ipv6Unicast, Safi, key } from "../src/Family.js"
import type { Update as UpdateT } from "../src/Message.js"
import * as Prefixes from "../src/Prefixes.js"
import * as Update from "../src/Update.js"
import * as WireError from "../src/WireError.js"
import { Writer } from "../src/internal/Writer.js"
import * as Arb from "./arbitraries/Attributes.js"
import { ipv4, ipv6, prefixes, showAll, v4 } from "./arbitraries/Prefixes.js"

// ---------------------------------------------------------------------------
// Helpers

const ebgp = Context.make({ ebgp: true })
const ibgp = Context.make({ ebgp: false })

const encode = (u: UpdateT, ctx: Context.Context): Uint8Array => {
  const w = new Writer(64)
  Update.encodeBody(w, u, ctx)
  return w.finish()
}

const decode = (body: ArrayLike<number>, ctx: Context.Context = ebgp): UpdateT | WireError.WireError => {
  const b = Uint8Array.from(body)
  return Update.decodeBody(b, 0, b.length, ctx)
}

const decodeOk = (body: ArrayLike<number>, ctx: Context.Context = ebgp): UpdateT => {
  const r = decode(body, ctx)
  if (WireError.isWireError(r)) throw new Error(`unexpected WireError: ${r.message}`)
  return r
}

const expectError = (r: UpdateT | WireError.WireError, code: number, subcode: number): WireError.WireError => {
  if (!WireError.isWireError(r)) throw new Error(`expected NOTIFICATION ${code}/${subcode}, got an Update`)
  expect([r.code, r.subcode]).toEqual([code, subcode])
  expect(r.reason).toBe("Update")
  return r
}

/** One attribute with a 1-byte length. */
const attr = (flags: number, code: number, value: ReadonlyArray<number>): Array<number> => [flags, code, value.length, ...value]
const ORIGIN = attr(0x40, 1, [0])
const AS_PATH = attr(0x40, 2, [2, 1, 0, 0, 0xfd, 0xe8]) // AS_SEQUENCE [65000], 4-octet
const NEXT_HOP = attr(0x40, 3, [192, 0, 2, 1])
const LOCAL_PREF = attr(0x40, 5, [0, 0, 0, 100])
const MANDATORY = [...ORIGIN, ...AS_PATH, ...NEXT_HOP]
/** MP_REACH_NLRI IPv6 unicast, next hop 2001:db8::1, NLRI 2001:db8::/32. */
const MP_REACH_V6 = attr(0x80, 14, [0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1, 0, 32, 0x20, 0x01, 0x0d, 0xb8])
/** MP_UNREACH_NLRI IPv6 unicast withdrawing 2001:db8::/32. */
const MP_UNREACH_V6 = attr(0x80, 15, [0, 2, 1, 32, 0x20, 0x01, 0x0d, 0xb8])

const body = (withdrawn: ReadonlyArray<number>, attrs: ReadonlyArray<number>, nlri: ReadonlyArray<number>): Array<number> => [
  withdrawn.length >>> 8,
  withdrawn.length & 0xff,
  ...withdrawn,
  attrs.length >>> 8,
  attrs.length & 0xff,
  ...attrs,
  ...nlri
]

const NLRI_10_8 = [8, 10]

// ---------------------------------------------------------------------------
// Canonical updates for a context

interface Case {
  readonly ctx: Context.Context
  readonly update: UpdateT
}

const contextArb: fc.Arbitrary<Context.Context> = fc
  .record({
    asn4: fc.boolean(),
    ebgp: fc.boolean(),
    addPath: fc.subarray([Ipv4Unicast, Ipv6Unicast, key(Afi.Ipv4, Safi.Multicast), key(Afi.Ipv6, Safi.Multicast)]),
    extendedNextHop: fc.subarray([Ipv4Unicast, key(Afi.Ipv4, Safi.Multicast)])
  })
  .map((c) => Context.make({ asn4: c.asn4, ebgp: c.ebgp, addPath: new Set(c.addPath), extendedNextHop: new Set(c.extendedNextHop) }))

const caseArb: fc.Arbitrary<Case> = contextArb.chain((ctx) => {
  const addPath = ctx.addPath.has(Ipv4Unicast)
  return fc
    .record(
      {
        withdrawn: prefixes(Afi.Ipv4, addPath, { maxLength: 20 }),
        attributes: Arb.attributes({ asn4: ctx.asn4, ebgp: ctx.ebgp }),
        nlri: prefixes(Afi.Ipv4, addPath, { maxLength: 20 }),
        mpReach: Arb.mpReach(ctx),
        mpUnreach: Arb.mpUnreach(ctx)
      },
      { requiredKeys: ["withdrawn", "attributes", "nlri"] }
    )
    .map((parts) => ({ ctx, update: Update.make(parts) }))
})

/** What decode adds to a canonical update: RFC 7606 §3 d treat-as-withdraw for missing mandatory attributes. */
const missingMandatory = (u: UpdateT): Array<number> => {
  if (!Update.hasReachability(u)) return []
  const a = u.attributes
  const missing: Array<number> = []
  if (a.origin === undefined) missing.push(1)
  if (a.asPath === undefined) missing.push(2)
  if (u.nlri.count > 0 && a.nextHop === undefined) missing.push(3)
  return missing
}

const parts = (u: UpdateT) => ({
  withdrawn: u.withdrawn,
  attributes: u.attributes,
  nlri: u.nlri,
  mpReach: u.mpReach,
  mpUnreach: u.mpUnreach
})

// ---------------------------------------------------------------------------

describe("Update round trips", () => {
  test("decodeBody(encodeBody(u)) == u for canonical updates", () => {
    fc.assert(
      fc.property(caseArb, ({ ctx, update }) => {
        const d = decodeOk(encode(update, ctx), ctx)
        expect(parts(d)).toEqual(parts(update))
        const missing = missingMandatory(update)
        expect(d.treatAsWithdraw).toBe(missing.length > 0)
        expect(d.issues.map((i) => i.code)).toEqual(missing)
      }),
      { numRuns: 300 }
    )
  })

  test("encodeBody(decodeBody(b)) == b for canonical bytes", () => {
    fc.assert(
      fc.property(caseArb, ({ ctx, update }) => {
        const bytes = encode(update, ctx)
        expect(encode(decodeOk(bytes, ctx), ctx)).toEqual(bytes)
      }),
      { numRuns: 300 }
    )
  })

  test("decoding a body in the middle of a larger buffer reads only its range", () => {
    fc.assert(
      fc.property(caseArb, fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), ({ ctx, update }, pre, post) => {
        const bytes = encode(update, ctx)
        const framed = new Uint8Array(pre.length + bytes.length + post.length)
        framed.set(pre)
        framed.set(bytes, pre.length)
        framed.set(post, pre.length + bytes.length)
        const d = Update.decodeBody(framed, pre.length, pre.length + bytes.length, ctx)
        expect(d).toEqual(decodeOk(bytes, ctx))
      }),
      { numRuns: 200 }
    )
  })
})

describe("Update decoding never throws", () => {
  test("random bodies yield an Update or a WireError", () => {
    fc.assert(
      fc.property(contextArb, fc.uint8Array({ maxLength: 300 }), (ctx, bytes) => {
        const r = Update.decodeBody(bytes, 0, bytes.length, ctx)
        expect(WireError.isWireError(r) || r._tag === "Update").toBe(true)
      }),
      { numRuns: 1000 }
    )
  })

  test("mutated and truncated valid bodies yield an Update or a WireError, and Updates re-encode", () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        ({ ctx, update }, edits, cut) => {
          const bytes = encode(update, ctx)
          for (const [at, v] of edits) if (bytes.length > 0) bytes[at % bytes.length] = v
          const end = cut % 3 === 0 ? cut % (bytes.length + 1) : bytes.length
          const r = Update.decodeBody(bytes, 0, end, ctx)
          if (!WireError.isWireError(r)) {
            expect(r._tag).toBe("Update")
            expect(() => encode(r, ctx)).not.toThrow()
          }
        }
      ),
      { numRuns: 500 }
    )
  })
})

describe("UPDATE field lengths (RFC 4271 §6.3, RFC 7606 §3 b)", () => {
  test("a body too short for the two length fields is 3/1 Malformed Attribute List", () => {
    expectError(decode([0, 0, 0]), 3, 1)
  })

  test("a Withdrawn Routes Length overrunning the message is 3/1", () => {
    expectError(decode([0, 5, 8, 10, 0, 0]), 3, 1)
  })

  test("a Total Path Attribute Length overrunning the message is 3/1", () => {
    expectError(decode([0, 0, 0, 8, ...ORIGIN]), 3, 1)
  })

  test("lengths that exactly fill the message are accepted", () => {
    const u = decodeOk(body([8, 10], MANDATORY, NLRI_10_8))
    expect(showAll(u.withdrawn)).toEqual(["10.0.0.0/8"])
    expect(showAll(u.nlri)).toEqual(["10.0.0.0/8"])
  })
})

describe("Withdrawn Routes and NLRI syntax (RFC 7606 §5.3)", () => {
  // RFC 7606 §3 i: Withdrawn Routes are checked in the same manner as the NLRI field, so the same subcode.
  test("a withdrawn prefix longer than 32 bits is a session reset, 3/10 Invalid Network Field", () => {
    expectError(decode(body([33, 1, 2, 3, 4, 5], [], [])), 3, 10)
  })

  test("a withdrawn prefix running past the field is a session reset, 3/10 Invalid Network Field", () => {
    expectError(decode(body([24, 10, 0], [], [])), 3, 10)
  })

  test("an NLRI prefix longer than 32 bits is 3/10 Invalid Network Field", () => {
    expectError(decode(body([], MANDATORY, [33, 1, 2, 3, 4, 5])), 3, 10)
  })

  test("an NLRI prefix running past the message is 3/10 Invalid Network Field", () => {
    expectError(decode(body([], MANDATORY, [24, 10, 0])), 3, 10)
  })
})

describe("ADD-PATH (RFC 7911 §3)", () => {
  const addPath = Context.make({ addPath: new Set([Ipv4Unicast]) })

  test("path identifiers are read before withdrawn and announced IPv4 prefixes when negotiated", () => {
    const u = decodeOk(body([0, 0, 0, 7, 8, 10], MANDATORY, [0, 0, 1, 0, 16, 192, 168]), addPath)
    expect(Prefixes.toEntries(u.withdrawn)).toEqual([{ address: Uint8Array.of(10, 0, 0, 0), length: 8, pathId: 7 }])
    expect(Prefixes.toEntries(u.nlri)).toEqual([{ address: Uint8Array.of(192, 168, 0, 0), length: 16, pathId: 256 }])
  })

  test("the same bytes without ADD-PATH are read as plain prefixes", () => {
    // Without path ids, 0 0 0 are three /0 prefixes and 7 8 is 8.0.0.0/7.
    const u = decodeOk(body([0, 0, 0, 7, 8], [], []))
    expect(showAll(u.withdrawn)).toEqual(["0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0", "8.0.0.0/7"])
  })

  test("path identifiers are written when ADD-PATH send is negotiated", () => {
    const p = Prefixes.fromEntries(Afi.Ipv4, [v4("10.0.0.0/8", 9)], true)
    const bytes = encode(Update.make({ withdrawn: p }), addPath)
    expect(Array.from(bytes)).toEqual([0, 6, 0, 0, 0, 9, 8, 10, 0, 0])
  })
})

describe("Missing well-known mandatory attributes (RFC 7606 §3 d)", () => {
  test("ORIGIN missing with IPv4 NLRI → treat-as-withdraw", () => {
    const u = decodeOk(body([], [...AS_PATH, ...NEXT_HOP], NLRI_10_8))
    expect(u.treatAsWithdraw).toBe(true)
    expect(u.issues).toEqual([expect.objectContaining({ code: 1, action: "treat-as-withdraw" })])
    expect(showAll(u.nlri)).toEqual(["10.0.0.0/8"])
  })

  test("AS_PATH missing with IPv4 NLRI → treat-as-withdraw", () => {
    const u = decodeOk(body([], [...ORIGIN, ...NEXT_HOP], NLRI_10_8))
    expect(u.treatAsWithdraw).toBe(true)
    expect(u.issues.map((i) => i.code)).toEqual([2])
  })

  test("NEXT_HOP missing with IPv4 NLRI → treat-as-withdraw", () => {
    const u = decodeOk(body([], [...ORIGIN, ...AS_PATH], NLRI_10_8))
    expect(u.treatAsWithdraw).toBe(true)
    expect(u.issues.map((i) => i.code)).toEqual([3])
  })

  test("NEXT_HOP is not required for an MP_REACH_NLRI-only UPDATE (RFC 4760 §3)", () => {
    const u = decodeOk(body([], [...MP_REACH_V6, ...ORIGIN, ...AS_PATH], []))
    expect(u.treatAsWithdraw).toBe(false)
    expect(u.issues).toEqual([])
    expect(u.mpReach?.afi).toBe(Afi.Ipv6)
  })

  test("ORIGIN missing in an MP_REACH_NLRI UPDATE → treat-as-withdraw, and the MP NLRI stays for withdrawal", () => {
    const u = decodeOk(body([], [...MP_REACH_V6, ...AS_PATH], []))
    expect(u.treatAsWithdraw).toBe(true)
    expect(u.issues.map((i) => i.code)).toEqual([1])
    expect(u.mpReach?.nlri).toEqual(ipv6("2001:db8::/32"))
  })

  test("an UPDATE with only withdrawals needs no attributes", () => {
    const u = decodeOk(body([8, 10], [], []))
    expect(u.treatAsWithdraw).toBe(false)
    expect(u.issues).toEqual([])
  })

  test("an UPDATE with only MP_UNREACH_NLRI needs no other attribute", () => {
    const u = decodeOk(body([], MP_UNREACH_V6, []))
    expect(u.treatAsWithdraw).toBe(false)
    expect(u.mpUnreach?.withdrawn).toEqual(ipv6("2001:db8::/32"))
  })

  test("LOCAL_PREF missing from an internal peer is tolerated", () => {
    const u = decodeOk(body([], MANDATORY, NLRI_10_8), ibgp)
    expect(u.treatAsWithdraw).toBe(false)
    expect(u.attributes.localPref).toBeUndefined()
    expect(decodeOk(body([], [...MANDATORY, ...LOCAL_PREF], NLRI_10_8), ibgp).attributes.localPref).toBe(100)
  })

  test("a mandatory attribute dropped as malformed is reported once, not again as missing", () => {
    const u = decodeOk(body([], [...attr(0x40, 1, [9]), ...AS_PATH, ...NEXT_HOP], NLRI_10_8))
    expect(u.treatAsWithdraw).toBe(true)
    expect(u.issues.map((i) => i.code)).toEqual([1])
  })
})

describe("Attribute errors that reach the UPDATE", () => {
  test("a session-reset error from the attributes is returned as is (RFC 7606 §3 g: MP_UNREACH twice → 3/1)", () => {
    expectError(decode(body([], [...MP_UNREACH_V6, ...MP_UNREACH_V6], [])), 3, 1)
  })

  test("treat-as-withdraw from a malformed attribute marks IPv4 and MP NLRI withdrawn together", () => {
    // COMMUNITIES of 3 bytes: RFC 7606 §7.8 treat-as-withdraw.
    const u = decodeOk(body([], [...MP_REACH_V6, ...MANDATORY, ...attr(0xc0, 8, [1, 2, 3])], NLRI_10_8))
    expect(u.treatAsWithdraw).toBe(true)
    expect(showAll(u.nlri)).toEqual(["10.0.0.0/8"])
    expect(u.mpReach?.nlri).toEqual(ipv6("2001:db8::/32"))
  })

  test("an attribute error needing more than discard in an UPDATE without reachable NLRI is a session reset (RFC 7606 §5.2)", () => {
    // COMMUNITIES of 3 bytes: RFC 4271 §6.3 Attribute Length Error, data = the attribute (RFC 7606 §3 a).
    const communities = attr(0xc0, 8, [1, 2, 3])
    const e = expectError(decode(body([8, 10], communities, [])), 3, 5)
    expect(Array.from(e.data)).toEqual(communities)
  })

  test("RFC 7606 §5.2: the reset carries the subcode of the error, e.g. 3/6 for an undefined ORIGIN value", () => {
    const origin = attr(0x40, 1, [3])
    const e = expectError(decode(body([], [...origin, ...AS_PATH], [])), 3, 6)
    expect(Array.from(e.data)).toEqual(origin)
  })

  test("RFC 7606 §5.2: a malformed AS_PATH with nothing reachable resets with 3/11 Malformed AS_PATH", () => {
    const e = expectError(decode(body([], [...ORIGIN, ...attr(0x40, 2, [2, 0])], [])), 3, 11)
    expect(e.data.length).toBe(0)
  })

  test("RFC 7606 §5.2: an attribute list that stops framing with nothing reachable resets with 3/1", () => {
    expectError(decode(body([], [...ORIGIN, 0x40, 0x02], [])), 3, 1)
  })

  test("RFC 7606 §5.2: an MP_REACH_NLRI without NLRI encodes nothing reachable, so its attribute errors reset", () => {
    const emptyReach = attr(0x80, 14, [0, 2, 1, 16, 0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1, 0])
    expectError(decode(body([], [...emptyReach, ...attr(0x40, 1, [7]), ...AS_PATH], [])), 3, 6)
  })

  test("RFC 7606 §5.2: the same malformed attribute beside reachable NLRI is treat-as-withdraw, not a reset", () => {
    const u = decodeOk(body([], [...attr(0x40, 1, [3]), ...AS_PATH, ...NEXT_HOP], NLRI_10_8))
    expect(u.treatAsWithdraw).toBe(true)
  })

  test("an attribute-discard error in an UPDATE without reachable NLRI is not escalated (RFC 7606 §5.2)", () => {
    // ATOMIC_AGGREGATE with a value: RFC 7606 §7.6 attribute discard.
    const u = decodeOk(body([8, 10], attr(0x40, 6, [1]), []))
    expect(u.treatAsWithdraw).toBe(false)
    expect(u.issues.map((i) => i.action)).toEqual(["discard"])
  })
})

describe("End-of-RIB (RFC 4724 §2)", () => {
  test("IPv4 unicast End-of-RIB is the empty UPDATE", () => {
    expect(Array.from(encode(Update.endOfRib(Afi.Ipv4, Safi.Unicast), ebgp))).toEqual([0, 0, 0, 0])
    expect(Update.isEndOfRib(decodeOk([0, 0, 0, 0]))).toBe(Ipv4Unicast)
  })

  test("IPv6 unicast End-of-RIB is an UPDATE with only an empty MP_UNREACH_NLRI", () => {
    const bytes = encode(Update.endOfRib(Afi.Ipv6, Safi.Unicast), ebgp)
    expect(Array.from(bytes)).toEqual([0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1])
    expect(Update.isEndOfRib(decodeOk(bytes))).toBe(Ipv6Unicast)
  })

  test("End-of-RIB for a family whose NLRI are not decoded round-trips too", () => {
    const bytes = encode(Update.endOfRib(25, 70), ebgp)
    expect(Update.isEndOfRib(decodeOk(bytes))).toBe(key(25, 70))
  })

  test("UPDATEs with routes, attributes or MP_REACH are not End-of-RIB", () => {
    expect(Update.isEndOfRib(decodeOk(body([8, 10], [], [])))).toBeUndefined()
    expect(Update.isEndOfRib(decodeOk(body([], MP_UNREACH_V6, [])))).toBeUndefined()
    expect(Update.isEndOfRib(decodeOk(body([], [...MP_UNREACH_V6.slice(0, 2), 3, 0, 2, 1, ...ORIGIN], [])))).toBeUndefined()
    expect(Update.isEndOfRib(decodeOk(body([], [...MP_REACH_V6, ...ORIGIN, ...AS_PATH], [])))).toBeUndefined()
    expect(Update.isEndOfRib(decodeOk(body([], attr(0x40, 6, [1]), [])))).toBeUndefined()
  })
})

describe("Building updates", () => {
  const attributes: Attributes = { origin: 0, asPath: [{ type: 2, asns: [65000] }] }

  test("make fills absent fields with empty ones", () => {
    const u = Update.make()
    expect(u.withdrawn.count).toBe(0)
    expect(u.nlri.count).toBe(0)
    expect(u.attributes).toEqual({})
    expect(u.mpReach).toBeUndefined()
    expect("mpReach" in u).toBe(false)
    expect(u.treatAsWithdraw).toBe(false)
  })

  test("announce puts IPv4 unicast with an IPv4 next hop in the NLRI field with NEXT_HOP", () => {
    const u = Update.announce(attributes, { afi: 1, safi: 1, nextHop: Uint8Array.of(192, 0, 2, 1), prefixes: ipv4("10.0.0.0/8") })
    expect(u.mpReach).toBeUndefined()
    expect(u.attributes.nextHop).toEqual(Uint8Array.of(192, 0, 2, 1))
    expect(decodeOk(encode(u, ebgp)).treatAsWithdraw).toBe(false)
  })

  test("announce takes the IPv4 next hop from the attributes when none is given", () => {
    const u = Update.announce({ ...attributes, nextHop: Uint8Array.of(192, 0, 2, 9) }, { afi: 1, safi: 1, prefixes: ipv4("10.0.0.0/8") })
    expect(u.attributes.nextHop).toEqual(Uint8Array.of(192, 0, 2, 9))
  })

  test("announce puts IPv6 routes in MP_REACH_NLRI and drops a NEXT_HOP attribute", () => {
    const nh = new Uint8Array(16).fill(1)
    const u = Update.announce({ ...attributes, nextHop: Uint8Array.of(192, 0, 2, 9) }, { afi: 2, safi: 1, nextHop: nh, prefixes: ipv6("2001:db8::/32") })
    expect(u.mpReach).toEqual({ afi: 2, safi: 1, nextHop: nh, nlri: ipv6("2001:db8::/32") })
    expect(u.attributes.nextHop).toBeUndefined()
    expect(u.nlri.count).toBe(0)
  })

  test("announce puts IPv4 routes with an IPv6 next hop in MP_REACH_NLRI (RFC 8950)", () => {
    const nh = new Uint8Array(16).fill(1)
    const u = Update.announce(attributes, { afi: 1, safi: 1, nextHop: nh, prefixes: ipv4("10.0.0.0/8") })
    expect(u.mpReach?.afi).toBe(1)
    expect(u.mpReach?.nextHop).toEqual(nh)
  })

  test("announce without any next hop throws", () => {
    expect(() => Update.announce(attributes, { afi: 2, safi: 1, prefixes: ipv6("2001:db8::/32") })).toThrow(RangeError)
  })

  test("withdraw uses the Withdrawn Routes field for IPv4 unicast and MP_UNREACH_NLRI otherwise", () => {
    expect(Update.withdraw(1, 1, ipv4("10.0.0.0/8")).withdrawn.count).toBe(1)
    expect(Update.withdraw(2, 1, ipv6("2001:db8::/32")).mpUnreach?.withdrawn).toEqual(ipv6("2001:db8::/32"))
    expect(Update.withdraw(1, 2, ipv4("10.0.0.0/8")).mpUnreach?.safi).toBe(2)
  })

  test("encoding IPv6 prefixes in the IPv4 NLRI field is a caller bug", () => {
    expect(() => encode(Update.make({ nlri: ipv6("2001:db8::/32") }), ebgp)).toThrow(RangeError)
  })
})
