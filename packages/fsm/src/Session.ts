/**
 * The Effect driver of one BGP peer: it connects through a `Transport` (and
 * takes the inbound connections a listener owner hands it), frames and decodes
 * what arrives in the negotiated receive context, feeds the pure `Fsm`, and
 * carries out its actions — sends, timers on Effect's Clock (so TestClock
 * drives them), connects and drops. While two connections to the peer are in
 * flight, each runs its own FSM and RFC 4271 §6.8 collision detection keeps
 * exactly one.
 *
 * ```ts
 * const session = yield* Session.make({
 *   peerAddress: "192.0.2.1",
 *   localAddress: "192.0.2.2",
 *   fsm: Config.make({ localAs: 65001, peerAs: 65000, bgpId: 0xc0000202 })
 * })
 * yield* session.awaitState("Established")
 * yield* session.send(Pack.packUpdates(attributes, routes, negotiated.tx))
 * ```
 *
 * Closing the scope stops the session: a Cease 6/2 with the RFC 9003 shutdown
 * communication "administrative shutdown" when a connection is open, then close.
 */
import { Data, type Duration, type Effect, Either, type Option, type Queue, type Scope, type Stream } from "effect"
import { Text } from "@kbgp/wire"
import type { Family, Message, Notification as NotificationTypes } from "@kbgp/wire"
import type * as Action from "./Action.js"
import type * as Collision from "./Collision.js"
import type * as FsmConfig from "./Config.js"
import type * as Event from "./Event.js"
import type { Negotiated } from "./Negotiation.js"
import type * as State from "./State.js"
import type { Connection, Endpoint, SocketSecurity, Transport, TransportError } from "./Transport.js"
import * as Driver from "./internal/Driver.js"

/** Who may open the TCP connection. */
export type Mode =
  /** Only connect; inbound connections from the peer are refused. */
  | "active"
  /** Only listen: never connect (sets `FsmConfig.passive`). */
  | "passive"
  /** Connect and accept; collisions are resolved per RFC 4271 §6.8. */
  | "both"

export interface Config {
  /** The peer's address (IPv4 or IPv6 text), matched against inbound connections' remote address. */
  readonly peerAddress: string
  /** Default 179. */
  readonly peerPort?: number
  /** Local address to bind outgoing connections to. */
  readonly localAddress?: string
  readonly localPort?: number
  /** Default: "passive" when `fsm.passive`, else "both". Overrides `fsm.passive`. */
  readonly mode?: Mode
  /** TCP-MD5 and TTL settings for outgoing connections (the listener owner applies them to its socket). */
  readonly security?: SocketSecurity
  /** How long one outgoing connect may take. Default 30 seconds. */
  readonly connectTimeout?: Duration.DurationInput
  /** The FSM: AS numbers, router id, hold/keepalive, capabilities, retry and idle-hold backoff (`Config.make`). */
  readonly fsm: FsmConfig.Config
  /** Start at once (ManualStart). Default true; with false, call `start`. */
  readonly autoStart?: boolean
  /**
   * Deliver UPDATEs and ROUTE-REFRESHes on `received`. Default true. With
   * false they are dropped after the FSM saw them (a session that only needs
   * to be up, e.g. in a lab).
   */
  readonly receive?: boolean
  /** Messages `received` buffers before the session stops reading from the socket. Default 1024. */
  readonly receiveBuffer?: number
  /** Bytes queued for sending above which `send` waits. Default 1 MiB. */
  readonly sendBuffer?: number
  /** Target size of one socket write. Default 64 KiB. */
  readonly writeSize?: number
  /** How long closing waits for queued bytes to drain before it closes anyway. Default 5 seconds. */
  readonly closeTimeout?: Duration.DurationInput
  /** Seed of the FSM's timer jitter (`State.initial`); default from Effect's Random. */
  readonly seed?: number
}

/** A NOTIFICATION with its names and RFC 9003 shutdown communication, for logs and events. */
export interface NotificationInfo {
  readonly notification: Message.Notification
  /** "Cease / Administrative Shutdown"; for an RFC 8538 Hard Reset, the wrapped one too. */
  readonly description: string
  /** RFC 9003 text of a Cease 6/2 or 6/4 (also inside a Hard Reset). */
  readonly shutdown?: NotificationTypes.ShutdownCommunication
}

export type SessionEvent =
  /** The session's state changed (the connection that carries the session; a second one during a collision is not reported). */
  | { readonly _tag: "StateChanged"; readonly from: State.Name; readonly to: State.Name; readonly event: Event.Tag }
  /** A TCP connection to the peer is up: ours (`local`) or the peer's (`remote`). */
  | {
      readonly _tag: "Connected"
      readonly initiator: Collision.Initiator
      readonly local: Endpoint
      readonly remote: Endpoint
    }
  /** An outgoing connect failed (refused, timed out, …); the FSM retries. */
  | { readonly _tag: "ConnectFailed"; readonly error: TransportError }
  /** An inbound connection was refused (mode "active", Idle, or a third connection). */
  | { readonly _tag: "Refused"; readonly remote: Endpoint; readonly detail: string }
  | { readonly _tag: "Established"; readonly negotiated: Negotiated }
  | { readonly _tag: "NotificationSent"; readonly info: NotificationInfo }
  | { readonly _tag: "NotificationReceived"; readonly info: NotificationInfo }
  /** A connection that had reached OpenSent or later was given up; `negotiated` is set when it had been Established. */
  | { readonly _tag: "Down"; readonly reason: Action.DownReason; readonly negotiated: Negotiated | undefined }
  /** RFC 4271 §6.8: two connections collided; the one opened by `kept` survives. */
  | { readonly _tag: "CollisionResolved"; readonly kept: Collision.Initiator }

/**
 * What `received` carries, in arrival order: the peer's UPDATEs (RFC 7606
 * `issues` and `treatAsWithdraw` included) and ROUTE-REFRESHes (a request, or
 * RFC 7313 BoRR/EoRR markers), framed by the session boundaries so a consumer
 * never mixes routes of two sessions.
 */
export type Received = Message.Update | Message.RouteRefresh | Action.SessionEstablished | Action.SessionDown

export type SessionErrorReason =
  /** The session is not Established (or not the one `send` was told to expect). */
  | "NotEstablished"
  /** The connection closed while the call waited. */
  | "ConnectionClosed"
  /** The peer did not negotiate what the call needs (route refresh). */
  | "Unsupported"

export class SessionError extends Data.TaggedError("SessionError")<{
  readonly reason: SessionErrorReason
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

export interface SendOptions {
  /** Fail with NotEstablished unless this is still the current session (the messages were encoded for its `tx`). */
  readonly session?: Negotiated
}

export interface Handle {
  /** The peer's address and port, as configured. */
  readonly peer: Endpoint
  /** The current state of the session. */
  readonly state: Effect.Effect<State.Name>
  /** The current state, then every change. */
  readonly states: Stream.Stream<State.Name>
  /** Wait until the session is in `state` (at once when it already is). */
  readonly awaitState: (state: State.Name) => Effect.Effect<void>
  /** What both OPENs agreed, while OpenConfirm or Established. */
  readonly negotiated: Effect.Effect<Option.Option<Negotiated>>
  /** Session events from the moment the stream runs. */
  readonly changes: Stream.Stream<SessionEvent>
  /** Session events from the moment this effect runs (no gap between subscribing and reading). */
  readonly subscribe: Effect.Effect<Queue.Dequeue<SessionEvent>, never, Scope.Scope>
  /**
   * UPDATEs and ROUTE-REFRESHes with session markers (see `Received`), for one
   * consumer. When it lags by `receiveBuffer` messages the session stops
   * reading the socket (TCP backpressure to the peer); time spent so does not
   * count against the hold timer.
   */
  readonly received: Stream.Stream<Received>
  /**
   * Queue encoded messages (`Pack` output in `negotiated.tx`) for the peer;
   * they go out coalesced into large writes. Waits while the send buffer is
   * full. Fails unless Established.
   */
  readonly send: (messages: ReadonlyArray<Uint8Array>, options?: SendOptions) => Effect.Effect<void, SessionError>
  /** Ask the peer to re-send a family (RFC 2918); RFC 7313 subtypes 1/2 need enhanced route refresh. */
  readonly routeRefresh: (afi: Family.Afi, safi: Family.Safi, subtype?: number) => Effect.Effect<void, SessionError>
  /** ManualStart (after `autoStart: false` or `stop`). */
  readonly start: Effect.Effect<void>
  /**
   * ManualStop: a Cease 6/2 carrying `reason` as the RFC 9003 shutdown
   * communication (default "administrative shutdown") on any open connection,
   * then close; the session stays Idle until `start`. Returns once the
   * connections are closed.
   */
  readonly stop: (reason?: string) => Effect.Effect<void>
  /**
   * Feed an administrative event to the FSM, e.g. `Event.maxPrefixesExceeded(afi, safi, limit)`
   * (AutomaticStop: Cease 6/1, restart after the idle hold).
   */
  readonly signal: (event: Event.Event) => Effect.Effect<void>
  /**
   * Hand over an inbound connection whose remote address is this peer's (the
   * listener owner routes by `connection.remote.address`). The session owns it
   * from now on: true when taken, false when refused (it is then closed).
   */
  readonly accept: (connection: Connection) => Effect.Effect<boolean>
}

/** Names and RFC 9003 text of a NOTIFICATION (looking inside an RFC 8538 Hard Reset), as `SessionEvent`s carry them. */
export const describeNotification: (notification: Message.Notification) => NotificationInfo = Driver.describeNotification

/** Start a session for one peer in the current scope. */
export const make = (config: Config): Effect.Effect<Handle, never, Transport | Scope.Scope> => Driver.make(config)

/** Address bytes, with an IPv4-mapped IPv6 address (how a dual-stack listener reports IPv4 peers) as IPv4. */
const addressKey = (text: string): string | undefined => {
  const parsed = Text.parseAddress(text)
  if (Either.isLeft(parsed)) return undefined
  const b = parsed.right.bytes
  const mapped = b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff
  return (mapped ? b.subarray(12) : b).join(".")
}

/**
 * Whether two address texts name the same peer ("2001:db8::1" and
 * "2001:0db8:0:0::1", "::ffff:192.0.2.1" and "192.0.2.1"): what a listener
 * owner uses to route `connection.remote.address` to a session's `peer.address`.
 */
export const samePeer = (a: string, b: string): boolean => {
  const ka = addressKey(a)
  return ka !== undefined && ka === addressKey(b)
}
