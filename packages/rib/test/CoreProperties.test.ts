import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { Prefixes, Text, type Attributes } from "@kbgp/wire"
import { AttrSet, BestPath, Core, Diff, Peer } from "../src/index.js"
import { ip, LOCAL_AS, v4 } from "./support/Fixtures.js"

// A small world: 6 prefixes, path ids 0-1, 3 sending peers (two eBGP, one iBGP) plus LOCAL, 2 receiving peers.
const PREFIXES = ["10.0.0.0/8", "10.0.0.0/16", "192.0.2.0/24", "192.0.2.128/25", "198.51.100.7/32", "0.0.0.0/0"]
const SENDERS = [
  { address: "10.0.0.1", asn: 65001, routerId: 3 },
  { address: "10.0.0.2", asn: 65002, routerId: 2 },
  { address: "10.0.0.3", asn: LOCAL_AS, routerId: 1 }
]

const arbAttrs = fc
  .record({
    first: fc.constantFrom(65001, 65002, 65003),
    len: fc.integer({ min: 0, max: 2 }),
    med: fc.constantFrom(undefined, 0, 5),
    localPref: fc.constantFrom(undefined, 100, 200),
    origin: fc.constantFrom<0 | 2>(0, 2),
    community: fc.constantFrom(undefined, AttrSet.Community.NoExport, 0xfde80001)
  })
  .map(
    (r): Attributes.Attributes => ({
      origin: r.origin,
      asPath: [{ type: 2, asns: [r.first, ...Array.from({ length: r.len }, () => 64999)] }],
      nextHop: Uint8Array.of(10, 0, 0, 1),
      ...(r.med === undefined ? {} : { med: r.med }),
      ...(r.localPref === undefined ? {} : { localPref: r.localPref }),
      ...(r.community === undefined ? {} : { communities: Uint32Array.of(r.community) })
    })
  )

type Op =
  | { readonly _tag: "announce"; readonly sender: number; readonly prefixes: ReadonlyArray<number>; readonly pathId: number; readonly attrs: Attributes.Attributes }
  | { readonly _tag: "withdraw"; readonly sender: number; readonly prefixes: ReadonlyArray<number>; readonly pathId: number }
  | { readonly _tag: "stale"; readonly sender: number }
  | { readonly _tag: "sweep"; readonly sender: number }
  | { readonly _tag: "local"; readonly prefixes: ReadonlyArray<number>; readonly attrs: Attributes.Attributes }
  | { readonly _tag: "bounce"; readonly receiver: number }

const arbPrefixSet = fc.uniqueArray(fc.integer({ min: 0, max: PREFIXES.length - 1 }), { minLength: 1, maxLength: 3 })
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ _tag: fc.constant("announce" as const), sender: fc.nat(2), prefixes: arbPrefixSet, pathId: fc.nat(1), attrs: arbAttrs }) },
  { weight: 3, arbitrary: fc.record({ _tag: fc.constant("withdraw" as const), sender: fc.nat(2), prefixes: arbPrefixSet, pathId: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("stale" as const), sender: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("sweep" as const), sender: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("local" as const), prefixes: fc.uniqueArray(fc.nat(PREFIXES.length - 1), { maxLength: 2 }), attrs: arbAttrs }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("bounce" as const), receiver: fc.nat(1) }) }
)

const block = (indexes: ReadonlyArray<number>, pathId: number): Prefixes.Prefixes => {
  const entries = indexes.map((i) => {
    const [a, l] = PREFIXES[i]!.split("/")
    return { address: ip(a!), length: Number(l), pathId }
  })
  return Prefixes.fromEntries(1, entries, true)
}

const world = () => {
  const core = Core.make({ localAs: LOCAL_AS, routerId: 100 })
  const nextHopSelf = { ipv4: ip("10.0.0.254") }
  const senders = SENDERS.map((s) => core.addPeer({ address: ip(s.address), asn: s.asn, install: true, nextHopSelf }))
  SENDERS.forEach((s, k) => core.peerUp(senders[k]!, { routerId: s.routerId, families: [v4] }))
  const receivers = [
    core.addPeer({ address: ip("10.0.1.1"), asn: 65100, nextHopSelf }),
    core.addPeer({ address: ip("10.0.1.2"), asn: LOCAL_AS, nextHopSelf })
  ]
  for (const r of receivers) core.peerUp(r, { routerId: r, families: [v4] })
  return { core, senders, receivers }
}

type W = ReturnType<typeof world>

const apply = (w: W, op: Op): Diff.Diff => {
  switch (op._tag) {
    case "announce":
      return w.core.announce(w.senders[op.sender]!, v4, block(op.prefixes, op.pathId), op.attrs)
    case "withdraw":
      return w.core.withdraw(w.senders[op.sender]!, v4, block(op.prefixes, op.pathId))
    case "stale":
      return w.core.markStale(w.senders[op.sender]!)
    case "sweep":
      return w.core.sweepStale(w.senders[op.sender]!)
    case "local":
      return w.core.replace(Peer.LOCAL, v4, [{ attributes: op.attrs, prefixes: block(op.prefixes, 0) }])
    case "bounce": {
      const r = w.receivers[op.receiver]!
      const down = w.core.peerDown(r)
      return Diff.concat([down, w.core.peerUp(r, { routerId: r, families: [v4] })])
    }
  }
}

const fmt = (p: Prefixes.Prefixes): Array<string> => Text.formatPrefixes(p)

/** Loc-RIB as text: prefix → "peer/pathId/attrset-hash". */
const locRibOf = (core: Core.Core): Map<string, string> => {
  const m = new Map<string, string>()
  for (const r of core.locRib(v4)) m.set(Text.formatPrefix({ afi: 1, ...r.prefix }), `${r.peer}/${r.pathId}/${r.attributes.hash}/${r.llgrStale}`)
  return m
}

const adjRibOutOf = (core: Core.Core, peer: number): Map<string, number> => {
  const m = new Map<string, number>()
  for (const g of core.adjRibOut(peer, v4)) for (const p of fmt(g.prefixes)) m.set(p, g.attributes.hash)
  return m
}

describe("Core properties", () => {
  test("Loc-RIB is what best path picks from Adj-RIB-In, and each diff is exactly the change in the tables (property)", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { minLength: 1, maxLength: 40 }), (ops) => {
        const w = world()
        for (const op of ops) {
          const locBefore = locRibOf(w.core)
          const outBefore = w.receivers.map((r) => adjRibOutOf(w.core, r))
          const d = apply(w, op)
          const locAfter = locRibOf(w.core)
          const sorted = (xs: Iterable<string>) => [...xs].sort()
          // Loc-RIB: added / changed / removed are exactly the prefixes that appeared / differ / disappeared.
          const c = d.locRib.find((x) => x.family === v4)
          const groupsOf = (gs: ReadonlyArray<Diff.RouteGroup> | undefined) => sorted((gs ?? []).flatMap((g) => fmt(g.prefixes)))
          expect(groupsOf(c?.added)).toEqual(sorted([...locAfter.keys()].filter((p) => !locBefore.has(p))))
          expect(groupsOf(c?.changed)).toEqual(sorted([...locAfter.keys()].filter((p) => locBefore.has(p) && locBefore.get(p) !== locAfter.get(p))))
          expect(sorted(c === undefined ? [] : fmt(c.removed))).toEqual(sorted([...locBefore.keys()].filter((p) => !locAfter.has(p))))
          for (const g of [...(c?.added ?? []), ...(c?.changed ?? [])]) for (const p of fmt(g.prefixes)) expect(locAfter.get(p)!.split("/")[2]).toBe(String(g.attributes.hash))
          // Adj-RIB-Out of each receiver: announced = new or different, withdrawn = gone (a bounced session starts empty).
          w.receivers.forEach((r, k) => {
            const before = op._tag === "bounce" && op.receiver === k ? new Map<string, number>() : outBefore[k]!
            const after = adjRibOutOf(w.core, r)
            const o = d.adjRibOut.filter((x) => x.peer === r)
            const announced = o.flatMap((x) => x.announced.flatMap((g) => fmt(g.prefixes).map((p) => [p, g.attributes.hash] as const)))
            expect(sorted(announced.map(([p]) => p))).toEqual(sorted([...after.keys()].filter((p) => before.get(p) !== after.get(p))))
            for (const [p, h] of announced) expect(after.get(p)).toBe(h)
            expect(sorted(o.flatMap((x) => fmt(x.withdrawn)))).toEqual(sorted([...before.keys()].filter((p) => !after.has(p))))
          })
          // Best path: the winner is what BestPath.best picks over the candidate paths.
          for (const p of PREFIXES) {
            const [a, l] = p.split("/")
            const paths = w.core.paths(v4, { address: ip(a!), length: Number(l) })
            const cands: Array<BestPath.Candidate> = paths.map((r) => ({
              attributes: r.attributes.attributes,
              ebgp: r.peer !== Peer.LOCAL && w.core.peerConfig(r.peer)!.asn !== LOCAL_AS,
              routerId: r.peer === Peer.LOCAL ? 100 : SENDERS[w.senders.indexOf(r.peer)]!.routerId,
              peerAddress: w.core.peerConfig(r.peer)!.address,
              pathId: r.pathId,
              local: r.peer === Peer.LOCAL,
              stale: r.stale
            }))
            const best = BestPath.best(cands)
            expect(best === -1 ? undefined : paths[best]).toEqual(paths.find((r) => r.best))
          }
        }
      }),
      { numRuns: 200 }
    )
  })

  test("the order routes arrive in does not change Loc-RIB or Adj-RIB-Out (property)", () => {
    const arbAnnounce = fc.record({ sender: fc.nat(2), prefix: fc.nat(PREFIXES.length - 1), pathId: fc.nat(1), attrs: arbAttrs })
    fc.assert(
      fc.property(
        fc.uniqueArray(arbAnnounce, { maxLength: 20, selector: (a) => `${a.sender}/${a.prefix}/${a.pathId}` }).chain((routes) =>
          fc.tuple(fc.constant(routes), fc.shuffledSubarray(routes, { minLength: routes.length, maxLength: routes.length }))
        ),
        ([inOrder, shuffled]) => {
          const results = [inOrder, shuffled].map((routes) => {
            const w = world()
            for (const r of routes) w.core.announce(w.senders[r.sender]!, v4, block([r.prefix], r.pathId), r.attrs)
            return { loc: locRibOf(w.core), outs: w.receivers.map((p) => adjRibOutOf(w.core, p)) }
          })
          expect(results[1]).toEqual(results[0]!)
        }
      ),
      { numRuns: 300 }
    )
  })

  test("after every route is withdrawn and every session is down, no attribute set or prefix is left (property)", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 40 }), fc.boolean(), (ops, batched) => {
        const w = world()
        if (batched) w.core.batch(() => ops.forEach((op) => apply(w, op)))
        else for (const op of ops) apply(w, op)
        w.core.replace(Peer.LOCAL, v4, [])
        for (const s of w.senders) w.core.peerDown(s)
        for (const r of w.receivers) w.core.peerDown(r)
        expect(w.core.locRibSize(v4)).toBe(0)
        expect(w.core.memory()).toMatchObject({ prefixes: 0, paths: 0, attributeSets: 0 })
        expect(w.core.interner.size).toBe(0)
      }),
      { numRuns: 300 }
    )
  })

  test("a batch gives the same tables as the same operations one by one, and its diff is their net effect (property)", () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 30 }), fc.array(arbOp, { maxLength: 10 }), (before, ops) => {
        const one = world()
        const two = world()
        for (const op of before) {
          apply(one, op)
          apply(two, op)
        }
        const loc0 = locRibOf(one.core)
        for (const op of ops) apply(one, op)
        const d = two.core.batch(() => ops.forEach((op) => apply(two, op)))
        expect(locRibOf(two.core)).toEqual(locRibOf(one.core))
        // Net effect: replaying the batch diff on the "before" Loc-RIB gives the "after" one.
        const replay = new Map([...loc0].map(([p, v]) => [p, Number(v.split("/")[2])]))
        for (const c of d.locRib) {
          for (const g of [...c.added, ...c.changed]) for (const p of fmt(g.prefixes)) replay.set(p, g.attributes.hash)
          for (const p of fmt(c.removed)) replay.delete(p)
        }
        expect(replay).toEqual(new Map([...locRibOf(two.core)].map(([p, v]) => [p, Number(v.split("/")[2])])))
      }),
      { numRuns: 200 }
    )
  })
})
