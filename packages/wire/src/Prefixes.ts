/**
 * A block of IP prefixes of one AFI, stored as parallel typed arrays rather than
 * an object per prefix: `lengths[i]`, the address bytes at
 * `addresses[i * width .. (i + 1) * width]` (host bits zero), and, under ADD-PATH,
 * `pathIds[i]`. This is the NLRI form the codec produces and consumes.
 */
import { addressWidth, type Afi } from "./Family.js"

export interface Prefixes {
  readonly afi: Afi
  readonly count: number
  readonly lengths: Uint8Array
  readonly addresses: Uint8Array
  /** Present when the block came from, or is meant for, an ADD-PATH family (RFC 7911). */
  readonly pathIds: Uint32Array | undefined
}

export const empty = (afi: Afi): Prefixes => ({
  afi,
  count: 0,
  lengths: new Uint8Array(0),
  addresses: new Uint8Array(0),
  pathIds: undefined
})

export const width = (p: Prefixes): number => addressWidth(p.afi)

/** Grows typed arrays as prefixes are appended; `done()` trims them to size. */
export class Builder {
  readonly afi: Afi
  readonly width: number
  count = 0
  lengths: Uint8Array
  addresses: Uint8Array
  pathIds: Uint32Array | undefined

  constructor(afi: Afi, capacity = 16, withPathIds = false) {
    this.afi = afi
    this.width = addressWidth(afi)
    this.lengths = new Uint8Array(capacity)
    this.addresses = new Uint8Array(capacity * this.width)
    this.pathIds = withPathIds ? new Uint32Array(capacity) : undefined
  }

  private grow(): void {
    const cap = this.lengths.length * 2 || 16
    const lengths = new Uint8Array(cap)
    lengths.set(this.lengths)
    this.lengths = lengths
    const addresses = new Uint8Array(cap * this.width)
    addresses.set(this.addresses)
    this.addresses = addresses
    if (this.pathIds !== undefined) {
      const ids = new Uint32Array(cap)
      ids.set(this.pathIds)
      this.pathIds = ids
    }
  }

  /**
   * Append a prefix from `src[at ..]`, of which `ceil(length / 8)` bytes are read;
   * bits past `length` are cleared. `length` must not exceed the AFI's width in bits.
   */
  pushBytes(length: number, src: Uint8Array, at: number, pathId = 0): void {
    if (this.count === this.lengths.length) this.grow()
    const i = this.count++
    this.lengths[i] = length
    const base = i * this.width
    const full = length >>> 3
    const a = this.addresses
    for (let k = 0; k < full; k++) a[base + k] = src[at + k]!
    const rem = length & 7
    if (rem !== 0) a[base + full] = src[at + full]! & (0xff00 >>> rem)
    if (this.pathIds !== undefined) this.pathIds[i] = pathId
  }

  done(): Prefixes {
    const n = this.count
    return {
      afi: this.afi,
      count: n,
      lengths: this.lengths.slice(0, n),
      addresses: this.addresses.slice(0, n * this.width),
      pathIds: this.pathIds?.slice(0, n)
    }
  }
}

/** One prefix as plain data, for building blocks by hand and for tests. */
export interface Entry {
  readonly address: Uint8Array
  readonly length: number
  readonly pathId?: number
}

export const fromEntries = (afi: Afi, entries: ReadonlyArray<Entry>, withPathIds = false): Prefixes => {
  const b = new Builder(afi, Math.max(entries.length, 1), withPathIds)
  for (const e of entries) b.pushBytes(e.length, e.address, 0, e.pathId ?? 0)
  return b.done()
}

export const entry = (p: Prefixes, i: number): Entry => {
  const w = addressWidth(p.afi)
  const address = p.addresses.slice(i * w, (i + 1) * w)
  return p.pathIds === undefined
    ? { address, length: p.lengths[i]! }
    : { address, length: p.lengths[i]!, pathId: p.pathIds[i]! }
}

export const toEntries = (p: Prefixes): Array<Entry> => {
  const out: Array<Entry> = []
  for (let i = 0; i < p.count; i++) out.push(entry(p, i))
  return out
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export const equals = (a: Prefixes, b: Prefixes): boolean =>
  a.afi === b.afi &&
  a.count === b.count &&
  sameBytes(a.lengths, b.lengths) &&
  sameBytes(a.addresses, b.addresses) &&
  (a.pathIds === undefined
    ? b.pathIds === undefined
    : b.pathIds !== undefined && sameBytes(new Uint8Array(a.pathIds.buffer, a.pathIds.byteOffset, a.pathIds.byteLength), new Uint8Array(b.pathIds.buffer, b.pathIds.byteOffset, b.pathIds.byteLength)))

/** Bytes a prefix takes in NLRI encoding: length octet, address octets, and a path id under ADD-PATH. */
export const encodedSize = (length: number, addPath: boolean): number => (addPath ? 5 : 1) + ((length + 7) >>> 3)

/**
 * Decode an NLRI field (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3) from `bytes[start..end]`.
 * Returns a reason string when the field is malformed (a prefix length beyond the
 * address width, or a prefix running past the end), which callers map to the
 * RFC 7606 action for the field it came from.
 */
export const decode = (
  bytes: Uint8Array,
  start: number,
  end: number,
  afi: Afi,
  addPath: boolean
): Prefixes | string => {
  const maxBits = addressWidth(afi) * 8
  // One byte is the smallest possible prefix (a /0), so this bounds the count.
  const b = new Builder(afi, Math.max(1, Math.min(end - start, 4096) >>> (addPath ? 2 : 1)), addPath)
  let o = start
  while (o < end) {
    let pathId = 0
    if (addPath) {
      if (end - o < 5) return `path identifier and prefix length need 5 bytes at offset ${o - start}, ${end - o} left`
      pathId = ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0
      o += 4
    }
    const len = bytes[o++]!
    if (len > maxBits) return `prefix length ${len} exceeds ${maxBits} at offset ${o - 1 - start}`
    const n = (len + 7) >>> 3
    if (o + n > end) return `prefix /${len} needs ${n} bytes at offset ${o - start}, ${end - o} left`
    b.pushBytes(len, bytes, o, pathId)
    o += n
  }
  return b.done()
}

/**
 * Write prefixes `[from, to)` of `p` into `out` at `at`; returns the new offset.
 * The caller has checked the space with `encodedSize`. Path ids are written when
 * `addPath` is set (0 for a block without them) and left out otherwise.
 */
export const encodeRange = (
  p: Prefixes,
  from: number,
  to: number,
  addPath: boolean,
  out: Uint8Array,
  at: number
): number => {
  const w = addressWidth(p.afi)
  const ids = p.pathIds
  let o = at
  for (let i = from; i < to; i++) {
    if (addPath) {
      const id = ids === undefined ? 0 : ids[i]!
      out[o] = id >>> 24
      out[o + 1] = id >>> 16
      out[o + 2] = id >>> 8
      out[o + 3] = id
      o += 4
    }
    const len = p.lengths[i]!
    out[o++] = len
    const n = (len + 7) >>> 3
    const base = i * w
    for (let k = 0; k < n; k++) out[o + k] = p.addresses[base + k]!
    o += n
  }
  return o
}

/** Total NLRI bytes for the whole block. */
export const byteLength = (p: Prefixes, addPath: boolean): number => {
  let n = 0
  for (let i = 0; i < p.count; i++) n += encodedSize(p.lengths[i]!, addPath)
  return n
}
