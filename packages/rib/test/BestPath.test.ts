import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { Attributes } from "@kbgp/wire"
import { BestPath } from "../src/index.js"

const base: Attributes.Attributes = { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: Uint8Array.of(10, 0, 0, 1) }

const cand = (over: Partial<BestPath.Candidate> = {}, attrs: Partial<Attributes.Attributes> = {}): BestPath.Candidate => ({
  attributes: { ...base, ...attrs },
  ebgp: true,
  routerId: 0x0a000001,
  peerAddress: Uint8Array.of(10, 0, 0, 1),
  ...over
})

/** The index of the winner and the step that separates the two when compared pairwise. */
const decide = (a: BestPath.Candidate, b: BestPath.Candidate, options: BestPath.Options = BestPath.defaults) => {
  const v = BestPath.fromCandidates([a, b], options)
  return { best: BestPath.best([a, b], options), step: BestPath.compare(v, 0, 1, BestPath.steps(options)).step }
}

describe("best path comparators, one per step", () => {
  test("an unreachable next hop removes the route from selection (RFC 4271 §9.1.2.1)", () => {
    expect(decide(cand({ reachable: false }, { localPref: 500 }), cand())).toEqual({ best: 1, step: "reachable" })
    expect(BestPath.best([cand({ reachable: false })])).toBe(-1)
  })

  test("a locally originated route wins first when preferLocal is on, and not otherwise", () => {
    const local = cand({ local: true, ebgp: false }, { localPref: 50 })
    const learned = cand({}, { localPref: 200 })
    expect(decide(local, learned, { ...BestPath.defaults, preferLocal: true })).toEqual({ best: 0, step: "local" })
    expect(decide(local, learned)).toEqual({ best: 1, step: "localPref" })
  })

  test("an LLGR-stale route is least preferred, even with a higher LOCAL_PREF (RFC 9494 §4.3)", () => {
    expect(decide(cand({ llgrStale: true }, { localPref: 500 }), cand())).toEqual({ best: 1, step: "llgrStale" })
    // A received LLGR_STALE community counts the same.
    expect(decide(cand({}, { localPref: 500, communities: Uint32Array.of(0xffff0006) }), cand())).toEqual({ best: 1, step: "llgrStale" })
  })

  test("a graceful-restart stale route loses to a fresh one", () => {
    expect(decide(cand({ stale: true }, { localPref: 500 }), cand())).toEqual({ best: 1, step: "stale" })
  })

  test("the higher LOCAL_PREF wins (RFC 4271 §9.1.1); a missing one counts as defaultLocalPref", () => {
    expect(decide(cand({}, { localPref: 100 }), cand({}, { localPref: 200 }))).toEqual({ best: 1, step: "localPref" })
    expect(decide(cand({}, { localPref: 99 }), cand())).toEqual({ best: 1, step: "localPref" })
    expect(decide(cand({}, { localPref: 99 }), cand(), { ...BestPath.defaults, defaultLocalPref: 50 })).toEqual({ best: 0, step: "localPref" })
  })

  test("the shorter AS path wins; AS_SET counts 1 and confederation segments 0 (RFC 4271 §9.1.2.2 a, RFC 5065)", () => {
    const two = cand({}, { asPath: [{ type: 2, asns: [65001, 65002] }] })
    const seqAndSet = cand({}, { asPath: [{ type: 2, asns: [65001] }, { type: 1, asns: [1, 2, 3, 4] }] })
    const three = cand({}, { asPath: [{ type: 2, asns: [65001, 65002, 65003] }] })
    const confed = cand({}, { asPath: [{ type: 3, asns: [64512, 64513, 64514] }, { type: 2, asns: [65001] }] })
    expect(decide(three, two)).toEqual({ best: 1, step: "asPathLength" })
    expect(decide(two, seqAndSet)).toEqual({ best: 0, step: undefined }) // 2 == 1 + 1: tie through every step
    expect(decide(three, seqAndSet)).toEqual({ best: 1, step: "asPathLength" })
    expect(decide(two, confed)).toEqual({ best: 1, step: "asPathLength" })
  })

  test("the lower ORIGIN wins: IGP < EGP < INCOMPLETE (RFC 4271 §9.1.2.2 b)", () => {
    expect(decide(cand({}, { origin: 2 }), cand({}, { origin: 1 }))).toEqual({ best: 1, step: "origin" })
    expect(decide(cand({}, { origin: 0 }), cand({}, { origin: 1 }))).toEqual({ best: 0, step: "origin" })
  })

  test("the lower MED wins among routes from the same neighbour AS (RFC 4271 §9.1.2.2 c)", () => {
    expect(decide(cand({}, { med: 20 }), cand({}, { med: 10 }))).toEqual({ best: 1, step: "med" })
  })

  test("MED is not compared across neighbour ASes unless alwaysCompareMed", () => {
    const a = cand({ routerId: 1 }, { med: 50, asPath: [{ type: 2, asns: [65001] }] })
    const b = cand({ routerId: 2 }, { med: 10, asPath: [{ type: 2, asns: [65002] }] })
    expect(decide(a, b)).toEqual({ best: 0, step: "routerId" })
    expect(decide(a, b, { ...BestPath.defaults, alwaysCompareMed: true })).toEqual({ best: 1, step: "med" })
  })

  test("a missing MED is 0, or the worst value with medMissingAsWorst", () => {
    const none = cand({ routerId: 2 })
    const five = cand({ routerId: 1 }, { med: 5 })
    expect(decide(none, five)).toEqual({ best: 0, step: "med" })
    expect(decide(none, five, { ...BestPath.defaults, medMissingAsWorst: true })).toEqual({ best: 1, step: "med" })
  })

  test("eBGP beats iBGP (RFC 4271 §9.1.2.2 d)", () => {
    expect(decide(cand({ ebgp: false, routerId: 1 }), cand({ ebgp: true, routerId: 2 }))).toEqual({ best: 1, step: "ebgp" })
  })

  test("the lower IGP cost to the next hop wins (RFC 4271 §9.1.2.2 e)", () => {
    expect(decide(cand({ igpCost: 20, routerId: 1 }), cand({ igpCost: 10, routerId: 2 }))).toEqual({ best: 1, step: "igpCost" })
  })

  test("the lower router id wins, ORIGINATOR_ID standing in for it when present (RFC 4271 §9.1.2.2 f, RFC 4456 §9)", () => {
    expect(decide(cand({ routerId: 2 }), cand({ routerId: 1 }))).toEqual({ best: 1, step: "routerId" })
    expect(decide(cand({ routerId: 1, ebgp: false }, { originatorId: 9 }), cand({ routerId: 5, ebgp: false }))).toEqual({
      best: 1,
      step: "routerId"
    })
  })

  test("the shorter CLUSTER_LIST wins (RFC 4456 §9)", () => {
    const a = cand({ ebgp: false }, { originatorId: 7, clusterList: Uint32Array.of(1, 2) })
    const b = cand({ ebgp: false }, { originatorId: 7, clusterList: Uint32Array.of(3) })
    expect(decide(a, b)).toEqual({ best: 1, step: "clusterListLength" })
  })

  test("the lower peer address wins last (RFC 4271 §9.1.2.2 g)", () => {
    expect(decide(cand({ peerAddress: Uint8Array.of(10, 0, 0, 9) }), cand({ peerAddress: Uint8Array.of(10, 0, 0, 3) }))).toEqual({
      best: 1,
      step: "peerAddress"
    })
  })

  test("two ADD-PATH paths of one peer that tie on everything: the lower path id wins", () => {
    expect(decide(cand({ pathId: 7 }), cand({ pathId: 3 }))).toEqual({ best: 1, step: "pathId" })
  })

  test("the chain is in RFC order, with the optional local step only when asked for", () => {
    expect(BestPath.steps(BestPath.defaults).map((s) => s.name)).toEqual([
      "reachable",
      "llgrStale",
      "stale",
      "localPref",
      "asPathLength",
      "origin",
      "med",
      "ebgp",
      "igpCost",
      "routerId",
      "clusterListLength",
      "peerAddress",
      "pathId"
    ])
    expect(BestPath.steps({ ...BestPath.defaults, preferLocal: true })[1]!.name).toBe("local")
  })
})

describe("determinism", () => {
  test("the MED cycle (A beats B by MED, B beats C by router id, C beats A by router id) resolves the same in every order", () => {
    // A and B from AS 65001 (MED 10 vs 20), C from AS 65002. Pairwise folding would depend on order;
    // elimination removes B first (same neighbour AS, higher MED), then A vs C by router id.
    const a = cand({ routerId: 3, peerAddress: Uint8Array.of(10, 0, 0, 3) }, { med: 10, asPath: [{ type: 2, asns: [65001] }] })
    const b = cand({ routerId: 1, peerAddress: Uint8Array.of(10, 0, 0, 1) }, { med: 20, asPath: [{ type: 2, asns: [65001] }] })
    const c = cand({ routerId: 2, peerAddress: Uint8Array.of(10, 0, 0, 2) }, { med: 0, asPath: [{ type: 2, asns: [65002] }] })
    const orders = [[a, b, c], [a, c, b], [b, a, c], [b, c, a], [c, a, b], [c, b, a]]
    for (const o of orders) expect(o[BestPath.best(o)]).toBe(c)
  })

  const arbCandidate = fc.record({
    localPref: fc.constantFrom(undefined, 100, 200),
    pathLen: fc.integer({ min: 1, max: 3 }),
    neighbor: fc.constantFrom(65001, 65002, 65003),
    origin: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    med: fc.constantFrom(undefined, 0, 10, 20),
    ebgp: fc.boolean(),
    routerId: fc.integer({ min: 1, max: 5 }),
    stale: fc.boolean(),
    reachable: fc.boolean()
  })

  test("the order candidates arrive in never changes the winner (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(arbCandidate, { minLength: 1, maxLength: 8, selector: (c) => JSON.stringify(c) }),
        fc.infiniteStream(fc.nat()),
        (specs, seeds) => {
          const cands = specs.map((s, i) =>
            cand(
              { ebgp: s.ebgp, routerId: s.routerId, stale: s.stale, reachable: s.reachable, peerAddress: Uint8Array.of(10, 0, 0, i + 1) },
              {
                origin: s.origin,
                asPath: [{ type: 2, asns: [s.neighbor, ...Array.from({ length: s.pathLen - 1 }, () => 64999)] }],
                ...(s.localPref === undefined ? {} : { localPref: s.localPref }),
                ...(s.med === undefined ? {} : { med: s.med })
              }
            )
          )
          const winner = BestPath.best(cands)
          const it = seeds[Symbol.iterator]()
          for (let round = 0; round < 4; round++) {
            const shuffled = cands.slice()
            for (let i = shuffled.length - 1; i > 0; i--) {
              const j = it.next().value! % (i + 1)
              ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
            }
            const w = BestPath.best(shuffled)
            expect(w === -1 ? undefined : shuffled[w]).toBe(winner === -1 ? undefined : cands[winner])
          }
        }
      ),
      { numRuns: 500 }
    )
  })

  test("the winner is never beaten by another candidate at a step where they are comparable (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(arbCandidate, { minLength: 2, maxLength: 6, selector: (c) => JSON.stringify(c) }), (specs) => {
        const cands = specs.map((s, i) =>
          cand(
            { ebgp: s.ebgp, routerId: s.routerId, stale: s.stale, peerAddress: Uint8Array.of(10, 0, 0, i + 1) },
            { origin: s.origin, asPath: [{ type: 2, asns: [s.neighbor] }], ...(s.localPref === undefined ? {} : { localPref: s.localPref }) }
          )
        )
        const w = BestPath.best(cands)
        const v = BestPath.fromCandidates(cands)
        // Without MED in play the chain is a total order: the winner beats or ties everyone pairwise.
        for (let i = 0; i < cands.length; i++) expect(BestPath.compare(v, w, i, BestPath.steps(BestPath.defaults)).result).toBeLessThanOrEqual(0)
      }),
      { numRuns: 300 }
    )
  })
})
