import { describe, expect, test } from "bun:test"
import { Effect, Either } from "effect"
import * as StatusWriter from "../src/StatusWriter.js"
import { runTest } from "./helpers.js"

describe("mergeConditions", () => {
  const base = [
    { type: "cilium.io/Other", status: "True" as const, reason: "X", message: "kept", lastTransitionTime: "t0" },
    { type: "kbgp.io/Ready", status: "False" as const, reason: "Wait", message: "", lastTransitionTime: "t1" }
  ]

  test("keeps lastTransitionTime when the status is unchanged and stamps it when it changes", () => {
    const same = StatusWriter.mergeConditions(base, [{ type: "kbgp.io/Ready", status: "False", reason: "Still", message: "m" }], "t9")
    expect(same[1]).toEqual({ type: "kbgp.io/Ready", status: "False", reason: "Still", message: "m", lastTransitionTime: "t1" })
    const flipped = StatusWriter.mergeConditions(base, [{ type: "kbgp.io/Ready", status: "True", reason: "Ok", message: "" }], "t9")
    expect(flipped[1]!.lastTransitionTime).toBe("t9")
  })

  test("leaves other condition types alone and appends new ones", () => {
    const out = StatusWriter.mergeConditions(base, [{ type: "kbgp.io/New", status: "Unknown", reason: "R", message: "", observedGeneration: 4 }], "t9")
    expect(out.map((c) => c.type)).toEqual(["cilium.io/Other", "kbgp.io/Ready", "kbgp.io/New"])
    expect(out[0]).toBe(base[0]!)
    expect(out[2]!.observedGeneration).toBe(4)
  })
})

describe("in-memory StatusWriter", () => {
  test("records Service ingress and conditions, and refuses objects that do not exist", () =>
    runTest(
      Effect.gen(function* () {
        const existing = new Set(["Service:default/web", "CiliumBGPClusterConfig:bgp"])
        const mem = yield* StatusWriter.makeMemory({
          exists: (kind, key) => Effect.succeed(existing.has(`${kind}:${key}`)),
          now: Effect.succeed("2025-01-01T00:00:00.000Z")
        })
        yield* mem.writer.setServiceIngress("default", "web", ["192.0.2.10", "2001:db8::10"])
        yield* mem.writer.setConditions("CiliumBGPClusterConfig", "ignored-namespace", "bgp", [
          { type: "cilium.io/NoMatchingNode", status: "False", reason: "Matched", message: "" }
        ])
        const missing = yield* Effect.either(mem.writer.setServiceIngress("default", "nope", ["192.0.2.1"]))
        expect(Either.isLeft(missing) && missing.left.reason).toBe("NotFound")
        const o = yield* mem.overlay
        expect(o.serviceIngress.get("default/web")).toEqual([
          { ip: "192.0.2.10", ipMode: "VIP" },
          { ip: "2001:db8::10", ipMode: "VIP" }
        ])
        expect(o.conditions.get("CiliumBGPClusterConfig")?.get("bgp")?.[0]?.lastTransitionTime).toBe("2025-01-01T00:00:00.000Z")
        yield* mem.prune((kind) => kind !== "Service")
        expect((yield* mem.overlay).serviceIngress.size).toBe(0)
      })
    ))
})
