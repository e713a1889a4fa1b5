/**
 * A lab shared by the tests of one file, for test runners with before/after hooks:
 *
 *   const suite = LabSuite.make("est")
 *   beforeAll(suite.open)
 *   afterAll(suite.close)
 *   test.skipIf(suite.skip !== undefined)("...", () => suite.run(Effect.gen(function* () { ... })))
 *
 * `open` builds the namespaces once; `run` gives each test its own Scope (BIRD and
 * kbgp sessions started in it stop when the test ends, passed or failed), a deadline
 * shorter than the runner's so a stuck test still tears down, and prints the BIRD logs
 * and kbgp notes when it fails.
 */
import { Cause, Context, Duration, Effect, Exit, Logger, Scope } from "effect"
import * as Lab from "./Lab.js"
import * as LabError from "./LabError.js"

/** The lab of the running test, for effects that need it. */
export class CurrentLab extends Context.Tag("@kbgp/e2e/CurrentLab")<CurrentLab, Lab.Lab>() {}

export interface Suite {
  /** Why these tests cannot run here (say it in the test name or log it), or undefined. */
  readonly skip: string | undefined
  readonly open: () => Promise<void>
  readonly close: () => Promise<void>
  /**
   * Runs one test body in its own scope with the lab; fails after `timeout` (default 25 s). The
   * timeout must stay below the test runner's for that test, so that a stuck body is ended and
   * torn down here instead of running on into the next test.
   */
  readonly run: <A, E>(
    body: Effect.Effect<A, E, Scope.Scope | CurrentLab>,
    opts?: { readonly timeout?: Duration.DurationInput }
  ) => Promise<A>
}

/**
 * With KBGP_E2E_REQUIRED=1 (CI sets it) a missing prerequisite is not a skip: `open`
 * fails with the reason, so a CI machine without BIRD or root cannot pass by skipping.
 */
const required = process.env.KBGP_E2E_REQUIRED === "1"

/** Below every runner timeout the lab's test files set (30 s and up); longer bodies pass their own. */
const DEFAULT_TIMEOUT = "25 seconds"

export const make = (tag: string): Suite => {
  const skip = required ? undefined : Lab.unavailable()
  let scope: Scope.CloseableScope | undefined
  let lab: Lab.Lab | undefined

  const open = async (): Promise<void> => {
    if (skip !== undefined) {
      console.warn(`e2e lab ${tag}: skipped, ${skip}`)
      return
    }
    const s = await Effect.runPromise(Scope.make())
    scope = s
    lab = await Effect.runPromise(Scope.extend(Lab.make(tag), s))
  }

  const close = async (): Promise<void> => {
    const s = scope
    scope = undefined
    lab = undefined
    if (s !== undefined) await Effect.runPromise(Scope.close(s, Exit.void))
  }

  const run = <A, E>(
    body: Effect.Effect<A, E, Scope.Scope | CurrentLab>,
    opts?: { readonly timeout?: Duration.DurationInput }
  ): Promise<A> => {
    const current = lab
    if (current === undefined) return Promise.reject(new Error(`e2e lab ${tag} is not open (${skip ?? "open() failed"})`))
    Lab.reset(current)
    const timeout = Duration.decode(opts?.timeout ?? DEFAULT_TIMEOUT)
    return Effect.runPromise(
      body.pipe(
        Effect.scoped,
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => LabError.make("Timeout", `test body did not finish within ${Duration.format(timeout)}`)
        }),
        Effect.provideService(CurrentLab, current),
        Effect.provide(Logger.replace(Logger.defaultLogger, Lab.logger(current))),
        Effect.tapErrorCause((cause) =>
          Effect.zipRight(
            Effect.sync(() => console.error(`e2e lab ${tag}: test failed:\n${Cause.pretty(cause)}`)),
            Lab.dumpLogs(current)
          )
        )
      )
    )
  }

  return { skip, open, close, run }
}
