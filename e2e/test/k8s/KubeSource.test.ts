/**
 * KubeSource against the fake API server: what reaches downstream (settled ClusterSnapshots) during relists
 * and outages.
 */
import { afterEach, describe, expect, test } from "bun:test"
import { ClusterSnapshot, KubeSource } from "@kbgp/k8s-source"
import { Duration, Effect, Ref, Stream } from "effect"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"
import { cacheEqualsServer, configFor, fastReflector, listCalls, run, until, waitFor } from "../../src/fakeApiServer/Harness.js"

let server: FakeApiServer | undefined
afterEach(() => {
  server?.stop()
  server = undefined
})

const start = () => {
  server = FakeApiServer.start({ tokens: ["test-token"] })
  return server
}

const svc = (name: string, port: number) => ({
  metadata: { name, namespace: "default" },
  spec: { type: "LoadBalancer", ports: [{ port }] }
})

const options = {
  reflector: fastReflector,
  settle: { debounce: Duration.millis(20), maxDelay: Duration.millis(100) }
}

/** Starts a KubeSource, waits for a synced snapshot equal to the server, and records every later snapshot. */
const synced = (s: FakeApiServer) =>
  Effect.gen(function*() {
    const source = yield* KubeSource.make(options)
    const first = yield* waitFor(
      source.snapshots,
      (snap) => snap.synced && cacheEqualsServer("Service", snap.services, s.objects(kinds.service))
    )
    const seen = yield* Ref.make<Array<ClusterSnapshot.ClusterSnapshot>>([])
    yield* Effect.forkScoped(
      Stream.runForEach(Stream.drop(source.snapshots, 1), (snap) => Ref.update(seen, (xs) => [...xs, snap]))
    )
    yield* Effect.sleep(Duration.millis(20))
    return { source, first, seen }
  })

/** Forces a relist of Services: the watch is behind a compaction when its stream drops. */
const forceServiceRelist = (s: FakeApiServer) =>
  Effect.gen(function*() {
    yield* until(() => s.openWatches(kinds.service) === 1)
    s.stallWatches()
    s.apply(kinds.node, { metadata: { name: `bump-${s.resourceVersion}` } })
    s.compact()
    const lists = listCalls(s, "services").length
    s.dropWatches("now", (k) => k === "/v1/services")
    yield* until(() => listCalls(s, "services").length > lists)
  })

describe("KubeSource", () => {
  test("synced is false until every kind has been listed once", async () => {
    const s = start()
    s.apply(kinds.service, svc("a", 80))
    s.startOutage("503")
    await run(
      Effect.gen(function*() {
        const source = yield* KubeSource.make(options)
        yield* Effect.sleep(Duration.millis(300))
        expect((yield* source.current).synced).toBe(false)
        s.endOutage()
        const snap = yield* waitFor(source.snapshots, (x) => x.synced)
        expect([...snap.services.keys()]).toEqual(["default/a"])
        // Kinds this server does not serve (the Cilium CRDs) are empty, not blocking.
        expect(snap.bgpClusterConfigs.size).toBe(0)
      }),
      { config: configFor(s) }
    )
  })

  test("a relist that finds what the cache already has publishes nothing", async () => {
    const s = start()
    for (let i = 0; i < 20; i++) s.apply(kinds.service, svc(`s${i}`, 1000 + i))
    await run(
      Effect.gen(function*() {
        const { first, seen, source } = yield* synced(s)
        yield* forceServiceRelist(s)
        yield* Effect.sleep(Duration.millis(200))
        // Only the Node created to move the resourceVersion may have been published.
        for (const snap of yield* Ref.get(seen)) expect(snap.services).toBe(first.services)
        expect((yield* source.current).services).toBe(first.services)
      }),
      { config: configFor(s) }
    )
  })

  test("a relist with real changes publishes only those: untouched objects never leave, and keep their identity", async () => {
    const s = start()
    for (let i = 0; i < 30; i++) s.apply(kinds.service, svc(`s${i}`, 1000 + i))
    await run(
      Effect.gen(function*() {
        const { first, seen, source } = yield* synced(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        s.stallWatches()
        s.apply(kinds.service, svc("s3", 3333))
        s.remove(kinds.service, "default", "s4")
        s.apply(kinds.service, svc("s30", 3030))
        s.compact()
        s.dropWatches("now")
        const last = yield* waitFor(
          source.snapshots,
          (x) => cacheEqualsServer("Service", x.services, s.objects(kinds.service))
        )
        const untouched = [...first.services.keys()].filter((k) => k !== "default/s3" && k !== "default/s4")
        for (const snap of [...(yield* Ref.get(seen)), last]) {
          for (const k of untouched) expect(snap.services.get(k)).toBe(first.services.get(k)!)
        }
        const d = ClusterSnapshot.diff(first, last)
        expect(d.kinds.Service).toEqual({ added: ["default/s30"], updated: ["default/s3"], removed: ["default/s4"] })
      }),
      { config: configFor(s) }
    )
  })

  // The "a 60-second API outage changes nothing downstream", scaled down: a 1.5 s outage with backoff
  // capped at 200 ms (instead of 60 s with a 30 s cap) makes the reflectors retry many times, as a long outage
  // would; the property asserted is the same: no snapshot is published during the outage, and afterwards the
  // snapshot equals the one before (nothing changed on the server meanwhile).
  test("an API outage changes nothing downstream", async () => {
    const s = start()
    for (let i = 0; i < 10; i++) s.apply(kinds.service, svc(`s${i}`, 1000 + i))
    s.apply(kinds.node, { metadata: { name: "node-1", labels: { rack: "r1" } } })
    await run(
      Effect.gen(function*() {
        const { first, seen, source } = yield* synced(s)
        for (const mode of ["refuse", "503"] as const) {
          s.startOutage(mode)
          yield* Effect.sleep(Duration.millis(750))
          s.endOutage()
        }
        yield* Effect.sleep(Duration.millis(400))
        expect(yield* Ref.get(seen)).toEqual([])
        expect(ClusterSnapshot.equals(yield* source.current, first)).toBe(true)
        // And the source is live again afterwards.
        s.apply(kinds.service, svc("after", 1))
        yield* waitFor(source.snapshots, (x) => x.services.has("default/after"))
      }),
      { config: configFor(s) }
    )
  })
})
