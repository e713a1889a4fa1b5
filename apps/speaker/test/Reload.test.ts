import { afterEach, beforeEach, describe, expect, test } from "bun:test"
import { Effect, Fiber, Ref, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { SpeakerError } from "@kbgp/speaker"
import * as Log from "../src/Log.js"
import * as Reload from "../src/Reload.js"
import * as Status from "../src/Status.js"
import * as Fake from "./helpers/FakeSpeaker.js"

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-reload-"))
  file = path.join(dir, "speaker.yaml")
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const config = (routes: ReadonlyArray<string>, peers = `  - { name: tor-a, address: 192.0.2.254, asn: 65000 }\n`) =>
  `routerId: 192.0.2.1\nlocalAs: 65001\npeers:\n${peers}routes:\n${routes.map((p) => `  - { prefix: ${p}, communities: ["65001:1"] }\n`).join("")}`

/** Runs `f` with a fake speaker, a reloader on `file`, and the JSON log captured. */
const withReloader = <A>(f: (r: Reload.Reloader, fake: Fake.FakeSpeaker, reloads: Status.ReloadsRef) => Effect.Effect<A>) => {
  const logs: Array<Record<string, unknown>> = []
  return Effect.runPromise(
    Effect.gen(function* () {
      const fake = yield* Fake.make()
      const reloads = yield* Status.makeReloads(file)
      const reloader = yield* Reload.make(file, fake.apply, reloads)
      const result = yield* f(reloader, fake, reloads)
      return { result, logs, fake, record: yield* Ref.get(reloads) }
    }).pipe(Effect.provide(Log.layer("debug", (l) => logs.push(JSON.parse(l) as Record<string, unknown>))))
  )
}

describe("reload", () => {
  test("a changed route is applied as the whole new desired state; the speaker reports only the difference", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32", "198.51.100.2/32"]))
    const { result, fake, logs, record } = await withReloader((r) =>
      Effect.gen(function* () {
        const first = yield* r.reload("start")
        fs.writeFileSync(file, config(["198.51.100.1/32", "198.51.100.3/32"]))
        const second = yield* r.reload("signal")
        return [first._tag, second._tag]
      })
    )
    expect(result).toEqual(["Applied", "Applied"])
    expect(fake.recorded.applies).toHaveLength(2)
    expect(fake.recorded.applies[1]!.routes.map((x) => x.prefix)).toEqual(["198.51.100.1/32", "198.51.100.3/32"])
    const reloaded = logs.find((l) => l.msg === "config reloaded")!
    expect(reloaded).toMatchObject({ level: "info", trigger: "signal", routesAdded: 1, routesWithdrawn: 1, peersReset: [], peersAdded: [] })
    expect(record.applied).toBe(2)
    expect(record.failed).toBe(0)
  })

  test("a broken new config is logged with its problems and never reaches apply; the running one stays", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const { result, fake, logs, record } = await withReloader((r) =>
      Effect.gen(function* () {
        yield* r.reload("start")
        fs.writeFileSync(file, config(["198.51.100.1/33"]))
        return yield* r.reload("file")
      })
    )
    expect(result).toMatchObject({ _tag: "Failed", exitCode: 2 })
    expect(fake.recorded.applies).toHaveLength(1)
    const error = logs.find((l) => l.level === "error")!
    expect(error.msg).toBe("the new config is not valid; the running one stays")
    expect(error.problems).toEqual([
      'routes[0].prefix: expected a prefix like 192.0.2.0/24 or 2001:db8::/48, got "198.51.100.1/33": IPv4 prefix length 33 is out of range 0..32 (line 6)'
    ])
    expect(record).toMatchObject({ applied: 1, failed: 1 })
    expect(record.lastError).toStartWith("the new config is not valid; the running one stays: ")
  })

  test("a config the speaker refuses is logged with its field; the running one stays", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const { result, logs, record } = await withReloader((r, fake) =>
      Effect.gen(function* () {
        yield* r.reload("start")
        yield* fake.failNextApply(new SpeakerError.SpeakerError({ reason: "Listener", path: "", detail: "address in use" }))
        return yield* r.reload("signal")
      })
    )
    expect(result).toMatchObject({ _tag: "Failed", exitCode: 1 })
    expect(logs.find((l) => l.level === "error")).toMatchObject({ msg: "the speaker refused the new config; the running one stays", reason: "Listener", error: "address in use" })
    expect(record).toMatchObject({ applied: 1, failed: 1 })
  })

  test("a reload that dies (a defect in apply) is a Failed outcome, logged and counted; the next reload works", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const logs: Array<Record<string, unknown>> = []
    const outcomes = await Effect.runPromise(
      Effect.gen(function* () {
        const fake = yield* Fake.make()
        const reloads = yield* Status.makeReloads(file)
        let die = true
        const apply: Reload.Apply = (d) => (die ? Effect.die(new Error("boom")) : fake.apply(d))
        const reloader = yield* Reload.make(file, apply, reloads)
        const first = yield* reloader.reload("signal")
        die = false
        const second = yield* reloader.reload("signal")
        return { first, second, record: yield* Ref.get(reloads) }
      }).pipe(Effect.provide(Log.layer("debug", (l) => logs.push(JSON.parse(l) as Record<string, unknown>))))
    )
    expect(outcomes.first).toEqual({ _tag: "Failed", exitCode: 1, message: "reloading the config failed unexpectedly; the running one stays: boom" })
    expect(outcomes.second._tag).toBe("Applied")
    expect(logs.find((l) => l.level === "error")).toMatchObject({ msg: "reloading the config failed unexpectedly; the running one stays", trigger: "signal" })
    expect(outcomes.record).toMatchObject({ applied: 1, failed: 1 })
  })

  test("a file event with unchanged text applies nothing; SIGHUP always re-applies", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const { result, fake } = await withReloader((r) =>
      Effect.gen(function* () {
        yield* r.reload("start")
        const file = yield* r.reload("file")
        const signal = yield* r.reload("signal")
        return [file._tag, signal._tag]
      })
    )
    // SIGHUP applied the same state again (the speaker changes nothing, password files may have changed).
    expect(result).toEqual(["Unchanged", "Unchanged"])
    expect(fake.recorded.applies).toHaveLength(2)
  })

  test("a peer change reaches apply with the peer's new settings", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const { fake, logs } = await withReloader((r) =>
      Effect.gen(function* () {
        yield* r.reload("start")
        fs.writeFileSync(file, config(["198.51.100.1/32"], `  - { name: tor-a, address: 192.0.2.254, asn: 65000, holdTime: 30 }\n`))
        yield* r.reload("file")
      })
    )
    expect(fake.recorded.applies[1]!.peers[0]!.holdTime).toBe(30)
    expect(logs.find((l) => l.msg === "config reloaded")).toMatchObject({ peersReset: ["tor-a (settings)"], routesAdded: 0 })
  })

  test("a file that disappeared is an error and the running config stays", async () => {
    fs.writeFileSync(file, config(["198.51.100.1/32"]))
    const { result, fake } = await withReloader((r) =>
      Effect.gen(function* () {
        yield* r.reload("start")
        fs.rmSync(file)
        return yield* r.reload("signal")
      })
    )
    expect(result).toMatchObject({ _tag: "Failed" })
    expect(fake.recorded.applies).toHaveLength(1)
  })
})

describe("file changes", () => {
  const firstChange = (write: () => void) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const changes = yield* Reload.watch(file, "30 millis")
        const fiber = yield* Effect.fork(Stream.runHead(changes))
        write()
        return yield* Fiber.join(fiber).pipe(Effect.timeout("3 seconds"))
      }).pipe(Effect.scoped)
    )

  test("writing the file emits after the debounce", async () => {
    fs.writeFileSync(file, "a: 1\n")
    const r = await firstChange(() => {
      fs.writeFileSync(file, "a: 2\n")
      fs.appendFileSync(file, "b: 3\n")
    })
    expect(r._tag).toBe("Some")
  })

  test("replacing the file by rename (editors, ConfigMap updates) is seen", async () => {
    fs.writeFileSync(file, "a: 1\n")
    const r = await firstChange(() => {
      fs.writeFileSync(path.join(dir, ".speaker.yaml.tmp"), "a: 2\n")
      fs.renameSync(path.join(dir, ".speaker.yaml.tmp"), file)
    })
    expect(r._tag).toBe("Some")
  })

  test("other files in the directory are ignored", async () => {
    fs.writeFileSync(file, "a: 1\n")
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const changes = yield* Reload.watch(file, "30 millis")
        const fiber = yield* Effect.fork(Stream.runHead(changes))
        fs.writeFileSync(path.join(dir, "other.yaml"), "x")
        return yield* Fiber.join(fiber).pipe(Effect.timeoutOption("300 millis"))
      }).pipe(Effect.scoped)
    )
    expect(r._tag).toBe("None")
  })
})
