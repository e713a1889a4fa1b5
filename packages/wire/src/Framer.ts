/**
 * Incremental splitter of a BGP byte stream into whole messages. Chunks are
 * parsed in place: a frame that lies inside one pushed chunk is a view of it,
 * and bytes are copied only for a frame that spans chunks (once, when it is
 * complete). Only the 19-byte header is examined; bodies are the decoders' job.
 *
 * Frames view the pushed chunks, so a caller must not overwrite a chunk after
 * pushing it while frames from it are in use. The first header error is
 * terminal: every later `next()` returns the same error.
 */
import type { WireError } from "./WireError.js"
import * as Header from "./internal/Header.js"

export interface Frame {
  readonly _tag: "Frame"
  /** Message type from the header (1..5; anything else is a header error). */
  readonly type: number
  /** The whole message, header included. */
  readonly bytes: Uint8Array
  /** Body range within `bytes`: always 19 .. bytes.length. */
  readonly bodyStart: number
  readonly bodyEnd: number
}

export interface Options {
  /** RFC 8654 negotiated: allow 65535-byte messages other than OPEN and KEEPALIVE. */
  readonly extendedMessage?: boolean
}

export class Framer {
  private chunks: Array<Uint8Array> = []
  /** Index of the first chunk still holding unread bytes, and the read offset in it. */
  private head = 0
  private pos = 0
  private buffered = 0
  /** Length and type of the frame whose header is already checked; 0 when none is. */
  private need = 0
  private type = 0
  private failure: WireError | undefined = undefined
  private extendedMessage: boolean
  private readonly scratch = new Uint8Array(Header.HEADER_LENGTH)

  constructor(options: Options = {}) {
    this.extendedMessage = options.extendedMessage ?? false
  }

  /**
   * Raise (or lower) the length limit after RFC 8654 negotiation. Applies to
   * headers not yet examined, so call it after handling the OPEN and before
   * asking for the next frame.
   */
  setExtendedMessage(on: boolean): void {
    this.extendedMessage = on
  }

  /** Bytes received and not yet returned in a frame (for read backpressure). */
  get bufferedBytes(): number {
    return this.buffered
  }

  /** The terminal error, once one occurred. */
  get error(): WireError | undefined {
    return this.failure
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.failure !== undefined) return
    if (this.buffered === 0) {
      this.chunks.length = 0
      this.chunks.push(chunk)
      this.head = 0
      this.pos = 0
    } else {
      this.chunks.push(chunk)
    }
    this.buffered += chunk.length
  }

  /** The next complete message, the (terminal) header error, or undefined when more bytes are needed. */
  next(): Frame | WireError | undefined {
    if (this.failure !== undefined) return this.failure
    if (this.need === 0) {
      if (this.buffered < Header.HEADER_LENGTH) return undefined
      let hb = this.chunks[this.head]!
      let at = this.pos
      if (hb.length - at < Header.HEADER_LENGTH) {
        this.peek(this.scratch, Header.HEADER_LENGTH)
        hb = this.scratch
        at = 0
      }
      const error = Header.check(hb, at, this.extendedMessage)
      if (error !== undefined) {
        this.failure = error
        this.chunks = []
        this.buffered = 0
        return error
      }
      this.need = (hb[at + 16]! << 8) | hb[at + 17]!
      this.type = hb[at + 18]!
    }
    const n = this.need
    if (this.buffered < n) return undefined
    const chunk = this.chunks[this.head]!
    let bytes: Uint8Array
    if (chunk.length - this.pos >= n) {
      bytes = chunk.subarray(this.pos, this.pos + n)
      this.pos += n
      if (this.pos === chunk.length) this.advance()
    } else {
      bytes = this.take(n)
    }
    this.buffered -= n
    this.need = 0
    return { _tag: "Frame", type: this.type, bytes, bodyStart: Header.HEADER_LENGTH, bodyEnd: n }
  }

  /** Move to the next chunk, dropping references to consumed ones. */
  private advance(): void {
    this.head++
    this.pos = 0
    if (this.head === this.chunks.length) {
      this.chunks.length = 0
      this.head = 0
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }

  /** Copy the next `n` buffered bytes into `out` without consuming them. */
  private peek(out: Uint8Array, n: number): void {
    let i = this.head
    let p = this.pos
    let k = 0
    while (k < n) {
      const c = this.chunks[i]!
      const m = Math.min(n - k, c.length - p)
      out.set(c.subarray(p, p + m), k)
      k += m
      i++
      p = 0
    }
  }

  /** Consume the next `n` buffered bytes into a fresh array (a frame spanning chunks). */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let k = 0
    while (k < n) {
      const c = this.chunks[this.head]!
      const m = Math.min(n - k, c.length - this.pos)
      out.set(c.subarray(this.pos, this.pos + m), k)
      k += m
      this.pos += m
      if (this.pos === c.length) this.advance()
    }
    return out
  }
}

export const make = (options: Options = {}): Framer => new Framer(options)
