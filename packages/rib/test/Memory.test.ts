import { describe, expect, test } from "bun:test"
import { Family } from "@kbgp/wire"
import { Core } from "../src/index.js"
import { ipv4Groups } from "../bench/workload.js"

const heapUsed = (): number => {
  Bun.gc(true)
  return process.memoryUsage().heapUsed
}

describe("memory shape", () => {
  test("1,000,000 IPv4 routes over 1,000 attribute sets fit in well under 200 MB of heap (Adj-RIB-In + Loc-RIB + one Adj-RIB-Out)", () => {
    const N = 1_000_000
    const groups = ipv4Groups(N, 1000)
    const before = heapUsed()
    const core = Core.make({ localAs: 65000, routerId: 1 })
    const feeder = core.addPeer({ address: Uint8Array.of(10, 0, 0, 1), asn: 65001, install: true })
    core.batch(() => {
      for (const g of groups) core.announce(feeder, Family.Ipv4Unicast, g.prefixes, g.attributes)
    })
    const ingested = heapUsed() - before
    const out = core.addPeer({ address: Uint8Array.of(10, 0, 0, 2), asn: 65002, nextHopSelf: { ipv4: Uint8Array.of(10, 0, 0, 100) } })
    core.peerUp(out, { routerId: 2, families: [Family.Ipv4Unicast] })
    const exported = heapUsed() - before
    expect(core.locRibSize(Family.Ipv4Unicast)).toBe(N)
    expect(core.stats(out).families[0]!.advertised).toBe(N)
    // 1,000 received sets and their exported forms (sets that differed only in the stripped MED collapse into one).
    expect(core.interner.size).toBeGreaterThan(1000)
    expect(core.interner.size).toBeLessThanOrEqual(2000)
    console.log(
      `memory shape: ${(ingested / N).toFixed(1)} bytes/route after ingest (${(ingested / 1048576).toFixed(1)} MB), ` +
        `${(exported / N).toFixed(1)} bytes/route with one Adj-RIB-Out (${(exported / 1048576).toFixed(1)} MB)`
    )
    expect(ingested).toBeLessThan(200 * 1048576)
    expect(exported).toBeLessThan(200 * 1048576)
  })
})
