/**
 * What an operation changed. Every `Core` operation returns one `Diff`; the `Rib`
 * service publishes them. Changes are columnar — prefixes in wire `Prefixes` blocks,
 * grouped by attribute set — so a diff of a million routes is a few thousand objects,
 * and each Adj-RIB-Out group goes straight into `Pack.packUpdates`.
 *
 * Diffs are exact: a route that ends the operation as it started (re-announced with the
 * same attributes, or changed and changed back inside one batch) does not appear.
 */
import { Family, Text, type Prefixes } from "@kbgp/wire"
import type { AttrSet } from "./AttrSet.js"
import type { MaxPrefix, PeerId } from "./Peer.js"

/** Prefixes that share one attribute set. */
export interface RouteGroup {
  readonly attributes: AttrSet
  readonly prefixes: Prefixes.Prefixes
}

/** Loc-RIB changes of one family: best routes added, changed (other path or attributes) and removed. */
export interface LocRibChange {
  readonly family: Family.FamilyKey
  readonly added: ReadonlyArray<RouteGroup>
  readonly changed: ReadonlyArray<RouteGroup>
  readonly removed: Prefixes.Prefixes
}

/**
 * Adj-RIB-Out changes of one peer and family, in wire terms: routes to announce (new or
 * with new attributes, grouped by the attributes to send) and prefixes to withdraw.
 */
export interface AdjRibOutChange {
  readonly peer: PeerId
  readonly family: Family.FamilyKey
  readonly announced: ReadonlyArray<RouteGroup>
  readonly withdrawn: Prefixes.Prefixes
}

/**
 * A max-prefix threshold crossed by a peer (counted after the operation). "warning" is
 * raised once when the count reaches `warningPercent` of the limit (again only after it
 * fell below); "exceeded" each time an operation leaves the count above the limit.
 * `teardown` is set when the speaker should send Cease 6/1 (`Event.maxPrefixesExceeded`).
 */
export interface MaxPrefixAlert {
  readonly _tag: "MaxPrefixAlert"
  readonly level: "warning" | "exceeded"
  readonly peer: PeerId
  readonly family: Family.FamilyKey
  readonly count: number
  readonly limit: MaxPrefix
  readonly teardown: boolean
}

export interface Diff {
  /** One entry per family whose Loc-RIB changed. */
  readonly locRib: ReadonlyArray<LocRibChange>
  /** One entry per (peer, family) whose Adj-RIB-Out changed. */
  readonly adjRibOut: ReadonlyArray<AdjRibOutChange>
  readonly alerts: ReadonlyArray<MaxPrefixAlert>
}

export const empty: Diff = { locRib: [], adjRibOut: [], alerts: [] }

export const isEmpty = (d: Diff): boolean => d.locRib.length === 0 && d.adjRibOut.length === 0 && d.alerts.length === 0

const groupCount = (gs: ReadonlyArray<RouteGroup>): number => gs.reduce((n, g) => n + g.prefixes.count, 0)

/** Route counts, for logs and tests. */
export const summary = (
  d: Diff
): { readonly added: number; readonly changed: number; readonly removed: number; readonly announced: number; readonly withdrawn: number } => {
  let added = 0
  let changed = 0
  let removed = 0
  let announced = 0
  let withdrawn = 0
  for (const c of d.locRib) {
    added += groupCount(c.added)
    changed += groupCount(c.changed)
    removed += c.removed.count
  }
  for (const c of d.adjRibOut) {
    announced += groupCount(c.announced)
    withdrawn += c.withdrawn.count
  }
  return { added, changed, removed, announced, withdrawn }
}

/** Concatenate diffs of operations that ran one after the other (not coalesced: use `Core.batch` for that). */
export const concat = (ds: ReadonlyArray<Diff>): Diff => ({
  locRib: ds.flatMap((d) => d.locRib),
  adjRibOut: ds.flatMap((d) => d.adjRibOut),
  alerts: ds.flatMap((d) => d.alerts)
})

/** Text lines for tests and logs: "+ 10.0.0.0/24", "~ …", "- …" per Loc-RIB route; "peer N > …"/"peer N < …" per Adj-RIB-Out route. */
export const lines = (d: Diff): Array<string> => {
  const out: Array<string> = []
  for (const c of d.locRib) {
    const f = Family.format(c.family)
    for (const g of c.added) for (const p of Text.formatPrefixes(g.prefixes)) out.push(`${f} + ${p}`)
    for (const g of c.changed) for (const p of Text.formatPrefixes(g.prefixes)) out.push(`${f} ~ ${p}`)
    for (const p of Text.formatPrefixes(c.removed)) out.push(`${f} - ${p}`)
  }
  for (const c of d.adjRibOut) {
    const f = Family.format(c.family)
    for (const g of c.announced) for (const p of Text.formatPrefixes(g.prefixes)) out.push(`peer ${c.peer} ${f} > ${p}`)
    for (const p of Text.formatPrefixes(c.withdrawn)) out.push(`peer ${c.peer} ${f} < ${p}`)
  }
  return out
}
