/**
 * The 19-byte message header (RFC 4271 §4.1): writing it, and the checks of
 * RFC 4271 §6.1 that need nothing but the header. Shared by `Message` and `Framer`.
 */
import * as WireError from "../WireError.js"
import type { Writer } from "./Writer.js"

export const HEADER_LENGTH = 19

/** Type-specific minimum lengths (RFC 4271 §4.2–§4.5). */
const OPEN_MIN = 29
const UPDATE_MIN = 23
const NOTIFICATION_MIN = 21

/** RFC 4271 §4.1 (and RFC 8654 §4): 65535 only when negotiated, and never for OPEN (1) or KEEPALIVE (4). */
export const maxLength = (extendedMessage: boolean, type: number): number =>
  extendedMessage && type !== 1 && type !== 4 ? 65535 : 4096

/**
 * Check the header at `bytes[at .. at + 19)`; the caller guarantees the 19 bytes.
 * Returns the NOTIFICATION to send, or undefined when the header is acceptable.
 * ROUTE-REFRESH's exact length is a body check (RFC 7313 §5 wants the whole message as data).
 */
export const check = (bytes: Uint8Array, at: number, extendedMessage: boolean): WireError.WireError | undefined => {
  // §6.1: the marker must be all ones.
  for (let i = at; i < at + 16; i++) {
    if (bytes[i] !== 0xff) return WireError.make("Header", 1, 1, "marker is not all ones")
  }
  const length = (bytes[at + 16]! << 8) | bytes[at + 17]!
  const type = bytes[at + 18]!
  // §6.1: length below 19 or above the maximum → Bad Message Length, data = the length field.
  if (length < HEADER_LENGTH || length > maxLength(extendedMessage, type)) {
    return badLength(length, `length ${length} outside ${HEADER_LENGTH}..${maxLength(extendedMessage, type)}`)
  }
  // §6.1: unrecognised type → Bad Message Type, data = the type field.
  if (type < 1 || type > 5) return WireError.make("Header", 1, 3, `unknown message type ${type}`, Uint8Array.of(type))
  // §6.1: length wrong for the type → Bad Message Length.
  if (type === 1 && length < OPEN_MIN) return badLength(length, `OPEN length ${length} < ${OPEN_MIN}`)
  if (type === 2 && length < UPDATE_MIN) return badLength(length, `UPDATE length ${length} < ${UPDATE_MIN}`)
  if (type === 3 && length < NOTIFICATION_MIN) return badLength(length, `NOTIFICATION length ${length} < ${NOTIFICATION_MIN}`)
  if (type === 4 && length !== HEADER_LENGTH) return badLength(length, `KEEPALIVE length ${length} != ${HEADER_LENGTH}`)
  return undefined
}

export const badLength = (length: number, detail: string): WireError.WireError =>
  WireError.make("Header", 1, 2, detail, Uint8Array.of((length >>> 8) & 0xff, length & 0xff))

/** Append a header with a zero length; returns the message's start offset for `finish`. */
export const write = (w: Writer, type: number): number => {
  w.ensure(HEADER_LENGTH)
  const at = w.offset
  const b = w.bytes
  b.fill(0xff, at, at + 16)
  b[at + 16] = 0
  b[at + 17] = 0
  b[at + 18] = type
  w.offset = at + HEADER_LENGTH
  return at
}

/** Patch the length of the message started at `at` (everything written since); returns the length. */
export const finish = (w: Writer, at: number): number => {
  const length = w.offset - at
  if (length > 65535) throw new RangeError(`BGP message of ${length} bytes cannot be framed (max 65535)`)
  w.patch16(at + 16, length)
  return length
}
