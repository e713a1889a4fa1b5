import { describe, expect, test } from "bun:test"
import { MemoryTransport } from "@kbgp/fsm"
import { Effect } from "effect"
import { Policy } from "@kbgp/rib"
import { Family, Notification, RouteRefresh, Text } from "@kbgp/wire"
import * as Peer from "../src/internal/Peer.js"
import { SpeakerError } from "../src/SpeakerError.js"
import { advance, announce, desired, established, router, run, speaker, until, updates } from "./helpers/SpeakerHarness.js"

describe("peer: route refresh", () => {
  test("a ROUTE-REFRESH is answered by re-sending the Adj-RIB-Out, between BoRR and EoRR with enhanced route refresh", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ address: "10.0.0.2", asn: 65002, passive: true }], [{ prefixes: ["192.0.2.0/24", "198.51.100.0/24"] }]))
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* established(r)
        yield* advance(60)
        yield* until("initial table", () => r.endOfRibs() === 1)
        const before = r.received.length
        yield* r.session.routeRefresh(1, 1)
        yield* until("answer", () => r.received.slice(before).some((x) => x._tag === "RouteRefresh" && x.subtype === RouteRefresh.Subtype.EndOfRouteRefresh))
        const answer = r.received.slice(before)
        expect(answer.map((x) => (x._tag === "RouteRefresh" ? `rr${x.subtype}` : x._tag))).toEqual(["rr1", "Update", "rr2"])
        const u = answer[1]!
        expect(u._tag === "Update" ? Text.formatPrefixes(u.nlri).sort() : []).toEqual(["192.0.2.0/24", "198.51.100.0/24"])
        expect(s.events).toContainEqual({ _tag: "RouteRefreshReceived", peer: "10.0.0.2", family: "ipv4-unicast", subtype: 0 })
      })
    ))

  test("without enhanced route refresh the table is re-sent alone", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ address: "10.0.0.2", asn: 65002, passive: true }], [{ prefix: "192.0.2.0/24" }]))
        const r = yield* router(net, { address: "10.0.0.2", fsm: { capabilities: { enhancedRouteRefresh: false } } })
        yield* established(r)
        yield* advance(60)
        yield* until("initial table", () => r.endOfRibs() === 1)
        const before = updates(r).length
        yield* r.session.routeRefresh(1, 1)
        yield* until("answer", () => updates(r).length === before + 1)
        yield* advance(100)
        expect(r.received.filter((x) => x._tag === "RouteRefresh")).toEqual([])
        expect(Text.formatPrefixes(updates(r).at(-1)!.nlri)).toEqual(["192.0.2.0/24"])
      })
    ))

  test("RFC 7313: routes the peer does not re-advertise between its BoRR and EoRR are removed", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true }]))
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* established(r)
        yield* announce(r, ["203.0.113.0/25", "203.0.113.128/25"])
        yield* advance(10)
        yield* r.session.routeRefresh(1, 1, RouteRefresh.Subtype.BeginningOfRouteRefresh)
        yield* announce(r, ["203.0.113.0/25"])
        yield* r.session.routeRefresh(1, 1, RouteRefresh.Subtype.EndOfRouteRefresh)
        yield* until("swept", () => s.events.some((e) => e._tag === "StaleRoutesSwept"))
        const routes = yield* s.speaker.routes({ peer: "r", direction: "received" })
        expect(routes.map((x) => [x.prefix, x.stale])).toEqual([["203.0.113.0/25", false]])
      })
    ))

  test("RFC 7313 §4: BoRR and EoRR for a family not negotiated with the peer are ignored", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        // The speaker would carry IPv6 with this peer; the router negotiates IPv4 only.
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true, families: ["ipv4-unicast", "ipv6-unicast"] }]))
        const r = yield* router(net, { address: "10.0.0.2", fsm: { capabilities: { families: [Family.Ipv4Unicast] } } })
        yield* established(r)
        yield* announce(r, ["203.0.113.0/25"])
        yield* advance(10)
        yield* r.session.routeRefresh(2, 1, RouteRefresh.Subtype.BeginningOfRouteRefresh)
        yield* r.session.routeRefresh(2, 1, RouteRefresh.Subtype.EndOfRouteRefresh)
        // A BoRR without EoRR would time out after the stale-routes time (360 s).
        yield* r.session.routeRefresh(2, 1, RouteRefresh.Subtype.BeginningOfRouteRefresh)
        // An IPv4 request after them: once it is answered, the IPv6 markers were read (in order) and ignored.
        yield* r.session.routeRefresh(1, 1)
        yield* until("the IPv4 request", () => s.events.some((e) => e._tag === "RouteRefreshReceived"))
        yield* advance(400_000)
        expect(s.events.filter((e) => e._tag === "RouteRefreshReceived").map((e) => e.family)).toEqual(["ipv4-unicast"])
        expect(s.events.filter((e) => e._tag === "StaleRoutesSwept")).toEqual([])
        expect((yield* s.speaker.peer("r")).state).toBe("Established")
        const routes = yield* s.speaker.routes({ peer: "r", direction: "received" })
        expect(routes.map((x) => [x.prefix, x.stale])).toEqual([["203.0.113.0/25", false]])
      })
    ))
})

describe("peer: a missing EoRR (RFC 7313)", () => {
  test("stale routes of a BoRR without EoRR are purged after the stale-routes time, and only then", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true, gracefulRestart: { staleRoutesTime: 30 } }]))
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* established(r)
        yield* announce(r, ["203.0.113.0/25", "203.0.113.128/25"])
        yield* advance(10)
        yield* r.session.routeRefresh(1, 1, RouteRefresh.Subtype.BeginningOfRouteRefresh)
        yield* announce(r, ["203.0.113.0/25"])
        yield* advance(29_000)
        const received = s.speaker.routes({ peer: "r", direction: "received" })
        expect((yield* received).map((x) => [x.prefix, x.stale]).sort()).toEqual([
          ["203.0.113.0/25", false],
          ["203.0.113.128/25", true]
        ])
        yield* advance(2_000)
        expect(s.events).toContainEqual({ _tag: "StaleRoutesSwept", peer: "r", family: "ipv4-unicast", count: 1, why: "refresh-timeout" })
        expect((yield* received).map((x) => [x.prefix, x.stale])).toEqual([["203.0.113.0/25", false]])
      })
    ))

  test("an EoRR in time stops the timer: nothing is swept twice", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true }]))
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* established(r)
        yield* announce(r, ["203.0.113.0/25"])
        yield* advance(10)
        yield* r.session.routeRefresh(1, 1, RouteRefresh.Subtype.BeginningOfRouteRefresh)
        yield* r.session.routeRefresh(1, 1, RouteRefresh.Subtype.EndOfRouteRefresh)
        yield* until("swept", () => s.events.some((e) => e._tag === "StaleRoutesSwept"))
        yield* advance(400_000)
        expect(s.events.filter((e) => e._tag === "StaleRoutesSwept").map((e) => e._tag === "StaleRoutesSwept" && e.why)).toEqual(["enhanced-refresh"])
      })
    ))
})

describe("peer: max-prefix", () => {
  test("above the limit: Cease 6/1 with AFI, SAFI and limit, then the session is held down for restartAfter", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(
          desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true, maxPrefix: [{ limit: 2, restartAfter: 30 }] }])
        )
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* established(r)
        yield* announce(r, ["203.0.113.0/26", "203.0.113.64/26", "203.0.113.128/26"])
        yield* until("cease", () => r.events.some((e) => e._tag === "NotificationReceived"))
        const n = r.events.find((e) => e._tag === "NotificationReceived")
        const notification = n?._tag === "NotificationReceived" ? n.info.notification : undefined
        expect(notification).toMatchObject({ code: 6, subcode: 1 })
        expect(Notification.maximumPrefixesData(notification!)).toEqual({ afi: 1, safi: 1, limit: 2 })
        expect(s.events).toContainEqual({ _tag: "MaxPrefixExceeded", peer: "r", family: "ipv4-unicast", limit: 2, count: 3, action: "restart" })
        yield* advance(10)
        expect(yield* s.speaker.routes({ peer: "r", direction: "received" })).toEqual([])
        const held = yield* s.speaker.peer("r")
        expect(held.maxPrefixRestartAt).toBeNumber()
        expect(held.lastError).toMatchObject({ kind: "sent", code: 6, subcode: 1 })

        // The router retries at once (idle hold 1 s) but is refused while held down.
        yield* advance(25_000)
        expect((yield* s.speaker.peer("r")).state).toBe("Idle")
        yield* advance(5_000)
        yield* established(r)
        const back = yield* s.speaker.peer("r")
        expect(back.state).toBe("Established")
        expect(back.establishedCount).toBe(2)
        expect(back.maxPrefixRestartAt).toBeUndefined()
      })
    ))

  test("action warn only reports", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true, maxPrefix: [{ limit: 1, action: "warn" }] }]))
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* established(r)
        yield* announce(r, ["203.0.113.0/26", "203.0.113.64/26"])
        yield* until("reported", () => s.events.some((e) => e._tag === "MaxPrefixExceeded"))
        yield* announce(r, ["203.0.113.128/26"])
        yield* advance(10)
        expect(s.events.filter((e) => e._tag === "MaxPrefixExceeded")).toEqual([
          { _tag: "MaxPrefixExceeded", peer: "r", family: "ipv4-unicast", limit: 1, count: 2, action: "warn" }
        ])
        expect((yield* s.speaker.peer("r")).families[0]).toMatchObject({ received: 3, accepted: 3 })
        expect(r.events.some((e) => e._tag === "NotificationReceived")).toBe(false)
      })
    ))
})

describe("peer settings", () => {
  const ok = (c: Parameters<typeof Peer.settings>[0]) => {
    const s = Peer.settings(c, "peers[0]")
    if (s instanceof SpeakerError) throw s
    return s
  }

  test("defaults: port 179, hold 90, the peer address's family, no security", () => {
    const s = ok({ address: "2001:db8::1", asn: 65000 })
    expect(s).toMatchObject({ name: "2001:db8::1", port: 179, holdTime: 90, families: [Family.Ipv6Unicast], passive: false })
    expect(s.ttl).toBeUndefined()
    expect(Peer.listenerSecurity(s)).toBeUndefined()
  })

  test("TTL security sends with TTL 255 and accepts 256 - hops (RFC 5082 §3)", () => {
    const s = ok({ address: "192.0.2.1", asn: 65000, ttlSecurityHops: 1, md5Password: "k" })
    expect([s.ttl, s.minTtl]).toEqual([255, 255])
    expect(Peer.listenerSecurity(s)).toEqual({ md5Password: "k", ttl: 255, minTtl: 255 })
  })

  test("invalid values name their field", () => {
    const bad = (c: Parameters<typeof Peer.settings>[0]) => {
      const s = Peer.settings(c, "peers[3]")
      return s instanceof SpeakerError ? s.path : "accepted"
    }
    expect(bad({ address: "nope", asn: 1 })).toBe("peers[3].address")
    expect(bad({ address: "192.0.2.1", asn: 1, holdTime: 2 })).toBe("peers[3].holdTime")
    expect(bad({ address: "192.0.2.1", asn: 1, localAddress: "2001:db8::1" })).toBe("peers[3].localAddress")
    expect(bad({ address: "192.0.2.1", asn: 1, gracefulRestart: { restartTime: 5000 } })).toBe("peers[3].gracefulRestart.restartTime")
    expect(bad({ address: "192.0.2.1", asn: 1, md5Password: "x".repeat(81) })).toBe("peers[3].md5Password")
    expect(bad({ address: "192.0.2.1", asn: 1, maxPrefix: [{ limit: 0 }] })).toBe("peers[3].maxPrefix[0].limit")
  })

  test("invalid policy values name their field, and apply fails with a Config error instead of dying", () => {
    const bad = (c: Parameters<typeof Peer.settings>[0]) => {
      const s = Peer.settings(c, "peers[0]")
      return s instanceof SpeakerError ? s.path : "accepted"
    }
    const prepend = Policy.make([Policy.rule({}), Policy.rule({}), Policy.rule({}, Policy.prependAsPath(2 ** 32))], "accept")
    expect(bad({ address: "192.0.2.1", asn: 1, exportPolicy: prepend })).toBe("peers[0].exportPolicy.rules[2].actions[0].count")
    expect(bad({ address: "192.0.2.1", asn: 1, importPolicy: Policy.make([Policy.rule({}, Policy.setMed(-1))]) })).toBe(
      "peers[0].importPolicy.rules[0].actions[0].value"
    )
    expect(bad({ address: "192.0.2.1", asn: 1, importPolicy: Policy.make([Policy.rule({}, Policy.setNextHop(new Uint8Array(3)))]) })).toBe(
      "peers[0].importPolicy.rules[0].actions[0].nextHop"
    )
    expect(bad({ address: "192.0.2.1", asn: 1, exportPolicy: Policy.make([Policy.rule({}, Policy.prependAsPath(3))]) })).toBe("accepted")
    return run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const routes = [{ prefix: "192.0.2.0/24" }]
        yield* s.speaker.apply(desired([{ address: "10.0.1.1", asn: 65101, passive: true }], routes))
        const r = yield* router(net, { address: "10.0.1.1", asn: 65101 })
        yield* established(r)
        yield* advance(200)
        const e = yield* Effect.flip(s.speaker.apply(desired([{ address: "10.0.1.1", asn: 65101, passive: true, exportPolicy: prepend }], routes)))
        expect([e.reason, e.path]).toEqual(["Config", "peers[0].exportPolicy.rules[2].actions[0].count"])
        // The running peer kept its session and its routes.
        expect((yield* s.speaker.peer("10.0.1.1")).state).toBe("Established")
      })
    )
  })

  test("sendHoldTime reaches the FSM and must exceed the hold time (RFC 9687 §3)", () => {
    const s = ok({ address: "192.0.2.1", asn: 65000, holdTime: 3, sendHoldTime: 4 })
    expect(s.sendHoldTime).toBe(4)
    expect(Peer.sessionConfig(s, { routerId: 1, localAs: 65001 }, {}, false).fsm.sendHoldTime).toBe(4)
    expect(Peer.sessionConfig(ok({ address: "192.0.2.1", asn: 65000 }), { routerId: 1, localAs: 65001 }, {}, false).fsm.sendHoldTime).toBe(0)
    const bad = (c: Parameters<typeof Peer.settings>[0]) => {
      const r = Peer.settings(c, "peers[0]")
      return r instanceof SpeakerError ? r.path : "accepted"
    }
    expect(bad({ address: "192.0.2.1", asn: 1, holdTime: 9, sendHoldTime: 9 })).toBe("peers[0].sendHoldTime")
    expect(bad({ address: "192.0.2.1", asn: 1, sendHoldTime: 0 })).toBe("peers[0].sendHoldTime")
    expect(bad({ address: "192.0.2.1", asn: 1, holdTime: 0, sendHoldTime: 5 })).toBe("accepted")
    expect(Peer.resetFields(s, ok({ address: "192.0.2.1", asn: 65000, holdTime: 3, sendHoldTime: 20 }))).toEqual(["sendHoldTime"])
  })

  test("session settings need a reset, policies and max-prefix do not", () => {
    const a = ok({ address: "192.0.2.1", asn: 65000 })
    expect(Peer.resetFields(a, ok({ address: "192.0.2.1", asn: 65001 }))).toEqual(["asn"])
    expect(Peer.resetFields(a, ok({ address: "192.0.2.1", asn: 65000, md5Password: "k", ttlSecurityHops: 2 }))).toEqual([
      "md5Password",
      "multihopTtl",
      "ttlSecurityHops"
    ])
    expect(Peer.resetFields(a, ok({ address: "192.0.2.1", asn: 65000, gracefulRestart: {} }))).toEqual(["gracefulRestart"])
    const soft = ok({ address: "192.0.2.1", asn: 65000, maxPrefix: [{ limit: 10 }] })
    expect(Peer.resetFields(a, soft)).toEqual([])
    expect(Peer.softChanged(a, soft)).toEqual({ rib: true, export: false })
  })
})
