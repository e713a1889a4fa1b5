/**
 * `bun run speaker` on loopback in the root network namespace, for the
 * robustness scenarios (no namespace is needed: the daemon listens on
 * 127.0.0.1, peers come from other 127.0.0.0/8 addresses). It returns the same
 * record as the lab's `SpeakerProcess.start`, so that module's log, wait,
 * signal and status helpers work on it unchanged; only the start differs (no
 * `ip netns exec`). Closing the scope stops the daemon by PID.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { type Duration, Effect, Option, type Scope } from "effect"
import type * as LabError from "../lab/LabError.js"
import * as Poll from "../lab/Poll.js"
import * as Process from "../lab/Process.js"
import * as SpeakerProcess from "../lab/SpeakerProcess.js"

const MAIN = path.join(import.meta.dir, "../../../apps/speaker/src/main.ts")

export interface StartOptions {
  /** Directory for the config and the log (default: a fresh one under the system temp directory). */
  readonly dir?: string
  readonly name?: string
  readonly logLevel?: "debug" | "info" | "warning" | "error"
  readonly timeout?: Duration.DurationInput
}

/** A TCP port nobody listens on right now (on 127.0.0.1). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** Writes `config`, starts the daemon with a free status port, waits for "speaker running". */
export const start = (
  config: SpeakerProcess.Config,
  opts: StartOptions = {}
): Effect.Effect<SpeakerProcess.SpeakerProcess, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-robustness-"))
    // Registered before the spawn, so it runs after the daemon is stopped. A directory given by the caller stays.
    if (opts.dir === undefined) yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const name = opts.name ?? "speaker"
    const configFile = path.join(dir, `${name}.yaml`)
    fs.writeFileSync(configFile, SpeakerProcess.render(config))
    const logFile = path.join(dir, `${name}.log`)
    const argv = [
      process.execPath, MAIN, "run",
      "--config", configFile,
      "--status", "127.0.0.1:0",
      "--log-level", opts.logLevel ?? "info",
      "--no-watch"
    ]
    const child = yield* Process.spawn({ name, argv, logFile, stopGrace: "5 seconds" })
    const sp0: SpeakerProcess.SpeakerProcess = { process: child, configFile, status: { host: "127.0.0.1", port: 0 } }
    const url = yield* Poll.until(
      Effect.zipRight(
        Process.ensureRunning(child),
        Effect.map(SpeakerProcess.lines(sp0), (ls) => {
          const running = ls.some((l) => l.msg === "speaker running")
          const status = ls.find((l) => l.msg === "status endpoint listening")
          return running && typeof status?.url === "string" ? Option.some(status.url) : Option.none()
        })
      ),
      { timeout: opts.timeout ?? "15 seconds", what: `${name}: "speaker running"`, interval: "50 millis" }
    ).pipe(Effect.catchAll((e) => Effect.zipRight(Process.ensureRunning(child), Effect.fail(e))))
    const { hostname, port } = new URL(url)
    return { process: child, configFile, status: { host: hostname, port: Number(port) } }
  })

/** The resident set size of a process in KiB (`VmRSS` in /proc/PID/status), or undefined when it is gone. */
export const rssKiB = (pid: number): number | undefined => {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined
  }
}

/** Whether the process still exists (signal 0). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
