/**
 * `bun run speaker` over an IPv6 session to a real BIRD 2: the MP_REACH_NLRI next hop is
 * kbgp's global address, or global + link-local (RFC 2545 §3) when the route has a
 * `linkLocalNextHop`; BIRD shows both, and routes via the global one, which is on the link
 * (BIRD resolves a non-zero global next hop first). Needs root and bird (skipped otherwise, saying why).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabError from "../../src/lab/LabError.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Shell from "../../src/lab/Shell.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("spv6")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

/** kbgp0's link-local address (derived from its MAC, so read it rather than guess it). */
const kbgpLinkLocal = (lab: Lab.Lab) =>
  Effect.flatMap(Shell.run(["ip", "-n", lab.kbgpNs.name, "-j", "-6", "addr", "show", "dev", lab.kbgpIf, "scope", "link"]), (out) => {
    const parsed = JSON.parse(out) as Array<{ addr_info?: Array<{ local?: string }> }>
    // `ip` prints an empty object for the filtered-out (global) address.
    const addr = parsed[0]?.addr_info?.find((a) => a.local?.startsWith("fe80:"))?.local
    return addr !== undefined ? Effect.succeed(addr) : Effect.fail(LabError.make("Setup", `no link-local address on ${lab.kbgpIf}: ${out}`))
  })

describe.skipIf(suite.skip !== undefined)(`speaker daemon: IPv6 (${suite.skip ?? "root and bird present"})`, () => {
  test("eBGP IPv6: routes arrive with kbgp's global next hop, attributes intact", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv6" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const routes: Array<SpeakerProcess.RouteConfig> = [
          { prefixes: ["2001:db8:100::10/128", "2001:db8:200::/48"], communities: ["65002:6"], med: 60 },
          { prefix: "2001:db8:300::/64", asPath: [65010], largeCommunities: ["65002:6:6"] }
        ]
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv6" }, routes))
        const table = yield* Bird.routesExactly(bird, proto.name, ["2001:db8:100::10/128", "2001:db8:200::/48", "2001:db8:300::/64"])
        for (const [prefix, r] of table) {
          expect(r.attributes.get("BGP.next_hop")).toBe(lab.kbgp.v6)
          expect(r.via).toEqual([lab.kbgp.v6])
          expect(r.attributes.get("BGP.as_path")).toBe(prefix === "2001:db8:300::/64" ? "65002 65010" : "65002")
        }
        expect(table.get("2001:db8:200::/48")!.attributes.get("BGP.community")).toBe("(65002,6)")
        expect(table.get("2001:db8:200::/48")!.attributes.get("BGP.med")).toBe("60")
        expect(table.get("2001:db8:300::/64")!.attributes.get("BGP.large_community")).toBe("(65002, 6, 6)")
        const advertised = yield* SpeakerProcess.routes(sp, { direction: "advertised", family: "ipv6-unicast" })
        expect(advertised.map((r) => r.nextHop)).toEqual([lab.kbgp.v6, lab.kbgp.v6, lab.kbgp.v6])
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)

  test("iBGP IPv6: kbgp's global next hop, LOCAL_PREF, an empty AS path", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv6", internal: true })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]), "bird-ibgp")
        const routes: Array<SpeakerProcess.RouteConfig> = [{ prefix: "2001:db8:700::/48", localPref: 250, communities: ["65001:7"] }]
        yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv6", internal: true }, routes))
        const table = yield* Bird.routesExactly(bird, proto.name, ["2001:db8:700::/48"])
        const a = table.get("2001:db8:700::/48")!.attributes
        expect(a.get("BGP.next_hop")).toBe(lab.kbgp.v6)
        expect(a.get("BGP.local_pref")).toBe("250")
        expect(a.get("BGP.as_path")).toBe("")
        expect(a.get("BGP.community")).toBe("(65001,7)")
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)

  test("eBGP IPv6 with linkLocalNextHop: the MP_REACH next hop carries global + link-local, as BIRD shows", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const linkLocal = yield* kbgpLinkLocal(lab)
        const proto = Lab.birdPeer(lab, { family: "ipv6" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const routes: Array<SpeakerProcess.RouteConfig> = [
          { prefix: "2001:db8:400::/48", linkLocalNextHop: linkLocal },
          { prefix: "2001:db8:500::/48", nextHop: lab.kbgp.v6, linkLocalNextHop: linkLocal },
          { prefix: "2001:db8:600::/48" } // beside them: global only
        ]
        yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), Common.config(lab, { family: "ipv6" }, routes))
        const table = yield* Bird.routesExactly(bird, proto.name, ["2001:db8:400::/48", "2001:db8:500::/48", "2001:db8:600::/48"])
        for (const prefix of ["2001:db8:400::/48", "2001:db8:500::/48"]) {
          const r = table.get(prefix)!
          expect(r.attributes.get("BGP.next_hop")).toBe(`${lab.kbgp.v6} ${linkLocal}`)
          // BIRD resolves a non-zero global next hop first; it is on the link here.
          expect(r.via).toEqual([lab.kbgp.v6])
        }
        const plain = table.get("2001:db8:600::/48")!
        expect(plain.attributes.get("BGP.next_hop")).toBe(lab.kbgp.v6)
        expect(plain.via).toEqual([lab.kbgp.v6])
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)
})
