/**
 * Reflector against the fake API server: every way a list/watch can break ends with a cache equal to the
 * server's state. Timeouts and backoffs are scaled down (see `fastReflector`): the behaviour under test does
 * not depend on their size.
 */
import { afterEach, describe, expect, test } from "bun:test"
import { KubeSource, Reflector } from "@kbgp/k8s-source"
import type { Kinds } from "@kbgp/k8s-source"
import { Duration, Effect, Ref, Stream } from "effect"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"
import type { KindDef, K8sObject } from "../../src/fakeApiServer/FakeApiServer.js"
import type { LogLines } from "../../src/fakeApiServer/Harness.js"
import {
  cacheEqualsServer,
  configFor,
  fastReflector,
  listCalls,
  run,
  until,
  waitFor,
  watchCalls
} from "../../src/fakeApiServer/Harness.js"

let server: FakeApiServer | undefined
afterEach(() => {
  server?.stop()
  server = undefined
})

const start = (options: Parameters<typeof FakeApiServer.start>[0] = {}) => {
  server = FakeApiServer.start({ tokens: ["test-token"], ...options })
  return server
}

const svc = (name: string, port = 80, namespace = "default") => ({
  metadata: { name, namespace },
  spec: { type: "ClusterIP", ports: [{ port }] }
})

const seed = (s: FakeApiServer, n: number) => {
  for (let i = 0; i < n; i++) s.apply(kinds.service, svc(`svc-${i}`, 1000 + i, i % 2 === 0 ? "default" : "other"))
}

/** A Service reflector, waiting until it equals the server. */
const services = (s: FakeApiServer, settings: Partial<Reflector.Settings> = fastReflector) =>
  Effect.gen(function*() {
    const r = yield* Reflector.make(KubeSource.targetOf("Service"), settings)
    const converged = (brokenKeep: ReadonlyArray<string> = []) =>
      waitFor(r.changes, (st) => st.listed && cacheEqualsServer("Service", st.items, s.objects(kinds.service), brokenKeep))
    yield* converged()
    return { r, converged }
  })

const sameAsServer = (kind: Kinds.KindName, items: ReadonlyMap<string, unknown>, objects: Array<K8sObject>) =>
  cacheEqualsServer(kind, items, objects)

describe("Reflector", () => {
  test("the initial list pages through limit/continue, then watches from the list's resourceVersion", async () => {
    const s = start()
    seed(s, 7)
    const listRv = s.resourceVersion
    await run(
      Effect.gen(function*() {
        const { r } = yield* services(s)
        expect((yield* r.get).items.size).toBe(7)
        const lists = listCalls(s, "services")
        expect(lists.map((q) => q.query.limit)).toEqual(["2", "2", "2", "2"])
        expect(lists.slice(1).every((q) => q.query.continue !== undefined)).toBe(true)
        yield* until(() => watchCalls(s, "services").length > 0)
        const w = watchCalls(s, "services")[0]!
        expect(w.query.resourceVersion).toBe(listRv)
        expect(w.query.allowWatchBookmarks).toBe("true")
      }),
      { config: configFor(s) }
    )
  })

  test("ADDED, MODIFIED and DELETED events keep the cache equal to the server", async () => {
    const s = start()
    seed(s, 3)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        s.apply(kinds.service, svc("new", 81))
        s.apply(kinds.service, svc("svc-0", 9999))
        s.remove(kinds.service, "other", "svc-1")
        yield* converged()
        expect(listCalls(s, "services").length).toBe(2) // 3 objects in pages of 2: no relist
      }),
      { config: configFor(s) }
    )
  })

  test("a stream cut in the middle of an event resumes from the last resourceVersion, without a relist", async () => {
    const s = start()
    seed(s, 3)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        const before = s.resourceVersion
        s.dropWatches("next-event")
        s.apply(kinds.service, svc("svc-0", 4242)) // cut in half on the wire, then the stream ends
        s.apply(kinds.service, svc("later", 4343))
        yield* converged()
        const watches = watchCalls(s, "services")
        expect(watches.length).toBeGreaterThanOrEqual(2)
        expect(watches[1]!.query.resourceVersion).toBe(before)
        expect(listCalls(s, "services").length).toBe(2)
      }),
      { config: configFor(s) }
    )
  })

  test("an expired resourceVersion (ERROR event 410) relists and converges", async () => {
    const s = start()
    seed(s, 5)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        s.stallWatches()
        s.apply(kinds.service, svc("svc-0", 7000))
        s.remove(kinds.service, "other", "svc-1")
        s.apply(kinds.service, svc("added", 7001))
        s.compact()
        const listsBefore = listCalls(s, "services").length
        s.dropWatches("now")
        yield* converged()
        expect(listCalls(s, "services").length).toBeGreaterThan(listsBefore)
      }),
      { config: configFor(s) }
    )
  })

  test("an expired resourceVersion answered with HTTP 410 relists and converges", async () => {
    const s = start({ goneAs: "status" })
    seed(s, 4)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        s.stallWatches()
        s.apply(kinds.service, svc("svc-2", 7100))
        s.compact()
        const listsBefore = listCalls(s, "services").length
        s.dropWatches("now")
        yield* converged()
        expect(listCalls(s, "services").length).toBeGreaterThan(listsBefore)
      }),
      { config: configFor(s) }
    )
  })

  test("any other ERROR event (here a 500) ends the watch and relists, and the cache converges", async () => {
    const s = start()
    seed(s, 3)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        expect(listCalls(s, "services").length).toBe(2)
        s.sendRaw(
          kinds.service,
          JSON.stringify({
            type: "ERROR",
            object: { kind: "Status", apiVersion: "v1", status: "Failure", message: "etcd hiccup", reason: "InternalError", code: 500 }
          })
        )
        s.apply(kinds.service, svc("after-error", 5000))
        yield* converged()
        // 3 objects in pages of 2 = 2 requests per list: the ERROR caused exactly one more list.
        yield* until(() => listCalls(s, "services").length >= 4)
        yield* until(() => watchCalls(s, "services").length >= 2)
        expect(listCalls(s, "services").length).toBe(4)
        expect(listCalls(s, "services")[2]!.query.continue).toBeUndefined()
      }),
      { config: configFor(s) }
    )
  })

  test("a continue token that expires mid-list restarts the list in one request", async () => {
    const s = start()
    seed(s, 6)
    let compacted = false
    s.beforeRequest((req) => {
      if (!compacted && req.query.continue !== undefined) {
        compacted = true
        s.apply(kinds.service, svc("svc-5", 5555))
        s.compact()
      }
    })
    await run(
      Effect.gen(function*() {
        yield* services(s)
        const lists = listCalls(s, "services")
        expect(lists.map((q) => q.query.limit ?? "none")).toEqual(["2", "2", "none"])
      }),
      { config: configFor(s) }
    )
  })

  test("a silent stream (no bytes, connection open) is noticed after the idle timeout and reopened", async () => {
    const s = start()
    seed(s, 2)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        s.stallWatches()
        s.apply(kinds.service, svc("during-stall", 8080))
        const t0 = Date.now()
        yield* converged()
        // The idle timeout is 600 ms in these tests; the stalled stream sent nothing since.
        expect(Date.now() - t0).toBeGreaterThanOrEqual(400)
        expect(listCalls(s, "services").length).toBe(1)
      }),
      { config: configFor(s) }
    )
  })

  test("bookmarks move the resume point forward", async () => {
    const s = start()
    seed(s, 1)
    await run(
      Effect.gen(function*() {
        yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        // Changes to another kind move the global resourceVersion; a bookmark tells the watcher.
        s.apply(kinds.node, { metadata: { name: "n1" } })
        s.apply(kinds.node, { metadata: { name: "n2" } })
        const rv = s.resourceVersion
        s.sendBookmarks()
        yield* Effect.sleep(Duration.millis(50))
        s.dropWatches("now")
        yield* until(() => watchCalls(s, "services").length === 2)
        expect(watchCalls(s, "services")[1]!.query.resourceVersion).toBe(rv)
      }),
      { config: configFor(s) }
    )
  })

  test("a 503 outage keeps the cache as it was, and it converges after the outage", async () => {
    const s = start()
    seed(s, 4)
    await run(
      Effect.gen(function*() {
        const { r, converged } = yield* services(s)
        const before = yield* r.get
        const published = yield* Ref.make(0)
        yield* Effect.forkScoped(Stream.runForEach(Stream.drop(r.changes, 1), () => Ref.update(published, (n) => n + 1)))
        s.startOutage("503")
        s.apply(kinds.service, svc("svc-0", 6000)) // changed on the server while nobody can watch
        yield* Effect.sleep(Duration.millis(500))
        expect(yield* Ref.get(published)).toBe(0)
        expect((yield* r.get).items).toBe(before.items)
        s.endOutage()
        yield* converged()
      }),
      { config: configFor(s) }
    )
  })

  test("refused connections (API server down) keep the cache, and it converges after a restart", async () => {
    const s = start()
    seed(s, 4)
    await run(
      Effect.gen(function*() {
        const { r, converged } = yield* services(s)
        const before = yield* r.get
        s.startOutage("refuse")
        s.remove(kinds.service, "default", "svc-0")
        yield* Effect.sleep(Duration.millis(500))
        expect((yield* r.get).items).toBe(before.items)
        s.endOutage()
        yield* converged()
      }),
      { config: configFor(s) }
    )
  })

  test("an object that does not decode is skipped with a log naming object and field; the watch goes on", async () => {
    const s = start()
    seed(s, 2)
    const logs: LogLines = []
    await run(
      Effect.gen(function*() {
        const { r, converged } = yield* services(s)
        s.apply(kinds.service, { metadata: { name: "broken", namespace: "default" }, spec: { ports: [{ port: "http" }] } })
        s.apply(kinds.service, svc("after-broken", 90))
        yield* converged()
        const st = yield* r.get
        expect(st.items.has("default/broken")).toBe(false)
        expect([...st.problems.keys()]).toEqual(["default/broken"])
        expect(logs.some((l) => l.includes("Service default/broken") && l.includes("spec.ports[0].port"))).toBe(true)
        // A good version of an object followed by a bad edit keeps the last good version.
        const good = st.items.get("default/svc-0")
        s.apply(kinds.service, { metadata: { name: "svc-0", namespace: "default" }, spec: { ports: "nope" } })
        yield* waitFor(r.changes, (x) => x.problems.has("default/svc-0"))
        expect((yield* r.get).items.get("default/svc-0")).toBe(good)
        // Fixing it brings the new version and clears the problem.
        s.apply(kinds.service, svc("broken", 91))
        s.apply(kinds.service, svc("svc-0", 92))
        yield* converged()
        expect((yield* r.get).problems.size).toBe(0)
        expect(listCalls(s, "services").length).toBe(1)
      }),
      { config: configFor(s), logs }
    )
  })

  test("a malformed line on the stream reconnects from the last resourceVersion", async () => {
    const s = start()
    seed(s, 2)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        s.sendRaw(kinds.service, "{\"type\":\"ADDED\",\"object\":{oops")
        s.apply(kinds.service, svc("after-garbage", 77))
        yield* converged()
        expect(watchCalls(s, "services").length).toBeGreaterThanOrEqual(2)
        expect(listCalls(s, "services").length).toBe(1)
      }),
      { config: configFor(s) }
    )
  })

  test("a kind that is not served (404) is empty and listed, and is found once its CRD appears", async () => {
    const v2alpha1: KindDef = {
      group: "cilium.io",
      version: "v2alpha1",
      plural: "ciliumbgpclusterconfigs",
      kind: "CiliumBGPClusterConfig",
      namespaced: false,
      statusSubresource: true
    }
    const s = start()
    await run(
      Effect.gen(function*() {
        const r = yield* Reflector.make(KubeSource.targetOf("CiliumBGPClusterConfig"), fastReflector)
        const st = yield* waitFor(r.changes, (x) => x.listed)
        expect(st.items.size).toBe(0)
        expect(st.version).toBeUndefined()
        // Not an error loop: a few lists (both versions) per recheck period of 300 ms.
        s.clearRequests()
        yield* Effect.sleep(Duration.millis(700))
        expect(listCalls(s, "ciliumbgpclusterconfigs").length).toBeLessThanOrEqual(6)
        // The CRD gets installed, served only as v2alpha1 (the older version): the reflector finds it there.
        s.addKind(v2alpha1)
        s.apply(v2alpha1, { metadata: { name: "cc" }, spec: { bgpInstances: [{ name: "i", localASN: 65001 }] } })
        const found = yield* waitFor(r.changes, (x) => x.items.has("cc"))
        expect(found.version).toBe("v2alpha1")
        // Uninstalled again: its objects go away.
        s.removeKind(v2alpha1)
        yield* waitFor(r.changes, (x) => x.items.size === 0 && x.version === undefined)
      }),
      { config: configFor(s) }
    )
  })

  test("a relist swaps the whole store at once: every published state holds every untouched object", async () => {
    const s = start()
    seed(s, 12)
    await run(
      Effect.gen(function*() {
        const { r, converged } = yield* services(s)
        const initial = yield* r.get
        const states = yield* Ref.make<Array<Reflector.State<unknown, unknown>>>([])
        yield* Effect.forkScoped(Stream.runForEach(r.changes, (st) => Ref.update(states, (xs) => [...xs, st])))
        yield* until(() => s.openWatches(kinds.service) === 1)
        s.stallWatches()
        s.apply(kinds.service, svc("svc-0", 1))
        s.remove(kinds.service, "other", "svc-1")
        s.apply(kinds.service, svc("fresh", 2))
        s.compact()
        const lists = listCalls(s, "services").length
        s.dropWatches("now")
        yield* converged()
        expect(listCalls(s, "services").length).toBeGreaterThan(lists)
        const untouched = [...initial.items.keys()].filter((k) => k !== "default/svc-0" && k !== "other/svc-1")
        const seen = yield* Ref.get(states)
        for (const st of seen) for (const k of untouched) expect(st.items.get(k)).toBe(initial.items.get(k))
        // One swap for the whole relist (the first state recorded is the one before it).
        expect(seen.length).toBe(2)
      }),
      { config: configFor(s) }
    )
  })

  test("bookmarks keep a quiet stream alive past the idle timeout", async () => {
    const s = start({ bookmarkIntervalMs: 150 })
    seed(s, 1)
    await run(
      Effect.gen(function*() {
        yield* services(s)
        yield* until(() => s.openWatches(kinds.service) === 1)
        yield* Effect.sleep(Duration.millis(1500)) // 2.5 idle timeouts without a single event
        expect(watchCalls(s, "services").length).toBe(1)
      }),
      { config: configFor(s) }
    )
  })

  test("a watch the server ends after timeoutSeconds is resumed where it was, without a relist", async () => {
    const s = start({ bookmarkIntervalMs: 150 })
    seed(s, 2)
    await run(
      Effect.gen(function*() {
        const { converged } = yield* services(s, { ...fastReflector, watchTimeoutSeconds: 1 })
        yield* until(() => watchCalls(s, "services").length >= 2)
        expect(watchCalls(s, "services")[0]!.query.timeoutSeconds).toBe("1")
        expect(listCalls(s, "services").length).toBe(1)
        s.apply(kinds.service, svc("after-timeout", 1))
        yield* converged()
      }),
      { config: configFor(s) }
    )
  })

  for (const seedValue of [12345, 777, 424242]) {
    test(`a mixed sequence of changes and failures always ends equal to the server (sequence ${seedValue})`, async () => {
      const s = start({ historyLimit: 20 })
      seed(s, 6)
      // A fixed pseudo-random sequence (deterministic), mixing writes with every failure the server can inject.
      let x = seedValue
      const rnd = (n: number) => {
        x = (x * 1103515245 + 12345) % 2147483648
        return x % n
      }
      await run(
        Effect.gen(function*() {
          const { r, converged } = yield* services(s)
          for (let step = 0; step < 60; step++) {
            const op = rnd(12)
            const name = `svc-${rnd(10)}`
            const ns = rnd(2) === 0 ? "default" : "other"
            if (op <= 3) s.apply(kinds.service, svc(name, 2000 + step, ns))
            else if (op <= 5) s.remove(kinds.service, ns, name)
            else if (op === 6) s.dropWatches("next-event")
            else if (op === 7) s.dropWatches("now")
            else if (op === 8) s.compact()
            else if (op === 9) s.stallWatches()
            else if (op === 10) s.sendRaw(kinds.service, "not json")
            else {
              s.startOutage("503")
              yield* Effect.sleep(Duration.millis(30))
              s.endOutage()
            }
            if (rnd(3) === 0) yield* Effect.sleep(Duration.millis(rnd(40)))
          }
          yield* converged()
          expect(sameAsServer("Service", (yield* r.get).items, s.objects(kinds.service))).toBe(true)
        }),
        { config: configFor(s), timeout: Duration.seconds(20) }
      )
    })
  }
})
