import { describe, expect, test } from "bun:test"
import { Chunk, Effect, Fiber, Queue, Stream } from "effect"
import { Diff, Peer, Rib } from "../src/index.js"
import { attrs, ip, pfx, v4 } from "./support/Fixtures.js"

const run = <A>(eff: Effect.Effect<A, never, Rib.Rib>): Promise<A> =>
  Effect.runPromise(Effect.provide(eff, Rib.layer({ localAs: 65000, routerId: 1 })))

describe("the Rib service", () => {
  test("publishes every non-empty diff to subscribers, in order", async () => {
    const published = await run(
      Effect.scoped(
        Effect.gen(function* () {
          const rib = yield* Rib.Rib
          const sub = yield* rib.subscribe
          const a = yield* rib.addPeer({ address: ip("10.0.0.1"), asn: 65001, install: true })
          yield* rib.announce(a, v4, pfx("192.0.2.0/24"), attrs())
          yield* rib.announce(a, v4, pfx("192.0.2.0/24"), attrs()) // same again: empty, not published
          yield* rib.withdraw(a, v4, pfx("192.0.2.0/24"))
          return Chunk.toArray(yield* Queue.takeAll(sub)).map(Diff.lines)
        })
      )
    )
    expect(published).toEqual([["ipv4-unicast + 192.0.2.0/24"], ["ipv4-unicast - 192.0.2.0/24"]])
  })

  test("the changes stream carries Adj-RIB-Out diffs for a peer that is up, and batch publishes one diff", async () => {
    const got = await run(
      Effect.gen(function* () {
        const rib = yield* Rib.Rib
        const out = yield* rib.addPeer({ address: ip("10.0.0.2"), asn: 65002, nextHopSelf: { ipv4: ip("10.0.0.254") } })
        yield* rib.peerUp(out, { routerId: 2, families: [v4] })
        const fiber = yield* rib.changes.pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        yield* Effect.yieldNow()
        yield* Effect.sleep("10 millis")
        const d = yield* rib.batch((core) => {
          core.announce(Peer.LOCAL, v4, pfx("203.0.113.1/32"), { origin: 0, asPath: [] })
          core.announce(Peer.LOCAL, v4, pfx("203.0.113.2/32"), { origin: 0, asPath: [] })
        })
        const [first] = Chunk.toArray(yield* Fiber.join(fiber))
        return { returned: Diff.summary(d), published: Diff.summary(first!), same: first === d }
      })
    )
    expect(got).toEqual({ returned: { added: 2, changed: 0, removed: 0, announced: 2, withdrawn: 0 }, published: got.returned, same: true })
  })

  test("query reads the core between operations", async () => {
    const n = await run(
      Effect.gen(function* () {
        const rib = yield* Rib.Rib
        yield* rib.replace(Peer.LOCAL, v4, [{ attributes: { origin: 0, asPath: [] }, prefixes: pfx("203.0.113.1/32", "203.0.113.2/32") }])
        return yield* rib.query((core) => core.locRibSize(v4))
      })
    )
    expect(n).toBe(2)
  })
})
