/**
 * The five BGP messages (RFC 4271 §4) as one union, and whole-message decode and
 * encode: a 19-byte header (marker, length, type) followed by the body.
 */
import type { Capability } from "./Capability.js"
import type { Attributes } from "./Attributes.js"
import * as Context from "./Context.js"
import type { Afi, Safi } from "./Family.js"
import type { Frame } from "./Framer.js"
import type { Prefixes } from "./Prefixes.js"
import * as WireError from "./WireError.js"
import * as Header from "./internal/Header.js"
import { Writer } from "./internal/Writer.js"
import * as OpenCodec from "./Open.js"
import * as UpdateCodec from "./Update.js"
import * as NotificationCodec from "./Notification.js"
import * as RouteRefreshCodec from "./RouteRefresh.js"

export const MessageType = { Open: 1, Update: 2, Notification: 3, Keepalive: 4, RouteRefresh: 5 } as const

export const HEADER_LENGTH = Header.HEADER_LENGTH

export interface Open {
  readonly _tag: "Open"
  readonly version: number
  /** The 2-octet My Autonomous System field (AS_TRANS, 23456, when the real AS needs 4 octets). */
  readonly myAs: number
  readonly holdTime: number
  /** BGP Identifier as an unsigned 32-bit number. */
  readonly bgpId: number
  /** All capabilities, in order, from every Capabilities optional parameter. */
  readonly capabilities: ReadonlyArray<Capability>
}

export interface MpReach {
  readonly afi: Afi
  readonly safi: Safi
  /** Next hop as sent: 4 bytes (IPv4), 16 (IPv6 global) or 32 (global + link-local). */
  readonly nextHop: Uint8Array
  /** Decoded prefixes for IPv4/IPv6 unicast and multicast; the raw NLRI bytes for other families. */
  readonly nlri: Prefixes | Uint8Array
}

export interface MpUnreach {
  readonly afi: Afi
  readonly safi: Safi
  readonly withdrawn: Prefixes | Uint8Array
}

/** What RFC 7606 made of a malformed attribute that did not reset the session. */
export interface AttributeIssue {
  readonly code: number
  readonly action: "discard" | "treat-as-withdraw"
  readonly detail: string
}

export interface Update {
  readonly _tag: "Update"
  /** IPv4 unicast Withdrawn Routes field. */
  readonly withdrawn: Prefixes
  readonly attributes: Attributes
  /** IPv4 unicast NLRI field. */
  readonly nlri: Prefixes
  readonly mpReach?: MpReach
  readonly mpUnreach?: MpUnreach
  /**
   * RFC 7606 §2: the UPDATE had a malformed attribute whose action is
   * treat-as-withdraw; every prefix in `nlri` and `mpReach` must be handled as withdrawn.
   */
  readonly treatAsWithdraw: boolean
  /** Malformed attributes that were discarded or caused treat-as-withdraw, for logs and counters. */
  readonly issues: ReadonlyArray<AttributeIssue>
}

export interface Notification {
  readonly _tag: "Notification"
  readonly code: number
  readonly subcode: number
  readonly data: Uint8Array
}

export interface Keepalive {
  readonly _tag: "Keepalive"
}

export interface RouteRefresh {
  readonly _tag: "RouteRefresh"
  readonly afi: Afi
  readonly safi: Safi
  /** RFC 7313: 0 normal request, 1 BoRR, 2 EoRR; other values are kept (and ignored by the receiver, §5). */
  readonly subtype: number
}

export type Message = Open | Update | Notification | Keepalive | RouteRefresh

/** The message type number of a message. */
export const typeOf = (msg: Message): number => {
  switch (msg._tag) {
    case "Open":
      return MessageType.Open
    case "Update":
      return MessageType.Update
    case "Notification":
      return MessageType.Notification
    case "Keepalive":
      return MessageType.Keepalive
    case "RouteRefresh":
      return MessageType.RouteRefresh
  }
}

export const keepalive: Keepalive = { _tag: "Keepalive" }

// ---------------------------------------------------------------------------
// Header helpers, for code that writes messages straight into a Writer (Pack).

/** Append a 19-byte header for `type` with a placeholder length; returns the message start for `finishMessage`. */
export const writeHeader: (w: Writer, type: number) => number = Header.write

/** Patch the length of the message begun at `at` by `writeHeader`; returns the message length. Throws RangeError past 65535. */
export const finishMessage: (w: Writer, at: number) => number = Header.finish

/**
 * RFC 4271 §6.1 header checks on `bytes[at .. at + 19)`: marker, length range
 * (RFC 8654 raises it for types other than OPEN/KEEPALIVE), type, per-type length.
 */
export const checkHeader: (bytes: Uint8Array, at: number, extendedMessage: boolean) => WireError.WireError | undefined =
  Header.check

// ---------------------------------------------------------------------------
// Decode

/** RFC 4271 §4.4: a KEEPALIVE is the header alone. */
const decodeKeepalive = (start: number, end: number): Keepalive | WireError.WireError =>
  end === start ? keepalive : Header.badLength(end - start + HEADER_LENGTH, `KEEPALIVE with a ${end - start}-byte body`)

/**
 * Decode the body `bytes[start .. end)` of a message of `type` whose header was
 * already checked (the `Framer` does that). Never throws.
 */
export const decodeBody = (
  type: number,
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: Context.Context
): Message | WireError.WireError => {
  switch (type) {
    case MessageType.Open:
      return OpenCodec.decodeBody(bytes, start, end, ctx)
    case MessageType.Update:
      return UpdateCodec.decodeBody(bytes, start, end, ctx)
    case MessageType.Notification:
      return NotificationCodec.decodeBody(bytes, start, end, ctx)
    case MessageType.Keepalive:
      return decodeKeepalive(start, end)
    case MessageType.RouteRefresh:
      return RouteRefreshCodec.decodeBody(bytes, start, end, ctx)
    default:
      return WireError.make("Header", 1, 3, `unknown message type ${type}`, Uint8Array.of(type & 0xff))
  }
}

/**
 * Decode exactly one whole message (header and body). `bytes` must hold the
 * message and nothing else. Never throws: a malformed message yields the
 * NOTIFICATION to send.
 */
export const decode = (bytes: Uint8Array, ctx: Context.Context): Message | WireError.WireError => {
  if (bytes.length < HEADER_LENGTH) {
    const lengthField = bytes.length >= 18 ? ((bytes[16]! << 8) | bytes[17]!) : bytes.length
    return Header.badLength(lengthField, `${bytes.length} bytes cannot hold a ${HEADER_LENGTH}-byte header`)
  }
  const error = Header.check(bytes, 0, ctx.extendedMessage)
  if (error !== undefined) return error
  const length = (bytes[16]! << 8) | bytes[17]!
  if (length !== bytes.length) return Header.badLength(length, `length field ${length} but ${bytes.length} bytes given`)
  return decodeBody(bytes[18]!, bytes, HEADER_LENGTH, length, ctx)
}

/** Decode a message the `Framer` produced (its header is already checked). */
export const decodeFrame = (frame: Frame, ctx: Context.Context): Message | WireError.WireError =>
  decodeBody(frame.type, frame.bytes, frame.bodyStart, frame.bodyEnd, ctx)

// ---------------------------------------------------------------------------
// Encode

/**
 * Append one whole message to `w`; returns its length. A message larger than
 * the context allows is a caller bug: RangeError (and `w` is left as it was).
 */
export const write = (w: Writer, msg: Message, ctx: Context.Context): number => {
  const type = typeOf(msg)
  const at = Header.write(w, type)
  switch (msg._tag) {
    case "Open":
      OpenCodec.encodeBody(w, msg, ctx)
      break
    case "Update":
      UpdateCodec.encodeBody(w, msg, ctx)
      break
    case "Notification":
      NotificationCodec.encodeBody(w, msg, ctx)
      break
    case "Keepalive":
      break
    case "RouteRefresh":
      RouteRefreshCodec.encodeBody(w, msg, ctx)
      break
  }
  const length = w.offset - at
  const max = Context.maxMessageLength(ctx, type)
  if (length > max) {
    w.offset = at
    throw new RangeError(`${msg._tag} message of ${length} bytes exceeds the ${max}-byte limit`)
  }
  return Header.finish(w, at)
}

/** Encode one message into a fresh exact-size array. Throws RangeError when it exceeds the context's limit. */
export const encode = (msg: Message, ctx: Context.Context): Uint8Array => {
  const w = new Writer(msg._tag === "Update" ? 4096 : 256)
  write(w, msg, ctx)
  return w.finish()
}
