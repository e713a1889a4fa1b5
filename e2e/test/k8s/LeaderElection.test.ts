/**
 * Lease-based leader election against the fake API server, with durations scaled down (lease 1 s — the
 * Lease's own unit is whole seconds — renew deadline 600 ms, retry 100 ms).
 */
import { afterEach, describe, expect, test } from "bun:test"
import { KubeClient, LeaderElection } from "@kbgp/k8s-source"
import { Duration, Effect, Exit, Ref, Scope, Stream } from "effect"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"
import { configFor, run, until, waitFor } from "../../src/fakeApiServer/Harness.js"

let server: FakeApiServer | undefined
afterEach(() => {
  server?.stop()
  server = undefined
})

const settings = {
  namespace: "kube-system",
  leaseName: "kbgp",
  leaseDuration: Duration.seconds(1),
  renewDeadline: Duration.millis(600),
  retryPeriod: Duration.millis(100)
}

/** A candidate with its own client (token) and scope, recording when its flag changed. */
const candidate = (s: FakeApiServer, identity: string) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const client = yield* KubeClient.make(configFor(s, identity))
    const election = yield* LeaderElection.make({ ...settings, identity }).pipe(
      Effect.provideService(KubeClient.KubeClient, client),
      Scope.extend(scope)
    )
    const changes = yield* Ref.make<Array<{ leader: boolean; at: number }>>([])
    yield* Effect.forkScoped(
      Stream.runForEach(election.isLeader, (leader) => Ref.update(changes, (xs) => [...xs, { leader, at: Date.now() }]))
    )
    return { election, scope, changes: Ref.get(changes), close: Scope.close(scope, Exit.void) }
  })

const lease = (s: FakeApiServer) =>
  s.get(kinds.lease, "kube-system", "kbgp")?.spec as
    | { holderIdentity: string; leaseDurationSeconds: number; leaseTransitions: number; renewTime: string; acquireTime: string }
    | undefined

describe("LeaderElection", () => {
  test("the first candidate creates the Lease and leads; another one waits while it renews", async () => {
    const s = FakeApiServer.start({ tokens: ["a", "b"] })
    server = s
    await run(
      Effect.gen(function*() {
        const a = yield* candidate(s, "a")
        yield* waitFor(a.election.isLeader, (x) => x)
        const first = lease(s)!
        expect(first.holderIdentity).toBe("a")
        expect(first.leaseDurationSeconds).toBe(1)
        expect(first.leaseTransitions).toBe(0)
        expect(first.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
        const b = yield* candidate(s, "b")
        yield* Effect.sleep(Duration.millis(1500))
        expect(yield* b.election.current).toBe(false)
        expect(lease(s)!.holderIdentity).toBe("a")
        expect(lease(s)!.renewTime > first.renewTime).toBe(true)
        expect(lease(s)!.acquireTime).toBe(first.acquireTime)
        yield* b.close
        yield* a.close
      })
    )
  })

  test("a leader that cannot renew steps down before another candidate takes over after the lease expires", async () => {
    const s = FakeApiServer.start({ tokens: ["a", "b"] })
    server = s
    await run(
      Effect.gen(function*() {
        const a = yield* candidate(s, "a")
        yield* waitFor(a.election.isLeader, (x) => x)
        const b = yield* candidate(s, "b")
        yield* Effect.sleep(Duration.millis(200))
        // a is cut off from the API server (its credentials stop working): it can neither renew nor release.
        s.setTokens(["b"])
        const cutAt = Date.now()
        yield* waitFor(b.election.isLeader, (x) => x)
        const aLost = (yield* a.changes).find((c) => !c.leader && c.at >= cutAt)
        const bWon = (yield* b.changes).find((c) => c.leader)!
        expect(aLost).toBeDefined()
        expect(aLost!.at).toBeLessThanOrEqual(bWon.at)
        expect(bWon.at - cutAt).toBeGreaterThanOrEqual(700) // not before the lease (1 s, from a's last renewal) ran out
        expect(lease(s)!.holderIdentity).toBe("b")
        expect(lease(s)!.leaseTransitions).toBe(1)
        yield* a.close
        yield* b.close
      })
    )
  })

  test("closing the leader's scope releases the Lease, and another candidate takes over at once", async () => {
    const s = FakeApiServer.start({ tokens: ["a", "b"] })
    server = s
    await run(
      Effect.gen(function*() {
        const a = yield* candidate(s, "a")
        yield* waitFor(a.election.isLeader, (x) => x)
        const b = yield* candidate(s, "b")
        yield* Effect.sleep(Duration.millis(200))
        const closedAt = Date.now()
        yield* a.close
        expect(lease(s)!.holderIdentity).toBe("")
        yield* waitFor(b.election.isLeader, (x) => x)
        expect(Date.now() - closedAt).toBeLessThan(600)
        yield* until(() => lease(s)?.holderIdentity === "b")
        yield* b.close
      })
    )
  })

  test("alwaysLeader leads from the start (manifest mode)", async () => {
    const leader = await Effect.runPromise(
      Effect.flatMap(LeaderElection.LeaderElection, (e) => Stream.runCollect(Stream.take(e.isLeader, 1))).pipe(
        Effect.provide(LeaderElection.alwaysLeader())
      )
    )
    expect([...leader]).toEqual([true])
  })
})
