/**
 * The fuzz target: one byte stream as a peer would send it, cut into TCP-like
 * chunks, through the `Framer`, `Message.decodeFrame` and the FSM's
 * `transition` the way the Session driver chains them (the negotiated `rx`
 * context decodes what follows the OPENs; RFC 8654 raises the Framer's limit).
 * Around that, what the driver and the speaker do with the results: encode every
 * NOTIFICATION the FSM asks to send (in the pre-OPEN context, as the driver
 * does), describe received and sent NOTIFICATIONs, re-encode decoded messages.
 *
 * Returns normally when every step gave the typed result its API promises;
 * throws `Violation` when a result is not well formed, and lets any other
 * exception escape (the caller records both as findings).
 */
import { Context, Framer, Message, Notification, Text, WireError } from "@kbgp/wire"
import type { Event as EventTypes, State as StateTypes } from "@kbgp/fsm"
import { Event, Fsm, State } from "@kbgp/fsm"
import type { Built, StartState } from "./Profile.js"

/** A result that is not what the API promises (as opposed to an exception). */
export class Violation extends Error {
  override readonly name = "Violation"
}

const messageTags = new Set(["Open", "Update", "Notification", "Keepalive", "RouteRefresh"])
const stateNames = new Set<string>(State.names)
const preOpen = Context.defaults
/** Large enough for any decoded message: re-encoding must only fail with RangeError past it. */
const reencodeLimitCtx = (rx: Context.Context): Context.Context => ({ ...rx, extendedMessage: true })

const checkError = (e: WireError.WireError): void => {
  if (!Number.isInteger(e.code) || e.code < 1 || e.code > 7) throw new Violation(`WireError code ${e.code}`)
  if (!Number.isInteger(e.subcode) || e.subcode < 0 || e.subcode > 255) throw new Violation(`WireError subcode ${e.subcode}`)
  if (!(e.data instanceof Uint8Array)) throw new Violation("WireError data is not bytes")
}

/** What the driver does with a NOTIFICATION it logs (Driver.describeNotification). */
const describe = (n: Message.Notification): string => {
  const inner = Notification.unwrapHardReset(n)
  const text = Notification.shutdownCommunication(inner ?? n)?.text ?? ""
  Notification.maximumPrefixesData(n)
  Notification.unsupportedCapabilities(n)
  return Notification.describe(n.code, n.subcode) + (inner === undefined ? "" : Notification.describe(inner.code, inner.subcode)) + text
}

export interface CaseInput {
  readonly built: Built
  readonly start: StartState
  /** The whole stream. */
  readonly bytes: Uint8Array
  /** Chunk boundaries (ascending offsets inside `bytes`). */
  readonly splits: ReadonlyArray<number>
  /** Also run the slower extras: text forms of decoded UPDATEs, re-encoding decoded messages. */
  readonly text: boolean
}

export interface CaseResult {
  readonly frames: number
  readonly errors: number
  readonly finalState: StateTypes.Name
}

/** Run one case. Deterministic: the same input always takes the same path. */
export const run = (input: CaseInput): CaseResult => {
  const { built, bytes, splits } = input
  const config = built.config
  let state: StateTypes.State = built.states[input.start]
  const framer = Framer.make({ extendedMessage: state.negotiated?.extendedMessage ?? false })
  let negotiatedSeen = state.negotiated !== undefined
  let frames = 0
  let errors = 0

  const feed = (event: EventTypes.Event): void => {
    const [next, actions] = Fsm.transition(config, state, event)
    if (!stateNames.has(next.name)) throw new Violation(`FSM state ${String(next.name)}`)
    if (!Array.isArray(actions)) throw new Violation("FSM actions are not an array")
    for (const a of actions) {
      if (a._tag === "SendNotification") {
        // The driver encodes every NOTIFICATION in the pre-OPEN context (4096 bytes): it must fit.
        Message.encode(a.notification, preOpen)
        describe(a.notification)
      } else if (a._tag === "SendOpen") {
        Message.encode(a.open, preOpen)
      } else if (a._tag === "StartTimer" && !(a.millis >= 0 && Number.isFinite(a.millis))) {
        throw new Violation(`timer ${a.timer} for ${a.millis} ms`)
      }
    }
    state = next
    if (!negotiatedSeen && next.negotiated !== undefined) {
      // RFC 8654 §4: what follows the OPENs may be longer (the driver does the same).
      negotiatedSeen = true
      framer.setExtendedMessage(next.negotiated.extendedMessage)
    }
  }

  const drain = (): boolean => {
    for (let f = framer.next(); f !== undefined; f = framer.next()) {
      frames++
      if (f._tag === "WireError") {
        if (!WireError.isWireError(f)) throw new Violation("Framer error is not a WireError")
        checkError(f)
        errors++
        feed(Event.fromError(f))
        return false // terminal: the driver drops the connection
      }
      if (f.bytes.length < 19 || f.bodyEnd !== f.bytes.length || f.bodyStart !== 19) throw new Violation("malformed Frame")
      const rx = state.negotiated?.rx ?? preOpen
      const m = Message.decodeFrame(f, rx)
      if (WireError.isWireError(m)) {
        checkError(m)
        Notification.fromError(m)
        errors++
        feed(Event.fromError(m))
      } else {
        if (typeof m !== "object" || m === null || !messageTags.has(m._tag)) throw new Violation("decode returned neither a message nor a WireError")
        if (m._tag === "Notification") describe(m)
        if (input.text) {
          if (m._tag === "Update") Text.formatAttributes(m.attributes)
          try {
            Message.encode(m, reencodeLimitCtx(rx))
          } catch (e) {
            // Only "too large for the context" is a documented encode failure.
            if (!(e instanceof RangeError)) throw e
          }
        }
        feed(Event.fromMessage(m))
      }
      if (state.name === "Idle") return false // the connection is gone
    }
    return true
  }

  let from = 0
  for (const at of [...splits, bytes.length]) {
    if (at <= from) continue
    framer.push(bytes.subarray(from, at))
    from = at
    if (!drain()) break
  }
  return { frames, errors, finalState: state.name }
}
