import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { Attributes, UnknownAttribute } from "../src/Attributes.js"
import { AttrFlag, AttrType, SegmentType } from "../src/Attributes.js"
import { AS_TRANS } from "../src/AsPath.js"
import * as Context from "../src/Context.js"
import * as Family from "../src/Family.js"
import type { MpReach, MpUnreach } from "../src/Message.js"
import * as Prefixes from "../src/Prefixes.js"
import { WireError } from "../src/WireError.js"
import {
  attributesByteLength,
  decodePathAttributes,
  encodeAttributes,
  encodeMpReach,
  encodeMpUnreach,
  encodePathAttributes,
  mpReachByteLength,
  mpUnreachByteLength,
  pathAttributesByteLength,
  type DecodedAttributes
} from "../src/internal/PathAttributes.js"
import { Writer } from "../src/internal/Writer.js"
import * as Arb from "./arbitraries/Attributes.js"
import { ipv6, prefixes } from "./arbitraries/Prefixes.js"

const hex = (s: string): Uint8Array => Uint8Array.from((s.replace(/\s+/g, "").match(/../g) ?? []).map((h) => parseInt(h, 16)))

const encode = (
  a: Attributes,
  ctx: Context.Context,
  mpReach: MpReach | undefined = undefined,
  mpUnreach: MpUnreach | undefined = undefined
): Uint8Array => {
  const w = new Writer(16)
  encodePathAttributes(w, a, mpReach, mpUnreach, ctx)
  return w.finish()
}

const decode = (b: Uint8Array, ctx: Context.Context): DecodedAttributes | WireError => decodePathAttributes(b, 0, b.length, ctx)

const decoded = (b: Uint8Array, ctx: Context.Context): DecodedAttributes => {
  const r = decode(b, ctx)
  if (r instanceof WireError) throw new Error(`unexpected reset: ${r.message}`)
  return r
}

/** Attribute headers of a field: [flags, code, value length, header length]. */
const headers = (b: Uint8Array): Array<[number, number, number, number]> => {
  const out: Array<[number, number, number, number]> = []
  let o = 0
  while (o < b.length) {
    const flags = b[o]!
    const ext = (flags & AttrFlag.ExtendedLength) !== 0
    const len = ext ? (b[o + 2]! << 8) | b[o + 3]! : b[o + 2]!
    out.push([flags, b[o + 1]!, len, ext ? 4 : 3])
    o += (ext ? 4 : 3) + len
  }
  return out
}

const mpCtx = {
  addPath: new Set([Family.Ipv4Unicast, Family.Ipv6Unicast]),
  extendedNextHop: new Set([Family.Ipv4Unicast])
}

const contexts: ReadonlyArray<readonly [string, Context.Context, Arb.AttributeOptions]> = [
  ["iBGP, 4-octet AS, ADD-PATH", Context.make({ asn4: true, ebgp: false, ...mpCtx }), { asn4: true, ebgp: false }],
  ["eBGP route server (no peer AS check), 4-octet AS", Context.make({ asn4: true, ebgp: true }), { asn4: true, ebgp: true }],
  ["iBGP, 2-octet AS", Context.make({ asn4: false, ebgp: false, ...mpCtx }), { asn4: false, ebgp: false }],
  ["eBGP, 2-octet AS", Context.make({ asn4: false, ebgp: true }), { asn4: false, ebgp: true }]
]

const optionalMp = <A>(arb: fc.Arbitrary<A>): fc.Arbitrary<A | undefined> => fc.option(arb, { nil: undefined, freq: 2 })

describe("round trips", () => {
  for (const [name, ctx, opts] of contexts) {
    test(`decode(encode(a)) == a for canonical attributes (${name})`, () => {
      fc.assert(
        fc.property(Arb.attributes(opts), optionalMp(Arb.mpReach(ctx)), optionalMp(Arb.mpUnreach(ctx)), (a, reach, unreach) => {
          const r = decoded(encode(a, ctx, reach, unreach), ctx)
          expect(r).toEqual({ attributes: a, mpReach: reach, mpUnreach: unreach, issues: [], treatAsWithdraw: false, withdrawNotice: undefined })
        }),
        { numRuns: 300 }
      )
    })

    test(`encode(decode(b)) == b for canonical bytes (${name})`, () => {
      fc.assert(
        fc.property(Arb.attributes(opts), optionalMp(Arb.mpReach(ctx)), optionalMp(Arb.mpUnreach(ctx)), (a, reach, unreach) => {
          const b = encode(a, ctx, reach, unreach)
          const r = decoded(b, ctx)
          expect(encode(r.attributes, ctx, r.mpReach, r.mpUnreach)).toEqual(b)
        }),
        { numRuns: 300 }
      )
    })
  }

  test("an eBGP path that starts with the peer AS survives the leftmost-AS check", () => {
    const ctx = Context.make({ asn4: true, ebgp: true, peerAs: 65001 })
    const arb = Arb.attributes({ asn4: true, ebgp: true }).map(
      (a): Attributes => ({ ...a, asPath: [{ type: SegmentType.AsSequence, asns: [65001] }, ...(a.asPath ?? [])] })
    )
    fc.assert(
      fc.property(arb, (a) => {
        expect(decoded(encode(a, ctx), ctx).attributes).toEqual(a)
      }),
      { numRuns: 200 }
    )
  })
})

describe("robustness", () => {
  const ctxs = contexts.map(([, c]) => c)

  test("random bytes never throw and yield attributes or a WireError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(...ctxs), (b, ctx) => {
        const r = decode(b, ctx)
        expect(r instanceof WireError || (typeof r === "object" && Array.isArray(r.issues))).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  test("attribute-shaped random input never throws", () => {
    // Random headers with plausible codes and lengths reach the per-attribute checks more often than noise does.
    const attr = fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 25, 32, 35, 99), fc.uint8Array({ maxLength: 40 }))
      .map(([flags, code, v]) => {
        const ext = (flags & AttrFlag.ExtendedLength) !== 0
        return Uint8Array.from([flags, code, ...(ext ? [v.length >>> 8, v.length & 0xff] : [v.length]), ...v])
      })
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 6 }), fc.constantFrom(...ctxs), (parts, ctx) => {
        const b = Uint8Array.from(parts.flatMap((p) => Array.from(p)))
        const r = decode(b, ctx)
        expect(r instanceof WireError || Array.isArray(r.issues)).toBe(true)
      }),
      { numRuns: 2000 }
    )
  })

  test("mutated canonical bytes never throw, and what they decode to re-encodes to the same attributes", () => {
    const sortUnknown = (u: ReadonlyArray<UnknownAttribute> | undefined) => u?.slice().sort((x, y) => x.code - y.code)
    for (const [, ctx, opts] of contexts) {
      fc.assert(
        fc.property(
          Arb.attributes(opts),
          optionalMp(Arb.mpReach(ctx)),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (a, reach, edits) => {
            const b = encode(a, ctx, reach)
            if (b.length === 0) return
            for (const [i, v] of edits) b[i % b.length] = v
            const r = decode(b, ctx)
            if (r instanceof WireError) return
            const again = decoded(encode(r.attributes, ctx, r.mpReach, r.mpUnreach), ctx)
            expect(again.issues).toEqual([])
            expect({ ...again.attributes, unknown: sortUnknown(again.attributes.unknown) }).toEqual({
              ...r.attributes,
              unknown: sortUnknown(r.attributes.unknown)
            })
            expect(again.mpReach).toEqual(r.mpReach)
            expect(again.mpUnreach).toEqual(r.mpUnreach)
          }
        ),
        { numRuns: 300 }
      )
    }
  })

  test("decoding reads only [start, end): the same field inside a larger buffer decodes the same", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.constantFrom(...ctxs),
        (field, before, after, ctx) => {
          const buf = Uint8Array.from([...before, ...field, ...after])
          expect(decodePathAttributes(buf, before.length, before.length + field.length, ctx)).toEqual(decode(field, ctx))
        }
      ),
      { numRuns: 1000 }
    )
  })
})

describe("encoding", () => {
  const ctx = Context.make({ asn4: true, ebgp: false, ...mpCtx })
  const opts = { asn4: true, ebgp: false }

  test("MP_REACH_NLRI and MP_UNREACH_NLRI come first, then ascending type codes", () => {
    fc.assert(
      fc.property(Arb.attributes(opts), optionalMp(Arb.mpReach(ctx)), optionalMp(Arb.mpUnreach(ctx)), (a, reach, unreach) => {
        const codes = headers(encode(a, ctx, reach, unreach)).map(([, code]) => code)
        const mp = [...(reach ? [AttrType.MpReachNlri] : []), ...(unreach ? [AttrType.MpUnreachNlri] : [])]
        expect(codes.slice(0, mp.length)).toEqual(mp)
        const rest = codes.slice(mp.length)
        expect(rest).toEqual(rest.slice().sort((x, y) => x - y))
      }),
      { numRuns: 300 }
    )
  })

  test("unknown attributes are merged in by code even when given out of order", () => {
    const unknown: Array<UnknownAttribute> = [
      { flags: 0xe0, code: 200, value: Uint8Array.of(1) },
      { flags: 0xe0, code: 11, value: Uint8Array.of(2) },
      { flags: 0xe0, code: 0, value: Uint8Array.of() }
    ]
    const codes = headers(encode({ origin: 0, med: 5, otc: 7, unknown }, ctx)).map(([, c]) => c)
    expect(codes).toEqual([0, AttrType.Origin, AttrType.Med, 11, AttrType.Otc, 200])
  })

  test("Extended Length is set exactly when a value exceeds 255 bytes", () => {
    fc.assert(
      fc.property(Arb.attributes(opts), optionalMp(Arb.mpReach(ctx)), (a, reach) => {
        for (const [flags, , len] of headers(encode(a, ctx, reach))) {
          expect((flags & AttrFlag.ExtendedLength) !== 0).toBe(len > 255)
        }
      }),
      { numRuns: 300 }
    )
    const big = encode({ communities: new Uint32Array(64) }, ctx)
    expect(Array.from(big.subarray(0, 4))).toEqual([0xd0, 8, 1, 0])
    const small = encode({ communities: new Uint32Array(63) }, ctx)
    expect(Array.from(small.subarray(0, 3))).toEqual([0xc0, 8, 252])
  })

  test("unknown attributes are written with their O/T/Partial bits; unused low bits are cleared", () => {
    const b = encode({ unknown: [{ flags: 0xef, code: 99, value: Uint8Array.of(7) }] }, ctx)
    expect(Array.from(b)).toEqual([0xe0, 99, 1, 7])
  })

  test("attributesByteLength and pathAttributesByteLength are exact", () => {
    fc.assert(
      fc.property(Arb.attributes(opts), optionalMp(Arb.mpReach(ctx)), optionalMp(Arb.mpUnreach(ctx)), (a, reach, unreach) => {
        const w = new Writer(8)
        encodeAttributes(w, a, ctx)
        expect(attributesByteLength(a, ctx)).toBe(w.offset)
        expect(pathAttributesByteLength(a, reach, unreach, ctx)).toBe(encode(a, ctx, reach, unreach).length)
      }),
      { numRuns: 300 }
    )
  })

  test("encodeMpReach and encodeMpUnreach write exactly the prefixes [from, to) and the sizes predicted", () => {
    const v6 = Family.Ipv6Unicast
    const arb = fc.tuple(prefixes(Family.Afi.Ipv6, true, { maxLength: 80 }), fc.nat(), fc.nat())
    fc.assert(
      fc.property(arb, ([nlri, x, y]) => {
        const from = nlri.count === 0 ? 0 : x % (nlri.count + 1)
        const to = from + (nlri.count === 0 ? 0 : y % (nlri.count - from + 1))
        const reach: MpReach = { afi: 2, safi: 1, nextHop: new Uint8Array(16).fill(1), nlri }
        const w = new Writer(8)
        encodeMpReach(w, reach, ctx, from, to)
        const nlriBytes = Prefixes.rangeSize(nlri, from, to, ctx.addPath.has(v6))
        expect(w.offset).toBe(mpReachByteLength(16, nlriBytes))
        const u = new Writer(8)
        encodeMpUnreach(u, { afi: 2, safi: 1, withdrawn: nlri }, ctx, from, to)
        expect(u.offset).toBe(mpUnreachByteLength(nlriBytes))
        const got = decoded(Uint8Array.from([...w.finish(), ...u.finish()]), ctx)
        const want = Prefixes.toEntries(Prefixes.slice(nlri, from, to))
        expect(Prefixes.toEntries(got.mpReach!.nlri as Prefixes.Prefixes)).toEqual(want)
        expect(Prefixes.toEntries(got.mpUnreach!.withdrawn as Prefixes.Prefixes)).toEqual(want)
      }),
      { numRuns: 300 }
    )
  })

  test("on a 2-octet session AS numbers above 65535 are written as AS_TRANS in AS_PATH and AGGREGATOR", () => {
    const old = Context.make({ asn4: false, ebgp: false })
    const a: Attributes = {
      asPath: [{ type: SegmentType.AsSequence, asns: [65001, 4200000000] }],
      aggregator: { asn: 4200000001, address: 0xc0000201 }
    }
    expect(encode(a, old)).toEqual(hex("40 02 06 02 02 fde9 5ba0  c0 07 06 5ba0 c0000201"))
    expect(decoded(encode(a, old), old).attributes).toEqual({
      asPath: [{ type: SegmentType.AsSequence, asns: [65001, AS_TRANS] }],
      aggregator: { asn: AS_TRANS, address: 0xc0000201 }
    })
  })

  test("AS4_PATH and AS4_AGGREGATOR are written on 2-octet sessions only", () => {
    const a: Attributes = {
      as4Path: [{ type: SegmentType.AsSequence, asns: [4200000000] }],
      as4Aggregator: { asn: 4200000000, address: 1 }
    }
    expect(encode(a, Context.make({ asn4: true }))).toEqual(new Uint8Array(0))
    expect(headers(encode(a, Context.make({ asn4: false }))).map(([, c]) => c)).toEqual([AttrType.As4Path, AttrType.As4Aggregator])
  })

  test("confederation segments are never written in AS4_PATH (RFC 6793 §4.2.2)", () => {
    const old = Context.make({ asn4: false })
    const a: Attributes = {
      as4Path: [
        { type: SegmentType.ConfedSequence, asns: [65010] },
        { type: SegmentType.AsSequence, asns: [4200000000] }
      ]
    }
    expect(encode(a, old)).toEqual(hex("c0 11 06 02 01 fa56ea00"))
    expect(encode({ as4Path: [{ type: SegmentType.ConfedSet, asns: [65010] }] }, old)).toEqual(new Uint8Array(0))
  })

  test("segments longer than 255 AS numbers are split; empty segments and empty lists are not written", () => {
    const asns = Array.from({ length: 300 }, (_, i) => i + 1)
    const a: Attributes = {
      asPath: [{ type: SegmentType.AsSequence, asns }, { type: SegmentType.AsSet, asns: [] }],
      communities: new Uint32Array(0),
      largeCommunities: new Uint32Array(0)
    }
    const r = decoded(encode(a, ctx), ctx)
    expect(r.attributes).toEqual({
      asPath: [
        { type: SegmentType.AsSequence, asns: asns.slice(0, 255) },
        { type: SegmentType.AsSequence, asns: asns.slice(255) }
      ]
    })
  })
})

describe("golden vectors (hand-assembled from the RFC 4271 / RFC 4760 layouts)", () => {
  const ibgp = Context.make({ asn4: true, ebgp: false })

  test("a typical iBGP attribute set decodes and re-encodes byte for byte", () => {
    const b = hex(`
      40 01 01 00
      40 02 0a 02 02 0000fde9 0000fdea
      40 03 04 c0000201
      80 04 04 00000064
      40 05 04 000000c8
      c0 08 04 fde90064
      c0 20 0c 0000fde9 00000001 00000002`)
    const a: Attributes = {
      origin: 0,
      asPath: [{ type: SegmentType.AsSequence, asns: [65001, 65002] }],
      nextHop: Uint8Array.of(192, 0, 2, 1),
      med: 100,
      localPref: 200,
      communities: Uint32Array.of(0xfde90064),
      largeCommunities: Uint32Array.of(65001, 1, 2)
    }
    expect(decoded(b, ibgp)).toEqual({ attributes: a, mpReach: undefined, mpUnreach: undefined, issues: [], treatAsWithdraw: false, withdrawNotice: undefined })
    expect(encode(a, ibgp)).toEqual(b)
  })

  test("an IPv6 MP_REACH_NLRI with a global and a link-local next hop", () => {
    const b = hex(`
      80 0e 31 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00
      20 20010db8  30 20010db80001`)
    const reach: MpReach = {
      afi: 2,
      safi: 1,
      nextHop: hex("20010db8000000000000000000000001 fe800000000000000000000000000001"),
      nlri: ipv6("2001:db8::/32", "2001:db8:1::/48")
    }
    expect(decoded(b, ibgp).mpReach).toEqual(reach)
    expect(encode({}, ibgp, reach)).toEqual(b)
  })

  test("an IPv4 MP_UNREACH_NLRI with ADD-PATH path identifiers", () => {
    const ctx = Context.make({ asn4: true, ebgp: false, addPath: new Set([Family.Ipv4Unicast]) })
    const b = hex("80 0f 10 0001 01 00000007 18 0a0000 00000000 00")
    const withdrawn = Prefixes.fromEntries(1, [
      { address: Uint8Array.of(10, 0, 0), length: 24, pathId: 7 },
      { address: new Uint8Array(0), length: 0, pathId: 0 }
    ], true)
    expect(decoded(b, ctx).mpUnreach).toEqual({ afi: 1, safi: 1, withdrawn })
    expect(encode({}, ctx, undefined, { afi: 1, safi: 1, withdrawn })).toEqual(b)
  })
})
