import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { PrefixTable } from "../src/internal/PrefixTable.js"

describe("PrefixTable (internal)", () => {
  test("host bits are ignored: 10.1.2.3/8 and 10.0.0.0/8 are one prefix, /8 and /9 are two", () => {
    const t = new PrefixTable(4)
    t.keyFrom(Uint8Array.of(10, 0, 0, 0), 0, 8)
    const a = t.intern()
    t.keyFrom(Uint8Array.of(10, 1, 2, 3), 0, 8)
    expect(t.find()).toBe(a)
    t.keyFrom(Uint8Array.of(10, 0, 0, 0), 0, 9)
    expect(t.find()).toBe(-1)
    expect(Array.from(t.address(a))).toEqual([10, 0, 0, 0])
  })

  test("inserts and removals agree with a Map model, through growth and rehashing (property)", () => {
    const arbOp = fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 128 }))
    fc.assert(
      fc.property(fc.constantFrom<4 | 16>(4, 16), fc.array(arbOp, { minLength: 200, maxLength: 3000, size: "max" }), (width, ops) => {
        const t = new PrefixTable(width, 16)
        const model = new Map<string, number>()
        const bytes = new Uint8Array(width)
        for (const [insert, n, l] of ops) {
          const length = Math.min(l, width * 8)
          bytes.fill(0)
          bytes[0] = n >>> 8
          bytes[1] = n
          bytes[width - 1] = n & 0xf0
          t.keyFrom(bytes, 0, length)
          const key = `${Array.from(t.key).join(".")}/${length}`
          if (insert) {
            const i = t.intern()
            if (model.has(key)) expect(i).toBe(model.get(key)!)
            model.set(key, i)
          } else {
            const i = t.find()
            expect(i).toBe(model.get(key) ?? -1)
            if (i !== -1) {
              t.remove(i)
              model.delete(key)
            }
          }
        }
        expect(t.count).toBe(model.size)
        for (const [key, i] of model) {
          const [addr, len] = key.split("/")
          expect(`${Array.from(t.addr.subarray(i * t.words, (i + 1) * t.words)).join(".")}/${t.lengths[i]}`).toBe(`${addr}/${len}`)
        }
      }),
      { numRuns: 100 }
    )
  })
})
