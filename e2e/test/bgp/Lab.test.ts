/**
 * The lab itself (needs root and BIRD 2; skipped otherwise, CI has both): namespaces,
 * the kbgp side as the test process's own network namespace, BIRD under birdc, teardown.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect } from "effect"
import * as net from "node:net"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import * as LabSuite from "../../src/lab/LabSuite.js"
import * as Netns from "../../src/lab/Netns.js"
import * as Poll from "../../src/lab/Poll.js"
import * as Shell from "../../src/lab/Shell.js"

const suite = LabSuite.make("lab")
beforeAll(suite.open)
afterAll(suite.close)

/** Opens a TCP connection from this process and resolves with the local address it used. */
const tcpConnect = (host: string, port: number) =>
  Effect.async<string, Error>((resume) => {
    const s = net.connect({ host, port })
    s.once("connect", () => {
      const local = s.localAddress ?? "?"
      s.destroy()
      resume(Effect.succeed(local))
    })
    s.once("error", (e) => resume(Effect.fail(e)))
    return Effect.sync(() => s.destroy())
  })

describe.skipIf(suite.skip !== undefined)(`e2e lab (${suite.skip ?? "root and bird present"})`, () => {
  test("the test process lives in the kbgp namespace and reaches BIRD's port 179 over IPv4 and IPv6", () =>
    suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const bird = yield* Lab.startBird(lab, {
          routerId: lab.bird.v4,
          bgp: [
            {
              name: "kbgp4",
              localAddress: lab.bird.v4,
              localAs: 65001,
              neighborAddress: lab.kbgp.v4,
              neighborAs: 65002,
              passive: true,
              channels: [{ afi: "ipv4", import: "all", export: "none" }]
            },
            {
              name: "kbgp6",
              localAddress: lab.bird.v6,
              localAs: 65001,
              neighborAddress: lab.kbgp.v6,
              neighborAs: 65002,
              passive: true,
              channels: [{ afi: "ipv6", import: "all", export: "none" }]
            }
          ]
        })
        // BIRD listens once a BGP protocol is up.
        yield* Bird.waitProtocol(bird, "kbgp4", (p) => p.state === "start", { what: "started", timeout: "5 seconds" })
        const links = yield* Shell.run(["ip", "-br", "addr", "show", "dev", lab.kbgpIf])
        expect(links).toContain(`${lab.kbgp.v4}/29`)
        const v4 = yield* Poll.until(Effect.option(tcpConnect(lab.bird.v4, 179)), { timeout: "5 seconds", what: "TCP to BIRD v4" })
        expect(v4).toBe(lab.kbgp.v4)
        const v6 = yield* Poll.until(Effect.option(tcpConnect(lab.bird.v6, 179)), { timeout: "5 seconds", what: "TCP to BIRD v6" })
        expect(v6).toBe(lab.kbgp.v6)
        const p = yield* Bird.protocol(bird, "kbgp4")
        expect(p.bgpState).toBeDefined()
      })
    ), 30_000)

  test("a test scope stops BIRD by PID; the namespaces stay for the next test", async () => {
    const pid = await suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        const bird = yield* Lab.startBird(lab, { routerId: lab.bird.v4, bgp: [] }, "short")
        return bird.process.pid
      })
    )
    expect(() => process.kill(pid, 0)).toThrow()
    const still = await suite.run(
      Effect.gen(function* () {
        const lab = yield* LabSuite.CurrentLab
        return (yield* Netns.exists(lab.birdNs.name)) && (yield* Netns.pids(lab.birdNs.name)).length === 0
      })
    )
    expect(still).toBe(true)
  }, 30_000)
})

test("parses birdc output: protocol blocks and routes with attributes", () => {
  const proto = Bird.parseProtocol(
    [
      "Name       Proto      Table      State  Since         Info",
      "kbgp4      BGP        ---        start  13:53:19.668  Active        Socket: Connection refused",
      "  BGP state:          Active",
      "    Neighbor address: 192.0.2.1",
      "    Last error:       Socket: Connection refused",
      "    Hold timer:       2.377/3",
      ""
    ].join("\n"),
    "kbgp4"
  )
  expect(proto?.state).toBe("start")
  expect(proto?.since).toBe("13:53:19.668")
  expect(Bird.parseProtocol("kbgp4      BGP        ---        up     2026-12-06 12:00:01.250  Established", "kbgp4")?.since).toBe(
    "2026-12-06 12:00:01.250"
  )
  expect(proto?.info).toBe("Active  Socket: Connection refused")
  expect(proto?.bgpState).toBe("Active")
  expect(proto?.lastError).toBe("Socket: Connection refused")
  expect(proto?.holdTime).toBe(3)
  const routes = Bird.parseRoutes(
    [
      "Table master4:",
      "203.0.113.0/24       unicast [kbgp4 13:53:51.728] * (100) [AS65002i]",
      "\tvia 192.0.2.1 on vb",
      "\tType: BGP univ",
      "\tBGP.origin: IGP",
      "\tBGP.as_path: 65002",
      "\tBGP.next_hop: 192.0.2.1",
      "\tBGP.community: (65002,100)",
      "                     unicast [other 13:53:52.000] (100) [AS65003i]",
      "\tvia 192.0.2.3 on vb",
      ""
    ].join("\n")
  )
  expect(routes.map((r) => [r.prefix, r.from, r.primary, r.via[0]])).toEqual([
    ["203.0.113.0/24", "kbgp4", true, "192.0.2.1"],
    ["203.0.113.0/24", "other", false, "192.0.2.3"]
  ])
  expect(routes[0]!.attributes.get("BGP.community")).toBe("(65002,100)")
})
