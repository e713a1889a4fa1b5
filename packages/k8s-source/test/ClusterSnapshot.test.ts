import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import * as ClusterSnapshot from "../src/ClusterSnapshot.js"
import * as Kinds from "../src/Kinds.js"

const node = (name: string, rv: string, labels: Record<string, string> = {}) =>
  Either.getOrThrow(Kinds.decodeObject("Node", { metadata: { name, resourceVersion: rv, labels } }))
const svc = (ns: string, name: string, ip: string) =>
  Either.getOrThrow(
    Kinds.decodeObject("Service", { metadata: { name, namespace: ns }, spec: { type: "LoadBalancer", loadBalancerIP: ip } })
  )

describe("ClusterSnapshot", () => {
  test("empty has every store, all empty, and is not synced", () => {
    expect(ClusterSnapshot.empty.synced).toBe(false)
    for (const k of Kinds.names) expect(ClusterSnapshot.empty.store(k).size).toBe(0)
    expect(ClusterSnapshot.empty.counts()).toEqual({})
  })

  test("fromObjects keys objects as namespace/name or name and accessors read the stores", () => {
    const s = ClusterSnapshot.fromObjects({ Node: [node("n1", "1")], Service: [svc("default", "web", "192.0.2.1")] }, true)
    expect([...s.nodes.keys()]).toEqual(["n1"])
    expect(s.get("Service", "default/web")?.spec.loadBalancerIP).toBe("192.0.2.1")
    expect(s.services).toBe(s.store("Service"))
    expect(s.counts()).toEqual({ Service: 1, Node: 1 })
  })

  test("equals ignores resourceVersion but not content or synced", () => {
    const a = ClusterSnapshot.fromObjects({ Node: [node("n1", "1", { a: "1" })] }, true)
    const b = ClusterSnapshot.fromObjects({ Node: [node("n1", "2", { a: "1" })] }, true)
    const c = ClusterSnapshot.fromObjects({ Node: [node("n1", "3", { a: "2" })] }, true)
    expect(ClusterSnapshot.equals(a, b)).toBe(true)
    expect(ClusterSnapshot.equals(a, c)).toBe(false)
    expect(ClusterSnapshot.equals(a, ClusterSnapshot.withSynced(a, false))).toBe(false)
  })

  test("diff lists added, updated and removed keys per kind", () => {
    const before = ClusterSnapshot.fromObjects({ Node: [node("n1", "1"), node("n2", "1")] }, false)
    const after = ClusterSnapshot.fromObjects(
      { Node: [node("n1", "9"), node("n2", "2", { zone: "a" }), node("n3", "1")], Service: [svc("d", "s", "192.0.2.9")] },
      true
    )
    const d = ClusterSnapshot.diff(before, after)
    expect(d.syncedChanged).toBe(true)
    expect(d.kinds).toEqual({
      Node: { added: ["n3"], updated: ["n2"], removed: [] },
      Service: { added: ["d/s"], updated: [], removed: [] }
    })
    expect(ClusterSnapshot.formatDiff(d)).toBe("synced changed, Service +1 ~0 -0, Node +1 ~1 -0")
    expect(ClusterSnapshot.isEmptyDiff(ClusterSnapshot.diff(after, after))).toBe(true)
    expect(ClusterSnapshot.diff(after, before).kinds.Node).toEqual({ added: [], updated: ["n2"], removed: ["n3"] })
  })

  test("byte fields compare by content", () => {
    const secret = (b64: string) =>
      Either.getOrThrow(Kinds.decodeObject("Secret", { metadata: { name: "s", namespace: "d" }, data: { password: b64 } }))
    const a = ClusterSnapshot.fromObjects({ Secret: [secret("c2VjcmV0")] }, true)
    expect(ClusterSnapshot.equals(a, ClusterSnapshot.fromObjects({ Secret: [secret("c2VjcmV0")] }, true))).toBe(true)
    expect(ClusterSnapshot.equals(a, ClusterSnapshot.fromObjects({ Secret: [secret("c2VjcmV1")] }, true))).toBe(false)
  })
})
