/**
 * NOTIFICATION (RFC 4271 §4.5): error code, subcode, data. Names for every
 * registered code, and the structured data some subcodes carry: RFC 9003
 * shutdown communication, RFC 4486 maximum-prefix data, RFC 8538 Hard Reset.
 */
import type { Context } from "./Context.js"
import type { Afi, Safi } from "./Family.js"
import type { Notification } from "./Message.js"
import * as WireError from "./WireError.js"
import type { Writer } from "./internal/Writer.js"

export type { Notification } from "./Message.js"

export const ErrorCode = {
  MessageHeader: 1,
  Open: 2,
  Update: 3,
  HoldTimerExpired: 4,
  FiniteStateMachine: 5,
  Cease: 6,
  RouteRefresh: 7,
  SendHoldTimerExpired: 8
} as const

/** RFC 4486 §4 (and RFC 8538, RFC 9384) Cease subcodes. */
export const CeaseSubcode = {
  MaximumPrefixes: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
  BfdDown: 10
} as const

interface CodeEntry {
  readonly name: string
  readonly subcodes: Readonly<Record<number, string>>
}

/** The IANA "BGP Error (Notification) Codes" and subcodes registries. */
export const codes: Readonly<Record<number, CodeEntry>> = {
  // RFC 4271 §4.5, §6.1 (subcode 0 "Unspecific" as in the IANA registry, for codes 1–3).
  1: {
    name: "Message Header Error",
    subcodes: { 0: "Unspecific", 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" }
  },
  // RFC 4271 §6.2; 7 from RFC 5492; 11 from RFC 9234.
  2: {
    name: "OPEN Message Error",
    subcodes: {
      0: "Unspecific",
      1: "Unsupported Version Number",
      2: "Bad Peer AS",
      3: "Bad BGP Identifier",
      4: "Unsupported Optional Parameter",
      5: "Authentication Failure (deprecated)",
      6: "Unacceptable Hold Time",
      7: "Unsupported Capability",
      8: "Deprecated",
      9: "Deprecated",
      10: "Deprecated",
      11: "Role Mismatch"
    }
  },
  // RFC 4271 §6.3.
  3: {
    name: "UPDATE Message Error",
    subcodes: {
      0: "Unspecific",
      1: "Malformed Attribute List",
      2: "Unrecognized Well-known Attribute",
      3: "Missing Well-known Attribute",
      4: "Attribute Flags Error",
      5: "Attribute Length Error",
      6: "Invalid ORIGIN Attribute",
      7: "AS Routing Loop (deprecated)",
      8: "Invalid NEXT_HOP Attribute",
      9: "Optional Attribute Error",
      10: "Invalid Network Field",
      11: "Malformed AS_PATH"
    }
  },
  // RFC 4271 §6.5.
  4: { name: "Hold Timer Expired", subcodes: {} },
  // RFC 6608 §3.
  5: {
    name: "Finite State Machine Error",
    subcodes: {
      0: "Unspecified Error",
      1: "Receive Unexpected Message in OpenSent State",
      2: "Receive Unexpected Message in OpenConfirm State",
      3: "Receive Unexpected Message in Established State"
    }
  },
  // RFC 4486 §4; 9 from RFC 8538; 10 from RFC 9384.
  6: {
    name: "Cease",
    subcodes: {
      1: "Maximum Number of Prefixes Reached",
      2: "Administrative Shutdown",
      3: "Peer De-configured",
      4: "Administrative Reset",
      5: "Connection Rejected",
      6: "Other Configuration Change",
      7: "Connection Collision Resolution",
      8: "Out of Resources",
      9: "Hard Reset",
      10: "BFD Down"
    }
  },
  // RFC 7313 §5.
  7: { name: "ROUTE-REFRESH Message Error", subcodes: { 1: "Invalid Message Length" } },
  // RFC 9687 §3.
  8: { name: "Send Hold Timer Expired", subcodes: {} }
}

/** "Cease / Administrative Shutdown"; the code name alone for subcode 0 without a name. */
export const describe = (code: number, subcode: number): string => {
  const entry = codes[code]
  if (entry === undefined) return `Unknown error code ${code} / subcode ${subcode}`
  const sub = entry.subcodes[subcode]
  if (sub !== undefined) return `${entry.name} / ${sub}`
  return subcode === 0 ? entry.name : `${entry.name} / subcode ${subcode}`
}

export const make = (code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): Notification => ({
  _tag: "Notification",
  code,
  subcode,
  data
})

/** The NOTIFICATION a decode error asks us to send. */
export const fromError = (e: WireError.WireError): Notification => make(e.code, e.subcode, e.data)

// ---------------------------------------------------------------------------
// RFC 9003 shutdown communication (Cease 6/2 and 6/4): length (1), UTF-8 text (≤ 255 bytes).

const utf8Encoder = new TextEncoder()
const utf8Lenient = new TextDecoder("utf-8")
const utf8Strict = new TextDecoder("utf-8", { fatal: true })

export const SHUTDOWN_MAX_BYTES = 255

/** UTF-8 bytes of `text`, cut to `max` bytes without splitting a character. */
export const truncateUtf8 = (text: string, max: number): Uint8Array => {
  const bytes = utf8Encoder.encode(text)
  if (bytes.length <= max) return bytes
  let cut = max
  // Back up over continuation bytes (10xxxxxx) so the cut lands on a character start.
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--
  return bytes.slice(0, cut)
}

/**
 * A Cease with a shutdown communication (RFC 9003 §2): `subcode` is 2
 * (Administrative Shutdown) or 4 (Administrative Reset); text longer than 255
 * UTF-8 bytes is truncated on a character boundary.
 */
export const shutdown = (
  subcode: typeof CeaseSubcode.AdministrativeShutdown | typeof CeaseSubcode.AdministrativeReset,
  text: string
): Notification => {
  const bytes = truncateUtf8(text, SHUTDOWN_MAX_BYTES)
  const data = new Uint8Array(1 + bytes.length)
  data[0] = bytes.length
  data.set(bytes, 1)
  return make(ErrorCode.Cease, subcode, data)
}

export interface ShutdownCommunication {
  readonly text: string
  /** RFC 9003 §3: a bad length or invalid UTF-8 is logged, never fatal. */
  readonly issue?: "length" | "utf8"
}

/**
 * The shutdown communication of a Cease 6/2 or 6/4, or undefined when the
 * notification is another kind or carries no data. A length byte that
 * disagrees with the data, or invalid UTF-8 (decoded with U+FFFD), is reported
 * in `issue` (RFC 9003 §3), never thrown.
 */
export const shutdownCommunication = (n: Notification): ShutdownCommunication | undefined => {
  if (n.code !== ErrorCode.Cease) return undefined
  if (n.subcode !== CeaseSubcode.AdministrativeShutdown && n.subcode !== CeaseSubcode.AdministrativeReset) return undefined
  if (n.data.length === 0) return undefined
  const declared = n.data[0]!
  const available = n.data.length - 1
  const bytes = n.data.subarray(1, 1 + Math.min(declared, available))
  const lengthOk = declared === available
  let text: string
  let utf8Ok = true
  try {
    text = utf8Strict.decode(bytes)
  } catch {
    utf8Ok = false
    text = utf8Lenient.decode(bytes)
  }
  if (!lengthOk) return { text, issue: "length" }
  if (!utf8Ok) return { text, issue: "utf8" }
  return { text }
}

// ---------------------------------------------------------------------------
// RFC 4486 §4: Cease 6/1 may carry AFI (2), SAFI (1), upper bound (4).

export interface MaximumPrefixes {
  readonly afi: Afi
  readonly safi: Safi
  readonly limit: number
}

export const maximumPrefixes = (afi: Afi, safi: Safi, limit: number): Notification => {
  const d = new Uint8Array(7)
  d[0] = afi >>> 8
  d[1] = afi
  d[2] = safi
  d[3] = limit >>> 24
  d[4] = limit >>> 16
  d[5] = limit >>> 8
  d[6] = limit
  return make(ErrorCode.Cease, CeaseSubcode.MaximumPrefixes, d)
}

/** The data of a Cease 6/1, when it has the 7-byte RFC 4486 form. */
export const maximumPrefixesData = (n: Notification): MaximumPrefixes | undefined => {
  if (n.code !== ErrorCode.Cease || n.subcode !== CeaseSubcode.MaximumPrefixes || n.data.length !== 7) return undefined
  const d = n.data
  return {
    afi: (d[0]! << 8) | d[1]!,
    safi: d[2]!,
    limit: ((d[3]! << 24) | (d[4]! << 16) | (d[5]! << 8) | d[6]!) >>> 0
  }
}

// ---------------------------------------------------------------------------
// RFC 8538 §3: a Hard Reset (6/9) carries the original code (1), subcode (1) and data.

export const hardReset = (inner: Notification): Notification => {
  const d = new Uint8Array(2 + inner.data.length)
  d[0] = inner.code
  d[1] = inner.subcode
  d.set(inner.data, 2)
  return make(ErrorCode.Cease, CeaseSubcode.HardReset, d)
}

/** The notification wrapped in a Hard Reset, or undefined for anything else (or a Hard Reset under 2 data bytes). */
export const unwrapHardReset = (n: Notification): Notification | undefined => {
  if (n.code !== ErrorCode.Cease || n.subcode !== CeaseSubcode.HardReset || n.data.length < 2) return undefined
  return make(n.data[0]!, n.data[1]!, n.data.slice(2))
}

// ---------------------------------------------------------------------------
// Codec

/** Decode the body `bytes[start .. end)`: code (1), subcode (1), data. Data is copied (it outlives the buffer). */
export const decodeBody = (bytes: Uint8Array, start: number, end: number, _ctx?: Context): Notification | WireError.WireError => {
  // RFC 4271 §4.5: at least code and subcode (the header check enforces length ≥ 21; repeated for direct callers).
  if (end - start < 2) {
    const length = end - start + 19
    return WireError.make("Header", 1, 2, `NOTIFICATION body of ${end - start} bytes < 2`, Uint8Array.of(length >>> 8, length & 0xff))
  }
  return make(bytes[start]!, bytes[start + 1]!, bytes.slice(start + 2, end))
}

export const encodeBody = (w: Writer, msg: Notification, _ctx?: Context): void => {
  w.u8(msg.code)
  w.u8(msg.subcode)
  w.raw(msg.data)
}
