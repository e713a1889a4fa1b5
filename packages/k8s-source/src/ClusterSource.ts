/**
 * Where the cluster's state comes from: the Kubernetes API (`KubeSource`) or a directory of manifests
 * (`ManifestSource`). Both publish settled `ClusterSnapshot`s through `makePublisher`, so downstream sees one
 * snapshot per burst of changes and never two equal snapshots in a row.
 */
import { Clock, Context, Duration, Effect, Option, Queue, Ref, Stream, SubscriptionRef } from "effect"
import type { Scope } from "effect"
import * as ClusterSnapshot from "./ClusterSnapshot.js"
import type { ObjectDecodeError } from "./Kinds.js"
import type { ManifestError } from "./ManifestError.js"

/** Something the source could not use (a broken manifest, an object that failed to decode). */
export type SourceProblem = ManifestError | ObjectDecodeError

export interface ClusterSourceShape {
  /**
   * The latest settled snapshot first (initially `ClusterSnapshot.empty`, not synced), then every settled
   * change. Consecutive snapshots are never `ClusterSnapshot.equals`.
   */
  readonly snapshots: Stream.Stream<ClusterSnapshot.ClusterSnapshot>
  /** The latest settled snapshot. */
  readonly current: Effect.Effect<ClusterSnapshot.ClusterSnapshot>
  /** What is currently broken (for the CLI's `validate` and status API); empty when all is well. */
  readonly problems: Effect.Effect<ReadonlyArray<SourceProblem>>
}

export class ClusterSource extends Context.Tag("@kbgp/k8s-source/ClusterSource")<ClusterSource, ClusterSourceShape>() {}

export interface SettleOptions {
  /** Quiet time after the last change before a snapshot is published. */
  readonly debounce: Duration.DurationInput
  /** Longest a change may wait under constant churn before it is published anyway. */
  readonly maxDelay: Duration.DurationInput
}

export const defaultSettle: SettleOptions = { debounce: Duration.millis(250), maxDelay: Duration.seconds(2) }

export interface Publisher {
  /** Offers the newest raw snapshot (call it after every store change; cheap). */
  readonly publish: (snapshot: ClusterSnapshot.ClusterSnapshot) => Effect.Effect<void>
  readonly snapshots: Stream.Stream<ClusterSnapshot.ClusterSnapshot>
  readonly current: Effect.Effect<ClusterSnapshot.ClusterSnapshot>
}

/**
 * Debounce + de-duplicate: raw snapshots in (`publish`), settled snapshots out (`snapshots`/`current`).
 * A snapshot is published once `debounce` has passed without a newer one, or `maxDelay` after the first
 * unpublished change, and only when it differs from the last published one. The first synced snapshot is
 * published at once: startup has nothing to wait for. Runs on Effect's Clock, so TestClock drives it in
 * tests. The settling fiber lives in the caller's scope.
 */
export const makePublisher = (
  options: Partial<SettleOptions> = {}
): Effect.Effect<Publisher, never, Scope.Scope> =>
  Effect.gen(function* () {
    const debounce = Duration.toMillis(Duration.decode(options.debounce ?? defaultSettle.debounce))
    const maxDelay = Math.max(debounce, Duration.toMillis(Duration.decode(options.maxDelay ?? defaultSettle.maxDelay)))
    const published = yield* SubscriptionRef.make(ClusterSnapshot.empty)
    const pending = yield* Ref.make<Option.Option<{ readonly snapshot: ClusterSnapshot.ClusterSnapshot; readonly at: number }>>(
      Option.none()
    )
    const wake = yield* Queue.sliding<void>(1)
    const lock = yield* Effect.makeSemaphore(1)

    const emit = (snapshot: ClusterSnapshot.ClusterSnapshot) =>
      Effect.flatMap(SubscriptionRef.get(published), (last) =>
        ClusterSnapshot.equals(last, snapshot) ? Effect.void : SubscriptionRef.set(published, snapshot)
      )

    const flush = lock.withPermits(1)(
      Effect.flatMap(Ref.getAndSet(pending, Option.none()), Option.match({ onNone: () => Effect.void, onSome: (p) => emit(p.snapshot) }))
    )

    const settleOnce = Effect.gen(function* () {
      yield* Queue.take(wake)
      const first = yield* Clock.currentTimeMillis
      while (true) {
        const p = yield* Ref.get(pending)
        if (Option.isNone(p)) return
        const now = yield* Clock.currentTimeMillis
        const until = Math.min(p.value.at + debounce, first + maxDelay)
        if (now >= until) break
        yield* Effect.sleep(Duration.millis(until - now))
      }
      yield* flush
    })
    yield* Effect.forkScoped(Effect.forever(settleOnce))

    const publish = (snapshot: ClusterSnapshot.ClusterSnapshot) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const last = yield* SubscriptionRef.get(published)
          if (!last.synced && snapshot.synced) {
            yield* Ref.set(pending, Option.none())
            yield* emit(snapshot)
            return
          }
          const at = yield* Clock.currentTimeMillis
          yield* Ref.set(pending, Option.some({ snapshot, at }))
          yield* Queue.offer(wake, undefined)
        })
      )

    return { publish, snapshots: published.changes, current: SubscriptionRef.get(published) }
  })

/** `makePublisher` fed from a stream of raw snapshots (consumed in the caller's scope). */
export const settle = <E, R>(
  raw: Stream.Stream<ClusterSnapshot.ClusterSnapshot, E, R>,
  options: Partial<SettleOptions> = {}
): Effect.Effect<Omit<Publisher, "publish">, never, Scope.Scope | R> =>
  Effect.gen(function* () {
    const p = yield* makePublisher(options)
    yield* Effect.forkScoped(Stream.runForEach(raw, p.publish))
    return { snapshots: p.snapshots, current: p.current }
  })

/** Waits for the first synced snapshot. */
export const awaitSynced = (source: ClusterSourceShape): Effect.Effect<ClusterSnapshot.ClusterSnapshot> =>
  source.snapshots.pipe(
    Stream.filter((s) => s.synced),
    Stream.runHead,
    Effect.flatMap(Option.match({ onNone: () => Effect.never, onSome: Effect.succeed }))
  )
