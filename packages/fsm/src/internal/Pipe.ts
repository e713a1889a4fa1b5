/**
 * One direction of an in-memory byte stream with TCP-like flow control: the
 * writer's bytes are accepted at once (a copy, as a kernel would take them), and
 * the writer then waits while more than `highWater` bytes are unread, until the
 * reader has brought it down to `lowWater`. Closing is a FIN after what is
 * queued; failing is a reset that discards it.
 */
import { Effect, Option, Stream } from "effect"
import { Signal, until } from "./Signal.js"
import type { TransportError } from "../Transport.js"

export class Pipe {
  private chunks: Array<Uint8Array> = []
  private buffered = 0
  private ended = false
  private failure: TransportError | undefined = undefined
  private readonly readable = new Signal()
  private readonly writable = new Signal()
  /** Every byte ever written, in order (for tests). */
  private readonly log: Array<Uint8Array> = []
  private logged = 0

  constructor(
    readonly highWater: number,
    readonly lowWater: number
  ) {}

  /** Unread bytes. */
  get bufferedBytes(): number {
    return this.buffered
  }

  get isEnded(): boolean {
    return this.ended || this.failure !== undefined
  }

  /** How many writes delivered bytes. */
  get writes(): number {
    return this.log.length
  }

  /** All bytes written so far, concatenated. */
  written(): Uint8Array {
    const out = new Uint8Array(this.logged)
    let at = 0
    for (const c of this.log) {
      out.set(c, at)
      at += c.length
    }
    return out
  }

  /** Append without waiting; false when the pipe is already closed or failed. */
  unsafeOffer(bytes: Uint8Array): boolean {
    if (this.ended || this.failure !== undefined) return false
    if (bytes.length === 0) return true
    const copy = bytes.slice()
    this.chunks.push(copy)
    this.log.push(copy)
    this.logged += copy.length
    this.buffered += copy.length
    this.readable.fire()
    return true
  }

  /** Suspend while the unread bytes are above the high-water mark. */
  readonly awaitWritable: Effect.Effect<void> = until(this.writable, () => this.buffered <= this.highWater || this.isEnded)

  /** FIN: the reader gets what is queued, then the end. */
  end(): void {
    this.ended = true
    this.readable.fire()
    this.writable.fire()
  }

  /** Reset: the reader fails with `error` at once; queued bytes are lost. */
  fail(error: TransportError): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.chunks = []
    this.buffered = 0
    this.readable.fire()
    this.writable.fire()
  }

  /** The next chunk, the end (None), or the reset error. */
  readonly pull: Effect.Effect<Uint8Array, Option.Option<TransportError>> = Effect.suspend(() => {
    if (this.failure !== undefined) return Effect.fail(Option.some(this.failure))
    const chunk = this.chunks.shift()
    if (chunk !== undefined) {
      this.buffered -= chunk.length
      if (this.buffered <= this.lowWater) this.writable.fire()
      return Effect.succeed(chunk)
    }
    if (this.ended) return Effect.fail(Option.none())
    return Effect.zipRight(this.readable.wait, this.pull)
  })

  readonly stream: Stream.Stream<Uint8Array, TransportError> = Stream.repeatEffectOption(this.pull)
}
