/**
 * OPEN capabilities (RFC 5492). Each known capability is decoded into its own
 * shape; anything else, or a code we do not interpret, is kept as `Unknown` so it
 * can be logged and compared.
 */
import type { Afi, Safi } from "./Family.js"
import type { Writer } from "./internal/Writer.js"
import * as WireError from "./WireError.js"

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedNextHop: 5,
  ExtendedMessage: 6,
  GracefulRestart: 64,
  FourOctetAs: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
  LongLivedGracefulRestart: 71,
  Fqdn: 73
} as const

/** RFC 4724 §3 restart flags (high 4 bits of the first two octets): R (restarting) and N (RFC 8538 notification). */
export const RestartFlag = { Restart: 0x8, Notification: 0x4 } as const
/** RFC 4724 per-family flags: F, forwarding state preserved. Same bit in RFC 9494 LLGR. */
export const ForwardingFlag = 0x80
/** RFC 7911 §4 Send/Receive. */
export const AddPathMode = { Receive: 1, Send: 2, Both: 3 } as const

export interface Multiprotocol { readonly _tag: "Multiprotocol"; readonly afi: Afi; readonly safi: Safi }
export interface RouteRefresh { readonly _tag: "RouteRefresh" }
export interface EnhancedRouteRefresh { readonly _tag: "EnhancedRouteRefresh" }
export interface ExtendedMessage { readonly _tag: "ExtendedMessage" }
export interface FourOctetAs { readonly _tag: "FourOctetAs"; readonly asn: number }
export interface GracefulRestart {
  readonly _tag: "GracefulRestart"
  /** 4 bits: `RestartFlag` values. */
  readonly flags: number
  /** Seconds, 12 bits. */
  readonly restartTime: number
  readonly families: ReadonlyArray<{ readonly afi: Afi; readonly safi: Safi; readonly flags: number }>
}
export interface LongLivedGracefulRestart {
  readonly _tag: "LongLivedGracefulRestart"
  /** Per family: flags (F bit) and long-lived stale time in seconds (24 bits). */
  readonly families: ReadonlyArray<{ readonly afi: Afi; readonly safi: Safi; readonly flags: number; readonly staleTime: number }>
}
export interface AddPath {
  readonly _tag: "AddPath"
  readonly families: ReadonlyArray<{ readonly afi: Afi; readonly safi: Safi; readonly mode: number }>
}
export interface ExtendedNextHop {
  readonly _tag: "ExtendedNextHop"
  readonly entries: ReadonlyArray<{ readonly afi: Afi; readonly safi: Safi; readonly nextHopAfi: Afi }>
}
export interface Fqdn { readonly _tag: "Fqdn"; readonly hostname: string; readonly domain: string }
export interface Unknown { readonly _tag: "Unknown"; readonly code: number; readonly value: Uint8Array }

export type Capability =
  | Multiprotocol
  | RouteRefresh
  | EnhancedRouteRefresh
  | ExtendedMessage
  | FourOctetAs
  | GracefulRestart
  | LongLivedGracefulRestart
  | AddPath
  | ExtendedNextHop
  | Fqdn
  | Unknown

// ---------------------------------------------------------------------------
// Codec. A capability on the wire is code (1), length (1), value (RFC 5492 §4).

/** Human-readable names, for logs and errors. */
export const names: Readonly<Record<number, string>> = {
  1: "Multiprotocol",
  2: "Route Refresh",
  5: "Extended Next Hop",
  6: "Extended Message",
  64: "Graceful Restart",
  65: "4-octet AS",
  69: "ADD-PATH",
  70: "Enhanced Route Refresh",
  71: "Long-Lived Graceful Restart",
  73: "FQDN"
}

export const name = (code: number): string => names[code] ?? `capability ${code}`

export const codeOf = (cap: Capability): number => (cap._tag === "Unknown" ? cap.code : CapabilityCode[cap._tag])

const utf8 = new TextDecoder()
const utf8Encoder = new TextEncoder()

/**
 * A known capability whose value does not have the shape its RFC defines. The
 * RFCs define the layouts but say nothing of a malformed one; RFC 4271 §6.2
 * makes a recognised-but-malformed optional parameter an OPEN Message Error,
 * subcode 0 (Unspecific), which is what BIRD sends too.
 */
const malformed = (code: number, detail: string): WireError.WireError =>
  WireError.make("Open", 2, 0, `${name(code)} capability: ${detail}`)

const fixedLength = (code: number, length: number, want: number): WireError.WireError | undefined =>
  length === want ? undefined : malformed(code, `length ${length}, expected ${want}`)

const multipleOf = (code: number, length: number, unit: number, base = 0): WireError.WireError | undefined =>
  length >= base && (length - base) % unit === 0
    ? undefined
    : malformed(code, `length ${length} is not ${base > 0 ? `${base} + ` : ""}a multiple of ${unit}`)

/**
 * Decode the value `bytes[start .. end)` of a capability with `code`. Never
 * reads outside the range; a malformed known capability is a 2/0 error.
 */
export const decode = (code: number, bytes: Uint8Array, start: number, end: number): Capability | WireError.WireError => {
  const length = end - start
  const u16 = (o: number): number => (bytes[o]! << 8) | bytes[o + 1]!
  switch (code) {
    case CapabilityCode.Multiprotocol: {
      // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
      const e = fixedLength(code, length, 4)
      if (e !== undefined) return e
      return { _tag: "Multiprotocol", afi: u16(start), safi: bytes[start + 3]! }
    }
    case CapabilityCode.RouteRefresh:
      // RFC 2918 §2: length 0.
      return fixedLength(code, length, 0) ?? { _tag: "RouteRefresh" }
    case CapabilityCode.EnhancedRouteRefresh:
      // RFC 7313 §3: length 0.
      return fixedLength(code, length, 0) ?? { _tag: "EnhancedRouteRefresh" }
    case CapabilityCode.ExtendedMessage:
      // RFC 8654 §3: length 0.
      return fixedLength(code, length, 0) ?? { _tag: "ExtendedMessage" }
    case CapabilityCode.FourOctetAs: {
      // RFC 6793 §3: length 4, the AS number.
      const e = fixedLength(code, length, 4)
      if (e !== undefined) return e
      return { _tag: "FourOctetAs", asn: (((bytes[start]! << 24) | (bytes[start + 1]! << 16) | u16(start + 2)) >>> 0) }
    }
    case CapabilityCode.GracefulRestart: {
      // RFC 4724 §3: flags (4 bits) + restart time (12 bits), then AFI (2), SAFI (1), flags (1) per family.
      const e = multipleOf(code, length, 4, 2)
      if (e !== undefined) return e
      const head = u16(start)
      const families: Array<{ afi: number; safi: number; flags: number }> = []
      for (let o = start + 2; o < end; o += 4) families.push({ afi: u16(o), safi: bytes[o + 2]!, flags: bytes[o + 3]! })
      return { _tag: "GracefulRestart", flags: head >>> 12, restartTime: head & 0xfff, families }
    }
    case CapabilityCode.LongLivedGracefulRestart: {
      // RFC 9494 §3: AFI (2), SAFI (1), flags (1), long-lived stale time (3) per family.
      const e = multipleOf(code, length, 7)
      if (e !== undefined) return e
      const families: Array<{ afi: number; safi: number; flags: number; staleTime: number }> = []
      for (let o = start; o < end; o += 7) {
        families.push({ afi: u16(o), safi: bytes[o + 2]!, flags: bytes[o + 3]!, staleTime: (bytes[o + 4]! << 16) | u16(o + 5) })
      }
      return { _tag: "LongLivedGracefulRestart", families }
    }
    case CapabilityCode.AddPath: {
      // RFC 7911 §4: AFI (2), SAFI (1), Send/Receive (1) per family. Send/Receive values
      // other than 1..3 are kept: §4 says to ignore them, which is negotiation's job.
      const e = multipleOf(code, length, 4)
      if (e !== undefined) return e
      const families: Array<{ afi: number; safi: number; mode: number }> = []
      for (let o = start; o < end; o += 4) families.push({ afi: u16(o), safi: bytes[o + 2]!, mode: bytes[o + 3]! })
      return { _tag: "AddPath", families }
    }
    case CapabilityCode.ExtendedNextHop: {
      // RFC 8950 §3: NLRI AFI (2), NLRI SAFI (2), Next Hop AFI (2) per entry.
      const e = multipleOf(code, length, 6)
      if (e !== undefined) return e
      const entries: Array<{ afi: number; safi: number; nextHopAfi: number }> = []
      for (let o = start; o < end; o += 6) entries.push({ afi: u16(o), safi: u16(o + 2), nextHopAfi: u16(o + 4) })
      return { _tag: "ExtendedNextHop", entries }
    }
    case CapabilityCode.Fqdn: {
      // draft-walton-bgp-hostname-capability §3: hostname length (1), hostname, domain length (1), domain.
      // The draft has no error handling; inner lengths that disagree with the capability length are malformed.
      if (length < 2) return malformed(code, `length ${length} < 2`)
      const hostLength = bytes[start]!
      if (1 + hostLength + 1 > length) return malformed(code, `hostname length ${hostLength} runs past the ${length}-byte value`)
      const domainAt = start + 1 + hostLength
      const domainLength = bytes[domainAt]!
      if (domainAt + 1 + domainLength !== end) {
        return malformed(code, `domain length ${domainLength} does not fill the ${end - domainAt - 1} bytes left`)
      }
      return {
        _tag: "Fqdn",
        hostname: utf8.decode(bytes.subarray(start + 1, domainAt)),
        domain: utf8.decode(bytes.subarray(domainAt + 1, end))
      }
    }
    default:
      return { _tag: "Unknown", code, value: bytes.slice(start, end) }
  }
}

const encodeValue = (w: Writer, cap: Capability): void => {
  switch (cap._tag) {
    case "Multiprotocol":
      w.u16(cap.afi)
      w.u8(0)
      w.u8(cap.safi)
      return
    case "RouteRefresh":
    case "EnhancedRouteRefresh":
    case "ExtendedMessage":
      return
    case "FourOctetAs":
      w.u32(cap.asn)
      return
    case "GracefulRestart":
      w.u16(((cap.flags & 0xf) << 12) | (cap.restartTime & 0xfff))
      for (const f of cap.families) {
        w.u16(f.afi)
        w.u8(f.safi)
        w.u8(f.flags)
      }
      return
    case "LongLivedGracefulRestart":
      for (const f of cap.families) {
        w.u16(f.afi)
        w.u8(f.safi)
        w.u8(f.flags)
        w.u24(f.staleTime)
      }
      return
    case "AddPath":
      for (const f of cap.families) {
        w.u16(f.afi)
        w.u8(f.safi)
        w.u8(f.mode)
      }
      return
    case "ExtendedNextHop":
      for (const e of cap.entries) {
        w.u16(e.afi)
        w.u16(e.safi)
        w.u16(e.nextHopAfi)
      }
      return
    case "Fqdn": {
      const host = utf8Encoder.encode(cap.hostname)
      const domain = utf8Encoder.encode(cap.domain)
      if (host.length > 255 || domain.length > 255) throw new RangeError("FQDN capability: hostname and domain are limited to 255 bytes each")
      w.u8(host.length)
      w.raw(host)
      w.u8(domain.length)
      w.raw(domain)
      return
    }
    case "Unknown":
      w.raw(cap.value)
      return
  }
}

/** Append code, length and value. A value over 255 bytes cannot be expressed: RangeError (a caller bug). */
export const encode = (w: Writer, cap: Capability): void => {
  w.u8(codeOf(cap))
  const at = w.mark(1)
  encodeValue(w, cap)
  const length = w.offset - at - 1
  if (length > 255) throw new RangeError(`${name(codeOf(cap))} capability value of ${length} bytes exceeds 255`)
  w.patch8(at, length)
}
