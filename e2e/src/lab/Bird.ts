/**
 * A BIRD 2 daemon in a namespace: config written from `BirdConfig`, run in the
 * foreground (so its PID is ours), driven through `birdc` on its own control socket.
 */
import { type Duration, Effect, Option, type Scope } from "effect"
import * as BirdConfig from "./BirdConfig.js"
import * as LabError from "./LabError.js"
import type { Netns } from "./Netns.js"
import * as Poll from "./Poll.js"
import * as Process from "./Process.js"
import * as Shell from "./Shell.js"

export interface Bird {
  readonly process: Process.Process
  readonly configFile: string
  readonly socket: string
}

export interface Options {
  readonly ns: Netns
  /** Directory for bird.conf, the control socket and the log. */
  readonly dir: string
  readonly config: BirdConfig.BirdConfig
}

/** Runs a birdc command (words as separate arguments) and returns its output. */
export const birdc = (bird: Bird, ...words: ReadonlyArray<string>): Effect.Effect<string, LabError.LabError> =>
  Shell.run(["birdc", "-s", bird.socket, ...words])

/** Starts BIRD; it is stopped when the scope closes. Waits until its control socket answers. */
export const start = (opts: Options): Effect.Effect<Bird, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    const configFile = `${opts.dir}/bird.conf`
    const socket = `${opts.dir}/bird.ctl`
    const text = BirdConfig.render(opts.config)
    yield* Effect.promise(() => Bun.write(configFile, text))
    yield* Shell.run(["bird", "-p", "-c", configFile])
    const process = yield* Process.spawn({
      name: "bird",
      argv: Shell.inNs(opts.ns.name, ["bird", "-f", "-c", configFile, "-s", socket]),
      logFile: `${opts.dir}/bird.log`
    })
    const bird: Bird = { process, configFile, socket }
    yield* Poll.until(
      Effect.zipRight(Process.ensureRunning(process), Effect.map(birdc(bird, "show", "status"), Option.some)),
      { timeout: "10 seconds", what: "BIRD control socket" }
    )
    return bird
  })

/** The `show protocols <name>` line (state, since, info), e.g. "to_gobgp BGP --- up 12:00:00.000 Established". */
export const protocolLine = (bird: Bird, name: string): Effect.Effect<string, LabError.LabError> =>
  Effect.flatMap(birdc(bird, "show", "protocols", name), (out) => {
    const line = out.split("\n").find((l) => l.startsWith(`${name} `))
    return line === undefined
      ? Effect.fail(LabError.make("Command", `no protocol ${name} in:\n${out}`))
      : Effect.succeed(line.trim())
  })

/** Waits until BGP protocol `name` reports Established. */
export const waitEstablished = (bird: Bird, name: string, timeout: Duration.DurationInput = "30 seconds"): Effect.Effect<void, LabError.LabError> =>
  Poll.until(
    Effect.map(protocolLine(bird, name), (l) => (/\bEstablished\b/.test(l) ? Option.some(undefined) : Option.none())),
    { timeout, what: `BIRD protocol ${name} Established`, interval: "250 millis" }
  )
