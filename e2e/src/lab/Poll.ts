/** Repeat a probe until it yields a value, or fail with a Timeout after a deadline. */
import { Duration, Effect, Option } from "effect"
import * as LabError from "./LabError.js"

export interface Options {
  readonly timeout: Duration.DurationInput
  readonly interval?: Duration.DurationInput
  /** What was awaited, for the timeout message. */
  readonly what: string
}

/**
 * Runs `probe` every `interval` (default 200 ms) until it returns `Some`. Probe
 * failures count as "not yet"; the last one is reported on timeout.
 */
export const until = <A, E, R>(
  probe: Effect.Effect<Option.Option<A>, E, R>,
  opts: Options
): Effect.Effect<A, LabError.LabError, R> =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(Duration.decode(opts.timeout))
    let last = "no attempt finished"
    while (true) {
      const r = yield* Effect.either(probe)
      if (r._tag === "Right") {
        if (Option.isSome(r.right)) return r.right.value
        last = "condition not met"
      } else {
        last = String(r.left)
      }
      if (Date.now() >= deadline) return yield* Effect.fail(LabError.make("Timeout", `${opts.what}: ${last}`))
      yield* Effect.sleep(opts.interval ?? "200 millis")
    }
  })
