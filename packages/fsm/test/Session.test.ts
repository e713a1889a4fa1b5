import { describe, expect, test } from "bun:test"
import { Chunk, Effect, Either, Exit, Option, Queue, Scope, Stream, TestClock } from "effect"
import { Context as WireContext, Message, Notification, Open, Pack, Text, Update } from "@kbgp/wire"
import * as Event from "../src/Event.js"
import * as Negotiation from "../src/Negotiation.js"
import * as MemoryTransport from "../src/MemoryTransport.js"
import * as Session from "../src/Session.js"
import { A, B, fsmConfig, logs, nextConnection, run, ScriptedPeer } from "./support/SessionHarness.js"

/** Session A (10.0.0.1) connects to B (10.0.0.2), whose listener hands connections to session B. */
const twoSessions = (options: { a?: Partial<Session.Config>; b?: Partial<Session.Config> } = {}) =>
  Effect.gen(function* () {
    const net = yield* MemoryTransport.make()
    const listener = yield* net.transport.listen({ address: B.address, port: 179 })
    const b = yield* Session.make({
      peerAddress: A.address,
      localAddress: B.address,
      mode: "passive",
      fsm: fsmConfig(B, A),
      seed: 2,
      ...options.b
    }).pipe(Effect.provide(net.layer))
    yield* Effect.forkScoped(Stream.runForEach(listener.connections, (c) => b.accept(c)))
    const a = yield* Session.make({ peerAddress: B.address, localAddress: A.address, fsm: fsmConfig(A, B), seed: 1, ...options.a }).pipe(
      Effect.provide(net.layer)
    )
    return { net, a, b }
  })

describe("Session establishment", () => {
  test("two sessions reach Established through a memory pair, active and passive", () =>
    run(
      Effect.gen(function* () {
        const { a, b } = yield* twoSessions()
        yield* a.awaitState("Established")
        yield* b.awaitState("Established")
        const na = Option.getOrThrow(yield* a.negotiated)
        const nb = Option.getOrThrow(yield* b.negotiated)
        expect(na.peerAs).toBe(B.as)
        expect(nb.peerAs).toBe(A.as)
        expect(na.holdTime).toBe(90)
        expect(na.extendedMessage).toBe(true)
      })
    ))
})

const ctx = WireContext.make({ asn4: true, ebgp: true, peerAs: B.as })
const route = (): Uint8Array => {
  const prefixes = Either.getOrThrow(Text.prefixesFromText(["192.0.2.0/24"]))
  return Pack.packUpdates(
    { origin: 0, asPath: [{ type: 2, asns: [B.as] }], nextHop: Uint8Array.of(10, 0, 0, 2) },
    { afi: 1, safi: 1, prefixes },
    ctx
  )[0]!
}

/** Session A connects to a listener on B's address; the test plays B with raw bytes. */
const scripted = (
  options: { session?: Partial<Session.Config>; fsm?: Parameters<typeof fsmConfig>[2]; net?: MemoryTransport.Options } = {}
) =>
  Effect.gen(function* () {
    const net = yield* MemoryTransport.make(options.net)
    const listener = yield* net.transport.listen({ address: B.address, port: 179 })
    const config = fsmConfig(A, B, { holdTime: 9, ...options.fsm })
    const session = yield* Session.make({ peerAddress: B.address, localAddress: A.address, fsm: config, seed: 1, ...options.session }).pipe(
      Effect.provide(net.layer)
    )
    const events = yield* session.subscribe
    const accept = Effect.flatMap(nextConnection(listener), ScriptedPeer.make)
    const peer = yield* accept
    return { net, listener, session, events, peer, accept }
  })

/** B's side of the OPEN exchange: expect A's OPEN, answer OPEN + KEEPALIVE, expect A's KEEPALIVE. */
const establish = (peer: ScriptedPeer, session: Session.Handle, holdTime = 9, extra: Parameters<typeof fsmConfig>[2] = {}) =>
  Effect.gen(function* () {
    const open = yield* peer.expect("Open")
    yield* peer.send(Negotiation.localOpen(fsmConfig(B, A, { holdTime, ...extra })), Message.keepalive)
    yield* peer.expect("Keepalive")
    yield* session.awaitState("Established")
    peer.ctx = ctx
    return open
  })

const drain = <A>(q: Queue.Dequeue<A>) => Effect.map(Queue.takeAll(q), Chunk.toArray)

describe("Session with a scripted peer", () => {
  test("an active session sends its OPEN, answers the peer's OPEN with KEEPALIVE and reaches Established", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, events } = yield* scripted()
        const open = yield* establish(peer, session)
        expect(open.holdTime).toBe(9)
        expect(Open.asn(open)).toBe(A.as)
        const seen = (yield* drain(events)).map((e) => (e._tag === "StateChanged" ? `${e.from}>${e.to}` : e._tag))
        expect(seen).toEqual(["Connected", "Connect>OpenSent", "OpenSent>OpenConfirm", "OpenConfirm>Established", "Established"])
      })
    ))

  test("a passive session takes an inbound connection handed to accept and reaches Established", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const session = yield* Session.make({
          peerAddress: B.address,
          localAddress: A.address,
          mode: "passive",
          fsm: fsmConfig(A, B, { holdTime: 9 }),
          seed: 1
        }).pipe(Effect.provide(net.layer))
        expect(yield* session.state).toBe("Active")
        const [ours, theirs] = net.pair({ address: A.address, port: 179 }, { address: B.address, port: 50000 })
        const peer = yield* ScriptedPeer.make(theirs)
        expect(yield* session.accept(ours)).toBe(true)
        yield* establish(peer, session)
        expect(net.attempts()).toEqual([])
      })
    ))

  test("keepalives go out every hold/3 seconds and the peer's keepalives keep the session up", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        for (let i = 0; i < 5; i++) {
          yield* TestClock.adjust("3 seconds")
          yield* peer.expect("Keepalive")
          yield* peer.send(Message.keepalive)
        }
        expect(yield* session.state).toBe("Established")
      })
    ))

  test("hold timer expiry sends NOTIFICATION 4/0, goes Idle, and reconnects after the idle hold", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, events, accept, net } = yield* scripted()
        yield* establish(peer, session)
        yield* TestClock.adjust("9 seconds")
        const rest = yield* peer.rest
        const last = rest[rest.length - 1]!
        expect(last._tag === "Notification" && [last.code, last.subcode]).toEqual([4, 0])
        expect(rest.slice(0, -1).every((m) => m._tag === "Keepalive")).toBe(true)
        expect(yield* session.state).toBe("Idle")
        const down = (yield* drain(events)).find((e) => e._tag === "Down")
        expect(down?._tag === "Down" && down.reason._tag).toBe("NotificationSent")
        expect(net.attempts().length).toBe(1)
        // Idle hold: 5 s after the first failure.
        yield* TestClock.adjust("4 seconds")
        expect(net.attempts().length).toBe(1)
        yield* TestClock.adjust("1 second")
        const again = yield* accept
        yield* again.expect("Open")
        expect(net.attempts().length).toBe(2)
      })
    ))

  test("send hold timer: a peer that stops reading gets NOTIFICATION 8/0 and the session goes Idle", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, events } = yield* scripted({ net: { highWater: 1024, lowWater: 0 }, fsm: { sendHoldTime: 20 } })
        yield* establish(peer, session)
        // The peer stops reading; we fill its receive buffer and the session's send buffer stalls.
        const update = route()
        yield* Effect.forkScoped(session.send(Array.from({ length: 200 }, () => update)))
        for (let t = 0; t < 18; t += 3) {
          yield* TestClock.adjust("3 seconds")
          yield* peer.send(Message.keepalive)
        }
        expect(yield* session.state).toBe("Established")
        yield* TestClock.adjust("2 seconds")
        yield* session.awaitState("Idle")
        const seen = yield* drain(events)
        const sent = seen.find((e) => e._tag === "NotificationSent")
        expect(sent?._tag === "NotificationSent" && [sent.info.notification.code, sent.info.notification.subcode]).toEqual([8, 0])
        expect(yield* session.state).toBe("Idle")
      })
    ))

  test("a healthy session outlives the send hold time: every completed write restarts the timer (RFC 9687)", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted({ fsm: { sendHoldTime: 20 } })
        yield* establish(peer, session)
        // Our KEEPALIVEs (every 3 s) are the only writes; 60 s is three send hold periods.
        for (let t = 0; t < 60; t += 3) {
          yield* TestClock.adjust("3 seconds")
          yield* peer.expect("Keepalive")
          yield* peer.send(Message.keepalive)
        }
        expect(yield* session.state).toBe("Established")
      })
    ))

  test("a KEEPALIVE in place of the peer's OPEN gets FSM Error 5/1 carrying message type 4 (RFC 6608 §4)", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* peer.expect("Open")
        expect(yield* session.state).toBe("OpenSent")
        yield* peer.send(Message.keepalive)
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode, ...n.data]).toEqual([5, 1, 4])
        expect(yield* session.state).toBe("Idle")
      })
    ))

  test("an UPDATE in OpenConfirm gets FSM Error 5/2 carrying message type 2 (RFC 6608 §4)", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* peer.expect("Open")
        yield* peer.send(Negotiation.localOpen(fsmConfig(B, A, { holdTime: 9 })))
        yield* peer.expect("Keepalive")
        expect(yield* session.state).toBe("OpenConfirm")
        peer.ctx = ctx
        yield* peer.sendBytes(route())
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode, ...n.data]).toEqual([5, 2, 2])
        expect(yield* session.state).toBe("Idle")
      })
    ))

  test("the max-prefix hook sends Cease 6/1 with AFI, SAFI and limit, and the session comes back after the idle hold", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, events, accept, net } = yield* scripted()
        yield* establish(peer, session)
        yield* session.signal(Event.maxPrefixesExceeded(1, 1, 1000))
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && Notification.maximumPrefixesData(n)).toEqual({ afi: 1, safi: 1, limit: 1000 })
        expect(yield* session.state).toBe("Idle")
        const down = (yield* drain(events)).find((e) => e._tag === "Down")
        expect(down?._tag === "Down" && down.reason._tag === "NotificationSent" && down.reason.notification.subcode).toBe(1)
        expect(down?._tag === "Down" && down.negotiated !== undefined).toBe(true)
        // AutomaticStop keeps the session enabled: it reconnects after the 5 s idle hold.
        yield* TestClock.adjust("5 seconds")
        yield* (yield* accept).expect("Open")
        expect(net.attempts().length).toBe(2)
      })
    ))

  test("stop() cuts a long shutdown communication to 128 bytes on a character boundary (RFC 9003 §3)", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        // 1 + 100 × 2 bytes of UTF-8: byte 128 would split the 64th "é".
        yield* session.stop("x" + "é".repeat(100))
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode, n.data[0]]).toEqual([6, 2, 127])
        expect(n._tag === "Notification" && Notification.shutdownCommunication(n)).toEqual({ text: "x" + "é".repeat(63) })
      })
    ))

  test("a received NOTIFICATION with a shutdown communication surfaces in changes and in the log", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, events } = yield* scripted()
        yield* establish(peer, session)
        yield* drain(events)
        yield* peer.send(Notification.shutdown(2, "maintenance: back at 14:00"))
        yield* session.awaitState("Idle")
        const seen = yield* drain(events)
        const received = seen.find((e) => e._tag === "NotificationReceived")
        expect(received?._tag === "NotificationReceived" && received.info.shutdown?.text).toBe("maintenance: back at 14:00")
        expect(received?._tag === "NotificationReceived" && received.info.description).toBe("Cease / Administrative Shutdown")
        const down = seen.find((e) => e._tag === "Down")
        expect(down?._tag === "Down" && down.reason._tag).toBe("NotificationReceived")
        const line = logs.find((l) => l.message.includes("maintenance: back at 14:00"))
        expect(line?.annotations.peer).toBe("10.0.0.2:179")
        expect(line?.level).toBe("WARN")
      })
    ))

  test("a malformed UPDATE is answered with its NOTIFICATION (3/1) and the session goes Idle", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        const bad = Uint8Array.of(...new Array(16).fill(0xff), 0, 23, 2, 0, 0, 0, 16)
        yield* peer.sendBytes(bad)
        yield* session.awaitState("Idle")
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode]).toEqual([3, 1])
      })
    ))

  test("a header error (bad marker) is answered with NOTIFICATION 1/1", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        const bad = Message.encode(Message.keepalive, ctx)
        bad[3] = 0
        yield* peer.sendBytes(bad)
        yield* session.awaitState("Idle")
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode]).toEqual([1, 1])
      })
    ))

  test("a treat-as-withdraw UPDATE keeps the session up and is delivered with its issue", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        const good = route()
        const bad = good.slice()
        bad[26] = 7 // ORIGIN value 7: RFC 7606 §7.1 treat-as-withdraw
        yield* peer.sendBytes(bad)
        yield* peer.sendBytes(good)
        const got = Chunk.toArray(yield* Stream.runCollect(Stream.take(session.received, 3)))
        expect(got.map((r) => r._tag)).toEqual(["SessionEstablished", "Update", "Update"])
        const first = got[1]!
        expect(first._tag === "Update" && first.treatAsWithdraw).toBe(true)
        expect(first._tag === "Update" && first.issues[0]?.action).toBe("treat-as-withdraw")
        const second = got[2]!
        expect(second._tag === "Update" && second.treatAsWithdraw).toBe(false)
        expect(yield* session.state).toBe("Established")
      })
    ))

  test("stop() sends Cease 6/2 with the reason as RFC 9003 shutdown communication and stays Idle", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, net } = yield* scripted()
        yield* establish(peer, session)
        yield* session.stop("moving to new hardware")
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode]).toEqual([6, 2])
        expect(n._tag === "Notification" && Notification.shutdownCommunication(n)?.text).toBe("moving to new hardware")
        expect(yield* session.state).toBe("Idle")
        yield* TestClock.adjust("10 minutes")
        expect(net.attempts().length).toBe(1)
        yield* session.start
        expect(net.attempts().length).toBe(2)
      })
    ))

  test("closing the scope sends Cease 6/2 \"administrative shutdown\" and closes the connection", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const listener = yield* net.transport.listen({ address: B.address, port: 179 })
        const scope = yield* Scope.make()
        const session = yield* Session.make({ peerAddress: B.address, localAddress: A.address, fsm: fsmConfig(A, B), seed: 1 }).pipe(
          Effect.provide(net.layer),
          Scope.extend(scope)
        )
        const peer = yield* Effect.flatMap(nextConnection(listener), ScriptedPeer.make)
        yield* establish(peer, session, 90)
        yield* Scope.close(scope, Exit.void)
        const rest = yield* peer.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && Notification.shutdownCommunication(n)?.text).toBe("administrative shutdown")
        expect(n._tag === "Notification" && n.subcode).toBe(2)
      })
    ))

  test("repeated failures back off exponentially: idle hold 5, 10, 20 seconds", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, accept, net } = yield* scripted()
        // The peer rejects every connection after our OPEN.
        const reject = (p: ScriptedPeer) =>
          Effect.gen(function* () {
            yield* p.expect("Open")
            yield* p.send(Notification.make(6, 5))
            yield* p.rest
          })
        yield* reject(peer)
        yield* session.awaitState("Idle")
        const delays: Array<number> = []
        for (let i = 0; i < 3; i++) {
          const before = net.attempts().length
          let waited = 0
          while (net.attempts().length === before) {
            yield* TestClock.adjust("1 second")
            waited++
          }
          delays.push(waited)
          yield* reject(yield* accept)
          yield* session.awaitState("Idle")
        }
        expect(delays).toEqual([5, 10, 20])
      })
    ))

  test("a refused connect is retried after the idle hold and the failure is reported", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const session = yield* Session.make({ peerAddress: B.address, localAddress: A.address, fsm: fsmConfig(A, B), seed: 1 }).pipe(
          Effect.provide(net.layer)
        )
        const events = yield* session.subscribe
        yield* session.awaitState("Idle")
        const failed = (yield* drain(events)).find((e) => e._tag === "ConnectFailed")
        expect(failed?._tag === "ConnectFailed" && failed.error.reason).toBe("Refused")
        yield* TestClock.adjust("5 seconds")
        expect(net.attempts().length).toBe(2)
      })
    ))

  test("after RFC 8654 negotiation a 5000-byte UPDATE is accepted", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        const prefixes = Either.getOrThrow(Text.prefixesFromText(Array.from({ length: 1200 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)))
        const big = Message.encode(
          Update.announce({ origin: 0, asPath: [{ type: 2, asns: [B.as] }], nextHop: Uint8Array.of(10, 0, 0, 2) }, { afi: 1, safi: 1, prefixes }),
          { ...ctx, extendedMessage: true }
        )
        expect(big.length).toBeGreaterThan(4096)
        yield* peer.sendBytes(big)
        const got = Chunk.toArray(yield* Stream.runCollect(Stream.take(session.received, 2)))
        expect(got[1]?._tag === "Update" && got[1].nlri.count).toBe(1200)
        expect(yield* session.state).toBe("Established")
      })
    ))

  test("send batches messages into large writes and routeRefresh needs the capability", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, net } = yield* scripted()
        yield* establish(peer, session)
        const update = route()
        const before = net.connections().find((c) => c.remote.address === B.address)!
        const bytesBefore = before.written().length
        const writesBefore = before.writes()
        yield* session.send(Array.from({ length: 100 }, () => update))
        for (let i = 0; i < 100; i++) yield* peer.expect("Update")
        expect(before.written().length - bytesBefore).toBe(100 * update.length)
        // 100 messages of 47 bytes fit one 64 KiB write.
        expect(before.writes() - writesBefore).toBe(1)
        yield* session.routeRefresh(1, 1)
        const rr = yield* peer.expect("RouteRefresh")
        expect([rr.afi, rr.safi, rr.subtype]).toEqual([1, 1, 0])
      })
    ))

  test("send fails with NotEstablished before the session is up", () =>
    run(
      Effect.gen(function* () {
        const { session } = yield* scripted()
        const r = yield* Effect.either(session.send([route()]))
        expect(r._tag === "Left" && r.left.reason).toBe("NotEstablished")
      })
    ))
})

describe("Session collisions", () => {
  test("when both sides connect at once, exactly one connection survives (RFC 4271 §6.8)", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const make = (self: typeof A, peer: typeof A, seed: number) =>
          Effect.gen(function* () {
            const listener = yield* net.transport.listen({ address: self.address, port: 179 })
            const s = yield* Session.make({
              peerAddress: peer.address,
              localAddress: self.address,
              fsm: fsmConfig(self, peer),
              seed,
              autoStart: false
            }).pipe(Effect.provide(net.layer))
            yield* Effect.forkScoped(Stream.runForEach(listener.connections, (c) => s.accept(c)))
            return s
          })
        const a = yield* make(A, B, 1)
        const b = yield* make(B, A, 2)
        const aEvents = yield* a.subscribe
        const bEvents = yield* b.subscribe
        yield* Effect.all([a.start, b.start], { concurrency: 2 })
        yield* a.awaitState("Established")
        yield* b.awaitState("Established")
        // Let the losing connection's close finish.
        yield* TestClock.adjust("1 second")
        const open = net.connections().filter((c) => !c.isClosed())
        expect(open.length).toBe(2)
        // A's identifier is lower: the connection B opened survives (B's local end is the client end).
        expect(open.map((c) => c.local.address).sort()).toEqual([A.address, B.address])
        expect(open.find((c) => c.local.address === A.address)?.local.port).toBe(179)
        const aSeen = yield* drain(aEvents)
        const bSeen = yield* drain(bEvents)
        const resolved = [...aSeen, ...bSeen].filter((e) => e._tag === "CollisionResolved")
        expect(resolved.length).toBeGreaterThan(0)
        expect(net.connections().length).toBe(4)
        // Neither side ever reported the session down.
        expect([...aSeen, ...bSeen].some((e) => e._tag === "Down")).toBe(false)
        yield* TestClock.adjust("5 minutes")
        expect(yield* a.state).toBe("Established")
        expect(yield* b.state).toBe("Established")
      })
    ))
})

describe("Session collisions with a scripted peer", () => {
  /** A's outgoing connection in OpenConfirm (B answered OPEN, no KEEPALIVE), then B connects in as well. */
  const crossed = (peerId = B.id) =>
    Effect.gen(function* () {
      const { session, peer, events, net } = yield* scripted()
      yield* peer.expect("Open")
      const bOpen = Negotiation.localOpen(fsmConfig({ ...B, id: peerId }, A, { holdTime: 9 }))
      yield* peer.send(bOpen)
      yield* peer.expect("Keepalive")
      expect(yield* session.state).toBe("OpenConfirm")
      const [ours, theirs] = net.pair({ address: A.address, port: 179 }, { address: B.address, port: 50001 })
      const inbound = yield* ScriptedPeer.make(theirs)
      expect(yield* session.accept(ours)).toBe(true)
      yield* inbound.expect("Open")
      return { session, events, outbound: peer, inbound, bOpen }
    })

  test("the lower identifier keeps the peer's connection: ours gets Cease 6/7, the session carries on on theirs", () =>
    run(
      Effect.gen(function* () {
        const { session, events, outbound, inbound, bOpen } = yield* crossed()
        yield* inbound.send(bOpen)
        const rest = yield* outbound.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode]).toEqual([6, 7])
        yield* inbound.expect("Keepalive")
        yield* inbound.send(Message.keepalive)
        yield* session.awaitState("Established")
        const seen = yield* drain(events)
        expect(seen.some((e) => e._tag === "CollisionResolved" && e.kept === "remote")).toBe(true)
        expect(seen.some((e) => e._tag === "Down")).toBe(false)
      })
    ))

  test("the higher identifier keeps our connection: the peer's gets Cease 6/7", () =>
    run(
      Effect.gen(function* () {
        // The peer's identifier is below ours (10.0.0.1), so ours survives.
        const { session, events, outbound, inbound, bOpen } = yield* crossed(0x01000001)
        yield* inbound.send(bOpen)
        const rest = yield* inbound.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode]).toEqual([6, 7])
        yield* outbound.send(Message.keepalive)
        yield* session.awaitState("Established")
        const seen = yield* drain(events)
        expect(seen.some((e) => e._tag === "CollisionResolved" && e.kept === "local")).toBe(true)
      })
    ))

  test("when the peer drops our connection first, its own connection takes over without a Down", () =>
    run(
      Effect.gen(function* () {
        const { session, events, outbound, inbound, bOpen } = yield* crossed()
        yield* outbound.send(Notification.make(6, 7))
        yield* outbound.rest
        yield* inbound.send(bOpen, Message.keepalive)
        yield* inbound.expect("Keepalive")
        yield* session.awaitState("Established")
        const seen = yield* drain(events)
        expect(seen.some((e) => e._tag === "Down")).toBe(false)
        expect(seen.some((e) => e._tag === "NotificationReceived")).toBe(true)
      })
    ))

  test("an Established session rejects a new connection's OPEN with Cease 6/7 and stays up", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, net } = yield* scripted()
        yield* establish(peer, session)
        const [ours, theirs] = net.pair({ address: A.address, port: 179 }, { address: B.address, port: 50002 })
        const inbound = yield* ScriptedPeer.make(theirs)
        expect(yield* session.accept(ours)).toBe(true)
        yield* inbound.expect("Open")
        yield* inbound.send(Negotiation.localOpen(fsmConfig(B, A, { holdTime: 9 })))
        const rest = yield* inbound.rest
        const n = rest[rest.length - 1]!
        expect(n._tag === "Notification" && [n.code, n.subcode]).toEqual([6, 7])
        yield* TestClock.adjust("3 seconds")
        yield* peer.expect("Keepalive")
        expect(yield* session.state).toBe("Established")
      })
    ))

  test("an inbound connection in mode active, or while Idle, is refused and closed", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const active = yield* Session.make({
          peerAddress: B.address,
          localAddress: A.address,
          mode: "active",
          fsm: fsmConfig(A, B),
          autoStart: false,
          seed: 1
        }).pipe(Effect.provide(net.layer))
        const [c1] = net.pair({ address: A.address, port: 179 }, { address: B.address, port: 50003 })
        expect(yield* active.accept(c1)).toBe(false)
        expect(c1.isClosed()).toBe(true)
        const both = yield* Session.make({
          peerAddress: B.address,
          localAddress: A.address,
          fsm: fsmConfig(A, B),
          autoStart: false,
          seed: 1
        }).pipe(Effect.provide(net.layer))
        const [c2] = net.pair({ address: A.address, port: 179 }, { address: B.address, port: 50004 })
        expect(yield* both.accept(c2)).toBe(false)
        expect(c2.isClosed()).toBe(true)
      })
    ))

  test("a third connection to the peer is refused while two are in flight", () =>
    run(
      Effect.gen(function* () {
        const { session, events } = yield* crossed()
        const net = yield* MemoryTransport.make()
        const [c3] = net.pair({ address: A.address, port: 179 }, { address: B.address, port: 50005 })
        expect(yield* session.accept(c3)).toBe(false)
        expect(c3.isClosed()).toBe(true)
        expect((yield* drain(events)).some((e) => e._tag === "Refused")).toBe(true)
      })
    ))
})

describe("Session helpers", () => {
  test("samePeer matches addresses by value, IPv4-mapped IPv6 included", () => {
    expect(Session.samePeer("2001:db8::1", "2001:0db8:0:0::1")).toBe(true)
    expect(Session.samePeer("::ffff:192.0.2.1", "192.0.2.1")).toBe(true)
    expect(Session.samePeer("192.0.2.1", "192.0.2.2")).toBe(false)
    expect(Session.samePeer("not an address", "not an address")).toBe(false)
  })
})

describe("Session receive path", () => {
  test("a consumer that lags pauses reading, and the hold timer does not blame the peer for it", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted({ session: { receiveBuffer: 2 } })
        yield* establish(peer, session)
        const update = route()
        for (let i = 0; i < 6; i++) yield* peer.sendBytes(update)
        // Nobody reads `received`: the session stops reading, so the peer's keepalives wait in the socket.
        for (let t = 0; t < 30; t += 3) {
          yield* TestClock.adjust("3 seconds")
          yield* peer.send(Message.keepalive)
        }
        expect(yield* session.state).toBe("Established")
        const got = Chunk.toArray(yield* Stream.runCollect(Stream.take(session.received, 7)))
        expect(got.filter((r) => r._tag === "Update").length).toBe(6)
        yield* TestClock.adjust("3 seconds")
        expect(yield* session.state).toBe("Established")
      })
    ))

  test("received frames a session with SessionEstablished and SessionDown markers", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted()
        yield* establish(peer, session)
        yield* peer.sendBytes(route())
        yield* peer.send(Notification.make(6, 4))
        yield* session.awaitState("Idle")
        const got = Chunk.toArray(yield* Stream.runCollect(Stream.take(session.received, 3)))
        expect(got.map((r) => r._tag)).toEqual(["SessionEstablished", "Update", "SessionDown"])
      })
    ))

  test("with receive off, UPDATEs are consumed and dropped and the session stays up", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted({ session: { receive: false, receiveBuffer: 1 } })
        yield* establish(peer, session)
        for (let i = 0; i < 10; i++) yield* peer.sendBytes(route())
        yield* TestClock.adjust("3 seconds")
        yield* peer.expect("Keepalive")
        yield* peer.send(Message.keepalive)
        yield* TestClock.adjust("8 seconds")
        expect(yield* session.state).toBe("Established")
      })
    ))
})

describe("Session DelayOpen", () => {
  test("with DelayOpen the session waits for the peer's OPEN, then answers OPEN and KEEPALIVE", () =>
    run(
      Effect.gen(function* () {
        const { session, peer, net } = yield* scripted({ fsm: { delayOpenTime: 5 } })
        // Connected, yet silent: nothing written until the peer's OPEN arrives.
        const ours = net.connections().find((c) => c.local.address === A.address)!
        yield* TestClock.adjust("2 seconds")
        expect(yield* session.state).toBe("Connect")
        expect(ours.written().length).toBe(0)
        yield* peer.send(Negotiation.localOpen(fsmConfig(B, A, { holdTime: 9 })))
        yield* peer.expect("Open")
        yield* peer.expect("Keepalive")
        expect(yield* session.state).toBe("OpenConfirm")
        yield* peer.send(Message.keepalive)
        yield* session.awaitState("Established")
      })
    ))

  test("with DelayOpen and a silent peer, the session sends its OPEN when the timer expires", () =>
    run(
      Effect.gen(function* () {
        const { session, peer } = yield* scripted({ fsm: { delayOpenTime: 5 } })
        yield* TestClock.adjust("4 seconds")
        expect(yield* session.state).toBe("Connect")
        yield* TestClock.adjust("1 second")
        yield* peer.expect("Open")
        expect(yield* session.state).toBe("OpenSent")
      })
    ))
})
