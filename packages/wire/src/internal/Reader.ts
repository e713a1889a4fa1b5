/**
 * Bounds-checked big-endian cursor over a byte view. Callers check `remaining`
 * before reading; reads past `end` are a bug in the caller, so they are not
 * re-checked here (this is the hot path).
 */
export class Reader {
  readonly bytes: Uint8Array
  offset: number
  end: number

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes
    this.offset = offset
    this.end = end
  }

  get remaining(): number {
    return this.end - this.offset
  }

  u8(): number {
    return this.bytes[this.offset++]!
  }

  u16(): number {
    const b = this.bytes
    const o = this.offset
    this.offset = o + 2
    return (b[o]! << 8) | b[o + 1]!
  }

  u24(): number {
    const b = this.bytes
    const o = this.offset
    this.offset = o + 3
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!
  }

  u32(): number {
    const b = this.bytes
    const o = this.offset
    this.offset = o + 4
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0
  }

  /** A view (not a copy) of the next `n` bytes. */
  view(n: number): Uint8Array {
    const o = this.offset
    this.offset = o + n
    return this.bytes.subarray(o, o + n)
  }

  /** A copy of the next `n` bytes, for values that outlive the receive buffer. */
  copy(n: number): Uint8Array {
    const o = this.offset
    this.offset = o + n
    return this.bytes.slice(o, o + n)
  }
}
