/**
 * FSM input events, named after RFC 4271 §8.1 (the number in each comment is
 * the RFC's event number), plus RFC 9687's send hold timer, a route-refresh
 * message event and the Stable timer that ends idle-hold damping. Messages
 * arrive already decoded; a decode failure arrives as the matching error event
 * carrying the `WireError` (which is the NOTIFICATION to send).
 */
import type { Message, WireError } from "@kbgp/wire"
import { Notification } from "@kbgp/wire"
import type { TimerName } from "./Action.js"

// --- Administrative events (RFC 4271 §8.1.2) -------------------------------

/** 1 */
export interface ManualStart { readonly _tag: "ManualStart" }
/**
 * 2. `notification` overrides the Cease sent when a connection is open
 * (default 6/2 Administrative Shutdown; use `Notification.shutdown` for an
 * RFC 9003 shutdown communication).
 */
export interface ManualStop { readonly _tag: "ManualStop"; readonly notification?: Message.Notification }
/** 3 */
export interface AutomaticStart { readonly _tag: "AutomaticStart" }
/** 4 */
export interface ManualStart_with_PassiveTcpEstablishment { readonly _tag: "ManualStart_with_PassiveTcpEstablishment" }
/** 5 */
export interface AutomaticStart_with_PassiveTcpEstablishment { readonly _tag: "AutomaticStart_with_PassiveTcpEstablishment" }
/** 6 */
export interface AutomaticStart_with_DampPeerOscillations { readonly _tag: "AutomaticStart_with_DampPeerOscillations" }
/** 7 */
export interface AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment {
  readonly _tag: "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment"
}
/**
 * 8. The local system stops the session by itself, e.g. the RIB layer saw
 * too many prefixes (build that one with `maxPrefixesExceeded`). The session
 * stays enabled: it restarts after the idle hold time, which counts this as a
 * failure. `notification` is the Cease to send (default 6/6 Other
 * Configuration Change).
 */
export interface AutomaticStop { readonly _tag: "AutomaticStop"; readonly notification?: Message.Notification }

// --- Timer events (RFC 4271 §8.1.3, RFC 9687) ------------------------------

/** 9 */
export interface ConnectRetryTimer_Expires { readonly _tag: "ConnectRetryTimer_Expires" }
/** 10 */
export interface HoldTimer_Expires { readonly _tag: "HoldTimer_Expires" }
/** 11 */
export interface KeepaliveTimer_Expires { readonly _tag: "KeepaliveTimer_Expires" }
/** 12 */
export interface DelayOpenTimer_Expires { readonly _tag: "DelayOpenTimer_Expires" }
/** 13 */
export interface IdleHoldTimer_Expires { readonly _tag: "IdleHoldTimer_Expires" }
/** RFC 9687 §4: we could not send for SendHoldTime. */
export interface SendHoldTimer_Expires { readonly _tag: "SendHoldTimer_Expires" }
/** Not in the RFC: the session stayed Established for `Config.dampingResetTime`; past failures are forgotten. */
export interface StableTimer_Expires { readonly _tag: "StableTimer_Expires" }

// --- TCP connection events (RFC 4271 §8.1.4) -------------------------------

/** 14: an incoming connection request with a valid source (the listener already matched it to this peer). */
export interface TcpConnection_Valid { readonly _tag: "TcpConnection_Valid" }
/** 15: an incoming connection request that is not valid for this peer; ignored. */
export interface Tcp_CR_Invalid { readonly _tag: "Tcp_CR_Invalid" }
/** 16: our outgoing connection completed. */
export interface Tcp_CR_Acked { readonly _tag: "Tcp_CR_Acked" }
/** 17: an incoming connection from the peer is up. */
export interface TcpConnectionConfirmed { readonly _tag: "TcpConnectionConfirmed" }
/** 18: the connection failed, was refused, or the peer closed it. */
export interface TcpConnectionFails { readonly _tag: "TcpConnectionFails" }

// --- BGP message events (RFC 4271 §8.1.5) ----------------------------------

/**
 * 19. The driver may always send `BGPOpen`: `transition` treats it as event 20
 * when the DelayOpen timer runs (it knows, from `State.delayOpenRunning`).
 */
export interface BGPOpen { readonly _tag: "BGPOpen"; readonly open: Message.Open }
/**
 * 20. In Connect and Active both OPEN tags are read from
 * `State.delayOpenRunning`; in later states this tag is the RFC's event 20,
 * an unexpected message there.
 */
export interface BGPOpen_with_DelayOpenTimer_running {
  readonly _tag: "BGPOpen_with_DelayOpenTimer_running"
  readonly open: Message.Open
}
/** 21: a message header error (also a Framer error); `error` is the NOTIFICATION to send. */
export interface BGPHeaderErr { readonly _tag: "BGPHeaderErr"; readonly error: WireError.WireError }
/** 22: an OPEN that failed to decode; `error` is the NOTIFICATION to send. */
export interface BGPOpenMsgErr { readonly _tag: "BGPOpenMsgErr"; readonly error: WireError.WireError }
/** 23: connection collision resolution (RFC 4271 §6.8) decided to close this connection. */
export interface OpenCollisionDump { readonly _tag: "OpenCollisionDump" }
/**
 * 24. The driver may always send `NotifMsg`: `transition` treats a 2/1
 * (Unsupported Version Number) NOTIFICATION as event 24.
 */
export interface NotifMsgVerErr { readonly _tag: "NotifMsgVerErr"; readonly notification: Message.Notification }
/** 25 */
export interface NotifMsg { readonly _tag: "NotifMsg"; readonly notification: Message.Notification }
/** 26 */
export interface KeepAliveMsg { readonly _tag: "KeepAliveMsg" }
/** 27 */
export interface UpdateMsg { readonly _tag: "UpdateMsg"; readonly update: Message.Update }
/** 28: an UPDATE (or ROUTE-REFRESH) that failed to decode with a session-reset error. */
export interface UpdateMsgErr { readonly _tag: "UpdateMsgErr"; readonly error: WireError.WireError }
/** Not in RFC 4271's FSM: a ROUTE-REFRESH (RFC 2918, RFC 7313); delivered in Established, unexpected before. */
export interface RouteRefreshMsg { readonly _tag: "RouteRefreshMsg"; readonly message: Message.RouteRefresh }

export type Event =
  | ManualStart
  | ManualStop
  | AutomaticStart
  | ManualStart_with_PassiveTcpEstablishment
  | AutomaticStart_with_PassiveTcpEstablishment
  | AutomaticStart_with_DampPeerOscillations
  | AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment
  | AutomaticStop
  | ConnectRetryTimer_Expires
  | HoldTimer_Expires
  | KeepaliveTimer_Expires
  | DelayOpenTimer_Expires
  | IdleHoldTimer_Expires
  | SendHoldTimer_Expires
  | StableTimer_Expires
  | TcpConnection_Valid
  | Tcp_CR_Invalid
  | Tcp_CR_Acked
  | TcpConnectionConfirmed
  | TcpConnectionFails
  | BGPOpen
  | BGPOpen_with_DelayOpenTimer_running
  | BGPHeaderErr
  | BGPOpenMsgErr
  | OpenCollisionDump
  | NotifMsgVerErr
  | NotifMsg
  | KeepAliveMsg
  | UpdateMsg
  | UpdateMsgErr
  | RouteRefreshMsg

export type Tag = Event["_tag"]

type RequiredKeys<E> = { [K in keyof E]-?: {} extends Pick<E, K> ? never : K }[keyof E]

/** Every event whose only required field is `_tag`. */
export type Simple = Event extends infer E ? (E extends Event ? (Exclude<RequiredKeys<E>, "_tag"> extends never ? E : never) : never) : never

/** An event without payload by name: `Event.of("KeepAliveMsg")`. */
export const of = <T extends Simple["_tag"]>(tag: T): Extract<Simple, { readonly _tag: T }> =>
  ({ _tag: tag }) as Extract<Simple, { readonly _tag: T }>

/** The event a timer's expiry produces, for the driver: `timerExpired("Hold")` is `HoldTimer_Expires`. */
export const timerExpired = (timer: TimerName): Event => of(`${timer}Timer_Expires`)

/**
 * The decoded message as its event: OPEN → `BGPOpen`, NOTIFICATION →
 * `NotifMsg` (or `NotifMsgVerErr` for 2/1), KEEPALIVE, UPDATE, ROUTE-REFRESH.
 */
export const fromMessage = (message: Message.Message): Event => {
  switch (message._tag) {
    case "Open":
      return { _tag: "BGPOpen", open: message }
    case "Notification":
      return isVersionError(message)
        ? { _tag: "NotifMsgVerErr", notification: message }
        : { _tag: "NotifMsg", notification: message }
    case "Keepalive":
      return { _tag: "KeepAliveMsg" }
    case "Update":
      return { _tag: "UpdateMsg", update: message }
    case "RouteRefresh":
      return { _tag: "RouteRefreshMsg", message }
  }
}

/**
 * The error event for a decode failure: header errors (code 1) →
 * `BGPHeaderErr`, OPEN errors (code 2) → `BGPOpenMsgErr`, anything else
 * (UPDATE 3/x, ROUTE-REFRESH 7/x) → `UpdateMsgErr`.
 */
export const fromError = (error: WireError.WireError): Event =>
  error.code === Notification.ErrorCode.MessageHeader
    ? { _tag: "BGPHeaderErr", error }
    : error.code === Notification.ErrorCode.Open
      ? { _tag: "BGPOpenMsgErr", error }
      : { _tag: "UpdateMsgErr", error }

/** RFC 4271 §8.1.5 event 24: a NOTIFICATION with OPEN Message Error / Unsupported Version Number. */
export const isVersionError = (n: Message.Notification): boolean =>
  n.code === Notification.ErrorCode.Open && n.subcode === Notification.OpenSubcode.UnsupportedVersionNumber

/**
 * Cease 6/1 with the RFC 4486 §4 data (AFI, SAFI, upper bound), as an
 * `AutomaticStop`: the hook the RIB layer fires when a peer exceeds its limit.
 */
export const maxPrefixesExceeded = (afi: number, safi: number, limit: number): AutomaticStop => ({
  _tag: "AutomaticStop",
  notification: Notification.maximumPrefixes(afi, safi, limit)
})
