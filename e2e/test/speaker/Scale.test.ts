/**
 * 10,000 routes from `bun run speaker` (the config's compact `prefixes:` lists) to a real BIRD 2:
 * BIRD holds exactly the configured set; then a burst of config reloads — withdrawals, additions,
 * re-additions, attribute changes — sent one after another without waiting for BIRD, ends with
 * BIRD's table exactly equal to the last configured set, on the same session. No timing is
 * asserted. Needs root and bird (skipped otherwise, saying why).
 */
import { renameSync } from "node:fs"
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabError from "../../src/lab/LabError.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Poll from "../../src/lab/Poll.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Common from "./Common.js"

const suite = LabSuite.make("sp10k")
beforeAll(suite.open)
afterAll(suite.close)

const TIMEOUT = 60_000

/** The i-th /24 of a block: 10.0.0.0/24, 10.0.1.0/24, ... (`base` is the second octet to start at). */
const prefix = (i: number, base = 0): string => `10.${base + (i >> 8)}.${i & 255}.0/24`
const range = (from: number, to: number, base = 0): Array<string> =>
  Array.from({ length: to - from }, (_, k) => prefix(from + k, base))

/** Every prefix BIRD has from `proto` (`show route` without `all`: one line per network). */
const birdPrefixes = (bird: Bird.Bird, proto: string) =>
  Effect.map(Bird.birdc(bird, "show", "route", "protocol", proto), (out) => {
    const set = new Set<string>()
    for (const line of out.split("\n")) {
      const m = /^(\S+\/\d+)\s+unicast/.exec(line)
      if (m !== null) set.add(m[1]!)
    }
    return set
  })

/** Waits until BIRD's table from `proto` is exactly `expected`; on timeout says how far off it was. */
const waitExactly = (bird: Bird.Bird, proto: string, expected: ReadonlySet<string>, what: string) => {
  let last = ""
  return Poll.until(
    Effect.map(birdPrefixes(bird, proto), (have) => {
      const missing = [...expected].filter((p) => !have.has(p))
      const extra = [...have].filter((p) => !expected.has(p))
      last = `${have.size} present, ${missing.length} missing (${missing.slice(0, 3).join(" ")}), ${extra.length} extra (${extra.slice(0, 3).join(" ")})`
      return missing.length === 0 && extra.length === 0 ? Option.some(have) : Option.none()
    }),
    { what: `BIRD ${proto}: ${what}`, timeout: "30 seconds", interval: "250 millis" }
  ).pipe(Effect.mapError((e) => LabError.make(e.reason, `${e.detail} (last: ${last})`)))
}

describe.skipIf(suite.skip !== undefined)(`speaker daemon: 10,000 routes (${suite.skip ?? "root and bird present"})`, () => {
  test("BIRD holds exactly the 10,000 configured prefixes; a burst of reloads ends with BIRD equal to the last config, no reset", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const proto = Lab.birdPeer(lab, { family: "ipv4" })
        const bird = yield* Lab.startBird(lab, Lab.birdConfig(lab, [proto]))
        const config = (routes: ReadonlyArray<SpeakerProcess.RouteConfig>) => Common.config(lab, { family: "ipv4" }, routes)

        // Two attribute sets, 5,000 prefixes each.
        const a = range(0, 5_000)
        const b = range(5_000, 10_000)
        const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), config([{ prefixes: a, communities: ["65002:1"] }, { prefixes: b, med: 10 }]))
        yield* waitExactly(bird, proto.name, new Set([...a, ...b]), "the first 10,000")
        expect(yield* Bird.birdc(bird, "show", "route", "protocol", proto.name, "count")).toContain("10000 of 10000 routes")
        const sinceBefore = (yield* Bird.protocol(bird, proto.name)).since
        expect(sinceBefore).toBeDefined()

        // The burst: each reload is applied by the daemon, none waits for BIRD.
        const steps: Array<ReadonlyArray<SpeakerProcess.RouteConfig>> = [
          // withdraw every 5th prefix of a (1,000)
          [{ prefixes: a.filter((_, i) => i % 5 !== 0), communities: ["65002:1"] }, { prefixes: b, med: 10 }],
          // add 3,000 new prefixes (10.64.0.0/24 on)
          [{ prefixes: a.filter((_, i) => i % 5 !== 0), communities: ["65002:1"] }, { prefixes: b, med: 10 }, { prefixes: range(0, 3_000, 64) }],
          // re-add the withdrawn, withdraw 1,000 of the new, move 2,000 of b to another attribute set
          [
            { prefixes: a, communities: ["65002:1"] },
            { prefixes: b.slice(0, 3_000), med: 10 },
            { prefixes: b.slice(3_000), med: 20, communities: ["65002:2"] },
            { prefixes: range(1_000, 3_000, 64) }
          ],
          // withdraw a half of a, add 500 more
          [
            { prefixes: a.slice(2_500), communities: ["65002:1"] },
            { prefixes: b.slice(0, 3_000), med: 10 },
            { prefixes: b.slice(3_000), med: 20, communities: ["65002:2"] },
            { prefixes: range(1_000, 3_500, 64) }
          ]
        ]
        for (const routes of steps) {
          const outcome = yield* SpeakerProcess.reload(sp, config(routes))
          expect(outcome.msg).toBe("config reloaded")
        }
        // Then faster than the daemon reloads: three rewrites, each followed by SIGHUP at once (signals
        // may merge and reloads queue; the last reload reads the last file).
        const rapid: Array<ReadonlyArray<SpeakerProcess.RouteConfig>> = [
          [...steps[3]!, { prefixes: range(0, 100, 80) }],
          [...steps[3]!, { prefixes: range(0, 200, 80) }],
          [...steps[3]!, { prefixes: range(100, 300, 80) }]
        ]
        for (const routes of rapid) {
          // Written beside and renamed over: a reload never reads half a file.
          yield* Effect.promise(() => Bun.write(`${sp.configFile}.new`, SpeakerProcess.render(config(routes))))
          yield* Effect.sync(() => renameSync(`${sp.configFile}.new`, sp.configFile))
          yield* SpeakerProcess.signal(sp, "SIGHUP")
        }
        const last = rapid[rapid.length - 1]!
        const expected = new Set(last.flatMap((r) => r.prefixes ?? []))
        expect(expected.size).toBe(2_500 + 5_000 + 2_500 + 200)
        yield* waitExactly(bird, proto.name, expected, "the last configured set")

        // The moved prefixes carry their new attributes; the session is the same one.
        const moved = yield* Bird.routesFor(bird, b[4_999]!)
        expect(moved[0]?.attributes.get("BGP.med")).toBe("20")
        expect(moved[0]?.attributes.get("BGP.community")).toBe("(65002,2)")
        const kept = yield* Bird.routesFor(bird, b[0]!)
        expect(kept[0]?.attributes.get("BGP.med")).toBe("10")
        expect(kept[0]?.attributes.has("BGP.community")).toBe(false)
        expect((yield* Bird.protocol(bird, proto.name)).since).toBe(sinceBefore)
        const peer = yield* SpeakerProcess.peer(sp, "bird")
        expect(peer.establishedCount).toBe(1)
        expect(peer.families.find((f) => f.family === "ipv4-unicast")?.advertised).toBe(expected.size)
      }),
      { timeout: "55 seconds" }
    ), TIMEOUT)
})
