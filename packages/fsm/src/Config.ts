/**
 * Per-peer FSM configuration: RFC 4271 §8.1.1 session attributes (mandatory
 * and optional), the idle-hold backoff, RFC 9687's send hold time and the
 * capabilities we offer. Times are in seconds, as BGP configures them.
 */
import { Family } from "@kbgp/wire"
import type { Family as FamilyTypes } from "@kbgp/wire"

type FamilyKey = FamilyTypes.FamilyKey

/** RFC 7911 §4 Send/Receive, per family. */
export type AddPathMode = "receive" | "send" | "both"

/** RFC 4724 graceful restart as we announce it. */
export interface GracefulRestartConfig {
  /** Seconds (12 bits) the peer should keep our routes while we restart. */
  readonly restartTime: number
  /** R bit: we are restarting now (set by the agent on start after a graceful shutdown). */
  readonly restarting: boolean
  /** RFC 8538 N bit: we support graceful restart for NOTIFICATION-caused resets (Hard Reset otherwise). */
  readonly notification: boolean
  /**
   * Families we preserve state for, with the F bit (forwarding state kept
   * across our restart). Default: every configured family, F clear.
   */
  readonly families?: ReadonlyArray<{ readonly family: FamilyKey; readonly forwarding: boolean }>
}

/** RFC 9494 long-lived graceful restart as we announce it. */
export interface LongLivedGracefulRestartConfig {
  readonly families: ReadonlyArray<{ readonly family: FamilyKey; readonly staleTime: number; readonly forwarding: boolean }>
}

/** The capabilities of our OPEN (RFC 5492). */
export interface LocalCapabilities {
  /** RFC 4760 multiprotocol families, one MP capability each. Default: IPv4 unicast. */
  readonly families: ReadonlyArray<FamilyKey>
  /** RFC 6793 4-octet AS capability. Must stay true when the local AS needs 4 octets. */
  readonly asn4: boolean
  /** RFC 2918 */
  readonly routeRefresh: boolean
  /** RFC 7313 */
  readonly enhancedRouteRefresh: boolean
  /** RFC 8654 */
  readonly extendedMessage: boolean
  /** RFC 4724 (+ RFC 8538); absent: not announced. */
  readonly gracefulRestart?: GracefulRestartConfig
  /** RFC 9494; absent: not announced. */
  readonly longLivedGracefulRestart?: LongLivedGracefulRestartConfig
  /** RFC 7911 per family. */
  readonly addPath: ReadonlyArray<{ readonly family: FamilyKey; readonly mode: AddPathMode }>
  /** RFC 8950: IPv4 families for which we accept (and would send) an IPv6 next hop. */
  readonly extendedNextHop: ReadonlyArray<FamilyKey>
  /** draft-walton-bgp-hostname-capability; informational. */
  readonly fqdn?: { readonly hostname: string; readonly domain: string }
}

export interface Config {
  /** Our AS (4-octet allowed: My AS then carries AS_TRANS, RFC 6793 §4.1). */
  readonly localAs: number
  /** Our BGP identifier, unsigned 32-bit (RFC 6286: any non-zero value unique within the AS). */
  readonly bgpId: number
  /** The AS the peer must announce (2/2 Bad Peer AS otherwise). */
  readonly peerAs: number
  /** RFC 4271 §10 HoldTime we propose (0, or ≥ 3). Default 90. */
  readonly holdTime: number
  /**
   * Seconds between KEEPALIVEs. Default: a third of the negotiated hold time.
   * A configured value applies while the negotiated hold time is ours; when
   * the peer asks for a shorter one, a third of that is used if smaller.
   */
  readonly keepaliveTime?: number
  /** RFC 4271 §8.2.2: the "large value" the HoldTimer gets in OpenSent ("4 minutes is suggested"). Default 240. */
  readonly openHoldTime: number
  /** RFC 4271 §10 ConnectRetryTime. Default 120. */
  readonly connectRetryTime: number
  /** RFC 4271 §8.1.1 DelayOpen / DelayOpenTime: wait this long after the connection for the peer's OPEN. Absent: off. */
  readonly delayOpenTime?: number
  /**
   * RFC 9687 SendHoldTime: seconds we tolerate being unable to send before
   * 8/0. Default: 0 = max(8 minutes, 2 × negotiated hold time), RFC 9687 §3.
   * The timer is not used when the negotiated hold time is 0.
   */
  readonly sendHoldTime: number
  /**
   * Listen only, never initiate a connection (BIRD's and FRR's `passive`):
   * every start acts as its *_with_PassiveTcpEstablishment form (RFC 4271
   * §8.1.1 PassiveTcpEstablishment) and ConnectRetry expiry in Active does
   * not connect. Default false.
   */
  readonly passive: boolean
  /** RFC 4271 §8.1.1 DampPeerOscillations for every start (the *_with_DampPeerOscillations events force it on). Default true. */
  readonly dampPeerOscillations: boolean
  /** First idle hold time after a failure. Default 5. */
  readonly idleHoldTime: number
  /** Cap of the doubling idle hold time. Default 300. */
  readonly idleHoldTimeMax: number
  /** Established this long without a failure resets the backoff (Stable timer). Default 300. */
  readonly dampingResetTime: number
  /** RFC 4271 §10 jitter (factor 0.75–1.0) on ConnectRetry, Keepalive and IdleHold timers. Default true. */
  readonly jitter: boolean
  /** RFC 4271 §8.1.1 CollisionDetectEstablishedState. Default false. */
  readonly collisionDetectEstablishedState: boolean
  /**
   * RFC 4271 §6.3: check that the leftmost AS of an eBGP peer's AS_PATH is the
   * peer's AS (sets `Context.peerAs`). Turn off for route servers. Default true.
   */
  readonly enforceFirstAs: boolean
  readonly capabilities: LocalCapabilities
}

export const defaultCapabilities: LocalCapabilities = {
  families: [Family.Ipv4Unicast],
  asn4: true,
  routeRefresh: true,
  enhancedRouteRefresh: true,
  extendedMessage: true,
  addPath: [],
  extendedNextHop: []
}

export const defaults = {
  holdTime: 90,
  openHoldTime: 240,
  connectRetryTime: 120,
  sendHoldTime: 0,
  passive: false,
  dampPeerOscillations: true,
  idleHoldTime: 5,
  idleHoldTimeMax: 300,
  dampingResetTime: 300,
  jitter: true,
  collisionDetectEstablishedState: false,
  enforceFirstAs: true,
  capabilities: defaultCapabilities
} satisfies Partial<Config>

/** A config from the three mandatory attributes and any overrides; `capabilities` overrides merge with the defaults. */
export const make = (
  fields: Pick<Config, "localAs" | "bgpId" | "peerAs"> &
    Partial<Omit<Config, "capabilities">> & { readonly capabilities?: Partial<LocalCapabilities> }
): Config => ({
  ...defaults,
  ...fields,
  bgpId: fields.bgpId >>> 0,
  capabilities: { ...defaultCapabilities, ...fields.capabilities }
})

/** iBGP when both ends are in the same AS (RFC 4271 §3). */
export const isInternal = (config: Pick<Config, "localAs" | "peerAs">): boolean => config.localAs === config.peerAs
