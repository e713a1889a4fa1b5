import { describe, expect, test } from "bun:test"
import { MemoryTransport, Negotiation } from "@kbgp/fsm"
import type { Action } from "@kbgp/fsm"
import { Config as FsmConfig } from "@kbgp/fsm"
import { Effect, Option } from "effect"
import { Family, Notification } from "@kbgp/wire"
import * as GracefulRestart from "../src/internal/GracefulRestart.js"
import type { DesiredState } from "../src/DesiredState.js"
import type { SpeakerEvent } from "../src/Speaker.js"
import {
  advance,
  announce,
  desired,
  endOfRib,
  established,
  type Router,
  router,
  type RouterOptions,
  run,
  speaker,
  until
} from "./helpers/SpeakerHarness.js"

const V4 = Family.Ipv4Unicast

const grRouter = (
  o: { restartTime?: number; forwarding?: boolean; notification?: boolean; llgr?: number } = {}
): NonNullable<RouterOptions["fsm"]> => ({
  capabilities: {
    gracefulRestart: {
      restartTime: o.restartTime ?? 120,
      restarting: false,
      notification: o.notification ?? false,
      families: [{ family: V4, forwarding: o.forwarding ?? true }]
    },
    ...(o.llgr === undefined ? {} : { longLivedGracefulRestart: { families: [{ family: V4, staleTime: o.llgr, forwarding: true }] } })
  }
})

const peer = (gr: NonNullable<DesiredState["peers"][number]["gracefulRestart"]> = {}): DesiredState["peers"][number] => ({
  name: "r",
  address: "10.0.0.2",
  asn: 65002,
  passive: true,
  gracefulRestart: gr
})

/** RST on the router's live connection: both ends see the session die without a NOTIFICATION. */
const crash = (net: MemoryTransport.MemoryNetwork, r: Router) =>
  Effect.gen(function* () {
    const live = net.connections().filter((c) => c.local.address === r.address && !c.isClosed())
    for (const c of live) yield* c.abort("crash")
  })

const routesOf = (s: { speaker: { routes: (q: { peer: string; direction: "received" }) => Effect.Effect<ReadonlyArray<{ prefix: string; stale: boolean; llgrStale: boolean; communities: ReadonlyArray<string> }>, unknown> } }) =>
  Effect.orDie(Effect.map(s.speaker.routes({ peer: "r", direction: "received" }), (rs) => [...rs].sort((a, b) => a.prefix.localeCompare(b.prefix))))

const swept = (events: ReadonlyArray<SpeakerEvent>) => events.filter((e) => e._tag === "StaleRoutesSwept")

/** A speaker with one GR peer and a router that announced two routes. */
const setup = (grConfig: Parameters<typeof peer>[0], routerGr: Parameters<typeof grRouter>[0], options: { restarting?: boolean } = {}) =>
  Effect.gen(function* () {
    const net = yield* MemoryTransport.make()
    const s = yield* speaker(net, options)
    yield* s.speaker.apply(desired([peer(grConfig)], [{ prefix: "192.0.2.0/24" }]))
    const r = yield* router(net, { address: "10.0.0.2", fsm: grRouter(routerGr) })
    yield* established(r)
    yield* announce(r, ["203.0.113.0/25", "203.0.113.128/25"])
    yield* endOfRib(r)
    yield* advance(60)
    yield* until("received", () => s.events.some((e) => e._tag === "EndOfRibReceived"))
    return { net, s, r }
  })

describe("graceful restart: helper", () => {
  test("keeps a restarting peer's routes as stale, then sweeps what its End-of-RIB did not refresh", () =>
    run(
      Effect.gen(function* () {
        const { net, s, r } = yield* setup({}, {})
        yield* crash(net, r)
        yield* until("down", () => s.events.some((e) => e._tag === "PeerDown"))
        expect(s.events).toContainEqual({ _tag: "PeerDown", peer: "r", reason: "connection lost", gracefulRestart: true })
        expect((yield* routesOf(s)).map((x) => [x.prefix, x.stale])).toEqual([
          ["203.0.113.0/25", true],
          ["203.0.113.128/25", true]
        ])
        expect((yield* s.speaker.peer("r")).gracefulRestart).toBe("restarting")

        // The router is back, re-sends one route and End-of-RIB.
        yield* established(r)
        yield* until("awaiting End-of-RIB", () => s.events.some((e) => e._tag === "GracefulRestartChanged" && e.state === "awaiting-eor"))
        yield* announce(r, ["203.0.113.0/25"])
        yield* endOfRib(r)
        yield* until("swept", () => swept(s.events).length === 1)
        expect(swept(s.events)).toEqual([{ _tag: "StaleRoutesSwept", peer: "r", family: "ipv4-unicast", count: 1, why: "end-of-rib" }])
        expect((yield* routesOf(s)).map((x) => [x.prefix, x.stale])).toEqual([["203.0.113.0/25", false]])
        expect((yield* s.speaker.peer("r")).gracefulRestart).toBe("none")
      })
    ))

  test("sweeps the stale routes when the peer's restart time runs out", () =>
    run(
      Effect.gen(function* () {
        const { net, s, r } = yield* setup({}, { restartTime: 30 })
        yield* crash(net, r)
        yield* r.session.stop()
        yield* advance(29_000)
        expect((yield* routesOf(s)).length).toBe(2)
        yield* advance(1_000)
        yield* until("swept", () => swept(s.events).length === 1)
        expect(swept(s.events)[0]).toMatchObject({ count: 2, why: "restart-time" })
        expect(yield* routesOf(s)).toEqual([])
      })
    ))

  test("long-lived GR: past the restart time the routes are LLGR_STALE (NO_LLGR ones go), until the stale time ends", () =>
    run(
      Effect.gen(function* () {
        const { net, s, r } = yield* setup({ longLivedStaleTime: 300 }, { restartTime: 10, llgr: 600 })
        yield* announce(r, ["198.51.100.0/24"], { communities: Uint32Array.of(GracefulRestart.NO_LLGR) })
        yield* advance(10)
        expect((yield* routesOf(s)).length).toBe(3)
        yield* crash(net, r)
        yield* r.session.stop()
        yield* advance(10_000)
        yield* until("long-lived", () => s.events.some((e) => e._tag === "GracefulRestartChanged" && e.state === "long-lived"))
        const kept = yield* routesOf(s)
        expect(kept.map((x) => [x.prefix, x.stale, x.llgrStale])).toEqual([
          ["203.0.113.0/25", true, true],
          ["203.0.113.128/25", true, true]
        ])
        expect(kept[0]!.communities).toContain("llgr-stale")
        // Our configured stale time (300 s) is below the peer's (600 s): RFC 9494 lets the helper use the lower one.
        yield* advance(299_000)
        expect((yield* routesOf(s)).length).toBe(2)
        yield* advance(1_000)
        yield* until("swept", () => swept(s.events).some((e) => e._tag === "StaleRoutesSwept" && e.why === "stale-time"))
        expect(yield* routesOf(s)).toEqual([])
      })
    ))

  test("a peer that comes back without the forwarding bit has its stale routes removed at once", () =>
    run(
      Effect.gen(function* () {
        const { net, s, r } = yield* setup({}, {})
        yield* crash(net, r)
        yield* r.session.stop()
        yield* until("down", () => s.events.some((e) => e._tag === "PeerDown"))
        const again = yield* router(net, { address: "10.0.0.2", fsm: grRouter({ forwarding: false }) })
        yield* established(again)
        yield* until("swept", () => swept(s.events).length === 1)
        expect(swept(s.events)[0]).toMatchObject({ count: 2, why: "no-forwarding" })
        expect(yield* routesOf(s)).toEqual([])
      })
    ))

  test("with the N bit (RFC 8538) a Cease keeps the routes, a Hard Reset does not", () =>
    run(
      Effect.gen(function* () {
        const { s, r } = yield* setup({ notification: true }, { notification: true })
        // 6/6 goes out as it is: the helper keeps the routes.
        yield* r.session.signal({ _tag: "AutomaticStop" })
        yield* until("down", () => s.events.some((e) => e._tag === "PeerDown"))
        expect(s.events.find((e) => e._tag === "PeerDown")).toMatchObject({ gracefulRestart: true })
        expect((yield* routesOf(s)).every((x) => x.stale)).toBe(true)
        yield* established(r)
        yield* announce(r, ["203.0.113.0/25"])
        yield* advance(10)
        // An administrative stop with N negotiated goes out as a Hard Reset (6/9): everything is flushed.
        yield* r.session.stop("maintenance")
        yield* until("second down", () => s.events.filter((e) => e._tag === "PeerDown").length === 2)
        expect(s.events.filter((e) => e._tag === "PeerDown")[1]).toMatchObject({ gracefulRestart: false })
        expect(yield* routesOf(s)).toEqual([])
      })
    ))
})

describe("graceful restart: restarting speaker", () => {
  test("after a graceful stop the first OPEN carries the R bit and F bits; the next session does not", () =>
    run(
      Effect.gen(function* () {
        const { net, r } = yield* setup({ restartTime: 90 }, {}, { restarting: true })
        const first = Option.getOrThrow(yield* r.session.negotiated)
        expect(first.gracefulRestart?.peer.restarting).toBe(true)
        expect(first.gracefulRestart?.peer.restartTime).toBe(90)
        expect([...first.gracefulRestart!.peer.families]).toEqual([[V4, true]])
        yield* crash(net, r)
        yield* until("router down", () => r.events.some((e) => e._tag === "Down"))
        yield* established(r)
        const second = Option.getOrThrow(yield* r.session.negotiated)
        expect(second.gracefulRestart?.peer.restarting).toBe(false)
        expect([...second.gracefulRestart!.peer.families]).toEqual([[V4, true]])
      })
    ))

  test("stop({ gracefulRestart }) closes GR sessions without a NOTIFICATION; a plain stop sends Cease 6/2", () =>
    run(
      Effect.gen(function* () {
        const { s, r } = yield* setup({}, {})
        yield* s.speaker.stop({ gracefulRestart: true })
        yield* until("router down", () => r.events.some((e) => e._tag === "Down"))
        expect(r.events.find((e) => e._tag === "Down")).toMatchObject({ reason: { _tag: "ConnectionLost" } })
        expect(r.events.some((e) => e._tag === "NotificationReceived")).toBe(false)
        // The router kept our route (it would keep it stale as helper); nothing withdrew it.
        expect(r.received.filter((x) => x._tag === "Update").every((u) => u._tag === "Update" && u.withdrawn.count === 0)).toBe(true)
        const refused = yield* Effect.flip(s.speaker.apply(desired([])))
        expect(refused.reason).toBe("Stopped")

        const other = yield* setup({}, {})
        yield* other.s.speaker.stop({ reason: "bye" })
        yield* until("router told", () => other.r.events.some((e) => e._tag === "NotificationReceived"))
        const n = other.r.events.find((e) => e._tag === "NotificationReceived")
        expect(n).toMatchObject({ info: { notification: { code: 6, subcode: 2 }, shutdown: { text: "bye" } } })
      })
    ))
})

describe("graceful restart rules", () => {
  const negotiated = (local: { notification: boolean }, peerN: { notification: boolean }, withGr = true) => {
    const gr = (n: boolean): FsmConfig.GracefulRestartConfig => ({ restartTime: 120, restarting: false, notification: n })
    const ours = FsmConfig.make({ localAs: 65001, bgpId: 1, peerAs: 65002, capabilities: withGr ? { gracefulRestart: gr(local.notification) } : {} })
    const theirs = FsmConfig.make({ localAs: 65002, bgpId: 2, peerAs: 65001, capabilities: { gracefulRestart: gr(peerN.notification) } })
    const n = Negotiation.negotiate(ours, Negotiation.localOpen(theirs))
    if (Negotiation.isRejection(n)) throw new Error(n.detail)
    return n
  }
  const lost: Action.DownReason = { _tag: "ConnectionLost" }
  const sent = (code: number, subcode: number): Action.DownReason => ({ _tag: "NotificationSent", notification: Notification.make(code, subcode), detail: "" })
  const received = (n: Notification.Notification): Action.DownReason => ({ _tag: "NotificationReceived", notification: n })

  test("RFC 4724 §4.2: a lost connection keeps the GR families; no GR negotiated keeps nothing", () => {
    expect([...GracefulRestart.retainedFamilies(negotiated({ notification: false }, { notification: false }), lost)]).toEqual([V4])
    expect([...GracefulRestart.retainedFamilies(negotiated({ notification: false }, { notification: false }, false), lost)]).toEqual([])
    expect([...GracefulRestart.retainedFamilies(undefined, lost)]).toEqual([])
  })

  test("RFC 8538 §3: a NOTIFICATION keeps routes only with the N bit both ways, and never a Hard Reset", () => {
    const both = negotiated({ notification: true }, { notification: true })
    const one = negotiated({ notification: true }, { notification: false })
    expect([...GracefulRestart.retainedFamilies(both, sent(4, 0))]).toEqual([V4])
    expect([...GracefulRestart.retainedFamilies(both, received(Notification.make(6, 6)))]).toEqual([V4])
    expect([...GracefulRestart.retainedFamilies(both, received(Notification.hardReset(Notification.make(6, 2))))]).toEqual([])
    expect([...GracefulRestart.retainedFamilies(one, sent(4, 0))]).toEqual([])
  })

  test("RFC 4724 §4.2: the F bit and the family in the new capability decide whether stale routes survive the reconnect", () => {
    const n = negotiated({ notification: false }, { notification: false })
    // The peer's capability lists IPv4 without the F bit (defaults: forwarding false).
    expect(GracefulRestart.flushOnReconnect(n, V4, false)).toBe(true)
    expect(GracefulRestart.flushOnReconnect(n, Family.Ipv6Unicast, false)).toBe(true)
  })
})
