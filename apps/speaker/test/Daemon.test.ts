/**
 * The daemon as a process: signals, reloads and exit codes. These spawn
 * test/helpers/fake-daemon.ts (the real daemon with a fake speaker, so every
 * `apply` and `stop` shows in its log) and src/main.ts itself for the
 * start-up failures; nothing leaves loopback.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { spawn, type Line } from "./helpers/Child.js"

const APP = path.join(import.meta.dir, "..")
const FAKE = "test/helpers/fake-daemon.ts"

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-daemon-"))
  file = path.join(dir, "speaker.yaml")
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const config = (prefixes: ReadonlyArray<string>) => `routerId: 127.0.0.1
localAs: 65001
listener: { address: 127.0.0.1, port: 21179 }
peers:
  - { name: lab, address: 127.0.0.2, asn: 65002, passive: true, gracefulRestart: true }
routes:
${prefixes.map((p) => `  - { prefix: ${p} }\n`).join("")}`

/** Replace the file as editors do: write a temp file, rename it over. */
const replace = (text: string) => {
  fs.writeFileSync(`${file}.tmp`, text)
  fs.renameSync(`${file}.tmp`, file)
}

const msg = (m: string) => (l: Line) => l.msg === m

describe("signals and reloads", () => {
  test("a file change reloads; a broken file is refused and the running config stays; SIGHUP reloads; SIGTERM stops gracefully with exit 0", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const child = spawn([FAKE, "--config", file, "--status", "127.0.0.1:0"], APP)
    const first = await child.waitFor(msg("fake apply"))
    expect(first.prefixes).toEqual(["198.51.100.1/32"])
    const running = await child.waitFor(msg("speaker running"))
    expect(running).toMatchObject({ level: "info", routerId: "127.0.0.1", localAs: 65001, peers: 1, listener: "127.0.0.1:21179", pid: child.pid })
    const { url } = (await child.waitFor(msg("status endpoint listening"))) as Line & { url: string }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    // A route added in the file: applied, and the speaker is told the whole new state.
    let mark = child.lines.length
    replace(config(["198.51.100.1/32", "198.51.100.2/32"]))
    const second = await child.waitFor(msg("fake apply"), 10_000, mark)
    expect(second).toMatchObject({ prefixes: ["198.51.100.1/32", "198.51.100.2/32"], routesAdded: 1 })
    expect(await child.waitFor(msg("config reloaded"), 10_000, mark)).toMatchObject({ trigger: "file", routesAdded: 1, peersReset: [] })

    // A broken file: logged with its problem, nothing applied.
    mark = child.lines.length
    replace(config(["198.51.100.1/32", "198.51.100.300/32"]))
    const refused = await child.waitFor((l) => l.level === "error", 10_000, mark)
    expect(refused.msg).toBe("the new config is not valid; the running one stays")
    expect(refused.problems).toEqual([expect.stringMatching(/^routes\[1\]\.prefix: expected a prefix .*got "198\.51\.100\.300\/32"/)])
    child.signal("SIGHUP") // the same broken file on SIGHUP: refused again
    await child.waitFor(msg("SIGHUP: reloading the config"), 10_000, mark)
    await child.waitFor((l) => l.level === "error" && l !== refused, 10_000, mark)
    expect(child.lines.slice(mark).filter(msg("fake apply"))).toEqual([])
    const status = (await (await fetch(`${url}/v1/speaker`)).json()) as { config: { applied: number; failed: number } }
    expect(status.config).toMatchObject({ applied: 2, failed: 2 })

    // Fixed, and SIGHUP: applied.
    mark = child.lines.length
    fs.writeFileSync(file, config(["198.51.100.3/32"]))
    child.signal("SIGHUP")
    const third = await child.waitFor(msg("fake apply"), 10_000, mark)
    expect(third.prefixes).toEqual(["198.51.100.3/32"])

    // SIGTERM: stop with graceful restart where negotiated and a reason; exit 0.
    mark = child.lines.length
    child.signal("SIGTERM")
    expect(await child.waitFor(msg("fake stop"), 10_000, mark)).toMatchObject({ gracefulRestart: true, reason: "kbgp speaker stopping (SIGTERM)" })
    await child.waitFor(msg("stopped"), 10_000, mark)
    expect(await child.exited).toBe(0)
  }, 30_000)

  test("a SIGHUP reload that dies (a defect) is logged; the daemon keeps running and still stops on SIGTERM", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const child = spawn([FAKE, "--config", file, "--status", "off", "--no-watch"], APP)
    await child.waitFor(msg("speaker running"))
    // fake-daemon.ts: a route to 203.0.113.66/32 makes apply die.
    let mark = child.lines.length
    fs.writeFileSync(file, config(["203.0.113.66/32"]))
    child.signal("SIGHUP")
    const died = await child.waitFor((l) => l.level === "error", 10_000, mark)
    expect(died).toMatchObject({ msg: "reloading the config failed unexpectedly; the running one stays", trigger: "signal" })
    // Still reloading: the signal loop survived.
    mark = child.lines.length
    fs.writeFileSync(file, config(["198.51.100.2/32"]))
    child.signal("SIGHUP")
    expect((await child.waitFor(msg("fake apply"), 10_000, mark)).prefixes).toEqual(["198.51.100.2/32"])
    child.signal("SIGTERM")
    await child.waitFor(msg("fake stop"), 10_000, mark)
    expect(await child.exited).toBe(0)
  }, 30_000)

  test("SIGINT stops the same way", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const child = spawn([FAKE, "--config", file, "--status", "off", "--no-watch"], APP)
    await child.waitFor(msg("speaker running"))
    expect(child.lines.some(msg("status endpoint listening"))).toBe(false)
    child.signal("SIGINT")
    expect(await child.waitFor(msg("fake stop"))).toMatchObject({ gracefulRestart: true, reason: "kbgp speaker stopping (SIGINT)" })
    expect(await child.exited).toBe(0)
  }, 20_000)

  test("with nothing to wait on (no listener, peers, status endpoint or watch) it still runs until a signal", async () => {
    fs.writeFileSync(file, "routerId: 127.0.0.1\nlocalAs: 65001\n")
    const child = spawn(["src/main.ts", "--config", file, "--status", "off", "--no-watch"], APP)
    await child.waitFor(msg("speaker running"))
    await Bun.sleep(300)
    expect(child.lines.some(msg("stopped"))).toBe(false)
    child.signal("SIGTERM")
    await child.waitFor(msg("stopped"))
    expect(await child.exited).toBe(0)
  }, 20_000)

  test("every log line is a JSON object with time, level and msg", async () => {
    fs.writeFileSync(file, config([]))
    const child = spawn([FAKE, "--config", file, "--status", "off", "--log-level", "debug"], APP)
    await child.waitFor(msg("speaker running"))
    child.signal("SIGTERM")
    expect(await child.exited).toBe(0)
    expect(child.lines.length).toBeGreaterThan(3)
    for (const l of child.lines) {
      expect(l.level).not.toBe("raw")
      expect(typeof l.time).toBe("string")
      expect(["debug", "info", "warn", "error"]).toContain(l.level)
    }
  }, 20_000)
})

describe("start-up failures (src/main.ts)", () => {
  test("an invalid config: exit 2, every problem on stderr with its path, nothing started", async () => {
    fs.writeFileSync(file, `routerId: 192.0.2.1\nlocalAs: 65001\npeers:\n  - { address: 192.0.2.2, asn: 65a }\n`)
    const child = spawn(["src/main.ts", "--config", file], APP)
    expect(await child.exited).toBe(2)
    const stderr = await child.stderr()
    expect(stderr).toContain('peers[0].asn: expected an AS number 1..4294967295, got "65a" (line 4)')
    expect(child.lines.find((l) => l.level === "error")).toMatchObject({
      msg: "the config is not valid",
      problems: ['peers[0].asn: expected an AS number 1..4294967295, got "65a" (line 4)']
    })
  }, 20_000)

  test("a missing config file: exit 2", async () => {
    const child = spawn(["src/main.ts", "--config", path.join(dir, "nope.yaml")], APP)
    expect(await child.exited).toBe(2)
    expect(await child.stderr()).toContain("cannot read it")
  }, 20_000)

  test("unknown flags: exit 2 with a clear message", async () => {
    const child = spawn(["src/main.ts", "routes", "--prefix", "10.0.0.0/8"], APP)
    expect(await child.exited).toBe(2)
    expect(await child.stderr()).toStartWith('error: unknown flag --prefix for "routes"')
  }, 20_000)

  test("a status port that is taken: exit 1, before any session", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const blocker = net.createServer()
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const child = spawn([FAKE, "--config", file, "--status", `127.0.0.1:${port}`], APP)
      expect(await child.exited).toBe(1)
      expect(await child.stderr()).toContain("the port is in use")
      expect(child.lines.some(msg("fake apply"))).toBe(false)
    } finally {
      blocker.close()
    }
  }, 20_000)

  test("peers and routes without a daemon: exit 1 and a clear error", async () => {
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r())) // a port nobody listens on
    const child = spawn(["src/main.ts", "peers", "--status", `127.0.0.1:${port}`], APP)
    expect(await child.exited).toBe(1)
    expect(await child.stderr()).toBe(
      `error: no speaker answers at 127.0.0.1:${port}: is \`bun run speaker\` running? (its status endpoint is set by --status; pass the same --status here)\n`
    )
  }, 20_000)

  test("check: exit 0 for the example, with a summary", async () => {
    const child = spawn(["src/main.ts", "check", "--config", "examples/speaker.yaml"], APP)
    expect(await child.exited).toBe(0)
    expect(child.lines.map((l) => l.msg)).toEqual(["examples/speaker.yaml: valid (router id 192.0.2.1, AS 65001, 3 peers, 4 prefixes)"])
  }, 20_000)
})
