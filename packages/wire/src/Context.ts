/**
 * The negotiated session a message is decoded or encoded in. One context per
 * direction: `addPath` lists the families whose NLRI carry path identifiers in
 * that direction (RFC 7911 §4: what we receive for decode, what we send for encode).
 */
import type { FamilyKey } from "./Family.js"

export interface Context {
  /** 4-octet AS numbers in AS_PATH and AGGREGATOR (RFC 6793). */
  readonly asn4: boolean
  /** Families whose NLRI carry a 4-byte path identifier (RFC 7911). */
  readonly addPath: ReadonlySet<FamilyKey>
  /** RFC 8654 negotiated: messages other than OPEN and KEEPALIVE may be up to 65535 bytes. */
  readonly extendedMessage: boolean
  /** The peer is external (eBGP): LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from it are discarded (RFC 7606 §7.5, §7.9, §7.10). */
  readonly ebgp: boolean
  /**
   * The peer's AS, when known. For eBGP, the leftmost AS in AS_PATH must equal it
   * (RFC 4271 §6.3, handled as treat-as-withdraw per RFC 7606 §7.2). Leave unset for route servers.
   */
  readonly peerAs?: number
  /** Families for which IPv4 NLRI may carry an IPv6 next hop (RFC 8950). */
  readonly extendedNextHop: ReadonlySet<FamilyKey>
}

export const defaults: Context = {
  asn4: true,
  addPath: new Set(),
  extendedMessage: false,
  ebgp: true,
  extendedNextHop: new Set()
}

export const make = (overrides: Partial<Context> = {}): Context => ({ ...defaults, ...overrides })

/** Largest message the context allows for a given message type (RFC 4271 §4.1, RFC 8654 §4). */
export const maxMessageLength = (ctx: Pick<Context, "extendedMessage">, type: number): number =>
  ctx.extendedMessage && type !== 1 && type !== 4 ? 65535 : 4096
