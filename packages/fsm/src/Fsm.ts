/**
 * The BGP finite state machine of RFC 4271 §8.2.2 as one pure function:
 * `transition(config, state, event)` returns the next state and the actions
 * to carry out, in order. It never throws and never reads a clock or a random
 * source (jitter comes from `State.seed`).
 *
 * Choices where the RFC leaves room, or where kbgp deliberately differs:
 * - Restart after failure: a started session that falls to Idle restarts by
 *   itself when the IdleHold timer expires (the RFC's "AutomaticStart" is
 *   ours to generate). The idle hold doubles on each consecutive failure when
 *   damping is on (`Backoff`), and the count resets once the session stays
 *   Established for `dampingResetTime` (the Stable timer). Every fall to Idle
 *   counts as a failure except ManualStop, OpenCollisionDump (another
 *   connection won) and a failed outgoing connect in Connect (the RFC does not
 *   damp there, and backing off would delay noticing a peer that came back).
 *   Idle refuses connections, so the restart delay stays short by default.
 * - SendNOTIFICATIONwithoutOPEN is on: in Connect/Active with a DelayOpen
 *   connection, errors and stops still tell the peer why.
 * - A NOTIFICATION received in OpenSent closes without answering with an FSM
 *   Error (the peer has given up on the connection; RFC 4271 §6.4 spirit).
 * - A second OPEN on a connection in OpenConfirm or Established is an
 *   unexpected message (FSM Error 5/2, 5/3, RFC 6608); collisions between two
 *   connections are decided outside (`Collision`) and arrive as OpenCollisionDump.
 * - RFC 6608 subcodes name a *message*: an unexpected message gets its state's
 *   subcode with the message type as data; a timer expiry the state does not
 *   expect (RFC 4271's "any other event") gets 5/0 Unspecified.
 * - BGPHeaderErr in Established sends the header error (RFC 4271 §6.1 MUST)
 *   rather than the FSM Error §8.2.2 lists.
 * - With the RFC 8538 N bit negotiated, Cease 6/1, 6/2 and 6/3 go out wrapped
 *   in a Hard Reset (RFC 8538 §5), so the peer flushes rather than keeps our routes.
 */
import { Family, Message, Notification, RouteRefresh } from "@kbgp/wire"
import type { WireError } from "@kbgp/wire"
import type { Action, DownReason, TimerName } from "./Action.js"
import * as Backoff from "./Backoff.js"
import type { Config } from "./Config.js"
import type { Event } from "./Event.js"
import { isVersionError } from "./Event.js"
import * as Negotiation from "./Negotiation.js"
import type { Name, StartMode, State } from "./State.js"

export type Result = readonly [State, ReadonlyArray<Action>]

/** RFC 6608 §3: FSM Error subcodes for an unexpected message, by the state it arrived in. */
export const FsmErrorSubcode = {
  Unspecified: Notification.FsmSubcode.UnspecifiedError,
  OpenSent: Notification.FsmSubcode.UnexpectedMessageInOpenSent,
  OpenConfirm: Notification.FsmSubcode.UnexpectedMessageInOpenConfirm,
  Established: Notification.FsmSubcode.UnexpectedMessageInEstablished
} as const

const cease = (subcode: number): Message.Notification => Notification.make(Notification.ErrorCode.Cease, subcode)
const holdTimerExpired = Notification.make(Notification.ErrorCode.HoldTimerExpired, 0)
const sendHoldTimerExpired = Notification.make(Notification.ErrorCode.SendHoldTimerExpired, 0)

/** Accumulates actions and threads the jitter generator through one transition. */
class Step {
  readonly actions: Array<Action> = []
  private seed: number
  constructor(
    readonly config: Config,
    readonly state: State
  ) {
    this.seed = state.seed
  }

  push(action: Action): this {
    this.actions.push(action)
    return this
  }

  /** Start (or restart) a timer; `jitter` applies RFC 4271 §10 jitter when the config enables it. */
  start(timer: TimerName, seconds: number, jitter = false): this {
    let millis = seconds * 1000
    if (jitter && this.config.jitter) {
      const [random, seed] = Backoff.nextRandom(this.seed)
      this.seed = seed
      millis = Backoff.jitter(millis, random)
    }
    return this.push({ _tag: "StartTimer", timer, millis: Math.round(millis) })
  }

  stop(timer: TimerName): this {
    return this.push({ _tag: "StopTimer", timer })
  }

  send(notification: Message.Notification): this {
    return this.push({ _tag: "SendNotification", notification })
  }

  done(next: Partial<Omit<State, "seed">>): Result {
    return [{ ...this.state, ...next, seed: this.seed }, this.actions]
  }

  /** No state change and no action: the event is ignored. */
  stay(): Result {
    return this.done({})
  }
}

/** Timers that may run in a state, so leaving it stops exactly those. */
const runningTimers = (state: State): ReadonlyArray<TimerName> => {
  switch (state.name) {
    case "Idle":
      return state.start === undefined ? [] : ["IdleHold"]
    case "Connect":
    case "Active":
      return state.delayOpenRunning ? ["ConnectRetry", "DelayOpen"] : ["ConnectRetry"]
    case "OpenSent":
      return ["Hold"]
    case "OpenConfirm":
      return ["Hold", "Keepalive"]
    case "Established":
      return ["Hold", "Keepalive", "SendHold", "Stable"]
  }
}

const hasOpenConnection = (name: Name): boolean => name === "OpenSent" || name === "OpenConfirm" || name === "Established"

/** RFC 8538 §5: with the N bit, these Cease subcodes are sent as a Hard Reset. */
const outgoing = (state: State, n: Message.Notification): Message.Notification =>
  state.negotiated?.gracefulRestart?.notification === true &&
  n.code === Notification.ErrorCode.Cease &&
  (n.subcode === Notification.CeaseSubcode.MaximumPrefixes ||
    n.subcode === Notification.CeaseSubcode.AdministrativeShutdown ||
    n.subcode === Notification.CeaseSubcode.PeerDeconfigured)
    ? Notification.hardReset(n)
    : n

interface Fall {
  /** NOTIFICATION to send first. */
  readonly notification?: Message.Notification
  /** For logs, with `notification`. */
  readonly detail: string
  /** Why, when no NOTIFICATION is sent. */
  readonly reason?: DownReason
  /** ConnectRetryCounter: RFC 4271 §8.2.2 says per event whether it increments or resets. */
  readonly counter: "increment" | "reset" | "keep"
  /** Counts toward the idle-hold backoff. */
  readonly failure: boolean
  /** ManualStop: stay Idle until the next start. */
  readonly disable?: boolean
}

/**
 * Fall to Idle: optional NOTIFICATION, stop this state's timers, drop the
 * connection, release resources, report the session down, and (while
 * started) arm the IdleHold timer that restarts it.
 */
const fall = (step: Step, how: Fall): Result => {
  const { config, state } = step
  const sent = how.notification === undefined ? undefined : outgoing(state, how.notification)
  if (sent !== undefined) step.send(sent)
  for (const timer of runningTimers(state)) step.stop(timer)
  step.push({ _tag: "DropConnection" }).push({ _tag: "ReleaseResources" })
  if (hasOpenConnection(state.name)) {
    const reason: DownReason =
      sent !== undefined
        ? { _tag: "NotificationSent", notification: sent, detail: how.detail }
        : (how.reason ?? { _tag: "ConnectionLost" })
    step.push({ _tag: "SessionDown", reason, negotiated: state.name === "Established" ? state.negotiated : undefined })
  }
  const start = how.disable === true ? undefined : state.start
  const failures = how.failure ? state.failures + 1 : state.failures
  if (start !== undefined) {
    const seconds = start.damp
      ? Backoff.delay({ initial: config.idleHoldTime, max: config.idleHoldTimeMax }, failures)
      : config.idleHoldTime
    step.start("IdleHold", seconds, true)
  }
  const counter =
    how.counter === "increment" ? state.connectRetryCounter + 1 : how.counter === "reset" ? 0 : state.connectRetryCounter
  return step.done({
    name: "Idle",
    start,
    failures,
    connectRetryCounter: counter,
    delayOpenRunning: false,
    negotiated: undefined
  })
}

/** The usual error fall of RFC 4271 §8.2.2: counter + 1, damping. */
const failWith = (step: Step, notification: Message.Notification | undefined, detail: string, reason?: DownReason): Result =>
  fall(step, {
    ...(notification !== undefined ? { notification } : {}),
    ...(reason !== undefined ? { reason } : {}),
    detail,
    counter: "increment",
    failure: true
  })

/** The message type of the message a decode error was about (a header error names none). */
const errorMessageType: Record<WireError.WireErrorReason, number | undefined> = {
  Header: undefined,
  Open: Message.MessageType.Open,
  Update: Message.MessageType.Update,
  Notification: Message.MessageType.Notification,
  Keepalive: Message.MessageType.Keepalive,
  RouteRefresh: Message.MessageType.RouteRefresh
}

/** The BGP message type an event reports the arrival of; undefined for timers and other non-message events. */
const messageTypeOf = (event: Event): number | undefined => {
  switch (event._tag) {
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running":
      return Message.MessageType.Open
    case "KeepAliveMsg":
      return Message.MessageType.Keepalive
    case "UpdateMsg":
      return Message.MessageType.Update
    case "RouteRefreshMsg":
      return Message.MessageType.RouteRefresh
    case "BGPOpenMsgErr":
    case "UpdateMsgErr":
      return errorMessageType[event.error.reason]
    default:
      return undefined
  }
}

/**
 * FSM Error for an event the state does not expect. RFC 6608 §4: an unexpected
 * message gets the subcode of the state it arrived in and its message type as
 * the 1-octet data; any other event (a timer that should not run) is 5/0.
 */
const fsmError = (step: Step, subcode: number, event: Event): Result => {
  const type = messageTypeOf(event)
  const notification =
    type === undefined
      ? Notification.make(Notification.ErrorCode.FiniteStateMachine, FsmErrorSubcode.Unspecified)
      : Notification.make(Notification.ErrorCode.FiniteStateMachine, subcode, Uint8Array.of(type))
  return failWith(step, notification, `unexpected ${event._tag} in ${step.state.name}`)
}

const manualStop = (step: Step, event: { readonly notification?: Message.Notification }, sendCease: boolean): Result =>
  fall(step, {
    ...(sendCease ? { notification: event.notification ?? cease(Notification.CeaseSubcode.AdministrativeShutdown) } : {}),
    detail: "administrative stop",
    counter: "reset",
    failure: false,
    disable: true
  })

const automaticStop = (step: Step, event: { readonly notification?: Message.Notification }, sendCease: boolean): Result =>
  fall(step, {
    ...(sendCease ? { notification: event.notification ?? cease(Notification.CeaseSubcode.OtherConfigurationChange) } : {}),
    detail: "automatic stop",
    counter: "increment",
    failure: true
  })

/** What a start event asks for. */
const startMode = (config: Config, event: Event): StartMode | undefined => {
  const damp = config.dampPeerOscillations
  switch (event._tag) {
    case "ManualStart":
    case "AutomaticStart":
      return { passive: config.passive, damp }
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
      return { passive: true, damp }
    case "AutomaticStart_with_DampPeerOscillations":
      return { passive: config.passive, damp: true }
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      return { passive: true, damp: true }
    default:
      return undefined
  }
}

const isManualStart = (event: Event): boolean =>
  event._tag === "ManualStart" || event._tag === "ManualStart_with_PassiveTcpEstablishment"

/** Start the ConnectRetry timer, unless configured to listen only (nothing to retry then). */
const armConnectRetry = (step: Step): Step =>
  step.config.passive ? step : step.start("ConnectRetry", step.config.connectRetryTime, true)

/**
 * RFC 4271 §8.2.2 Idle, events 1 and 3–7: start the ConnectRetry timer, then
 * connect (→ Connect) or only listen (→ Active). `manual`: an operator's
 * start, which also resets the counter and forgets past failures.
 */
const begin = (step: Step, mode: StartMode, manual: boolean): Result => {
  const { state } = step
  if (state.start !== undefined) step.stop("IdleHold")
  armConnectRetry(step)
  if (!mode.passive) step.push({ _tag: "Connect" })
  return step.done({
    name: mode.passive ? "Active" : "Connect",
    start: mode,
    connectRetryCounter: manual ? 0 : state.connectRetryCounter,
    failures: manual ? 0 : state.failures,
    delayOpenRunning: false,
    negotiated: undefined
  })
}

const idle = (step: Step, event: Event): Result => {
  const { config, state } = step
  const mode = startMode(config, event)
  if (mode !== undefined) {
    const manual = isManualStart(event)
    // An automatic start while the idle hold runs waits for it (that is what damping is for).
    if (state.start !== undefined && !manual) return step.done({ start: mode })
    // RFC 4271 §8.2.2: a start event sets the ConnectRetryCounter to zero.
    return begin(step, mode, manual || state.start === undefined)
  }
  switch (event._tag) {
    case "ManualStop":
      // RFC 4271 §8.2.2: ignored in Idle; it still cancels a pending automatic restart.
      if (state.start === undefined) return step.stay()
      step.stop("IdleHold")
      return step.done({ start: undefined, connectRetryCounter: 0 })
    case "IdleHoldTimer_Expires":
      // RFC 4271 §8.1.1 DampPeerOscillations: the idle hold is over; start again as before.
      return state.start === undefined ? step.stay() : begin(step, state.start, false)
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      // RFC 4271 §8.2.2: Idle refuses all incoming connections.
      return step.push({ _tag: "DropConnection" }).stay()
    default:
      // RFC 4271 §8.2.2: any other event leaves Idle unchanged.
      return step.stay()
  }
}

/** The OPEN we send and the OpenSent hold timer ("a large value", 4 minutes suggested). */
const sendOpen = (step: Step): Step =>
  step.push({ _tag: "SendOpen", open: Negotiation.localOpen(step.config) }).start("Hold", step.config.openHoldTime)

/** Start KEEPALIVEs and the negotiated hold timer, or stop both when the hold time is 0 (RFC 4271 §4.4). */
const armHold = (step: Step, negotiated: Negotiation.Negotiated): Step => {
  if (negotiated.holdTime === 0) return step.stop("Keepalive").stop("Hold")
  return step.start("Keepalive", negotiated.keepaliveTime, true).start("Hold", negotiated.holdTime)
}

/** Connect and Active share most of their rows (RFC 4271 §8.2.2). */
const connecting = (step: Step, event: Event): Result => {
  const { config, state } = step
  const inConnect = state.name === "Connect"
  switch (event._tag) {
    case "ManualStart":
    case "AutomaticStart":
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      // Start events are ignored in Connect and Active.
      return step.stay()
    case "ManualStop":
      // A DelayOpen connection gets a Cease (SendNOTIFICATIONwithoutOPEN).
      return manualStop(step, event, state.delayOpenRunning)
    case "ConnectRetryTimer_Expires":
      if (inConnect) {
        // Connect: abandon the attempt, restart the timer, connect again.
        if (state.delayOpenRunning) step.stop("DelayOpen")
        step.push({ _tag: "DropConnection" }).start("ConnectRetry", config.connectRetryTime, true).push({ _tag: "Connect" })
        return step.done({ delayOpenRunning: false })
      }
      // Active: restart the timer and connect (→ Connect); a listen-only peer never connects.
      if (config.passive) return step.stay()
      step.start("ConnectRetry", config.connectRetryTime, true)
      return step.push({ _tag: "Connect" }).done({ name: "Connect" })
    case "DelayOpenTimer_Expires":
      // A stale expiry (no DelayOpen connection) would send an OPEN on nothing: ignore it.
      if (!state.delayOpenRunning) return step.stay()
      step.stop("ConnectRetry")
      sendOpen(step)
      return step.done({ name: "OpenSent", delayOpenRunning: false })
    case "TcpConnection_Valid":
    case "Tcp_CR_Invalid":
      return step.stay()
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      step.stop("ConnectRetry")
      if (config.delayOpenTime !== undefined) {
        // §8.1.1 DelayOpen: wait for the peer's OPEN before sending ours.
        step.start("DelayOpen", config.delayOpenTime)
        return step.done({ delayOpenRunning: true })
      }
      sendOpen(step)
      return step.done({ name: "OpenSent" })
    case "TcpConnectionFails":
      if (state.delayOpenRunning) {
        // The DelayOpen connection died: listen (Active) and retry later.
        armConnectRetry(step.stop("DelayOpen").push({ _tag: "DropConnection" }))
        return step.done({ name: "Active", delayOpenRunning: false })
      }
      if (inConnect) {
        // The outgoing connect failed: Idle, restarted by the idle hold without growing it.
        return fall(step, { detail: "connection failed", reason: { _tag: "ConnectionLost" }, counter: "keep", failure: false })
      }
      // Active: Idle, counted. The RFC also restarts ConnectRetry here, which Idle would only ignore: it is stopped.
      return failWith(step, undefined, "connection failed", { _tag: "ConnectionLost" })
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running": {
      // Event 20 only while the DelayOpen timer runs; otherwise event 19, which is unexpected here.
      if (!state.delayOpenRunning) return failWith(step, undefined, `OPEN in ${state.name} without a connection`)
      const negotiated = Negotiation.negotiate(config, event.open)
      if (Negotiation.isRejection(negotiated)) return failWith(step, negotiated.notification, negotiated.detail)
      step.stop("ConnectRetry").stop("DelayOpen")
      step.push({ _tag: "SendOpen", open: negotiated.localOpen }).push({ _tag: "SendKeepalive" })
      armHold(step, negotiated)
      return step.done({ name: "OpenConfirm", delayOpenRunning: false, negotiated })
    }
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return failWith(step, state.delayOpenRunning ? Notification.fromError(event.error) : undefined, event.error.detail)
    case "NotifMsgVerErr":
    case "NotifMsg": {
      const received: DownReason = { _tag: "NotificationReceived", notification: event.notification }
      if (event._tag === "NotifMsgVerErr" || isVersionError(event.notification)) {
        // Event 24 with the DelayOpen timer running: Idle without counting; otherwise counted.
        if (state.delayOpenRunning) return fall(step, { detail: "version error", reason: received, counter: "keep", failure: true })
        return failWith(step, undefined, "version error", received)
      }
      return failWith(step, undefined, "NOTIFICATION received", received)
    }
    case "AutomaticStop":
      return automaticStop(step, event, state.delayOpenRunning)
    case "SendHoldTimer_Expires":
    case "StableTimer_Expires":
      // Timers that only run in Established: a stale expiry is ignored.
      return step.stay()
    case "HoldTimer_Expires":
    case "KeepaliveTimer_Expires":
    case "IdleHoldTimer_Expires":
    case "OpenCollisionDump":
    case "KeepAliveMsg":
    case "UpdateMsg":
    case "UpdateMsgErr":
    case "RouteRefreshMsg":
      // RFC 4271 §8.2.2 "any other event": Idle, counter + 1, damping.
      return failWith(step, undefined, `unexpected ${event._tag} in ${state.name}`)
  }
}

const openSent = (step: Step, event: Event): Result => {
  const { config } = step
  switch (event._tag) {
    case "ManualStart":
    case "AutomaticStart":
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      return step.stay()
    case "ManualStop":
      return manualStop(step, event, true)
    case "AutomaticStop":
      return automaticStop(step, event, true)
    case "HoldTimer_Expires":
      return failWith(step, holdTimerExpired, "hold timer expired in OpenSent")
    case "TcpConnection_Valid":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
    case "Tcp_CR_Invalid":
      // A second connection is tracked by collision processing (§6.8), outside this FSM.
      return step.stay()
    case "TcpConnectionFails":
      // RFC 4271 §8.2.2: close, restart ConnectRetry, listen (→ Active).
      step.stop("Hold").push({ _tag: "DropConnection" }).push({ _tag: "ReleaseResources" })
      step.push({ _tag: "SessionDown", reason: { _tag: "ConnectionLost" }, negotiated: undefined })
      armConnectRetry(step)
      return step.done({ name: "Active", delayOpenRunning: false })
    case "BGPOpen": {
      const negotiated = Negotiation.negotiate(config, event.open)
      if (Negotiation.isRejection(negotiated)) return failWith(step, negotiated.notification, negotiated.detail)
      step.push({ _tag: "SendKeepalive" })
      armHold(step, negotiated)
      return step.done({ name: "OpenConfirm", negotiated })
    }
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return failWith(step, Notification.fromError(event.error), event.error.detail)
    case "OpenCollisionDump":
      return collisionDump(step)
    case "NotifMsgVerErr":
    case "NotifMsg": {
      const reason: DownReason = { _tag: "NotificationReceived", notification: event.notification }
      // Event 24: Idle without counting.
      if (event._tag === "NotifMsgVerErr" || isVersionError(event.notification)) {
        return fall(step, { detail: "version error", reason, counter: "keep", failure: true })
      }
      return failWith(step, undefined, "NOTIFICATION received", reason)
    }
    case "SendHoldTimer_Expires":
    case "StableTimer_Expires":
      return step.stay()
    case "ConnectRetryTimer_Expires":
    case "KeepaliveTimer_Expires":
    case "DelayOpenTimer_Expires":
    case "IdleHoldTimer_Expires":
    case "BGPOpen_with_DelayOpenTimer_running":
    case "KeepAliveMsg":
    case "UpdateMsg":
    case "UpdateMsgErr":
    case "RouteRefreshMsg":
      // RFC 4271 §8.2.2 "any other event" / RFC 6608: FSM Error 5/1.
      return fsmError(step, FsmErrorSubcode.OpenSent, event)
  }
}

/** RFC 4271 §6.8 / §8.2.2 event 23: Cease 6/7, Idle, counted but not damped (another connection won). */
const collisionDump = (step: Step): Result =>
  fall(step, {
    notification: cease(Notification.CeaseSubcode.ConnectionCollisionResolution),
    detail: "connection collision resolution",
    counter: "increment",
    failure: false
  })

const openConfirm = (step: Step, event: Event): Result => {
  const { config, state } = step
  switch (event._tag) {
    case "ManualStart":
    case "AutomaticStart":
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      return step.stay()
    case "ManualStop":
      return manualStop(step, event, true)
    case "AutomaticStop":
      return automaticStop(step, event, true)
    case "HoldTimer_Expires":
      return failWith(step, holdTimerExpired, "hold timer expired in OpenConfirm")
    case "KeepaliveTimer_Expires": {
      const keepalive = state.negotiated?.keepaliveTime ?? 0
      if (keepalive === 0) return step.stay()
      return step.push({ _tag: "SendKeepalive" }).start("Keepalive", keepalive, true).stay()
    }
    case "TcpConnection_Valid":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
    case "Tcp_CR_Invalid":
      return step.stay()
    case "TcpConnectionFails":
      return failWith(step, undefined, "connection lost", { _tag: "ConnectionLost" })
    case "NotifMsgVerErr":
    case "NotifMsg": {
      const reason: DownReason = { _tag: "NotificationReceived", notification: event.notification }
      if (event._tag === "NotifMsgVerErr" || isVersionError(event.notification)) {
        return fall(step, { detail: "version error", reason, counter: "keep", failure: true })
      }
      return failWith(step, undefined, "NOTIFICATION received", reason)
    }
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return failWith(step, Notification.fromError(event.error), event.error.detail)
    case "OpenCollisionDump":
      return collisionDump(step)
    case "KeepAliveMsg": {
      // RFC 4271 §8.2.2: restart the hold timer → Established. RFC 9687 §4: start the SendHold timer.
      const negotiated = state.negotiated
      if (negotiated === undefined) return fsmError(step, FsmErrorSubcode.OpenConfirm, event)
      if (negotiated.holdTime > 0) step.start("Hold", negotiated.holdTime)
      if (negotiated.sendHoldTime > 0) step.start("SendHold", negotiated.sendHoldTime)
      step.start("Stable", config.dampingResetTime)
      step.push({ _tag: "SessionEstablished", negotiated })
      return step.done({ name: "Established" })
    }
    case "SendHoldTimer_Expires":
    case "StableTimer_Expires":
      return step.stay()
    case "ConnectRetryTimer_Expires":
    case "DelayOpenTimer_Expires":
    case "IdleHoldTimer_Expires":
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running":
    case "UpdateMsg":
    case "UpdateMsgErr":
    case "RouteRefreshMsg":
      // RFC 4271 §8.2.2 "any other event" / RFC 6608: FSM Error 5/2.
      return fsmError(step, FsmErrorSubcode.OpenConfirm, event)
  }
}

/** RFC 2918 §4, RFC 7313 §5: a ROUTE-REFRESH for a family not negotiated, or with an unknown subtype, is ignored. */
const acceptsRefresh = (negotiated: Negotiation.Negotiated | undefined, message: Message.RouteRefresh): boolean =>
  negotiated !== undefined && message.subtype <= RouteRefresh.Subtype.EndOfRouteRefresh && negotiated.families.has(Family.key(message.afi, message.safi))

const established = (step: Step, event: Event): Result => {
  const { state } = step
  const negotiated = state.negotiated
  const holdTime = negotiated?.holdTime ?? 0
  /** RFC 4271 §8.2.2: restart the HoldTimer on KEEPALIVE and UPDATE (kbgp: on ROUTE-REFRESH too), unless it is 0. */
  const restartHold = (): Step => (holdTime > 0 ? step.start("Hold", holdTime) : step)
  switch (event._tag) {
    case "ManualStart":
    case "AutomaticStart":
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_DampPeerOscillations":
    case "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment":
      return step.stay()
    case "ManualStop":
      return manualStop(step, event, true)
    case "AutomaticStop":
      return automaticStop(step, event, true)
    case "HoldTimer_Expires":
      return failWith(step, holdTimerExpired, "hold timer expired")
    case "SendHoldTimer_Expires":
      // RFC 9687 §4: NOTIFICATION 8/0 (best effort), drop, Idle.
      return failWith(step, sendHoldTimerExpired, "send hold timer expired: the peer has not read what we sent")
    case "KeepaliveTimer_Expires": {
      const keepalive = negotiated?.keepaliveTime ?? 0
      if (keepalive === 0) return step.stay()
      return step.push({ _tag: "SendKeepalive" }).start("Keepalive", keepalive, true).stay()
    }
    case "StableTimer_Expires":
      // The session proved stable: forget past failures (idle hold back to its initial value).
      return step.done({ failures: 0 })
    case "TcpConnection_Valid":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
    case "Tcp_CR_Invalid":
      return step.stay()
    case "OpenCollisionDump":
      // RFC 4271 §8.2.2 (CollisionDetectEstablishedState): the caller decided this connection loses.
      return collisionDump(step)
    case "NotifMsgVerErr":
    case "NotifMsg":
      return failWith(step, undefined, "NOTIFICATION received", { _tag: "NotificationReceived", notification: event.notification })
    case "TcpConnectionFails":
      return failWith(step, undefined, "connection lost", { _tag: "ConnectionLost" })
    case "KeepAliveMsg":
      restartHold()
      return step.stay()
    case "UpdateMsg":
      step.push({ _tag: "DeliverUpdate", update: event.update })
      restartHold()
      return step.stay()
    case "RouteRefreshMsg":
      if (acceptsRefresh(negotiated, event.message)) step.push({ _tag: "DeliverRouteRefresh", message: event.message })
      restartHold()
      return step.stay()
    case "UpdateMsgErr":
      return failWith(step, Notification.fromError(event.error), event.error.detail)
    case "BGPHeaderErr":
      // RFC 4271 §6.1: a header error is answered with its own NOTIFICATION.
      return failWith(step, Notification.fromError(event.error), event.error.detail)
    case "ConnectRetryTimer_Expires":
    case "DelayOpenTimer_Expires":
    case "IdleHoldTimer_Expires":
    case "BGPOpen":
    case "BGPOpen_with_DelayOpenTimer_running":
    case "BGPOpenMsgErr":
      // RFC 4271 §8.2.2 "any other event" / RFC 6608: FSM Error 5/3.
      return fsmError(step, FsmErrorSubcode.Established, event)
  }
}

/**
 * One step of the FSM: the next state and the actions, in order. Pure and
 * total: every (state, event) pair has a row, and nothing throws.
 */
export const transition = (config: Config, state: State, event: Event): Result => {
  const step = new Step(config, state)
  switch (state.name) {
    case "Idle":
      return idle(step, event)
    case "Connect":
    case "Active":
      return connecting(step, event)
    case "OpenSent":
      return openSent(step, event)
    case "OpenConfirm":
      return openConfirm(step, event)
    case "Established":
      return established(step, event)
  }
}

/** Feed several events in order; the final state and all actions. Handy in tests and replays. */
export const run = (config: Config, state: State, events: Iterable<Event>): Result => {
  let current = state
  const actions: Array<Action> = []
  for (const event of events) {
    const [next, out] = transition(config, current, event)
    current = next
    actions.push(...out)
  }
  return [current, actions]
}
