/**
 * One route as plain data, for queries, dumps and the CLI (never on the hot path:
 * tables keep routes in typed arrays and hand out these objects only when asked).
 */
import type { Family, Prefixes } from "@kbgp/wire"
import type { AttrSet } from "./AttrSet.js"
import type { PeerId } from "./Peer.js"

export interface Route {
  readonly family: Family.FamilyKey
  /** Address bytes (host bits clear) and length (the path id is `pathId`, not part of this). */
  readonly prefix: Prefixes.Entry
  /** The peer it was learned from (`Peer.LOCAL` for local routes). */
  readonly peer: PeerId
  /** ADD-PATH path identifier (RFC 7911), 0 without ADD-PATH. */
  readonly pathId: number
  readonly attributes: AttrSet
  /** Kept for a restarting peer (graceful restart). */
  readonly stale: boolean
  /** Marked LLGR-stale by the RIB (RFC 9494). */
  readonly llgrStale: boolean
  /** This path is the Loc-RIB best for its prefix. */
  readonly best: boolean
}

/** A prefix as a key for lookups: `address` is 4 or 16 bytes (host bits are ignored), `pathId` for ADD-PATH. */
export type PrefixKey = Prefixes.Entry
