/**
 * `bun run speaker` advertises its configured routes to a real BIRD 2 with exactly the
 * attributes the config gives them, and follows config reloads (SIGHUP) with UPDATEs only:
 * withdrawn routes leave BIRD's table, changed ones are replaced, the session stays up.
 * Needs root and bird (skipped otherwise, saying why; CI installs bird2 and runs as root).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("spattr")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

describe.skipIf(suite.skip !== undefined)(`speaker daemon: attributes (${suite.skip ?? "root and bird present"})`, () => {
  test("eBGP IPv4: BIRD shows every configured attribute; a reload withdraws, changes and adds routes without a session reset", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const full: SpeakerProcess.RouteConfig = {
          prefixes: ["198.51.100.20/32", "198.51.100.21/32"],
          origin: "egp",
          med: 50,
          localPref: 300, // iBGP only: BIRD must not see it on this eBGP session
          asPath: [65010],
          asPathPrepend: 2,
          communities: ["65002:100", "no-export"],
          largeCommunities: ["65002:1:10", "65002:2:20"],
          extendedCommunities: ["rt:65002:20", "soo:192.0.2.1:7"]
        }
        const plain: SpeakerProcess.RouteConfig = { prefix: "203.0.113.0/24", origin: "incomplete" }
        const doomed: SpeakerProcess.RouteConfig = { prefix: "198.51.100.128/25" }
        const config = Common.config(lab, { family: "ipv4" }, [full, plain, doomed])
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), config)
        yield* SpeakerProcess.waitFor(sp, SpeakerProcess.established(lab.bird.v4), { what: "Established with BIRD" })

        const table = yield* Bird.routesExactly(bird, proto.name, [...full.prefixes!, plain.prefix!, doomed.prefix!])
        for (const p of full.prefixes!) {
          const a = table.get(p)!.attributes
          expect(table.get(p)!.via).toEqual([lab.kbgp.v4])
          expect(a.get("BGP.next_hop")).toBe(lab.kbgp.v4)
          expect(a.get("BGP.origin")).toBe("EGP")
          expect(a.get("BGP.as_path")).toBe("65002 65002 65002 65010")
          expect(a.get("BGP.med")).toBe("50")
          // BIRD's own default for routes from eBGP: kbgp sent no LOCAL_PREF (RFC 4271 §5.1.5).
          expect(a.get("BGP.local_pref")).toBe("100")
          expect(a.get("BGP.community")).toBe("(65002,100) (65535,65281)")
          expect(a.get("BGP.large_community")).toBe("(65002, 1, 10) (65002, 2, 20)")
          expect(a.get("BGP.ext_community")).toBe("(rt, 65002, 20) (ro, 192.0.2.1, 7)")
        }
        const p = table.get(plain.prefix!)!.attributes
        expect(p.get("BGP.origin")).toBe("Incomplete")
        expect(p.get("BGP.as_path")).toBe("65002")
        for (const absent of ["BGP.med", "BGP.community", "BGP.large_community", "BGP.ext_community"]) expect(p.has(absent)).toBe(false)
        const sinceBefore = (yield* Bird.protocol(bird, proto.name)).since
        expect(sinceBefore).toBeDefined()

        // Reload: drop one route, change the attributes of another, add a new one.
        const added: SpeakerProcess.RouteConfig = { prefix: "192.0.2.64/26", communities: ["65002:64"] }
        const changed: SpeakerProcess.RouteConfig = { ...plain, origin: "igp", med: 7, communities: ["65002:7"] }
        const outcome = yield* SpeakerProcess.reload(sp, { ...config, routes: [full, changed, added] })
        expect(outcome.msg).toBe("config reloaded")
        expect(outcome).toMatchObject({ routesAdded: 1, routesWithdrawn: 1, routesChanged: 1, peersReset: [] })

        const after = yield* Bird.routesWhen(
          bird,
          proto.name,
          (m) => !m.has(doomed.prefix!) && m.has(added.prefix!) && m.get(plain.prefix!)?.attributes.get("BGP.med") === "7",
          "the reloaded routes"
        )
        expect([...after.keys()].sort()).toEqual([...full.prefixes!, plain.prefix!, added.prefix!].sort())
        expect(after.get(plain.prefix!)!.attributes.get("BGP.origin")).toBe("IGP")
        expect(after.get(plain.prefix!)!.attributes.get("BGP.community")).toBe("(65002,7)")
        expect(after.get(added.prefix!)!.attributes.get("BGP.community")).toBe("(65002,64)")

        // The same session throughout: BIRD's protocol did not change state, kbgp established once.
        expect((yield* Bird.protocol(bird, proto.name)).since).toBe(sinceBefore)
        const peer = yield* SpeakerProcess.peer(sp, "bird")
        expect(peer.state).toBe("Established")
        expect(peer.establishedCount).toBe(1)
        expect(peer.messages.sent.notification).toBe(0)
        const logLines = yield* SpeakerProcess.lines(sp)
        expect(logLines.filter((l) => l.msg === "session down" || l.msg.startsWith("NOTIFICATION"))).toEqual([])

        // The CLI a user runs shows the same: the session, and what was advertised with its attributes.
        const peersTable = yield* SpeakerProcess.cli(sp, "peers")
        expect(peersTable.code).toBe(0)
        expect(peersTable.stdout).toMatch(new RegExp(`^bird\\s+${lab.bird.v4.replaceAll(".", "\\.")}\\s+${Lab.BIRD_AS}\\s+Established`, "m"))
        const cliRoutes = yield* SpeakerProcess.cli(sp, "routes", "--direction", "advertised", "-o", "json")
        expect(cliRoutes.code).toBe(0)
        const advertised = (JSON.parse(cliRoutes.stdout) as { routes: Array<SpeakerProcess.RouteRow> }).routes
        expect(advertised.map((r) => r.prefix).sort()).toEqual([...full.prefixes!, plain.prefix!, added.prefix!].sort())
        expect(advertised.find((r) => r.prefix === full.prefixes![0])).toMatchObject({
          nextHop: lab.kbgp.v4,
          origin: "egp",
          asPath: "65002 65002 65002 65010",
          med: 50,
          communities: ["65002:100", "no-export"],
          largeCommunities: ["65002:1:10", "65002:2:20"],
          extendedCommunities: ["rt:65002:20", "soo:192.0.2.1:7"]
        })
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)

  test("iBGP IPv4: BIRD shows the configured LOCAL_PREF (default 100), no AS prepend, an empty AS path", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4", internal: true })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const preferred: SpeakerProcess.RouteConfig = { prefix: "198.51.100.10/32", localPref: 150, med: 3, asPathPrepend: 3 }
        const defaulted: SpeakerProcess.RouteConfig = { prefix: "198.51.100.11/32", largeCommunities: ["65001:1:1"] }
        yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv4", internal: true }, [preferred, defaulted]))

        const table = yield* Bird.routesExactly(bird, proto.name, [preferred.prefix!, defaulted.prefix!])
        const a = table.get(preferred.prefix!)!.attributes
        expect(a.get("BGP.local_pref")).toBe("150")
        expect(a.get("BGP.med")).toBe("3")
        // asPathPrepend is for eBGP; on iBGP the path stays empty (RFC 4271 §5.1.2).
        expect(a.get("BGP.as_path")).toBe("")
        expect(a.get("BGP.next_hop")).toBe(lab.kbgp.v4)
        const b = table.get(defaulted.prefix!)!.attributes
        expect(b.get("BGP.local_pref")).toBe("100")
        expect(b.get("BGP.large_community")).toBe("(65001, 1, 1)")
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)
})
