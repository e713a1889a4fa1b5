/**
 * A one-shot wake-up for state kept in plain fields (one JS thread): `wait`
 * suspends until the next `fire`; `until` re-checks its condition after each
 * wake-up, so an early or spurious fire is harmless.
 */
import { Deferred, Effect, FiberId } from "effect"

export class Signal {
  private pending: Deferred.Deferred<void> | undefined = undefined

  readonly wait: Effect.Effect<void> = Effect.suspend(() => {
    const d = this.pending ?? (this.pending = Deferred.unsafeMake<void>(FiberId.none))
    return Deferred.await(d)
  })

  fire(): void {
    const d = this.pending
    if (d === undefined) return
    this.pending = undefined
    Deferred.unsafeDone(d, Effect.void)
  }
}

/** Wait until `ready()` holds (checked first). */
export const until = (signal: Signal, ready: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => (ready() ? Effect.void : Effect.zipRight(signal.wait, until(signal, ready))))
