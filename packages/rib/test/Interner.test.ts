import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { Attributes } from "@kbgp/wire"
import { AttrSet, Interner } from "../src/index.js"

const a1: Attributes.Attributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [65001, 65002] }],
  nextHop: Uint8Array.of(10, 0, 0, 1),
  communities: Uint32Array.of(0xfde80064)
}

/** The same values in fresh objects and arrays. */
const copy = (a: Attributes.Attributes): Attributes.Attributes => structuredClone(a)

describe("Interner", () => {
  test("equal attribute sets share one copy, whatever objects they arrive in", () => {
    const i = Interner.make()
    const x = i.intern(a1)
    const y = i.intern(copy(a1))
    expect(y).toBe(x)
    expect(i.size).toBe(1)
    expect(i.refCount(x.id)).toBe(2)
  })

  test("sets that differ in any field are distinct", () => {
    const i = Interner.make()
    const variants: Array<Attributes.Attributes> = [
      a1,
      { ...a1, origin: 1 },
      { ...a1, asPath: [{ type: 1, asns: [65001, 65002] }] },
      { ...a1, asPath: [{ type: 2, asns: [65002, 65001] }] },
      { ...a1, nextHop: Uint8Array.of(10, 0, 0, 2) },
      { ...a1, med: 0 },
      { ...a1, localPref: 100 },
      { ...a1, atomicAggregate: true },
      { ...a1, aggregator: { asn: 1, address: 2 } },
      { ...a1, communities: Uint32Array.of(0xfde80065) },
      { ...a1, originatorId: 1 },
      { ...a1, clusterList: Uint32Array.of(1) },
      { ...a1, extendedCommunities: new Uint8Array(8) },
      { ...a1, largeCommunities: Uint32Array.of(1, 2, 3) },
      { ...a1, otc: 65001 },
      { ...a1, unknown: [{ flags: 0xe0, code: 99, value: Uint8Array.of(1) }] }
    ]
    const ids = new Set(variants.map((v) => i.intern(v).id))
    expect(ids.size).toBe(variants.length)
  })

  test("a set is freed when its last reference is released, and its id is reused", () => {
    const i = Interner.make()
    const x = i.intern(a1, 2)
    i.release(x.id)
    expect(i.get(x.id)).toBe(x)
    i.release(x.id)
    expect(i.get(x.id)).toBeUndefined()
    expect(i.size).toBe(0)
    expect(i.refCount(x.id)).toBe(0)
    const y = i.intern({ ...a1, med: 5 })
    expect(y.id).toBe(x.id)
    expect(y).not.toBe(x)
    // The freed set is not found any more: interning it again makes a new copy.
    const z = i.intern(a1)
    expect(z).not.toBe(x)
    expect(AttrSet.equals(z.attributes, a1)).toBe(true)
  })

  test("releasing more than was retained is a bug and throws", () => {
    const i = Interner.make()
    const x = i.intern(a1)
    i.release(x.id)
    expect(() => i.release(x.id)).toThrow(RangeError)
  })

  test("sweep frees sets interned without a reference", () => {
    const i = Interner.make()
    i.intern(a1, 0)
    i.intern({ ...a1, med: 1 })
    expect(i.sweep()).toBe(1)
    expect(i.size).toBe(1)
  })

  test("onCreate runs once per distinct set", () => {
    const created: Array<number> = []
    const i = Interner.make({ onCreate: (s) => created.push(s.id) })
    i.intern(a1)
    i.intern(copy(a1))
    i.intern({ ...a1, med: 1 })
    expect(created).toEqual([0, 1])
  })

  test("equal sets hash equal and intern to one id; counts match the model (property)", () => {
    const arbAttrs = fc.record(
      {
        origin: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
        med: fc.integer({ min: 0, max: 3 }),
        asPath: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }).map((asns): Attributes.AsPath => (asns.length === 0 ? [] : [{ type: 2, asns }])),
        communities: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }).map((c) => Uint32Array.from(c))
      },
      { requiredKeys: [] }
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(arbAttrs, fc.boolean()), { maxLength: 60 }), (ops) => {
        const i = Interner.make()
        const model = new Map<string, number>()
        const keyOf = (a: Attributes.Attributes) => JSON.stringify(a, (_k, v) => (v instanceof Uint32Array ? Array.from(v) : v))
        for (const [a, release] of ops) {
          const k = keyOf(a)
          const s = i.intern(copy(a))
          expect(s.hash).toBe(AttrSet.hash(a))
          model.set(k, (model.get(k) ?? 0) + 1)
          if (release && model.get(k)! > 0) {
            i.release(s.id)
            model.set(k, model.get(k)! - 1)
            if (model.get(k) === 0) model.delete(k)
          }
        }
        expect(i.size).toBe(model.size)
        for (const s of i.values()) expect(i.refCount(s.id)).toBe(model.get(keyOf(s.attributes)) ?? -1)
      }),
      { numRuns: 300 }
    )
  })
})
