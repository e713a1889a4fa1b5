/**
 * Route refresh from a real BIRD 2 (`birdc reload in PROTO` sends ROUTE-REFRESH, RFC 2918) is
 * answered by `bun run speaker` with its whole Adj-RIB-Out, bracketed by BoRR/EoRR: both sides
 * negotiate enhanced route refresh (RFC 7313), and BIRD drops at EoRR every route not re-sent, so
 * an intact table means a complete answer. (BIRD 2.0.12 cannot turn enhanced refresh off alone:
 * `enable route refresh off` drops route refresh too; the plain form is covered by
 * packages/speaker's Peer tests.) Needs root and bird (skipped otherwise, saying why).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabError from "../../src/lab/LabError.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Poll from "../../src/lab/Poll.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("sprr")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

const routes: ReadonlyArray<SpeakerProcess.RouteConfig> = [
  { prefixes: ["203.0.113.0/24", "198.51.100.0/25"], communities: ["65002:1"] },
  { prefix: "198.51.100.128/25", med: 9 }
]
const prefixes = ["203.0.113.0/24", "198.51.100.0/25", "198.51.100.128/25"]

/** BIRD's channel counter "Import updates: received" (the first column). */
const importUpdatesReceived = (bird: Bird.Bird, proto: string) =>
  Effect.flatMap(Bird.birdc(bird, "show", "protocols", "all", proto), (out) => {
    const m = /Import updates:\s+(\d+)/.exec(out)
    return m !== null ? Effect.succeed(Number(m[1])) : Effect.fail(LabError.make("Command", `no import counters in:\n${out}`))
  })

describe.skipIf(suite.skip !== undefined)(`speaker daemon: route refresh (${suite.skip ?? "root and bird present"})`, () => {
  test("BIRD's `reload in` is answered with BoRR, the whole Adj-RIB-Out, EoRR; BIRD's table stays intact, no reset", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv4" }, routes))
        const before = yield* Bird.routesExactly(bird, proto.name, prefixes)
        const peerBefore = yield* SpeakerProcess.peer(sp, "bird")
        expect(peerBefore.negotiated?.enhancedRouteRefresh).toBe(true)
        const importsBefore = yield* importUpdatesReceived(bird, proto.name)
        const sinceBefore = (yield* Bird.protocol(bird, proto.name)).since
        expect(sinceBefore).toBeDefined()
        const from = (yield* SpeakerProcess.lines(sp)).length

        yield* Bird.birdc(bird, "reload", "in", proto.name)
        const asked = yield* SpeakerProcess.waitFor(sp, (l) => l.msg === "route refresh requested", { what: "route refresh requested", from })
        expect(asked.family).toBe("ipv4-unicast")
        // BIRD counts every re-sent route as an import update.
        yield* Poll.until(
          Effect.map(importUpdatesReceived(bird, proto.name), (n) => (n >= importsBefore + prefixes.length ? Option.some(n) : Option.none())),
          { what: `BIRD ${proto.name}: ${prefixes.length} more import updates`, timeout: "10 seconds", interval: "100 millis" }
        )
        const peer = yield* Poll.until(
          Effect.map(SpeakerProcess.peer(sp, "bird"), (p) => (p.messages.sent.routeRefresh === 2 ? Option.some(p) : Option.none())),
          { what: "kbgp sent BoRR and EoRR", timeout: "10 seconds", interval: "100 millis" }
        )
        expect(peer.messages.received.routeRefresh).toBe(1)
        expect(peer.messages.sent.update).toBeGreaterThan(peerBefore.messages.sent.update)

        // A barrier: BIRD reads in order, so once it has a route announced after EoRR it has processed
        // EoRR too, and swept whatever the refresh had not re-sent. The table must be intact.
        const barrier = "192.0.2.192/26"
        yield* SpeakerProcess.reload(sp, Common.config(lab, { family: "ipv4" }, [...routes, { prefix: barrier }]))
        const after = yield* Bird.routesExactly(bird, proto.name, [...prefixes, barrier])
        for (const p of prefixes) expect(after.get(p)!.attributes).toEqual(before.get(p)!.attributes)
        // No reset through the barrier either: the peer as it is now, not the snapshot from before the reload.
        const peerAfter = yield* SpeakerProcess.peer(sp, "bird")
        expect(peerAfter.establishedCount).toBe(1)
        expect(peerAfter.state).toBe("Established")
        expect((yield* Bird.protocol(bird, proto.name)).since).toBe(sinceBefore)
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)
})
