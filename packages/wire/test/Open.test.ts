import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type * as Capability from "../src/Capability.js"
import * as Context from "../src/Context.js"
import { Writer } from "../src/internal/Writer.js"
import type { Open as OpenMessage } from "../src/Message.js"
import * as Open from "../src/Open.js"
import * as WireError from "../src/WireError.js"
import * as Arb from "./arbitraries/Messages.js"

const ctx = Context.defaults

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

const encodeBody = (open: OpenMessage): Uint8Array => {
  const w = new Writer(64)
  Open.encodeBody(w, open, ctx)
  return w.finish()
}
const decodeBody = (body: Uint8Array): OpenMessage | WireError.WireError => Open.decodeBody(body, 0, body.length, ctx)

const expectError = (r: unknown, code: number, subcode: number, data?: Uint8Array): WireError.WireError => {
  expect(WireError.isWireError(r)).toBe(true)
  const e = r as WireError.WireError
  expect([e.code, e.subcode]).toEqual([code, subcode])
  if (data !== undefined) expect(toHex(e.data)).toBe(toHex(data))
  return e
}

/** Version 4, AS 65001, hold 90, id 10.0.0.1, then `opt` (Opt Parm Len and parameters). */
const fixed = "04 fde9 005a 0a000001"

describe("OPEN round trips", () => {
  test("decode(encode(open)) equals open for any capabilities", () => {
    fc.assert(
      fc.property(Arb.open, (open) => {
        expect(decodeBody(encodeBody(open))).toEqual(open)
      }),
      { numRuns: 300 }
    )
  })

  test("encode(decode(bytes)) equals bytes for canonical encodings", () => {
    fc.assert(
      fc.property(Arb.open, (open) => {
        const bytes = encodeBody(open)
        const back = decodeBody(bytes) as OpenMessage
        expect(toHex(encodeBody(back))).toBe(toHex(bytes))
      }),
      { numRuns: 300 }
    )
  })
})

describe("OPEN layout", () => {
  test("an OPEN without capabilities has no optional parameters", () => {
    const open = Open.make({ asn: 65001, holdTime: 90, bgpId: 0x0a000001 })
    expect(toHex(encodeBody(open))).toBe(toHex(hex(`${fixed} 00`)))
  })

  test("all capabilities go in one Capabilities parameter", () => {
    const open = Open.make({
      asn: 65001,
      holdTime: 90,
      bgpId: 0x0a000001,
      capabilities: [
        { _tag: "Multiprotocol", afi: 1, safi: 1 },
        { _tag: "RouteRefresh" },
        { _tag: "FourOctetAs", asn: 65001 }
      ]
    })
    const bytes = hex(`${fixed} 10 02 0e 01040001 0001 0200 4104 0000fde9`)
    expect(toHex(encodeBody(open))).toBe(toHex(bytes))
    expect(decodeBody(bytes)).toEqual(open)
  })

  test("several Capabilities parameters, each with one or more capabilities, are read in order", () => {
    const bytes = hex(`${fixed} 12 02 08 01040001 0001 0200 02 00 02 04 0200 4600`)
    const open = decodeBody(bytes) as OpenMessage
    expect(open.capabilities.map((c) => c._tag)).toEqual(["Multiprotocol", "RouteRefresh", "RouteRefresh", "EnhancedRouteRefresh"])
  })

  test("a Capabilities parameter may be empty", () => {
    expect(decodeBody(hex(`${fixed} 02 02 00`))).toEqual({
      _tag: "Open",
      version: 4,
      myAs: 65001,
      holdTime: 90,
      bgpId: 0x0a000001,
      capabilities: []
    })
  })

  test("capabilities over 253 bytes use the RFC 9072 extended layout", () => {
    const caps: Array<Capability.Capability> = [
      { _tag: "Unknown", code: 200, value: new Uint8Array(200).fill(7) },
      { _tag: "Unknown", code: 201, value: new Uint8Array(52).fill(8) }
    ]
    const open = Open.make({ asn: 65001, holdTime: 90, bgpId: 0x0a000001, capabilities: caps })
    const bytes = encodeBody(open)
    // 202 + 54 = 256 capability bytes: Non-Ext OP Len 255, Non-Ext OP Type 255, Ext length 259, type 2, length 256.
    expect(toHex(bytes.subarray(9, 16))).toBe("ffff0103020100")
    expect(bytes.length).toBe(10 + 3 + 3 + 256)
    expect(decodeBody(bytes)).toEqual(open)
  })

  test("253 bytes of capabilities still use the classic layout", () => {
    const open = Open.make({
      asn: 65001,
      holdTime: 90,
      bgpId: 1,
      capabilities: [{ _tag: "Unknown", code: 200, value: new Uint8Array(251) }]
    })
    const bytes = encodeBody(open)
    expect(toHex(bytes.subarray(9, 12))).toBe("ff02fd")
    expect(decodeBody(bytes)).toEqual(open)
  })

  test("the extended layout is accepted even for short parameters (RFC 9072 §2 MUST accept)", () => {
    const classic = decodeBody(hex(`${fixed} 08 02 06 4104 0000fde9`))
    const extended = decodeBody(hex(`${fixed} ff ff 0009 02 0006 4104 0000fde9`))
    expect((classic as OpenMessage).capabilities).toEqual([{ _tag: "FourOctetAs", asn: 65001 }])
    expect(extended).toEqual(classic)
  })

  test("the extended layout is recognised by the Non-Ext OP Type alone (the Non-Ext OP Len is ignored)", () => {
    const open = decodeBody(hex(`${fixed} 01 ff 0003 02 0000`))
    expect((open as OpenMessage).capabilities).toEqual([])
  })
})

describe("OPEN helpers", () => {
  test("make puts AS_TRANS in My AS for a 4-octet AS and asn() recovers it from the capability", () => {
    const open = Open.make({ asn: 4200000000, holdTime: 90, bgpId: 1, capabilities: [{ _tag: "FourOctetAs", asn: 4200000000 }] })
    expect(open.myAs).toBe(Open.AS_TRANS)
    expect(Open.asn(open)).toBe(4200000000)
  })

  test("asn() falls back to My AS without a 4-octet AS capability", () => {
    expect(Open.asn(Open.make({ asn: 65010, holdTime: 0, bgpId: 1 }))).toBe(65010)
  })

  test("capabilities() returns every capability of one kind, capability() the first", () => {
    const open = Open.make({
      asn: 1,
      holdTime: 0,
      bgpId: 1,
      capabilities: [
        { _tag: "Multiprotocol", afi: 1, safi: 1 },
        { _tag: "RouteRefresh" },
        { _tag: "Multiprotocol", afi: 2, safi: 1 }
      ]
    })
    const mp = Open.capabilities(open, "Multiprotocol")
    expect(mp.map((c) => c.afi)).toEqual([1, 2])
    expect(Open.capability(open, "Multiprotocol")?.afi).toBe(1)
    expect(Open.capability(open, "AddPath")).toBeUndefined()
  })
})

describe("OPEN errors", () => {
  test("version 3 is 2/1 Unsupported Version Number with data = 2-byte version 4", () => {
    expectError(decodeBody(hex("03 fde9 005a 0a000001 00")), 2, 1, hex("0004"))
  })

  test("an optional parameter other than Capabilities is 2/4 with the parameter as data", () => {
    // Type 1 (the deprecated Authentication Information).
    expectError(decodeBody(hex(`${fixed} 04 01 02 abcd`)), 2, 4, hex("0102abcd"))
  })

  test("an unsupported parameter after a good one is still 2/4", () => {
    expectError(decodeBody(hex(`${fixed} 06 02 02 0200 07 00`)), 2, 4, hex("0700"))
  })

  test("a body shorter than the 10 fixed bytes is 1/2 with the length field", () => {
    expectError(decodeBody(hex("04 fde9 005a 0a00")), 1, 2, hex("001a"))
  })

  test("an optional parameters length past the message is 2/0", () => {
    const e = expectError(decodeBody(hex(`${fixed} 08 02 02 0200`)), 2, 0)
    expect(e.detail).toContain("runs past the message")
  })

  test("bytes after the optional parameters are 2/0", () => {
    const e = expectError(decodeBody(hex(`${fixed} 04 02 02 0200 00`)), 2, 0)
    expect(e.detail).toContain("after the optional parameters")
  })

  test("a parameter length past the optional-parameters field is 2/0", () => {
    const e = expectError(decodeBody(hex(`${fixed} 04 02 05 0200`)), 2, 0)
    expect(e.detail).toContain("runs past the optional parameters")
  })

  test("CVE-2022-40302 shape: a capability length past its parameter is 2/0, even with bytes after it", () => {
    // Parameter of 4 bytes holding a capability that claims 6; the next parameter's bytes follow.
    const e = expectError(decodeBody(hex(`${fixed} 0c 02 04 4106 0000 02 04 0200 0200`)), 2, 0)
    expect(e.detail).toContain("4-octet AS capability length 6 runs past its parameter")
  })

  test("a capability header cut off inside its parameter is 2/0", () => {
    expectError(decodeBody(hex(`${fixed} 03 02 01 41`)), 2, 0)
  })

  test("CVE-2022-43681 shape: optional parameters ending after the parameter type octet are 2/0", () => {
    const e = expectError(decodeBody(hex(`${fixed} 01 02`)), 2, 0)
    expect(e.detail).toContain("optional parameter header")
  })

  test("CVE-2022-43681 shape, extended layout: ending inside the 2-byte parameter length is 2/0", () => {
    const e = expectError(decodeBody(hex(`${fixed} ff ff 0002 02 00`)), 2, 0)
    expect(e.detail).toContain("optional parameter header needs 3 bytes")
  })

  test("an extended layout without room for its 2-byte length is 2/0", () => {
    expectError(decodeBody(hex(`${fixed} ff ff 00`)), 2, 0)
  })

  test("an extended optional parameters length past the message is 2/0", () => {
    expectError(decodeBody(hex(`${fixed} ff ff 0010 02 0000`)), 2, 0)
  })

  test("an extended parameter length past the field is 2/0", () => {
    expectError(decodeBody(hex(`${fixed} ff ff 0005 02 0009 0200`)), 2, 0)
  })

  test("a malformed known capability inside the OPEN is 2/0 naming it", () => {
    const e = expectError(decodeBody(hex(`${fixed} 05 02 03 4101 00`)), 2, 0)
    expect(e.detail).toContain("4-octet AS")
  })

  test("decodeBody reads hold time, BGP identifier and AS as sent; their value rules are the FSM's (@kbgp/fsm Negotiation.check)", () => {
    const open = decodeBody(hex("04 0000 0001 00000000 00")) as OpenMessage
    expect([open.myAs, open.holdTime, open.bgpId]).toEqual([0, 1, 0])
  })

  test("RFC 9072 §3: a first parameter type 255 means the extended layout even when Non-Ext OP Len is not 255", () => {
    const open = decodeBody(hex(`${fixed} 08 ff 0005 02 0002 4600`)) as OpenMessage
    expect(open.capabilities).toEqual([{ _tag: "EnhancedRouteRefresh" }])
  })

  test("RFC 9072 §3: type 255 in any other position is an unrecognised parameter, 2/4", () => {
    expectError(decodeBody(hex(`${fixed} ff ff 0006 02 0000 ff 0000`)), 2, 4, hex("ff0000"))
    expectError(decodeBody(hex(`${fixed} 04 02 00 ff 00`)), 2, 4, hex("ff00"))
  })

  test("random bodies never throw and never read outside their range", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(4), (body, pad) => {
        const buf = new Uint8Array(pad + body.length + pad).fill(0xff)
        buf.set(body, pad)
        const r = Open.decodeBody(buf, pad, pad + body.length, ctx)
        expect(r).toEqual(Open.decodeBody(body, 0, body.length, ctx))
      }),
      { numRuns: 1000 }
    )
  })

  test("mutated valid OPENs decode to an OPEN or an error, never throw", () => {
    fc.assert(
      fc.property(Arb.open, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (open, edits, cut) => {
        const bytes = encodeBody(open)
        for (const [at, v] of edits) bytes[at % bytes.length] = v
        const end = bytes.length - (cut % 3 === 0 ? cut % Math.min(bytes.length, 8) : 0)
        const r = Open.decodeBody(bytes, 0, end, ctx)
        if (WireError.isWireError(r)) expect([1, 2]).toContain(r.code)
        else expect(r._tag).toBe("Open")
      }),
      { numRuns: 500 }
    )
  })
})
