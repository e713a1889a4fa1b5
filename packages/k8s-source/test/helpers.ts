import { BunFileSystem } from "@effect/platform-bun"
import { Effect, Logger, LogLevel, Random, Ref, Stream, TestClock, TestContext } from "effect"
import type { Duration, Scope } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/**
 * Runs an effect with TestClock (and a scope), as the style guide prescribes, and a seeded Random so that
 * jittered backoffs take the same delays on every run.
 */
export const runTest = <A, E>(eff: Effect.Effect<A, E, Scope.Scope>): Promise<A> =>
  Effect.runPromise(
    Effect.provide(Effect.scoped(eff), TestContext.TestContext).pipe(
      Effect.withRandom(Random.make("kbgp-k8s-source")),
      Logger.withMinimumLogLevel(LogLevel.Error)
    )
  )

/** Same, with the Bun file system. */
export const runFsTest = <A, E>(eff: Effect.Effect<A, E, Scope.Scope | import("@effect/platform").FileSystem.FileSystem>) =>
  runTest(Effect.provide(eff, BunFileSystem.layer))

/** Collects every element of `stream` in the background (scoped). */
export const collect = <A>(stream: Stream.Stream<A>) =>
  Effect.gen(function* () {
    const ref = yield* Ref.make<ReadonlyArray<A>>([])
    const fiber = yield* Effect.forkScoped(Stream.runForEach(stream, (a) => Ref.update(ref, (xs) => [...xs, a])))
    yield* settleFibers
    return { items: Ref.get(ref), fiber }
  })

/** One turn of the event loop: whatever the runtime scheduled on timers (it does, under load) runs first. */
const macrotask = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

/** Lets forked fibers run to their next suspension, including fibers the runtime deferred to a timer. */
export const settleFibers = Effect.zipRight(Effect.repeatN(Effect.yieldNow(), 20), Effect.repeatN(macrotask, 1))

/**
 * Advances the TestClock and lets fibers react. Fibers settle first too: a sleep that is registered only after
 * the clock moved would otherwise wait for a later advance (a race that shows under CPU load).
 */
export const advance = (d: Duration.DurationInput) =>
  settleFibers.pipe(Effect.zipRight(TestClock.adjust(d)), Effect.zipRight(settleFibers))


/** Real-time polling with TestClock steps: for effects that wait on real I/O (file reads) and on the clock. */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, step: Duration.DurationInput = "1 second") =>
  Effect.gen(function* () {
    for (let i = 0; i < 500; i++) {
      if (yield* check) return
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      yield* advance(step)
    }
    throw new Error("condition not reached within 5 s")
  })

/** A fresh temporary directory, removed when the test's scope closes. */
export const tmpDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "kbgp-manifests-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)
