import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { Afi } from "../src/Family.js"
import * as Prefixes from "../src/Prefixes.js"
import { ipv4, ipv6, prefixes, show, showAll, v4 } from "./arbitraries/Prefixes.js"

const encodeAll = (p: Prefixes.Prefixes, addPath: boolean): Uint8Array => {
  const out = new Uint8Array(Prefixes.byteLength(p, addPath))
  const end = Prefixes.encodeRange(p, 0, p.count, addPath, out, 0)
  expect(end).toBe(out.length)
  return out
}

const decodeOk = (bytes: Uint8Array, afi: number, addPath: boolean): Prefixes.Prefixes => {
  const r = Prefixes.decode(bytes, 0, bytes.length, afi, addPath)
  if (typeof r === "string") throw new Error(`unexpected decode failure: ${r}`)
  return r
}

const families = [
  { name: "IPv4", afi: Afi.Ipv4 },
  { name: "IPv6", afi: Afi.Ipv6 }
] as const

describe("Prefixes round trips", () => {
  for (const { name, afi } of families) {
    for (const addPath of [false, true]) {
      const label = `${name}${addPath ? " with path ids" : ""}`

      test(`${label}: decode(encode(p)) equals p`, () => {
        fc.assert(
          fc.property(prefixes(afi, addPath), (p) => {
            expect(Prefixes.equals(decodeOk(encodeAll(p, addPath), afi, addPath), p)).toBe(true)
          }),
          { numRuns: 300 }
        )
      })

      test(`${label}: encode(decode(b)) equals b for canonical bytes`, () => {
        fc.assert(
          fc.property(prefixes(afi, addPath), (p) => {
            const bytes = encodeAll(p, addPath)
            expect(encodeAll(decodeOk(bytes, afi, addPath), addPath)).toEqual(bytes)
          }),
          { numRuns: 300 }
        )
      })

      test(`${label}: a decoded field parsed from any offset range stays inside it`, () => {
        fc.assert(
          fc.property(prefixes(afi, addPath, { minLength: 1 }), fc.nat(8), fc.nat(8), (p, pre, post) => {
            const body = encodeAll(p, addPath)
            // Surround the field with 0xff bytes that would be malformed if read.
            const framed = new Uint8Array(pre + body.length + post).fill(0xff)
            framed.set(body, pre)
            const r = Prefixes.decode(framed, pre, pre + body.length, afi, addPath)
            expect(typeof r === "string" ? r : Prefixes.equals(r, p)).toBe(true)
          }),
          { numRuns: 200 }
        )
      })
    }
  }

  test("byteLength and rangeSize agree with the bytes encodeRange writes", () => {
    fc.assert(
      fc.property(prefixes(Afi.Ipv6, false), fc.boolean(), (p, addPath) => {
        const split = p.count >>> 1
        const out = new Uint8Array(Prefixes.byteLength(p, addPath))
        const mid = Prefixes.encodeRange(p, 0, split, addPath, out, 0)
        expect(mid).toBe(Prefixes.rangeSize(p, 0, split, addPath))
        expect(Prefixes.encodeRange(p, split, p.count, addPath, out, mid)).toBe(out.length)
      }),
      { numRuns: 200 }
    )
  })

  test("a block without path ids is encoded with path id 0 under ADD-PATH", () => {
    const bytes = encodeAll(ipv4("10.0.0.0/8"), true)
    expect(Array.from(bytes)).toEqual([0, 0, 0, 0, 8, 10])
  })

  test("path ids are left out when ADD-PATH is not in use", () => {
    const p = Prefixes.fromEntries(Afi.Ipv4, [v4("10.0.0.0/8", 7)], true)
    expect(Array.from(encodeAll(p, false))).toEqual([8, 10])
    expect(Array.from(encodeAll(p, true))).toEqual([0, 0, 0, 7, 8, 10])
  })
})

describe("Prefixes decoding of malformed fields (RFC 7606 §5.3)", () => {
  test("an IPv4 prefix length above 32 is rejected with a reason", () => {
    const r = Prefixes.decode(Uint8Array.of(33, 1, 2, 3, 4, 5), 0, 6, Afi.Ipv4, false)
    expect(r).toBeTypeOf("string")
    expect(r as string).toContain("prefix length 33 exceeds 32")
  })

  test("an IPv6 prefix length above 128 is rejected with a reason", () => {
    const bytes = new Uint8Array(18)
    bytes[0] = 129
    const r = Prefixes.decode(bytes, 0, bytes.length, Afi.Ipv6, false)
    expect(r as string).toContain("prefix length 129 exceeds 128")
  })

  test("a prefix running past the end of the field is rejected with a reason", () => {
    const r = Prefixes.decode(Uint8Array.of(24, 10, 0), 0, 3, Afi.Ipv4, false)
    expect(r as string).toContain("prefix /24 needs 3 bytes")
  })

  test("the field end is respected even when the buffer continues", () => {
    const r = Prefixes.decode(Uint8Array.of(24, 10, 0, 1), 0, 3, Afi.Ipv4, false)
    expect(r).toBeTypeOf("string")
  })

  test("a truncated path identifier is rejected with a reason", () => {
    const r = Prefixes.decode(Uint8Array.of(0, 0, 1), 0, 3, Afi.Ipv4, true)
    expect(r as string).toContain("path identifier")
  })

  test("a path identifier followed by no prefix length is rejected", () => {
    const r = Prefixes.decode(Uint8Array.of(0, 0, 0, 1), 0, 4, Afi.Ipv4, true)
    expect(r).toBeTypeOf("string")
  })

  test("an empty field is an empty block", () => {
    const r = decodeOk(new Uint8Array(0), Afi.Ipv4, false)
    expect(r.count).toBe(0)
    expect(r.pathIds).toBeUndefined()
    expect(decodeOk(new Uint8Array(0), Afi.Ipv4, true).pathIds?.length).toBe(0)
  })

  test("random bytes never throw, and a decoded field re-encodes to exactly its input length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(Afi.Ipv4, Afi.Ipv6), fc.boolean(), (bytes, afi, addPath) => {
        const r = Prefixes.decode(bytes, 0, bytes.length, afi, addPath)
        if (typeof r !== "string") expect(Prefixes.byteLength(r, addPath)).toBe(bytes.length)
      }),
      { numRuns: 1000 }
    )
  })
})

describe("Prefixes host bits", () => {
  test("decoding clears bits past the prefix length", () => {
    // 10.255.255.255/12 on the wire: two address bytes, the second with host bits set.
    const p = decodeOk(Uint8Array.of(12, 10, 0xff), Afi.Ipv4, false)
    expect(show(p, 0)).toBe("10.240.0.0/12")
  })

  test("decoding a /0 yields the zero address", () => {
    expect(showAll(decodeOk(Uint8Array.of(0), Afi.Ipv4, false))).toEqual(["0.0.0.0/0"])
  })

  test("building from entries clears host bits", () => {
    expect(showAll(ipv4("10.1.2.3/8", "192.168.1.129/25", "1.2.3.4/32"))).toEqual([
      "10.0.0.0/8",
      "192.168.1.128/25",
      "1.2.3.4/32"
    ])
    expect(showAll(ipv6("2001:db8:ffff::1/33"))).toEqual(["2001:db8:8000:0:0:0:0:0/33"])
  })

  test("every decoded prefix has zero host bits (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = Prefixes.decode(bytes, 0, bytes.length, Afi.Ipv4, false)
        if (typeof r === "string") return
        for (let i = 0; i < r.count; i++) {
          const addr = ((r.addresses[4 * i]! << 24) | (r.addresses[4 * i + 1]! << 16) | (r.addresses[4 * i + 2]! << 8) | r.addresses[4 * i + 3]!) >>> 0
          const len = r.lengths[i]!
          const host = len === 32 ? 0 : (0xffffffff >>> len) >>> 0
          expect((addr & host) >>> 0).toBe(0)
        }
      }),
      { numRuns: 500 }
    )
  })
})

describe("Prefixes construction helpers", () => {
  test("fromEntries rejects a length the AFI cannot hold", () => {
    expect(() => Prefixes.fromEntries(Afi.Ipv4, [{ address: new Uint8Array(4), length: 33 }])).toThrow(RangeError)
  })

  test("fromEntries rejects an address too short for its length", () => {
    expect(() => Prefixes.fromEntries(Afi.Ipv4, [{ address: Uint8Array.of(10), length: 16 }])).toThrow(RangeError)
  })

  test("toEntries and fromEntries are inverse", () => {
    fc.assert(
      fc.property(prefixes(Afi.Ipv4, true), (p) => {
        expect(Prefixes.equals(Prefixes.fromEntries(Afi.Ipv4, Prefixes.toEntries(p), true), p)).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  test("slice then concat gives back the block", () => {
    fc.assert(
      fc.property(prefixes(Afi.Ipv6, true), fc.nat(), (p, k) => {
        const cut = p.count === 0 ? 0 : k % (p.count + 1)
        const joined = Prefixes.concat(Afi.Ipv6, [Prefixes.slice(p, 0, cut), Prefixes.slice(p, cut, p.count)])
        expect(Prefixes.equals(joined, p)).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  test("concat drops path ids unless every block has them", () => {
    const a = Prefixes.fromEntries(Afi.Ipv4, [v4("10.0.0.0/8", 1)], true)
    const b = ipv4("11.0.0.0/8")
    const j = Prefixes.concat(Afi.Ipv4, [a, b])
    expect(j.pathIds).toBeUndefined()
    expect(showAll(j)).toEqual(["10.0.0.0/8", "11.0.0.0/8"])
  })

  test("equals distinguishes path ids, order and family", () => {
    const a = Prefixes.fromEntries(Afi.Ipv4, [v4("10.0.0.0/8", 1)], true)
    const b = Prefixes.fromEntries(Afi.Ipv4, [v4("10.0.0.0/8", 2)], true)
    expect(Prefixes.equals(a, b)).toBe(false)
    expect(Prefixes.equals(a, ipv4("10.0.0.0/8"))).toBe(false)
    expect(Prefixes.equals(ipv4("10.0.0.0/8", "11.0.0.0/8"), ipv4("11.0.0.0/8", "10.0.0.0/8"))).toBe(false)
    expect(Prefixes.equals(Prefixes.empty(Afi.Ipv4), Prefixes.empty(Afi.Ipv6))).toBe(false)
  })
})
