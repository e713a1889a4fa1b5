/**
 * The reusable BGP speaker: a set of peers, each an `@kbgp/fsm` Session bound
 * to its Adj-RIB-In and to an update group's Adj-RIB-Out, plus an optional
 * listener. It is driven by one input, `apply(desired)`, which is idempotent
 * and diff-based: routes added or removed are sent as UPDATEs without touching
 * any session; a peer whose session settings changed is reset alone (Cease
 * 6/6), a removed peer gets Cease 6/3, an unchanged peer is not touched.
 *
 * ```ts
 * const speaker = yield* Speaker.make()
 * yield* speaker.apply({
 *   routerId: "192.0.2.1",
 *   localAs: 65001,
 *   listener: { address: "0.0.0.0" },
 *   peers: [{ address: "192.0.2.254", asn: 65000, gracefulRestart: {} }],
 *   routes: [{ prefix: "198.51.100.10/32", communities: ["65001:100"] }]
 * })
 * const peers = yield* speaker.peers
 * yield* speaker.stop({ gracefulRestart: true }) // routers keep our routes while we restart
 * ```
 *
 * Outbound: changes are coalesced for `Options.coalesce` (50 ms), packed into
 * full-size UPDATEs once per update group (peers with the same export policy
 * and encoding share the bytes), and End-of-RIB follows the initial table.
 * Graceful restart in both roles (RFC 4724, RFC 8538, RFC 9494), route
 * refresh (RFC 2918, RFC 7313), max-prefix (RFC 4486).
 */
import type { Transport } from "@kbgp/fsm"
import { Context, type Duration, type Effect, Layer, type Queue, type Scope, type Stream } from "effect"
import type { DesiredState, FamilyName } from "./DesiredState.js"
import type { Counters, HelperState, NegotiatedView, PeerStatus, RouteQuery, RouteView } from "./Introspection.js"
import type { SpeakerError } from "./SpeakerError.js"
import * as Impl from "./internal/SpeakerImpl.js"

/** Speaker-wide settings that are not part of the desired state (they do not change while it runs). */
export interface Options {
  /** How long outbound changes are collected before they are packed and sent. Default 50 ms. */
  readonly coalesce?: Duration.DurationInput
  /** How long withdrawals may wait (they go out promptly). Default 0: with the next flush. */
  readonly withdrawDelay?: Duration.DurationInput
  /**
   * RFC 4724 §3: we are restarting after a graceful stop. Peers with graceful
   * restart get the R bit (and F bits) in the first OPEN of each session, so
   * routers keep our routes until we re-send them and End-of-RIB. Default false.
   */
  readonly restarting?: boolean
  /** Per-session overrides for labs and tests (times in seconds). */
  readonly session?: {
    readonly idleHoldTime?: number
    readonly connectTimeout?: Duration.DurationInput
    readonly jitter?: boolean
    readonly dampPeerOscillations?: boolean
    /** Messages a session's `received` buffers before reading pauses. Default 1024. */
    readonly receiveBuffer?: number
  }
}

/** What `apply` changed. Empty arrays and zeros: nothing differed (nothing was sent). */
export interface ApplyResult {
  readonly peersAdded: ReadonlyArray<string>
  /** Removed peers (Cease 6/3 Peer De-configured). */
  readonly peersRemoved: ReadonlyArray<string>
  /** Peers whose session was reset because a session setting changed (Cease 6/6), with the settings. */
  readonly peersReset: ReadonlyArray<{ readonly peer: string; readonly changed: ReadonlyArray<string> }>
  /** Peers whose settings changed without a reset (policy, max-prefix, routes they get). */
  readonly peersUpdated: ReadonlyArray<string>
  /** Local prefixes (per prefix and target peers) added, withdrawn, and changed in attributes. */
  readonly routesAdded: number
  readonly routesWithdrawn: number
  readonly routesChanged: number
  readonly listenerChanged: boolean
}

export interface StopOptions {
  /**
   * Close sessions that negotiated graceful restart without a NOTIFICATION,
   * so the routers keep our routes as stale (RFC 4724 §4.2) until we are back;
   * the others get Cease 6/2. Default false: Cease 6/2 to everyone.
   */
  readonly gracefulRestart?: boolean
  /** RFC 9003 shutdown communication of the Cease 6/2. Default "administrative shutdown". */
  readonly reason?: string
}

/**
 * Why stale routes went: the peer's End-of-RIB, its restart time or stale-routes
 * time ran out, it came back without forwarding state, its EoRR (RFC 7313), or
 * the EoRR did not come within the stale-routes time.
 */
export type SweepReason = "end-of-rib" | "restart-time" | "stale-time" | "no-forwarding" | "enhanced-refresh" | "refresh-timeout"

/** What happens in the speaker, in order, for logs and tests. */
export type SpeakerEvent =
  | { readonly _tag: "PeerAdded"; readonly peer: string }
  | { readonly _tag: "PeerRemoved"; readonly peer: string }
  | { readonly _tag: "PeerReset"; readonly peer: string; readonly changed: ReadonlyArray<string> }
  | { readonly _tag: "PeerStateChanged"; readonly peer: string; readonly from: string; readonly to: string }
  | { readonly _tag: "PeerEstablished"; readonly peer: string; readonly negotiated: NegotiatedView }
  /** The session went down; `gracefulRestart` when the peer's routes are kept as stale. */
  | { readonly _tag: "PeerDown"; readonly peer: string; readonly reason: string; readonly gracefulRestart: boolean }
  | {
      readonly _tag: "Notification"
      readonly peer: string
      readonly direction: "sent" | "received"
      readonly code: number
      readonly subcode: number
      readonly description: string
      readonly shutdown?: string
    }
  | { readonly _tag: "EndOfRibReceived"; readonly peer: string; readonly family: FamilyName }
  | { readonly _tag: "EndOfRibSent"; readonly peer: string; readonly family: FamilyName }
  | { readonly _tag: "RouteRefreshReceived"; readonly peer: string; readonly family: FamilyName; readonly subtype: number }
  | { readonly _tag: "MaxPrefixExceeded"; readonly peer: string; readonly family: FamilyName; readonly limit: number; readonly count: number; readonly action: "restart" | "warn" }
  | { readonly _tag: "GracefulRestartChanged"; readonly peer: string; readonly state: HelperState }
  /** Stale routes removed: End-of-RIB arrived, a timer ran out, the peer came back without forwarding state. */
  | { readonly _tag: "StaleRoutesSwept"; readonly peer: string; readonly family: FamilyName; readonly count: number; readonly why: SweepReason }
  /**
   * Routes the export policy accepted that are not sent to these peers (their
   * update group): a next hop that does not fit the family (4 bytes for IPv4; 16
   * or 32 for IPv6), or attributes that cannot be encoded. Reported when a peer
   * joins the group and when routes become unsendable; the other routes go out.
   */
  | {
      readonly _tag: "RoutesNotSent"
      readonly peers: ReadonlyArray<string>
      readonly updateGroup: number
      readonly family: FamilyName
      readonly prefixes: ReadonlyArray<string>
      readonly reason: string
    }
  /** An inbound connection from an unknown address got Cease 6/5 Connection Rejected. */
  | { readonly _tag: "ConnectionRejected"; readonly remote: string }
  | { readonly _tag: "Applied"; readonly result: ApplyResult }

export interface Speaker {
  /**
   * Make the speaker match `desired`: validate, then change only what
   * differs. Idempotent: applying the same state again sends nothing. Fails
   * with "Config" (nothing changed), "Listener" (the listener could not be
   * opened; peers and routes were not touched) or "Stopped" after `stop`.
   */
  readonly apply: (desired: DesiredState) => Effect.Effect<ApplyResult, SpeakerError>
  /** The last applied desired state. */
  readonly desired: Effect.Effect<DesiredState | undefined>
  /** Every peer, in configuration order. */
  readonly peers: Effect.Effect<ReadonlyArray<PeerStatus>>
  /** One peer by name or address. */
  readonly peer: (name: string) => Effect.Effect<PeerStatus, SpeakerError>
  /** A peer's Adj-RIB-In or Adj-RIB-Out, with stale flags. */
  readonly routes: (query: RouteQuery) => Effect.Effect<ReadonlyArray<RouteView>, SpeakerError>
  readonly counters: Effect.Effect<Counters>
  /** The listener's bound address and port (the real port when configured as 0). */
  readonly listener: Effect.Effect<{ readonly address: string; readonly port: number } | undefined>
  /** Speaker events from the moment the stream runs. */
  readonly events: Stream.Stream<SpeakerEvent>
  /** Speaker events from the moment this effect runs (no gap between subscribing and reading). */
  readonly subscribe: Effect.Effect<Queue.Dequeue<SpeakerEvent>, never, Scope.Scope>
  /**
   * Stop every session and the listener (see `StopOptions`); returns once
   * connections are closed. Closing the speaker's scope does the same with
   * the defaults unless `stop` ran first.
   */
  readonly stop: (options?: StopOptions) => Effect.Effect<void>
}

export class Tag extends Context.Tag("@kbgp/speaker/Speaker")<Tag, Speaker>() {}

/** A speaker in the current scope, with no peers until the first `apply`. */
export const make = (options: Options = {}): Effect.Effect<Speaker, never, Transport.Transport | Scope.Scope> =>
  Impl.make(options)

/** The speaker as a layer (the transport comes from the context: `TcpTransport.layer` or `MemoryTransport`). */
export const layer = (options: Options = {}): Layer.Layer<Tag, never, Transport.Transport> => Layer.scoped(Tag, make(options))
