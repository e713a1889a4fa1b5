/**
 * Prefix → dense index, for one address family, without an object per prefix.
 *
 * A prefix is `W` big-endian 32-bit words (W = 1 for IPv4, 4 for IPv6) and a length.
 * Index `i` keeps its words at `words[i*W ..]` and its length at `lengths[i]`; the hash
 * table is one Int32Array of indexes (open addressing, linear probing, load ≤ 0.5,
 * backward-shift deletion so there are no tombstones). Freed indexes are reused.
 * For IPv4 that is 4 + 1 bytes per prefix plus 4–16 bytes of slots.
 */

export class PrefixTable {
  readonly width: number
  readonly words: number
  count = 0
  /** Indexes are below `high`; `capacity` is the size of the per-index arrays. */
  high = 0
  capacity: number
  addr: Uint32Array
  lengths: Uint8Array
  private slots: Int32Array
  private mask: number
  private free: Array<number> = []
  /** Scratch key filled by `keyFrom`. */
  readonly key: Uint32Array
  keyLength = 0
  /** Called after the per-index arrays grew, so owners can grow theirs. */
  onGrow: (capacity: number) => void = () => {}

  constructor(width: 4 | 16, capacity = 1024) {
    this.width = width
    this.words = width >>> 2
    this.capacity = capacity
    this.addr = new Uint32Array(capacity * this.words)
    this.lengths = new Uint8Array(capacity)
    this.slots = new Int32Array(capacity * 2).fill(-1)
    this.mask = capacity * 2 - 1
    this.key = new Uint32Array(this.words)
  }

  /** Load the scratch key from prefix bytes `src[at ..]` of `length` bits (bytes past the length are ignored). */
  keyFrom(src: Uint8Array, at: number, length: number): void {
    const W = this.words
    const n = (length + 7) >>> 3
    for (let w = 0; w < W; w++) {
      let v = 0
      for (let b = 0; b < 4; b++) {
        const k = w * 4 + b
        v = (v << 8) | (k < n ? src[at + k]! : 0)
      }
      this.key[w] = v >>> 0
    }
    // Clear host bits (callers may pass addresses that have them).
    const full = length >>> 5
    const rem = length & 31
    if (full < W) {
      this.key[full] = rem === 0 ? 0 : (this.key[full]! & ~(0xffffffff >>> rem)) >>> 0
      for (let w = full + 1; w < W; w++) this.key[w] = 0
    }
    this.keyLength = length
  }

  private hashKey(): number {
    let h = Math.imul(this.keyLength + 1, 0x9e3779b1)
    for (let w = 0; w < this.words; w++) {
      h = Math.imul(h ^ this.key[w]!, 0x85ebca6b)
      h ^= h >>> 15
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    return (h ^ (h >>> 16)) & this.mask
  }

  private hashOf(i: number): number {
    let h = Math.imul(this.lengths[i]! + 1, 0x9e3779b1)
    const base = i * this.words
    for (let w = 0; w < this.words; w++) {
      h = Math.imul(h ^ this.addr[base + w]!, 0x85ebca6b)
      h ^= h >>> 15
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    return (h ^ (h >>> 16)) & this.mask
  }

  private equalsKey(i: number): boolean {
    if (this.lengths[i] !== this.keyLength) return false
    const base = i * this.words
    for (let w = 0; w < this.words; w++) if (this.addr[base + w] !== this.key[w]) return false
    return true
  }

  /** Index of the scratch key, or -1. */
  find(): number {
    for (let s = this.hashKey(); ; s = (s + 1) & this.mask) {
      const i = this.slots[s]!
      if (i === -1) return -1
      if (this.equalsKey(i)) return i
    }
  }

  /** Index of the scratch key, added if absent. */
  intern(): number {
    let s = this.hashKey()
    for (; ; s = (s + 1) & this.mask) {
      const i = this.slots[s]!
      if (i === -1) break
      if (this.equalsKey(i)) return i
    }
    const i = this.free.length > 0 ? this.free.pop()! : this.high++
    if (i >= this.capacity) this.growIndexes()
    const base = i * this.words
    for (let w = 0; w < this.words; w++) this.addr[base + w] = this.key[w]!
    this.lengths[i] = this.keyLength
    this.slots[s] = i
    this.count++
    if (this.count * 2 > this.mask + 1) this.rehash()
    return i
  }

  /** Remove index `i` from the table; it will be reused. */
  remove(i: number): void {
    let s = this.hashOf(i)
    while (this.slots[s] !== i) s = (s + 1) & this.mask
    // Backward-shift deletion (linear probing): move later members of the run into the hole.
    let hole = s
    for (let j = (s + 1) & this.mask; ; j = (j + 1) & this.mask) {
      const k = this.slots[j]!
      if (k === -1) break
      const home = this.hashOf(k)
      // k may move into the hole if its home is not in (hole, j] cyclically.
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j
      if (!inRange) {
        this.slots[hole] = k
        hole = j
      }
    }
    this.slots[hole] = -1
    this.free.push(i)
    this.count--
  }

  private growIndexes(): void {
    const cap = this.capacity * 2
    const addr = new Uint32Array(cap * this.words)
    addr.set(this.addr)
    this.addr = addr
    const lengths = new Uint8Array(cap)
    lengths.set(this.lengths)
    this.lengths = lengths
    this.capacity = cap
    this.onGrow(cap)
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2
    this.slots = new Int32Array(size).fill(-1)
    this.mask = size - 1
    const freed = this.free.length > 0 ? new Set(this.free) : undefined
    for (let i = 0; i < this.high; i++) {
      if (freed !== undefined && freed.has(i)) continue
      let s = this.hashOf(i)
      while (this.slots[s] !== -1) s = (s + 1) & this.mask
      this.slots[s] = i
    }
  }

  /** Write prefix `i`'s address (`width` bytes) into `out` at `at`. */
  writeAddress(i: number, out: Uint8Array, at: number): void {
    const base = i * this.words
    for (let w = 0; w < this.words; w++) {
      const v = this.addr[base + w]!
      const o = at + w * 4
      out[o] = v >>> 24
      out[o + 1] = v >>> 16
      out[o + 2] = v >>> 8
      out[o + 3] = v
    }
  }

  address(i: number): Uint8Array {
    const out = new Uint8Array(this.width)
    this.writeAddress(i, out, 0)
    return out
  }

  /** Bytes held by the arrays. */
  bytes(): number {
    return this.addr.byteLength + this.lengths.byteLength + this.slots.byteLength
  }
}
