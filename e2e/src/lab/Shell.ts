/**
 * Run a short-lived command to completion and collect its output. Long-running
 * daemons go through `Process` instead, which owns their lifetime.
 */
import { Effect } from "effect"
import * as LabError from "./LabError.js"

export interface Result {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `argv` and returns its exit code and output; fails only if it cannot be started. */
export const exec = (argv: ReadonlyArray<string>): Effect.Effect<Result, LabError.LabError> =>
  Effect.tryPromise({
    try: async () => {
      const proc = Bun.spawn([...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" })
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited
      ])
      return { code, stdout, stderr }
    },
    catch: (e) => LabError.make("Command", `${argv.join(" ")}: ${String(e)}`)
  })

/** Runs `argv` and fails unless it exits with 0; returns stdout. */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<string, LabError.LabError> =>
  Effect.flatMap(exec(argv), (r) =>
    r.code === 0
      ? Effect.succeed(r.stdout)
      : Effect.fail(LabError.make("Command", `${argv.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`))
  )

/** The argv that runs `argv` inside network namespace `ns` (`ip netns exec` execs in place, so PIDs are the target's). */
export const inNs = (ns: string, argv: ReadonlyArray<string>): Array<string> => ["ip", "netns", "exec", ns, ...argv]
