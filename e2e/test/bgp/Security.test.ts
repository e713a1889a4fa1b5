/**
 * Socket security against a real BIRD 2 (issue 3 e2e lab; needs root and bird, skipped
 * otherwise — CI installs bird2 and runs as root): TCP-MD5 (RFC 2385) and TTL security
 * (RFC 5082 GTSM) with kbgp's TCP transport. The negative cases wait for the kernel's
 * own evidence (its drop counters) rather than for a fixed time, then check that
 * neither side ever got past the TCP handshake into an Established session.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as KbgpPeer from "../../src/lab/KbgpPeer.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Netns from "../../src/lab/Netns.js"

const suite = LabSuite.make("sec")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000
const KEY = "kbgp-lab-secret"

const reachedOpen = (kbgp: KbgpPeer.KbgpPeer) =>
  kbgp.events.some((t) => t.event._tag === "StateChanged" && (t.event.to === "OpenConfirm" || t.event.to === "Established"))

describe.skipIf(suite.skip !== undefined)(`socket security with BIRD (${suite.skip ?? "root and bird present"})`, () => {
  test("TCP-MD5 with the same key on both sides reaches Established", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4", password: KEY })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", security: { md5Password: KEY } })
        yield* KbgpPeer.waitState(kbgp, "Established")
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: "Established" })
        // Every segment was signed and checked: no MD5 failures on either side.
        const k = yield* Netns.counters(lab.kbgpNs.name, ["TcpExtTCPMD5Failure", "TcpExtTCPMD5NotFound"])
        const b = yield* Netns.counters(lab.birdNs.name, ["TcpExtTCPMD5Failure", "TcpExtTCPMD5NotFound"])
        expect([k.TcpExtTCPMD5Failure, k.TcpExtTCPMD5NotFound, b.TcpExtTCPMD5Failure, b.TcpExtTCPMD5NotFound]).toEqual([0, 0, 0, 0])
      })
    ), TIMEOUT)

  test("TCP-MD5 with a wrong key never establishes: each kernel drops the other's segments", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4", password: KEY, connectRetryTime: 1 })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const base = yield* Netns.counters(lab.birdNs.name, ["TcpExtTCPMD5Failure"])
        const baseK = yield* Netns.counters(lab.kbgpNs.name, ["TcpExtTCPMD5Failure"])
        // A connect timeout below the 2 s ConnectRetry time, so an attempt fails before the FSM abandons it.
        const kbgp = yield* KbgpPeer.start(lab, {
          family: "ipv4",
          security: { md5Password: "not-the-key" },
          connectTimeout: "1 second"
        })
        // kbgp's SYNs fail BIRD's check; BIRD's fail kbgp's listener's check.
        yield* Netns.counterReaches(lab.birdNs.name, "TcpExtTCPMD5Failure", base.TcpExtTCPMD5Failure + 2, "15 seconds")
        yield* Netns.counterReaches(lab.kbgpNs.name, "TcpExtTCPMD5Failure", baseK.TcpExtTCPMD5Failure + 2, "15 seconds")
        // kbgp's connect got no SYN-ACK: a Timeout that names MD5 as the likely cause.
        const failed = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "ConnectFailed" ? e.error : undefined), {
          what: "an outgoing connect fails",
          timeout: "10 seconds"
        })
        expect(failed.value.reason).toBe("Timeout")
        expect(failed.value.detail.toLowerCase()).toContain("md5")
        expect(reachedOpen(kbgp)).toBe(false)
        expect(yield* kbgp.session.state).not.toBe("Established")
        const p = yield* Bird.protocol(bird, proto.name)
        expect(p.bgpState).not.toBe("Established")
        expect(p.bgpState === "OpenSent" || p.bgpState === "OpenConfirm").toBe(false)
      })
    ), TIMEOUT)

  test("TTL security (GTSM) on both sides reaches Established", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4", ttlSecurity: true })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        // RFC 5082 §3: send with TTL 255, accept 255 - hops (BIRD is on-link: 255).
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", security: { ttl: 255, minTtl: 255 } })
        yield* KbgpPeer.waitState(kbgp, "Established")
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: "Established" })
        const drops = yield* Netns.counters(lab.birdNs.name, ["TcpExtTCPMinTTLDrop"])
        expect(drops.TcpExtTCPMinTTLDrop).toBe(0)
      })
    ), TIMEOUT)

  test("kbgp without TTL security never establishes with BIRD's `ttl security on`: BIRD drops its low-TTL segments", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4", ttlSecurity: true })
        // A fresh BIRD per test: with `ttl security on`, a BIRD that saw bad-TTL attempts can stay stuck in OpenSent.
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const base = yield* Netns.counters(lab.birdNs.name, ["TcpExtTCPMinTTLDrop"])
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4" })
        yield* Netns.counterReaches(lab.birdNs.name, "TcpExtTCPMinTTLDrop", base.TcpExtTCPMinTTLDrop + 3, "15 seconds")
        expect(yield* kbgp.session.state).not.toBe("Established")
        expect(kbgp.events.some((t) => t.event._tag === "Established")).toBe(false)
        const p = yield* Bird.protocol(bird, proto.name)
        expect(p.bgpState).not.toBe("Established")
      })
    ), TIMEOUT)

  test("kbgp's GTSM drops a BIRD that does not send TTL 255: never established", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        // BIRD sends eBGP with TTL 1 (on-link); kbgp demands 255.
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const base = yield* Netns.counters(lab.kbgpNs.name, ["TcpExtTCPMinTTLDrop"])
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", security: { ttl: 255, minTtl: 255 } })
        yield* Netns.counterReaches(lab.kbgpNs.name, "TcpExtTCPMinTTLDrop", base.TcpExtTCPMinTTLDrop + 3, "15 seconds")
        expect(kbgp.events.some((t) => t.event._tag === "Established")).toBe(false)
        expect(yield* kbgp.session.state).not.toBe("Established")
        const p = yield* Bird.protocol(bird, proto.name)
        expect(p.bgpState).not.toBe("Established")
      })
    ), TIMEOUT)
})
