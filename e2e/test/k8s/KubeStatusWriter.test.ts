/** Status writes through the API: the status subresource, optimistic concurrency and retry on 409. */
import { afterEach, describe, expect, test } from "bun:test"
import { KubeStatusWriter } from "@kbgp/k8s-source"
import { Effect } from "effect"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"
import type { KindDef } from "../../src/fakeApiServer/FakeApiServer.js"
import { configFor, run } from "../../src/fakeApiServer/Harness.js"

let server: FakeApiServer | undefined
afterEach(() => {
  server?.stop()
  server = undefined
})

const clusterConfigs = (version: string): KindDef => ({
  group: "cilium.io",
  version,
  plural: "ciliumbgpclusterconfigs",
  kind: "CiliumBGPClusterConfig",
  namespaced: false,
  statusSubresource: true
})

const start = (extra: Array<KindDef> = []) => {
  server = FakeApiServer.start({ tokens: ["test-token"], kinds: [...Object.values(kinds), ...extra] })
  server.apply(kinds.service, {
    metadata: { name: "lb", namespace: "default", labels: { app: "web" } },
    spec: { type: "LoadBalancer", ports: [{ port: 443 }] },
    status: { loadBalancer: {}, conditions: [{ type: "Other", status: "True", reason: "X", message: "", lastTransitionTime: "2024-01-01T00:00:00Z" }] }
  })
  return server
}

const puts = (s: FakeApiServer) => s.requests.filter((r) => r.method === "PUT")

describe("KubeStatusWriter", () => {
  test("setServiceIngress writes status.loadBalancer.ingress through /status and keeps everything else", async () => {
    const s = start()
    await run(
      Effect.gen(function*() {
        const w = yield* KubeStatusWriter.make()
        yield* w.setServiceIngress("default", "lb", ["10.0.0.10", "2001:db8::10"])
      }),
      { config: configFor(s) }
    )
    const o = s.get(kinds.service, "default", "lb")!
    expect(o.status).toEqual({
      loadBalancer: { ingress: [{ ip: "10.0.0.10", ipMode: "VIP" }, { ip: "2001:db8::10", ipMode: "VIP" }] },
      conditions: [{ type: "Other", status: "True", reason: "X", message: "", lastTransitionTime: "2024-01-01T00:00:00Z" }]
    })
    expect(o.spec).toEqual({ type: "LoadBalancer", ports: [{ port: 443 }] })
    expect(puts(s).map((r) => r.path)).toEqual(["/api/v1/namespaces/default/services/lb/status"])
  })

  test("writing what the status already says sends no PUT", async () => {
    const s = start()
    await run(
      Effect.gen(function*() {
        const w = yield* KubeStatusWriter.make()
        yield* w.setServiceIngress("default", "lb", ["10.0.0.10"])
        s.clearRequests()
        yield* w.setServiceIngress("default", "lb", ["10.0.0.10"])
      }),
      { config: configFor(s) }
    )
    expect(puts(s)).toEqual([])
  })

  test("a 409 (someone wrote in between) is retried: re-read, re-applied, and nothing of theirs is lost", async () => {
    const s = start()
    let interfered = 0
    s.beforeWrite((req) => {
      if (req.method === "PUT" && interfered < 2) {
        interfered++
        // Another controller updates the Service between our GET and our PUT.
        const cur = s.get(kinds.service, "default", "lb")!
        s.apply(kinds.service, { ...cur, metadata: { ...cur.metadata, labels: { app: "web", round: String(interfered) } } })
      }
    })
    await run(
      Effect.gen(function*() {
        const w = yield* KubeStatusWriter.make()
        yield* w.setServiceIngress("default", "lb", ["10.0.0.11"])
      }),
      { config: configFor(s) }
    )
    const o = s.get(kinds.service, "default", "lb")!
    expect((o.status as { loadBalancer: unknown }).loadBalancer).toEqual({ ingress: [{ ip: "10.0.0.11", ipMode: "VIP" }] })
    expect(o.metadata.labels).toEqual({ app: "web", round: "2" })
    expect(puts(s).length).toBe(3)
  })

  test("conflicts that never stop end in a Conflict error after the configured retries", async () => {
    const s = start()
    s.beforeWrite(() => {
      const cur = s.get(kinds.service, "default", "lb")!
      s.apply(kinds.service, { ...cur, metadata: { ...cur.metadata, annotations: { n: s.resourceVersion } } })
    })
    const err = await run(
      Effect.gen(function*() {
        const w = yield* KubeStatusWriter.make({ conflictRetries: 3 })
        return yield* Effect.flip(w.setServiceIngress("default", "lb", ["10.0.0.12"]))
      }),
      { config: configFor(s) }
    )
    expect(err.reason).toBe("Conflict")
    expect(err.object).toBe("default/lb")
    expect(puts(s).length).toBe(4)
  })

  test("a missing object is NotFound", async () => {
    const s = start()
    const err = await run(
      Effect.gen(function*() {
        const w = yield* KubeStatusWriter.make()
        return yield* Effect.flip(w.setServiceIngress("default", "nope", ["10.0.0.1"]))
      }),
      { config: configFor(s) }
    )
    expect(err.reason).toBe("NotFound")
    expect(err.kind).toBe("Service")
  })

  test("setConditions merges by type on a CRD served only under its older version, keeping transition times", async () => {
    const old = clusterConfigs("v2alpha1")
    const s = start([old])
    s.apply(old, {
      metadata: { name: "cc" },
      spec: { bgpInstances: [] },
      status: { conditions: [{ type: "Foreign", status: "True", reason: "Theirs", message: "kept", lastTransitionTime: "2024-01-01T00:00:00Z" }] }
    })
    await run(
      Effect.gen(function*() {
        const w = yield* KubeStatusWriter.make()
        yield* w.setConditions("CiliumBGPClusterConfig", undefined, "cc", [
          { type: "Ready", status: "True", reason: "Reconciled", message: "ok" }
        ])
        const first = (s.get(old, undefined, "cc")!.status as { conditions: Array<{ type: string; lastTransitionTime: string }> })
          .conditions
        s.clearRequests()
        // Same status again: no write at all.
        yield* w.setConditions("CiliumBGPClusterConfig", undefined, "cc", [
          { type: "Ready", status: "True", reason: "Reconciled", message: "ok" }
        ])
        expect(puts(s)).toEqual([])
        // A new message with the same status keeps lastTransitionTime.
        yield* w.setConditions("CiliumBGPClusterConfig", undefined, "cc", [
          { type: "Ready", status: "True", reason: "Reconciled", message: "still ok" }
        ])
        const after = (s.get(old, undefined, "cc")!.status as { conditions: Array<{ type: string; message: string; lastTransitionTime: string }> })
          .conditions
        expect(after.map((c) => c.type)).toEqual(["Foreign", "Ready"])
        expect(after[1]!.message).toBe("still ok")
        expect(after[1]!.lastTransitionTime).toBe(first[1]!.lastTransitionTime)
        expect(after[0]!.lastTransitionTime).toBe("2024-01-01T00:00:00Z")
        expect(puts(s).map((r) => r.path)).toEqual(["/apis/cilium.io/v2alpha1/ciliumbgpclusterconfigs/cc/status"])
      }),
      { config: configFor(s) }
    )
  })
})
