/**
 * An update group: the peers that get the same bytes. Peers whose export
 * result and encoding are the same — same export policy, same negotiated send
 * context (4-octet AS, message size), eBGP or iBGP, same "self" next hops,
 * same route scopes and families — share one Adj-RIB-Out and one encoding of
 * every UPDATE: advertising to 100 peers packs once. The group is plain
 * synchronous data; the speaker runs its flushes and delivers the bytes.
 *
 * Changes collect in `dirty` (with the value each prefix had at the last
 * flush) until `flush`, which packs withdrawals and announcements (one
 * `Pack.packUpdates` call per attribute set) for the members in sync, the whole
 * table plus End-of-RIB for members that just joined, and a per-peer delta for
 * members that moved in from another group.
 */
import { Policy, Peer as RibPeer } from "@kbgp/rib"
import type { AttrSet, Interner } from "@kbgp/rib"
import { Family, Pack, Text } from "@kbgp/wire"
import type { Attributes, Context as WireContext, Family as FamilyTypes, Prefixes } from "@kbgp/wire"
import * as Keys from "./Keys.js"
import * as LocalRoutes from "./LocalRoutes.js"

type FamilyKey = FamilyTypes.FamilyKey
/** An interned attribute set, as the tables hold it. */
type Interned = AttrSet.AttrSet

/** What makes two peers share a group. */
export interface Spec {
  readonly tx: WireContext.Context
  readonly ebgp: boolean
  readonly localAs: number
  /** Negotiated families the speaker carries, ascending. */
  readonly families: ReadonlyArray<FamilyKey>
  /** Route scopes the peers are in: `LocalRoutes.ALL` and each `peers` list naming them. */
  readonly scopes: ReadonlyArray<LocalRoutes.Scope>
  readonly exportPolicy: Policy.Policy | undefined
  /** The session's local addresses: the "self" next hop per family. */
  readonly selfV4: Uint8Array | undefined
  readonly selfV6: Uint8Array | undefined
}

const hex = (b: Uint8Array | undefined): string => (b === undefined ? "-" : Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""))

const sorted = <A>(xs: Iterable<A>): Array<A> => [...xs].sort()

/** Stable text of a policy (typed arrays as hex) for group keys. */
export const policyKey = (p: Policy.Policy | undefined): string =>
  p === undefined ? "" : JSON.stringify(p, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : v))

/**
 * The group key: peers with equal keys share a group. It holds the whole send
 * context, ADD-PATH send and extended next hop included, though the speaker
 * never negotiates those for sending (they are always empty, so they never
 * split a group today).
 */
export const key = (s: Spec): string =>
  JSON.stringify([
    s.tx.asn4,
    sorted(s.tx.addPath),
    s.tx.extendedMessage,
    sorted(s.tx.extendedNextHop),
    s.ebgp,
    s.localAs,
    s.families,
    s.scopes,
    hex(s.selfV4),
    hex(s.selfV6),
    policyKey(s.exportPolicy)
  ])

/** Bytes for one member out of a flush. `endOfRib` families follow the messages (RFC 4724 §2). */
export interface Delivery<M> {
  readonly member: M
  readonly messages: ReadonlyArray<Uint8Array>
  readonly endOfRib: ReadonlyArray<FamilyKey>
}

/** Counters shared by every group of a speaker (the encode "spy" of the tests). */
export interface Stats {
  /** `Pack` calls. */
  encodes: number
  /** UPDATE messages they produced. */
  encodedMessages: number
}

export type Advertised = ReadonlyMap<FamilyKey, ReadonlyMap<Keys.PrefixKey, Interned>>

/**
 * Routes the export accepted that the group does not send, with the reason,
 * for the peers it concerns: `members` (just joined, or the routes just became
 * unsendable). The speaker turns each into an event and a warning.
 */
export interface Refusal<M> {
  readonly members: ReadonlyArray<M>
  readonly family: FamilyKey
  readonly prefixes: ReadonlyArray<Keys.PrefixKey>
  readonly reason: string
}

/**
 * Why a next hop cannot go with routes of a family, or undefined when it can:
 * IPv4 unicast takes a 4-byte NEXT_HOP (the speaker does not negotiate RFC 8950
 * for sending), IPv6 a global address, optionally followed by a link-local one
 * (RFC 2545 §3).
 */
export const nextHopIssue = (family: FamilyKey, nextHop: Uint8Array): string | undefined => {
  const n = nextHop.length
  if (family === Family.Ipv4Unicast ? n === 4 : n === 16 || n === 32) return undefined
  const what = n === 4 ? "an IPv4" : n === 16 || n === 32 ? "an IPv6" : `a ${n}-byte`
  return `${what} next hop (${Text.formatNextHop(nextHop)}) for ${Family.format(family)} routes`
}

const EMPTY_BYTES = new Uint8Array(0)

/** An export the group cannot send (the memo keeps it so the check runs once per template and family). */
class Unsendable {
  constructor(readonly reason: string) {}
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

export class UpdateGroup<M> {
  readonly key: string
  /** Current Adj-RIB-Out per family (prefix → interned attribute set, one reference each). */
  private readonly tables = new Map<FamilyKey, Map<Keys.PrefixKey, Interned>>()
  /** Prefixes changed since the last flush, with their value then (null: absent). */
  private readonly dirty = new Map<FamilyKey, Map<Keys.PrefixKey, Interned | null>>()
  private readonly fullCache = new Map<FamilyKey, ReadonlyArray<Uint8Array>>()
  /**
   * Export result per family and template when the policy does not read the
   * prefix (one reference each). Per family: one template serves the IPv4 and
   * the IPv6 prefixes of a route entry, and the "self" next hop, a `families`
   * match and the next-hop check all depend on the family.
   */
  private readonly memo = new Map<FamilyKey, Map<LocalRoutes.Template, Interned | Unsendable | null>>()
  private readonly memoable: boolean
  /** Prefixes the export accepted but the group does not send, with the reason. */
  private readonly unsendable = new Map<FamilyKey, Map<Keys.PrefixKey, string>>()
  /** Prefixes that became unsendable since the last flush (not reported yet). */
  private readonly fresh = new Map<FamilyKey, Map<Keys.PrefixKey, string>>()
  private refusals: Array<Refusal<M>> = []
  readonly members = new Set<M>()
  private readonly joiners = new Set<M>()
  private readonly movers = new Map<M, Advertised>()

  constructor(
    readonly id: number,
    readonly spec: Spec,
    private readonly interner: Interner.Interner,
    private readonly stats: Stats
  ) {
    this.key = key(spec)
    this.memoable = spec.exportPolicy === undefined || !spec.exportPolicy.rules.some((r) => Policy.readsPrefix(r.match))
    for (const f of spec.families) this.tables.set(f, new Map())
  }

  /** Members plus peers waiting for their first flush. */
  get size(): number {
    return this.members.size + this.joiners.size + this.movers.size
  }

  get hasPending(): boolean {
    if (this.joiners.size > 0 || this.movers.size > 0) return true
    for (const d of this.dirty.values()) if (d.size > 0) return true
    return false
  }

  /** Fill the tables from the local routes (a new group). */
  build(local: LocalRoutes.Table): void {
    for (const family of this.spec.families) {
      const keys = new Set<Keys.PrefixKey>()
      for (const scope of this.spec.scopes) {
        const t = local.scopes.get(scope)?.get(family)
        if (t !== undefined) for (const k of t.keys()) keys.add(k)
      }
      for (const k of keys) this.recompute(local, family, k)
    }
    // A new group has no members that saw anything: nothing is dirty.
    this.dirty.clear()
  }

  /** Whether a local route change can concern this group. */
  concerns(change: LocalRoutes.Change): boolean {
    return this.tables.has(change.family) && this.spec.scopes.includes(change.scope)
  }

  /** Re-derive the export of one prefix after the local routes changed. */
  recompute(local: LocalRoutes.Table, family: FamilyKey, key: Keys.PrefixKey): void {
    const table = this.tables.get(family)
    if (table === undefined) return
    // A route for named peers wins over one for every peer (ALL, "", sorts first). Among named scopes the last in
    // key order (JSON text) wins: not necessarily the most specific; a config that sends a peer one prefix from two
    // overlapping `peers` lists gets one of them, by that order.
    let template: LocalRoutes.Template | undefined
    for (let i = this.spec.scopes.length - 1; i >= 0 && template === undefined; i--) {
      template = local.scopes.get(this.spec.scopes[i]!)?.get(family)?.get(key)
    }
    const exported = template === undefined ? undefined : this.exported(template, family, key)
    this.noteUnsendable(family, key, exported instanceof Unsendable ? exported.reason : undefined)
    const next = exported instanceof Unsendable ? undefined : exported
    const current = table.get(key)
    if (current === next) {
      if (next !== undefined) this.interner.release(next.id)
      return
    }
    let d = this.dirty.get(family)
    if (d === undefined) this.dirty.set(family, (d = new Map()))
    if (!d.has(key)) {
      d.set(key, current ?? null)
      if (current !== undefined) this.interner.retain(current.id) // the dirty entry holds its own reference
    }
    if (current !== undefined) this.interner.release(current.id)
    if (next === undefined) table.delete(key)
    else table.set(key, next)
    this.fullCache.delete(family)
  }

  private noteUnsendable(family: FamilyKey, key: Keys.PrefixKey, reason: string | undefined): void {
    let all = this.unsendable.get(family)
    let fresh = this.fresh.get(family)
    if (reason === undefined) {
      all?.delete(key)
      fresh?.delete(key)
      return
    }
    if (all === undefined) this.unsendable.set(family, (all = new Map()))
    if (all.get(key) === reason) return
    all.set(key, reason)
    if (fresh === undefined) this.fresh.set(family, (fresh = new Map()))
    fresh.set(key, reason)
  }

  /**
   * The interned export of a template for this group, with one reference for
   * the caller; undefined when the export policy does not send it, `Unsendable`
   * when it would but the route cannot be sent.
   */
  private exported(t: LocalRoutes.Template, family: FamilyKey, key: Keys.PrefixKey): Interned | Unsendable | undefined {
    let memo: Map<LocalRoutes.Template, Interned | Unsendable | null> | undefined
    if (this.memoable) {
      memo = this.memo.get(family)
      if (memo === undefined) this.memo.set(family, (memo = new Map()))
      const m = memo.get(t)
      if (m !== undefined) {
        if (m === null || m instanceof Unsendable) return m ?? undefined
        this.interner.retain(m.id)
        return m
      }
    }
    const attributes = this.attributes(t, family, key)
    const issue = attributes?.nextHop === undefined ? undefined : nextHopIssue(family, attributes.nextHop)
    const set = attributes === undefined ? undefined : issue !== undefined ? new Unsendable(issue) : this.interner.intern(attributes, 1)
    if (memo !== undefined) {
      if (set !== undefined && !(set instanceof Unsendable)) this.interner.retain(set.id)
      memo.set(t, set ?? null)
    }
    return set
  }

  private self(family: FamilyKey): Uint8Array | undefined {
    return family === Family.Ipv4Unicast ? this.spec.selfV4 : this.spec.selfV6
  }

  /** Local route → export policy → standard eBGP/iBGP rules (RFC 4271 §5.1). */
  private attributes(t: LocalRoutes.Template, family: FamilyKey, key: Keys.PrefixKey): Attributes.Attributes | undefined {
    let nextHop = t.nextHop === "self" ? this.self(family) : t.nextHop
    // RFC 2545 §3: a global IPv6 next hop may be followed by a link-local one.
    if (nextHop !== undefined && nextHop.length === 16 && t.linkLocal !== undefined) nextHop = concat(nextHop, t.linkLocal)
    const base: { -readonly [K in keyof Attributes.Attributes]: Attributes.Attributes[K] } = {
      origin: t.origin,
      asPath: t.asPath.length === 0 ? [] : [{ type: 2, asns: t.asPath }]
    }
    if (nextHop !== undefined) base.nextHop = nextHop
    if (t.med !== undefined) base.med = t.med
    if (t.localPref !== undefined) base.localPref = t.localPref
    if (t.communities !== undefined) base.communities = t.communities
    if (t.largeCommunities !== undefined) base.largeCommunities = t.largeCommunities
    if (t.extendedCommunities !== undefined) base.extendedCommunities = t.extendedCommunities
    let out: Attributes.Attributes = base
    const policy = this.spec.exportPolicy
    if (policy !== undefined) {
      const self = this.self(family)
      const r = Policy.evaluate(
        policy,
        {
          family,
          address: Keys.addressOf(key),
          length: Keys.lengthOf(key),
          attributes: base,
          peer: RibPeer.LOCAL,
          peerAddress: EMPTY_BYTES,
          peerAs: this.spec.localAs
        },
        self === undefined ? { localAs: this.spec.localAs } : { localAs: this.spec.localAs, nextHopSelf: self }
      )
      if (!r.accept) return undefined
      out = r.attributes
    }
    if (out.nextHop === undefined) return undefined
    const { localPref: _localPref, ...rest } = out
    if (this.spec.ebgp) {
      // RFC 4271 §5.1.2: our AS goes first toward an external peer; §5.1.5: no LOCAL_PREF to external peers.
      return { ...rest, asPath: Policy.prepend(out.asPath ?? [], this.spec.localAs, 1 + t.prepend) }
    }
    // RFC 4271 §5.1.5: LOCAL_PREF is sent to internal peers (100 unless configured, the common default).
    return { ...out, localPref: out.localPref ?? 100 }
  }

  /** Forget memoised exports of templates that are gone (their references are dropped). */
  prune(local: LocalRoutes.Table): void {
    for (const memo of this.memo.values()) {
      for (const [t, set] of memo) {
        if (local.templates.get(t.key) !== t) {
          if (set !== null && !(set instanceof Unsendable)) this.interner.release(set.id)
          memo.delete(t)
        }
      }
    }
  }

  /** A peer whose session just came up: it gets the whole table and End-of-RIB at the next flush. */
  join(member: M): void {
    this.joiners.add(member)
  }

  /** A peer that had `advertised` from another group: it gets the difference at the next flush. */
  moveIn(member: M, advertised: Advertised): void {
    this.movers.set(member, advertised)
  }

  /** What a member still waiting to move in had before (undefined for members in sync and joiners). */
  pendingFrom(member: M): Advertised | undefined {
    return this.movers.get(member)
  }

  leave(member: M): void {
    this.members.delete(member)
    this.joiners.delete(member)
    this.movers.delete(member)
  }

  /** Our Adj-RIB-Out as the members in sync have it (before unflushed changes). */
  advertised(family: FamilyKey): Map<Keys.PrefixKey, Interned> {
    const table = this.tables.get(family)
    const out = new Map<Keys.PrefixKey, Interned>(table)
    const d = this.dirty.get(family)
    if (d !== undefined) {
      for (const [k, prev] of d) {
        if (prev === null) out.delete(k)
        else out.set(k, prev)
      }
    }
    return out
  }

  /** `advertised` for every family, for a member moving to another group. */
  snapshot(): Advertised {
    const out = new Map<FamilyKey, Map<Keys.PrefixKey, Interned>>()
    for (const f of this.spec.families) out.set(f, this.advertised(f))
    return out
  }

  advertisedCount(family: FamilyKey): number {
    const table = this.tables.get(family)
    if (table === undefined) return 0
    let n = table.size
    const d = this.dirty.get(family)
    if (d !== undefined) {
      for (const [k, prev] of d) n += (prev === null ? 0 : 1) - (table.has(k) ? 1 : 0)
    }
    return n
  }

  /** The whole table of a family as UPDATEs (cached until the table changes). */
  fullTable(family: FamilyKey): ReadonlyArray<Uint8Array> {
    const cached = this.fullCache.get(family)
    if (cached !== undefined) return cached
    const table = this.tables.get(family)
    const messages = table === undefined ? [] : this.announce(family, table.entries())
    this.fullCache.set(family, messages)
    return messages
  }

  /** Pack announcements, one `Pack.packUpdates` per attribute set. */
  private announce(family: FamilyKey, entries: Iterable<readonly [Keys.PrefixKey, Interned]>): Array<Uint8Array> {
    const afi = Family.afiOf(family)
    const safi = Family.safiOf(family)
    const bySet = new Map<Interned, Keys.BlockBuilder>()
    for (const [k, set] of entries) {
      let b = bySet.get(set)
      if (b === undefined) bySet.set(set, (b = new Keys.BlockBuilder(afi)))
      b.push(k)
    }
    const out: Array<Uint8Array> = []
    for (const [set, b] of bySet) {
      const nextHop = set.attributes.nextHop
      const routes = nextHop === undefined ? { afi, safi, prefixes: b.done() } : { afi, safi, nextHop, prefixes: b.done() }
      // One attribute set that cannot be encoded (e.g. attributes over the message size) must not hold up the others.
      const messages = this.pack(family, routes.prefixes, () => Pack.packUpdates(set.attributes, routes, this.spec.tx))
      for (const m of messages) out.push(m)
    }
    return out
  }

  /** Run one `Pack` call; a failure is reported for the prefixes (and the peers about to get them) instead of thrown. */
  private pack(family: FamilyKey, prefixes: Prefixes.Prefixes, f: () => Array<Uint8Array>): Array<Uint8Array> {
    let messages: Array<Uint8Array>
    try {
      messages = f()
    } catch (e) {
      const keys = Array.from({ length: prefixes.count }, (_, i) => Keys.ofPrefixes(prefixes, i))
      const members = [...this.members, ...this.joiners, ...this.movers.keys()]
      this.refusals.push({ members, family, prefixes: keys, reason: `cannot be encoded: ${e instanceof Error ? e.message : String(e)}` })
      return []
    }
    this.stats.encodes++
    this.stats.encodedMessages += messages.length
    return messages
  }

  private withdraw(family: FamilyKey, keys: ReadonlyArray<Keys.PrefixKey>): Array<Uint8Array> {
    if (keys.length === 0) return []
    const afi = Family.afiOf(family)
    const b = new Keys.BlockBuilder(afi, keys.length)
    for (const k of keys) b.push(k)
    const prefixes = b.done()
    return this.pack(family, prefixes, () => Pack.packWithdrawals(afi, Family.safiOf(family), prefixes, this.spec.tx))
  }

  /** Messages taking a peer from `from` to the current tables (withdrawals first). */
  private delta(from: Advertised): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    for (const family of this.spec.families) {
      const table = this.tables.get(family)!
      const before = from.get(family)
      const gone: Array<Keys.PrefixKey> = []
      if (before !== undefined) for (const k of before.keys()) if (!table.has(k)) gone.push(k)
      const changed: Array<readonly [Keys.PrefixKey, Interned]> = []
      for (const [k, set] of table) if (before?.get(k) !== set) changed.push([k, set])
      out.push(...this.withdraw(family, gone), ...this.announce(family, changed))
    }
    // Families the peer had that this group does not carry: withdraw them all.
    for (const [family, before] of from) {
      if (!this.tables.has(family) && Family.isPrefixFamily(Family.afiOf(family), Family.safiOf(family))) {
        out.push(...this.withdraw(family, [...before.keys()]))
      }
    }
    return out
  }

  /**
   * Pack what changed since the last flush for the members, the whole table
   * (then End-of-RIB) for joiners, the difference for movers; after it every
   * one of them is a member in sync.
   */
  flush(): Array<Delivery<M>> {
    const out: Array<Delivery<M>> = []
    const incremental: Array<Uint8Array> = []
    const any = this.members.size > 0
    for (const [family, d] of this.dirty) {
      if (d.size === 0) continue
      if (any) {
        const table = this.tables.get(family)!
        const gone: Array<Keys.PrefixKey> = []
        const changed: Array<readonly [Keys.PrefixKey, Interned]> = []
        for (const [k, prev] of d) {
          const now = table.get(k)
          if (now === undefined) {
            if (prev !== null) gone.push(k)
          } else if (now !== prev) changed.push([k, now])
        }
        incremental.push(...this.withdraw(family, gone), ...this.announce(family, changed))
      }
      for (const prev of d.values()) if (prev !== null) this.interner.release(prev.id)
      d.clear()
    }
    if (incremental.length > 0) for (const m of this.members) out.push({ member: m, messages: incremental, endOfRib: [] })
    // Newcomers hear of every route they do not get; members only of the ones that just became unsendable.
    const newcomers = [...this.joiners, ...this.movers.keys()]
    if (newcomers.length > 0) this.refuse(newcomers, this.unsendable, this.fresh)
    if (this.joiners.size > 0) {
      const messages: Array<Uint8Array> = []
      for (const family of this.spec.families) for (const m of this.fullTable(family)) messages.push(m)
      for (const m of this.joiners) {
        out.push({ member: m, messages, endOfRib: this.spec.families })
        this.members.add(m)
      }
      this.joiners.clear()
    }
    for (const [m, from] of this.movers) {
      const messages = this.delta(from)
      if (messages.length > 0) out.push({ member: m, messages, endOfRib: [] })
      this.members.add(m)
    }
    this.movers.clear()
    this.refuse([...this.members], this.fresh)
    this.fresh.clear()
    return out
  }

  /** Add refusals for `members`: the prefixes of `from` not in `except`, one per family and reason. */
  private refuse(
    members: ReadonlyArray<M>,
    from: ReadonlyMap<FamilyKey, ReadonlyMap<Keys.PrefixKey, string>>,
    except?: ReadonlyMap<FamilyKey, ReadonlyMap<Keys.PrefixKey, string>>
  ): void {
    if (members.length === 0) return
    for (const [family, m] of from) {
      const skip = except?.get(family)
      const byReason = new Map<string, Array<Keys.PrefixKey>>()
      for (const [k, reason] of m) {
        if (skip?.has(k)) continue
        let ks = byReason.get(reason)
        if (ks === undefined) byReason.set(reason, (ks = []))
        ks.push(k)
      }
      for (const [reason, prefixes] of byReason) this.refusals.push({ members, family, prefixes, reason })
    }
  }

  /** Refusals collected by flushes (and full tables packed for route refresh) since the last call. */
  takeRefusals(): Array<Refusal<M>> {
    const out = this.refusals
    this.refusals = []
    return out
  }

  /** Prefixes of a family the export accepted but the group does not send. */
  unsendableCount(family: FamilyKey): number {
    return this.unsendable.get(family)?.size ?? 0
  }

  /** Drop every reference the group holds (it has no members left). */
  dispose(): void {
    for (const t of this.tables.values()) for (const s of t.values()) this.interner.release(s.id)
    for (const d of this.dirty.values()) for (const s of d.values()) if (s !== null) this.interner.release(s.id)
    for (const memo of this.memo.values()) for (const s of memo.values()) if (s !== null && !(s instanceof Unsendable)) this.interner.release(s.id)
    this.tables.clear()
    this.dirty.clear()
    this.memo.clear()
    this.fullCache.clear()
    this.unsendable.clear()
    this.fresh.clear()
    this.refusals = []
  }
}

/** End-of-RIB for a family in a context (RFC 4724 §2). */
export const endOfRib = (family: FamilyKey, tx: WireContext.Context): Uint8Array =>
  Pack.endOfRib(Family.afiOf(family), Family.safiOf(family), tx)
