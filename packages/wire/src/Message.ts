/**
 * The five BGP messages (RFC 4271 §4) as one union, and whole-message decode and
 * encode: a 19-byte header (marker, length, type) followed by the body.
 */
import type { Capability } from "./Capability.js"
import type { Attributes } from "./Attributes.js"
import type { Afi, Safi } from "./Family.js"
import type { Prefixes } from "./Prefixes.js"

export const MessageType = { Open: 1, Update: 2, Notification: 3, Keepalive: 4, RouteRefresh: 5 } as const

export const HEADER_LENGTH = 19

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
