/**
 * kbgp advertises routes to a real BIRD 2 (issue 3 e2e lab; needs root and bird, skipped
 * otherwise — CI installs bird2 and runs as root): UPDATEs packed with `Pack.packUpdates`
 * and sent through the Session show up in `birdc show route all` with the next hop and
 * attributes kbgp put in them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Either, Effect } from "effect"
import { Text } from "@kbgp/wire"
import * as Bird from "../../src/lab/Bird.js"
import * as KbgpPeer from "../../src/lab/KbgpPeer.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"

const suite = LabSuite.make("rte")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 40_000

describe.skipIf(suite.skip !== undefined)(`kbgp advertises to BIRD (${suite.skip ?? "root and bird present"})`, () => {
  test("eBGP IPv4: BIRD shows kbgp's routes with next hop, AS path, origin, MED and communities", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv4" })
        yield* KbgpPeer.waitState(kbgp, "Established")
        const prefixes = ["203.0.113.0/24", "198.51.100.128/25", "198.51.100.7/32"]
        const sent = yield* KbgpPeer.advertise(
          kbgp,
          {
            origin: 0,
            asPath: [{ type: 2, asns: [Lab.KBGP_AS] }],
            med: 50,
            communities: Either.getOrThrow(Text.communitiesFromText(["65002:100", "65002:200"])),
            largeCommunities: Either.getOrThrow(Text.largeCommunitiesFromText(["65002:1:2"]))
          },
          prefixes
        )
        expect(sent).toBe(1)
        const routes = yield* Bird.routesWhen(bird, proto.name, (m) => prefixes.every((p) => m.has(p)), "every prefix imported", "10 seconds")
        for (const p of prefixes) {
          const r = routes.get(p)!
          expect(r.via).toEqual([lab.kbgp.v4])
          expect(r.attributes.get("BGP.next_hop")).toBe(lab.kbgp.v4)
          expect(r.attributes.get("BGP.origin")).toBe("IGP")
          expect(r.attributes.get("BGP.as_path")).toBe(String(Lab.KBGP_AS))
          expect(r.attributes.get("BGP.med")).toBe("50")
          expect(r.attributes.get("BGP.community")).toBe("(65002,100) (65002,200)")
          expect(r.attributes.get("BGP.large_community")).toBe("(65002, 1, 2)")
        }
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)

  test("iBGP IPv6: BIRD shows kbgp's routes with the MP_REACH next hop, LOCAL_PREF and an empty AS path", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv6", internal: true })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const kbgp = yield* KbgpPeer.start(lab, { family: "ipv6", internal: true })
        yield* KbgpPeer.waitState(kbgp, "Established")
        const prefixes = ["2001:db8:1000::/48", "2001:db8:2000::1/128"]
        yield* KbgpPeer.advertise(
          kbgp,
          {
            origin: 2,
            asPath: [],
            localPref: 200,
            communities: Either.getOrThrow(Text.communitiesFromText(["65001:300"]))
          },
          prefixes
        )
        const routes = yield* Bird.routesWhen(bird, proto.name, (m) => prefixes.every((p) => m.has(p)), "every prefix imported", "10 seconds")
        for (const p of prefixes) {
          const r = routes.get(p)!
          expect(r.via).toEqual([lab.kbgp.v6])
          expect(r.attributes.get("BGP.next_hop")).toBe(lab.kbgp.v6)
          expect(r.attributes.get("BGP.origin")).toBe("Incomplete")
          expect(r.attributes.get("BGP.as_path")).toBe("")
          expect(r.attributes.get("BGP.local_pref")).toBe("200")
          expect(r.attributes.get("BGP.community")).toBe("(65001,300)")
        }
      }),
      { timeout: "35 seconds" }
    ), TIMEOUT)
})
