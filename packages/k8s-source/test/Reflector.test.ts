/**
 * Reflector timing behaviour on TestClock, with an in-memory KubeClient: real-sized durations (60 s outages,
 * 60 s rechecks, 30 s backoff cap) run instantly. The HTTP behaviour is tested in e2e/test/k8s.
 */
import { describe, expect, test } from "bun:test"
import { Chunk, Duration, Effect, Either, Logger, LogLevel, Random, Ref, Schedule, Stream, SubscriptionRef, TestClock, TestContext } from "effect"
import type { Scope } from "effect"
import * as KubeClient from "../src/KubeClient.js"
import { KubeError } from "../src/KubeError.js"
import * as Reflector from "../src/Reflector.js"

interface Cluster {
  served: boolean
  rv: number
  objects: Map<string, { metadata: { name: string; uid: string; resourceVersion: string }; data: string }>
  lists: number
  watches: number
}

const put = (c: Cluster, name: string, data: string) => {
  c.rv++
  c.objects.set(name, { metadata: { name, uid: `uid-${name}`, resourceVersion: String(c.rv) }, data })
}

/** An API server in memory: lists are consistent, a watch from a stale version is Gone, `down` breaks everything. */
const stubClient = (c: Cluster, down: SubscriptionRef.SubscriptionRef<boolean>): KubeClient.Service => {
  const unreachable = new KubeError({ reason: "Unreachable", target: "stub", detail: "connection refused" })
  return {
    config: {
      server: "https://stub",
      origin: "test",
      namespace: "default",
      token: undefined,
      tls: { ca: undefined, cert: undefined, key: undefined, insecureSkipTlsVerify: false, serverName: undefined }
    },
    list: () =>
      Effect.gen(function*() {
        c.lists++
        if (yield* SubscriptionRef.get(down)) return yield* unreachable
        if (!c.served) return yield* new KubeError({ reason: "NotFound", target: "stub", detail: "404", status: 404 })
        return { items: [...c.objects.values()].map((o) => structuredClone(o)), resourceVersion: String(c.rv), continue: undefined }
      }),
    watch: (_ref, options) =>
      Effect.gen(function*() {
        c.watches++
        if (yield* SubscriptionRef.get(down)) return yield* unreachable
        if (options.resourceVersion !== String(c.rv)) {
          return yield* new KubeError({ reason: "Gone", target: "stub", detail: "too old", status: 410 })
        }
        // Silent until the outage starts, then the connection breaks.
        return down.changes.pipe(
          Stream.filter((d) => d),
          Stream.take(1),
          Stream.flatMap(() => Stream.fail(unreachable))
        )
      }),
    get: () => Effect.dieMessage("unused"),
    create: () => Effect.dieMessage("unused"),
    replace: () => Effect.dieMessage("unused"),
    delete: () => Effect.dieMessage("unused")
  }
}

const target: Reflector.Target<unknown, { message: string }> = {
  name: "Thing",
  group: "example.com",
  versions: ["v2", "v1"],
  plural: "things",
  namespaced: false,
  decode: (raw) => Either.right(raw)
}

const settle = Effect.repeatN(Effect.yieldNow(), 50)
const advance = (d: Duration.DurationInput) => Effect.zipRight(TestClock.adjust(d), settle)

const runTest = <A, E>(eff: Effect.Effect<A, E, Scope.Scope>) =>
  Effect.runPromise(
    Effect.provide(Effect.scoped(eff), TestContext.TestContext).pipe(
      Effect.withRandom(Random.make("kbgp-reflector")), // the same jitter on every run
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  )

const start = (c: Cluster, down: SubscriptionRef.SubscriptionRef<boolean>) =>
  Effect.gen(function*() {
    const r = yield* Reflector.make(target).pipe(Effect.provideService(KubeClient.KubeClient, stubClient(c, down)))
    const published = yield* Ref.make(0)
    yield* Effect.forkScoped(Stream.runForEach(Stream.drop(r.changes, 1), () => Ref.update(published, (n) => n + 1)))
    yield* settle
    return { r, published: Ref.get(published) }
  })

describe("Reflector on TestClock", () => {
  test("the backoff doubles from the initial delay, is capped, and is jittered by at most 20%", async () => {
    const delays = await Effect.runPromise(
      Effect.gen(function*() {
        const schedule = Reflector.backoff({ backoffInitial: Duration.millis(500), backoffMax: Duration.seconds(30) })
        const d = yield* Schedule.delays(schedule).pipe(
          (s) => Schedule.run(s, Date.now(), Chunk.range(1, 12)),
          Effect.map(Chunk.toReadonlyArray)
        )
        return d.map(Duration.toMillis)
      })
    )
    const nominal = [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000, 30000, 30000]
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(nominal[i]! * 0.8 - 1)
      expect(d).toBeLessThanOrEqual(nominal[i]! * 1.2 + 1)
    })
  })

  test("a 60-second API outage publishes nothing, retries with backoff, then converges in one change", async () => {
    const c: Cluster = { served: true, rv: 100, objects: new Map(), lists: 0, watches: 0 }
    put(c, "a", "1")
    put(c, "b", "1")
    await runTest(
      Effect.gen(function*() {
        const down = yield* SubscriptionRef.make(false)
        const { r, published } = yield* start(c, down)
        const before = yield* r.get
        expect(before.listed).toBe(true)
        expect([...before.items.keys()]).toEqual(["a", "b"])
        const publishedBefore = yield* published
        yield* SubscriptionRef.set(down, true)
        put(c, "a", "2") // changes on the server during the outage
        c.objects.delete("b")
        c.rv++
        const attemptsBefore = c.lists + c.watches
        for (let s = 0; s < 60; s++) {
          yield* advance(Duration.seconds(1))
          expect(yield* published).toBe(publishedBefore)
          expect((yield* r.get).items).toBe(before.items)
        }
        // Backoff 0.5, 1, 2, 4, 8, 16, 30 s (±20%): a handful of attempts, not one per tick.
        const attempts = c.lists + c.watches - attemptsBefore
        expect(attempts).toBeGreaterThanOrEqual(5)
        expect(attempts).toBeLessThanOrEqual(10)
        yield* SubscriptionRef.set(down, false)
        yield* advance(Duration.seconds(40))
        const after = yield* r.get
        expect([...after.items.keys()]).toEqual(["a"])
        expect((after.items.get("a") as { data: string }).data).toBe("2")
        expect(yield* published).toBe(publishedBefore + 1)
      })
    )
  })

  test("a kind that is not served is listed as empty once per version and looked for again every 60 s", async () => {
    const c: Cluster = { served: false, rv: 1, objects: new Map(), lists: 0, watches: 0 }
    await runTest(
      Effect.gen(function*() {
        const down = yield* SubscriptionRef.make(false)
        const { r } = yield* start(c, down)
        const st = yield* r.get
        expect(st.listed).toBe(true)
        expect(st.items.size).toBe(0)
        expect(c.lists).toBe(2) // v2, then v1
        yield* advance(Duration.seconds(59))
        expect(c.lists).toBe(2)
        yield* advance(Duration.seconds(1))
        expect(c.lists).toBe(4)
        c.served = true
        put(c, "x", "1")
        yield* advance(Duration.seconds(60))
        const found = yield* r.get
        expect(found.version).toBe("v2")
        expect([...found.items.keys()]).toEqual(["x"])
      })
    )
  })
})
