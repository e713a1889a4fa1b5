import { describe, expect, test } from "bun:test"
import * as fc from "fast-check"
import { LineSplitter } from "../src/internal/Lines.js"
import * as KubeClient from "../src/KubeClient.js"
import { reasonOfStatus } from "../src/KubeError.js"
import { microTime } from "../src/LeaderElection.js"

const services = { group: "", version: "v1", plural: "services", namespaced: true }
const policies = { group: "cilium.io", version: "v2alpha1", plural: "ciliumbgppeeringpolicies", namespaced: false }

describe("KubeClient paths", () => {
  test("core and grouped resources, namespaced or not, with subresources", () => {
    expect(KubeClient.collectionPath(services)).toBe("/api/v1/services")
    expect(KubeClient.collectionPath(services, "kube-system")).toBe("/api/v1/namespaces/kube-system/services")
    expect(KubeClient.objectPath(services, "default", "web", "status")).toBe("/api/v1/namespaces/default/services/web/status")
    expect(KubeClient.collectionPath(policies, "ignored")).toBe("/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies")
    expect(KubeClient.objectPath(policies, undefined, "a b")).toBe("/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies/a%20b")
  })

  test("HTTP statuses map to error reasons", () => {
    expect([401, 403, 404, 409, 410, 504, 500, 429].map(reasonOfStatus)).toEqual([
      "Unauthorized",
      "Forbidden",
      "NotFound",
      "Conflict",
      "Gone",
      "Timeout",
      "Server",
      "Server"
    ])
  })
})

describe("LineSplitter", () => {
  test("however the bytes are split, the same complete lines come out, and a trailing partial line never does", () => {
    const line = fc.string({ unit: "grapheme", maxLength: 30 }).map((s) => s.replace(/\n/g, " "))
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.string({ maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, tail, cuts) => {
        const partial = tail.replace(/\n/g, "")
        const bytes = new TextEncoder().encode(lines.map((l) => `${l}\n`).join("") + partial)
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
        const splitter = new LineSplitter()
        const out: Array<string> = []
        let at = 0
        for (const p of [...points, bytes.length]) {
          out.push(...splitter.push(bytes.subarray(at, p)))
          at = p
        }
        expect(out).toEqual(lines.map((l) => l.trim()).filter((l) => l !== ""))
        expect(splitter.remainder).toBe(partial)
      }),
      { numRuns: 300 }
    )
  })
})

describe("Lease times", () => {
  test("MicroTime has six fractional digits", () => {
    expect(microTime(Date.UTC(2025, 0, 2, 3, 4, 5, 678))).toBe("2025-01-02T03:04:05.678000Z")
  })
})
