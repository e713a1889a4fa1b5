/**
 * OPEN capabilities (RFC 5492). Each known capability is decoded into its own
 * shape; anything else, or a code we do not interpret, is kept as `Unknown` so it
 * can be logged and compared.
 */
import type { Afi, Safi } from "./Family.js"

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
