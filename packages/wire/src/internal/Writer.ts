/**
 * Growable big-endian writer. Length fields are reserved with `mark*` and filled
 * in later with `patch*`, so a message is written in one pass.
 */
export class Writer {
  bytes: Uint8Array
  offset = 0

  constructor(capacity = 4096) {
    this.bytes = new Uint8Array(capacity)
  }

  ensure(n: number): void {
    const need = this.offset + n
    if (need <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < need) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.offset))
    this.bytes = next
  }

  u8(v: number): void {
    this.ensure(1)
    this.bytes[this.offset++] = v
  }

  u16(v: number): void {
    this.ensure(2)
    const b = this.bytes
    const o = this.offset
    b[o] = v >>> 8
    b[o + 1] = v
    this.offset = o + 2
  }

  u24(v: number): void {
    this.ensure(3)
    const b = this.bytes
    const o = this.offset
    b[o] = v >>> 16
    b[o + 1] = v >>> 8
    b[o + 2] = v
    this.offset = o + 3
  }

  u32(v: number): void {
    this.ensure(4)
    const b = this.bytes
    const o = this.offset
    b[o] = v >>> 24
    b[o + 1] = v >>> 16
    b[o + 2] = v >>> 8
    b[o + 3] = v
    this.offset = o + 4
  }

  raw(src: Uint8Array): void {
    this.ensure(src.length)
    this.bytes.set(src, this.offset)
    this.offset += src.length
  }

  /** Reserve `n` bytes (1, 2) for a length filled in later by `patch8`/`patch16`. */
  mark(n: number): number {
    this.ensure(n)
    const at = this.offset
    this.offset += n
    return at
  }

  patch8(at: number, v: number): void {
    this.bytes[at] = v
  }

  patch16(at: number, v: number): void {
    this.bytes[at] = v >>> 8
    this.bytes[at + 1] = v
  }

  /** The written bytes as an exact-size copy (the writer may be reused). */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.offset)
  }
}
