/**
 * Best-path selection (RFC 4271 §9.1.2) as a chain of small comparators, one per step.
 *
 * Selection is the RFC's elimination process, not a pairwise fold: each step keeps the
 * candidates that are best under its comparator, and the MED step removes a route only
 * when a route *from the same neighbour AS* has a lower MED (§9.1.2.2 c). Because MED is
 * not a total order across neighbour ASes, a pairwise "running winner" would depend on
 * the order routes arrived in; elimination does not, so the result is deterministic.
 *
 * Steps read candidates through a `View` (a handle → value accessor), so the RIB core
 * runs them straight over its typed arrays, and tests over plain objects
 * (`fromCandidates`).
 */
import { AsPath, type Attributes, type Family } from "@kbgp/wire"
import * as AttrSet from "./AttrSet.js"

export interface Options {
  /** LOCAL_PREF assumed for a route without one (RFC 4271 §9.1.1 leaves it to local policy). Default 100. */
  readonly defaultLocalPref: number
  /** A route without MED counts as the worst MED (2^32-1) instead of 0 (RFC 4271 §9.1.2.2 c). Default false. */
  readonly medMissingAsWorst: boolean
  /** Compare MED between routes from different neighbour ASes too. Default false. */
  readonly alwaysCompareMed: boolean
  /** Locally originated routes win before any other step (a "weight" for `Peer.LOCAL`). Default false. */
  readonly preferLocal: boolean
  /**
   * Next-hop reachability (RFC 4271 §9.1.2.1): an unreachable route is not a candidate.
   * Called once per attribute set and cached; `Core.refreshNextHops` re-runs selection. Default: all reachable.
   */
  readonly nextHopReachable?: (family: Family.FamilyKey, nextHop: Uint8Array) => boolean
  /** IGP cost to the next hop (RFC 4271 §9.1.2.2 e), lower wins; cached like reachability. Default: 0 for all. */
  readonly igpCost?: (family: Family.FamilyKey, nextHop: Uint8Array) => number
}

export const defaults: Options = {
  defaultLocalPref: 100,
  medMissingAsWorst: false,
  alwaysCompareMed: false,
  preferLocal: false
}

/** What the steps read about a candidate, by handle. Values are already "effective" (defaults applied). */
export interface View {
  readonly local: (c: number) => boolean
  readonly reachable: (c: number) => boolean
  /** Carries LLGR_STALE (RFC 9494 §4.3), received so or marked by the RIB. */
  readonly llgrStale: (c: number) => boolean
  /** Kept for a restarting peer (graceful restart, RFC 4724). */
  readonly stale: (c: number) => boolean
  readonly localPref: (c: number) => number
  readonly asPathLength: (c: number) => number
  readonly origin: (c: number) => number
  readonly med: (c: number) => number
  /** The leftmost AS of the path, 0 for a route originated in the local AS (RFC 4271 §9.1.2.2 c). */
  readonly neighborAs: (c: number) => number
  readonly ebgp: (c: number) => boolean
  readonly igpCost: (c: number) => number
  /** ORIGINATOR_ID when present (RFC 4456 §9), else the BGP identifier of the peer. */
  readonly routerId: (c: number) => number
  readonly clusterListLength: (c: number) => number
  readonly peerAddress: (c: number) => Uint8Array
  readonly pathId: (c: number) => number
}

export type StepName =
  | "reachable"
  | "local"
  | "llgrStale"
  | "stale"
  | "localPref"
  | "asPathLength"
  | "origin"
  | "med"
  | "ebgp"
  | "igpCost"
  | "routerId"
  | "clusterListLength"
  | "peerAddress"
  | "pathId"

export interface Step {
  readonly name: StepName
  /** Negative when `a` is preferred, positive when `b` is, 0 when this step cannot tell them apart. */
  readonly compare: (v: View, a: number, b: number) => number
  /** When present, only candidates for which this holds are compared with each other (the MED step). */
  readonly comparable?: (v: View, a: number, b: number) => boolean
}

const preferTrue = (x: boolean, y: boolean): number => (x === y ? 0 : x ? -1 : 1)

const compareBytes = (x: Uint8Array, y: Uint8Array): number => {
  if (x.length !== y.length) return x.length - y.length
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return 0
}

/** RFC 4271 §9.1.2.1: routes whose NEXT_HOP does not resolve are excluded. */
export const reachable: Step = { name: "reachable", compare: (v, a, b) => preferTrue(v.reachable(a), v.reachable(b)) }
/** Weight-like preference for locally originated routes (optional). */
export const local: Step = { name: "local", compare: (v, a, b) => preferTrue(v.local(a), v.local(b)) }
/** RFC 9494 §4.3: a route carrying LLGR_STALE is least preferred. */
export const llgrStale: Step = { name: "llgrStale", compare: (v, a, b) => preferTrue(!v.llgrStale(a), !v.llgrStale(b)) }
/** Graceful restart: a stale route (RFC 4724 §4.2, kept for a restarting peer) loses to a fresh one. */
export const stale: Step = { name: "stale", compare: (v, a, b) => preferTrue(!v.stale(a), !v.stale(b)) }
/** RFC 4271 §9.1.1: the highest degree of preference (LOCAL_PREF) wins. */
export const localPref: Step = { name: "localPref", compare: (v, a, b) => v.localPref(b) - v.localPref(a) }
/** RFC 4271 §9.1.2.2 a: the shortest AS path wins (AS_SET counts 1, confederation segments 0). */
export const asPathLength: Step = { name: "asPathLength", compare: (v, a, b) => v.asPathLength(a) - v.asPathLength(b) }
/** RFC 4271 §9.1.2.2 b: the lowest ORIGIN wins (IGP < EGP < INCOMPLETE). */
export const origin: Step = { name: "origin", compare: (v, a, b) => v.origin(a) - v.origin(b) }
/** RFC 4271 §9.1.2.2 c: the lowest MED wins, among routes from the same neighbour AS. */
export const med: Step = {
  name: "med",
  compare: (v, a, b) => v.med(a) - v.med(b),
  comparable: (v, a, b) => v.neighborAs(a) === v.neighborAs(b)
}
/** RFC 4271 §9.1.2.2 c with `alwaysCompareMed`: MED compared across neighbour ASes. */
export const medAlways: Step = { name: "med", compare: (v, a, b) => v.med(a) - v.med(b) }
/** RFC 4271 §9.1.2.2 d: a route learned over eBGP beats one learned over iBGP. */
export const ebgp: Step = { name: "ebgp", compare: (v, a, b) => preferTrue(v.ebgp(a), v.ebgp(b)) }
/** RFC 4271 §9.1.2.2 e: the lowest interior cost to the next hop wins. */
export const igpCost: Step = { name: "igpCost", compare: (v, a, b) => v.igpCost(a) - v.igpCost(b) }
/** RFC 4271 §9.1.2.2 f, RFC 4456 §9: the lowest BGP identifier (ORIGINATOR_ID when present) wins. */
export const routerId: Step = { name: "routerId", compare: (v, a, b) => v.routerId(a) - v.routerId(b) }
/** RFC 4456 §9: the shortest CLUSTER_LIST wins. */
export const clusterListLength: Step = {
  name: "clusterListLength",
  compare: (v, a, b) => v.clusterListLength(a) - v.clusterListLength(b)
}
/** RFC 4271 §9.1.2.2 g: the lowest peer address wins. */
export const peerAddress: Step = { name: "peerAddress", compare: (v, a, b) => compareBytes(v.peerAddress(a), v.peerAddress(b)) }
/** Determinism for ADD-PATH: two paths of one peer that tie on everything else — the lowest path id wins. */
export const pathId: Step = { name: "pathId", compare: (v, a, b) => v.pathId(a) - v.pathId(b) }

/** The chain for a set of options, in order. */
export const steps = (options: Options): ReadonlyArray<Step> => [
  reachable,
  ...(options.preferLocal ? [local] : []),
  llgrStale,
  stale,
  localPref,
  asPathLength,
  origin,
  options.alwaysCompareMed ? medAlways : med,
  ebgp,
  igpCost,
  routerId,
  clusterListLength,
  peerAddress,
  pathId
]

/**
 * The pairwise verdict and the step that decided it; `step` is undefined when every
 * step ties. For `explain`: selection itself is `select` (MED makes pairwise
 * comparison order-dependent when neighbour ASes differ; this reports the first step
 * that separates the two, skipping MED when they are not comparable).
 */
export const compare = (
  v: View,
  a: number,
  b: number,
  chain: ReadonlyArray<Step>
): { readonly result: -1 | 0 | 1; readonly step: StepName | undefined } => {
  for (const s of chain) {
    if (s.comparable !== undefined && !s.comparable(v, a, b)) continue
    const r = s.compare(v, a, b)
    if (r !== 0) return { result: r < 0 ? -1 : 1, step: s.name }
  }
  return { result: 0, step: undefined }
}

let scratch = new Int32Array(64)
let scratch2 = new Int32Array(64)

/**
 * The best of `handles[0 .. n)` by elimination (RFC 4271 §9.1.2), or -1 when none is
 * reachable. Does not allocate for up to 64 candidates.
 */
export const select = (v: View, handles: ArrayLike<number>, n: number, chain: ReadonlyArray<Step>): number => {
  if (n === 0) return -1
  if (n === 1) return v.reachable(handles[0]!) ? handles[0]! : -1
  if (scratch.length < n) {
    scratch = new Int32Array(n * 2)
    scratch2 = new Int32Array(n * 2)
  }
  let cur = scratch
  let next = scratch2
  let m = 0
  // §9.1.2.1: unresolvable routes are not candidates at all.
  for (let i = 0; i < n; i++) if (v.reachable(handles[i]!)) cur[m++] = handles[i]!
  if (m === 0) return -1
  for (let s = 0; s < chain.length && m > 1; s++) {
    const step = chain[s]!
    if (step === reachable) continue
    let k = 0
    if (step.comparable !== undefined) {
      // Remove c when some comparable d is strictly better (§9.1.2.2 c).
      for (let i = 0; i < m; i++) {
        const c = cur[i]!
        let beaten = false
        for (let j = 0; j < m && !beaten; j++) {
          const d = cur[j]!
          if (j !== i && step.comparable(v, c, d) && step.compare(v, d, c) < 0) beaten = true
        }
        if (!beaten) next[k++] = c
      }
    } else {
      let best = cur[0]!
      for (let i = 1; i < m; i++) if (step.compare(v, cur[i]!, best) < 0) best = cur[i]!
      for (let i = 0; i < m; i++) if (step.compare(v, cur[i]!, best) === 0) next[k++] = cur[i]!
    }
    const t = cur
    cur = next
    next = t
    m = k
  }
  if (m === 1) return cur[0]!
  // Every step tied (only possible for identical candidates): the lowest handle keeps it deterministic.
  let min = cur[0]!
  for (let i = 1; i < m; i++) if (cur[i]! < min) min = cur[i]!
  return min
}

// --- plain candidates (tests, explain) -------------------------------------------------------------------

/** A candidate route as plain data. */
export interface Candidate {
  readonly attributes: Attributes.Attributes
  readonly ebgp: boolean
  /** The sending peer's BGP identifier. */
  readonly routerId: number
  readonly peerAddress: Uint8Array
  readonly pathId?: number
  readonly local?: boolean
  readonly stale?: boolean
  /** Marked LLGR-stale by the RIB (a received LLGR_STALE community counts too). */
  readonly llgrStale?: boolean
  readonly reachable?: boolean
  readonly igpCost?: number
}

const MAX_MED = 0xffffffff

/** A `View` over plain candidates: handle `i` is `candidates[i]`. */
export const fromCandidates = (candidates: ReadonlyArray<Candidate>, options: Options = defaults): View => {
  const c = (i: number): Candidate => candidates[i]!
  return {
    local: (i) => c(i).local === true,
    reachable: (i) => c(i).reachable !== false,
    llgrStale: (i) => c(i).llgrStale === true || AttrSet.hasCommunity(c(i).attributes, AttrSet.Community.LlgrStale),
    stale: (i) => c(i).stale === true,
    localPref: (i) => c(i).attributes.localPref ?? options.defaultLocalPref,
    asPathLength: (i) => AsPath.length(c(i).attributes.asPath ?? []),
    origin: (i) => c(i).attributes.origin ?? 2,
    med: (i) => c(i).attributes.med ?? (options.medMissingAsWorst ? MAX_MED : 0),
    neighborAs: (i) => AsPath.firstAs(c(i).attributes.asPath ?? []) ?? 0,
    ebgp: (i) => c(i).ebgp,
    igpCost: (i) => c(i).igpCost ?? 0,
    routerId: (i) => c(i).attributes.originatorId ?? c(i).routerId,
    clusterListLength: (i) => c(i).attributes.clusterList?.length ?? 0,
    peerAddress: (i) => c(i).peerAddress,
    pathId: (i) => c(i).pathId ?? 0
  }
}

/** Index of the best candidate, or -1 when none is reachable. */
export const best = (candidates: ReadonlyArray<Candidate>, options: Options = defaults): number =>
  select(
    fromCandidates(candidates, options),
    candidates.map((_, i) => i),
    candidates.length,
    steps(options)
  )
