/**
 * A gobgpd daemon in a namespace, driven with the `gobgp` CLI over its gRPC port
 * on the namespace's own loopback.
 */
import { type Duration, Effect, Option, type Scope } from "effect"
import * as GobgpConfig from "./GobgpConfig.js"
import type * as LabError from "./LabError.js"
import type { Netns } from "./Netns.js"
import * as Poll from "./Poll.js"
import * as Process from "./Process.js"
import * as Shell from "./Shell.js"

export interface Gobgp {
  readonly ns: Netns
  readonly process: Process.Process
  readonly configFile: string
  readonly apiPort: number
}

export interface Options {
  readonly ns: Netns
  /** Directory for gobgpd.toml and the log. */
  readonly dir: string
  readonly config: GobgpConfig.GobgpConfig
  readonly apiPort?: number
  /**
   * Host name for gobgpd's own UTS namespace. gobgpd sends the host name in its FQDN
   * capability; a fixed one keeps captured OPENs the same on every machine.
   */
  readonly hostname?: string
}

/** Runs `gobgp <args>` against this daemon and returns its output. */
export const cli = (g: Gobgp, ...args: ReadonlyArray<string>): Effect.Effect<string, LabError.LabError> =>
  Shell.run(Shell.inNs(g.ns.name, ["gobgp", "-p", String(g.apiPort), ...args]))

/** Starts gobgpd; it is stopped when the scope closes. Waits until its API answers. */
export const start = (opts: Options): Effect.Effect<Gobgp, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    const configFile = `${opts.dir}/gobgpd.toml`
    const apiPort = opts.apiPort ?? 50051
    yield* Effect.promise(() => Bun.write(configFile, GobgpConfig.render(opts.config)))
    const gobgpd = [
      "gobgpd", "-f", configFile, "-t", "toml", "--api-hosts", `127.0.0.1:${apiPort}`, "--pprof-disable", "--log-plain"
    ]
    // unshare and `exec` replace themselves in place, so the PID we hold is gobgpd's.
    const argv =
      opts.hostname === undefined
        ? gobgpd
        : ["unshare", "--uts", "sh", "-c", `hostname ${opts.hostname} && exec ${gobgpd.join(" ")}`]
    const process = yield* Process.spawn({
      name: "gobgpd",
      argv: Shell.inNs(opts.ns.name, argv),
      logFile: `${opts.dir}/gobgpd.log`
    })
    const g: Gobgp = { ns: opts.ns, process, configFile, apiPort }
    yield* Poll.until(
      Effect.zipRight(Process.ensureRunning(process), Effect.map(cli(g, "global"), Option.some)),
      { timeout: "10 seconds", what: "gobgpd API" }
    )
    return g
  })

/** The neighbor's session state as gobgp reports it (e.g. "ESTABLISHED", "ACTIVE"). */
export const neighborState = (g: Gobgp, address: string): Effect.Effect<string, LabError.LabError> =>
  Effect.map(cli(g, "-j", "neighbor", address), (out) => {
    const parsed: unknown = JSON.parse(out)
    const state = (parsed as { state?: { session_state?: unknown } }).state?.session_state
    return typeof state === "string" ? state.toUpperCase() : String(state)
  })

export const waitEstablished = (g: Gobgp, address: string, timeout: Duration.DurationInput = "30 seconds"): Effect.Effect<void, LabError.LabError> =>
  Poll.until(
    Effect.map(neighborState(g, address), (s) => (s.includes("ESTABLISHED") ? Option.some(undefined) : Option.none())),
    { timeout, what: `gobgp neighbor ${address} ESTABLISHED`, interval: "250 millis" }
  )
