/**
 * The implementation of `Core` (see Core.ts for the contract and the layout).
 *
 * An operation touches prefixes (`touch` snapshots the Loc-RIB best the first time a
 * prefix is touched), then `finalize` runs best path once per touched prefix, updates
 * every exporting peer's Adj-RIB-Out, builds the diff, and only then releases attribute
 * sets and prefix indexes that were let go of — so ids cannot be reused within an
 * operation, and comparing ids is comparing sets.
 */
import { AsPath, type Attributes, Family, type Message, type Prefixes } from "@kbgp/wire"
import * as AttrSet from "../AttrSet.js"
import * as BestPath from "../BestPath.js"
import type * as CoreApi from "../Core.js"
import * as Diff from "../Diff.js"
import * as Interner from "../Interner.js"
import type { PeerConfig, PeerId, PeerSession, PeerStats } from "../Peer.js"
import * as Policy from "../Policy.js"
import type { PrefixKey, Route } from "../Route.js"
import { FamilyTable, Flag } from "./FamilyTable.js"
import { IntList } from "./IntList.js"

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const LOCAL = 0

/** Bits of `aFlags`, per attribute set. */
const AF = { LlgrStale: 1, NoLlgr: 2, NoExport: 4, NoAdvertise: 8, NoExportSubconfed: 16 } as const

const NO_PATH: Attributes.AsPath = []
const EMPTY_ADDRESS = new Uint8Array(0)

interface PeerState {
  readonly id: PeerId
  config: PeerConfig
  ebgp: boolean
  install: boolean
  importPolicy: Policy.Policy | undefined
  importReadsPrefix: boolean
  exportPolicy: Policy.Policy | undefined
  /** What policy actions know of the speaker, for IPv4 and IPv6 (the family's `nextHopSelf`). */
  readonly envs: readonly [Policy.Environment, Policy.Environment]
  up: boolean
  session: PeerSession | undefined
  routerId: number
  /** Max-prefix warning raised and not yet cleared, per family. */
  readonly warned: Map<Family.FamilyKey, boolean>
}

/** A policy that accepts everything unchanged is no policy at all: skip it on the hot path. */
const effective = (p: Policy.Policy | undefined): Policy.Policy | undefined =>
  p === undefined || (p.rules.length === 0 && p.defaultAction === "accept") ? undefined : p

/** Per (peer, family) Adj-RIB-Out changes being collected. */
interface OutBuilder {
  readonly peer: PeerId
  readonly t: FamilyTable
  readonly announced: Map<number, IntList>
  readonly withdrawn: IntList
}

/** Per family Loc-RIB changes being collected. */
interface LocBuilder {
  readonly added: Map<number, IntList>
  readonly changed: Map<number, IntList>
  readonly removed: IntList
}

const pushGrouped = (m: Map<number, IntList>, key: number, v: number): void => {
  let l = m.get(key)
  if (l === undefined) {
    l = new IntList(64)
    m.set(key, l)
  }
  l.push(v)
}

class TableView implements BestPath.View {
  constructor(
    private readonly core: CoreImpl,
    readonly t: FamilyTable
  ) {}
  local = (c: number): boolean => this.t.pPeer[c] === LOCAL
  reachable = (c: number): boolean => this.core.reachable(this.t, c)
  llgrStale = (c: number): boolean =>
    (this.t.pFlags[c]! & Flag.LlgrStale) !== 0 || (this.core.aFlags[this.t.pOut[c]!]! & AF.LlgrStale) !== 0
  stale = (c: number): boolean => (this.t.pFlags[c]! & Flag.Stale) !== 0
  localPref = (c: number): number => {
    const v = this.core.aLocalPref[this.t.pOut[c]!]!
    return v >= 0 ? v : this.core.bestPathOptions.defaultLocalPref
  }
  asPathLength = (c: number): number => this.core.aPathLength[this.t.pOut[c]!]!
  origin = (c: number): number => this.core.aOrigin[this.t.pOut[c]!]!
  med = (c: number): number => {
    const v = this.core.aMed[this.t.pOut[c]!]!
    return v >= 0 ? v : this.core.bestPathOptions.medMissingAsWorst ? 0xffffffff : 0
  }
  neighborAs = (c: number): number => this.core.aNeighborAs[this.t.pOut[c]!]!
  ebgp = (c: number): boolean => this.core.peerState(this.t.pPeer[c]!).ebgp
  igpCost = (c: number): number => this.core.igpCost(this.t, c)
  routerId = (c: number): number => {
    const o = this.core.aOriginatorId[this.t.pOut[c]!]!
    return o >= 0 ? o : this.core.peerState(this.t.pPeer[c]!).routerId
  }
  clusterListLength = (c: number): number => this.core.aClusterLength[this.t.pOut[c]!]!
  peerAddress = (c: number): Uint8Array => this.core.peerState(this.t.pPeer[c]!).config.address
  pathId = (c: number): number => this.t.pId[c]!
}

const growF64 = (a: Float64Array, n: number): Float64Array<ArrayBuffer> => {
  const b = new Float64Array(n)
  b.set(a)
  return b
}
const growI32 = (a: Int32Array, n: number): Int32Array<ArrayBuffer> => {
  const b = new Int32Array(n)
  b.set(a)
  return b
}
const growU8 = (a: Uint8Array, n: number): Uint8Array<ArrayBuffer> => {
  const b = new Uint8Array(n)
  b.set(a)
  return b
}

export class CoreImpl implements CoreApi.Core {
  readonly options: CoreApi.Options
  readonly interner: Interner.Interner
  readonly bestPathOptions: BestPath.Options
  private readonly chain: ReadonlyArray<BestPath.Step>

  // Best-path columns per attribute-set id (filled when a set is created).
  aLocalPref = new Float64Array(1024)
  aMed = new Float64Array(1024)
  aPathLength = new Int32Array(1024)
  aOrigin = new Uint8Array(1024)
  aNeighborAs = new Float64Array(1024)
  aOriginatorId = new Float64Array(1024)
  aClusterLength = new Int32Array(1024)
  aFlags = new Uint8Array(1024)

  private readonly peerStates: Array<PeerState | undefined> = []
  private readonly tables: Array<FamilyTable>
  private readonly views: Array<TableView>

  // Operation state.
  private depth = 0
  private epoch = 1
  private readonly pendingRelease = new IntList(1024)
  private readonly importMemo = new Map<string, number>()
  private readonly exportMemo: Array<Map<number | string, number>> = []
  private readonly fullExport = new Set<string>()
  private readonly outBuilders = new Map<string, OutBuilder>()
  private readonly locBuilders = new Map<Family.FamilyKey, LocBuilder>()
  private readonly touchedPeers = new Set<PeerId>()
  private keepMode = false
  /** Re-export touched prefixes even when their best path is the same (a source peer's settings changed). */
  private forceExport = false
  private candidates = new Int32Array(64)
  private readonly subjectAddress: Array<Uint8Array> = [new Uint8Array(4), new Uint8Array(16)]

  constructor(options: CoreApi.Options) {
    this.options = options
    this.bestPathOptions = { ...BestPath.defaults, ...options.bestPath }
    this.chain = BestPath.steps(this.bestPathOptions)
    this.interner = Interner.make({ onCreate: (s) => this.onCreate(s) })
    this.tables = [new FamilyTable(Family.Ipv4Unicast, 4), new FamilyTable(Family.Ipv6Unicast, 16)]
    this.views = this.tables.map((t) => new TableView(this, t))
    this.peerStates.push(this.newState(LOCAL, { address: EMPTY_ADDRESS, asn: options.localAs, install: true }))
    for (const t of this.tables) t.ensurePeer(LOCAL)
  }

  // --- attribute sets --------------------------------------------------------------------------------------

  private onCreate(s: AttrSet.AttrSet): void {
    const id = s.id
    if (id >= this.aLocalPref.length) {
      const n = Math.max(id + 1, this.aLocalPref.length * 2)
      this.aLocalPref = growF64(this.aLocalPref, n)
      this.aMed = growF64(this.aMed, n)
      this.aPathLength = growI32(this.aPathLength, n)
      this.aOrigin = growU8(this.aOrigin, n)
      this.aNeighborAs = growF64(this.aNeighborAs, n)
      this.aOriginatorId = growF64(this.aOriginatorId, n)
      this.aClusterLength = growI32(this.aClusterLength, n)
      this.aFlags = growU8(this.aFlags, n)
    }
    const a = s.attributes
    const path = a.asPath ?? NO_PATH
    this.aLocalPref[id] = a.localPref ?? -1
    this.aMed[id] = a.med ?? -1
    this.aPathLength[id] = AsPath.length(path)
    this.aOrigin[id] = a.origin ?? 2
    // RFC 4271 §9.1.2.2 c: a route originated in the local AS has the local AS as neighbour (0 stands for it).
    this.aNeighborAs[id] = AsPath.firstAs(path) ?? 0
    this.aOriginatorId[id] = a.originatorId ?? -1
    this.aClusterLength[id] = a.clusterList?.length ?? 0
    let f = 0
    const cs = a.communities
    if (cs !== undefined) {
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!
        if (c === AttrSet.Community.LlgrStale) f |= AF.LlgrStale
        else if (c === AttrSet.Community.NoLlgr) f |= AF.NoLlgr
        else if (c === AttrSet.Community.NoExport) f |= AF.NoExport
        else if (c === AttrSet.Community.NoAdvertise) f |= AF.NoAdvertise
        else if (c === AttrSet.Community.NoExportSubconfed) f |= AF.NoExportSubconfed
      }
    }
    this.aFlags[id] = f
    // A reused id must not inherit the cached next-hop verdicts of the set it replaced.
    for (const t of this.tables) if (id < t.reach.length) t.reach[id] = 0
  }

  private ensureNextHopCache(t: FamilyTable): void {
    const n = this.interner.capacity
    if (t.reach.length < n) {
      const cap = Math.max(n, t.reach.length * 2, 64)
      const r = new Int8Array(cap)
      r.set(t.reach)
      t.reach = r
      t.igp = growF64(t.igp, cap)
    }
  }

  /** Ask the hooks about a set's next hop once; cached until the id is reused or `refreshNextHops`. */
  private resolveNextHop(t: FamilyTable, a: number): void {
    this.ensureNextHopCache(t)
    if (t.reach[a] !== 0) return
    const nh = this.interner.get(a)!.attributes.nextHop
    const { nextHopReachable: reach, igpCost: cost } = this.bestPathOptions
    t.reach[a] = nh === undefined || reach === undefined || reach(t.family, nh) ? 1 : 2
    t.igp[a] = nh === undefined || cost === undefined ? 0 : cost(t.family, nh)
  }

  reachable(t: FamilyTable, p: number): boolean {
    if (this.bestPathOptions.nextHopReachable === undefined || t.pPeer[p] === LOCAL) return true
    this.resolveNextHop(t, t.pOut[p]!)
    return t.reach[t.pOut[p]!] === 1
  }

  igpCost(t: FamilyTable, p: number): number {
    if (this.bestPathOptions.igpCost === undefined || t.pPeer[p] === LOCAL) return 0
    this.resolveNextHop(t, t.pOut[p]!)
    return t.igp[t.pOut[p]!]!
  }

  private release(id: number): void {
    this.pendingRelease.push(id)
  }

  // --- peers -----------------------------------------------------------------------------------------------

  private newState(id: PeerId, config: PeerConfig): PeerState {
    const importPolicy = effective(config.importPolicy)
    return {
      id,
      config,
      ebgp: id !== LOCAL && config.asn !== this.options.localAs,
      install: config.install ?? false,
      importPolicy,
      importReadsPrefix: importPolicy?.rules.some((r) => Policy.readsPrefix(r.match)) ?? false,
      exportPolicy: effective(config.exportPolicy),
      envs: [this.environment(config.nextHopSelf?.ipv4), this.environment(config.nextHopSelf?.ipv6)],
      up: false,
      session: undefined,
      routerId: id === LOCAL ? this.options.routerId : 0,
      warned: new Map()
    }
  }

  private environment(nextHopSelf: Uint8Array | undefined): Policy.Environment {
    const localAs = this.options.localAs
    return nextHopSelf === undefined ? { localAs } : { localAs, nextHopSelf }
  }

  private env(s: PeerState, t: FamilyTable): Policy.Environment {
    return t.family === Family.Ipv4Unicast ? s.envs[0] : s.envs[1]
  }

  peerState(peer: PeerId): PeerState {
    const s = this.peerStates[peer]
    if (s === undefined) throw new RangeError(`unknown peer ${peer}`)
    return s
  }

  private table(family: Family.FamilyKey): FamilyTable | undefined {
    return family === Family.Ipv4Unicast ? this.tables[0] : family === Family.Ipv6Unicast ? this.tables[1] : undefined
  }

  private tablesFor(families: ReadonlyArray<Family.FamilyKey> | undefined): ReadonlyArray<FamilyTable> {
    if (families === undefined) return this.tables
    const out: Array<FamilyTable> = []
    for (const f of families) {
      const t = this.table(f)
      if (t !== undefined && !out.includes(t)) out.push(t)
    }
    return out
  }

  /** Throw a RangeError naming the field of a policy that evaluation would choke on or get wrong. */
  private checkConfig(config: PeerConfig): void {
    for (const field of ["importPolicy", "exportPolicy"] as const) {
      const policy = config[field]
      const problem = policy === undefined ? undefined : Policy.validate(policy)[0]
      if (problem !== undefined) throw new RangeError(`${field}${problem.path === "" ? "" : "."}${problem.path}: ${problem.message}`)
    }
  }

  addPeer = (config: PeerConfig): PeerId => {
    this.checkConfig(config)
    const id = this.peerStates.length
    if (id > 0xffff) throw new RangeError("too many peers")
    this.peerStates.push(this.newState(id, config))
    for (const t of this.tables) t.ensurePeer(id)
    return id
  }

  configurePeer = (peer: PeerId, config: PeerConfig): Diff.Diff =>
    this.run(() => {
      const old = this.peerState(peer)
      this.checkConfig(config)
      const next = this.newState(peer, peer === LOCAL ? { ...config, install: true } : config)
      next.up = old.up
      next.session = old.session
      next.routerId = old.routerId
      for (const [k, v] of old.warned) next.warned.set(k, v)
      this.peerStates[peer] = next
      // Import results were the old policy's; export results depend on the source peer too (eBGP or not):
      // cached ones are stale for every target.
      this.forgetImportMemo()
      for (let q = 0; q < this.exportMemo.length; q++) this.forgetExportMemo(q)
      this.forceExport = true
      for (const t of this.tables) {
        for (let p = t.qHead[peer]!; p !== -1; p = t.qNext[p]!) {
          const pid = t.pPid[p]!
          this.touch(t, pid)
          const out = this.importOut(next, t, pid, t.pIn[p]!)
          const prev = t.pOut[p]!
          if (prev >= 0) this.release(prev)
          if (prev >= 0 && out < 0) t.accepted[peer]!--
          if (prev < 0 && out >= 0) t.accepted[peer]!++
          t.pOut[p] = out
        }
        if (next.up && t.out[peer] !== undefined) this.fullExport.add(`${peer}:${t.family}`)
      }
      this.touchedPeers.add(peer)
    })

  removePeer = (peer: PeerId): Diff.Diff => {
    if (peer === LOCAL) throw new RangeError("the local pseudo-peer cannot be removed")
    return this.run(() => {
      this.dropOut(peer)
      for (const t of this.tables) this.removeWhere(t, peer, () => true)
      this.peerStates[peer] = undefined
    })
  }

  peerUp = (peer: PeerId, session: PeerSession): Diff.Diff => {
    if (peer === LOCAL) throw new RangeError("the local pseudo-peer has no session")
    return this.run(() => {
      const s = this.peerState(peer)
      this.dropOut(peer)
      s.up = true
      s.session = session
      if (s.routerId !== session.routerId) {
        s.routerId = session.routerId
        // The BGP identifier takes part in best path: re-run it for the peer's prefixes.
        if (s.install) for (const t of this.tables) for (let p = t.qHead[peer]!; p !== -1; p = t.qNext[p]!) this.touch(t, t.pPid[p]!)
      }
      for (const f of session.families) {
        const t = this.table(f)
        if (t === undefined || t.out[peer] !== undefined) continue
        t.out[peer] = new Int32Array(t.prefixes.capacity)
        t.outCount[peer] = 0
        this.fullExport.add(`${peer}:${t.family}`)
      }
    })
  }

  /** Forget the peer's Adj-RIB-Out (no diff: there is no session to send it to). */
  private dropOut(peer: PeerId): void {
    for (const t of this.tables) {
      const out = t.out[peer]
      if (out === undefined) continue
      for (let i = 0; i < out.length; i++) if (out[i] !== 0) this.release(out[i]! - 1)
      t.out[peer] = undefined
      t.outCount[peer] = 0
      this.outBuilders.delete(`${peer}:${t.family}`)
      this.fullExport.delete(`${peer}:${t.family}`)
    }
  }

  /** Let go of memoised import results (each holds one reference). */
  private forgetImportMemo(): void {
    for (const id of this.importMemo.values()) if (id >= 0) this.release(id)
    this.importMemo.clear()
  }

  /** Let go of memoised export results for one target (each holds one reference). */
  private forgetExportMemo(peer: PeerId): void {
    const m = this.exportMemo[peer]
    if (m === undefined) return
    for (const id of m.values()) if (id >= 0) this.release(id)
    m.clear()
  }

  peerDown = (peer: PeerId, options?: { readonly keepRoutes?: boolean }): Diff.Diff => {
    if (peer === LOCAL) throw new RangeError("the local pseudo-peer has no session")
    return this.run(() => {
      const s = this.peerState(peer)
      this.dropOut(peer)
      s.up = false
      s.session = undefined
      if (options?.keepRoutes !== true) for (const t of this.tables) this.removeWhere(t, peer, () => true)
    })
  }

  peers = (): ReadonlyArray<PeerId> => this.peerStates.flatMap((s) => (s === undefined ? [] : [s.id]))

  peerConfig = (peer: PeerId): PeerConfig | undefined => this.peerStates[peer]?.config

  stats = (peer: PeerId): PeerStats => {
    const s = this.peerState(peer)
    return {
      peer,
      up: s.up,
      families: this.tables.map((t) => ({
        family: t.family,
        received: t.received[peer]!,
        accepted: t.accepted[peer]!,
        best: t.bestCount[peer]!,
        stale: t.stale[peer]!,
        advertised: t.outCount[peer]!
      }))
    }
  }

  // --- operations ------------------------------------------------------------------------------------------

  /**
   * Run an operation. Inputs are checked before anything changes, so a bad one throws and changes nothing. When
   * `f` throws anyway (a batch's own code, or a bug) after changing the tables, the operation is left open rather
   * than finalized into a diff nobody receives: the next operation finalizes it, and its diff has those changes.
   */
  private run(f: () => void): Diff.Diff {
    this.depth++
    try {
      f()
    } finally {
      this.depth--
    }
    return this.depth === 0 ? this.finalize() : Diff.empty
  }

  /** Throw a RangeError for a block that cannot go into `t`; called before the operation changes anything. */
  private checkBlock(t: FamilyTable, b: Prefixes.Prefixes): void {
    if (b.count === 0) return
    if (b.afi !== Family.afiOf(t.family)) throw new RangeError(`AFI ${b.afi} prefixes given for ${Family.format(t.family)}`)
    const w = t.prefixes.width
    if (b.lengths.length < b.count || b.addresses.length < b.count * w || (b.pathIds !== undefined && b.pathIds.length < b.count)) {
      throw new RangeError(`a block of ${b.count} ${Family.format(t.family)} prefixes with shorter arrays`)
    }
    const max = w * 8
    const lengths = b.lengths
    for (let i = 0; i < b.count; i++) if (lengths[i]! > max) throw new RangeError(`prefix length ${lengths[i]} in ${Family.format(t.family)}`)
  }

  batch = (f: () => void): Diff.Diff => this.run(f)

  /** First touch of a prefix in this operation: remember its Loc-RIB best as it was. */
  private touch(t: FamilyTable, pid: number): void {
    if (t.mark[pid] === this.epoch) return
    t.mark[pid] = this.epoch
    t.dirty.push(pid)
    const b = t.best[pid]!
    if (b === -1) {
      t.snapPeer.push(-1)
      t.snapPathId.push(0)
      t.snapAttr.push(-1)
      t.snapFlags.push(0)
    } else {
      t.snapPeer.push(t.pPeer[b]!)
      t.snapPathId.push(t.pId[b]!)
      t.snapAttr.push(t.pOut[b]!)
      t.snapFlags.push(t.pFlags[b]! & Flag.LlgrStale)
    }
  }

  private subject(s: PeerState, t: FamilyTable, pid: number, attributes: Attributes.Attributes): Policy.Subject {
    const address = this.subjectAddress[t.prefixes.width === 4 ? 0 : 1]!
    t.prefixes.writeAddress(pid, address, 0)
    return {
      family: t.family,
      address,
      length: t.prefixes.lengths[pid]!,
      attributes,
      peer: s.id,
      peerAddress: s.config.address,
      peerAs: s.config.asn
    }
  }

  private nextHopSelf(s: PeerState, t: FamilyTable): Uint8Array | undefined {
    return t.family === Family.Ipv4Unicast ? s.config.nextHopSelf?.ipv4 : s.config.nextHopSelf?.ipv6
  }

  /** The post-policy set for a path (with one reference taken for it), or -1 when import policy rejects it. */
  private importOut(s: PeerState, t: FamilyTable, pid: number, inId: number): number {
    const policy = s.importPolicy
    if (policy === undefined) {
      this.interner.retain(inId)
      return inId
    }
    // A policy that does not read the prefix gives every path of the peer with this set the same result: one
    // trace per set and operation instead of one per prefix (the memo holds a reference to what it keeps).
    const shared = s.importReadsPrefix ? undefined : `${s.id}:${t.family}:${inId}`
    let id = shared === undefined ? undefined : this.importMemo.get(shared)
    if (id === undefined) {
      id = this.importResult(s, t, pid, inId, policy)
      if (shared !== undefined) {
        if (id >= 0) this.interner.retain(id)
        this.importMemo.set(shared, id)
      }
    }
    if (id >= 0) this.interner.retain(id)
    return id
  }

  /** Import policy for one path: the post-policy set (no reference taken for the caller), or -1. */
  private importResult(s: PeerState, t: FamilyTable, pid: number, inId: number, policy: Policy.Policy): number {
    const attributes = this.interner.get(inId)!.attributes
    const env = this.env(s, t)
    const tr = Policy.trace(policy, this.subject(s, t, pid, attributes), env)
    if (!tr.accept) return -1
    if (tr.rules.length === 0) return inId
    const key = `${s.id}:${t.family}:${inId}:${tr.rules.join(",")}`
    let id = this.importMemo.get(key)
    if (id === undefined) {
      const r = Policy.applyTrace(policy, tr, attributes, env)
      id = r.accept ? this.interner.intern(r.attributes, 1).id : -1
      this.importMemo.set(key, id)
    }
    return id
  }

  private announceBlock(peer: PeerId, t: FamilyTable, prefixes: Prefixes.Prefixes, attributes: Attributes.Attributes): void {
    const s = this.peerState(peer)
    if (prefixes.count === 0) return
    const set = this.interner.intern(attributes, 1)
    const inId = set.id
    this.release(inId) // the block's own reference, let go of at the end of the operation
    const pt = t.prefixes
    const w = pt.width
    const ids = prefixes.pathIds
    const lengths = prefixes.lengths
    const addresses = prefixes.addresses
    const keep = this.keepMode ? Flag.Keep : 0
    this.touchedPeers.add(peer)
    for (let i = 0; i < prefixes.count; i++) {
      pt.keyFrom(addresses, i * w, lengths[i]!)
      const pid = pt.intern()
      const pathId = ids === undefined ? 0 : ids[i]!
      const p = t.findPath(pid, peer, pathId)
      if (p !== -1) {
        const flags = t.pFlags[p]!
        if (t.pIn[p] === inId) {
          // The same route again: only a stale route changes (it is fresh again).
          if ((flags & (Flag.Stale | Flag.LlgrStale)) !== 0) {
            this.touch(t, pid)
            t.stale[peer]!--
          }
          t.pFlags[p] = (flags & ~(Flag.Stale | Flag.LlgrStale)) | keep
          continue
        }
        this.touch(t, pid)
        if ((flags & Flag.Stale) !== 0) t.stale[peer]!--
        const prevOut = t.pOut[p]!
        this.release(t.pIn[p]!)
        if (prevOut >= 0) this.release(prevOut)
        this.interner.retain(inId)
        t.pIn[p] = inId
        const out = this.importOut(s, t, pid, inId)
        t.pOut[p] = out
        if (prevOut >= 0 && out < 0) t.accepted[peer]!--
        if (prevOut < 0 && out >= 0) t.accepted[peer]!++
        t.pFlags[p] = keep
        continue
      }
      this.touch(t, pid)
      this.interner.retain(inId)
      const out = this.importOut(s, t, pid, inId)
      const q = t.addPath(pid, peer, pathId, inId, out)
      t.pFlags[q] = keep
      t.received[peer]!++
      if (out >= 0) t.accepted[peer]!++
    }
  }

  /** Remove path `p` (its prefix touched, its references let go of at the end). */
  private dropPath(t: FamilyTable, p: number): void {
    const pid = t.pPid[p]!
    const peer = t.pPeer[p]!
    this.touch(t, pid)
    this.release(t.pIn[p]!)
    const out = t.pOut[p]!
    if (out >= 0) {
      this.release(out)
      t.accepted[peer]!--
    }
    if ((t.pFlags[p]! & Flag.Stale) !== 0) t.stale[peer]!--
    t.received[peer]!--
    t.removePath(p)
    this.touchedPeers.add(peer)
  }

  private withdrawBlock(peer: PeerId, t: FamilyTable, prefixes: Prefixes.Prefixes): void {
    this.peerState(peer)
    const pt = t.prefixes
    const w = pt.width
    const ids = prefixes.pathIds
    for (let i = 0; i < prefixes.count; i++) {
      pt.keyFrom(prefixes.addresses, i * w, prefixes.lengths[i]!)
      const pid = pt.find()
      if (pid === -1) continue
      const p = t.findPath(pid, peer, ids === undefined ? 0 : ids[i]!)
      if (p !== -1) this.dropPath(t, p)
    }
  }

  private removeWhere(t: FamilyTable, peer: PeerId, pred: (p: number) => boolean): void {
    for (let p = t.qHead[peer] ?? -1; p !== -1; ) {
      const next = t.qNext[p]!
      if (pred(p)) this.dropPath(t, p)
      p = next
    }
  }

  private familyTable(family: Family.FamilyKey): FamilyTable {
    const t = this.table(family)
    if (t === undefined) throw new RangeError(`${Family.format(family)} is not kept in this RIB (IPv4 and IPv6 unicast are)`)
    return t
  }

  applyUpdate = (peer: PeerId, update: Message.Update): Diff.Diff =>
    this.run(() => {
      this.peerState(peer)
      const v4 = this.tables[0]!
      const un = update.mpUnreach
      const unPrefixes = un !== undefined && "count" in un.withdrawn ? un.withdrawn : undefined
      const unTable = un !== undefined ? this.table(Family.key(un.afi, un.safi)) : undefined
      const mp = update.mpReach
      const mpPrefixes = mp !== undefined && "count" in mp.nlri ? mp.nlri : undefined
      const mpTable = mp !== undefined ? this.table(Family.key(mp.afi, mp.safi)) : undefined
      // Every block is checked before the first one changes anything.
      this.checkBlock(v4, update.withdrawn)
      this.checkBlock(v4, update.nlri)
      if (unTable !== undefined && unPrefixes !== undefined) this.checkBlock(unTable, unPrefixes)
      if (mpTable !== undefined && mpPrefixes !== undefined) this.checkBlock(mpTable, mpPrefixes)
      if (update.withdrawn.count > 0) this.withdrawBlock(peer, v4, update.withdrawn)
      if (unTable !== undefined && unPrefixes !== undefined) this.withdrawBlock(peer, unTable, unPrefixes)
      // RFC 7606 §2: treat-as-withdraw — the UPDATE's NLRI are withdrawn.
      if (update.treatAsWithdraw) {
        if (update.nlri.count > 0) this.withdrawBlock(peer, v4, update.nlri)
        if (mpTable !== undefined && mpPrefixes !== undefined) this.withdrawBlock(peer, mpTable, mpPrefixes)
        return
      }
      if (update.nlri.count === 0 && mpPrefixes === undefined) return
      // RFC 6793 §4.2.3: a NEW speaker merges AS4_PATH / AS4_AGGREGATOR before using the path.
      const attributes = AsPath.applyAs4(update.attributes)
      if (update.nlri.count > 0) this.announceBlock(peer, v4, update.nlri, attributes)
      if (mp !== undefined && mpTable !== undefined && mpPrefixes !== undefined && mpPrefixes.count > 0) {
        // RFC 4760 §3: the MP_REACH_NLRI next hop is the next hop of its NLRI (a NEXT_HOP attribute is ignored).
        this.announceBlock(peer, mpTable, mpPrefixes, { ...attributes, nextHop: mp.nextHop })
      }
    })

  announce = (peer: PeerId, family: Family.FamilyKey, prefixes: Prefixes.Prefixes, attributes: Attributes.Attributes): Diff.Diff =>
    this.run(() => {
      const t = this.familyTable(family)
      this.peerState(peer)
      this.checkBlock(t, prefixes)
      this.announceBlock(peer, t, prefixes, attributes)
    })

  withdraw = (peer: PeerId, family: Family.FamilyKey, prefixes: Prefixes.Prefixes): Diff.Diff =>
    this.run(() => {
      const t = this.familyTable(family)
      this.peerState(peer)
      this.checkBlock(t, prefixes)
      this.withdrawBlock(peer, t, prefixes)
    })

  replace = (peer: PeerId, family: Family.FamilyKey, routes: ReadonlyArray<CoreApi.RouteInput>): Diff.Diff =>
    this.run(() => {
      const t = this.familyTable(family)
      this.peerState(peer)
      for (const r of routes) this.checkBlock(t, r.prefixes)
      for (let p = t.qHead[peer]!; p !== -1; p = t.qNext[p]!) t.pFlags[p] = t.pFlags[p]! & ~Flag.Keep
      this.keepMode = true
      try {
        for (const r of routes) this.announceBlock(peer, t, r.prefixes, r.attributes)
      } finally {
        this.keepMode = false
      }
      this.removeWhere(t, peer, (p) => (t.pFlags[p]! & Flag.Keep) === 0)
    })

  withdrawAll = (peer: PeerId, families?: ReadonlyArray<Family.FamilyKey>): Diff.Diff =>
    this.run(() => {
      this.peerState(peer)
      for (const t of this.tablesFor(families)) this.removeWhere(t, peer, () => true)
    })

  markStale = (
    peer: PeerId,
    options?: { readonly families?: ReadonlyArray<Family.FamilyKey>; readonly llgr?: boolean }
  ): Diff.Diff =>
    this.run(() => {
      this.peerState(peer)
      const llgr = options?.llgr === true
      for (const t of this.tablesFor(options?.families)) {
        for (let p = t.qHead[peer]!; p !== -1; ) {
          const next = t.qNext[p]!
          const flags = t.pFlags[p]!
          if (llgr && (this.aFlags[t.pIn[p]!]! & AF.NoLlgr) !== 0) {
            // RFC 9494 §4.3: a route carrying NO_LLGR is removed rather than kept as long-lived stale.
            this.dropPath(t, p)
          } else {
            const want = llgr ? Flag.Stale | Flag.LlgrStale : Flag.Stale
            if ((flags & want) !== want) {
              this.touch(t, t.pPid[p]!)
              if ((flags & Flag.Stale) === 0) t.stale[peer]!++
              t.pFlags[p] = flags | want
            }
          }
          p = next
        }
      }
    })

  sweepStale = (peer: PeerId, families?: ReadonlyArray<Family.FamilyKey>): Diff.Diff =>
    this.run(() => {
      this.peerState(peer)
      for (const t of this.tablesFor(families)) this.removeWhere(t, peer, (p) => (t.pFlags[p]! & Flag.Stale) !== 0)
    })

  refreshNextHops = (): Diff.Diff =>
    this.run(() => {
      for (const t of this.tables) {
        t.reach.fill(0)
        for (let pid = 0; pid < t.prefixes.high; pid++) if (t.head[pid] !== -1) this.touch(t, pid)
      }
    })

  // --- finalize: best path, export, diff -------------------------------------------------------------------

  private select(t: FamilyTable, view: TableView, pid: number): number {
    let n = 0
    for (let p = t.head[pid]!; p !== -1; p = t.pNext[p]!) {
      if (t.pOut[p]! < 0 || !this.peerStates[t.pPeer[p]!]!.install) continue
      if (n === this.candidates.length) this.candidates = growI32(this.candidates, n * 2)
      this.candidates[n++] = p
    }
    if (n === 0) return -1
    if (n === 1 && this.bestPathOptions.nextHopReachable === undefined) return this.candidates[0]!
    return BestPath.select(view, this.candidates, n, this.chain)
  }

  private exportMemoFor(peer: PeerId): Map<number | string, number> {
    let m = this.exportMemo[peer]
    if (m === undefined) {
      m = new Map()
      this.exportMemo[peer] = m
    }
    return m
  }

  /**
   * The attribute set to send `target` for path `p` (one reference held by the memo), or -1 when the
   * route is not sent. Standard rules first (split horizon, iBGP, well-known communities, LLGR), then the
   * export policy, then the eBGP / iBGP attribute rules.
   */
  private exportId(target: PeerState, t: FamilyTable, pid: number, p: number): number {
    const srcId = t.pPeer[p]!
    if (srcId === target.id) return -1
    const src = this.peerStates[srcId]!
    const local = srcId === LOCAL
    // RFC 4271 §9.2: routes learned from an internal peer are not sent to internal peers (no route reflection).
    if (!local && !src.ebgp && !target.ebgp) return -1
    const attrId = t.pOut[p]!
    const af = this.aFlags[attrId]!
    if (!local) {
      // RFC 1997: NO_ADVERTISE goes to no peer; NO_EXPORT and NO_EXPORT_SUBCONFED not outside the AS.
      if ((af & AF.NoAdvertise) !== 0) return -1
      if (target.ebgp && (af & (AF.NoExport | AF.NoExportSubconfed)) !== 0) return -1
    }
    const llgr = (t.pFlags[p]! & Flag.LlgrStale) !== 0
    // RFC 9494 §4.3: LLGR-stale routes go only to peers that speak LLGR.
    if (llgr && target.session?.llgr !== true) return -1
    const policy = target.exportPolicy
    const memo = this.exportMemoFor(target.id)
    let key: number | string = (attrId * 65536 + srcId) * 2 + (llgr ? 1 : 0)
    let tr: Policy.Trace | undefined
    let subject: Policy.Subject | undefined
    const attrs = this.interner.get(attrId)!.attributes
    if (policy !== undefined) {
      subject = this.subject(src, t, pid, attrs)
      tr = Policy.trace(policy, subject, this.env(target, t))
      if (!tr.accept) return -1
      key = `${t.family}:${key}:${tr.rules.join(",")}`
    } else {
      key = t.family === Family.Ipv4Unicast ? key : `${t.family}:${key}`
    }
    const hit = memo.get(key)
    if (hit !== undefined) return hit
    const id = this.computeExport(target, t, src, attrs, llgr, policy, tr)
    memo.set(key, id)
    return id
  }

  private computeExport(
    target: PeerState,
    t: FamilyTable,
    src: PeerState,
    attrs: Attributes.Attributes,
    llgr: boolean,
    policy: Policy.Policy | undefined,
    tr: Policy.Trace | undefined
  ): number {
    const a: Mutable<Attributes.Attributes> = { ...attrs }
    const local = src.id === LOCAL
    // RFC 4271 §5.1.4: a MED received from a neighbouring AS is not passed on to other neighbouring ASes. A learned
    // route's MED came from outside (over iBGP it may still be another AS's), so only a local route keeps its MED
    // towards eBGP; export policy runs after this and may set one.
    if (target.ebgp && !local) delete a.med
    // RFC 9494 §4.3: a long-lived stale route is advertised with LLGR_STALE.
    if (llgr && !AttrSet.hasCommunity(a, AttrSet.Community.LlgrStale)) {
      a.communities = Uint32Array.from([...(a.communities ?? []), AttrSet.Community.LlgrStale])
    }
    const self = this.nextHopSelf(target, t)
    let nextHopSet = false
    let out: Mutable<Attributes.Attributes> = a
    if (policy !== undefined && tr !== undefined) {
      const r = Policy.applyTrace(policy, tr, a, this.env(target, t))
      if (!r.accept) return -1
      out = r.attributes === a ? a : { ...r.attributes }
      nextHopSet = r.nextHopSet
    }
    out.origin ??= 0
    out.asPath ??= NO_PATH
    if (target.ebgp) {
      // RFC 4271 §5.1.2: prepend the local AS towards an external peer.
      out.asPath = Policy.prepend(out.asPath, this.options.localAs, 1)
      // RFC 4271 §5.1.5: no LOCAL_PREF to external peers; RFC 4456 §8: ORIGINATOR_ID/CLUSTER_LIST stay inside.
      delete out.localPref
      delete out.originatorId
      delete out.clusterList
      // RFC 4271 §5.1.3: our own address, unless policy chose or a local route names an explicit next hop.
      if (!nextHopSet && !(local && attrs.nextHop !== undefined)) {
        if (self === undefined) return -1
        out.nextHop = self
      }
    } else {
      // RFC 4271 §5.1.5: LOCAL_PREF is sent to internal peers.
      out.localPref ??= this.bestPathOptions.defaultLocalPref
      if (!nextHopSet && out.nextHop === undefined) {
        if (self === undefined) return -1
        out.nextHop = self
      }
    }
    return this.interner.intern(out, 1).id
  }

  private outBuilder(peer: PeerId, t: FamilyTable): OutBuilder {
    const k = `${peer}:${t.family}`
    let b = this.outBuilders.get(k)
    if (b === undefined) {
      b = { peer, t, announced: new Map(), withdrawn: new IntList(64) }
      this.outBuilders.set(k, b)
    }
    return b
  }

  /** Set the peer's Adj-RIB-Out entry for a prefix, recording the change. */
  private setOut(peer: PeerId, t: FamilyTable, pid: number, id: number): void {
    let out = t.out[peer]!
    const cur = pid < out.length ? out[pid]! - 1 : -1
    if (cur === id) return
    if (cur >= 0) {
      this.release(cur)
      t.outCount[peer]!--
    }
    const b = this.outBuilder(peer, t)
    if (id >= 0) {
      if (pid >= out.length) {
        out = growI32(out, Math.max(t.prefixes.capacity, pid + 1))
        t.out[peer] = out
      }
      this.interner.retain(id)
      out[pid] = id + 1
      t.outCount[peer]!++
      pushGrouped(b.announced, id, pid)
    } else {
      out[pid] = 0
      b.withdrawn.push(pid)
    }
  }

  private locBuilder(t: FamilyTable): LocBuilder {
    let b = this.locBuilders.get(t.family)
    if (b === undefined) {
      b = { added: new Map(), changed: new Map(), removed: new IntList(64) }
      this.locBuilders.set(t.family, b)
    }
    return b
  }

  private finalize(): Diff.Diff {
    const exporting: Array<Array<PeerState>> = this.tables.map((t) =>
      this.peerStates.filter((s): s is PeerState => s !== undefined && s.up && t.out[s.id] !== undefined)
    )
    for (let ti = 0; ti < this.tables.length; ti++) {
      const t = this.tables[ti]!
      const view = this.views[ti]!
      const targets = exporting[ti]!
      const n = t.dirty.length
      if (n === 0) continue
      const loc = this.locBuilder(t)
      const dirty = t.dirty.data
      for (let k = 0; k < n; k++) {
        const pid = dirty[k]!
        const nb = this.select(t, view, pid)
        const oldAttr = t.snapAttr.data[k]!
        t.best[pid] = nb
        if (nb === -1 && oldAttr === -1) continue
        if (nb !== -1) {
          const newAttr = t.pOut[nb]!
          const newPeer = t.pPeer[nb]!
          if (
            oldAttr === newAttr &&
            t.snapPeer.data[k] === newPeer &&
            t.snapPathId.data[k] === t.pId[nb] &&
            t.snapFlags.data[k] === (t.pFlags[nb]! & Flag.LlgrStale)
          ) {
            if (this.forceExport) for (const target of targets) this.setOut(target.id, t, pid, this.exportId(target, t, pid, nb))
            continue
          }
          if (oldAttr === -1) {
            pushGrouped(loc.added, newAttr, pid)
            t.locCount++
          } else {
            pushGrouped(loc.changed, newAttr, pid)
            t.bestCount[t.snapPeer.data[k]!]!--
          }
          t.bestCount[newPeer]!++
          for (const target of targets) this.setOut(target.id, t, pid, this.exportId(target, t, pid, nb))
        } else {
          loc.removed.push(pid)
          t.locCount--
          t.bestCount[t.snapPeer.data[k]!]!--
          for (const target of targets) this.setOut(target.id, t, pid, -1)
        }
      }
    }
    // Whole-table exports (a peer came up, or its configuration changed).
    for (const k of this.fullExport) {
      const [peerText, familyText] = k.split(":")
      const s = this.peerStates[Number(peerText)]
      const t = this.table(Number(familyText))
      if (s === undefined || t === undefined || t.out[s.id] === undefined) continue
      const out = t.out[s.id]!
      for (let pid = 0; pid < t.prefixes.high; pid++) {
        const b = t.best[pid]!
        if (b !== -1) this.setOut(s.id, t, pid, this.exportId(s, t, pid, b))
        else if (pid < out.length && out[pid] !== 0) this.setOut(s.id, t, pid, -1)
      }
    }
    const diff = this.buildDiff()
    this.cleanup()
    return diff
  }

  private prefixesOf(t: FamilyTable, list: IntList): Prefixes.Prefixes {
    const pt = t.prefixes
    const w = pt.width
    const n = list.length
    const lengths = new Uint8Array(n)
    const addresses = new Uint8Array(n * w)
    const d = list.data
    for (let i = 0; i < n; i++) {
      const pid = d[i]!
      lengths[i] = pt.lengths[pid]!
      pt.writeAddress(pid, addresses, i * w)
    }
    return { afi: Family.afiOf(t.family), count: n, lengths, addresses, pathIds: undefined }
  }

  private groups(t: FamilyTable, m: Map<number, IntList>): Array<Diff.RouteGroup> {
    const out: Array<Diff.RouteGroup> = []
    for (const [id, list] of m) out.push({ attributes: this.interner.get(id)!, prefixes: this.prefixesOf(t, list) })
    return out
  }

  private buildDiff(): Diff.Diff {
    const locRib: Array<Diff.LocRibChange> = []
    for (const t of this.tables) {
      const b = this.locBuilders.get(t.family)
      if (b === undefined || (b.added.size === 0 && b.changed.size === 0 && b.removed.length === 0)) continue
      locRib.push({
        family: t.family,
        added: this.groups(t, b.added),
        changed: this.groups(t, b.changed),
        removed: this.prefixesOf(t, b.removed)
      })
    }
    const adjRibOut: Array<Diff.AdjRibOutChange> = []
    const builders = [...this.outBuilders.values()].sort((x, y) => x.peer - y.peer || x.t.family - y.t.family)
    for (const b of builders) {
      if (b.announced.size === 0 && b.withdrawn.length === 0) continue
      adjRibOut.push({ peer: b.peer, family: b.t.family, announced: this.groups(b.t, b.announced), withdrawn: this.prefixesOf(b.t, b.withdrawn) })
    }
    return { locRib, adjRibOut, alerts: this.alerts() }
  }

  private alerts(): Array<Diff.MaxPrefixAlert> {
    const out: Array<Diff.MaxPrefixAlert> = []
    for (const peer of [...this.touchedPeers].sort((a, b) => a - b)) {
      const s = this.peerStates[peer]
      if (s === undefined || s.config.maxPrefix === undefined) continue
      for (const limit of s.config.maxPrefix) {
        const t = this.table(limit.family)
        if (t === undefined) continue
        const count = limit.count === "accepted" ? t.accepted[peer]! : t.received[peer]!
        const warnAt = Math.ceil((limit.limit * (limit.warningPercent ?? 75)) / 100)
        const base = { _tag: "MaxPrefixAlert" as const, peer, family: limit.family, count, limit }
        if (count > limit.limit) {
          s.warned.set(limit.family, true)
          out.push({ ...base, level: "exceeded", teardown: limit.warningOnly !== true })
        } else if (count >= warnAt) {
          if (s.warned.get(limit.family) !== true) out.push({ ...base, level: "warning", teardown: false })
          s.warned.set(limit.family, true)
        } else {
          s.warned.set(limit.family, false)
        }
      }
    }
    return out
  }

  private cleanup(): void {
    // Memo references, then everything let go of during the operation.
    this.forgetImportMemo()
    for (let peer = 0; peer < this.exportMemo.length; peer++) this.forgetExportMemo(peer)
    const rel = this.pendingRelease
    for (let i = 0; i < rel.length; i++) this.interner.release(rel.data[i]!)
    rel.clear()
    for (const t of this.tables) {
      const d = t.dirty.data
      for (let k = 0; k < t.dirty.length; k++) {
        const pid = d[k]!
        if (t.head[pid] === -1) {
          t.best[pid] = -1
          t.prefixes.remove(pid)
        }
      }
      t.dirty.clear()
      t.snapPeer.clear()
      t.snapPathId.clear()
      t.snapAttr.clear()
      t.snapFlags.clear()
    }
    this.fullExport.clear()
    this.outBuilders.clear()
    this.locBuilders.clear()
    this.touchedPeers.clear()
    this.forceExport = false
    this.epoch++
  }

  // --- queries ---------------------------------------------------------------------------------------------

  private findPid(t: FamilyTable, prefix: PrefixKey): number {
    t.prefixes.keyFrom(prefix.address, 0, prefix.length)
    return t.prefixes.find()
  }

  private route(t: FamilyTable, p: number, view: "pre" | "post"): Route {
    const pid = t.pPid[p]!
    return {
      family: t.family,
      prefix: { address: t.prefixes.address(pid), length: t.prefixes.lengths[pid]! },
      peer: t.pPeer[p]!,
      pathId: t.pId[p]!,
      attributes: this.interner.get(view === "pre" ? t.pIn[p]! : t.pOut[p]!)!,
      stale: (t.pFlags[p]! & Flag.Stale) !== 0,
      llgrStale: (t.pFlags[p]! & Flag.LlgrStale) !== 0,
      best: t.best[pid] === p
    }
  }

  best = (family: Family.FamilyKey, prefix: PrefixKey): Route | undefined => {
    const t = this.table(family)
    if (t === undefined) return undefined
    const pid = this.findPid(t, prefix)
    if (pid === -1 || t.best[pid] === -1) return undefined
    return this.route(t, t.best[pid]!, "post")
  }

  paths = (family: Family.FamilyKey, prefix: PrefixKey): ReadonlyArray<Route> => {
    const t = this.table(family)
    if (t === undefined) return []
    const pid = this.findPid(t, prefix)
    if (pid === -1) return []
    const out: Array<Route> = []
    for (let p = t.head[pid]!; p !== -1; p = t.pNext[p]!) if (t.pOut[p]! >= 0) out.push(this.route(t, p, "post"))
    return out.sort((a, b) => (a.best === b.best ? a.peer - b.peer || a.pathId - b.pathId : a.best ? -1 : 1))
  }

  *locRib(family: Family.FamilyKey): IterableIterator<Route> {
    const t = this.table(family)
    if (t === undefined) return
    for (let pid = 0; pid < t.prefixes.high; pid++) {
      const b = t.best[pid]!
      if (b !== -1) yield this.route(t, b, "post")
    }
  }

  *adjRibIn(peer: PeerId, family: Family.FamilyKey, view: "pre" | "post" = "post"): IterableIterator<Route> {
    const t = this.table(family)
    if (t === undefined || peer >= t.qHead.length) return
    for (let p = t.qHead[peer]!; p !== -1; p = t.qNext[p]!) {
      if (view === "post" && t.pOut[p]! < 0) continue
      yield this.route(t, p, view)
    }
  }

  *adjRibOut(peer: PeerId, family: Family.FamilyKey): IterableIterator<Diff.RouteGroup> {
    const t = this.table(family)
    const out = t?.out[peer]
    if (t === undefined || out === undefined) return
    const m = new Map<number, IntList>()
    for (let pid = 0; pid < out.length; pid++) if (out[pid] !== 0) pushGrouped(m, out[pid]! - 1, pid)
    // Built eagerly: the caller may mutate the RIB while packing.
    yield* this.groups(t, m)
  }

  locRibSize = (family: Family.FamilyKey): number => this.table(family)?.locCount ?? 0

  advertised = (peer: PeerId, family: Family.FamilyKey, prefix: PrefixKey): AttrSet.AttrSet | undefined => {
    const t = this.table(family)
    const out = t?.out[peer]
    if (t === undefined || out === undefined) return undefined
    const pid = this.findPid(t, prefix)
    if (pid === -1 || pid >= out.length || out[pid] === 0) return undefined
    return this.interner.get(out[pid]! - 1)
  }

  memory = (): CoreApi.MemoryStats => {
    let prefixes = 0
    let paths = 0
    let tableBytes = 0
    for (const t of this.tables) {
      prefixes += t.prefixes.count
      paths += t.paths
      tableBytes += t.bytes()
    }
    tableBytes += this.aLocalPref.byteLength * 4 + this.aPathLength.byteLength * 2 + this.aOrigin.byteLength * 2
    return { prefixes, paths, attributeSets: this.interner.size, tableBytes }
  }
}
