/**
 * Graceful restart (RFC 4724) between `bun run speaker` as the restarting speaker and a real
 * BIRD 2 as the helper. With GR negotiated, a SIGTERM (the daemon closes without a
 * NOTIFICATION) and a SIGKILL (the kernel closes the socket) both leave BIRD holding kbgp's
 * routes as stale; the daemon started again with `--restarting` re-sends its table and
 * End-of-RIB, and BIRD ends the restart, dropping what was not re-sent. Without GR, both
 * withdraw the routes at once. BIRD 2.0 shows no per-route stale flag: "stale" is its
 * protocol's "Neighbor graceful restart active" / channel "Neighbor GR" state with the routes
 * still in its table. The other way round, kbgp as the helper keeps a killed BIRD's routes as
 * stale (its status API shows the flag) until BIRD is back. Needs root and bird (skipped otherwise,
 * saying why).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Poll from "../../src/lab/Poll.js"
import * as Process from "../../src/lab/Process.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("spgr")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 45_000

const kept: ReadonlyArray<SpeakerProcess.RouteConfig> = [
  { prefix: "203.0.113.0/24" },
  { prefixes: ["198.51.100.0/25", "198.51.100.200/32"], communities: ["65002:77"] }
]
const keptPrefixes = ["203.0.113.0/24", "198.51.100.0/25", "198.51.100.200/32"]
/** In the first run's config only: the restarted daemon does not re-send it, so BIRD's End-of-RIB sweep removes it. */
const dropped: SpeakerProcess.RouteConfig = { prefix: "192.0.2.128/25" }

const protocolText = (bird: Bird.Bird, proto: string) => Bird.birdc(bird, "show", "protocols", "all", proto)

const restartCycle = (stop: "SIGTERM" | "SIGKILL") =>
  Effect.gen(function* () {
    const lab = yield* LabSuite.CurrentLab
    const proto = Lab.birdPeer(lab, { family: "ipv4" }) // BIRD is GR-aware by default: a helper
    const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]), `bird-${stop.toLowerCase()}`)
    const peer = { family: "ipv4", gracefulRestart: { restartTime: 30 } } as const
    const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, peer, [...kept, dropped]))
    yield* Bird.routesExactly(bird, proto.name, [...keptPrefixes, dropped.prefix!])
    expect((yield* SpeakerProcess.peer(sp, "bird")).negotiated?.gracefulRestart).toBeDefined()

    // The stop: BIRD sees the connection close (no NOTIFICATION) and becomes the helper.
    const refusedBefore = yield* Bird.logCount(bird, "Connection refused")
    yield* SpeakerProcess.signal(sp, stop)
    const code = yield* SpeakerProcess.exited(sp)
    if (stop === "SIGTERM") {
      expect(code).toBe(0)
      const sent = (yield* SpeakerProcess.lines(sp)).filter((l) => l.msg.startsWith("NOTIFICATION sent"))
      expect(sent).toEqual([])
    }
    yield* Bird.waitLog(bird, "Neighbor graceful restart detected")
    expect(yield* Bird.log(bird)).not.toContain("Received: Administrative shutdown")
    // Time passes with kbgp away (BIRD's own connect attempt is refused): the routes stay, stale.
    yield* Bird.waitLog(bird, "Connection refused", { after: refusedBefore })
    const during = yield* protocolText(bird, proto.name)
    expect(during).toContain("Neighbor graceful restart active")
    expect(during).toMatch(/Neighbor GR:\s+Regular/)
    expect(Bird.parseProtocol(during, proto.name)?.bgpState).not.toBe("Established")
    yield* Bird.routesExactly(bird, proto.name, [...keptPrefixes, dropped.prefix!], "1 second")

    // Back with --restarting: R bit in the OPEN, the table again, End-of-RIB; BIRD ends the restart.
    const doneBefore = yield* Bird.logCount(bird, "Neighbor graceful restart done")
    const again = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, peer, kept), { restarting: true, name: "speaker-again" })
    yield* SpeakerProcess.waitFor(again, (l) => l.msg === "End-of-RIB sent" && l.family === "ipv4-unicast", { what: "End-of-RIB sent" })
    yield* Bird.waitLog(bird, "Neighbor graceful restart done", { after: doneBefore })
    const table = yield* Bird.routesExactly(bird, proto.name, keptPrefixes)
    expect(table.get("198.51.100.0/25")!.attributes.get("BGP.community")).toBe("(65002,77)")
    const after = yield* protocolText(bird, proto.name)
    expect(after).toContain("Restart recovery") // BIRD saw the R bit (RFC 4724 §3)
    expect(after).not.toContain("Neighbor graceful restart active")
    expect(after).not.toContain("Neighbor GR:")
    expect(Bird.parseProtocol(after, proto.name)?.bgpState).toBe("Established")
  })

/** kbgp's received routes from BIRD (Adj-RIB-In), once `ok` holds for them. */
const receivedWhen = (
  sp: SpeakerProcess.SpeakerProcess,
  ok: (routes: ReadonlyArray<SpeakerProcess.RouteRow>) => boolean,
  what: string
) =>
  Poll.until(
    Effect.map(SpeakerProcess.routes(sp, { peer: "bird", direction: "received" }), (rs) => (ok(rs) ? Option.some(rs) : Option.none())),
    { what: `kbgp received from BIRD: ${what}`, timeout: "15 seconds", interval: "100 millis" }
  )

const sortedPrefixes = (rs: ReadonlyArray<SpeakerProcess.RouteRow>) => rs.map((r) => r.prefix).sort()

/** BIRD's static routes, exported to kbgp when kbgp is the helper. */
const birdStatics = (routes: ReadonlyArray<string>) => [{ name: "vips", afi: "ipv4" as const, routes: routes.map((prefix) => ({ prefix })) }]

describe.skipIf(suite.skip !== undefined)(`speaker daemon: graceful restart (${suite.skip ?? "root and bird present"})`, () => {
  test("GR on, SIGTERM: BIRD keeps the routes stale until the daemon is back with --restarting and sends End-of-RIB", () =>
    suite.run(restartCycle("SIGTERM"), { timeout: "40 seconds" }), TIMEOUT)

  test("GR on, SIGKILL: BIRD keeps the routes stale until the daemon is back with --restarting and sends End-of-RIB", () =>
    suite.run(restartCycle("SIGKILL"), { timeout: "40 seconds" }), TIMEOUT)

  test("kbgp as helper: BIRD killed, its routes stay in kbgp marked stale; BIRD back without the F bit, stale ones go and the re-sent are fresh", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = { ...Lab.birdPeer(lab, { family: "ipv4", export: "all" }), gracefulRestart: true }
        const first = ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"]
        const bird = yield* Lab.startBird(lab, { ...Lab.birdConfig(lab, [proto]), statics: birdStatics(first) }, "bird-helper")
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv4", gracefulRestart: true }, []))
        yield* receivedWhen(sp, (rs) => rs.length === 3 && rs.every((r) => !r.stale), "3 fresh routes")

        yield* Process.signal(bird.process, "SIGKILL")
        yield* Effect.promise(() => bird.process.exited)
        const stale = yield* receivedWhen(sp, (rs) => rs.length === 3 && rs.every((r) => r.stale), "3 stale routes")
        expect(sortedPrefixes(stale)).toEqual([...first].sort())
        const helping = yield* SpeakerProcess.peer(sp, "bird")
        expect(helping.gracefulRestart).toBe("restarting")
        expect(helping.families.find((f) => f.family === "ipv4-unicast")?.stale).toBe(3)

        // BIRD back (a new process, without 10.3.0.0/16). Started without -R it sets no Forwarding State
        // bit, so RFC 4724 §4.2 has the helper drop the stale routes at once and take what BIRD re-sends.
        const from = (yield* SpeakerProcess.lines(sp)).length
        yield* Lab.startBird(lab, { ...Lab.birdConfig(lab, [proto]), statics: birdStatics(first.slice(0, 2)) }, "bird-helper-again")
        const swept = yield* SpeakerProcess.waitFor(sp, (l) => l.msg === "stale routes removed", { what: "stale routes removed", from })
        expect(swept).toMatchObject({ count: 3, why: "no-forwarding" })
        yield* SpeakerProcess.waitFor(sp, (l) => l.msg === "End-of-RIB received", { what: "End-of-RIB from the restarted BIRD", from })
        const fresh = yield* receivedWhen(sp, (rs) => rs.length === 2 && rs.every((r) => !r.stale), "2 fresh routes")
        expect(sortedPrefixes(fresh)).toEqual(first.slice(0, 2).sort())
        expect((yield* SpeakerProcess.peer(sp, "bird")).gracefulRestart).toBe("none")
      }),
      { timeout: "40 seconds" }
    ), TIMEOUT)

  test("kbgp as helper: a killed BIRD that does not come back loses its stale routes after its restart time", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        // BIRD announces a 2 s restart time: how long a helper keeps its routes while it is away.
        const proto = { ...Lab.birdPeer(lab, { family: "ipv4", export: "all" }), gracefulRestart: true, options: ["graceful restart time 2"] }
        const bird = yield* Lab.startBird(lab, { ...Lab.birdConfig(lab, [proto]), statics: birdStatics(["10.1.0.0/16", "10.2.0.0/16"]) }, "bird-gone")
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv4", gracefulRestart: true }, []))
        yield* receivedWhen(sp, (rs) => rs.length === 2 && rs.every((r) => !r.stale), "2 fresh routes")
        const from = (yield* SpeakerProcess.lines(sp)).length
        yield* Process.signal(bird.process, "SIGKILL")
        yield* receivedWhen(sp, (rs) => rs.length === 2 && rs.every((r) => r.stale), "2 stale routes")
        const swept = yield* SpeakerProcess.waitFor(sp, (l) => l.msg === "stale routes removed", { what: "stale routes removed", from })
        expect(swept).toMatchObject({ count: 2, why: "restart-time" })
        yield* receivedWhen(sp, (rs) => rs.length === 0, "no routes")
        expect((yield* SpeakerProcess.peer(sp, "bird")).gracefulRestart).toBe("none")
      }),
      { timeout: "30 seconds" }
    ), TIMEOUT)

  test("GR off: SIGTERM (Cease 6/2) and SIGKILL both make BIRD withdraw the routes at once", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]), "bird-nogr")
        const config = Common.config(lab, { family: "ipv4" }, kept)
        for (const [i, stop] of (["SIGTERM", "SIGKILL"] as const).entries()) {
          const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), config, { name: `speaker-${i}` })
          yield* Bird.routesExactly(bird, proto.name, keptPrefixes)
          expect((yield* SpeakerProcess.peer(sp, "bird")).negotiated).not.toHaveProperty("gracefulRestart")
          yield* SpeakerProcess.signal(sp, stop)
          yield* SpeakerProcess.exited(sp)
          // Well inside the 120 s a GR helper would wait: withdrawn as the session ends.
          yield* Bird.routesExactly(bird, proto.name, [], "5 seconds")
          expect(yield* protocolText(bird, proto.name)).not.toContain("Neighbor graceful restart active")
        }
        const log = yield* Bird.log(bird)
        expect(log).toContain('Received: Administrative shutdown: "kbgp speaker stopping (SIGTERM)"')
        expect(log).not.toContain("Neighbor graceful restart detected")
      }),
      { timeout: "40 seconds" }
    ), TIMEOUT)
})
