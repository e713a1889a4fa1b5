/**
 * `bun run speaker` on loopback in the root network namespace, for the
 * robustness scenarios (no namespace is needed: the daemon listens on
 * 127.0.0.1, peers come from other 127.0.0.0/8 addresses): `SpeakerProcess.start`
 * without a namespace, in a directory of its own, so that module's log, wait,
 * signal and status helpers work on it unchanged. Closing the scope stops the
 * daemon by PID.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { type Duration, Effect, type Scope } from "effect"
import type * as LabError from "../lab/LabError.js"
import * as SpeakerProcess from "../lab/SpeakerProcess.js"

export interface StartOptions {
  /** Directory for the config and the log (default: a fresh one under the system temp directory, removed afterwards). */
  readonly dir?: string
  readonly name?: string
  /** `--log-level` (default info: the robustness cases read the status API, not debug lines). */
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
    // Registered before the start, so it runs after the daemon is stopped. A directory given by the caller stays.
    if (opts.dir === undefined) yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    return yield* SpeakerProcess.start({ dir }, config, {
      logLevel: opts.logLevel ?? "info",
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {})
    })
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
