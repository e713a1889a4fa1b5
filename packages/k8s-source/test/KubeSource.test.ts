/**
 * KubeSource on TestClock with real-sized settings (250 ms debounce, 500 ms–30 s backoff, 150 s idle timeout)
 * against an in-memory API server: what reaches downstream during outages, relists and undecodable objects.
 */
import { describe, expect, test } from "bun:test"
import { Effect, Ref, Stream } from "effect"
import * as ClusterSnapshot from "../src/ClusterSnapshot.js"
import type { ClusterSourceShape } from "../src/ClusterSource.js"
import type { ObjectDecodeError } from "../src/Kinds.js"
import { KubeClient } from "../src/KubeClient.js"
import * as KubeSource from "../src/KubeSource.js"
import { advance, runTest } from "./helpers.js"
import * as StubApi from "./StubApi.js"

const svc = (name: string, ip: string) => ({
  metadata: { name, namespace: "default" },
  spec: { type: "LoadBalancer", loadBalancerIP: ip, ports: [{ port: 80 }] }
})
const node = (name: string, rack: string) => ({ metadata: { name, labels: { rack } } })
const policy = (name: string, peer: string) => ({
  metadata: { name },
  spec: { virtualRouters: [{ localASN: 64512, neighbors: [{ peerAddress: `${peer}/32`, peerASN: 65001 }] }] }
})

/** A KubeSource over a stub serving Services, Nodes and v2alpha1 peering policies (every other kind 404s). */
const start = Effect.gen(function*() {
  const api = yield* StubApi.make({ services: true, nodes: false, ciliumbgppeeringpolicies: false })
  for (let i = 0; i < 5; i++) yield* api.put("services", svc(`s${i}`, `192.0.2.${i + 1}`))
  yield* api.put("nodes", node("n1", "r1"))
  yield* api.put("ciliumbgppeeringpolicies", policy("p", "10.0.0.1"))
  const source = yield* KubeSource.make().pipe(Effect.provideService(KubeClient, api.client))
  yield* advance("1 second")
  const first = yield* source.current
  expect(first.synced).toBe(true)
  expect(first.counts()).toEqual({ Service: 5, Node: 1, CiliumBGPPeeringPolicy: 1 })
  const published = yield* Ref.make<ReadonlyArray<ClusterSnapshot.ClusterSnapshot>>([])
  yield* Effect.forkScoped(Stream.runForEach(Stream.drop(source.snapshots, 1), (s) => Ref.update(published, (xs) => [...xs, s])))
  yield* advance("1 second")
  return { api, source, first, published: Ref.get(published) }
})

const problems = (source: ClusterSourceShape) =>
  Effect.map(source.problems, (ps) => ps.map((p) => (p as ObjectDecodeError).message).sort())

describe("KubeSource on TestClock", () => {
  test("a 60-second API outage changes nothing downstream, and the recovery publishes only real changes", () =>
    runTest(
      Effect.gen(function*() {
        const { api, first, published, source } = yield* start
        const before = api.calls("services")
        yield* api.setDown(true)
        for (let s = 0; s < 60; s++) {
          yield* advance("1 second")
          expect(yield* published).toEqual([])
          expect(yield* source.current).toBe(first)
        }
        // Not idle: every reflector kept retrying with backoff (0.5, 1, 2, 4, 8, 16, 30 s ±20%).
        const during = api.calls("services")
        expect(during.lists + during.watches - before.lists - before.watches).toBeGreaterThanOrEqual(5)
        expect(during.lists + during.watches - before.lists - before.watches).toBeLessThanOrEqual(10)
        // Back up with nothing changed: the reflectors relist or resume, and nothing is published.
        yield* api.setDown(false)
        yield* advance("60 seconds")
        expect(yield* published).toEqual([])
        expect(api.calls("services").lists + api.calls("services").watches).toBeGreaterThan(during.lists + during.watches)
        // A real change after the outage is one snapshot with exactly that change.
        yield* api.put("services", svc("s1", "192.0.2.99"))
        yield* advance("1 second")
        const after = yield* published
        expect(after).toHaveLength(1)
        expect(ClusterSnapshot.diff(first, after[0]!).kinds).toEqual({
          Service: { added: [], updated: ["default/s1"], removed: [] }
        })
        for (const k of ["default/s0", "default/s2", "default/s3", "default/s4"]) {
          expect(after[0]!.services.get(k)).toBe(first.services.get(k)!)
        }
      })
    ))

  test("changes made during an outage arrive after it with nothing else: no object leaves or comes back spuriously", () =>
    runTest(
      Effect.gen(function*() {
        const { api, first, published } = yield* start
        yield* api.setDown(true)
        yield* advance("10 seconds")
        yield* api.put("services", svc("s0", "192.0.2.100"))
        yield* api.remove("services", "default/s4")
        yield* api.put("nodes", node("n2", "r2"))
        yield* api.compact
        const lists = api.calls("services").lists
        yield* advance("20 seconds")
        expect(yield* published).toEqual([])
        yield* api.setDown(false)
        yield* advance("60 seconds")
        expect(api.calls("services").lists).toBeGreaterThan(lists) // recovered by a relist, not a resume
        // Each kind recovers on its own (jittered) backoff, so there may be one snapshot per kind; each differs
        // from the one before only by real changes, and untouched objects keep their identity throughout.
        const after = yield* published
        expect(after.length).toBeGreaterThanOrEqual(1)
        expect(after.length).toBeLessThanOrEqual(2)
        const real = new Set(["Service ~default/s0", "Service -default/s4", "Node +n2"])
        let prev = first
        for (const snap of after) {
          const d = ClusterSnapshot.diff(prev, snap)
          for (const [kind, k] of Object.entries(d.kinds)) {
            for (const key of k.added) expect(real).toContain(`${kind} +${key}`)
            for (const key of k.updated) expect(real).toContain(`${kind} ~${key}`)
            for (const key of k.removed) expect(real).toContain(`${kind} -${key}`)
          }
          for (const key of ["default/s1", "default/s2", "default/s3"]) expect(snap.services.get(key)).toBe(first.services.get(key)!)
          expect(snap.nodes.get("n1")).toBe(first.nodes.get("n1")!)
          prev = snap
        }
        expect(ClusterSnapshot.diff(first, prev).kinds).toEqual({
          Service: { added: [], updated: ["default/s0"], removed: ["default/s4"] },
          Node: { added: ["n2"], updated: [], removed: [] }
        })
      })
    ))

  test("watches that keep ending in ERROR events are relisted with backoff, not in a loop, and nothing flaps", () =>
    runTest(
      Effect.gen(function*() {
        const { api, first, published, source } = yield* start
        yield* api.failWatches(500)
        yield* api.put("services", svc("s9", "192.0.2.9")) // ends the open watches' quiet: they reconnect
        yield* api.setDown(true)
        yield* advance("1 second")
        yield* api.setDown(false)
        const before = api.calls("services").lists
        yield* advance("60 seconds")
        // Each ERROR relists (the list succeeds) after a delay that keeps growing from the outage's backoff
        // (2, 4, 8, 16, 30 s ±20%): a handful of relists in a minute, not one every half second.
        const relists = api.calls("services").lists - before
        expect(relists).toBeGreaterThanOrEqual(3)
        expect(relists).toBeLessThanOrEqual(7)
        // The relists swap in equal stores: only the one real change was published.
        const snaps = yield* published
        expect(snaps).toHaveLength(1)
        expect(ClusterSnapshot.diff(first, snaps[0]!).kinds).toEqual({ Service: { added: ["default/s9"], updated: [], removed: [] } })
        // Healthy watches again: the backoff resets after the next list and watch.
        yield* api.failWatches(undefined)
        yield* advance("60 seconds")
        yield* api.put("services", svc("s10", "192.0.2.10"))
        yield* advance("1 second")
        expect((yield* source.current).services.has("default/s10")).toBe(true)
      })
    ))

  test("undecodable objects: a new one never appears, a bad edit keeps the last good version, both are reported", () =>
    runTest(
      Effect.gen(function*() {
        const { api, first, source } = yield* start
        // Through the watch.
        yield* api.put("services", { metadata: { name: "bad", namespace: "default" }, spec: { ports: [{ port: "http" }] } })
        yield* api.put("services", { metadata: { name: "s0", namespace: "default" }, spec: { loadBalancerIP: "192.0.2.300" } })
        yield* advance("1 second")
        let snap = yield* source.current
        expect(snap.services.has("default/bad")).toBe(false)
        expect(snap.services.get("default/s0")).toBe(first.services.get("default/s0")!)
        expect(yield* problems(source)).toEqual([
          'Service default/bad: spec.ports[0].port: Expected number, actual "http"',
          'Service default/s0: spec.loadBalancerIP: expected an IP address such as 192.168.1.1, got "192.0.2.300"'
        ])
        // Through a relist (the outage breaks the watch; changes made meanwhile arrive by list): a policy that
        // breaks keeps its last good version; one deleted and recreated broken (new uid) has none to keep.
        yield* api.setDown(true)
        yield* api.put("ciliumbgppeeringpolicies", policy("p", "10.0.0.300"))
        yield* api.put("ciliumbgppeeringpolicies", policy("q", "10.0.0.2"))
        yield* api.compact
        yield* advance("1 second")
        yield* api.setDown(false)
        yield* advance("60 seconds")
        expect([...(yield* source.current).bgpPeeringPolicies.keys()].sort()).toEqual(["p", "q"])
        yield* api.setDown(true)
        yield* api.remove("ciliumbgppeeringpolicies", "q")
        yield* api.put("ciliumbgppeeringpolicies", policy("q", "nope"), "uid-q-2")
        yield* api.put("ciliumbgppeeringpolicies", policy("r", "10.0.0"))
        yield* api.compact
        const lists = api.calls("ciliumbgppeeringpolicies").lists
        yield* advance("1 second")
        yield* api.setDown(false)
        yield* advance("60 seconds")
        expect(api.calls("ciliumbgppeeringpolicies").lists).toBeGreaterThan(lists) // a relist, not a resume
        snap = yield* source.current
        expect(snap.bgpPeeringPolicies.get("p")).toBe(first.bgpPeeringPolicies.get("p")!)
        expect([...snap.bgpPeeringPolicies.keys()]).toEqual(["p"])
        expect((yield* problems(source)).filter((m) => m.startsWith("CiliumBGPPeeringPolicy"))).toEqual([
          'CiliumBGPPeeringPolicy p: spec.virtualRouters[0].neighbors[0].peerAddress: expected a CIDR such as 192.168.1.1/32 or fd00::/64, got "10.0.0.300/32"',
          'CiliumBGPPeeringPolicy q: spec.virtualRouters[0].neighbors[0].peerAddress: expected a CIDR such as 192.168.1.1/32 or fd00::/64, got "nope/32"',
          'CiliumBGPPeeringPolicy r: spec.virtualRouters[0].neighbors[0].peerAddress: expected a CIDR such as 192.168.1.1/32 or fd00::/64, got "10.0.0/32"'
        ])
        // Fixed or deleted: the problems go, the new versions apply.
        yield* api.remove("services", "default/bad")
        yield* api.put("services", svc("s0", "192.0.2.50"))
        yield* api.put("ciliumbgppeeringpolicies", policy("p", "10.0.0.3"))
        yield* api.remove("ciliumbgppeeringpolicies", "q")
        yield* api.remove("ciliumbgppeeringpolicies", "r")
        yield* advance("1 second")
        expect(yield* problems(source)).toEqual([])
        snap = yield* source.current
        expect(snap.services.get("default/s0")?.spec.loadBalancerIP).toBe("192.0.2.50")
        expect(snap.bgpPeeringPolicies.get("p")?.spec.virtualRouters[0]?.neighbors[0]?.peerAddress).toBe("10.0.0.3/32")
      })
    ))
})
