import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import * as Context from "../src/Context.js"
import { Writer } from "../src/internal/Writer.js"
import type { Notification as NotificationMessage } from "../src/Message.js"
import * as Notification from "../src/Notification.js"
import * as WireError from "../src/WireError.js"
import * as Arb from "./arbitraries/Messages.js"

const ctx = Context.defaults
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16))

const encodeBody = (n: NotificationMessage): Uint8Array => {
  const w = new Writer(16)
  Notification.encodeBody(w, n, ctx)
  return w.finish()
}

describe("NOTIFICATION codec", () => {
  test("decode(encode(n)) equals n and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(Arb.notification, (n) => {
        const bytes = encodeBody(n)
        const back = Notification.decodeBody(bytes, 0, bytes.length, ctx)
        expect(back).toEqual(n)
        expect(encodeBody(back as NotificationMessage)).toEqual(bytes)
      }),
      { numRuns: 300 }
    )
  })

  test("the data is a copy that outlives the receive buffer", () => {
    const bytes = hex("0602 03 616263")
    const n = Notification.decodeBody(bytes, 0, bytes.length, ctx) as NotificationMessage
    bytes.fill(0)
    expect(n.data).toEqual(hex("03616263"))
  })

  test("a body under 2 bytes is 1/2 Bad Message Length with the length field", () => {
    const r = Notification.decodeBody(hex("06"), 0, 1, ctx)
    expect(WireError.isWireError(r)).toBe(true)
    const e = r as WireError.WireError
    expect([e.code, e.subcode, Array.from(e.data)]).toEqual([1, 2, [0, 20]])
  })

  test("any code and subcode are accepted as received", () => {
    expect(Notification.decodeBody(hex("fefe"), 0, 2, ctx)).toEqual(Notification.make(254, 254))
  })
})

describe("NOTIFICATION names", () => {
  const cases: ReadonlyArray<readonly [number, number, string]> = [
    [1, 1, "Message Header Error / Connection Not Synchronized"],
    [1, 2, "Message Header Error / Bad Message Length"],
    [1, 3, "Message Header Error / Bad Message Type"],
    [2, 1, "OPEN Message Error / Unsupported Version Number"],
    [2, 4, "OPEN Message Error / Unsupported Optional Parameter"],
    [2, 6, "OPEN Message Error / Unacceptable Hold Time"],
    [2, 7, "OPEN Message Error / Unsupported Capability"],
    [2, 11, "OPEN Message Error / Role Mismatch"],
    [3, 1, "UPDATE Message Error / Malformed Attribute List"],
    [3, 11, "UPDATE Message Error / Malformed AS_PATH"],
    [4, 0, "Hold Timer Expired"],
    [5, 0, "Finite State Machine Error / Unspecified Error"],
    [5, 3, "Finite State Machine Error / Receive Unexpected Message in Established State"],
    [6, 0, "Cease"],
    [6, 1, "Cease / Maximum Number of Prefixes Reached"],
    [6, 2, "Cease / Administrative Shutdown"],
    [6, 4, "Cease / Administrative Reset"],
    [6, 8, "Cease / Out of Resources"],
    [6, 9, "Cease / Hard Reset"],
    [6, 10, "Cease / BFD Down"],
    [7, 1, "ROUTE-REFRESH Message Error / Invalid Message Length"],
    [8, 0, "Send Hold Timer Expired"],
    [6, 77, "Cease / subcode 77"],
    // IANA names deprecated values "Deprecated" and 0 "Unspecific" (codes 1–3) or "Reserved" (Cease, ROUTE-REFRESH).
    [1, 0, "Message Header Error / Unspecific"],
    [2, 0, "OPEN Message Error / Unspecific"],
    [2, 5, "OPEN Message Error / Deprecated"],
    [2, 8, "OPEN Message Error / Deprecated"],
    [2, 10, "OPEN Message Error / Deprecated"],
    [2, 12, "OPEN Message Error / subcode 12"],
    [3, 0, "UPDATE Message Error / Unspecific"],
    [3, 7, "UPDATE Message Error / Deprecated"],
    [3, 12, "UPDATE Message Error / subcode 12"],
    [7, 0, "ROUTE-REFRESH Message Error"],
    [7, 2, "ROUTE-REFRESH Message Error / subcode 2"],
    [0, 0, "Reserved"],
    [42, 1, "Unknown error code 42 / subcode 1"]
  ]
  for (const [code, subcode, name] of cases) {
    test(`${code}/${subcode} is "${name}"`, () => expect(Notification.describe(code, subcode)).toBe(name))
  }

  test("every subcode constant names a registered subcode of its code", () => {
    const tables: ReadonlyArray<readonly [number, Readonly<Record<string, number>>]> = [
      [1, Notification.HeaderSubcode],
      [2, Notification.OpenSubcode],
      [3, Notification.UpdateSubcode],
      [5, Notification.FsmSubcode],
      [6, Notification.CeaseSubcode],
      [7, Notification.RouteRefreshSubcode]
    ]
    for (const [code, table] of tables) {
      for (const value of Object.values(table)) {
        const name = Notification.codes[code]!.subcodes[value]
        expect(name).toBeDefined()
        expect(name).not.toBe("Deprecated")
      }
    }
  })

  test("fromError carries a decode error's code, subcode and data", () => {
    const e = WireError.make("Header", 1, 2, "x", hex("0005"))
    expect(Notification.fromError(e)).toEqual(Notification.make(1, 2, hex("0005")))
  })
})

describe("RFC 9003 shutdown communication", () => {
  test("shutdown() writes a length byte and the UTF-8 text", () => {
    const n = Notification.shutdown(2, "maintenance ☕")
    expect([n.code, n.subcode]).toEqual([6, 2])
    expect(n.data[0]).toBe(n.data.length - 1)
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "maintenance ☕" })
  })

  test("with a peer known to implement RFC 9003, text over 255 bytes is truncated on a character boundary", () => {
    // 127 two-byte characters (254 bytes) then a three-byte one: it cannot fit and is dropped whole.
    const text = "é".repeat(127) + "€" + "tail"
    const n = Notification.shutdown(4, text, 255)
    expect(n.data[0]).toBe(254)
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "é".repeat(127) })
  })

  test("RFC 9003 §3: by default (peer support unknown) the text is cut to 128 bytes", () => {
    const n = Notification.shutdown(2, "x".repeat(200))
    expect(n.data[0]).toBe(128)
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "x".repeat(128) })
  })

  test("RFC 9003 §2: the length is one octet, so no limit above 255 can be asked for", () => {
    const n = Notification.shutdown(2, "x".repeat(400), 1000)
    expect(n.data[0]).toBe(255)
    expect(n.data.length).toBe(256)
  })

  test("any text round-trips when it fits and is a prefix of the original when cut", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200, size: "max" }), (text) => {
        const n = Notification.shutdown(2, text, 255)
        expect(n.data.length).toBeLessThanOrEqual(256)
        const c = Notification.shutdownCommunication(n)
        expect(c?.issue).toBeUndefined()
        expect(text.startsWith(c!.text)).toBe(true)
        if (new TextEncoder().encode(text).length <= 255) expect(c!.text).toBe(text)
        const compat = Notification.shutdownCommunication(Notification.shutdown(2, text))!
        expect(text.startsWith(compat.text)).toBe(true)
        expect(new TextEncoder().encode(compat.text).length).toBeLessThanOrEqual(128)
      }),
      { numRuns: 300 }
    )
  })

  test("a length byte larger than the data is tolerated and reported", () => {
    const n = Notification.make(6, 2, hex("10 6869"))
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "hi", issue: "length" })
  })

  test("a length byte smaller than the data is tolerated and reported", () => {
    const n = Notification.make(6, 4, hex("01 6869"))
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "h", issue: "length" })
  })

  test("invalid UTF-8 is decoded with replacement characters and reported", () => {
    const n = Notification.make(6, 2, hex("03 68 ff 69"))
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "h\uFFFDi", issue: "utf8" })
  })

  test("a zero length is an empty communication", () => {
    expect(Notification.shutdownCommunication(Notification.make(6, 2, hex("00")))).toEqual({ text: "" })
  })

  test("no data, or another code or subcode, has no communication", () => {
    expect(Notification.shutdownCommunication(Notification.make(6, 2))).toBeUndefined()
    expect(Notification.shutdownCommunication(Notification.make(6, 3, hex("0161")))).toBeUndefined()
    expect(Notification.shutdownCommunication(Notification.make(4, 0, hex("0161")))).toBeUndefined()
  })

  test("arbitrary data never throws", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const c = Notification.shutdownCommunication(Notification.make(6, 2, data))
        if (data.length === 0) expect(c).toBeUndefined()
        else expect(typeof c!.text).toBe("string")
      }),
      { numRuns: 500 }
    )
  })
})

describe("RFC 4486 maximum-prefix data", () => {
  test("AFI, SAFI and the upper bound round-trip", () => {
    const n = Notification.maximumPrefixes(2, 1, 4000000000)
    expect([n.code, n.subcode]).toEqual([6, 1])
    expect(n.data).toEqual(hex("0002 01 ee6b2800"))
    expect(Notification.maximumPrefixesData(n)).toEqual({ afi: 2, safi: 1, limit: 4000000000 })
  })

  test("a Cease 6/1 without the 7-byte form has no structured data", () => {
    expect(Notification.maximumPrefixesData(Notification.make(6, 1))).toBeUndefined()
    expect(Notification.maximumPrefixesData(Notification.make(6, 1, hex("0001")))).toBeUndefined()
  })
})

describe("RFC 5492 §5 Unsupported Capability", () => {
  test("the data lists the capabilities, each encoded as in the OPEN, and reads back", () => {
    const caps = [
      { _tag: "Multiprotocol" as const, afi: 2, safi: 1 },
      { _tag: "FourOctetAs" as const, asn: 4200000000 }
    ]
    const n = Notification.unsupportedCapability(caps)
    expect([n.code, n.subcode]).toEqual([2, 7])
    expect(n.data).toEqual(hex("01 04 0002 00 01  41 04 fa56ea00"))
    expect(Notification.unsupportedCapabilities(n)).toEqual(caps)
  })

  test("data that does not parse as capabilities, or another notification, reads as undefined", () => {
    expect(Notification.unsupportedCapabilities(Notification.make(2, 7, hex("01 05 0002")))).toBeUndefined()
    expect(Notification.unsupportedCapabilities(Notification.make(2, 4, hex("")))).toBeUndefined()
  })
})

describe("RFC 8538 Hard Reset", () => {
  test("hardReset wraps a notification and unwrapHardReset recovers it", () => {
    const inner = Notification.make(4, 0)
    const wrapped = Notification.hardReset(inner)
    expect([wrapped.code, wrapped.subcode]).toEqual([6, 9])
    expect(wrapped.data).toEqual(hex("0400"))
    expect(Notification.unwrapHardReset(wrapped)).toEqual(inner)
  })

  test("the inner data is kept, e.g. a shutdown communication", () => {
    const inner = Notification.shutdown(2, "bye")
    const back = Notification.unwrapHardReset(Notification.hardReset(inner))!
    expect(back).toEqual(inner)
    expect(Notification.shutdownCommunication(back)).toEqual({ text: "bye" })
  })

  test("anything else, or a Hard Reset with under 2 data bytes, unwraps to undefined", () => {
    expect(Notification.unwrapHardReset(Notification.make(6, 2, hex("0400")))).toBeUndefined()
    expect(Notification.unwrapHardReset(Notification.make(6, 9, hex("04")))).toBeUndefined()
  })
})
