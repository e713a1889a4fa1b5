/**
 * Coalesces small writes (a BGP session writes many 19..4096-byte messages)
 * into `batch`-sized buffers before they reach the socket, and honours the
 * socket's backpressure: after `write() === false` nothing more goes out
 * until 'drain'. Bytes are copied in, so callers may reuse their buffers.
 */

export interface Sink {
  /** Like `net.Socket.write`: false asks the caller to wait for `drained()`. */
  readonly write: (bytes: Uint8Array) => boolean
  /** Schedules `flush` soon (after the current burst of writes), e.g. with setImmediate. */
  readonly schedule: (flush: () => void) => void
}

export class WriteBatcher {
  private readonly ready: Array<Uint8Array> = []
  private readyBytes = 0
  private current: Uint8Array | undefined
  private currentLength = 0
  private blocked = false
  private scheduled = false
  private readonly waiters = new Map<() => void, number>()

  /** Buffers handed to the sink. */
  sinkWrites = 0
  /** Bytes handed to the sink. */
  bytesOut = 0
  /** Times the sink asked to wait. */
  blocks = 0

  constructor(
    private readonly sink: Sink,
    private readonly batch: number,
    private readonly low: number
  ) {}

  /** Bytes accepted but not yet handed to the sink. */
  get pending(): number {
    return this.readyBytes + this.currentLength
  }

  get isBlocked(): boolean {
    return this.blocked
  }

  enqueue(bytes: Uint8Array): void {
    let offset = 0
    while (offset < bytes.length) {
      if (this.current === undefined) {
        this.current = new Uint8Array(this.batch)
        this.currentLength = 0
      }
      const n = Math.min(this.batch - this.currentLength, bytes.length - offset)
      this.current.set(bytes.subarray(offset, offset + n), this.currentLength)
      this.currentLength += n
      offset += n
      if (this.currentLength === this.batch) this.seal()
    }
    if (this.ready.length > 0) this.pump()
    if (this.currentLength > 0 && !this.scheduled) {
      this.scheduled = true
      this.sink.schedule(() => {
        this.scheduled = false
        this.flush()
      })
    }
  }

  /** Hands everything over now (or as soon as the sink drains). */
  flush(): void {
    this.seal()
    this.pump()
  }

  /** The sink drained: continue, and release writers once at or below the low-water mark. */
  drained(): void {
    this.blocked = false
    this.pump()
  }

  /**
   * Calls `f` once pending bytes are at or below `limit` (default: the low-water mark), at once if they are
   * already; returns a canceller.
   */
  whenAtMost(f: () => void, limit: number = this.low): () => void {
    if (this.pending <= limit) {
      f()
      return () => {}
    }
    this.waiters.set(f, limit)
    return () => {
      this.waiters.delete(f)
    }
  }

  /** Releases every waiter (the connection is gone: they find out from its state). */
  releaseAll(): void {
    const ws = [...this.waiters.keys()]
    this.waiters.clear()
    for (const w of ws) w()
  }

  /** Forgets everything pending (the socket is being destroyed). */
  clear(): void {
    this.ready.length = 0
    this.readyBytes = 0
    this.current = undefined
    this.currentLength = 0
  }

  private seal(): void {
    if (this.current === undefined || this.currentLength === 0) return
    const full = this.currentLength === this.batch ? this.current : this.current.subarray(0, this.currentLength)
    this.ready.push(full)
    this.readyBytes += full.length
    this.current = undefined
    this.currentLength = 0
  }

  private pump(): void {
    while (!this.blocked && this.ready.length > 0) {
      const b = this.ready.shift()
      if (b === undefined) break
      this.readyBytes -= b.length
      this.sinkWrites++
      this.bytesOut += b.length
      // The sink may keep `b` (Bun does not copy): it is never reused here.
      if (!this.sink.write(b)) {
        this.blocked = true
        this.blocks++
      }
    }
    if (this.waiters.size > 0) {
      for (const [w, limit] of [...this.waiters]) {
        if (this.pending <= limit) {
          this.waiters.delete(w)
          w()
        }
      }
    }
  }
}
