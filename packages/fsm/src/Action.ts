/**
 * FSM outputs as data. `transition` returns them in the order the driver must
 * carry them out (e.g. a NOTIFICATION is sent before the connection drops).
 */
import type { Message } from "@kbgp/wire"
import type { Negotiated } from "./Negotiation.js"

/**
 * Timers by name. The first five are RFC 4271 §8's; SendHold is RFC 9687's;
 * Stable (ours) measures how long a session stayed Established, to reset the
 * idle-hold backoff (`Config.dampingResetTime`).
 */
export type TimerName = "ConnectRetry" | "Hold" | "Keepalive" | "DelayOpen" | "IdleHold" | "SendHold" | "Stable"

export const timerNames: ReadonlyArray<TimerName> = ["ConnectRetry", "Hold", "Keepalive", "DelayOpen", "IdleHold", "SendHold", "Stable"]

export interface SendOpen { readonly _tag: "SendOpen"; readonly open: Message.Open }
export interface SendKeepalive { readonly _tag: "SendKeepalive" }
/** Send, then the driver flushes before any following DropConnection. */
export interface SendNotification { readonly _tag: "SendNotification"; readonly notification: Message.Notification }
/**
 * (Re)start a timer: a running timer of the same name is replaced (FiberMap
 * semantics). `millis` already includes any jitter. When it fires, the driver
 * feeds `Event.timerExpired(timer)`.
 */
export interface StartTimer { readonly _tag: "StartTimer"; readonly timer: TimerName; readonly millis: number }
/** Stop a timer; stopping one that does not run is a no-op. */
export interface StopTimer { readonly _tag: "StopTimer"; readonly timer: TimerName }
/**
 * RFC 4271 §8.2.2 "initiates a TCP connection to the other BGP peer": success
 * is fed back as `Tcp_CR_Acked`, failure as `TcpConnectionFails`.
 */
export interface Connect { readonly _tag: "Connect" }
/** Close the current TCP connection (after flushing what was sent), and abandon an outgoing attempt in progress. */
export interface DropConnection { readonly _tag: "DropConnection" }
/**
 * RFC 4271 §8.2.2 "releases all BGP resources": per-connection state such as
 * decode contexts and queued output. Routes are the RIB's business: see `SessionDown`.
 */
export interface ReleaseResources { readonly _tag: "ReleaseResources" }
/** Hand a received UPDATE to the RIB. */
export interface DeliverUpdate { readonly _tag: "DeliverUpdate"; readonly update: Message.Update }
/** Hand a received ROUTE-REFRESH to the RIB (re-advertise Adj-RIB-Out for the family). */
export interface DeliverRouteRefresh { readonly _tag: "DeliverRouteRefresh"; readonly message: Message.RouteRefresh }
/** The session reached Established: start decoding with `negotiated.rx`, encoding with `negotiated.tx`, advertise routes. */
export interface SessionEstablished { readonly _tag: "SessionEstablished"; readonly negotiated: Negotiated }
/**
 * A connection that had reached OpenSent or later was given up. `negotiated`
 * is set when it had been Established (so the RIB can apply graceful restart
 * or flush the peer's routes).
 */
export interface SessionDown {
  readonly _tag: "SessionDown"
  readonly reason: DownReason
  readonly negotiated: Negotiated | undefined
}

export type Action =
  | SendOpen
  | SendKeepalive
  | SendNotification
  | StartTimer
  | StopTimer
  | Connect
  | DropConnection
  | ReleaseResources
  | DeliverUpdate
  | DeliverRouteRefresh
  | SessionEstablished
  | SessionDown

/** Why a session went down. */
export type DownReason =
  /** We sent this NOTIFICATION (an error we detected, a timer, a stop, a collision); `detail` is for logs. */
  | { readonly _tag: "NotificationSent"; readonly notification: Message.Notification; readonly detail: string }
  /** The peer sent this NOTIFICATION. */
  | { readonly _tag: "NotificationReceived"; readonly notification: Message.Notification }
  /** The TCP connection failed or the peer closed it without a NOTIFICATION. */
  | { readonly _tag: "ConnectionLost" }
