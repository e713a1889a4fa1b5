import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import * as Capability from "../src/Capability.js"
import { Writer } from "../src/internal/Writer.js"
import * as WireError from "../src/WireError.js"
import * as Arb from "./arbitraries/Messages.js"

const encode = (cap: Capability.Capability): Uint8Array => {
  const w = new Writer(16)
  Capability.encode(w, cap)
  return w.finish()
}

/** Decode one encoded capability (code, length, value). */
const decode = (bytes: Uint8Array): Capability.Capability | WireError.WireError =>
  Capability.decode(bytes[0]!, bytes, 2, 2 + bytes[1]!)

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16))

const expectMalformed = (r: unknown, name: string): void => {
  expect(WireError.isWireError(r)).toBe(true)
  const e = r as WireError.WireError
  expect([e.code, e.subcode]).toEqual([2, 0])
  expect(e.detail).toContain(name)
}

const u8Code = fc.oneof(fc.constantFrom(...Object.values(Capability.CapabilityCode)), fc.integer({ min: 0, max: 255 }))

const kinds: ReadonlyArray<readonly [string, fc.Arbitrary<Capability.Capability>]> = [
  ["Multiprotocol", Arb.multiprotocol],
  ["RouteRefresh", Arb.routeRefresh],
  ["EnhancedRouteRefresh", Arb.enhancedRouteRefresh],
  ["ExtendedMessage", Arb.extendedMessage],
  ["FourOctetAs", Arb.fourOctetAs],
  ["GracefulRestart", Arb.gracefulRestart],
  ["LongLivedGracefulRestart", Arb.longLivedGracefulRestart],
  ["AddPath", Arb.addPath],
  ["ExtendedNextHop", Arb.extendedNextHop],
  ["Fqdn", Arb.fqdn],
  ["Unknown", Arb.unknown]
]

describe("Capability round trips", () => {
  for (const [name, arb] of kinds) {
    test(`${name}: decode(encode(c)) equals c and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(arb, (cap) => {
          const bytes = encode(cap)
          expect(bytes[0]).toBe(Capability.codeOf(cap))
          expect(bytes[1]).toBe(bytes.length - 2)
          const back = decode(bytes)
          expect(back).toEqual(cap)
          expect(encode(back as Capability.Capability)).toEqual(bytes)
        }),
        { numRuns: 200 }
      )
    })
  }
})

describe("Capability golden bytes", () => {
  test("Multiprotocol IPv6 unicast is 01 04 0002 00 01", () => {
    expect(decode(hex("01 04 0002 00 01"))).toEqual({ _tag: "Multiprotocol", afi: 2, safi: 1 })
  })

  test("4-octet AS 4200000000 is 41 04 fa56ea00", () => {
    expect(decode(hex("41 04 fa56ea00"))).toEqual({ _tag: "FourOctetAs", asn: 4200000000 })
    expect(encode({ _tag: "FourOctetAs", asn: 4200000000 })).toEqual(hex("41 04 fa56ea00"))
  })

  test("Graceful Restart splits R/N flags from the 12-bit restart time", () => {
    // R and N set, restart time 120, IPv4 unicast with F set.
    const bytes = hex("40 06 c078 0001 01 80")
    expect(decode(bytes)).toEqual({
      _tag: "GracefulRestart",
      flags: Capability.RestartFlag.Restart | Capability.RestartFlag.Notification,
      restartTime: 120,
      families: [{ afi: 1, safi: 1, flags: Capability.ForwardingFlag }]
    })
  })

  test("Long-Lived GR carries a 24-bit stale time per family", () => {
    expect(decode(hex("47 07 0002 01 80 015180"))).toEqual({
      _tag: "LongLivedGracefulRestart",
      families: [{ afi: 2, safi: 1, flags: 0x80, staleTime: 86400 }]
    })
  })

  test("ADD-PATH lists AFI/SAFI/mode tuples", () => {
    expect(decode(hex("45 08 0001 01 03 0002 01 01"))).toEqual({
      _tag: "AddPath",
      families: [
        { afi: 1, safi: 1, mode: Capability.AddPathMode.Both },
        { afi: 2, safi: 1, mode: Capability.AddPathMode.Receive }
      ]
    })
  })

  test("Extended Next Hop uses a 2-byte SAFI and a next-hop AFI", () => {
    expect(decode(hex("05 06 0001 0001 0002"))).toEqual({
      _tag: "ExtendedNextHop",
      entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }]
    })
  })

  test("FQDN carries a hostname and a domain, each with its length byte", () => {
    expect(decode(hex("49 0a 04 6e6f6465 04 74657374"))).toEqual({
      _tag: "Fqdn",
      hostname: "node",
      domain: "test"
    })
  })

  test("an unknown capability keeps its code and a copy of its value", () => {
    const bytes = hex("80 00")
    expect(decode(bytes)).toEqual({ _tag: "Unknown", code: 128, value: new Uint8Array(0) })
    const withValue = hex("fe 02 abcd")
    const cap = decode(withValue) as Capability.Unknown
    withValue[2] = 0
    expect(cap.value).toEqual(hex("abcd"))
  })
})

describe("Capability malformed values are OPEN Message Error 2/0 naming the capability", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ["Multiprotocol with 3 bytes", "01 03 0001 01", "Multiprotocol"],
    ["Route Refresh with a value", "02 01 00", "Route Refresh"],
    ["Enhanced Route Refresh with a value", "46 01 00", "Enhanced Route Refresh"],
    ["Extended Message with a value", "06 02 0000", "Extended Message"],
    ["4-octet AS with 2 bytes", "41 02 fde8", "4-octet AS"],
    ["Graceful Restart with 1 byte", "40 01 00", "Graceful Restart"],
    ["Graceful Restart with a partial family", "40 05 0078 0001", "Graceful Restart"],
    ["Long-Lived GR with a partial family", "47 06 0001 01 00 0000", "Long-Lived Graceful Restart"],
    ["ADD-PATH with a partial tuple", "45 03 0001 01", "ADD-PATH"],
    ["Extended Next Hop with a partial entry", "05 04 0001 0001", "Extended Next Hop"],
    ["FQDN with a hostname length past the value", "49 03 05 6162", "FQDN"],
    ["FQDN with a domain length past the value", "49 04 01 61 05 62", "FQDN"],
    ["FQDN without a domain length byte", "49 02 01 61", "FQDN"],
    ["FQDN with bytes after the domain", "49 05 01 61 01 62 63", "FQDN"],
    ["FQDN with an empty value", "49 00", "FQDN"]
  ]
  for (const [what, bytes, name] of cases) {
    test(what, () => expectMalformed(decode(hex(bytes)), name))
  }

  test("an empty FQDN (two zero lengths) is valid", () => {
    expect(decode(hex("49 02 00 00"))).toEqual({ _tag: "Fqdn", hostname: "", domain: "" })
  })

  test("any value bytes decode to a capability or a 2/0 error without throwing or reading outside", () => {
    fc.assert(
      fc.property(u8Code, fc.uint8Array({ maxLength: 40 }), fc.nat(8), fc.nat(8), (code, value, before, after) => {
        // Surround the value with 0xee bytes that a decoder reading outside its range would pick up.
        const buf = new Uint8Array(before + value.length + after).fill(0xee)
        buf.set(value, before)
        const r = Capability.decode(code, buf, before, before + value.length)
        if (WireError.isWireError(r)) {
          expect([r.code, r.subcode]).toEqual([2, 0])
        } else {
          const clean = Capability.decode(code, value, 0, value.length)
          expect(r).toEqual(clean as Capability.Capability)
        }
      }),
      { numRuns: 1000 }
    )
  })
})

describe("Capability encoding limits", () => {
  test("a value over 255 bytes is a RangeError (a caller bug)", () => {
    expect(() => encode({ _tag: "Unknown", code: 200, value: new Uint8Array(256) })).toThrow(RangeError)
    expect(() => encode({ _tag: "Fqdn", hostname: "h".repeat(200), domain: "d".repeat(100) })).toThrow(RangeError)
  })
})
