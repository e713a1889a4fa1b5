/**
 * A daemon started for the lab (BIRD, gobgpd, dumpcap): spawned in a Scope,
 * its output appended to a log file, and stopped by its PID when the scope closes
 * — first politely, then with SIGKILL. Only processes started here are ever signalled.
 */
import { closeSync, openSync } from "node:fs"
import { Duration, Effect, type Scope } from "effect"
import * as LabError from "./LabError.js"

export interface Process {
  readonly name: string
  readonly pid: number
  readonly logFile: string
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number>
  /** True while the process has not exited. */
  readonly running: () => boolean
  /** The log so far (stdout and stderr). */
  readonly log: () => Effect.Effect<string>
}

export interface Options {
  readonly name: string
  readonly argv: ReadonlyArray<string>
  readonly logFile: string
  /** Signal sent first on release (default SIGTERM; dumpcap wants SIGINT to flush its file). */
  readonly stopSignal?: NodeJS.Signals
  /** How long to wait after the first signal before SIGKILL (default 3 s). */
  readonly stopGrace?: Duration.DurationInput
}

const waitExit = (p: Process, grace: Duration.DurationInput): Effect.Effect<boolean> =>
  Effect.promise(() => p.exited).pipe(
    Effect.as(true),
    Effect.timeoutTo({ duration: grace, onTimeout: () => false, onSuccess: (b) => b })
  )

/** Sends `signal` to the process if it still runs, waits up to `grace`, then SIGKILLs it. */
export const stop = (
  p: Process,
  signal: NodeJS.Signals = "SIGTERM",
  grace: Duration.DurationInput = "3 seconds"
): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (!p.running()) return
    yield* Effect.try(() => process.kill(p.pid, signal)).pipe(Effect.ignore)
    // A process frozen with SIGSTOP (a test freezing BIRD) handles the signal only once continued.
    yield* Effect.try(() => process.kill(p.pid, "SIGCONT")).pipe(Effect.ignore)
    if (yield* waitExit(p, grace)) return
    yield* Effect.try(() => process.kill(p.pid, "SIGKILL")).pipe(Effect.ignore)
    yield* waitExit(p, "2 seconds")
  })

/** Starts a process; closing the scope stops it (by PID) if it is still running. */
export const spawn = (opts: Options): Effect.Effect<Process, LabError.LabError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: (): Process => {
        // One descriptor, truncated, for both streams. `Bun.file` as stdout and stderr opens the file
        // twice without O_TRUNC: the two streams overwrite each other's lines, and a reused name (each
        // test's first BIRD writes bird.log) keeps the previous run's tail.
        const out = openSync(opts.logFile, "w")
        let child: ReturnType<typeof Bun.spawn>
        try {
          child = Bun.spawn([...opts.argv], { stdin: "ignore", stdout: out, stderr: out })
        } finally {
          closeSync(out)
        }
        let done = false
        const exited = child.exited.then((code) => {
          done = true
          return code
        })
        return {
          name: opts.name,
          pid: child.pid,
          logFile: opts.logFile,
          exited,
          running: () => !done,
          log: () => Effect.promise(() => Bun.file(opts.logFile).text().catch(() => ""))
        }
      },
      catch: (e) => LabError.make("Process", `cannot start ${opts.name} (${opts.argv.join(" ")}): ${String(e)}`)
    }),
    (p) => stop(p, opts.stopSignal ?? "SIGTERM", opts.stopGrace ?? "3 seconds")
  )

/** Fails if the process has already exited (e.g. a config error), with the tail of its log. */
export const ensureRunning = (p: Process): Effect.Effect<void, LabError.LabError> =>
  p.running()
    ? Effect.void
    : Effect.flatMap(p.log(), (log) =>
        Effect.fail(LabError.make("Process", `${p.name} (pid ${p.pid}) exited early:\n${log.split("\n").slice(-30).join("\n")}`))
      )

/** Sends `signal` to the process by its PID if it still runs (SIGSTOP / SIGCONT to freeze and thaw it). */
export const signal = (p: Process, signal: NodeJS.Signals): Effect.Effect<void> =>
  // Effect.try, not sync: a process that exits before `exited` resolves makes kill throw ESRCH (a defect otherwise).
  Effect.try(() => {
    if (p.running()) process.kill(p.pid, signal)
  }).pipe(Effect.ignore)
