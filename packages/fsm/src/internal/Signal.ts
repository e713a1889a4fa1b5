/**
 * A one-shot wake-up for code that keeps its state in plain fields (single
 * JS thread, no locks): `wait` suspends until the next `fire`. Callers re-check
 * their condition after waking, so a spurious or early fire is harmless.
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

/** Repeat `wait` until `ready()` holds (checked first). */
export const until = (signal: Signal, ready: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => (ready() ? Effect.void : Effect.zipRight(signal.wait, until(signal, ready))))
