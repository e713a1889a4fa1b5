/**
 * The speaker's input language: everything a BGP speaker should be, as plain
 * data. `Speaker.apply(desired)` makes the running speaker match it, changing
 * only what differs. Producers: the `bun run speaker` daemon (from YAML) and
 * the announcer (from the cluster). Text forms (addresses, prefixes,
 * communities) are parsed by `@kbgp/wire`'s `Text` when applied; a value that
 * does not parse fails `apply` with a `ConfigError` naming the field path.
 *
 * Times are in seconds, as BGP configures them.
 */
import type { Policy as RibPolicy } from "@kbgp/rib"

/** Address families the speaker carries (`Family.format` names). */
export type FamilyName = "ipv4-unicast" | "ipv6-unicast"

export const familyNames: ReadonlyArray<FamilyName> = ["ipv4-unicast", "ipv6-unicast"]

/** Import and export policy: `@kbgp/rib`'s policy as data (rules matching prefix, community, AS path, peer, family). */
export type Policy = RibPolicy.Policy

/** Where the speaker accepts inbound BGP connections. */
export interface ListenerConfig {
  /** IP literal; "::" also takes IPv4 peers on a dual-stack host. */
  readonly address: string
  /** Default 179; 0 picks a free port (see `Speaker.listener`). */
  readonly port?: number
}

/** RFC 4724 graceful restart (with RFC 8538's N bit) and RFC 9494 long-lived GR for one peer. */
export interface GracefulRestartConfig {
  /** Announce the capability. Default true when the object is present. */
  readonly enabled?: boolean
  /** Seconds the peer should keep our routes while we restart (12 bits, ≤ 4095). Default 120. */
  readonly restartTime?: number
  /** RFC 8538 N bit: NOTIFICATIONs other than Hard Reset keep routes too. Default true. */
  readonly notification?: boolean
  /**
   * F bit per family: our forwarding state survives our restart (a node keeps
   * forwarding while kbgp restarts). Without it a helper must drop our routes
   * at once when we come back (RFC 4724 §4.2). Default true.
   */
  readonly forwarding?: boolean
  /**
   * RFC 9494 long-lived stale time in seconds (24 bits): announce LLGR and,
   * as helper, keep the peer's routes this long (marked LLGR_STALE, least
   * preferred) after the restart time ran out. Absent: no LLGR.
   */
  readonly longLivedStaleTime?: number
  /**
   * As helper: how long after the peer re-established we wait for its
   * End-of-RIB before sweeping its stale routes; also how long routes marked
   * stale by the peer's BoRR (RFC 7313) wait for its EoRR. Default 360 (FRR's stalepath-time).
   */
  readonly staleRoutesTime?: number
}

/** RFC 4486 max-prefix: a limit on the prefixes one peer may send in a family. */
export interface MaxPrefixConfig {
  /** The family; absent: the limit applies to each family of the peer separately. */
  readonly family?: FamilyName
  /** Prefixes received (Adj-RIB-In, before import policy) above which the action runs. */
  readonly limit: number
  /** "restart" (default): Cease 6/1 with AFI/SAFI/limit, restart after `restartAfter`. "warn": an event and a log line only. */
  readonly action?: "restart" | "warn"
  /** Seconds before the session is started again after a "restart". Default 60. */
  readonly restartAfter?: number
}

/** One BGP neighbour and every setting of its session. */
export interface PeerConfig {
  /** Stable identity of the peer (logs, introspection, `Route.peers`). Default: the address. */
  readonly name?: string
  /** The peer's IP literal ("192.0.2.1", "2001:db8::1", "fe80::1%eth0"). */
  readonly address: string
  /** The peer's AS; equal to `localAs` makes it iBGP. */
  readonly asn: number
  /** Default 179. */
  readonly port?: number
  /** Bind outgoing connections to this address; also the IPv4/IPv6 "self" next hop when set. */
  readonly localAddress?: string
  /** Only accept the peer's connections (needs the listener); never connect. Default false. */
  readonly passive?: boolean
  /** RFC 2385 TCP-MD5 password (≤ 80 bytes); also set on the listener for this peer. */
  readonly md5Password?: string
  /** eBGP multihop: the TTL of our packets (1 for directly connected peers, the default for eBGP on most routers). */
  readonly multihopTtl?: number
  /**
   * RFC 5082 TTL security (GTSM): the peer is at most this many hops away.
   * We send with TTL 255 and drop packets with a TTL below 256 - hops. Absent: off.
   */
  readonly ttlSecurityHops?: number
  /** Hold time we propose (0, or 3 and more). Default 90. */
  readonly holdTime?: number
  /** Seconds between KEEPALIVEs. Default a third of the negotiated hold time. */
  readonly keepaliveTime?: number
  /**
   * RFC 9687 SendHoldTime: seconds we wait for the peer to read what we send
   * before Send Hold Timer Expired (8/0). Must exceed `holdTime`. Default
   * max(8 minutes, 2 × the negotiated hold time) (RFC 9687 §3).
   */
  readonly sendHoldTime?: number
  /** Seconds between connection attempts. Default 120 (30 for faster labs is common). */
  readonly connectRetryTime?: number
  /** Graceful restart (RFC 4724/8538) and long-lived GR (RFC 9494). Absent: not announced. */
  readonly gracefulRestart?: GracefulRestartConfig
  /** Families negotiated with the peer. Default: the family of the peer's address. */
  readonly families?: ReadonlyArray<FamilyName>
  /**
   * RFC 7911 ADD-PATH receive: families (among `families`) in which the peer may
   * send several paths per prefix, each kept in Adj-RIB-In by its path id.
   * Default: none. The speaker sends one path per prefix (it originates routes).
   */
  readonly addPathReceive?: ReadonlyArray<FamilyName>
  /** Limits on what the peer may send. */
  readonly maxPrefix?: ReadonlyArray<MaxPrefixConfig>
  /** What is kept of what the peer sends. Default: accept into Adj-RIB-In and count, install nothing. */
  readonly importPolicy?: Policy
  /** What the peer is sent of our routes. Default: every route that applies to the peer. */
  readonly exportPolicy?: Policy
}

/**
 * Routes we originate: one or more prefixes sharing one set of attributes.
 * The family follows each prefix (IPv4 or IPv6 unicast). A prefix listed
 * twice for the same peers keeps its last definition.
 */
export interface Route {
  /** One prefix ("192.0.2.0/24", "2001:db8::/48"; a bare address is its host route). */
  readonly prefix?: string
  /** Many prefixes with the same attributes (either `prefix` or `prefixes`, or both). */
  readonly prefixes?: ReadonlyArray<string>
  /**
   * Announce each prefix as all its more-specifics of this length instead
   * (ExaBGP's `split /N`): "10.0.0.0/22" with split 24 is the four /24s. For
   * route injectors, labs and benchmarks. At least the longest prefix's length,
   * at most 32 (IPv4) or 128 (IPv6), and at most 2^24 prefixes per entry
   * (`maxSplit`).
   */
  readonly split?: number
  /**
   * Next hop: an IP literal or "self" (default): the session's local address
   * (`localAddress` when configured), in the route's family. A route whose
   * family has no self address for a peer (IPv6 route over an IPv4 session
   * without an IPv6 `localAddress`) is not sent to that peer.
   */
  readonly nextHop?: string
  /** IPv6 only: a link-local next hop sent beside the global one (RFC 2545 §3, 32-byte next hop). */
  readonly linkLocalNextHop?: string
  /** Default "igp". */
  readonly origin?: "igp" | "egp" | "incomplete"
  /** AS numbers after ours (eBGP) or alone (iBGP), e.g. a path for an anycast origin. Default empty. */
  readonly asPath?: ReadonlyArray<number>
  /** eBGP only: our AS is prepended this many extra times. Default 0. */
  readonly asPathPrepend?: number
  readonly med?: number
  /** iBGP only (never sent to eBGP peers, RFC 4271 §5.1.5). Default 100 on iBGP. */
  readonly localPref?: number
  /** RFC 1997 communities: "65000:100", or a well-known name ("no-export"). */
  readonly communities?: ReadonlyArray<string>
  /** RFC 8092 large communities: "65000:1:2". */
  readonly largeCommunities?: ReadonlyArray<string>
  /** RFC 4360 extended communities: "rt:65000:100", "soo:192.0.2.1:7". */
  readonly extendedCommunities?: ReadonlyArray<string>
  /** Only these peers (by name; a name is the address unless set) get the route. Default: every peer. */
  readonly peers?: ReadonlyArray<string>
}

export interface DesiredState {
  /** BGP identifier as a dotted IPv4 address; non-zero. */
  readonly routerId: string
  /** Our AS (4-octet allowed). */
  readonly localAs: number
  /** Accept inbound connections here; absent: no listener (every peer must then be active). */
  readonly listener?: ListenerConfig
  readonly peers: ReadonlyArray<PeerConfig>
  readonly routes: ReadonlyArray<Route>
}

/** The most prefixes one route entry may expand to with `split` (2^24: every /24 of the IPv4 space). */
export const maxSplit = 2 ** 24

/**
 * Why a prefix of `length` in an address of `bits` (32 or 128) cannot be split
 * into prefixes of length `split`, or undefined when it can (then it makes
 * 2^(split - length) prefixes).
 */
export const splitIssue = (length: number, bits: 32 | 128, split: number): string | undefined => {
  if (!Number.isInteger(split) || split < 0) return "expected a prefix length"
  if (split > bits) return `split ${split} is longer than an ${bits === 32 ? "IPv4" : "IPv6"} address (${bits} bits)`
  if (split < length) return `split ${split} is shorter than the prefix length ${length}`
  if (2 ** (split - length) > maxSplit) return `split ${split} makes 2^${split - length} prefixes; at most ${maxSplit} (2^${Math.log2(maxSplit)}) per route entry`
  return undefined
}

/** The empty speaker: no listener, no peers, no routes. */
export const empty = (routerId: string, localAs: number): DesiredState => ({ routerId, localAs, peers: [], routes: [] })

/** The identity of a peer: its name, else its address. */
export const peerName = (peer: PeerConfig): string => peer.name ?? peer.address
