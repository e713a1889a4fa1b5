/**
 * Fault: a slow API server (issue 6, "Faults / API server"). The other API-server faults
 * of the issue are covered in test/k8s: streams cut mid-event, 410 Gone as an ERROR event
 * and as HTTP 410, the outage (refused and 503; 60 s on TestClock in
 * packages/k8s-source), malformed objects and lines, relists that never flap. What was
 * missing is slowness, added here with a proxy in front of the fake API server that
 * delays response heads, trickles bodies in small pieces, or stalls a body half-way:
 *
 * - slow but within the client's timeouts: the source syncs, follows every change, and no
 *   published snapshot ever misses an object that exists or flaps one;
 * - slower than the request timeout for a while: requests time out and are retried, the
 *   snapshot stays as it was (nothing lost), and it converges when the server is fast again;
 * - a list whose body stops half-way: the request timeout covers the body too, so the
 *   reflector retries instead of waiting forever.
 *
 * No lab and no root needed (the fake API server and the proxy listen on 127.0.0.1).
 */
import { afterEach, describe, expect, test } from "bun:test"
import { type ClusterSnapshot, KubeSource } from "@kbgp/k8s-source"
import { Duration, Effect, Ref, Stream } from "effect"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"
import { cacheEqualsServer, configFor, fastReflector, listCalls, run, until, waitFor } from "../../src/fakeApiServer/Harness.js"

/**
 * An HTTP proxy to `upstream` that can be made slow: `headDelayMs` before the response
 * head, bodies in `chunkBytes` pieces `chunkDelayMs` apart, and with `stallLists` a
 * list body that stops after its first piece (the connection stays open).
 */
class SlowProxy {
  headDelayMs = 0
  chunkBytes = 0
  chunkDelayMs = 0
  stallLists = false
  /** Requests answered so far, and list bodies stalled so far. */
  requests = 0
  stalled = 0
  private readonly server: ReturnType<typeof Bun.serve>

  constructor(private readonly upstream: string) {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (req) => this.forward(req).catch(() => new Response("proxy: upstream gone", { status: 502 })) })
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`
  }

  stop(): void {
    void this.server.stop(true)
  }

  private async forward(req: Request): Promise<Response> {
    const url = new URL(req.url)
    const body = req.method === "GET" || req.method === "DELETE" ? undefined : await req.arrayBuffer()
    const res = await fetch(`${this.upstream}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      ...(body !== undefined ? { body } : {}),
      signal: req.signal
    })
    this.requests++
    if (this.headDelayMs > 0) await Bun.sleep(this.headDelayMs)
    const isList = req.method === "GET" && url.searchParams.get("watch") !== "true"
    const stall = this.stallLists && isList
    if (stall) this.stalled++
    const piece = this.chunkBytes > 0 ? this.chunkBytes : Number.MAX_SAFE_INTEGER
    const delay = this.chunkDelayMs
    const source = res.body
    let cancelSource: (() => void) | undefined
    const out = new ReadableStream<Uint8Array>({
      async start(controller) {
        if (source === null) return controller.close()
        const reader = source.getReader()
        cancelSource = () => void reader.cancel().catch(() => {})
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            for (let o = 0; o < value.length; o += piece) {
              controller.enqueue(value.subarray(o, Math.min(value.length, o + piece)))
              if (stall) return // the rest never comes; the client has to give up
              if (delay > 0) await Bun.sleep(delay)
            }
          }
          controller.close()
        } catch {
          // the client went away
        }
      },
      cancel() {
        cancelSource?.()
      }
    })
    const headers = new Headers(res.headers)
    headers.delete("content-length")
    headers.delete("content-encoding")
    return new Response(out, { status: res.status, headers })
  }
}

let server: FakeApiServer | undefined
let proxy: SlowProxy | undefined
afterEach(() => {
  proxy?.stop()
  server?.stop()
  proxy = undefined
  server = undefined
})

const start = (): { s: FakeApiServer; p: SlowProxy } => {
  server = FakeApiServer.start({ tokens: ["test-token"] })
  proxy = new SlowProxy(server.url)
  return { s: server, p: proxy }
}

const svc = (name: string, port: number) => ({
  metadata: { name, namespace: "default" },
  spec: { type: "LoadBalancer", ports: [{ port }] }
})

const options = (idleTimeout: Duration.DurationInput) => ({
  reflector: { ...fastReflector, idleTimeout },
  settle: { debounce: Duration.millis(20), maxDelay: Duration.millis(100) }
})

/** A KubeSource through the proxy, synced and equal to the server; every later snapshot is recorded. */
const synced = (s: FakeApiServer, idleTimeout: Duration.DurationInput) =>
  Effect.gen(function*() {
    const source = yield* KubeSource.make(options(idleTimeout))
    const first = yield* waitFor(
      source.snapshots,
      (snap) => snap.synced && cacheEqualsServer("Service", snap.services, s.objects(kinds.service))
    )
    const seen = yield* Ref.make<Array<ClusterSnapshot.ClusterSnapshot>>([first])
    yield* Effect.forkScoped(Stream.runForEach(Stream.drop(source.snapshots, 1), (snap) => Ref.update(seen, (xs) => [...xs, snap])))
    return { source, seen }
  })

/** Relist Services: compact the history so that the reopened watch is 410 Gone. */
const forceRelist = (s: FakeApiServer) => {
  s.apply(kinds.node, { metadata: { name: `bump-${s.resourceVersion}` } })
  s.compact()
  s.dropWatches("now")
}

/**
 * Across the published snapshots: `stable` keys are always present; every other key
 * changes presence at most `changes.get(key)` times (the server's own adds and deletes).
 */
const neverLostNorFlapped = (
  snaps: ReadonlyArray<ClusterSnapshot.ClusterSnapshot>,
  stable: ReadonlyArray<string>,
  changes: ReadonlyMap<string, number>
): Array<string> => {
  const problems: Array<string> = []
  snaps.forEach((snap, i) => {
    for (const k of stable) if (!snap.services.has(k)) problems.push(`snapshot ${i} lost ${k}`)
  })
  for (const [k, allowed] of changes) {
    let flips = 0
    for (let i = 1; i < snaps.length; i++) if (snaps[i]!.services.has(k) !== snaps[i - 1]!.services.has(k)) flips++
    if (flips > allowed) problems.push(`${k} changed presence ${flips} times (server: ${allowed})`)
  }
  return problems
}

const keys = (n: number) => Array.from({ length: n }, (_, i) => `default/s${i}`)

describe("k8s-source against a slow API server", () => {
  test("slow heads and trickled bodies within the timeouts: synced, every change followed, nothing lost or flapped", async () => {
    const { s, p } = start()
    for (let i = 0; i < 12; i++) s.apply(kinds.service, svc(`s${i}`, 1000 + i))
    p.headDelayMs = 400
    p.chunkBytes = 64
    p.chunkDelayMs = 3
    await run(
      Effect.gen(function*() {
        const { source, seen } = yield* synced(s, "3 seconds")
        // Changes through the slow watch, then a slow relist (pages of 2, each late and trickled).
        s.apply(kinds.service, svc("new-1", 1))
        s.apply(kinds.service, svc("s1", 2001))
        s.remove(kinds.service, "default", "s2")
        yield* waitFor(source.snapshots, (x) => cacheEqualsServer("Service", x.services, s.objects(kinds.service)))
        const lists = listCalls(s, "services").length
        forceRelist(s)
        s.apply(kinds.service, svc("new-2", 2))
        yield* until(() => listCalls(s, "services").length > lists)
        yield* waitFor(source.snapshots, (x) => cacheEqualsServer("Service", x.services, s.objects(kinds.service)))
        const stable = keys(12).filter((k) => k !== "default/s2")
        const changes = new Map([["default/s2", 1], ["default/new-1", 1], ["default/new-2", 1]])
        expect(neverLostNorFlapped(yield* Ref.get(seen), stable, changes)).toEqual([])
        expect((yield* source.current).services.get("default/s1")?.spec.ports?.[0]?.port).toBe(2001)
      }),
      { config: { ...configFor(s), server: p.url }, timeout: Duration.seconds(25) }
    )
  }, 30_000)

  test("responses slower than the request timeout for a while: retried, nothing lost, converged once fast again", async () => {
    const { s, p } = start()
    for (let i = 0; i < 8; i++) s.apply(kinds.service, svc(`s${i}`, 1000 + i))
    const logs: Array<string> = []
    await run(
      Effect.gen(function*() {
        const { source, seen } = yield* synced(s, "3 seconds")
        // From now on every answer comes 2.5 s late, past the 1 s request timeout.
        p.headDelayMs = 2500
        const before = p.requests
        forceRelist(s)
        s.apply(kinds.service, svc("during", 3))
        s.remove(kinds.service, "default", "s7")
        // Several attempts time out (evidence, not a fixed wait), and the snapshot stays as it was.
        yield* until(() => p.requests >= before + 3 && logs.some((l) => l.includes("no answer within")))
        const slowPhase = yield* Ref.get(seen)
        for (const snap of slowPhase) for (const k of keys(7)) expect(snap.services.has(k)).toBe(true)
        // Fast again: the same reflectors (no restart) catch up with what changed meanwhile.
        p.headDelayMs = 0
        yield* waitFor(source.snapshots, (x) => cacheEqualsServer("Service", x.services, s.objects(kinds.service)))
        const changes = new Map([["default/s7", 1], ["default/during", 1]])
        expect(neverLostNorFlapped(yield* Ref.get(seen), keys(7), changes)).toEqual([])
      }),
      { config: { ...configFor(s), server: p.url }, settings: { requestTimeout: Duration.seconds(1) }, logs, timeout: Duration.seconds(25) }
    )
  }, 30_000)

  test("a list body that stops half-way is given up after the request timeout and retried; nothing lost meanwhile", async () => {
    const { s, p } = start()
    for (let i = 0; i < 8; i++) s.apply(kinds.service, svc(`s${i}`, 1000 + i))
    await run(
      Effect.gen(function*() {
        const { source, seen } = yield* synced(s, "3 seconds")
        p.chunkBytes = 16
        p.stallLists = true
        forceRelist(s)
        s.apply(kinds.service, svc("during", 3))
        // Two stalled lists: the first was abandoned (request timeout over the body) and retried.
        yield* until(() => p.stalled >= 2)
        for (const snap of yield* Ref.get(seen)) for (const k of keys(8)) expect(snap.services.has(k)).toBe(true)
        p.stallLists = false
        yield* waitFor(source.snapshots, (x) => cacheEqualsServer("Service", x.services, s.objects(kinds.service)))
        expect(neverLostNorFlapped(yield* Ref.get(seen), keys(8), new Map([["default/during", 1]]))).toEqual([])
      }),
      { config: { ...configFor(s), server: p.url }, settings: { requestTimeout: Duration.seconds(1) }, timeout: Duration.seconds(20) }
    )
  }, 25_000)
})
