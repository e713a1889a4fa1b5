import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { AsPath, AsPathSegment } from "../src/Attributes.js"
import { SegmentType } from "../src/Attributes.js"
import * as AsPathM from "../src/AsPath.js"
import * as Arb from "./arbitraries/Attributes.js"

const seq = (...asns: Array<number>): AsPathSegment => ({ type: SegmentType.AsSequence, asns })
const set = (...asns: Array<number>): AsPathSegment => ({ type: SegmentType.AsSet, asns })
const cseq = (...asns: Array<number>): AsPathSegment => ({ type: SegmentType.ConfedSequence, asns })
const cset = (...asns: Array<number>): AsPathSegment => ({ type: SegmentType.ConfedSet, asns })

const flat = (p: AsPath): Array<number> => p.flatMap((s) => s.asns)
const trans = (asn: number): number => (asn > 0xffff ? AsPathM.AS_TRANS : asn)

describe("length (RFC 4271 §9.1.2.2, RFC 5065)", () => {
  test("an AS_SEQUENCE counts each AS, an AS_SET counts 1, confederation segments count 0", () => {
    expect(AsPathM.length([])).toBe(0)
    expect(AsPathM.length([seq(1, 2, 3)])).toBe(3)
    expect(AsPathM.length([seq(1, 2), set(3, 4, 5)])).toBe(3)
    expect(AsPathM.length([cseq(7, 8), cset(9), seq(1)])).toBe(1)
  })
})

describe("firstAs", () => {
  test("the first AS of a leading AS_SEQUENCE", () => {
    expect(AsPathM.firstAs([seq(65001, 65002), set(3)])).toBe(65001)
  })
  test("undefined for an empty path, a leading AS_SET or a leading confederation segment", () => {
    expect(AsPathM.firstAs([])).toBeUndefined()
    expect(AsPathM.firstAs([set(65001)])).toBeUndefined()
    expect(AsPathM.firstAs([cseq(65010), seq(65001)])).toBeUndefined()
  })
})

describe("asSequence, includes", () => {
  test("asSequence builds one AS_SEQUENCE, or the empty path", () => {
    expect(AsPathM.asSequence([1, 2])).toEqual([seq(1, 2)])
    expect(AsPathM.asSequence([])).toEqual([])
  })
  test("includes finds an AS in any segment", () => {
    expect(AsPathM.includes([seq(1), set(2, 3), cseq(4)], 3)).toBe(true)
    expect(AsPathM.includes([seq(1), set(2, 3)], 4)).toBe(false)
  })
})

describe("reconstruct (RFC 6793 §4.2.3)", () => {
  test("the leading AS numbers missing from AS4_PATH are taken from AS_PATH and joined to it", () => {
    const asPath = [seq(65001, 65002, AsPathM.AS_TRANS, AsPathM.AS_TRANS)]
    const as4Path = [seq(4200000000, 4200000001)]
    expect(AsPathM.reconstruct(asPath, as4Path)).toEqual([seq(65001, 65002, 4200000000, 4200000001)])
  })

  test("an AS4_PATH longer than AS_PATH is ignored", () => {
    const asPath = [seq(65001)]
    expect(AsPathM.reconstruct(asPath, [seq(4200000000, 4200000001)])).toBe(asPath)
  })

  test("equal lengths: AS4_PATH replaces AS_PATH", () => {
    expect(AsPathM.reconstruct([seq(AsPathM.AS_TRANS, 65002)], [seq(4200000000, 65002)])).toEqual([seq(4200000000, 65002)])
  })

  test("an AS_SET in AS_PATH is taken whole and counts one AS number", () => {
    expect(AsPathM.reconstruct([set(1, 2), seq(AsPathM.AS_TRANS)], [seq(4200000000)])).toEqual([set(1, 2), seq(4200000000)])
  })

  test("an AS_SEQUENCE is cut when only part of it is needed", () => {
    expect(AsPathM.reconstruct([seq(1, 2, 3), set(4)], [seq(5), set(6)])).toEqual([seq(1, 2, 5), set(6)])
  })

  test("a leading confederation segment, and one adjacent to a taken segment, are kept", () => {
    expect(AsPathM.reconstruct([cseq(65010), seq(1, AsPathM.AS_TRANS)], [seq(4200000000)])).toEqual([
      cseq(65010),
      seq(1, 4200000000)
    ])
    expect(AsPathM.reconstruct([seq(1), cset(65011), seq(AsPathM.AS_TRANS)], [seq(4200000000)])).toEqual([
      seq(1),
      cset(65011),
      seq(4200000000)
    ])
  })

  test("paths built by OLD speakers prepending to a 4-octet path reconstruct to the original", () => {
    // The original path P passes OLD speakers that prepend Q (2-octet ASes) and see P through AS_TRANS.
    const p = fc.array(Arb.segment(true, [SegmentType.AsSequence, SegmentType.AsSet]), { minLength: 1, maxLength: 3 })
    const q = fc.array(Arb.asn(false), { maxLength: 5 })
    fc.assert(
      fc.property(p, q, fc.boolean(), (original, prepended, join) => {
        const seen = original.map((s) => ({ type: s.type, asns: s.asns.map(trans) }))
        // An OLD speaker prepends into a leading AS_SEQUENCE (RFC 4271 §5.1.2) or starts a new one.
        const head = seen[0]!
        const asPath: AsPath =
          prepended.length === 0
            ? seen
            : join && head.type === SegmentType.AsSequence
              ? [seq(...prepended, ...head.asns), ...seen.slice(1)]
              : [seq(...prepended), ...seen]
        const got = AsPathM.reconstruct(asPath, original)
        expect(AsPathM.length(got)).toBe(AsPathM.length(asPath))
        expect(flat(got)).toEqual([...prepended, ...flat(original)])
      }),
      { numRuns: 300 }
    )
  })

  test("the reconstructed path always has the length of AS_PATH when AS4_PATH is not longer", () => {
    const path = fc.array(Arb.segment(true, [1, 2, 3, 4]), { maxLength: 4 })
    fc.assert(
      fc.property(path, path, (a, b) => {
        const got = AsPathM.reconstruct(a, b)
        if (AsPathM.length(b) > AsPathM.length(a)) expect(got).toBe(a)
        else expect(AsPathM.length(got)).toBe(AsPathM.length(a))
      }),
      { numRuns: 300 }
    )
  })
})

describe("applyAs4 (RFC 6793 §4.2.3)", () => {
  const as4Path = [seq(4200000000)]
  const as4Aggregator = { asn: 4200000000, address: 1 }

  test("AS4_PATH merged into AS_PATH and AS4_AGGREGATOR replacing an AS_TRANS AGGREGATOR", () => {
    expect(
      AsPathM.applyAs4({
        origin: 0,
        asPath: [seq(65001, AsPathM.AS_TRANS)],
        aggregator: { asn: AsPathM.AS_TRANS, address: 1 },
        as4Path,
        as4Aggregator
      })
    ).toEqual({ origin: 0, asPath: [seq(65001, 4200000000)], aggregator: as4Aggregator })
  })

  test("an AGGREGATOR with a real 2-octet AS makes AS4_PATH and AS4_AGGREGATOR ignored", () => {
    const asPath = [seq(65001, AsPathM.AS_TRANS)]
    const aggregator = { asn: 65009, address: 2 }
    expect(AsPathM.applyAs4({ asPath, aggregator, as4Path, as4Aggregator })).toEqual({ asPath, aggregator })
  })

  test("an AGGREGATOR with a real 2-octet AS but no AS4_AGGREGATOR still merges AS4_PATH", () => {
    const aggregator = { asn: 65009, address: 2 }
    expect(AsPathM.applyAs4({ asPath: [seq(65001, AsPathM.AS_TRANS)], aggregator, as4Path })).toEqual({
      asPath: [seq(65001, 4200000000)],
      aggregator
    })
  })

  test("attributes without AS4 attributes are returned as they are", () => {
    const a = { origin: 1 as const }
    expect(AsPathM.applyAs4(a)).toBe(a)
  })
})
