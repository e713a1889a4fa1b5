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

// Zero-length views cannot be written through, so every empty block may share them.
const NO_BYTES = new Uint8Array(0)
const NO_IDS = new Uint32Array(0)

export const empty = (afi: Afi, withPathIds = false): Prefixes => ({
  afi,
  count: 0,
  lengths: NO_BYTES,
  addresses: NO_BYTES,
  pathIds: withPathIds ? NO_IDS : undefined
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
    // Exactly full: hand the arrays over instead of copying them.
    if (n === this.lengths.length) {
      return { afi: this.afi, count: n, lengths: this.lengths, addresses: this.addresses, pathIds: this.pathIds }
    }
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

/** Build a block from entries; host bits are cleared. Throws a RangeError for a length the AFI cannot hold. */
export const fromEntries = (afi: Afi, entries: ReadonlyArray<Entry>, withPathIds = false): Prefixes => {
  const w = addressWidth(afi)
  const b = new Builder(afi, Math.max(entries.length, 1), withPathIds)
  for (const e of entries) {
    if (!(e.length >= 0 && e.length <= w * 8 && Number.isInteger(e.length))) {
      throw new RangeError(`prefix length ${e.length} is not valid for AFI ${afi}`)
    }
    if (e.address.length < (e.length + 7) >>> 3) {
      throw new RangeError(`prefix /${e.length} needs ${(e.length + 7) >>> 3} address bytes, got ${e.address.length}`)
    }
    b.pushBytes(e.length, e.address, 0, e.pathId ?? 0)
  }
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

/** Prefixes `[from, to)` as a block of their own (views, not copies). */
export const slice = (p: Prefixes, from: number, to: number): Prefixes => {
  const w = addressWidth(p.afi)
  return {
    afi: p.afi,
    count: to - from,
    lengths: p.lengths.subarray(from, to),
    addresses: p.addresses.subarray(from * w, to * w),
    pathIds: p.pathIds?.subarray(from, to)
  }
}

/** Blocks of the same AFI joined in order. Path ids are kept only if every block has them. */
export const concat = (afi: Afi, blocks: ReadonlyArray<Prefixes>): Prefixes => {
  const w = addressWidth(afi)
  let n = 0
  let ids = blocks.length > 0
  for (const b of blocks) {
    if (b.afi !== afi) throw new RangeError(`cannot join AFI ${b.afi} prefixes into an AFI ${afi} block`)
    n += b.count
    ids &&= b.pathIds !== undefined
  }
  const lengths = new Uint8Array(n)
  const addresses = new Uint8Array(n * w)
  const pathIds = ids ? new Uint32Array(n) : undefined
  let at = 0
  for (const b of blocks) {
    lengths.set(b.lengths.subarray(0, b.count), at)
    addresses.set(b.addresses.subarray(0, b.count * w), at * w)
    if (pathIds !== undefined) pathIds.set(b.pathIds!.subarray(0, b.count), at)
    at += b.count
  }
  return { afi, count: n, lengths, addresses, pathIds }
}

const sameBytes = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Same AFI, same prefixes in the same order, and the same path ids (or both without). */
export const equals = (a: Prefixes, b: Prefixes): boolean =>
  a.afi === b.afi &&
  a.count === b.count &&
  sameBytes(a.lengths, b.lengths) &&
  sameBytes(a.addresses, b.addresses) &&
  (a.pathIds === undefined ? b.pathIds === undefined : b.pathIds !== undefined && sameBytes(a.pathIds, b.pathIds))

/** Bytes a prefix takes in NLRI encoding: length octet, address octets, and a path id under ADD-PATH. */
export const encodedSize = (length: number, addPath: boolean): number => (addPath ? 5 : 1) + ((length + 7) >>> 3)

/**
 * Decode an NLRI field (RFC 4271 §4.3, RFC 4760 §5, RFC 7911 §3) from `bytes[start..end]`.
 * Returns a reason string when the field is malformed (RFC 7606 §5.3: a prefix length
 * beyond the address width, or a prefix running past the end), which callers map to the
 * RFC 7606 action for the field it came from. Host bits are cleared.
 *
 * Two passes: the first validates and counts, so the second fills exact-size arrays
 * (no growth, no trimming copy, nothing allocated for a malformed field).
 */
export const decode = (
  bytes: Uint8Array,
  start: number,
  end: number,
  afi: Afi,
  addPath: boolean
): Prefixes | string => {
  const w = addressWidth(afi)
  const maxBits = w * 8
  const idBytes = addPath ? 4 : 0
  let count = 0
  let o = start
  while (o < end) {
    if (end - o <= idBytes) {
      return `path identifier and prefix length need 5 bytes at offset ${o - start}, ${end - o} left`
    }
    const len = bytes[o + idBytes]!
    if (len > maxBits) return `prefix length ${len} exceeds ${maxBits} at offset ${o + idBytes - start}`
    const next = o + idBytes + 1 + ((len + 7) >>> 3)
    if (next > end) return `prefix /${len} needs ${(len + 7) >>> 3} bytes at offset ${o + idBytes + 1 - start}, ${end - o - idBytes - 1} left`
    o = next
    count++
  }
  if (count === 0) return empty(afi, addPath)
  const lengths = new Uint8Array(count)
  const addresses = new Uint8Array(count * w)
  const pathIds = addPath ? new Uint32Array(count) : undefined
  o = start
  for (let i = 0; i < count; i++) {
    if (pathIds !== undefined) {
      pathIds[i] = ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0
      o += 4
    }
    const len = bytes[o++]!
    lengths[i] = len
    const full = len >>> 3
    const base = i * w
    for (let k = 0; k < full; k++) addresses[base + k] = bytes[o + k]!
    const rem = len & 7
    if (rem !== 0) addresses[base + full] = bytes[o + full]! & (0xff00 >>> rem)
    o += (len + 7) >>> 3
  }
  return { afi, count, lengths, addresses, pathIds }
}

/**
 * Write prefixes `[from, to)` of `p` into `out` at `at`; returns the new offset.
 * The caller has checked the space with `encodedSize`/`rangeSize`. Path ids are written
 * when `addPath` is set (0 for a block without them) and left out otherwise.
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
  const lengths = p.lengths
  const addresses = p.addresses
  const ids = addPath ? p.pathIds : undefined
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
    const len = lengths[i]!
    out[o++] = len
    const n = (len + 7) >>> 3
    const base = i * w
    for (let k = 0; k < n; k++) out[o + k] = addresses[base + k]!
    o += n
  }
  return o
}

/** NLRI bytes of prefixes `[from, to)`. */
export const rangeSize = (p: Prefixes, from: number, to: number, addPath: boolean): number => {
  const lengths = p.lengths
  let n = (to - from) * (addPath ? 5 : 1)
  for (let i = from; i < to; i++) n += (lengths[i]! + 7) >>> 3
  return n
}

/** Total NLRI bytes for the whole block. */
export const byteLength = (p: Prefixes, addPath: boolean): number => rangeSize(p, 0, p.count, addPath)
