/**
 * The machinery behind `Speaker.make`. State lives in plain fields; every
 * change runs under one lock (apply, received messages, timers, flushes), so
 * handlers see a consistent world. Per peer: a Session in its own scope (reset
 * = close it and make another), a receive loop (UPDATEs → `@kbgp/rib` Core
 * Adj-RIB-In; session markers → update group membership and graceful restart),
 * an event loop (state, NOTIFICATIONs, last error) and a sender fiber that
 * writes what the update groups packed, so a slow peer never holds up others.
 */
import { Event, Negotiation, Session, Transport } from "@kbgp/fsm"
import type { Action } from "@kbgp/fsm"
import { Core as RibCore, Interner } from "@kbgp/rib"
import type { Diff } from "@kbgp/rib"
import { Family, Message, Notification, RouteRefresh, Text, Update } from "@kbgp/wire"
import type { Family as FamilyTypes } from "@kbgp/wire"
import {
  Clock,
  Duration,
  Effect,
  Either,
  ExecutionStrategy,
  Exit,
  Fiber,
  FiberMap,
  PubSub,
  Queue,
  Scope,
  Stream
} from "effect"
import type { DesiredState } from "../DesiredState.js"
import * as GracefulRestart from "./GracefulRestart.js"
import * as Introspection from "../Introspection.js"
import * as Listener from "./Listener.js"
import * as PeerModule from "./Peer.js"
import type { Peer } from "./Peer.js"
import type { ApplyResult, Options, Speaker, SpeakerEvent, StopOptions, SweepReason } from "../Speaker.js"
import * as SpeakerError from "../SpeakerError.js"
import { UpdateGroup } from "./UpdateGroup.js"
import * as Groups from "./UpdateGroup.js"
import * as Keys from "./Keys.js"
import * as LocalRoutes from "./LocalRoutes.js"
import * as PeerTransport from "./PeerTransport.js"
import { Signal, until } from "./Signal.js"

type FamilyKey = FamilyTypes.FamilyKey

const CARRIED = new Set<FamilyKey>([Family.Ipv4Unicast, Family.Ipv6Unicast])

const cease = (subcode: number): Message.Notification => Notification.make(Notification.ErrorCode.Cease, subcode)

interface ListenerState {
  readonly scope: Scope.CloseableScope
  readonly listener: Listener.Listener
  readonly address: string
  readonly port: number
}

const stripZone = (a: string): string => (a.includes("%") ? a.slice(0, a.indexOf("%")) : a)

const downText = (reason: Action.DownReason): string =>
  reason._tag === "ConnectionLost"
    ? "connection lost"
    : `${reason._tag === "NotificationSent" ? "sent" : "received"} ${Session.describeNotification(reason.notification).description}`

export const make = (options: Options): Effect.Effect<Speaker, never, Transport.Transport | Scope.Scope> =>
  Effect.gen(function* () {
    const baseTransport = yield* Transport.Transport
    const speakerScope = yield* Effect.scope
    const coalesce = Duration.toMillis(Duration.decode(options.coalesce ?? "50 millis"))
    const withdrawDelay = Duration.toMillis(Duration.decode(options.withdrawDelay ?? 0))

    const hub = yield* PubSub.unbounded<SpeakerEvent>()
    const lock = yield* Effect.makeSemaphore(1)
    const locked = <A, E, R>(e: Effect.Effect<A, E, R>) => lock.withPermits(1)(e)
    const flushers = yield* FiberMap.make<number>()
    // Peers and the listener close after the stop finalizer below (finalizers run in reverse order).
    const peersScope = yield* Scope.fork(speakerScope, ExecutionStrategy.sequential)
    const listenerParent = yield* Scope.fork(speakerScope, ExecutionStrategy.sequential)

    const interner = Interner.make()
    const stats: Groups.Stats = { encodes: 0, encodedMessages: 0 }
    let core: RibCore.Core | undefined
    let desired: DesiredState | undefined
    let global: PeerModule.Global | undefined
    let local: LocalRoutes.Table = LocalRoutes.empty
    const peers = new Map<string, Peer>()
    const groups = new Map<string, UpdateGroup<Peer>>()
    const flushAt = new Map<number, number>()
    let nextGroupId = 1
    let listener: ListenerState | undefined
    let stopped = false
    let rejected = 0
    let applies = 0
    const sent = new Signal()

    const emit = (e: SpeakerEvent) => PubSub.publish(hub, e)
    const ribOf = (): RibCore.Core => core!

    // --- update groups ---------------------------------------------------------------------------------

    const selfOf = (peer: Peer, afi: number): Uint8Array | undefined => {
      const s = peer.settings
      if (s.localBytes !== undefined) return s.localBytes.length === (afi === Family.Afi.Ipv4 ? 4 : 16) ? s.localBytes : undefined
      const text = peer.transport.localAddress()
      if (text === undefined) return undefined
      const a = Text.parseAddress(stripZone(text))
      if (Either.isLeft(a)) return undefined
      const b = a.right.bytes
      // A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6.
      const mapped = b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff
      const bytes = mapped ? b.slice(12) : b
      return bytes.length === (afi === Family.Afi.Ipv4 ? 4 : 16) ? bytes : undefined
    }

    const scopesOf = (name: string): Array<LocalRoutes.Scope> => {
      const out: Array<LocalRoutes.Scope> = [LocalRoutes.ALL]
      for (const [scope, names] of local.members) if (names.has(name)) out.push(scope)
      return out.sort()
    }

    const specOf = (peer: Peer, n: Negotiation.Negotiated): Groups.Spec => {
      const selfV4 = selfOf(peer, Family.Afi.Ipv4)
      const selfV6 = selfOf(peer, Family.Afi.Ipv6)
      return {
        tx: n.tx,
        ebgp: n.ebgp,
        localAs: global!.localAs,
        families: [...n.families].filter((f) => CARRIED.has(f)).sort((a, b) => a - b),
        scopes: scopesOf(peer.settings.name),
        exportPolicy: peer.settings.exportPolicy,
        selfV4,
        selfV6
      }
    }

    const scheduleFlush = (group: UpdateGroup<Peer>, delay: number) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const at = now + delay
        const scheduled = flushAt.get(group.id)
        if (scheduled !== undefined && scheduled <= at) return
        flushAt.set(group.id, at)
        yield* FiberMap.run(
          flushers,
          group.id,
          Effect.zipRight(Effect.sleep(delay), locked(Effect.uninterruptible(flushGroup(group))))
        )
      })

    /** Routes a group does not send (wrong next hop family, cannot be encoded): an event and a warning each. */
    const reportRefusals = (group: UpdateGroup<Peer>) =>
      Effect.forEach(
        group.takeRefusals(),
        (r) => {
          const peers = r.members.map((p) => p.settings.name)
          const prefixes = r.prefixes.map(Keys.format)
          const family = PeerModule.familyNameOf(r.family)
          const shown = prefixes.slice(0, 5).join(", ") + (prefixes.length > 5 ? `, and ${prefixes.length - 5} more` : "")
          return Effect.zipRight(
            Effect.logWarning(
              `update group ${group.id} (peers ${peers.join(", ")}): ${prefixes.length} ${family} route(s) not sent (${shown}): ${r.reason}`
            ),
            emit({ _tag: "RoutesNotSent", peers, updateGroup: group.id, family, prefixes, reason: r.reason })
          )
        },
        { discard: true }
      )

    /** Pack the group's pending changes and queue them for its peers. */
    const flushGroup = (group: UpdateGroup<Peer>) =>
      Effect.suspend(() => {
        flushAt.delete(group.id)
        if (groups.get(group.key) !== group) return Effect.void
        for (const d of group.flush()) {
          const peer = d.member
          if (peer.current === undefined) continue
          Queue.unsafeOffer(peer.outbox, { session: peer.current, messages: d.messages, endOfRib: d.endOfRib })
        }
        return reportRefusals(group)
      })

    const groupFor = (spec: Groups.Spec): UpdateGroup<Peer> => {
      const key = Groups.key(spec)
      const existing = groups.get(key)
      if (existing !== undefined) return existing
      const g = new UpdateGroup<Peer>(nextGroupId++, spec, interner, stats)
      g.build(local)
      groups.set(key, g)
      return g
    }

    const dropGroupIfEmpty = (g: UpdateGroup<Peer>) =>
      Effect.suspend(() => {
        if (g.size > 0 || groups.get(g.key) !== g) return Effect.void
        g.dispose()
        groups.delete(g.key)
        flushAt.delete(g.id)
        return FiberMap.remove(flushers, g.id)
      })

    const joinGroup = (peer: Peer, n: Negotiation.Negotiated) =>
      Effect.suspend(() => {
        const g = groupFor(specOf(peer, n))
        g.join(peer)
        peer.group = g
        return scheduleFlush(g, coalesce)
      })

    const leaveGroup = (peer: Peer) =>
      Effect.suspend(() => {
        const g = peer.group
        if (g === undefined) return Effect.void
        g.leave(peer)
        peer.group = undefined
        return dropGroupIfEmpty(g)
      })

    /** Move an Established peer to the group its settings now call for; it gets only the difference. */
    const regroup = (peer: Peer) =>
      Effect.gen(function* () {
        const n = peer.current
        const old = peer.group
        if (n === undefined || old === undefined) return
        const spec = specOf(peer, n)
        if (Groups.key(spec) === old.key) return
        // A peer still waiting to move into `old` has what it had before: only one that never joined starts afresh.
        const snapshot = old.members.has(peer) ? old.snapshot() : old.pendingFrom(peer)
        old.leave(peer)
        const g = groupFor(spec)
        if (snapshot === undefined) g.join(peer)
        else g.moveIn(peer, snapshot)
        peer.group = g
        yield* dropGroupIfEmpty(old)
        yield* scheduleFlush(g, coalesce)
      })

    // --- graceful restart (helper) and stale routes ----------------------------------------------------------

    const staleCounts = (peer: Peer): Map<FamilyKey, number> =>
      new Map(ribOf().stats(peer.ribId).families.map((f) => [f.family, f.stale]))

    const setHelper = (peer: Peer, state: Introspection.HelperState) =>
      Effect.suspend(() => {
        if (peer.helper === state) return Effect.void
        peer.helper = state
        return emit({ _tag: "GracefulRestartChanged", peer: peer.settings.name, state })
      })

    /** Remove the peer's stale routes of `families`. */
    const sweep = (peer: Peer, asked: ReadonlyArray<FamilyKey>, why: SweepReason) =>
      Effect.gen(function* () {
        const refresh = why === "enhanced-refresh" || why === "refresh-timeout"
        // A timer may fire for a family an End-of-RIB already swept.
        const families = asked.filter((f) => refresh || peer.stale.has(f))
        if (families.length === 0) return
        const before = staleCounts(peer)
        ribOf().sweepStale(peer.ribId, families)
        for (const f of families) {
          if (!refresh) {
            peer.stale.delete(f)
            peer.longLived.delete(f)
            yield* FiberMap.remove(peer.timers, `llgr:${f}`)
          }
          yield* emit({ _tag: "StaleRoutesSwept", peer: peer.settings.name, family: PeerModule.familyNameOf(f), count: before.get(f) ?? 0, why })
        }
        if (peer.stale.size === 0) {
          yield* FiberMap.remove(peer.timers, "stale")
          yield* FiberMap.remove(peer.timers, "restart")
          yield* setHelper(peer, "none")
        }
      })

    /**
     * Run `body` after `seconds` unless the timer is restarted or removed first.
     * The body runs on a fiber of its own, so it may remove timers (its own too).
     */
    const timer = (peer: Peer, name: string, seconds: number, body: Effect.Effect<void>) =>
      FiberMap.run(peer.timers, name, Effect.zipRight(Effect.sleep(Duration.seconds(seconds)), Effect.forkIn(locked(body), peer.scope)))

    /** RFC 4724 §4.2: the restart time ran out before the peer came back. */
    const restartExpired = (peer: Peer, n: Negotiation.Negotiated) =>
      Effect.gen(function* () {
        if (peer.current !== undefined || peer.stale.size === 0) return
        // RFC 9494 §4.2: families with long-lived GR keep their routes, marked LLGR_STALE, for the stale time.
        const ll = GracefulRestart.longLivedFamilies(n, peer.settings.gracefulRestart?.longLivedStaleTime)
        const gone: Array<FamilyKey> = []
        for (const f of peer.stale) {
          const time = ll.get(f)
          if (time === undefined) {
            gone.push(f)
            continue
          }
          ribOf().markStale(peer.ribId, { families: [f], llgr: true })
          peer.longLived.add(f)
          yield* timer(peer, `llgr:${f}`, time, sweep(peer, [f], "stale-time"))
        }
        yield* sweep(peer, gone, "restart-time")
        if (peer.longLived.size > 0) yield* setHelper(peer, "long-lived")
      })

    /** The session ended: leave the group, then keep (graceful restart) or withdraw the peer's routes. */
    const onDown = (peer: Peer, reason: Action.DownReason, n: Negotiation.Negotiated): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (peer.current !== n) return
        peer.current = undefined
        peer.establishedAt = undefined
        // A route refresh in progress ends with the session; what stays is graceful restart's business.
        for (const f of peer.refreshing) yield* FiberMap.remove(peer.timers, `refresh:${f}`)
        peer.refreshing.clear()
        yield* leaveGroup(peer)
        yield* Queue.takeAll(peer.outbox)
        const retained = peer.removed ? new Set<FamilyKey>() : GracefulRestart.retainedFamilies(n, reason)
        const keep = peer.settings.families.filter((f) => retained.has(f))
        const drop = peer.settings.families.filter((f) => !retained.has(f))
        const rib = ribOf()
        rib.withdrawAll(peer.ribId, drop)
        for (const f of drop) {
          peer.stale.delete(f)
          peer.longLived.delete(f)
        }
        if (keep.length > 0) {
          // RFC 4724 §4.2: keep the routes as stale and start the restart timer with the peer's Restart Time.
          rib.markStale(peer.ribId, { families: keep })
          for (const f of keep) peer.stale.add(f)
          yield* FiberMap.remove(peer.timers, "stale")
          yield* setHelper(peer, "restarting")
          const time = GracefulRestart.restartTime(n)
          if (time > 0) yield* timer(peer, "restart", time, restartExpired(peer, n))
          else yield* restartExpired(peer, n)
        } else {
          yield* FiberMap.clear(peer.timers)
          // The max-prefix restart must survive the session going down.
          if (peer.maxPrefixRestartAt !== undefined) yield* scheduleMaxPrefixRestart(peer)
          yield* setHelper(peer, "none")
        }
        yield* emit({ _tag: "PeerDown", peer: peer.settings.name, reason: downText(reason), gracefulRestart: keep.length > 0 })
        // RFC 4724 §3: the R bit belongs to the first session after our restart; the next one goes without it.
        const session = peer.session
        if (session !== undefined && peer.sessionRestarting && !peer.removed) {
          yield* Effect.forkIn(
            locked(
              Effect.suspend(() =>
                peer.session === session && !peer.removed ? Effect.zipRight(endSession(peer, "close"), startSession(peer)) : Effect.void
              )
            ),
            peer.scope
          )
        }
      })

    const onEstablished = (peer: Peer, n: Negotiation.Negotiated) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        peer.current = n
        peer.last = n
        peer.establishedAt = now
        peer.establishedCount++
        peer.maxPrefixReported.clear()
        peer.refreshing.clear()
        yield* FiberMap.remove(peer.timers, "restart")
        if (peer.stale.size > 0) {
          // RFC 4724 §4.2: families the peer no longer preserves (no F bit, not in its capability) go at once.
          const flush = [...peer.stale].filter((f) => !n.families.has(f) || GracefulRestart.flushOnReconnect(n, f, peer.longLived.has(f)))
          yield* sweep(peer, flush, "no-forwarding")
          if (peer.stale.size > 0) {
            yield* setHelper(peer, "awaiting-eor")
            const wait = peer.settings.gracefulRestart?.staleRoutesTime ?? GracefulRestart.defaults.staleRoutesTime
            yield* timer(peer, "stale", wait, Effect.suspend(() => sweep(peer, [...peer.stale], "stale-time")))
          }
        }
        yield* joinGroup(peer, n)
        yield* emit({ _tag: "PeerEstablished", peer: peer.settings.name, negotiated: Introspection.negotiatedView(n) })
      })

    // --- received ------------------------------------------------------------------------------------------

    const scheduleMaxPrefixRestart = (peer: Peer) =>
      Effect.gen(function* () {
        const at = peer.maxPrefixRestartAt
        if (at === undefined) return
        const now = yield* Clock.currentTimeMillis
        yield* FiberMap.run(
          peer.timers,
          "maxprefix",
          Effect.zipRight(
            Effect.sleep(Math.max(0, at - now)),
            locked(
              Effect.suspend(() => {
                peer.maxPrefixRestartAt = undefined
                return peer.session === undefined ? Effect.void : peer.session.start
              })
            )
          )
        )
      })

    const onAlerts = (peer: Peer, diff: Diff.Diff) =>
      Effect.gen(function* () {
        for (const a of diff.alerts) {
          if (a.peer !== peer.ribId || a.level !== "exceeded" || peer.maxPrefixReported.has(a.family)) continue
          peer.maxPrefixReported.add(a.family)
          const setting = peer.settings.maxPrefix.find((m) => m.family === a.family)
          const action = a.teardown ? "restart" : "warn"
          yield* emit({
            _tag: "MaxPrefixExceeded",
            peer: peer.settings.name,
            family: PeerModule.familyNameOf(a.family),
            limit: a.limit.limit,
            count: a.count,
            action
          })
          yield* Effect.logWarning(`peer ${peer.settings.name}: ${a.count} ${Family.format(a.family)} prefixes exceed the limit of ${a.limit.limit}`)
          const session = peer.session
          if (!a.teardown || session === undefined || peer.current === undefined) continue
          // RFC 4486 §4: Cease 6/1 with AFI, SAFI and the limit; the session stays down for `restartAfter`.
          const now = yield* Clock.currentTimeMillis
          peer.maxPrefixRestartAt = now + (setting?.restartAfter ?? 60) * 1000
          const stop = Event.maxPrefixesExceeded(Family.afiOf(a.family), Family.safiOf(a.family), a.limit.limit)
          yield* session.signal({ _tag: "ManualStop", notification: stop.notification! })
          yield* scheduleMaxPrefixRestart(peer)
        }
      })

    const onRouteRefresh = (peer: Peer, n: Negotiation.Negotiated, m: Message.RouteRefresh) =>
      Effect.gen(function* () {
        const f = Family.key(m.afi, m.safi)
        yield* emit({ _tag: "RouteRefreshReceived", peer: peer.settings.name, family: PeerModule.familyNameOf(f), subtype: m.subtype })
        switch (m.subtype) {
          case RouteRefresh.Subtype.Request: {
            const g = peer.group
            // RFC 2918 §4: re-send the Adj-RIB-Out of the family; RFC 7313 §4 brackets it with BoRR and EoRR.
            if (g === undefined || !g.members.has(peer) || !g.spec.families.includes(f)) return
            const table = g.fullTable(f)
            const messages = n.enhancedRouteRefresh
              ? [
                  Message.encode(RouteRefresh.make(m.afi, m.safi, RouteRefresh.Subtype.BeginningOfRouteRefresh), n.tx),
                  ...table,
                  Message.encode(RouteRefresh.make(m.afi, m.safi, RouteRefresh.Subtype.EndOfRouteRefresh), n.tx)
                ]
              : table
            yield* Queue.offer(peer.outbox, { session: n, messages, endOfRib: [] })
            yield* reportRefusals(g)
            return
          }
          case RouteRefresh.Subtype.BeginningOfRouteRefresh:
            // RFC 7313 §4.2: routes not re-advertised before EoRR are stale. (@kbgp/fsm already drops
            // ROUTE-REFRESH messages for families not negotiated with the peer.)
            if (!CARRIED.has(f)) return
            ribOf().markStale(peer.ribId, { families: [f] })
            peer.refreshing.add(f)
            // An EoRR that never comes must not keep the stale routes forever (RFC 7313 §4 leaves the bound
            // to the implementation): purge them after the stale-routes time, as for graceful restart.
            yield* timer(
              peer,
              `refresh:${f}`,
              peer.settings.gracefulRestart?.staleRoutesTime ?? GracefulRestart.defaults.staleRoutesTime,
              Effect.suspend(() => (peer.refreshing.delete(f) ? sweep(peer, [f], "refresh-timeout") : Effect.void))
            )
            return
          case RouteRefresh.Subtype.EndOfRouteRefresh:
            if (!peer.refreshing.delete(f)) return
            yield* FiberMap.remove(peer.timers, `refresh:${f}`)
            yield* sweep(peer, [f], "enhanced-refresh")
            return
        }
      })

    const onReceived = (peer: Peer, session: Session.Handle, r: Session.Received): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (peer.session !== session) return
        switch (r._tag) {
          case "SessionEstablished":
            return yield* onEstablished(peer, r.negotiated)
          case "SessionDown":
            if (r.negotiated !== undefined) yield* onDown(peer, r.reason, r.negotiated)
            return
          case "RouteRefresh":
            if (peer.current !== undefined) yield* onRouteRefresh(peer, peer.current, r)
            return
          case "Update": {
            if (peer.current === undefined) return
            const eor = Update.isEndOfRib(r)
            if (eor !== undefined) {
              yield* emit({ _tag: "EndOfRibReceived", peer: peer.settings.name, family: PeerModule.familyNameOf(eor) })
              // RFC 4724 §4.2: End-of-RIB from the restarted peer: what is still stale is gone.
              if (peer.stale.has(eor)) yield* sweep(peer, [eor], "end-of-rib")
              return
            }
            const diff = ribOf().applyUpdate(peer.ribId, r)
            if (diff.alerts.length > 0) yield* onAlerts(peer, diff)
            return
          }
        }
      })

    const receiveLoop = (peer: Peer, session: Session.Handle): Effect.Effect<void> =>
      Stream.runForEachChunk(session.received, (chunk) =>
        locked(Effect.forEach(chunk, (r) => onReceived(peer, session, r), { discard: true }))
      )

    const eventLoop = (peer: Peer, events: Queue.Dequeue<Session.SessionEvent>) =>
      Effect.forever(
        Effect.gen(function* () {
          const e = yield* Queue.take(events)
          const now = yield* Clock.currentTimeMillis
          const name = peer.settings.name
          switch (e._tag) {
            case "StateChanged":
              peer.state = e.to
              return yield* emit({ _tag: "PeerStateChanged", peer: name, from: e.from, to: e.to })
            case "NotificationSent":
            case "NotificationReceived": {
              const n = e.info.notification
              const direction = e._tag === "NotificationSent" ? "sent" : "received"
              peer.lastError = {
                at: now,
                kind: direction,
                description: e.info.description,
                code: n.code,
                subcode: n.subcode,
                ...(e.info.shutdown !== undefined ? { shutdown: e.info.shutdown.text } : {})
              }
              return yield* emit({
                _tag: "Notification",
                peer: name,
                direction,
                code: n.code,
                subcode: n.subcode,
                description: e.info.description,
                ...(e.info.shutdown !== undefined ? { shutdown: e.info.shutdown.text } : {})
              })
            }
            case "ConnectFailed":
              peer.lastError = { at: now, kind: "connect", description: e.error.message }
              return
            case "Down":
              if (e.reason._tag === "ConnectionLost") peer.lastError = { at: now, kind: "connection", description: "connection lost" }
              return
            default:
              return
          }
        })
      )

    /** The sender: what flushes and refreshes queued, in order, for the session it was encoded for. */
    const senderLoop = (peer: Peer) =>
      Effect.forever(
        Effect.gen(function* () {
          const item = yield* Queue.take(peer.outbox)
          peer.sending = true
          const session = peer.session
          if (session !== undefined && item.session === peer.current) {
            const eor = item.endOfRib.map((f) => Groups.endOfRib(f, item.session.tx))
            const ok = yield* session.send(eor.length === 0 ? item.messages : [...item.messages, ...eor], { session: item.session }).pipe(
              Effect.as(true),
              Effect.catchAll(() => Effect.succeed(false))
            )
            // RFC 4724 §2: End-of-RIB follows the initial table.
            if (ok) for (const f of item.endOfRib) yield* emit({ _tag: "EndOfRibSent", peer: peer.settings.name, family: PeerModule.familyNameOf(f) })
          }
          peer.sending = false
          sent.fire()
        })
      )

    // --- sessions --------------------------------------------------------------------------------------------

    const startSession = (peer: Peer): Effect.Effect<void> =>
      Effect.gen(function* () {
        const restarting = (options.restarting ?? false) && peer.establishedCount === 0
        const scope = yield* Scope.fork(peer.scope, ExecutionStrategy.sequential)
        const config = PeerModule.sessionConfig(peer.settings, global!, options, restarting)
        const session = yield* Session.make(config).pipe(
          Effect.provideService(Transport.Transport, peer.transport.transport),
          Scope.extend(scope)
        )
        const events = yield* Scope.extend(session.subscribe, scope)
        peer.session = session
        peer.sessionScope = scope
        peer.sessionRestarting = restarting
        peer.state = "Idle"
        yield* Effect.forkIn(eventLoop(peer, events), scope)
        yield* Effect.forkIn(receiveLoop(peer, session), scope)
        if (peer.maxPrefixRestartAt === undefined) yield* session.start
      })

    /**
     * End the peer's session: with a NOTIFICATION (a Cease), by severing the
     * connection without one (graceful restart), or by just closing a session
     * that is already down. The peer's routes are handled as for any session end.
     *
     * This part runs under the lock and returns the rest: letting the
     * NOTIFICATION drain (at most 5 s) and closing the session's scope, which
     * `apply` runs outside the lock, for every peer it ends at once.
     */
    const beginEndSession = (peer: Peer, how: Message.Notification | "sever" | "close"): Effect.Effect<Effect.Effect<void>> =>
      Effect.gen(function* () {
        const session = peer.session
        const scope = peer.sessionScope
        if (session === undefined || scope === undefined) return Effect.void
        peer.session = undefined
        peer.sessionScope = undefined
        const n = peer.current
        let reason: Action.DownReason = { _tag: "ConnectionLost" }
        let drain: Effect.Effect<void> = Effect.void
        if (how === "sever") {
          yield* peer.transport.sever
        } else if (how !== "close") {
          yield* session.signal({ _tag: "ManualStop", notification: how })
          // Let the NOTIFICATION drain before the scope closes the connection.
          drain = Effect.ignore(Effect.timeout(peer.transport.idle, "5 seconds"))
          // RFC 8538 §5: with the N bit, 6/1, 6/2 and 6/3 went out as a Hard Reset (the FSM wraps them).
          const wrapped =
            n?.gracefulRestart?.notification === true && how.code === Notification.ErrorCode.Cease && how.subcode >= 1 && how.subcode <= 3
          reason = { _tag: "NotificationSent", notification: wrapped ? Notification.hardReset(how) : how, detail: "configuration" }
        }
        if (n !== undefined) yield* onDown(peer, reason, n)
        peer.state = "Idle"
        return Effect.zipRight(drain, Scope.close(scope, Exit.void))
      })

    /** `beginEndSession` and the rest at once (the drain, if any, waits where it runs). */
    const endSession = (peer: Peer, how: Message.Notification | "sever" | "close"): Effect.Effect<void> => Effect.flatten(beginEndSession(peer, how))

    // --- peers -----------------------------------------------------------------------------------------------

    const setListenerPeer = (s: PeerModule.Settings, remove: boolean) =>
      listener === undefined
        ? Effect.void
        : Effect.ignore(listener.listener.setPeer(s.matchAddress, remove ? undefined : PeerModule.listenerSecurity(s)))

    /** A new peer; its session starts now, or (`start` false) when the caller starts it. */
    const addPeer = (s: PeerModule.Settings, index: number, start = true) =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(peersScope, ExecutionStrategy.sequential)
        const peer: Peer = {
          settings: s,
          index,
          ribId: ribOf().addPeer(PeerModule.ribConfig(s)),
          scope,
          transport: PeerTransport.make(baseTransport),
          outbox: yield* Queue.unbounded<PeerModule.Outgoing>(),
          timers: yield* Scope.extend(FiberMap.make<string>(), scope),
          sending: false,
          session: undefined,
          sessionScope: undefined,
          sessionRestarting: false,
          current: undefined,
          last: undefined,
          state: "Idle",
          establishedAt: undefined,
          establishedCount: 0,
          lastError: undefined,
          group: undefined,
          helper: "none",
          stale: new Set(),
          longLived: new Set(),
          refreshing: new Set(),
          maxPrefixReported: new Set(),
          maxPrefixRestartAt: undefined,
          removed: false
        }
        peers.set(s.name, peer)
        yield* Effect.forkIn(senderLoop(peer), scope)
        yield* setListenerPeer(s, false)
        if (start) yield* startSession(peer)
        yield* emit({ _tag: "PeerAdded", peer: s.name })
        return peer
      })

    /**
     * Take the peer out under the lock (NOTIFICATION signalled, routes and
     * group gone, timers stopped); returns the rest to run outside the lock:
     * the drain, then closing the peer's scope.
     */
    const removePeer = (peer: Peer, notification: Message.Notification) =>
      Effect.gen(function* () {
        peer.removed = true
        const finish = yield* beginEndSession(peer, notification)
        yield* FiberMap.clear(peer.timers)
        yield* leaveGroup(peer)
        ribOf().removePeer(peer.ribId)
        yield* setListenerPeer(peer.settings, true)
        peers.delete(peer.settings.name)
        return Effect.zipRight(finish, Scope.close(peer.scope, Exit.void))
      })

    /** Like `removePeer` for a peer that stays: its new session is the caller's to start, after the drain. */
    const resetPeer = (peer: Peer, s: PeerModule.Settings, changed: ReadonlyArray<string>) =>
      Effect.gen(function* () {
        // RFC 4486 §4: Cease 6/6 Other Configuration Change.
        const finish = yield* beginEndSession(peer, cease(Notification.CeaseSubcode.OtherConfigurationChange))
        yield* setListenerPeer(peer.settings, true)
        peer.settings = s
        const d = ribOf().configurePeer(peer.ribId, PeerModule.ribConfig(s))
        yield* onAlerts(peer, d)
        yield* setListenerPeer(s, false)
        yield* emit({ _tag: "PeerReset", peer: s.name, changed })
        return finish
      })

    // --- listener --------------------------------------------------------------------------------------------

    const route: Listener.Route = (connection) => {
      for (const peer of peers.values()) {
        if (peer.removed || !Session.samePeer(connection.remote.address, peer.settings.matchAddress)) continue
        const session = peer.session
        return session === undefined ? Effect.as(connection.close, false) : session.accept(peer.transport.wrap(connection))
      }
      return undefined
    }

    const onReject = (connection: Transport.Connection) =>
      Effect.gen(function* () {
        rejected++
        yield* Effect.logInfo(`rejected a connection from ${connection.remote.address}: no peer has this address (Cease 6/5)`)
        yield* emit({ _tag: "ConnectionRejected", remote: connection.remote.address })
      })

    const openListener = (address: string, port: number) =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(listenerParent, ExecutionStrategy.sequential)
        const exit = yield* Effect.exit(Scope.extend(Listener.make(baseTransport, { address, port }, route, onReject), scope))
        if (Exit.isFailure(exit)) {
          yield* Scope.close(scope, Exit.void)
          return yield* Effect.failCause(exit.cause)
        }
        return { scope, listener: exit.value, address, port } satisfies ListenerState
      })

    const closeListener = Effect.suspend(() => {
      const l = listener
      listener = undefined
      return l === undefined ? Effect.void : Scope.close(l.scope, Exit.void)
    })

    const applyListener = (want: { readonly address: string; readonly port: number } | undefined) =>
      Effect.gen(function* () {
        if (want === undefined) {
          const changed = listener !== undefined
          yield* closeListener
          return changed
        }
        if (listener !== undefined && listener.address === want.address && listener.port === want.port) return false
        const attempt = openListener(want.address, want.port)
        const opened = yield* attempt.pipe(
          // The old listener may hold the port (a wildcard address): close it and try once more.
          Effect.catchAll((e) => (e.reason === "AddressInUse" && listener !== undefined ? Effect.zipRight(closeListener, attempt) : Effect.fail(e))),
          Effect.mapError((e) => new SpeakerError.SpeakerError({ reason: "Listener", path: "listener", detail: e.message }))
        )
        yield* closeListener
        listener = opened
        for (const p of peers.values()) yield* setListenerPeer(p.settings, false)
        return true
      })

    // --- apply -------------------------------------------------------------------------------------------------

    interface Checked {
      readonly global: PeerModule.Global
      readonly listener: { readonly address: string; readonly port: number } | undefined
      readonly peers: ReadonlyArray<PeerModule.Settings>
      readonly local: LocalRoutes.Table
    }

    const check = (d: DesiredState): Checked | SpeakerError.SpeakerError => {
      const id = Text.ipv4ToNumber(typeof d.routerId === "string" ? d.routerId : "")
      if (Either.isLeft(id) || id.right === 0) return SpeakerError.config("routerId", "expected a non-zero dotted IPv4 address")
      if (typeof d.localAs !== "number" || !Number.isInteger(d.localAs) || d.localAs < 1 || d.localAs > 0xffffffff) {
        return SpeakerError.config("localAs", "expected an AS number (1 to 4294967295)")
      }
      let want: Checked["listener"]
      if (d.listener !== undefined) {
        const a = Text.parseAddress(stripZone(d.listener.address ?? ""))
        if (Either.isLeft(a)) return SpeakerError.config("listener.address", `expected an IP address: ${a.left.message}`)
        const port = d.listener.port ?? 179
        if (!Number.isInteger(port) || port < 0 || port > 65535) return SpeakerError.config("listener.port", "expected 0 to 65535")
        want = { address: d.listener.address, port }
      }
      const settings: Array<PeerModule.Settings> = []
      const names = new Set<string>()
      for (let i = 0; i < (d.peers ?? []).length; i++) {
        const s = PeerModule.settings(d.peers[i]!, `peers[${i}]`)
        if (s instanceof SpeakerError.SpeakerError) return s
        if (names.has(s.name)) return SpeakerError.config(`peers[${i}].name`, `another peer is named ${JSON.stringify(s.name)}`)
        if (settings.some((o) => Session.samePeer(o.matchAddress, s.matchAddress))) {
          return SpeakerError.config(`peers[${i}].address`, `another peer has the address ${s.address}`)
        }
        names.add(s.name)
        settings.push(s)
      }
      const table = LocalRoutes.compile(d.routes ?? [], local)
      if (table instanceof SpeakerError.SpeakerError) return table
      return { global: { routerId: id.right, localAs: d.localAs }, listener: want, peers: settings, local: table }
    }

    /**
     * What `apply` does under the lock. Sessions it ends are only signalled
     * there: `finish` lets their NOTIFICATIONs drain and closes them, and
     * `start` are the peers whose new session starts after that, so a peer
     * still sees the NOTIFICATION and the close before the new connection.
     */
    const applyLocked = (
      d: DesiredState
    ): Effect.Effect<
      { readonly result: ApplyResult; readonly finish: ReadonlyArray<Effect.Effect<void>>; readonly start: ReadonlyArray<Peer> },
      SpeakerError.SpeakerError
    > =>
      locked(
        Effect.gen(function* () {
          if (stopped) return yield* Effect.fail(new SpeakerError.SpeakerError({ reason: "Stopped", path: "", detail: "the speaker was stopped" }))
          const c = check(d)
          if (c instanceof SpeakerError.SpeakerError) return yield* Effect.fail(c)
          const listenerChanged = yield* applyListener(c.listener)

          const added: Array<string> = []
          const removed: Array<string> = []
          const reset: Array<{ readonly peer: string; readonly changed: ReadonlyArray<string> }> = []
          const updated: Array<string> = []
          const finish: Array<Effect.Effect<void>> = []
          const start: Array<Peer> = []

          const wanted = new Map(c.peers.map((s, i) => [s.name, { s, i }]))
          // Router id and local AS are in every session: a change resets them all (peers that stay).
          const globalChanged = global !== undefined && (global.routerId !== c.global.routerId || global.localAs !== c.global.localAs)
          if (globalChanged) {
            const changed = [
              ...(global!.routerId !== c.global.routerId ? ["routerId"] : []),
              ...(global!.localAs !== c.global.localAs ? ["localAs"] : [])
            ]
            for (const p of [...peers.values()]) {
              const name = p.settings.name
              if (!wanted.has(name)) {
                // Removed in the same apply: Cease 6/3, reported as removed, not as reset.
                finish.push(yield* removePeer(p, cease(Notification.CeaseSubcode.PeerDeconfigured)))
                removed.push(name)
                yield* emit({ _tag: "PeerRemoved", peer: name })
                continue
              }
              finish.push(yield* removePeer(p, cease(Notification.CeaseSubcode.OtherConfigurationChange)))
              reset.push({ peer: name, changed })
            }
          }
          if (core === undefined || globalChanged) core = RibCore.make({ localAs: c.global.localAs, routerId: c.global.routerId })
          global = c.global

          // Routes first, so new and moved peers see the new table.
          const changes = LocalRoutes.diff(local, c.local)
          local = c.local
          let routesAdded = 0
          let routesWithdrawn = 0
          let routesChanged = 0
          for (const ch of changes) {
            if (ch.before === undefined) routesAdded++
            else if (ch.after === undefined) routesWithdrawn++
            else routesChanged++
          }
          for (const g of groups.values()) {
            let touched = false
            let withdrawn = false
            for (const ch of changes) {
              if (!g.concerns(ch)) continue
              g.recompute(local, ch.family, ch.key)
              touched = true
              if (ch.after === undefined) withdrawn = true
            }
            g.prune(local)
            if (touched) yield* scheduleFlush(g, withdrawn ? Math.min(withdrawDelay, coalesce) : coalesce)
          }

          for (const p of [...peers.values()]) {
            if (!wanted.has(p.settings.name)) {
              // RFC 4486 §4: Cease 6/3 Peer De-configured.
              finish.push(yield* removePeer(p, cease(Notification.CeaseSubcode.PeerDeconfigured)))
              removed.push(p.settings.name)
              yield* emit({ _tag: "PeerRemoved", peer: p.settings.name })
            }
          }
          for (const [name, { s, i }] of wanted) {
            const p = peers.get(name)
            if (p === undefined) {
              // After a global change the peers come back once the old sessions are closed.
              const peer = yield* addPeer(s, i, !globalChanged)
              if (globalChanged) start.push(peer)
              else added.push(name)
              continue
            }
            p.index = i
            const fields = PeerModule.resetFields(p.settings, s)
            if (fields.length > 0) {
              finish.push(yield* resetPeer(p, s, fields))
              start.push(p)
              reset.push({ peer: name, changed: fields })
              continue
            }
            const soft = PeerModule.softChanged(p.settings, s)
            p.settings = s
            if (soft.rib) {
              // Import policy re-runs over the kept Adj-RIB-In (no route refresh needed); max-prefix re-checks.
              const diff = ribOf().configurePeer(p.ribId, PeerModule.ribConfig(s))
              yield* onAlerts(p, diff)
            }
            if (soft.rib || soft.export) updated.push(name)
          }
          // Export policy or route scopes changed: peers move to their new group and get only the difference.
          for (const p of peers.values()) {
            const before = p.group
            yield* regroup(p)
            if (before !== p.group && !updated.includes(p.settings.name) && !added.includes(p.settings.name)) updated.push(p.settings.name)
          }

          desired = d
          applies++
          const result: ApplyResult = {
            peersAdded: added,
            peersRemoved: removed,
            peersReset: reset,
            peersUpdated: updated,
            routesAdded,
            routesWithdrawn,
            routesChanged,
            listenerChanged
          }
          yield* emit({ _tag: "Applied", result })
          return { result, finish, start }
        })
      )

    const apply = (d: DesiredState): Effect.Effect<ApplyResult, SpeakerError.SpeakerError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const { finish, result, start } = yield* restore(applyLocked(d))
          if (finish.length === 0 && start.length === 0) return result
          // Every NOTIFICATION was signalled under the lock; the drains (up to 5 s each) run together, outside it,
          // then the reset peers start again. On a fiber of the speaker's scope: it runs to its end even when the
          // caller stops waiting (else a reset peer could stay without a session).
          const tail = Effect.zipRight(
            Effect.forEach(finish, (f) => f, { concurrency: "unbounded", discard: true }),
            locked(
              Effect.forEach(
                start,
                // A later apply may have removed the peer, or started its session, meanwhile.
                (p) => (stopped || p.removed || peers.get(p.settings.name) !== p || p.session !== undefined ? Effect.void : startSession(p)),
                { discard: true }
              )
            )
          )
          const fiber = yield* Effect.forkIn(Effect.interruptible(tail), speakerScope)
          yield* restore(Fiber.join(fiber))
          return result
        })
      )

    // --- stop --------------------------------------------------------------------------------------------------

    // A queue's size is negative while a taker waits: nothing is queued then either.
    const drained = (peer: Peer): boolean => !peer.sending && queued(peer.outbox) <= 0

    const stop = (o: StopOptions = {}) =>
      Effect.gen(function* () {
        const proceed = yield* locked(
          Effect.gen(function* () {
            if (stopped) return false
            stopped = true
            // What was waiting for the coalescing window goes out before the sessions end.
            yield* FiberMap.clear(flushers)
            for (const g of groups.values()) yield* flushGroup(g)
            return true
          })
        )
        if (!proceed) return
        const all = [...peers.values()]
        yield* Effect.ignore(Effect.timeout(until(sent, () => all.every(drained)), "5 seconds"))
        yield* locked(
          Effect.gen(function* () {
            const reason = o.reason ?? "administrative shutdown"
            yield* Effect.forEach(
              all,
              (p) => {
                // RFC 4724 §4.2: a TCP close without NOTIFICATION lets the peer keep our routes while we restart.
                const graceful = o.gracefulRestart === true && p.current?.gracefulRestart !== undefined
                return endSession(p, graceful ? "sever" : Notification.shutdown(Notification.CeaseSubcode.AdministrativeShutdown, reason))
              },
              { concurrency: "unbounded", discard: true }
            )
            yield* closeListener
            yield* Effect.logInfo(`speaker stopped${o.gracefulRestart === true ? " (graceful restart)" : ""}`)
          })
        )
      })

    yield* Effect.addFinalizer(() => stop())

    // --- introspection ---------------------------------------------------------------------------------------

    const findPeer = (name: string): Peer | undefined => {
      const byName = peers.get(name)
      if (byName !== undefined) return byName
      for (const p of peers.values()) if (Session.samePeer(name, p.settings.matchAddress)) return p
      return undefined
    }

    const counts = (c: PeerTransport.Counts): Introspection.MessageCounters => ({
      total: c[0]!,
      open: c[1]!,
      update: c[2]!,
      notification: c[3]!,
      keepalive: c[4]!,
      routeRefresh: c[5]!
    })

    const status = (p: Peer, now: number): Effect.Effect<Introspection.PeerStatus> =>
      Effect.gen(function* () {
        const state = p.session === undefined ? "Idle" : yield* p.session.state
        const ribStats = new Map(ribOf().stats(p.ribId).families.map((f) => [f.family, f]))
        const g: UpdateGroup<Peer> | undefined = p.group
        const inSync = g !== undefined && g.members.has(p)
        return {
          name: p.settings.name,
          address: p.settings.address,
          port: p.settings.port,
          asn: p.settings.asn,
          localAddress: p.settings.localAddress ?? p.transport.localAddress(),
          passive: p.settings.passive,
          state,
          uptime: p.establishedAt === undefined ? 0 : Math.floor((now - p.establishedAt) / 1000),
          establishedAt: p.establishedAt,
          establishedCount: p.establishedCount,
          negotiated: p.current === undefined ? undefined : Introspection.negotiatedView(p.current),
          messages: { received: counts(p.transport.received), sent: counts(p.transport.sent) },
          families: p.settings.families.map((f) => {
            const s = ribStats.get(f)
            return {
              family: PeerModule.familyNameOf(f),
              received: s?.received ?? 0,
              accepted: s?.accepted ?? 0,
              advertised: inSync ? g.advertisedCount(f) : 0,
              notSent: inSync ? g.unsendableCount(f) : 0,
              stale: s?.stale ?? 0
            }
          }),
          lastError: p.lastError,
          gracefulRestart: p.helper,
          updateGroup: g?.id,
          maxPrefixRestartAt: p.maxPrefixRestartAt
        }
      })

    const peerList = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const list = [...peers.values()].sort((a, b) => a.index - b.index)
      return yield* Effect.forEach(list, (p) => status(p, now))
    })

    const routes = (q: Introspection.RouteQuery): Effect.Effect<ReadonlyArray<Introspection.RouteView>, SpeakerError.SpeakerError> =>
      Effect.gen(function* () {
        const p = findPeer(q.peer)
        if (p === undefined) return yield* Effect.fail(new SpeakerError.SpeakerError({ reason: "UnknownPeer", path: q.peer, detail: "no such peer" }))
        const families = q.family === undefined ? p.settings.families : [PeerModule.familyKey(q.family)]
        const limit = q.limit ?? Number.POSITIVE_INFINITY
        const out: Array<Introspection.RouteView> = []
        for (const f of families) {
          if (f === undefined) continue
          const name = PeerModule.familyNameOf(f)
          if (q.direction === "advertised") {
            const g: UpdateGroup<Peer> | undefined = p.group
            if (g === undefined || !g.members.has(p)) continue
            for (const [k, set] of g.advertised(f)) {
              if (out.length >= limit) return out
              out.push(Introspection.routeView(name, Keys.format(k), set.attributes, { stale: false, llgrStale: false, accepted: true }))
            }
            continue
          }
          const rib = ribOf()
          const afi = Family.afiOf(f)
          const accepted = new Set<string>()
          for (const r of rib.adjRibIn(p.ribId, f, "post")) accepted.add(`${String(Keys.ofBytes(afi, r.prefix.address, 0, r.prefix.length))}|${r.pathId}`)
          for (const r of rib.adjRibIn(p.ribId, f, "pre")) {
            if (out.length >= limit) return out
            const key = Keys.ofBytes(afi, r.prefix.address, 0, r.prefix.length)
            out.push(
              Introspection.routeView(name, Keys.format(key), r.attributes.attributes, {
                stale: r.stale,
                llgrStale: r.llgrStale,
                accepted: accepted.has(`${String(key)}|${r.pathId}`),
                pathId: r.pathId
              })
            )
          }
        }
        return out
      }).pipe(locked)

    const speaker: Speaker = {
      apply,
      desired: Effect.sync(() => desired),
      peers: locked(peerList),
      peer: (name) =>
        locked(
          Effect.gen(function* () {
            const p = findPeer(name)
            if (p === undefined) return yield* Effect.fail(new SpeakerError.SpeakerError({ reason: "UnknownPeer", path: name, detail: "no such peer" }))
            return yield* status(p, yield* Clock.currentTimeMillis)
          })
        ),
      routes,
      counters: Effect.sync(() => ({
        peers: peers.size,
        established: [...peers.values()].filter((p) => p.current !== undefined).length,
        localRoutes: LocalRoutes.counts(local),
        updateGroups: groups.size,
        encodes: stats.encodes,
        encodedMessages: stats.encodedMessages,
        rejectedConnections: rejected,
        applies
      })),
      listener: Effect.sync(() => (listener === undefined ? undefined : { address: listener.listener.local.address, port: listener.listener.local.port })),
      events: Stream.fromPubSub(hub),
      subscribe: PubSub.subscribe(hub),
      stop
    }
    return speaker
  })

const queued = <A>(q: Queue.Queue<A>): number => {
  const s = q.unsafeSize()
  return s._tag === "Some" ? s.value : 0
}
