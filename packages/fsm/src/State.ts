/**
 * The state of one BGP peer's finite state machine (RFC 4271 §8): the state
 * name plus the session variables §8 keeps across events. Timers themselves
 * are not here: the driver runs them and reports their expiry as events; the
 * state remembers only what the transitions need to decide.
 */
import type { Negotiated } from "./Negotiation.js"

/** RFC 4271 §8.2.2 states. */
export type Name = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established"

export const names: ReadonlyArray<Name> = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"]

/** How the session was last started; kept so the idle-hold restart starts it the same way. */
export interface StartMode {
  /** RFC 4271 §8.1.1 PassiveTcpEstablishment: wait for the peer to connect (Active) rather than connect (Connect). */
  readonly passive: boolean
  /** Idle hold time grows on consecutive failures (RFC 4271 §8.1.1 DampPeerOscillations). */
  readonly damp: boolean
}

export interface State {
  readonly name: Name
  /**
   * `undefined`: administratively stopped (initial, or after ManualStop); the
   * session waits for a start event. Otherwise the session is enabled and comes
   * back by itself after a failure, when the IdleHold timer expires.
   */
  readonly start: StartMode | undefined
  /** RFC 4271 §8 ConnectRetryCounter. */
  readonly connectRetryCounter: number
  /**
   * Consecutive failures since the session was last stable; drives the idle
   * hold backoff (`Backoff`). Reset when the Stable timer expires in Established.
   */
  readonly failures: number
  /** RFC 4271 §8.1.3: whether the DelayOpen timer runs (turns BGPOpen into event 20). */
  readonly delayOpenRunning: boolean
  /** The peer's OPEN and what both sides agreed; set in OpenConfirm and Established. */
  readonly negotiated: Negotiated | undefined
  /** State of the pure pseudo-random generator used for timer jitter (`Backoff.nextRandom`). */
  readonly seed: number
}

/**
 * Idle and stopped, as after creation (RFC 4271 §8.2.2: "Initially, the BGP
 * peer FSM is in the Idle state"). `seed` initialises the jitter generator:
 * the driver passes a random number, tests a constant.
 */
export const initial = (seed = 0x9e3779b9): State => ({
  name: "Idle",
  start: undefined,
  connectRetryCounter: 0,
  failures: 0,
  delayOpenRunning: false,
  negotiated: undefined,
  seed: seed >>> 0
})

