/**
 * The RIB core: Adj-RIB-In per peer (pre- and post-policy), Loc-RIB, Adj-RIB-Out per
 * peer, for IPv4 and IPv6 unicast, ADD-PATH aware.
 *
 * "Pure" here means no I/O, no clock, no randomness and no Effect runtime: every result
 * is a function of the operations applied so far. It is a mutable object, not a
 * persistent value, because a full table (1M routes) has to live in typed arrays; the
 * `Rib` service serialises access to it and publishes the diffs.
 *
 * Layout (per family): a prefix table interning each prefix to a dense index (open
 * addressing over packed address words), a path pool (one row of typed arrays per
 * Adj-RIB-In path: prefix, peer, path id, pre- and post-policy attribute set, flags,
 * links), the Loc-RIB best path per prefix, and per exporting peer a dense array of the
 * attribute set sent per prefix. No object per route; attribute sets are interned.
 *
 * Every operation returns a `Diff`. Best path and Adj-RIB-Out are recomputed once per
 * touched prefix at the end of the operation (or of a `batch`), so the diff is exact.
 *
 * Bad input (an unknown peer, a family not kept here, a prefix block whose AFI, array
 * sizes or prefix lengths do not fit the family) throws a RangeError before the
 * operation changes anything: every block of an operation is checked first.
 */
import type { Attributes, Family, Message, Prefixes } from "@kbgp/wire"
import type { AttrSet } from "./AttrSet.js"
import * as BestPath from "./BestPath.js"
import type { Diff, RouteGroup } from "./Diff.js"
import type { Interner } from "./Interner.js"
import type { PeerConfig, PeerId, PeerSession, PeerStats } from "./Peer.js"
import type { PrefixKey, Route } from "./Route.js"
import { CoreImpl } from "./internal/CoreImpl.js"

export interface Options {
  readonly localAs: number
  /** This speaker's BGP identifier: the router id of locally originated routes in best path. */
  readonly routerId: number
  readonly bestPath?: Partial<BestPath.Options>
}

/** Routes to put in a table: prefixes sharing one attribute set (`attributes.nextHop` is the family's next hop). */
export interface RouteInput {
  readonly attributes: Attributes.Attributes
  readonly prefixes: Prefixes.Prefixes
}

export interface MemoryStats {
  readonly prefixes: number
  readonly paths: number
  readonly attributeSets: number
  /** Bytes held by the typed arrays of all tables (capacity, not just the used part). */
  readonly tableBytes: number
}

export interface Core {
  readonly options: Options
  /** The attribute sets (read them; reference counts belong to the tables). */
  readonly interner: Interner

  // --- peers ---------------------------------------------------------------------------------------------

  /**
   * Register a peer. Its routes count from now on; it receives nothing until `peerUp`. A policy in which
   * `Policy.validate` finds a problem throws a RangeError naming the field (here and in `configurePeer`).
   */
  readonly addPeer: (config: PeerConfig) => PeerId
  /**
   * Replace a peer's configuration. Import policy is re-run over its Adj-RIB-In (pre-policy is kept, so no
   * route refresh is needed) and export over its Adj-RIB-Out; the diff has what changed.
   */
  readonly configurePeer: (peer: PeerId, config: PeerConfig) => Diff
  /** Withdraw everything the peer sent, drop its Adj-RIB-Out and forget it. */
  readonly removePeer: (peer: PeerId) => Diff
  /** The session is Established: build Adj-RIB-Out for `session.families`; the diff announces the initial table. */
  readonly peerUp: (peer: PeerId, session: PeerSession) => Diff
  /**
   * The session went down: drop Adj-RIB-Out, and withdraw the peer's routes unless `keepRoutes` (graceful
   * restart helper: call `markStale` next and `sweepStale` on End-of-RIB or when the restart timer fires).
   */
  readonly peerDown: (peer: PeerId, options?: { readonly keepRoutes?: boolean }) => Diff
  readonly peers: () => ReadonlyArray<PeerId>
  readonly peerConfig: (peer: PeerId) => PeerConfig | undefined
  readonly stats: (peer: PeerId) => PeerStats

  // --- routes in -----------------------------------------------------------------------------------------

  /**
   * Apply a decoded UPDATE from a peer: withdrawals (IPv4 field and MP_UNREACH), then announcements (IPv4
   * NLRI with NEXT_HOP, MP_REACH with its next hop). AS4_PATH is merged first (`AsPath.applyAs4`). A
   * treat-as-withdraw UPDATE (RFC 7606 §2) withdraws its NLRI. Families other than IPv4/IPv6 unicast are
   * ignored. Path ids come from the blocks (ADD-PATH), 0 otherwise.
   */
  readonly applyUpdate: (peer: PeerId, update: Message.Update) => Diff
  /** Put `prefixes` (path ids when present) into the peer's Adj-RIB-In with `attributes`. */
  readonly announce: (peer: PeerId, family: Family.FamilyKey, prefixes: Prefixes.Prefixes, attributes: Attributes.Attributes) => Diff
  /** Remove `prefixes` (with their path ids, 0 when absent) from the peer's Adj-RIB-In. */
  readonly withdraw: (peer: PeerId, family: Family.FamilyKey, prefixes: Prefixes.Prefixes) => Diff
  /**
   * Make the peer's Adj-RIB-In for `family` exactly `routes`: what is missing is withdrawn, what is equal is
   * left alone (no diff). For locally originated routes (`Peer.LOCAL`): the desired state, applied idempotently.
   */
  readonly replace: (peer: PeerId, family: Family.FamilyKey, routes: ReadonlyArray<RouteInput>) => Diff
  /** Withdraw all of the peer's routes (of `families`, default all). */
  readonly withdrawAll: (peer: PeerId, families?: ReadonlyArray<Family.FamilyKey>) => Diff
  /**
   * Graceful restart: mark the peer's routes (of `families`, default all) stale; a stale route loses to any
   * fresh one. A re-announcement makes a route fresh again. With `llgr` (RFC 9494 §4.3) routes carrying
   * NO_LLGR are withdrawn, the others become LLGR-stale: least preferred, sent with LLGR_STALE only to
   * peers that speak LLGR (`PeerSession.llgr`), withdrawn from the others.
   */
  readonly markStale: (
    peer: PeerId,
    options?: { readonly families?: ReadonlyArray<Family.FamilyKey>; readonly llgr?: boolean }
  ) => Diff
  /** Withdraw the peer's routes that are still stale (End-of-RIB received, or the restart timer fired). */
  readonly sweepStale: (peer: PeerId, families?: ReadonlyArray<Family.FamilyKey>) => Diff
  /** Forget cached next-hop reachability / IGP costs and re-run best path for every prefix. */
  readonly refreshNextHops: () => Diff
  /**
   * Run several operations as one: their diffs are coalesced into the one returned here (operations
   * inside return `Diff.empty`), and best path runs once per touched prefix. An operation inside that
   * throws for bad input changed nothing, so `f` may catch and go on. When `f` throws out of the batch,
   * what it changed is not lost: the batch stays open and the next operation's diff includes it (until
   * then Loc-RIB and Adj-RIB-Out queries show the state from before the batch).
   */
  readonly batch: (f: () => void) => Diff

  // --- queries -------------------------------------------------------------------------------------------

  /** The Loc-RIB best route for a prefix (`prefix.pathId` ignored). */
  readonly best: (family: Family.FamilyKey, prefix: PrefixKey) => Route | undefined
  /** Every Adj-RIB-In path for the prefix (post-policy attributes; rejected paths left out), best first. */
  readonly paths: (family: Family.FamilyKey, prefix: PrefixKey) => ReadonlyArray<Route>
  /** Loc-RIB routes of a family, in no particular order. */
  readonly locRib: (family: Family.FamilyKey) => IterableIterator<Route>
  /** Number of prefixes with a best route. */
  readonly locRibSize: (family: Family.FamilyKey) => number
  /** The peer's Adj-RIB-In: as received ("pre") or as import policy left it ("post", rejected paths left out). */
  readonly adjRibIn: (peer: PeerId, family: Family.FamilyKey, view?: "pre" | "post") => IterableIterator<Route>
  /**
   * The peer's Adj-RIB-Out grouped by attribute set, ready for `Pack.packUpdates`: for route refresh
   * (RFC 2918; bracket with BoRR/EoRR for RFC 7313) and after a reset. Empty while the peer is down.
   */
  readonly adjRibOut: (peer: PeerId, family: Family.FamilyKey) => IterableIterator<RouteGroup>
  /** The attribute set sent to the peer for a prefix, if any. */
  readonly advertised: (peer: PeerId, family: Family.FamilyKey, prefix: PrefixKey) => AttrSet | undefined
  readonly memory: () => MemoryStats
}

export const make = (options: Options): Core => new CoreImpl(options)
