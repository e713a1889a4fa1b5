/**
 * The send side of one connection: encoded messages queue here and one writer
 * fiber coalesces them into large writes (few syscalls, RUNTIME-FACTS: small
 * writes are slow), waiting on the Transport's backpressure. Producers wait
 * while more than `highWater` bytes are queued or in flight.
 */
import { Effect } from "effect"
import { Signal, until } from "./Signal.js"

export class Outbox {
  private queue: Array<Uint8Array> = []
  /** Queued plus in-flight bytes. */
  private bytes = 0
  private closing = false
  private readonly work = new Signal()
  private readonly space = new Signal()

  constructor(
    readonly highWater: number,
    readonly lowWater: number,
    /** Target size of one write. */
    readonly writeSize: number
  ) {}

  get pendingBytes(): number {
    return this.bytes
  }

  get isClosing(): boolean {
    return this.closing
  }

  /** Queue messages in order; false once closing (nothing is queued then). */
  offer(messages: ReadonlyArray<Uint8Array>): boolean {
    if (this.closing) return false
    for (const m of messages) {
      if (m.length === 0) continue
      this.queue.push(m)
      this.bytes += m.length
    }
    this.work.fire()
    return true
  }

  /** Suspend while the backlog is above the high-water mark (returns at once when closing). */
  readonly awaitSpace: Effect.Effect<void> = until(this.space, () => this.bytes <= this.highWater || this.closing)

  /** No more messages: the writer sends what is queued, then returns. */
  close(): void {
    this.closing = true
    this.work.fire()
    this.space.fire()
  }

  /**
   * The writer loop: returns once closed and drained, fails with the first
   * write error. `onProgress` runs after every completed write.
   */
  run<E>(write: (bytes: Uint8Array) => Effect.Effect<void, E>, onProgress: Effect.Effect<void>): Effect.Effect<void, E> {
    const self = this
    return Effect.gen(function* () {
      while (true) {
        yield* until(self.work, () => self.queue.length > 0 || self.closing)
        if (self.queue.length === 0) return
        const batch = self.queue
        self.queue = []
        for (const buffer of coalesce(batch, self.writeSize)) {
          yield* write(buffer)
          self.bytes -= buffer.length
          if (self.bytes <= self.lowWater) self.space.fire()
          yield* onProgress
        }
      }
    })
  }
}

/** Join consecutive messages into buffers of at most `size` bytes (a larger message goes alone, uncopied). */
export const coalesce = (messages: ReadonlyArray<Uint8Array>, size: number): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let group: Array<Uint8Array> = []
  let groupBytes = 0
  const flush = () => {
    if (group.length === 1) out.push(group[0]!)
    else if (group.length > 1) {
      const buffer = new Uint8Array(groupBytes)
      let at = 0
      for (const m of group) {
        buffer.set(m, at)
        at += m.length
      }
      out.push(buffer)
    }
    group = []
    groupBytes = 0
  }
  for (const m of messages) {
    if (groupBytes + m.length > size) flush()
    group.push(m)
    groupBytes += m.length
  }
  flush()
  return out
}
