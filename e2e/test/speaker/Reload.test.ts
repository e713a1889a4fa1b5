/**
 * Config reloads of `bun run speaker` with two sessions to one real BIRD 2 (IPv4 and IPv6):
 * a changed session setting resets that peer alone with Cease 6/6 while the other keeps its
 * session and gets its route changes; a removed peer gets Cease 6/3; editing the file is enough
 * (the daemon watches it); an invalid file changes nothing. Needs root and bird (skipped otherwise, saying why).
 */
import { renameSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("sprel")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

describe.skipIf(suite.skip !== undefined)(`speaker daemon: reloads (${suite.skip ?? "root and bird present"})`, () => {
  test("an edited file is reloaded: a hold-time change resets that peer alone (6/6), the other only gets UPDATEs; a removed peer gets 6/3; an invalid file changes nothing", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const p4 = Lab.birdPeer(lab, { family: "ipv4" })
        const p6 = Lab.birdPeer(lab, { family: "ipv6" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [p4, p6]))
        const peer4 = { ...Common.birdPeer(lab, { family: "ipv4" }), name: "bird4" }
        const peer6 = { ...Common.birdPeer(lab, { family: "ipv6" }), name: "bird6" }
        const routes: ReadonlyArray<SpeakerProcess.RouteConfig> = [{ prefix: "203.0.113.0/24" }, { prefix: "2001:db8:100::/48" }]
        const config: SpeakerProcess.Config = { routerId: lab.kbgp.v4, localAs: Lab.KBGP_AS, peers: [peer4, peer6], routes }
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), config, { watch: true })
        yield* Bird.routesExactly(bird, p4.name, ["203.0.113.0/24"])
        yield* Bird.routesExactly(bird, p6.name, ["2001:db8:100::/48"])
        const since4 = (yield* Bird.protocol(bird, p4.name)).since
        expect(since4).toBeDefined()

        // Edit the file (written beside it and renamed over, as editors do); no signal.
        const edit = (next: SpeakerProcess.Config) =>
          Effect.gen(function* () {
            const from = (yield* SpeakerProcess.lines(sp)).length
            yield* Effect.promise(() => Bun.write(`${sp.configFile}.new`, SpeakerProcess.render(next)))
            yield* Effect.sync(() => renameSync(`${sp.configFile}.new`, sp.configFile))
            return yield* SpeakerProcess.waitFor(sp, (l) => l.msg === "config reloaded", { what: "config reloaded (file)", from })
          })
        const more = [...routes, { prefix: "198.51.100.0/24" }, { prefix: "2001:db8:200::/48" }]
        const reloaded = yield* edit({ ...config, peers: [peer4, { ...peer6, holdTime: 6 }], routes: more })
        expect(reloaded.trigger).toBe("file")
        expect(reloaded.peersReset).toEqual(["bird6 (holdTime)"])
        expect(reloaded.routesAdded).toBe(2)

        // bird6 was reset with 6/6 and came back with the new hold time and both routes.
        yield* Bird.waitProtocol(bird, p6.name, (p) => p.bgpState === "Established" && p.holdTime === 6, { what: "Established again, hold time 6" })
        expect(yield* Bird.log(bird)).toContain("kbgp6: Received: Other configuration change")
        yield* Bird.routesExactly(bird, p6.name, ["2001:db8:100::/48", "2001:db8:200::/48"])
        expect((yield* SpeakerProcess.peer(sp, "bird6")).establishedCount).toBe(2)
        // bird4 kept its session and got its new route as an UPDATE.
        yield* Bird.routesExactly(bird, p4.name, ["203.0.113.0/24", "198.51.100.0/24"])
        expect((yield* Bird.protocol(bird, p4.name)).since).toBe(since4)
        expect((yield* SpeakerProcess.peer(sp, "bird4")).establishedCount).toBe(1)
        expect(yield* Bird.log(bird)).not.toContain("kbgp4: Received:")

        // Removing bird6: Cease 6/3 to it, its routes gone from BIRD; bird4 untouched.
        const removed = yield* edit({ ...config, peers: [peer4], routes: more })
        expect(removed.peersRemoved).toEqual(["bird6"])
        yield* Bird.routesExactly(bird, p6.name, [])
        expect(yield* Bird.log(bird)).toContain("kbgp6: Received: Peer de-configured")
        expect((yield* Bird.protocol(bird, p4.name)).since).toBe(since4)

        // A file that does not validate is refused whole: logged with its field, the running config stays.
        const refused = yield* SpeakerProcess.reload(sp, {
          ...config,
          peers: [peer4],
          routes: [{ prefix: "192.0.2.128/25", communities: ["65002:100:1"] }]
        })
        expect(refused.level).toBe("error")
        expect(refused.msg).toBe("the new config is not valid; the running one stays")
        expect(JSON.stringify(refused.problems)).toContain("routes[0].communities[0]")
        yield* Bird.routesExactly(bird, p4.name, ["203.0.113.0/24", "198.51.100.0/24"], "1 second")
        expect((yield* Bird.protocol(bird, p4.name)).since).toBe(since4)
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)
})
