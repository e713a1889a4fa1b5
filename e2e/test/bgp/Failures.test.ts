/**
 * Sessions that come back (issue 3 e2e lab; needs root and bird, skipped otherwise — CI
 * installs bird2 and runs as root): BIRD sends an RFC 9003 shutdown communication, BIRD
 * is frozen until kbgp's hold timer expires, BIRD restarts again and again, and both
 * sides open a connection at the same moment. Every wait is on a condition (a session
 * event, a birdc view, a kernel socket table); the only clock readings are the event
 * timestamps that the backoff and hold-time assertions measure.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option, Queue } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as KbgpPeer from "../../src/lab/KbgpPeer.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Poll from "../../src/lab/Poll.js"
import * as Shell from "../../src/lab/Shell.js"

const suite = LabSuite.make("fail")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 45_000

/** TCP connections on port 179 in BIRD's namespace, as "local peer" pairs (`ss -Htn state established`). */
const birdConnections = (lab: Lab.Lab) =>
  Effect.map(
    Shell.run(Shell.inNs(lab.birdNs.name, ["ss", "-Htn", "state", "established", "( sport = :179 or dport = :179 )"])),
    (out) =>
      out
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols.length >= 4)
        .map((cols) => ({ local: cols[2]!, peer: cols[3]! }))
  )

describe.skipIf(suite.skip !== undefined)(`failures and recovery with BIRD (${suite.skip ?? "root and bird present"})`, () => {
  test("BIRD's `disable` with a shutdown communication: kbgp surfaces and logs the RFC 9003 text", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4" })
        yield* KbgpPeer.waitState(kbgp, "Established")
        const text = "maintenance window: kbgp e2e, back at 12:00 UTC"
        yield* Bird.disable(bird, proto.name, text)
        const got = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "NotificationReceived" ? e.info : undefined), {
          what: "NOTIFICATION received",
          timeout: "10 seconds"
        })
        // RFC 9003: Cease / Administrative Shutdown carrying the operator's text.
        expect([got.value.notification.code, got.value.notification.subcode]).toEqual([6, 2])
        expect(got.value.shutdown?.text).toBe(text)
        expect(got.value.shutdown?.issue).toBeUndefined()
        const down = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "Down" ? e.reason : undefined), { what: "Down" })
        expect(down.value._tag).toBe("NotificationReceived")
        // The reason reaches kbgp's log, where an operator looks.
        yield* Poll.until(
          Effect.sync(() => (lab.logs.some((l) => l.includes(text)) ? Option.some(undefined) : Option.none())),
          { what: "kbgp logged the shutdown communication", timeout: "5 seconds" }
        )
        const p = yield* Bird.protocol(bird, proto.name)
        expect(p.state).toBe("down")
      })
    ), TIMEOUT)

  test("BIRD frozen (SIGSTOP): kbgp's hold timer expires with NOTIFICATION 4/0; after SIGCONT both sides recover", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        // kbgp proposes 3 s, the RFC 4271 §4.2 minimum; BIRD's 9 s loses.
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", holdTime: 3 })
        const first = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established" })
        expect(first.value.negotiated.holdTime).toBe(3)
        const frozenAt = Date.now()
        yield* Bird.freeze(bird)
        const sent = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "NotificationSent" ? e.info : undefined), {
          what: "NOTIFICATION sent",
          from: first.index,
          timeout: "10 seconds"
        })
        yield* Bird.thaw(bird)
        expect(KbgpPeer.isHoldTimerExpired(sent.value)).toBe(true)
        // Not before the last KEEPALIVE from BIRD had aged by the hold time (BIRD sends one a second).
        expect(sent.at - frozenAt).toBeGreaterThanOrEqual(1900)
        // The 3 s hold timer, not BIRD's 9 s: the bound leaves seconds of slack for a busy machine,
        // since `at` is when kbgp's event was read, not when the timer fired.
        expect(sent.at - frozenAt).toBeLessThan(7000)
        // Recovery: a new Established on both sides, and BIRD saw kbgp's 4/0 when it woke up.
        yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established again", from: sent.index, timeout: "25 seconds" })
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: "Established again" })
        const log = yield* Bird.log(bird)
        expect(log).toMatch(/Received: Hold timer expired/)
      })
    ), TIMEOUT)

  test("BIRD restarted three times: kbgp reconnects each time after an idle hold that doubles (1 s, 2 s, 4 s)", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        let bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        // No jitter, so each idle hold is exactly 1 s × 2^(failures - 1).
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", fsm: { jitter: false, idleHoldTime: 1, idleHoldTimeMax: 8 } })
        let from = (yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established" })).index
        const holds: Array<number> = []
        for (let round = 0; round < 3; round++) {
          bird = yield* Lab.restartBird(lab, bird)
          // BIRD's shutdown sends a Cease; the session falls to Idle and the idle hold starts.
          const down = yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.down, { what: "Down", from })
          const retry = yield* KbgpPeer.waitEvent(
            kbgp,
            (e) => (e._tag === "StateChanged" && e.from === "Idle" && e.event === "IdleHoldTimer_Expires" ? e : undefined),
            { what: "restart after the idle hold", from: down.index, timeout: "15 seconds" }
          )
          holds.push(retry.at - down.at)
          from = (yield* KbgpPeer.waitEvent(kbgp, KbgpPeer.established, { what: "Established again", from: retry.index, timeout: "15 seconds" })).index
          yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: "Established again" })
        }
        Lab.note(lab, `idle holds: ${holds.join(", ")} ms`)
        // Timers run on Effect's Clock in real time here, and `at` is when an event was read: never
        // shorter than nominal, and generous above (1.5 s of slack), which still tells each step of
        // the doubling from the next one (a sequence starting at 2 s would fail the second bound).
        expect(holds[0]!).toBeGreaterThanOrEqual(900)
        expect(holds[0]!).toBeLessThan(2500)
        expect(holds[1]!).toBeGreaterThanOrEqual(1900)
        expect(holds[1]!).toBeLessThan(3500)
        expect(holds[2]!).toBeGreaterThanOrEqual(3900)
        expect(holds[2]!).toBeLessThan(5500)
      })
    ), TIMEOUT)

  test("both sides connect at once: RFC 4271 §6.8 keeps the connection BIRD (higher identifier) opened, exactly one survives", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        // The crossing is staged, not raced: BIRD's connection (A) waits in kbgp's listener while
        // kbgp's own (B) opens into a frozen BIRD; then kbgp gets A, and then BIRD wakes up.
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4", autoStart: false, holdInbound: true })
        // 1. BIRD connects (A) and sends its OPEN: OpenSent on BIRD's side, A held by the test.
        const a = yield* Queue.take(kbgp.inbound)
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "OpenSent", { what: "OpenSent on A" })
        // 2. BIRD frozen; kbgp starts and connects (B) — the kernel completes the handshake — and sends its OPEN.
        yield* Bird.freeze(bird)
        yield* kbgp.session.start
        yield* KbgpPeer.waitState(kbgp, "OpenSent", "10 seconds")
        // 3. kbgp gets A: BIRD's OPEN is waiting on it, so A reaches OpenConfirm while B is in OpenSent.
        expect(yield* kbgp.session.accept(a)).toBe(true)
        const resolved = yield* KbgpPeer.waitEvent(kbgp, (e) => (e._tag === "CollisionResolved" ? e : undefined), {
          what: "collision resolved",
          timeout: "10 seconds"
        })
        // kbgp's identifier 192.0.2.1 is lower than BIRD's 192.0.2.2: the connection BIRD opened survives.
        expect(resolved.value.kept).toBe("remote")
        // 4. BIRD wakes up, reads kbgp's OPEN on B and decides the same way.
        yield* Bird.thaw(bird)
        yield* KbgpPeer.waitState(kbgp, "Established")
        yield* Bird.waitProtocol(bird, proto.name, (p) => p.bgpState === "Established", { what: "Established" })
        // Exactly one TCP connection remains, and it is A (BIRD's side: ephemeral port towards kbgp:179).
        const conns = yield* Poll.until(
          Effect.map(birdConnections(lab), (cs) => (cs.length === 1 ? Option.some(cs) : Option.none())),
          { what: "one TCP connection left", timeout: "10 seconds" }
        )
        expect(conns[0]!.peer).toBe(`${lab.kbgp.v4}:179`)
        // kbgp closed B with Cease 6/7 (Connection Collision Resolution).
        const sent = KbgpPeer.notificationsSent(kbgp).map((i) => `${i.notification.code}/${i.notification.subcode}`)
        expect(sent).toContain("6/7")
        // And the survivor holds: one Established session, no Down, for a few keepalives.
        yield* Effect.sleep("3 seconds")
        expect(yield* kbgp.session.state).toBe("Established")
        expect(kbgp.events.filter((t) => t.event._tag === "Established").length).toBe(1)
        expect(kbgp.events.filter((t) => t.event._tag === "Down").length).toBe(0)
        expect((yield* birdConnections(lab)).length).toBe(1)
      })
    ), TIMEOUT)
})
