/**
 * Fault: the network between kbgp and BIRD goes away (issue 6, "Faults / Peers").
 * - A short blackhole (the link stays up, nothing crosses it) inside the hold time must
 *   not touch the session: TCP retransmits carry it over.
 * - A short `ip link set kbgp0 down/up` in kbgp's namespace: BIRD's end loses its carrier
 *   and BIRD 2 closes a direct eBGP session at once ("Waiting for link on bird0"), so the
 *   session cannot stay up; kbgp must learn it from BIRD's Cease when the link is back
 *   (not from a hold timer of its own) and be Established again at once.
 * - A link down longer than the hold time: kbgp's hold timer expires during the outage,
 *   and the session comes back by itself once the link is up.
 * Needs root and bird (skipped otherwise; CI installs bird2 and runs as root).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as KbgpPeer from "../../src/lab/KbgpPeer.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Shell from "../../src/lab/Shell.js"

const suite = LabSuite.make("flink")
beforeAll(suite.open)
afterAll(suite.close)

/** `ip link set kbgp0 down|up` in kbgp's namespace; restored to up when the scope closes, whatever happened. */
const link = (lab: Lab.Lab, state: "up" | "down") =>
  Shell.run(["ip", "-n", lab.kbgpNs.name, "link", "set", lab.kbgpIf, state])
const linkGuard = (lab: Lab.Lab) => Effect.addFinalizer(() => Effect.ignore(link(lab, "up")))

/**
 * A blackhole with the link up: a `pfifo` qdisc of limit 0 on both ends of the veth pair
 * drops every packet leaving either namespace (this kernel has no netem and no tc
 * classifiers; a zero-length FIFO is what it has). Removed again when the scope closes.
 */
const blackhole = (lab: Lab.Lab, on: boolean) =>
  Effect.forEach(
    [
      [lab.kbgpNs.name, lab.kbgpIf],
      [lab.birdNs.name, lab.birdIf]
    ] as const,
    ([ns, dev]) =>
      Shell.run(on ? ["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "pfifo", "limit", "0"] : ["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root"]),
    { discard: true }
  )
const blackholeGuard = (lab: Lab.Lab) =>
  Effect.addFinalizer(() =>
    Effect.forEach(
      [
        [lab.kbgpNs.name, lab.kbgpIf],
        [lab.birdNs.name, lab.birdIf]
      ] as const,
      ([ns, dev]) => Effect.ignore(Shell.exec(["ip", "netns", "exec", ns, "tc", "qdisc", "del", "dev", dev, "root"])),
      { discard: true }
    )
  )

const birdEstablished = (bird: Bird.Bird, name: string) =>
  Bird.waitProtocol(bird, name, (p) => p.bgpState === "Established", { what: "BIRD Established" })

describe.skipIf(suite.skip !== undefined)(`link down/up (${suite.skip ?? "root and bird present"})`, () => {
  test("a 2 s blackhole (link up, nothing crosses) inside the 9 s hold time: the session stays Established on both sides", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        yield* blackholeGuard(lab)
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", holdTime: 9 })
        const up = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established" })
        yield* birdEstablished(bird, proto.name)
        yield* blackhole(lab, true)
        yield* Effect.sleep("2 seconds") // the outage itself: a duration by definition
        yield* blackhole(lab, false)
        // Carried over: TCP retransmits what was dropped, the KEEPALIVEs get through within the hold time.
        // Watch past one more hold time, so that an expiry on either side would have shown.
        yield* Effect.sleep("10 seconds")
        expect(kbgp.events.slice(up.index).filter((t) => t.event._tag === "Down")).toEqual([])
        expect(yield* kbgp.session.state).toBe("Established")
        const p = yield* Bird.protocol(bird, proto.name)
        expect(p.bgpState).toBe("Established")
        expect(yield* Bird.log(bird)).not.toMatch(/Hold timer expired|session closed/)
      })
    ), 40_000)

  test("a 2 s link down/up: BIRD closes its direct session at once (it waits for link), kbgp learns it after link up (not by its hold timer) and is Established again", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        yield* linkGuard(lab)
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", holdTime: 9 })
        const up = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established" })
        yield* birdEstablished(bird, proto.name)
        yield* link(lab, "down")
        const downAt = Date.now()
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState !== "Established", { what: "BIRD drops the session on carrier loss" })
        yield* Effect.sleep("1 second")
        yield* link(lab, "up")
        const upAt = Date.now()
        const lost = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.down, { what: "Down", from: up.index })
        const again = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established after link up", from: lost.index, timeout: "20 seconds" })
        yield* birdEstablished(bird, proto.name)
        Lab.note(lab, `down ${lost.at - downAt} ms after link down; re-established ${again.at - upAt} ms after link up`)
        // kbgp learnt it from BIRD once the link was back (BIRD's Cease, or the reset of the connection
        // BIRD had closed), not from its own 9 s hold timer.
        expect(["NotificationReceived", "ConnectionLost"]).toContain(lost.value.reason._tag)
        expect(lost.at).toBeGreaterThanOrEqual(upAt)
        expect(KbgpPeer.notificationsSent(kbgp).filter(KbgpPeer.isHoldTimerExpired)).toEqual([])
        expect(again.at).toBeGreaterThanOrEqual(upAt)
        expect(yield* kbgp.session.state).toBe("Established")
      })
    ), 40_000)

  test("a link outage longer than the 3 s hold time: kbgp's hold timer expires, and the session recovers after link up", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        yield* linkGuard(lab)
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        // kbgp proposes 3 s (RFC 4271 §4.2 minimum); BIRD's 9 s loses.
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", holdTime: 3 })
        const up = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established" })
        expect(up.value.negotiated.holdTime).toBe(3)
        yield* link(lab, "down")
        const downAt = Date.now()
        // Nothing arrives any more: kbgp's hold timer fires (the 4/0 it sends cannot reach BIRD).
        const sent = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "NotificationSent" ? e.info : undefined), {
          what: "NOTIFICATION sent",
          from: up.index,
          timeout: "10 seconds"
        })
        expect(KbgpPeer.isHoldTimerExpired(sent.value)).toBe(true)
        const lost = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.down, { what: "Down", from: up.index })
        // While the link is down, the session cannot come back.
        yield* Effect.sleep("2 seconds")
        expect(kbgp.events.slice(lost.index).filter((t) => t.event._tag === "Established")).toEqual([])
        yield* link(lab, "up")
        const upAt = Date.now()
        const again = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established after link up", from: lost.index, timeout: "25 seconds" })
        yield* birdEstablished(bird, proto.name)
        Lab.note(lab, `hold expiry ${sent.at - downAt} ms after link down; re-established ${again.at - upAt} ms after link up`)
        // It was the 3 s hold timer: not before BIRD's last KEEPALIVE (one a second) had aged by the hold
        // time, and well before BIRD's 9 s would have run out (seconds of slack: `at` is when the event was read).
        expect(sent.at - downAt).toBeGreaterThanOrEqual(1900)
        expect(sent.at - downAt).toBeLessThan(7000)
        expect(yield* kbgp.session.state).toBe("Established")
      })
    ), 45_000)
})
