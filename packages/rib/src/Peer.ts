/**
 * Peers as the RIB sees them: who sent a route (for best path and policy) and who a
 * route goes to (for Adj-RIB-Out). A peer is registered once (`Core.addPeer`) and
 * named by a small integer `PeerId` afterwards; the session-dependent facts (its BGP
 * identifier, the families both sides negotiated) arrive with `Core.peerUp`.
 */
import type { Family } from "@kbgp/wire"
import type { Policy } from "./Policy.js"

/** A small integer naming a peer inside one RIB. `LOCAL` is the pseudo-peer of locally originated routes. */
export type PeerId = number

/**
 * The pseudo-peer "local": the speaker's static routes and the agent's desired routes
 * enter the RIB as its Adj-RIB-In. It is an internal source (no AS prepended on entry,
 * LOCAL_PREF honoured), always present, never exported to.
 */
export const LOCAL: PeerId = 0

/**
 * Max-prefix for one family of one peer: count the peer's routes (Adj-RIB-In paths,
 * before or after import policy) and raise a warning at `warningPercent` of `limit`
 * and "exceeded" above `limit`. On "exceeded" the speaker sends Cease 6/1
 * (`Event.maxPrefixesExceeded`) and restarts the session later — unless `warningOnly`.
 */
export interface MaxPrefix {
  readonly family: Family.FamilyKey
  readonly limit: number
  /** Percentage of `limit` at which a warning is raised once (default 75). */
  readonly warningPercent?: number
  /** Only warn when the limit is exceeded; do not ask for a teardown (default false). */
  readonly warningOnly?: boolean
  /** Count routes as received ("received", default) or only those import policy accepted ("accepted"). */
  readonly count?: "received" | "accepted"
}

/** Next hops this speaker puts in routes it sends to the peer ("next-hop self"). */
export interface NextHopSelf {
  /** 4 bytes: the local address of the session, for IPv4 routes. */
  readonly ipv4?: Uint8Array
  /** 16 bytes (global) or 32 (global + link-local), for IPv6 routes. */
  readonly ipv6?: Uint8Array
}

export interface PeerConfig {
  /** The peer's address, 4 or 16 bytes: the last best-path tie-break (lower wins) and a policy match. */
  readonly address: Uint8Array
  /** The peer's AS; the session is eBGP when it differs from the RIB's `localAs`. */
  readonly asn: number
  /**
   * Install accepted routes into Loc-RIB (default false: kbgp advertises and does not learn — routes are
   * kept in Adj-RIB-In, counted and shown, but take no part in best-path selection).
   */
  readonly install?: boolean
  /** Import policy (default: accept everything unchanged). */
  readonly importPolicy?: Policy
  /** Export policy (default: accept everything unchanged, after the standard eBGP/iBGP rules). */
  readonly exportPolicy?: Policy
  readonly maxPrefix?: ReadonlyArray<MaxPrefix>
  /** Local addresses used as next hop when a route is sent with next-hop self. */
  readonly nextHopSelf?: NextHopSelf
}

/** What the session negotiated, given at `Core.peerUp`. */
export interface PeerSession {
  /** The peer's BGP identifier (router id) from its OPEN, an unsigned 32-bit number. */
  readonly routerId: number
  /** Families both sides negotiated: Adj-RIB-Out is kept for these. */
  readonly families: ReadonlyArray<Family.FamilyKey>
  /** The peer speaks long-lived graceful restart (RFC 9494): LLGR-stale routes may be sent to it. */
  readonly llgr?: boolean
}

/** Route counts of one peer and family. */
export interface FamilyStats {
  readonly family: Family.FamilyKey
  /** Paths in Adj-RIB-In (pre-policy). */
  readonly received: number
  /** Paths import policy accepted (Adj-RIB-In post-policy). */
  readonly accepted: number
  /** Paths of this peer that are the Loc-RIB best for their prefix. */
  readonly best: number
  /** Paths marked stale (graceful restart or LLGR). */
  readonly stale: number
  /** Routes in Adj-RIB-Out. */
  readonly advertised: number
}

export interface PeerStats {
  readonly peer: PeerId
  /** True between `peerUp` and `peerDown`. */
  readonly up: boolean
  readonly families: ReadonlyArray<FamilyStats>
}
