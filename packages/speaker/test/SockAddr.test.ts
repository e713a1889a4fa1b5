import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import * as net from "node:net"
import * as Md5 from "../src/internal/Md5.js"
import * as SockAddr from "../src/internal/SockAddr.js"

const v6Bytes = fc.uint8Array({ minLength: 16, maxLength: 16 })

describe("SockAddr", () => {
  test("formatted IPv6 addresses parse back to the same bytes and are valid for node:net", () => {
    fc.assert(
      fc.property(v6Bytes, (bytes) => {
        const text = SockAddr.format(bytes)
        expect(net.isIP(text)).not.toBe(0)
        const back = SockAddr.parse(text)
        expect(back).toBeDefined()
        const mapped = bytes.subarray(0, 12).every((b, i) => (i < 10 ? b === 0 : b === 0xff))
        expect(back?.bytes).toEqual(mapped ? bytes.subarray(12) : bytes)
      }),
      { numRuns: 1000 }
    )
  })

  test("formats sparse IPv6 addresses in RFC 5952 form", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(0, 0, 0, 1, 0xdb8, 0xffff), { minLength: 8, maxLength: 8 }), (words) => {
        const bytes = new Uint8Array(16)
        words.forEach((w, i) => {
          bytes[2 * i] = w >> 8
          bytes[2 * i + 1] = w & 0xff
        })
        const text = SockAddr.format(bytes)
        expect(text).toBe(text.toLowerCase())
        const sides = text.split("::")
        expect(sides.length).toBeLessThanOrEqual(2)
        const explicit = sides.flatMap((s) => (s === "" ? [] : s.split(":")))
        // "::" stands for the longest run of zero groups, and never for a single one (RFC 5952 §4.2.2).
        const compressed = sides.length === 2 ? 8 - explicit.length : 0
        if (sides.length === 2) expect(compressed).toBeGreaterThanOrEqual(2)
        let run = 0
        for (const g of explicit) {
          run = g === "0" ? run + 1 : 0
          expect(run < 2 || run <= compressed).toBe(true)
        }
      }),
      { numRuns: 500 }
    )
  })

  test("IPv4 addresses round-trip and agree with node:net", () => {
    fc.assert(
      fc.property(fc.ipV4(), (text) => {
        expect(SockAddr.canonical(text)).toBe(text)
      }),
      { numRuns: 500 }
    )
  })

  test("accepts exactly what node:net calls an IP address (zones aside)", () => {
    const candidates = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^[0-9a-f:.]{0,24}$/)
    )
    fc.assert(
      fc.property(candidates, (text) => {
        expect(SockAddr.parse(text) !== undefined).toBe(net.isIP(text) !== 0)
      }),
      { numRuns: 1000 }
    )
  })

  test("canonical names the same peer the same way", () => {
    expect(SockAddr.canonical("2001:DB8:0:0::1")).toBe("2001:db8::1")
    expect(SockAddr.canonical("::ffff:192.0.2.1")).toBe("192.0.2.1")
    expect(SockAddr.canonical("1:0:0:2:0:0:0:3")).toBe("1:0:0:2::3")
    expect(SockAddr.canonical("fe80::1%eth0")).toBe("fe80::1%eth0")
    expect(SockAddr.canonical("peer.example")).toBeUndefined()
  })

  test("encodes sockaddr_in and sockaddr_in6 (IPv4 peers of IPv6 sockets mapped) and decodes them back", () => {
    const v4 = SockAddr.parse("192.0.2.1")
    const v6 = SockAddr.parse("2001:db8::1")
    if (v4 === undefined || v6 === undefined) throw new Error("parse")
    const sin = SockAddr.encode(4, v4, 179)
    expect(sin.length).toBe(16)
    expect([...sin.subarray(0, 8)]).toEqual([2, 0, 0, 179, 192, 0, 2, 1])
    expect(SockAddr.decode(sin)).toEqual({ address: "192.0.2.1", port: 179 })
    const sin6 = SockAddr.encode(6, v6, 179, 3)
    expect(sin6.length).toBe(28)
    expect([...sin6.subarray(0, 4)]).toEqual([10, 0, 0, 179])
    expect(sin6[24]).toBe(3)
    expect(SockAddr.decode(sin6)).toEqual({ address: "2001:db8::1", port: 179 })
    const mapped = SockAddr.encode(6, v4, 179)
    expect([...mapped.subarray(8, 24)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 1])
    expect(SockAddr.decode(mapped)).toEqual({ address: "192.0.2.1", port: 179 })
  })
})

describe("Md5", () => {
  test("struct tcp_md5sig: peer sockaddr at 0, key length at 130, key at 136, 216 bytes", () => {
    const peer = SockAddr.parse("192.0.2.1")
    if (peer === undefined) throw new Error("parse")
    const key = new TextEncoder().encode("s3cret")
    const s = Md5.encode(4, peer, key)
    expect(s.length).toBe(216)
    expect([...s.subarray(0, 8)]).toEqual([2, 0, 0, 0, 192, 0, 2, 1])
    expect(s[130] | (s[131] << 8)).toBe(6)
    expect(new TextDecoder().decode(s.subarray(136, 142))).toBe("s3cret")
    expect(s[142]).toBe(0)
  })

  test("passwords over 80 bytes (UTF-8) are refused with the limit named", () => {
    expect(Md5.keyBytes("x".repeat(80))).toBeInstanceOf(Uint8Array)
    expect(Md5.keyBytes("x".repeat(81))).toContain("at most 80")
    expect(Md5.keyBytes("é".repeat(41))).toContain("82 bytes")
  })
})
