/**
 * Fault: the peer dies (issue 6, "Faults / Peers"). BIRD is killed with SIGKILL (no
 * Cease: the kernel closes its sockets) three times and restarted each time. kbgp's
 * session must come back every time; while BIRD is gone kbgp's reconnects must back
 * off (the idle hold between attempts grows from outage to outage) rather than loop,
 * which the test checks by the gaps between failed connects and by the CPU time the
 * process (kbgp runs in it) spends during each outage; and a second session on the
 * same kbgp, to a second BIRD in a third namespace, must not notice anything.
 * Needs root and bird (skipped otherwise; CI installs bird2 and runs as root).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as KbgpPeer from "../../src/lab/KbgpPeer.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Netns from "../../src/lab/Netns.js"
import * as Process from "../../src/lab/Process.js"

const suite = LabSuite.make("fkill")
beforeAll(suite.open)
afterAll(suite.close)

/** CPU time (user + system) of this process so far, in milliseconds. */
const cpuMillis = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * A second peering on the same kbgp: a third namespace with its own BIRD, joined to
 * kbgp's namespace by another veth pair (RFC 5737 TEST-NET-2 addresses, only inside
 * namespaces this test creates). Returns a Lab view whose "bird" side is that BIRD.
 */
const secondPeering = (lab: Lab.Lab) =>
  Effect.gen(function* () {
    const ns = yield* Netns.make(`kbgp-${lab.tag}-c`)
    const kbgp = { v4: "198.51.100.1", v6: "2001:db8:1::1" }
    const bird = { v4: "198.51.100.2", v6: "2001:db8:1::2" }
    yield* Netns.veth(
      { ns: lab.kbgpNs, ifname: "kbgp1", addresses: [`${kbgp.v4}/29`, `${kbgp.v6}/64`] },
      { ns, ifname: "bird1", addresses: [`${bird.v4}/29`, `${bird.v6}/64`] }
    )
    const other: Lab.Lab = { ...lab, birdNs: ns, kbgp, bird, kbgpIf: "kbgp1", birdIf: "bird1" }
    return other
  })

describe.skipIf(suite.skip !== undefined)(`BIRD killed and restarted (${suite.skip ?? "root and bird present"})`, () => {
  test("SIGKILL ×3: kbgp reconnects each time, backs off (growing gaps, low CPU), the other session stays Established", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        // The bystander: kbgp ↔ BIRD #2 in the third namespace.
        const lab2 = yield* secondPeering(lab)
        const proto2 = Lab.birdPeer(lab2, { family: "ipv4" })
        const bird2 = yield* Lab.startBird(lab2, Lab.birdConfig(lab2, [proto2]), "bird2")
        const other = yield* KbgpPeer.start(lab2, { family: "ipv4" })
        yield* KbgpPeer.waitEvent(other, KbgpPeer.established, { what: "second session Established" })

        // The victim: kbgp ↔ BIRD #1. No jitter, so the idle holds are exactly 1, 2, 4 s.
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        let bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", fsm: { jitter: false, idleHoldTime: 1, idleHoldTimeMax: 8 } })
        let from = (yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established" })).index

        const gaps: Array<number> = []
        const cpu: Array<{ readonly cpuMs: number; readonly outageMs: number; readonly attempts: number }> = []
        for (let round = 1; round <= 3; round++) {
          const cpu0 = cpuMillis()
          const t0 = Date.now()
          yield* Process.signal(bird.process, "SIGKILL")
          yield* Effect.promise(() => bird.process.exited)
          const lost = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.down, { what: `Down after kill #${round}`, from, timeout: "15 seconds" })
          // The session was lost with the connection (no NOTIFICATION: BIRD had no chance to send one).
          expect(lost.value.reason._tag).toBe("ConnectionLost")
          // While BIRD is dead every connect is refused; wait for two of them and take the gap between them.
          const failed: Array<number> = []
          for (let k = 0; k < 2; k++) {
            const f = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "ConnectFailed" ? e : undefined), {
              what: `failed connect ${k + 1} in outage ${round}`,
              from: k === 0 ? lost.index : failed[0]! + 1,
              timeout: "20 seconds"
            })
            failed.push(f.index)
          }
          gaps.push(kbgp.events[failed[1]!]!.at - kbgp.events[failed[0]!]!.at)
          // Let the outage go on for a while, so a busy loop would show in the count and the CPU time.
          yield* Effect.sleep("2 seconds")
          const attempts = kbgp.events.slice(lost.index).filter((t) => t.event._tag === "ConnectFailed").length
          cpu.push({ cpuMs: cpuMillis() - cpu0, outageMs: Date.now() - t0, attempts })
          bird = yield* Lab.restartBird(lab, bird)
          from = (yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: `Established after restart #${round}`, from: lost.index, timeout: "20 seconds" })).index
          yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: `BIRD Established after restart #${round}` })
        }
        Lab.note(lab, `gaps between refused connects: ${gaps.join(", ")} ms; outages: ${cpu.map((c) => `${c.cpuMs.toFixed(0)} ms CPU over ${c.outageMs} ms, ${c.attempts} attempts`).join("; ")}`)
        console.log(`fkill: refused-connect gaps ${gaps.join(", ")} ms; ${cpu.map((c) => `CPU ${c.cpuMs.toFixed(0)} ms / outage ${c.outageMs} ms (${c.attempts} connects)`).join("; ")}`)

        // Backoff: each outage follows one more failure, so the idle hold between attempts doubles.
        expect(gaps[1]!).toBeGreaterThan(gaps[0]!)
        expect(gaps[2]!).toBeGreaterThan(gaps[1]!)
        expect(gaps[2]!).toBeGreaterThanOrEqual(2 * gaps[0]!)
        // No busy loop: a handful of connects per outage and little CPU (a loop would burn the whole outage).
        for (const c of cpu) {
          expect(c.attempts).toBeLessThanOrEqual(6)
          expect(c.cpuMs).toBeLessThan(0.5 * c.outageMs)
        }

        // The bystander never noticed: one Established, no Down, still Established on both sides.
        expect(other.events.filter((t) => t.event._tag === "Established").length).toBe(1)
        expect(other.events.filter((t) => t.event._tag === "Down").length).toBe(0)
        expect(yield* other.session.state).toBe("Established")
        const p2 = yield* Bird.protocol(bird2, proto2.name)
        expect(p2.bgpState).toBe("Established")
      }),
      { timeout: "80 seconds" }
    ), 90_000)
})
