import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import * as Keys from "../src/internal/Keys.js"
import * as LocalRoutes from "../src/internal/LocalRoutes.js"
import * as SpeakerError from "../src/SpeakerError.js"

const prefixesOf = (table: LocalRoutes.Table | SpeakerError.SpeakerError): Array<string> => {
  if (table instanceof SpeakerError.SpeakerError) throw new Error(table.message)
  return [...(table.scopes.get(LocalRoutes.ALL)?.values() ?? [])].flatMap((t) => [...t.keys()].map(Keys.format))
}

describe("split: a prefix announced as its more-specifics", () => {
  test("10.0.0.0/22 split 24 is the four /24s, in address order", () => {
    expect(prefixesOf(LocalRoutes.compile([{ prefix: "10.0.0.0/22", split: 24 }], LocalRoutes.empty))).toEqual([
      "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"
    ])
  })

  test("a split equal to the prefix length is the prefix itself; every entry of `prefixes` is split", () => {
    expect(prefixesOf(LocalRoutes.compile([{ prefixes: ["192.0.2.0/24", "198.51.100.0/31"], split: 32 }], LocalRoutes.empty)).length).toBe(258)
    expect(prefixesOf(LocalRoutes.compile([{ prefix: "192.0.2.0/24", split: 24 }], LocalRoutes.empty))).toEqual(["192.0.2.0/24"])
  })

  test("IPv6: 2001:db8::/46 split 48 is the four /48s", () => {
    expect(prefixesOf(LocalRoutes.compile([{ prefix: "2001:db8::/46", split: 48 }], LocalRoutes.empty))).toEqual([
      "2001:db8::/48", "2001:db8:1::/48", "2001:db8:2::/48", "2001:db8:3::/48"
    ])
  })

  test("a split shorter than the prefix, longer than the address, or above 2^24 prefixes is refused with the field path", () => {
    const error = (route: Parameters<typeof LocalRoutes.compile>[0][number]) => {
      const r = LocalRoutes.compile([route], LocalRoutes.empty)
      return r instanceof SpeakerError.SpeakerError ? r.message : "accepted"
    }
    expect(error({ prefix: "10.0.0.0/16", split: 8 })).toContain("routes[0].split")
    expect(error({ prefix: "10.0.0.0/16", split: 8 })).toContain("shorter than the prefix length 16")
    expect(error({ prefix: "10.0.0.0/16", split: 33 })).toContain("longer than an IPv4 address")
    expect(error({ prefix: "0.0.0.0/0", split: 25 })).toContain("at most 16777216")
    expect(error({ prefix: "10.0.0.0/8", split: 24 })).toBe("accepted")
    expect(error({ prefix: "10.0.0.0/16", split: 1.5 })).toContain("expected a prefix length")
  })

  test("every more-specific lies inside the prefix, has the split length, and none repeats (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 32 }), fc.integer({ min: 0, max: 8 }), (a, length, extra) => {
        const split = Math.min(32, length + extra)
        const base = length === 0 ? 0 : (a >>> (32 - length)) * 2 ** (32 - length)
        const key: Keys.PrefixKey = base * 64 + length
        const keys = [...LocalRoutes.expand(key, split)]
        expect(keys.length).toBe(2 ** (split - length))
        expect(new Set(keys).size).toBe(keys.length)
        for (const k of keys) {
          expect(Keys.lengthOf(k)).toBe(split)
          expect(Math.floor(Math.floor((k as number) / 64) / 2 ** (32 - length))).toBe(Math.floor(base / 2 ** (32 - length)))
        }
      })
    )
  })
})
