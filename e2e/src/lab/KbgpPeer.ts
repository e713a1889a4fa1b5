/**
 * kbgp's side of a lab peering: a `Session` (@kbgp/fsm) over the real TCP transport
 * (@kbgp/speaker), plus the listener a speaker would own, routing BIRD's inbound
 * connections to the session. Runs in the test process, which `Lab.make` moved into
 * the kbgp namespace. Every session event is recorded with a timestamp (for
 * assertions on order and spacing) and noted in the lab (for the failure dump).
 */
import { Config as FsmConfig, type Negotiation, Session, type State, Transport } from "@kbgp/fsm"
import { TcpTransport } from "@kbgp/speaker"
import { type Attributes, Family, Notification, Pack, Text } from "@kbgp/wire"
import { type Duration, Effect, Either, Option, Queue, type Scope, Stream } from "effect"
import * as Lab from "./Lab.js"
import * as LabError from "./LabError.js"
import * as Poll from "./Poll.js"

export interface Options {
  readonly family: "ipv4" | "ipv6"
  /** iBGP (kbgp in BIRD's AS) instead of eBGP. */
  readonly internal?: boolean
  /** Who connects: kbgp only ("active"), only BIRD ("passive"), or both ("both", the default). */
  readonly mode?: Session.Mode
  /** Hold time kbgp proposes (default 9 s). */
  readonly holdTime?: number
  /** Socket security for outgoing connections and for BIRD on the listener. */
  readonly security?: Transport.SocketSecurity
  /** FSM overrides: retry and idle-hold timers default to lab-short values. */
  readonly fsm?: Partial<Omit<FsmConfig.Config, "capabilities" | "localAs" | "peerAs" | "bgpId" | "holdTime">>
  /** Start at once (default true). */
  readonly autoStart?: boolean
  /**
   * Keep BIRD's inbound connections in `inbound` instead of handing them to the session,
   * so a test decides when the session sees them (`session.accept`).
   */
  readonly holdInbound?: boolean
  /**
   * How long one outgoing connect may take (default 3 s). A test that wants to see a connect fail
   * with its own reason (a wrong MD5 key: no SYN-ACK) sets it below the 2 s ConnectRetry time, so the
   * attempt times out before the FSM abandons it.
   */
  readonly connectTimeout?: Duration.DurationInput
}

export interface Timed {
  /** Milliseconds since the epoch, when the event was read. */
  readonly at: number
  readonly event: Session.SessionEvent
}

export interface KbgpPeer {
  readonly session: Session.Handle
  /** Every session event since the session was made, in order. */
  readonly events: ReadonlyArray<Timed>
  /** Inbound connections held back (with `holdInbound`), in arrival order. */
  readonly inbound: Queue.Queue<Transport.Connection>
  /** The address kbgp uses and the one it peers with. */
  readonly localAddress: string
  readonly peerAddress: string
}

/** One line for a session event, for notes and failure messages. */
export const describe = (e: Session.SessionEvent): string => {
  switch (e._tag) {
    case "StateChanged":
      return `state ${e.from} -> ${e.to} (${e.event})`
    case "Connected":
      return `connected (${e.initiator}) ${e.local.address}:${e.local.port} -> ${e.remote.address}:${e.remote.port}`
    case "ConnectFailed":
      return `connect failed: ${e.error.message}`
    case "Refused":
      return `refused inbound ${e.remote.address}:${e.remote.port}: ${e.detail}`
    case "Established":
      return `established: hold ${e.negotiated.holdTime} s, peer AS ${e.negotiated.peerAs}, ${e.negotiated.ebgp ? "eBGP" : "iBGP"}`
    case "NotificationSent":
      return `NOTIFICATION sent: ${info(e.info)}`
    case "NotificationReceived":
      return `NOTIFICATION received: ${info(e.info)}`
    case "Down":
      return `down: ${e.reason._tag}`
    case "CollisionResolved":
      return `collision resolved, kept ${e.kept}`
  }
}

const info = (i: Session.NotificationInfo): string =>
  `${i.notification.code}/${i.notification.subcode} ${i.description}${i.shutdown !== undefined ? ` "${i.shutdown.text}"` : ""}`

const bgpId = (address: string): number => Either.getOrThrow(Text.ipv4ToNumber(address))

/**
 * Starts kbgp's session towards BIRD in the current scope, with a listener on kbgp's
 * address (port 179) unless the mode is "active". Closing the scope stops the session
 * (Cease) and the listener.
 */
export const start = (
  lab: Lab.Lab,
  o: Options
): Effect.Effect<KbgpPeer, LabError.LabError | Transport.TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const v6 = o.family === "ipv6"
    const localAddress = v6 ? lab.kbgp.v6 : lab.kbgp.v4
    const peerAddress = v6 ? lab.bird.v6 : lab.bird.v4
    const mode = o.mode ?? "both"
    const transport = TcpTransport.make()
    const fsm = FsmConfig.make({
      localAs: o.internal ? Lab.BIRD_AS : Lab.KBGP_AS,
      peerAs: Lab.BIRD_AS,
      bgpId: bgpId(lab.kbgp.v4),
      holdTime: o.holdTime ?? 9,
      connectRetryTime: 2,
      // OpenSent's "large value" (RFC 4271 §8.2.2 suggests 4 minutes) bounds how long a connection
      // into a frozen or rejecting BIRD can hang; short in the lab so recovery stays quick.
      openHoldTime: 10,
      idleHoldTime: 1,
      idleHoldTimeMax: 8,
      ...o.fsm,
      capabilities: { families: [v6 ? Family.Ipv6Unicast : Family.Ipv4Unicast] }
    })
    // The listener before the session: scopes close in reverse, so the session stops (and sends its
    // Cease on a connection the listener accepted) before the listener and its connections go.
    const listener =
      mode === "active"
        ? undefined
        : yield* Effect.tap(transport.listen({ address: localAddress, port: 179 }), (l) => l.setPeer(peerAddress, o.security))
    const session = yield* Session.make({
      peerAddress,
      localAddress,
      mode,
      fsm,
      connectTimeout: o.connectTimeout ?? "3 seconds",
      receive: false,
      autoStart: false,
      ...(o.security !== undefined ? { security: o.security } : {})
    }).pipe(Effect.provideService(Transport.Transport, transport))

    const events: Array<Timed> = []
    const queue = yield* session.subscribe
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.map(Queue.take(queue), (event) => {
          events.push({ at: Date.now(), event })
          Lab.note(lab, `kbgp ${o.family}: ${describe(event)}`)
        })
      )
    )

    const inbound = yield* Queue.unbounded<Transport.Connection>()
    if (listener !== undefined) {
      yield* Effect.forkScoped(
        Stream.runForEach(listener.connections, (c) =>
          !Session.samePeer(c.remote.address, peerAddress)
            ? Effect.zipRight(Effect.sync(() => Lab.note(lab, `listener: unknown peer ${c.remote.address}`)), c.close)
            : o.holdInbound
              ? Effect.zipRight(
                  Effect.sync(() => Lab.note(lab, `listener: holding inbound ${c.remote.address}:${c.remote.port}`)),
                  Queue.offer(inbound, c)
                )
              : session.accept(c)
        )
      )
    }
    if (o.autoStart ?? true) yield* session.start
    return { session, events, inbound, localAddress, peerAddress }
  })

/**
 * Waits until an event recorded at index `from` or later satisfies `match`, and
 * returns it with its index. Polls the record, so events that came before the call are found too.
 */
export const waitEvent = <A>(
  peer: KbgpPeer,
  match: (e: Session.SessionEvent) => A | undefined,
  opts: { readonly what: string; readonly from?: number; readonly timeout?: Duration.DurationInput }
): Effect.Effect<{ readonly value: A; readonly index: number; readonly at: number }, LabError.LabError> =>
  Poll.until(
    Effect.sync(() => {
      for (let i = opts.from ?? 0; i < peer.events.length; i++) {
        const t = peer.events[i]!
        const value = match(t.event)
        if (value !== undefined) return Option.some({ value, index: i, at: t.at })
      }
      return Option.none()
    }),
    { what: `kbgp: ${opts.what}`, timeout: opts.timeout ?? "30 seconds", interval: "50 millis" }
  )

/** A session event, as `events` records it. */
export type SessionEvent = Session.SessionEvent

/** A `waitEvent` matcher: the session reached Established. */
export const established = (e: SessionEvent): Extract<SessionEvent, { _tag: "Established" }> | undefined =>
  e._tag === "Established" ? e : undefined

/** A `waitEvent` matcher: the session went down. */
export const down = (e: SessionEvent): Extract<SessionEvent, { _tag: "Down" }> | undefined => (e._tag === "Down" ? e : undefined)

/** Waits until the session is in `state` (checked on the session itself). */
export const waitState = (
  peer: KbgpPeer,
  state: State.Name,
  timeout: Duration.DurationInput = "30 seconds"
): Effect.Effect<void, LabError.LabError> =>
  Poll.until(
    Effect.map(peer.session.state, (s) => (s === state ? Option.some(undefined) : Option.none())),
    { what: `kbgp session ${state}`, timeout, interval: "50 millis" }
  )

/** The NOTIFICATIONs sent so far. */
export const notificationsSent = (peer: KbgpPeer): Array<Session.NotificationInfo> =>
  peer.events.flatMap((t) => (t.event._tag === "NotificationSent" ? [t.event.info] : []))

/** Hold Timer Expired (RFC 4271 §6.5). */
export const isHoldTimerExpired = (i: Session.NotificationInfo): boolean =>
  i.notification.code === Notification.ErrorCode.HoldTimerExpired && i.notification.subcode === 0

/**
 * Advertises `prefixes` (one family) with `attributes`: packed with `Pack.packUpdates` in
 * the session's negotiated send context and queued through `Session.send`, which refuses
 * them if that session is no longer the current one. The next hop is `nextHop` (default:
 * kbgp's address in the prefixes' family). Returns the number of UPDATEs sent.
 */
export const advertise = (
  peer: KbgpPeer,
  attributes: Attributes.Attributes,
  prefixes: ReadonlyArray<string>,
  nextHop?: string
): Effect.Effect<number, LabError.LabError> =>
  Effect.gen(function* () {
    const negotiated: Negotiation.Negotiated | undefined = Option.getOrUndefined(yield* peer.session.negotiated)
    if (negotiated === undefined) return yield* Effect.fail(LabError.make("Setup", "advertise: session not Established"))
    const parsed = Text.prefixesFromText(prefixes)
    if (Either.isLeft(parsed)) return yield* Effect.fail(LabError.make("Setup", `advertise: ${parsed.left.message}`))
    const v6 = prefixes[0]?.includes(":") ?? false
    const hop = Text.parseAddress(nextHop ?? peer.localAddress)
    if (Either.isLeft(hop)) return yield* Effect.fail(LabError.make("Setup", `advertise: ${hop.left.message}`))
    const messages = Pack.packUpdates(
      attributes,
      { afi: v6 ? Family.Afi.Ipv6 : Family.Afi.Ipv4, safi: Family.Safi.Unicast, prefixes: parsed.right, nextHop: hop.right.bytes },
      negotiated.tx
    )
    yield* peer.session.send(messages, { session: negotiated }).pipe(
      Effect.mapError((e) => LabError.make("Command", `advertise: ${e.message}`))
    )
    return messages.length
  })
