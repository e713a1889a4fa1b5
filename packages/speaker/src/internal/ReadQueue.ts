/**
 * The bounded queue between a socket's synchronous 'data' handler and the
 * consumer of `Connection.reads`. Above `high` queued bytes it pauses the
 * source; once the consumer has pulled it down to `low` it resumes it. So the
 * queue holds at most `high` plus the one chunk that crossed the mark.
 */
import { Chunk, Effect, Option, Stream } from "effect"

export interface Source {
  readonly pause: () => void
  readonly resume: () => void
}

export class ReadQueue<E> {
  private readonly chunks: Array<Uint8Array> = []
  private head = 0
  private queued = 0
  private paused = false
  private done: { readonly error: E | undefined } | undefined
  private waiter: (() => void) | undefined

  /** Bytes pushed so far. */
  bytesIn = 0
  /** The most bytes ever queued at once. */
  maxQueued = 0
  /** The largest chunk pushed. */
  maxChunk = 0
  /** How often the source was paused. */
  pauses = 0

  constructor(
    private readonly source: Source,
    private readonly high: number,
    private readonly low: number,
    /** Bytes handed to the consumer per pull at most (one chunk always goes, whatever its size). */
    private readonly pullBytes: number
  ) {}

  get queuedBytes(): number {
    return this.queued
  }

  get isPaused(): boolean {
    return this.paused
  }

  /** From the 'data' handler: never blocks, pauses the source at the high-water mark. */
  push(chunk: Uint8Array): void {
    if (this.done !== undefined || chunk.length === 0) return
    this.chunks.push(chunk)
    this.queued += chunk.length
    this.bytesIn += chunk.length
    if (chunk.length > this.maxChunk) this.maxChunk = chunk.length
    if (this.queued > this.maxQueued) this.maxQueued = this.queued
    if (!this.paused && this.queued >= this.high) {
      this.paused = true
      this.pauses++
      this.source.pause()
    }
    this.wake()
  }

  /** No more data: the consumer sees the end after what is queued. */
  end(): void {
    if (this.done !== undefined) return
    this.done = { error: undefined }
    this.wake()
  }

  /** The consumer sees `error` after what is queued. */
  fail(error: E): void {
    if (this.done !== undefined) return
    this.done = { error }
    this.wake()
  }

  /** Drops what is queued and ends at once (the owner closed the connection). */
  discard(): void {
    this.chunks.length = 0
    this.head = 0
    this.queued = 0
    if (this.done === undefined) this.done = { error: undefined }
    this.wake()
  }

  private wake(): void {
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w()
    }
  }

  private take(): Chunk.Chunk<Uint8Array> {
    const out: Array<Uint8Array> = []
    let bytes = 0
    while (this.head < this.chunks.length) {
      const c = this.chunks[this.head]
      if (out.length > 0 && bytes + c.length > this.pullBytes) break
      this.head++
      out.push(c)
      bytes += c.length
    }
    if (this.head === this.chunks.length) {
      this.chunks.length = 0
      this.head = 0
    } else if (this.head > 1024) {
      this.chunks.splice(0, this.head)
      this.head = 0
    }
    this.queued -= bytes
    if (this.paused && this.queued <= this.low) {
      this.paused = false
      this.source.resume()
    }
    return Chunk.unsafeFromArray(out)
  }

  private readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<E>> = Effect.suspend(() => {
    if (this.queued > 0) return Effect.succeed(this.take())
    if (this.done !== undefined) {
      return this.done.error === undefined ? Effect.fail(Option.none()) : Effect.fail(Option.some(this.done.error))
    }
    return Effect.async<void>((resume) => {
      this.waiter = () => resume(Effect.void)
      return Effect.sync(() => {
        this.waiter = undefined
      })
    }).pipe(Effect.zipRight(this.pull))
  })

  /** The consumer's side; meant for one consumer at a time. */
  readonly stream: Stream.Stream<Uint8Array, E> = Stream.repeatEffectChunkOption(this.pull)
}
