import { describe, expect, test } from "bun:test"
import { Either, Schema } from "effect"
import * as fc from "fast-check"
import * as LabelSelector from "../src/LabelSelector.js"

const sel = (s: LabelSelector.LabelSelector) => s

describe("LabelSelector.matches", () => {
  const labels = { app: "nginx", tier: "web", "kubernetes.io/hostname": "k8s-node1" }

  test("an empty selector matches everything, including no labels", () => {
    expect(LabelSelector.matches({}, labels)).toBe(true)
    expect(LabelSelector.matches({}, undefined)).toBe(true)
    expect(LabelSelector.isEmpty({ matchLabels: {}, matchExpressions: [] })).toBe(true)
  })

  test("matchLabels needs every pair", () => {
    expect(LabelSelector.matches(sel({ matchLabels: { app: "nginx" } }), labels)).toBe(true)
    expect(LabelSelector.matches(sel({ matchLabels: { app: "nginx", tier: "db" } }), labels)).toBe(false)
    expect(LabelSelector.matches(sel({ matchLabels: { missing: "" } }), labels)).toBe(false)
  })

  test("In needs the key with one of the values; NotIn matches a missing key", () => {
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "tier", operator: "In", values: ["web", "api"] }] }), labels)).toBe(true)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] }), labels)).toBe(false)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }), labels)).toBe(false)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }), labels)).toBe(false)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }), labels)).toBe(true)
  })

  test("Exists and DoesNotExist look only at the key", () => {
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "app", operator: "Exists" }] }), labels)).toBe(true)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "zone", operator: "Exists" }] }), labels)).toBe(false)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }), labels)).toBe(true)
    expect(LabelSelector.matches(sel({ matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }), { app: "" })).toBe(false)
  })

  test("matchLabels and expressions are ANDed", () => {
    const s = sel({ matchLabels: { app: "nginx" }, matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] })
    expect(LabelSelector.matches(s, labels)).toBe(false)
  })

  test("Cilium's 'match everything' idiom matches any labels", () => {
    const all = sel({ matchExpressions: [{ key: "somekey", operator: "NotIn", values: ["never-used-value"] }] })
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), (l) => LabelSelector.matches(all, l)),
      { numRuns: 300 }
    )
  })

  test("property: In and NotIn with the same values are complements", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("a", "b", "c"), fc.constantFrom("x", "y", "z")),
        fc.constantFrom("a", "b", "c"),
        fc.array(fc.constantFrom("x", "y", "z"), { minLength: 1 }),
        (l, key, values) =>
          LabelSelector.matches({ matchExpressions: [{ key, operator: "In", values }] }, l) !==
          LabelSelector.matches({ matchExpressions: [{ key, operator: "NotIn", values }] }, l)
      ),
      { numRuns: 500 }
    )
  })

  test("property: a matchLabels selector matches exactly the label sets containing its pairs", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.constantFrom("x", "y")),
        fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.constantFrom("x", "y")),
        (required, l) =>
          LabelSelector.matches({ matchLabels: required }, l) ===
          Object.entries(required).every(([k, v]) => Object.prototype.hasOwnProperty.call(l, k) && l[k] === v)
      ),
      { numRuns: 500 }
    )
  })

  test("the schema rejects In without values and Exists with values, as the API server does", () => {
    const decode = Schema.decodeUnknownEither(LabelSelector.LabelSelector)
    expect(Either.isLeft(decode({ matchExpressions: [{ key: "k", operator: "In", values: [] }] }))).toBe(true)
    expect(Either.isLeft(decode({ matchExpressions: [{ key: "k", operator: "Exists", values: ["v"] }] }))).toBe(true)
    expect(Either.isLeft(decode({ matchExpressions: [{ key: "k", operator: "Equals", values: ["v"] }] }))).toBe(true)
    expect(Either.isRight(decode({ matchExpressions: [{ key: "k", operator: "Exists" }] }))).toBe(true)
  })

  test("format renders kubectl-style text", () => {
    expect(
      LabelSelector.format({
        matchLabels: { app: "nginx" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "legacy", operator: "DoesNotExist" }
        ]
      })
    ).toBe("app=nginx,tier in (a,b),!legacy")
    expect(LabelSelector.format({})).toBe("<all>")
  })
})
