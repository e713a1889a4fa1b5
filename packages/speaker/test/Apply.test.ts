import { describe, expect, test } from "bun:test"
import { MemoryTransport } from "@kbgp/fsm"
import { Policy } from "@kbgp/rib"
import { Clock, Effect, Either, Fiber, Option, Stream } from "effect"
import { Text } from "@kbgp/wire"
import type { DesiredState } from "../src/DesiredState.js"
import { advance, announce, desired, established, type Router, router, run, speaker, until, updates } from "./helpers/SpeakerHarness.js"

const peers: DesiredState["peers"] = [
  { name: "a", address: "10.0.0.2", asn: 65002, passive: true },
  { name: "b", address: "10.0.0.3", asn: 65003, passive: true }
]

const setup = (routes: DesiredState["routes"] = [{ prefix: "192.0.2.0/24" }]) =>
  Effect.gen(function* () {
    const net = yield* MemoryTransport.make()
    const s = yield* speaker(net)
    yield* s.speaker.apply(desired(peers, routes))
    const ra = yield* router(net, { address: "10.0.0.2", asn: 65002 })
    const rb = yield* router(net, { address: "10.0.0.3", asn: 65003 })
    yield* established(ra)
    yield* established(rb)
    yield* advance(60)
    yield* until("initial tables", () => ra.endOfRibs() === 1 && rb.endOfRibs() === 1)
    return { net, s, ra, rb }
  })

const notifications = (r: Router) =>
  r.events.flatMap((e) => (e._tag === "NotificationReceived" ? [`${e.info.notification.code}/${e.info.notification.subcode}`] : []))

describe("Speaker.apply", () => {
  test("applying the same state again changes nothing and sends nothing", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup()
        const sentBefore = (yield* s.speaker.peers).map((p) => p.messages.sent.update)
        const encodes = (yield* s.speaker.counters).encodes
        // A fresh copy, as a reload would parse it.
        const again = yield* s.speaker.apply(JSON.parse(JSON.stringify(desired(peers, [{ prefix: "192.0.2.0/24" }]))) as DesiredState)
        expect(again).toEqual({
          peersAdded: [],
          peersRemoved: [],
          peersReset: [],
          peersUpdated: [],
          routesAdded: 0,
          routesWithdrawn: 0,
          routesChanged: 0,
          listenerChanged: false
        })
        yield* advance(200)
        expect((yield* s.speaker.peers).map((p) => p.messages.sent.update)).toEqual(sentBefore)
        expect((yield* s.speaker.counters).encodes).toBe(encodes)
        expect(updates(ra).length).toBe(2)
        expect(updates(rb).length).toBe(2)
      })
    ))

  test("adding, changing and removing routes never resets a session", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup()
        const r1 = yield* s.speaker.apply(desired(peers, [{ prefix: "192.0.2.0/24", med: 7 }, { prefix: "198.51.100.0/24" }]))
        expect(r1).toMatchObject({ routesAdded: 1, routesChanged: 1, routesWithdrawn: 0, peersReset: [] })
        yield* advance(60)
        yield* until("new routes", () => ra.table.size === 2 && ra.table.get("192.0.2.0/24")?.med === 7)
        const r2 = yield* s.speaker.apply(desired(peers, [{ prefix: "198.51.100.0/24" }]))
        expect(r2).toMatchObject({ routesWithdrawn: 1, routesAdded: 0, routesChanged: 0 })
        yield* advance(60)
        yield* until("withdrawn", () => ra.table.size === 1 && rb.table.size === 1)
        for (const p of yield* s.speaker.peers) expect(p.establishedCount).toBe(1)
        expect(notifications(ra)).toEqual([])
        expect(notifications(rb)).toEqual([])
      })
    ))

  test("a session setting change resets only that peer, with Cease 6/6", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup()
        const changed = [{ ...peers[0]!, holdTime: 30 }, peers[1]!]
        const result = yield* s.speaker.apply(desired(changed, [{ prefix: "192.0.2.0/24" }]))
        expect(result.peersReset).toEqual([{ peer: "a", changed: ["holdTime"] }])
        yield* until("a is told", () => notifications(ra).length === 1)
        expect(notifications(ra)).toEqual(["6/6"])
        yield* established(ra)
        yield* advance(60)
        yield* until("a is back", () => ra.endOfRibs() === 2)
        const statuses = yield* s.speaker.peers
        expect(statuses.map((p) => [p.name, p.establishedCount, p.negotiated?.holdTime])).toEqual([
          ["a", 2, 30],
          ["b", 1, 90]
        ])
        expect(notifications(rb)).toEqual([])
        expect(s.events).toContainEqual({ _tag: "PeerReset", peer: "a", changed: ["holdTime"] })
      })
    ))

  test("a router id change is in every OPEN: every peer is reset with Cease 6/6 and comes back with the new id", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup()
        const result = yield* s.speaker.apply({ ...desired(peers, [{ prefix: "192.0.2.0/24" }]), routerId: "10.0.0.9" })
        expect(result.peersReset).toEqual([
          { peer: "a", changed: ["routerId"] },
          { peer: "b", changed: ["routerId"] }
        ])
        yield* until("both told", () => notifications(ra).length === 1 && notifications(rb).length === 1)
        expect([notifications(ra), notifications(rb)]).toEqual([["6/6"], ["6/6"]])
        yield* established(ra)
        yield* established(rb)
        yield* advance(60)
        yield* until("both back with the table", () => ra.endOfRibs() === 2 && rb.endOfRibs() === 2)
        for (const r of [ra, rb]) {
          const n = Option.getOrThrow(yield* r.session.negotiated)
          expect(n.peerId).toBe(Either.getOrThrow(Text.ipv4ToNumber("10.0.0.9")))
          expect([...r.table.keys()]).toEqual(["192.0.2.0/24"])
        }
      })
    ))

  test("a router id change that also removes a peer: the removed peer gets Cease 6/3 and is reported removed, the other is reset", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup()
        const result = yield* s.speaker.apply({ ...desired([peers[1]!], [{ prefix: "192.0.2.0/24" }]), routerId: "10.0.0.9" })
        expect(result.peersRemoved).toEqual(["a"])
        expect(result.peersReset).toEqual([{ peer: "b", changed: ["routerId"] }])
        yield* until("both told", () => notifications(ra).length === 1 && notifications(rb).length === 1)
        expect([notifications(ra), notifications(rb)]).toEqual([["6/3"], ["6/6"]])
        expect(s.events.filter((e) => e._tag === "PeerRemoved")).toEqual([{ _tag: "PeerRemoved", peer: "a" }])
        expect((yield* s.speaker.peers).map((p) => p.name)).toEqual(["b"])
      })
    ))

  test("removing three peers whose NOTIFICATION cannot drain waits for the drains together, and does not hold up other calls", () =>
    run(
      Effect.gen(function* () {
        // A small socket buffer, and routers that stop reading on request: the speaker's writes then block.
        const net = yield* MemoryTransport.make({ highWater: 512 })
        const reading = yield* Effect.makeLatch(true)
        const stalling: MemoryTransport.MemoryNetwork = {
          ...net,
          transport: {
            connect: (o) => Effect.map(net.transport.connect(o), (c) => ({ ...c, reads: Stream.tap(c.reads, () => reading.await) })),
            listen: net.transport.listen
          }
        }
        const s = yield* speaker(net)
        const three = [1, 2, 3].map((i) => ({ name: `p${i}`, address: `10.0.1.${i}`, asn: 65100 + i, passive: true }))
        yield* s.speaker.apply(desired(three))
        const routers: Array<Router> = []
        for (const p of three) routers.push(yield* router(stalling, { address: p.address, asn: p.asn }))
        for (const r of routers) yield* established(r)
        yield* advance(60)
        yield* reading.close
        // The routers take one more read and stop; then more than the buffer holds: each speaker writer blocks.
        yield* s.speaker.apply(desired(three, [{ prefix: "192.0.2.0/24" }]))
        yield* advance(60)
        const prefixes = Array.from({ length: 400 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)
        yield* s.speaker.apply(desired(three, [{ prefixes }]))
        yield* advance(60)

        const start = yield* Clock.currentTimeMillis
        const removal = yield* Effect.fork(s.speaker.apply(desired([], [{ prefixes }])))
        yield* advance(0)
        // The speaker answers while the NOTIFICATIONs wait to drain.
        const during = yield* Effect.fork(s.speaker.peers)
        yield* advance(0)
        const statuses = yield* Fiber.poll(during)
        expect(Option.isSome(statuses)).toBe(true)
        for (let i = 0; i < 20 && Option.isNone(yield* Fiber.poll(removal)); i++) yield* advance(1_000)
        const result = yield* Fiber.join(removal)
        expect(result.peersRemoved).toEqual(["p1", "p2", "p3"])
        // One drain time (at most 5 s), not three.
        expect((yield* Clock.currentTimeMillis) - start).toBeLessThanOrEqual(6_000)
      })
    ))

  test("a removed peer gets Cease 6/3 and the others are not touched", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup()
        const result = yield* s.speaker.apply(desired([peers[1]!], [{ prefix: "192.0.2.0/24" }]))
        expect(result.peersRemoved).toEqual(["a"])
        yield* until("a is told", () => notifications(ra).length === 1)
        expect(notifications(ra)).toEqual(["6/3"])
        expect((yield* s.speaker.peers).map((p) => p.name)).toEqual(["b"])
        expect(notifications(rb)).toEqual([])
        expect((yield* s.speaker.peer("b")).establishedCount).toBe(1)
      })
    ))

  test("a new peer is added without touching the others", () =>
    run(
      Effect.gen(function* () {
        const { net, s, rb } = yield* setup()
        const more = [...peers, { name: "c", address: "10.0.0.4", asn: 65004, passive: true }]
        const result = yield* s.speaker.apply(desired(more, [{ prefix: "192.0.2.0/24" }]))
        expect(result.peersAdded).toEqual(["c"])
        const rc = yield* router(net, { address: "10.0.0.4", asn: 65004 })
        yield* established(rc)
        yield* advance(60)
        yield* until("c's table", () => rc.endOfRibs() === 1)
        expect([...rc.table.keys()]).toEqual(["192.0.2.0/24"])
        expect((yield* s.speaker.peer("b")).establishedCount).toBe(1)
        expect(updates(rb).length).toBe(2)
      })
    ))

  test("an export policy change sends only the difference, without a reset", () =>
    run(
      Effect.gen(function* () {
        const { s, ra, rb } = yield* setup([{ prefixes: ["192.0.2.0/24", "198.51.100.0/24"] }])
        const before = updates(ra).length
        const policy = Policy.make([Policy.rule({ prefixes: [Policy.prefix("198.51.100.0/24")] }, Policy.reject)], "accept")
        const result = yield* s.speaker.apply(desired([{ ...peers[0]!, exportPolicy: policy }, peers[1]!], [{ prefixes: ["192.0.2.0/24", "198.51.100.0/24"] }]))
        expect(result.peersUpdated).toEqual(["a"])
        expect(result.peersReset).toEqual([])
        yield* advance(60)
        yield* until("withdrawn at a", () => ra.table.size === 1)
        const delta = updates(ra).slice(before)
        expect(delta.length).toBe(1)
        expect(Text.formatPrefixes(delta[0]!.withdrawn)).toEqual(["198.51.100.0/24"])
        expect(rb.table.size).toBe(2)
        expect((yield* s.speaker.peer("a")).establishedCount).toBe(1)
        expect(new Set((yield* s.speaker.peers).map((p) => p.updateGroup)).size).toBe(2)
      })
    ))

  test("two export policy changes within one coalescing window: the peer gets the difference from what it has, not a second table", () =>
    run(
      Effect.gen(function* () {
        const routes = [{ prefix: "192.0.2.0/24" }, { prefix: "198.51.100.0/24", communities: ["65000:9"] }]
        const { s, ra } = yield* setup(routes)
        expect([...ra.table.keys()].sort()).toEqual(["192.0.2.0/24", "198.51.100.0/24"])
        const before = updates(ra).length
        // Both policies drop the route tagged 65000:9 and tag the others, each with its own community.
        const dropTagged = (c: number) => Policy.make([Policy.rule({ communities: [0xfde80009] }, Policy.reject), Policy.rule({}, Policy.addCommunities(c))], "accept")
        yield* s.speaker.apply(desired([{ ...peers[0]!, exportPolicy: dropTagged(0xfde80001) }, peers[1]!], routes))
        yield* advance(10)
        yield* s.speaker.apply(desired([{ ...peers[0]!, exportPolicy: dropTagged(0xfde80002) }, peers[1]!], routes))
        yield* advance(60)
        yield* until("withdrawn at a", () => ra.table.size === 1)
        expect(Text.formatCommunities(ra.table.get("192.0.2.0/24")!.communities!)).toEqual(["65000:2"])
        const delta = updates(ra).slice(before)
        expect(ra.endOfRibs()).toBe(1)
        expect(delta.flatMap((u) => Text.formatPrefixes(u.withdrawn))).toEqual(["198.51.100.0/24"])
      })
    ))

  test("an import policy change re-runs over the kept Adj-RIB-In without a reset", () =>
    run(
      Effect.gen(function* () {
        const { s, ra } = yield* setup()
        yield* announce(ra, ["203.0.113.0/24", "203.0.113.128/25"])
        yield* advance(10)
        const accepted = () => Effect.map(s.speaker.peer("a"), (p) => p.families[0]!)
        expect(yield* accepted()).toMatchObject({ received: 2, accepted: 2 })
        const importPolicy = Policy.make([Policy.rule({ prefixes: [Policy.prefix("203.0.113.0/24")] }, Policy.accept)], "reject")
        const result = yield* s.speaker.apply(desired([{ ...peers[0]!, importPolicy }, peers[1]!], [{ prefix: "192.0.2.0/24" }]))
        expect(result.peersUpdated).toEqual(["a"])
        expect(yield* accepted()).toMatchObject({ received: 2, accepted: 1 })
        const routes = yield* s.speaker.routes({ peer: "a", direction: "received" })
        expect(routes.map((r) => [r.prefix, r.accepted]).sort()).toEqual([
          ["203.0.113.0/24", true],
          ["203.0.113.128/25", false]
        ])
        expect((yield* s.speaker.peer("a")).establishedCount).toBe(1)
      })
    ))

  test("changing the listener keeps established sessions", () =>
    run(
      Effect.gen(function* () {
        const { s } = yield* setup()
        const moved = { ...desired(peers, [{ prefix: "192.0.2.0/24" }]), listener: { address: "10.0.0.1", port: 1179 } }
        const result = yield* s.speaker.apply(moved)
        expect(result.listenerChanged).toBe(true)
        expect(yield* s.speaker.listener).toEqual({ address: "10.0.0.1", port: 1179 })
        yield* advance(1000)
        expect((yield* s.speaker.peers).map((p) => [p.state, p.establishedCount])).toEqual([
          ["Established", 1],
          ["Established", 1]
        ])
      })
    ))
})
