/**
 * Helpers for the speaker tests: a TestClock runner, speakers on a shared
 * MemoryTransport network, and "routers" — plain `@kbgp/fsm` Sessions the test
 * drives, which record every message and event they see.
 */
import { Config as FsmConfig, MemoryTransport, Session, Transport } from "@kbgp/fsm"
import { Either, Effect, Layer, Logger, LogLevel, Option, Queue, type Scope, Stream, TestClock, TestContext } from "effect"
import { Context as WireContext, Pack, Text, Update } from "@kbgp/wire"
import type { Attributes, Message } from "@kbgp/wire"
import * as Speaker from "../../src/Speaker.js"
import type { DesiredState } from "../../src/DesiredState.js"

const testLayer = Layer.merge(TestContext.TestContext, Logger.minimumLogLevel(LogLevel.None))

/** Run a scoped effect under TestClock, quietly. */
export const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.provide(Effect.scoped(effect), testLayer))

/** Let every fiber that can run, run (no time passes). */
export const settle = Effect.repeatN(Effect.yieldNow(), 20)

/** Advance the TestClock and let fibers run. */
export const advance = (millis: number) => Effect.zipRight(TestClock.adjust(millis), settle)

/** Let fibers run until `check` holds (no time passes); fails after `rounds` rounds. */
export const until = (what: string, check: () => boolean, rounds = 100): Effect.Effect<void, Error> =>
  Effect.gen(function* () {
    for (let i = 0; i < rounds; i++) {
      if (check()) return
      yield* settle
    }
    if (!check()) return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
  })

/** Like `until`, with an effectful check. */
export const untilEffect = <R>(what: string, check: Effect.Effect<boolean, never, R>, rounds = 100): Effect.Effect<void, Error, R> =>
  Effect.gen(function* () {
    for (let i = 0; i < rounds; i++) {
      if (yield* check) return
      yield* settle
    }
    return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
  })

export const SPEAKER = { address: "10.0.0.1", as: 65001 }

/** A speaker on the network, collecting its events. */
export const speaker = (net: MemoryTransport.MemoryNetwork, options: Speaker.Options = {}) =>
  Effect.gen(function* () {
    const s = yield* Speaker.make({ session: { jitter: false }, ...options }).pipe(Effect.provideService(Transport.Transport, net.transport))
    const events: Array<Speaker.SpeakerEvent> = []
    const q = yield* s.subscribe
    yield* Effect.forkScoped(Effect.forever(Effect.map(Queue.take(q), (e) => events.push(e))))
    return { speaker: s, events }
  })

/** The usual desired state: a listener on 10.0.0.1:179, AS 65001, and the given peers and routes. */
export const desired = (peers: DesiredState["peers"], routes: DesiredState["routes"] = []): DesiredState => ({
  routerId: "10.0.0.1",
  localAs: SPEAKER.as,
  listener: { address: SPEAKER.address },
  peers,
  routes
})

export interface Router {
  readonly address: string
  readonly asn: number
  readonly session: Session.Handle
  /** UPDATEs, ROUTE-REFRESHes and session markers, in order. */
  readonly received: Array<Session.Received>
  readonly events: Array<Session.SessionEvent>
  /** Prefixes (text) the router has from the speaker now, with their attributes (IPv4 and IPv6 unicast). */
  readonly table: Map<string, Attributes.Attributes>
  readonly endOfRibs: () => number
}

export interface RouterOptions {
  readonly address: string
  readonly asn?: number
  readonly fsm?: Partial<Parameters<typeof FsmConfig.make>[0]>
  readonly autoStart?: boolean
}

/** A router (an fsm Session) that connects to the speaker's listener at 10.0.0.1:179. */
export const router = (net: MemoryTransport.MemoryNetwork, o: RouterOptions) =>
  Effect.gen(function* () {
    const asn = o.asn ?? 65002
    const session = yield* Session.make({
      peerAddress: SPEAKER.address,
      localAddress: o.address,
      mode: "active",
      autoStart: o.autoStart ?? true,
      fsm: FsmConfig.make({
        localAs: asn,
        bgpId: Either.getOrThrow(Text.ipv4ToNumber(o.address)),
        peerAs: SPEAKER.as,
        jitter: false,
        connectRetryTime: 5,
        idleHoldTime: 1,
        ...o.fsm
      })
    }).pipe(Effect.provideService(Transport.Transport, net.transport))
    const received: Array<Session.Received> = []
    const events: Array<Session.SessionEvent> = []
    const table = new Map<string, Attributes.Attributes>()
    let eors = 0
    const q = yield* session.subscribe
    yield* Effect.forkScoped(Effect.forever(Effect.map(Queue.take(q), (e) => events.push(e))))
    yield* Effect.forkScoped(
      Stream.runForEach(session.received, (r) =>
        Effect.sync(() => {
          received.push(r)
          if (r._tag === "SessionDown") table.clear()
          if (r._tag !== "Update") return
          if (Update.isEndOfRib(r) !== undefined) eors++
          for (const p of Text.formatPrefixes(r.withdrawn)) table.delete(p)
          if (r.mpUnreach !== undefined && "count" in r.mpUnreach.withdrawn) for (const p of Text.formatPrefixes(r.mpUnreach.withdrawn)) table.delete(p)
          for (const p of Text.formatPrefixes(r.nlri)) table.set(p, r.attributes)
          if (r.mpReach !== undefined && "count" in r.mpReach.nlri) {
            for (const p of Text.formatPrefixes(r.mpReach.nlri)) table.set(p, { ...r.attributes, nextHop: r.mpReach.nextHop })
          }
        })
      )
    )
    const out: Router = { address: o.address, asn, session, received, events, table, endOfRibs: () => eors }
    return out
  })

/** UPDATEs a router got (End-of-RIB markers included). */
export const updates = (r: Router): Array<Message.Update> => r.received.filter((x): x is Message.Update => x._tag === "Update")

/** Wait for a router's session to be Established. */
export const established = (r: Router) =>
  Effect.gen(function* () {
    // Connect retries and idle holds run on the clock: give them seconds if yielding is not enough.
    for (let i = 0; i < 30; i++) {
      if ((yield* r.session.state) === "Established") return
      yield* settle
      if ((yield* r.session.state) === "Established") return
      yield* advance(500)
    }
    return yield* Effect.fail(new Error(`${r.address} did not reach Established`))
  })

/** Routes from a router to the speaker, encoded for its session. */
export const announce = (r: Router, prefixes: ReadonlyArray<string>, attributes: Partial<Attributes.Attributes> = {}) =>
  Effect.gen(function* () {
    const n = Option.getOrThrow(yield* r.session.negotiated)
    const blocks = Either.getOrThrow(Text.prefixesFromText(prefixes))
    const nextHop = Either.getOrThrow(Text.parseAddress(r.address)).bytes
    const messages = Pack.packUpdates(
      { origin: 0, asPath: [{ type: 2, asns: [r.asn] }], nextHop, ...attributes },
      { afi: 1, safi: 1, prefixes: blocks },
      n.tx
    )
    yield* r.session.send(messages, { session: n })
  })

export const endOfRib = (r: Router) =>
  Effect.gen(function* () {
    const n = Option.getOrThrow(yield* r.session.negotiated)
    yield* r.session.send([Pack.endOfRib(1, 1, n.tx)], { session: n })
  })

export const defaultContext = WireContext.defaults
