/**
 * NOTIFICATION (RFC 4271 §4.5): error code, subcode, data. Names for every
 * registered code and subcode (the IANA "BGP Error (Notification) Codes" registry
 * and its subcode registries), and the structured data some subcodes carry:
 * RFC 9003 shutdown communication, RFC 4486 maximum-prefix data, RFC 8538 Hard
 * Reset, RFC 5492 unsupported capabilities.
 */
import * as Capability from "./Capability.js"
import type { Context } from "./Context.js"
import type { Afi, Safi } from "./Family.js"
import type { Notification } from "./Message.js"
import * as WireError from "./WireError.js"
import { Writer } from "./internal/Writer.js"

export type { Notification } from "./Message.js"

/** IANA "BGP Error (Notification) Codes". */
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

/** IANA "Message Header Error subcodes" (RFC 4271 §6.1; 0 from RFC 4271 erratum 4493). */
export const HeaderSubcode = {
  Unspecific: 0,
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3
} as const

/** IANA "OPEN Message Error subcodes" (RFC 4271 §6.2; 7 RFC 5492; 11 RFC 9234). 5, 8, 9, 10 are deprecated. */
export const OpenSubcode = {
  Unspecific: 0,
  UnsupportedVersionNumber: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  UnsupportedCapability: 7,
  RoleMismatch: 11
} as const

/** IANA "UPDATE Message Error subcodes" (RFC 4271 §6.3). 7 is deprecated. */
export const UpdateSubcode = {
  Unspecific: 0,
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOriginAttribute: 6,
  InvalidNextHopAttribute: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11
} as const

/** IANA "BGP Finite State Machine Error Subcodes" (RFC 6608 §3). */
export const FsmSubcode = {
  UnspecifiedError: 0,
  UnexpectedMessageInOpenSent: 1,
  UnexpectedMessageInOpenConfirm: 2,
  UnexpectedMessageInEstablished: 3
} as const

/** IANA "BGP Cease NOTIFICATION message subcodes" (RFC 4486 §4; 9 RFC 8538; 10 RFC 9384). */
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

/** IANA "BGP ROUTE-REFRESH Message Error subcodes" (RFC 7313 §5). */
export const RouteRefreshSubcode = { InvalidMessageLength: 1 } as const

interface CodeEntry {
  readonly name: string
  readonly subcodes: Readonly<Record<number, string>>
}

/**
 * The IANA "BGP Error (Notification) Codes" registry and its subcode registries, with
 * the registry's own names (deprecated values are named "Deprecated", as there).
 */
export const codes: Readonly<Record<number, CodeEntry>> = {
  0: { name: "Reserved", subcodes: {} },
  // RFC 4271 §4.5, §6.1; 0 "Unspecific" from RFC 4271 erratum 4493, as registered for codes 1–3.
  1: {
    name: "Message Header Error",
    subcodes: { 0: "Unspecific", 1: "Connection Not Synchronized", 2: "Bad Message Length", 3: "Bad Message Type" }
  },
  // RFC 4271 §6.2; 5 (Authentication Failure in RFC 1771) deprecated by RFC 4271; 7 RFC 5492;
  // 8–10 deprecated (draft-ietf-idr-bgp-multisession); 11 RFC 9234.
  2: {
    name: "OPEN Message Error",
    subcodes: {
      0: "Unspecific",
      1: "Unsupported Version Number",
      2: "Bad Peer AS",
      3: "Bad BGP Identifier",
      4: "Unsupported Optional Parameter",
      5: "Deprecated",
      6: "Unacceptable Hold Time",
      7: "Unsupported Capability",
      8: "Deprecated",
      9: "Deprecated",
      10: "Deprecated",
      11: "Role Mismatch"
    }
  },
  // RFC 4271 §6.3; 7 (AS Routing Loop in RFC 1771) deprecated by RFC 4271.
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
      7: "Deprecated",
      8: "Invalid NEXT_HOP Attribute",
      9: "Optional Attribute Error",
      10: "Invalid Network Field",
      11: "Malformed AS_PATH"
    }
  },
  // RFC 4271 §6.5 (no subcode registry).
  4: { name: "Hold Timer Expired", subcodes: {} },
  // RFC 4271 §6.6; subcodes RFC 6608 §3.
  5: {
    name: "Finite State Machine Error",
    subcodes: {
      0: "Unspecified Error",
      1: "Receive Unexpected Message in OpenSent State",
      2: "Receive Unexpected Message in OpenConfirm State",
      3: "Receive Unexpected Message in Established State"
    }
  },
  // RFC 4271 §6.7; subcodes RFC 4486 §4, 9 RFC 8538, 10 RFC 9384.
  6: {
    name: "Cease",
    subcodes: {
      0: "Reserved",
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
  7: { name: "ROUTE-REFRESH Message Error", subcodes: { 0: "Reserved", 1: "Invalid Message Length" } },
  // RFC 9687 §3 (no subcode registry).
  8: { name: "Send Hold Timer Expired", subcodes: {} }
}

/**
 * "Cease / Administrative Shutdown"; the code name alone for subcode 0 of a code without
 * a subcode registry (Hold Timer Expired, Send Hold Timer Expired) or a reserved 0.
 */
export const describe = (code: number, subcode: number): string => {
  const entry = codes[code]
  if (entry === undefined) return `Unknown error code ${code} / subcode ${subcode}`
  const sub = entry.subcodes[subcode]
  if (sub !== undefined && !(subcode === 0 && sub === "Reserved")) return `${entry.name} / ${sub}`
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

/** RFC 9003 §2: the Length octet, so at most 255 bytes of text. */
export const SHUTDOWN_MAX_BYTES = 255
/** RFC 9003 §3: the limit when the peer is not known to implement RFC 9003 (RFC 8203's limit). */
export const SHUTDOWN_COMPAT_MAX_BYTES = 128

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
 * (Administrative Shutdown) or 4 (Administrative Reset). The text is cut on a
 * character boundary to `maxBytes`: 128 by default, as RFC 9003 §3 asks when the
 * peer is not known to implement RFC 9003; pass up to 255 when it is.
 */
export const shutdown = (
  subcode: typeof CeaseSubcode.AdministrativeShutdown | typeof CeaseSubcode.AdministrativeReset,
  text: string,
  maxBytes: number = SHUTDOWN_COMPAT_MAX_BYTES
): Notification => {
  const bytes = truncateUtf8(text, Math.max(0, Math.min(SHUTDOWN_MAX_BYTES, Math.floor(maxBytes))))
  const data = new Uint8Array(1 + bytes.length)
  data[0] = bytes.length
  data.set(bytes, 1)
  return make(ErrorCode.Cease, subcode, data)
}

export interface ShutdownCommunication {
  readonly text: string
  /**
   * RFC 9003 §4: an invalid Length (more or fewer bytes than it announces) or invalid
   * UTF-8 is to be logged (the data may be logged as a hexdump), never fatal.
   */
  readonly issue?: "length" | "utf8"
}

/**
 * The shutdown communication of a Cease 6/2 or 6/4, or undefined when the
 * notification is another kind or carries no data. The text is the bytes the
 * Length octet announces, as far as the data goes: bytes past the announced
 * length are not text, and the mismatch is reported as `issue: "length"`.
 * Invalid UTF-8 is reported as `issue: "utf8"` and its ill-formed sequences are
 * not interpreted (RFC 9003 §2): each becomes U+FFFD. Never throws.
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
// RFC 5492 §5: Unsupported Capability (2/7) lists the capabilities that made the speaker give up,
// each encoded as in the OPEN.

export const unsupportedCapability = (capabilities: ReadonlyArray<Capability.Capability>): Notification => {
  const w = new Writer(64)
  for (const c of capabilities) Capability.encode(w, c)
  return make(ErrorCode.Open, OpenSubcode.UnsupportedCapability, w.finish())
}

/** The capabilities listed by an Unsupported Capability (2/7), or undefined for anything else or unparseable data. */
export const unsupportedCapabilities = (n: Notification): Array<Capability.Capability> | undefined => {
  if (n.code !== ErrorCode.Open || n.subcode !== OpenSubcode.UnsupportedCapability) return undefined
  const out: Array<Capability.Capability> = []
  const d = n.data
  let o = 0
  while (o < d.length) {
    if (d.length - o < 2 || d[o + 1]! > d.length - o - 2) return undefined
    const c = Capability.decode(d[o]!, d, o + 2, o + 2 + d[o + 1]!)
    if (WireError.isWireError(c)) return undefined
    out.push(c)
    o += 2 + d[o + 1]!
  }
  return out
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
