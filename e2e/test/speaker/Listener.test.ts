/**
 * `bun run speaker` with a listener and a passive peer: BIRD connects to kbgp on port 179 (a
 * listener on "::" takes IPv4 too) and gets the routes; a BIRD session from an address that is
 * not a configured peer is refused with Cease 6/5 (Connection Rejected). Needs root and bird
 * (skipped otherwise, saying why).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("splis")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

describe.skipIf(suite.skip !== undefined)(`speaker daemon: listener (${suite.skip ?? "root and bird present"})`, () => {
  test("a passive peer is reached by BIRD's connection to the listener; an unconfigured address gets Cease 6/5", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const p4 = Lab.birdPeer(lab, { family: "ipv4" })
        const stranger = Lab.birdPeer(lab, { family: "ipv6" }) // kbgp has no peer at 2001:db8::2
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [p4, stranger]))
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), {
          routerId: lab.kbgp.v4,
          localAs: Lab.KBGP_AS,
          listener: { address: "::", port: 179 },
          peers: [{ ...Common.birdPeer(lab, { family: "ipv4" }), passive: true }],
          routes: [{ prefix: "203.0.113.0/24", communities: ["65002:179"] }]
        })
        const table = yield* Bird.routesExactly(bird, p4.name, ["203.0.113.0/24"])
        expect(table.get("203.0.113.0/24")!.attributes.get("BGP.community")).toBe("(65002,179)")
        // BIRD's connection, not ours (the peer is passive): BIRD logs its outgoing connect.
        expect(yield* Bird.log(bird)).toContain(`kbgp4: Connecting to ${lab.kbgp.v4}`)
        expect((yield* SpeakerProcess.peer(sp, "bird")).state).toBe("Established")

        const refused = yield* SpeakerProcess.waitFor(sp, (l) => l.msg.startsWith("connection from an unknown address refused"), {
          what: "BIRD's IPv6 session refused"
        })
        expect(String(refused.remote)).toContain(lab.bird.v6)
        yield* Bird.waitLog(bird, /kbgp6: Received: Connection rejected/i, { timeout: "10 seconds" }) // Cease 6/5
        expect(Bird.parseProtocol(yield* Bird.birdc(bird, "show", "protocols", "all", stranger.name), stranger.name)?.bgpState).not.toBe(
          "Established"
        )
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)
})
