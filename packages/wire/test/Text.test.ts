import { describe, expect, test } from "bun:test"
import { Effect, Either } from "effect"
import fc from "fast-check"
import { Address6 } from "ip-address"
import { SegmentType, type AsPath, type AsPathSegment, type Attributes } from "../src/Attributes.js"
import { Afi } from "../src/Family.js"
import * as Prefixes from "../src/Prefixes.js"
import * as Text from "../src/Text.js"
import { prefixes } from "./arbitraries/Prefixes.js"

/** The right side, or a test failure that shows the error. */
const ok = <A>(r: Text.Parsed<A>): A => {
  if (Either.isLeft(r)) throw new Error(`expected success, got ${r.left.message}`)
  return r.right
}

/** The error, checked to name the input and the reason. */
const err = <A>(r: Text.Parsed<A>, reason: Text.TextErrorReason, input: string): Text.TextError => {
  if (Either.isRight(r)) throw new Error(`expected a ${reason} error for ${JSON.stringify(input)}, got ${String(r.right)}`)
  expect(r.left).toBeInstanceOf(Text.TextError)
  expect(r.left._tag).toBe("TextError")
  expect(r.left.reason).toBe(reason)
  expect(r.left.input).toBe(input)
  expect(r.left.message).toContain(JSON.stringify(input))
  return r.left
}

const bytes = (...xs: Array<number>): Uint8Array => Uint8Array.from(xs)

const seg = (type: AsPathSegment["type"], ...asns: Array<number>): AsPathSegment => ({ type, asns })

/** 16 address bytes with many zero groups, so "::" runs of every length occur. */
const v6Bytes = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((gs) => {
    const b = new Uint8Array(16)
    gs.forEach((g, i) => {
      b[2 * i] = g >>> 8
      b[2 * i + 1] = g & 0xff
    })
    return b
  })

describe("Text addresses", () => {
  test("parses IPv4 and IPv6 into family and bytes", () => {
    expect(ok(Text.parseAddress("192.0.2.1"))).toEqual({ afi: Afi.Ipv4, bytes: bytes(192, 0, 2, 1) })
    const v6 = ok(Text.parseAddress("2001:db8::1"))
    expect(v6.afi).toBe(Afi.Ipv6)
    expect(v6.bytes).toEqual(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))
  })

  test("prints IPv6 in RFC 5952 form", () => {
    const canon = (s: string): string => Text.formatAddress(ok(Text.parseAddress(s)).bytes)
    expect(canon("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1")
    // §4.2.2: a single zero group is not compressed.
    expect(canon("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1")
    // §4.2.3: the longest run is compressed, the first one on a tie.
    expect(canon("2001:0:0:1:0:0:0:1")).toBe("2001:0:0:1::1")
    expect(canon("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1")
    expect(canon("0:0:0:0:0:0:0:0")).toBe("::")
    expect(canon("0:0:0:0:0:0:0:1")).toBe("::1")
    expect(canon("1:0:0:0:0:0:0:0")).toBe("1::")
  })

  test("prints IPv4-mapped IPv6 addresses with a dotted quad (RFC 5952 §5)", () => {
    expect(Text.formatAddress(ok(Text.parseAddress("::ffff:192.0.2.1")).bytes)).toBe("::ffff:192.0.2.1")
    expect(Text.formatAddress(ok(Text.parseAddress("::FFFF:c000:0201")).bytes)).toBe("::ffff:192.0.2.1")
  })

  test("format then parse gives the same bytes, and IPv6 text agrees with ip-address where both apply", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(ok(Text.parseAddress(Text.formatAddress(b))).bytes).toEqual(b)
      }),
      { numRuns: 500 }
    )
    fc.assert(
      fc.property(v6Bytes, (b) => {
        const text = Text.formatAddress(b)
        expect(ok(Text.parseAddress(text)).bytes).toEqual(b)
        const mapped = text.startsWith("::ffff:") && text.includes(".")
        if (!mapped) expect(text).toBe(Address6.fromByteArray(Array.from(b)).correctForm())
      }),
      { numRuns: 500 }
    )
  })

  test("rejects malformed addresses naming the problem", () => {
    expect(err(Text.parseAddress("010.0.0.1"), "Address", "010.0.0.1").detail).toContain("leading zero")
    expect(err(Text.parseAddress("1.2.3"), "Address", "1.2.3").detail).toContain("IPv4")
    expect(err(Text.parseAddress("256.0.0.1"), "Address", "256.0.0.1").detail).toContain("IPv4")
    expect(err(Text.parseAddress("1::2::3"), "Address", "1::2::3").detail).toContain("IPv6")
    expect(err(Text.parseAddress("fe80::1%eth0"), "Address", "fe80::1%eth0").detail).toContain("zone")
    expect(err(Text.parseAddress("10.0.0.0/8"), "Address", "10.0.0.0/8").detail).toContain("/length")
    expect(err(Text.parseAddress(""), "Address", "").detail).toContain("empty")
  })

  test("ignores surrounding whitespace but not inner whitespace", () => {
    expect(ok(Text.parseAddress("  192.0.2.1\n")).bytes).toEqual(bytes(192, 0, 2, 1))
    err(Text.parseAddress("192.0. 2.1"), "Address", "192.0. 2.1")
  })

  test("IPv4 as a 32-bit number round-trips", () => {
    expect(ok(Text.ipv4ToNumber("10.0.0.1"))).toBe(0x0a000001)
    expect(ok(Text.ipv4ToNumber("255.255.255.255"))).toBe(0xffffffff)
    expect(Text.numberToIpv4(0xc0000201)).toBe("192.0.2.1")
    expect(err(Text.ipv4ToNumber("::1"), "Address", "::1").detail).toContain("IPv4")
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(ok(Text.ipv4ToNumber(Text.numberToIpv4(n)))).toBe(n)
      }),
      { numRuns: 500 }
    )
  })

  test("prints next hops of 4, 16 and 32 bytes, and anything else as hex", () => {
    const g = ok(Text.parseAddress("2001:db8::1")).bytes
    const ll = ok(Text.parseAddress("fe80::1")).bytes
    const both = new Uint8Array(32)
    both.set(g, 0)
    both.set(ll, 16)
    expect(Text.formatNextHop(bytes(10, 0, 0, 1))).toBe("10.0.0.1")
    expect(Text.formatNextHop(g)).toBe("2001:db8::1")
    expect(Text.formatNextHop(both)).toBe("2001:db8::1 fe80::1")
    expect(Text.formatAddress(bytes(1, 2, 255))).toBe("0x0102ff")
  })
})

describe("Text prefixes", () => {
  const prefix = (s: string): string => Text.formatPrefix(ok(Text.parsePrefix(s)))

  test("parses default routes, CIDR text and host routes", () => {
    expect(ok(Text.parsePrefix("0.0.0.0/0"))).toEqual({ afi: Afi.Ipv4, address: bytes(0, 0, 0, 0), length: 0 })
    expect(ok(Text.parsePrefix("::/0")).length).toBe(0)
    expect(ok(Text.parsePrefix("10.0.0.0/24"))).toEqual({ afi: Afi.Ipv4, address: bytes(10, 0, 0, 0), length: 24 })
    expect(prefix("2001:DB8::/32")).toBe("2001:db8::/32")
    expect(prefix("192.0.2.7")).toBe("192.0.2.7/32")
    expect(prefix("2001:db8::7")).toBe("2001:db8::7/128")
    expect(prefix("10.1.2.3/32")).toBe("10.1.2.3/32")
    expect(prefix(" 10.0.0.0/8 ")).toBe("10.0.0.0/8")
  })

  test("rejects a length beyond the address width", () => {
    const e = err(Text.parsePrefix("10.0.0.0/33"), "Prefix", "10.0.0.0/33")
    expect(e.detail).toContain("33")
    expect(e.detail).toContain("0..32")
    expect(err(Text.parsePrefix("::/129"), "Prefix", "::/129").detail).toContain("0..128")
    expect(err(Text.parsePrefix("/33"), "Prefix", "/33").detail).toContain("empty")
    expect(err(Text.parsePrefix("10.0.0.0/"), "Prefix", "10.0.0.0/").detail).toContain("empty")
    expect(err(Text.parsePrefix("10.0.0.0/024"), "Prefix", "10.0.0.0/024").detail).toContain("leading zero")
    expect(err(Text.parsePrefix("10.0.0.0/2a"), "Prefix", "10.0.0.0/2a").detail).toContain("not a decimal")
    expect(err(Text.parsePrefix("10.0.0.0 /24"), "Prefix", "10.0.0.0 /24").detail).toContain("IPv4")
  })

  test("rejects host bits and offers the prefix probably meant", () => {
    const e = err(Text.parsePrefix("10.0.0.1/24"), "Prefix", "10.0.0.1/24")
    expect(e.detail).toContain("host bits")
    expect(e.detail).toContain("10.0.0.0/24")
    expect(err(Text.parsePrefix("2001:db8::1/32"), "Prefix", "2001:db8::1/32").detail).toContain("2001:db8::/32")
    expect(err(Text.parsePrefix("10.64.0.0/9"), "Prefix", "10.64.0.0/9").detail).toContain("10.0.0.0/9")
    expect(ok(Text.parsePrefix("10.128.0.0/9")).length).toBe(9)
    expect(ok(Text.parsePrefix("10.128.0.0/8", { strict: false }))).toEqual({ afi: Afi.Ipv4, address: bytes(10, 0, 0, 0), length: 8 })
    expect(Text.formatPrefix(ok(Text.parsePrefix("10.0.0.1/24", { strict: false })))).toBe("10.0.0.0/24")
    expect(Text.formatPrefix(ok(Text.parsePrefix("10.255.255.255/0", { strict: false })))).toBe("0.0.0.0/0")
  })

  test("strict parsing accepts exactly the prefixes without host bits; lenient parsing masks them", () => {
    const arb = fc.oneof(
      fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 })),
      fc.tuple(v6Bytes, fc.integer({ min: 0, max: 128 }))
    )
    fc.assert(
      fc.property(arb, ([address, length]) => {
        const afi = address.length === 4 ? Afi.Ipv4 : Afi.Ipv6
        const clean = Prefixes.entry(Prefixes.fromEntries(afi, [{ address, length }]), 0).address
        const text = `${Text.formatAddress(address)}/${length}`
        const strict = Text.parsePrefix(text)
        const same = clean.every((b, i) => b === address[i])
        expect(Either.isRight(strict)).toBe(same)
        if (!same) expect(err(strict, "Prefix", text).detail).toContain(`${Text.formatAddress(clean)}/${length}`)
        expect(ok(Text.parsePrefix(text, { strict: false }))).toEqual({ afi, address: clean, length })
      }),
      { numRuns: 500 }
    )
  })

  for (const [name, afi] of [["IPv4", Afi.Ipv4], ["IPv6", Afi.Ipv6]] as const) {
    test(`${name}: every prefix of a block prints and parses back to the same block`, () => {
      fc.assert(
        fc.property(prefixes(afi, false), (p) => {
          const texts = Text.formatPrefixes(p)
          for (let i = 0; i < p.count; i++) {
            const one = ok(Text.parsePrefix(texts[i]!))
            expect(one.length).toBe(p.lengths[i]!)
            expect(Text.formatPrefix(one)).toBe(texts[i]!)
          }
          expect(Prefixes.equals(ok(Text.prefixesFromText(texts, { afi })), p)).toBe(true)
        }),
        { numRuns: 200 }
      )
    })

    test(`${name}: the ADD-PATH form with path ids round-trips through prefixesFromText`, () => {
      fc.assert(
        fc.property(prefixes(afi, true, { minLength: 1 }), (p) => {
          const texts = Array.from({ length: p.count }, (_, i) => Text.formatEntryWithPath(p, i))
          expect(Prefixes.equals(ok(Text.prefixesFromText(texts)), p)).toBe(true)
        }),
        { numRuns: 200 }
      )
    })
  }

  test("formats block entries with and without the path id", () => {
    const p = ok(Text.prefixesFromText(["10.0.0.0/24 (path 3)", "192.0.2.0/25"]))
    expect(p.pathIds).toEqual(Uint32Array.from([3, 0]))
    expect(Text.formatEntry(p, 0)).toBe("10.0.0.0/24")
    expect(Text.formatEntryWithPath(p, 0)).toBe("10.0.0.0/24 (path 3)")
    expect(Text.formatEntryWithPath(p, 1)).toBe("192.0.2.0/25 (path 0)")
    const q = ok(Text.prefixesFromText(["2001:db8::/32"]))
    expect(q.pathIds).toBeUndefined()
    expect(Text.formatEntryWithPath(q, 0)).toBe("2001:db8::/32")
  })

  test("prefixesFromText builds one AFI and says which entry is wrong", () => {
    const p = ok(Text.prefixesFromText(["10.0.0.0/24", "10.0.1.0/24", "192.0.2.1"]))
    expect(p.afi).toBe(Afi.Ipv4)
    expect(Text.formatPrefixes(p)).toEqual(["10.0.0.0/24", "10.0.1.0/24", "192.0.2.1/32"])
    const mixed = err(Text.prefixesFromText(["10.0.0.0/24", "2001:db8::/32"]), "Prefix", "2001:db8::/32")
    expect(mixed.detail).toContain("entry 1")
    expect(mixed.detail).toContain("IPv4")
    expect(err(Text.prefixesFromText(["2001:db8::/32"], { afi: Afi.Ipv4 }), "Prefix", "2001:db8::/32").detail).toContain("IPv6")
    expect(err(Text.prefixesFromText(["10.0.0.0/24", "10.0.0.1/24"]), "Prefix", "10.0.0.1/24").detail).toContain("entry 1")
    expect(Text.formatPrefixes(ok(Text.prefixesFromText(["10.0.0.1/24"], { strict: false })))).toEqual(["10.0.0.0/24"])
    expect(err(Text.prefixesFromText([]), "Prefix", "").detail).toContain("afi")
    expect(ok(Text.prefixesFromText([], { afi: Afi.Ipv6 }))).toEqual(Prefixes.empty(Afi.Ipv6))
    expect(err(Text.prefixesFromText(["10.0.0.0/24 (path x)"]), "Prefix", "10.0.0.0/24 (path x)").detail).toContain("path id")
  })
})

describe("Text ASNs", () => {
  test("accepts asplain and asdot, prints asplain", () => {
    expect(ok(Text.parseAsn("65000"))).toBe(65000)
    expect(ok(Text.parseAsn("4200000000"))).toBe(4200000000)
    expect(ok(Text.parseAsn("4294967295"))).toBe(4294967295)
    expect(ok(Text.parseAsn("0"))).toBe(0)
    expect(ok(Text.parseAsn("1.10"))).toBe(65546)
    expect(ok(Text.parseAsn("0.10"))).toBe(10)
    expect(ok(Text.parseAsn("65535.65535"))).toBe(4294967295)
    expect(Text.formatAsn(65546)).toBe("65546")
  })

  test("rejects out of range, signs, prefixes and leading zeros", () => {
    expect(err(Text.parseAsn("4294967296"), "Asn", "4294967296").detail).toContain("out of range")
    expect(err(Text.parseAsn("065000"), "Asn", "065000").detail).toContain("leading zero")
    expect(err(Text.parseAsn("1.65536"), "Asn", "1.65536").detail).toContain("asdot")
    expect(err(Text.parseAsn("-1"), "Asn", "-1").detail).toContain("not a decimal")
    expect(err(Text.parseAsn("AS65000"), "Asn", "AS65000").detail).toContain("not a decimal")
    expect(err(Text.parseAsn("1.2.3"), "Asn", "1.2.3")).toBeDefined()
    expect(err(Text.parseAsn(""), "Asn", "").detail).toContain("empty")
  })

  test("asplain and asdot texts parse back to the same ASN", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (asn) => {
        expect(ok(Text.parseAsn(Text.formatAsn(asn)))).toBe(asn)
        expect(ok(Text.parseAsn(`${Math.floor(asn / 65536)}.${asn % 65536}`))).toBe(asn)
      }),
      { numRuns: 500 }
    )
  })
})

describe("Text communities", () => {
  // Values as registered (IANA BGP Well-known Communities) and written in the cited RFCs.
  const wellKnown: ReadonlyArray<readonly [string, number]> = [
    ["no-export", 0xffffff01], // RFC 1997
    ["no-advertise", 0xffffff02], // RFC 1997
    ["no-export-subconfed", 0xffffff03], // RFC 1997
    ["no-peer", 0xffffff04], // RFC 3765
    ["graceful-shutdown", 0xffff0000], // RFC 8326
    ["accept-own", 0xffff0001], // RFC 7611
    ["llgr-stale", 0xffff0006], // RFC 9494
    ["no-llgr", 0xffff0007], // RFC 9494
    ["blackhole", 0xffff029a] // RFC 7999, 65535:666
  ]

  for (const [name, value] of wellKnown) {
    test(`${name} is 0x${value.toString(16)} both ways`, () => {
      expect(ok(Text.parseCommunity(name))).toBe(value)
      expect(Text.formatCommunity(value)).toBe(name)
      expect(ok(Text.parseCommunity(`${value >>> 16}:${value & 0xffff}`))).toBe(value)
    })
  }

  test("accepts the aliases used by Cilium, GoBGP and FRR, and IANA spellings", () => {
    expect(ok(Text.parseCommunity("local-as"))).toBe(0xffffff03)
    expect(ok(Text.parseCommunity("planned-shut"))).toBe(0xffff0000)
    expect(ok(Text.parseCommunity("internet"))).toBe(0)
    expect(ok(Text.parseCommunity("NO_EXPORT"))).toBe(0xffffff01)
    expect(ok(Text.parseCommunity("route-filter-v6"))).toBe(0xffff0005)
    expect(Text.formatCommunity(0)).toBe("0:0")
    expect(Text.wellKnownNames.get("blackhole")).toBe(Text.WellKnownCommunity.Blackhole)
  })

  test("parses ASN:VALUE and Cilium's 32-bit decimal form", () => {
    expect(ok(Text.parseCommunity("65000:100"))).toBe(0xfde80064)
    expect(Text.formatCommunity(0xfde80064)).toBe("65000:100")
    expect(ok(Text.parseCommunity("4259840100"))).toBe(0xfde80064)
    expect(ok(Text.parseCommunity("0:0"))).toBe(0)
    expect(ok(Text.parseCommunity("65535:65535"))).toBe(0xffffffff)
  })

  test("rejects halves out of range, wrong part counts and leading zeros", () => {
    const e = err(Text.parseCommunity("65536:1"), "Community", "65536:1")
    expect(e.detail).toContain("65536")
    expect(e.detail).toContain("0..65535")
    expect(err(Text.parseCommunity("1:65536"), "Community", "1:65536").detail).toContain("0..65535")
    expect(err(Text.parseCommunity("1:2:3"), "Community", "1:2:3").detail).toContain("large community")
    expect(err(Text.parseCommunity("1:2:3:4"), "Community", "1:2:3:4").detail).toContain("4")
    expect(err(Text.parseCommunity("65000:0100"), "Community", "65000:0100").detail).toContain("leading zero")
    expect(err(Text.parseCommunity("4294967296"), "Community", "4294967296").detail).toContain("out of range")
    expect(err(Text.parseCommunity("no-such-name"), "Community", "no-such-name").detail).toContain("no-export")
    expect(err(Text.parseCommunity("65000 :100"), "Community", "65000 :100")).toBeDefined()
  })

  test("every 32-bit value prints and parses back", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(...wellKnown.map(([, v]) => v))), (n) => {
        expect(ok(Text.parseCommunity(Text.formatCommunity(n)))).toBe(n)
      }),
      { numRuns: 1000 }
    )
  })

  test("lists convert to and from the attribute form", () => {
    const cs = ok(Text.communitiesFromText(["65000:1", "no-export"]))
    expect(cs).toEqual(Uint32Array.from([0xfde80001, 0xffffff01]))
    expect(Text.formatCommunities(cs)).toEqual(["65000:1", "no-export"])
    err(Text.communitiesFromText(["65000:1", "x"]), "Community", "x")
  })
})

describe("Text large communities", () => {
  test("parses and prints GLOBAL:LOCAL1:LOCAL2", () => {
    expect(ok(Text.parseLargeCommunity("1:2:3"))).toEqual([1, 2, 3])
    expect(ok(Text.parseLargeCommunity("4294967295:0:4294967295"))).toEqual([4294967295, 0, 4294967295])
    expect(Text.formatLargeCommunity([65000, 1, 2])).toBe("65000:1:2")
  })

  test("rejects wrong part counts and out of range parts", () => {
    expect(err(Text.parseLargeCommunity("1:2:3:4"), "LargeCommunity", "1:2:3:4").detail).toContain("three parts")
    expect(err(Text.parseLargeCommunity("1:2"), "LargeCommunity", "1:2").detail).toContain("three parts")
    expect(err(Text.parseLargeCommunity("4294967296:1:1"), "LargeCommunity", "4294967296:1:1").detail).toContain("global")
    expect(err(Text.parseLargeCommunity("1:01:1"), "LargeCommunity", "1:01:1").detail).toContain("leading zero")
  })

  test("every triple prints and parses back, alone and as an attribute", () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff })
    fc.assert(
      fc.property(fc.array(fc.tuple(u32, u32, u32), { maxLength: 8 }), (triples) => {
        for (const t of triples) expect(ok(Text.parseLargeCommunity(Text.formatLargeCommunity(t)))).toEqual(t)
        const flat = Uint32Array.from(triples.flat())
        expect(ok(Text.largeCommunitiesFromText(Text.formatLargeCommunities(flat)))).toEqual(flat)
      }),
      { numRuns: 500 }
    )
  })
})

describe("Text extended communities", () => {
  const ext = (s: string): Array<number> => Array.from(ok(Text.parseExtendedCommunity(s)))

  test("route target and route origin in the three administrator forms", () => {
    // RFC 4360 §3.1: type 0x00, 2-octet AS, 4-octet value; sub-type 0x02 route target (§4).
    expect(ext("rt:65000:100")).toEqual([0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100])
    // RFC 4360 §3.2: type 0x01, IPv4 address, 2-octet value.
    expect(ext("rt:192.0.2.1:100")).toEqual([0x01, 0x02, 192, 0, 2, 1, 0, 100])
    // RFC 5668: type 0x02, 4-octet AS, 2-octet value.
    expect(ext("rt:4200000000:100")).toEqual([0x02, 0x02, 0xfa, 0x56, 0xea, 0x00, 0, 100])
    // Sub-type 0x03: route origin (site of origin).
    expect(ext("soo:65000:7")).toEqual([0x00, 0x03, 0xfd, 0xe8, 0, 0, 0, 7])
    expect(ext("soo:10.0.0.1:7")).toEqual([0x01, 0x03, 10, 0, 0, 1, 0, 7])
    expect(ext("rt:65000:4294967295")).toEqual([0x00, 0x02, 0xfd, 0xe8, 255, 255, 255, 255])
  })

  test("a 4-octet AS type with a small AS is written with an L suffix, and asdot picks that type too", () => {
    expect(ext("rt:65000L:100")).toEqual([0x02, 0x02, 0, 0, 0xfd, 0xe8, 0, 100])
    expect(Text.formatExtendedCommunity(bytes(0x02, 0x02, 0, 0, 0xfd, 0xe8, 0, 100))).toBe("rt:65000L:100")
    expect(ext("rt:1.10:5")).toEqual([0x02, 0x02, 0, 1, 0, 10, 0, 5])
  })

  test("other types print as 0xTTSS:hex and parse back from it", () => {
    const encap = bytes(0x03, 0x0c, 0, 0, 0, 0, 0, 8)
    expect(Text.formatExtendedCommunity(encap)).toBe("0x030c:000000000008")
    expect(ext("0x030C:000000000008")).toEqual(Array.from(encap))
    // Non-transitive two-octet AS (0x40) is not printed as a route target.
    expect(Text.formatExtendedCommunity(bytes(0x40, 0x02, 0, 1, 0, 0, 0, 1))).toBe("0x4002:000100000001")
  })

  test("rejects values that do not fit the chosen type, and unknown forms", () => {
    const e = err(Text.parseExtendedCommunity("rt:4200000000:70000"), "ExtendedCommunity", "rt:4200000000:70000")
    expect(e.detail).toContain("70000")
    expect(e.detail).toContain("0..65535")
    expect(err(Text.parseExtendedCommunity("rt:192.0.2.1:65536"), "ExtendedCommunity", "rt:192.0.2.1:65536").detail).toContain("IPv4")
    expect(err(Text.parseExtendedCommunity("rt:300.0.2.1:1"), "ExtendedCommunity", "rt:300.0.2.1:1").detail).toContain("IPv4")
    expect(err(Text.parseExtendedCommunity("rt:4294967296:1"), "ExtendedCommunity", "rt:4294967296:1").detail).toContain("out of range")
    expect(err(Text.parseExtendedCommunity("xx:1:2"), "ExtendedCommunity", "xx:1:2").detail).toContain("rt:")
    expect(err(Text.parseExtendedCommunity("rt:65000"), "ExtendedCommunity", "rt:65000").detail).toContain("rt:")
    expect(err(Text.parseExtendedCommunity("0x0002:abc"), "ExtendedCommunity", "0x0002:abc")).toBeDefined()
  })

  test("any 8 bytes print and parse back, alone and as an attribute", () => {
    const one = fc.oneof(
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      // Bias towards the named forms.
      fc
        .tuple(fc.constantFrom(0x00, 0x01, 0x02), fc.constantFrom(0x02, 0x03), fc.uint8Array({ minLength: 6, maxLength: 6 }))
        .map(([t, st, v]) => bytes(t, st, ...v))
    )
    fc.assert(
      fc.property(fc.array(one, { maxLength: 6 }), (cs) => {
        for (const c of cs) expect(ok(Text.parseExtendedCommunity(Text.formatExtendedCommunity(c)))).toEqual(c)
        const flat = new Uint8Array(cs.length * 8)
        cs.forEach((c, i) => flat.set(c, i * 8))
        expect(ok(Text.extendedCommunitiesFromText(Text.formatExtendedCommunities(flat)))).toEqual(flat)
      }),
      { numRuns: 500 }
    )
  })
})

describe("Text AS paths", () => {
  test("prints and parses every segment type", () => {
    const path: AsPath = [
      seg(SegmentType.ConfedSequence, 65010, 65011),
      seg(SegmentType.ConfedSet, 65020, 65021),
      seg(SegmentType.AsSequence, 65001, 65002),
      seg(SegmentType.AsSet, 65003, 65004)
    ]
    const text = "(65010 65011) [65020,65021] 65001 65002 {65003,65004}"
    expect(Text.formatAsPath(path)).toBe(text)
    expect(ok(Text.parseAsPath(text))).toEqual(path)
  })

  test("accepts spaces inside sets, asdot members and extra whitespace", () => {
    expect(ok(Text.parseAsPath("  1  {2 3}\t1.10 "))).toEqual([
      seg(SegmentType.AsSequence, 1),
      seg(SegmentType.AsSet, 2, 3),
      seg(SegmentType.AsSequence, 65546)
    ])
    expect(ok(Text.parseAsPath("{1, 2}"))).toEqual([seg(SegmentType.AsSet, 1, 2)])
    expect(ok(Text.parseAsPath(""))).toEqual([])
    expect(Text.formatAsPath([])).toBe("")
  })

  test("splits sequences longer than 255 ASNs and refuses such sets", () => {
    const many = Array.from({ length: 300 }, (_, i) => i + 1)
    const p = ok(Text.parseAsPath(many.join(" ")))
    expect(p.map((s) => s.asns.length)).toEqual([255, 45])
    expect(p.flatMap((s) => s.asns)).toEqual(many)
    const e = err(Text.parseAsPath(`{${many.join(",")}}`), "AsPath", `{${many.join(",")}}`)
    expect(e.detail).toContain("255")
  })

  test("rejects unbalanced, nested and malformed paths", () => {
    expect(err(Text.parseAsPath("1 {2 {3}}"), "AsPath", "1 {2 {3}}").detail).toContain("nest")
    expect(err(Text.parseAsPath("1 }"), "AsPath", "1 }").detail).toContain("closes nothing")
    expect(err(Text.parseAsPath("(1 2]"), "AsPath", "(1 2]").detail).toContain('")"')
    expect(err(Text.parseAsPath("(1 2"), "AsPath", "(1 2").detail).toContain("not closed")
    expect(err(Text.parseAsPath("1,2"), "AsPath", "1,2").detail).toContain("comma")
    expect(err(Text.parseAsPath("1 x 3"), "AsPath", "1 x 3").detail).toContain('"x"')
    expect(err(Text.parseAsPath("1 4294967296"), "AsPath", "1 4294967296").detail).toContain("out of range")
  })

  const asn = fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 0xffffffff }))
  const segment = fc
    .tuple(fc.constantFrom<AsPathSegment["type"]>(1, 2, 3, 4), fc.array(asn, { minLength: 1, maxLength: 6 }))
    .map(([type, asns]) => seg(type, ...asns))

  /** What the text keeps: adjacent AS_SEQUENCE segments become one. */
  const merged = (path: AsPath): AsPath => {
    const out: Array<AsPathSegment> = []
    for (const s of path) {
      const last = out[out.length - 1]
      if (s.type === SegmentType.AsSequence && last?.type === SegmentType.AsSequence) {
        out[out.length - 1] = seg(SegmentType.AsSequence, ...last.asns, ...s.asns)
      } else out.push(s)
    }
    return out
  }

  test("format then parse gives the path, with adjacent sequences merged", () => {
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (path) => {
        const text = Text.formatAsPath(path)
        const back = ok(Text.parseAsPath(text))
        expect(back).toEqual(merged(path))
        expect(Text.formatAsPath(back)).toBe(text)
      }),
      { numRuns: 500 }
    )
  })
})

describe("Text origin", () => {
  test("long and short names both ways", () => {
    const table = [
      [0, "igp", "i"],
      [1, "egp", "e"],
      [2, "incomplete", "?"]
    ] as const
    for (const [o, long, short] of table) {
      expect(Text.formatOrigin(o)).toBe(long)
      expect(Text.formatOriginShort(o)).toBe(short)
      expect(ok(Text.parseOrigin(long))).toBe(o)
      expect(ok(Text.parseOrigin(short))).toBe(o)
      expect(ok(Text.parseOrigin(long.toUpperCase()))).toBe(o)
    }
    expect(err(Text.parseOrigin("bgp"), "Origin", "bgp").detail).toContain("igp")
  })
})

describe("Text attribute summary", () => {
  test("lists the attributes present in one line", () => {
    const ec = ok(Text.extendedCommunitiesFromText(["rt:65000:100"]))
    const attrs: Attributes = {
      origin: 0,
      asPath: [seg(SegmentType.AsSequence, 65001), seg(SegmentType.AsSet, 65002, 65003)],
      nextHop: bytes(10, 0, 0, 1),
      med: 10,
      localPref: 100,
      atomicAggregate: true,
      aggregator: { asn: 65001, address: 0x0a000002 },
      communities: Uint32Array.from([0xfde80064, 0xffffff01]),
      originatorId: 0x0a000003,
      clusterList: Uint32Array.from([0x0a000004]),
      extendedCommunities: ec,
      largeCommunities: Uint32Array.from([1, 2, 3]),
      otc: 65001,
      unknown: [{ flags: 0xe0, code: 99, value: bytes(1) }, { flags: 0xe0, code: 100, value: bytes() }]
    }
    expect(Text.formatAttributes(attrs)).toBe(
      "origin igp, as-path 65001 {65002,65003}, next-hop 10.0.0.1, med 10, local-pref 100, atomic-aggregate, " +
        "aggregator 65001 10.0.0.2, communities [65000:100 no-export], originator-id 10.0.0.3, cluster-list [10.0.0.4], " +
        "ext-communities [rt:65000:100], large-communities [1:2:3], otc 65001, unknown 2"
    )
  })

  test("uses the MP_REACH next hop when given, and names empty paths and sets", () => {
    const nh = ok(Text.parseAddress("2001:db8::1")).bytes
    expect(Text.formatAttributes({ origin: 2, asPath: [] }, nh)).toBe("origin incomplete, as-path empty, next-hop 2001:db8::1")
    expect(Text.formatAttributes({})).toBe("no attributes")
  })
})

describe("TextError", () => {
  test("fails an Effect when yielded, so parsers compose in Effect code", () => {
    const program = Effect.gen(function* () {
      const p = yield* Text.parsePrefix("10.0.0.0/24")
      const asn = yield* Text.parseAsn("65536.1")
      return [p.length, asn] as const
    })
    const r = Effect.runSync(Effect.either(program))
    const e = err(r, "Asn", "65536.1")
    expect(e.detail).toContain("asdot high part")
    expect(Effect.runSync(Effect.gen(function* () {
      return yield* Text.parseAsn("1.0")
    }))).toBe(65536)
  })
})
