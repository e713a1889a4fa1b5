/**
 * The attribute-set interner: one `AttrSet` per distinct set of attributes, reference
 * counted. Tables hold ids (small integers in typed arrays) rather than objects, and
 * count one reference per route that uses the set; at zero the set is freed and its id
 * goes back to a free list.
 *
 * Lookup is by structural hash (`AttrSet.hash`) with a chain per hash value, then
 * structural equality, so equal sets always share one copy.
 */
import type { Attributes } from "@kbgp/wire"
import * as AttrSet from "./AttrSet.js"

export interface Interner {
  /** Number of live sets. */
  readonly size: number
  /** Highest id ever handed out, plus one: ids are below this. */
  readonly capacity: number
  /**
   * The shared set equal to `attributes`, created if needed, with its reference count
   * raised by `refs` (default 1; 0 only looks up / creates without holding it — a set
   * created that way is freed by the next `release` to zero or by `sweep`).
   */
  readonly intern: (attributes: Attributes.Attributes, refs?: number) => AttrSet.AttrSet
  /** Add `n` references to a live set. */
  readonly retain: (id: number, n?: number) => void
  /** Drop `n` references; the set is freed when its count reaches zero. */
  readonly release: (id: number, n?: number) => void
  /** The live set with this id. */
  readonly get: (id: number) => AttrSet.AttrSet | undefined
  /** Current reference count (0 for a free id). */
  readonly refCount: (id: number) => number
  /** Free every set that has no references (those interned with `refs = 0` and never retained). */
  readonly sweep: () => number
  /** Live sets in id order. */
  readonly values: () => IterableIterator<AttrSet.AttrSet>
}

export interface Options {
  /** Called once for each newly created set, before it is returned (the core derives best-path columns here). */
  readonly onCreate?: (set: AttrSet.AttrSet) => void
}

class InternerImpl implements Interner {
  private sets: Array<AttrSet.AttrSet | undefined> = []
  private refs = new Int32Array(1024)
  /** Next id with the same hash (-1 ends the chain). */
  private chain = new Int32Array(1024)
  private readonly heads = new Map<number, number>()
  private free: Array<number> = []
  private live = 0
  private readonly onCreate: ((set: AttrSet.AttrSet) => void) | undefined

  constructor(options: Options) {
    this.onCreate = options.onCreate
  }

  get size(): number {
    return this.live
  }

  get capacity(): number {
    return this.sets.length
  }

  intern = (attributes: Attributes.Attributes, refs = 1): AttrSet.AttrSet => {
    const h = AttrSet.hash(attributes)
    const head = this.heads.get(h)
    for (let id = head ?? -1; id !== -1; id = this.chain[id]!) {
      const s = this.sets[id]!
      if (AttrSet.equals(s.attributes, attributes)) {
        this.refs[id]! += refs
        return s
      }
    }
    const id = this.free.length > 0 ? this.free.pop()! : this.sets.length
    if (id >= this.refs.length) this.grow(id + 1)
    const set: AttrSet.AttrSet = { id, hash: h, attributes }
    this.sets[id] = set
    this.refs[id] = refs
    this.chain[id] = head ?? -1
    this.heads.set(h, id)
    this.live++
    this.onCreate?.(set)
    return set
  }

  private grow(min: number): void {
    let n = this.refs.length * 2
    while (n < min) n *= 2
    const refs = new Int32Array(n)
    refs.set(this.refs)
    this.refs = refs
    const chain = new Int32Array(n)
    chain.set(this.chain)
    this.chain = chain
  }

  retain = (id: number, n = 1): void => {
    if (this.sets[id] === undefined) throw new RangeError(`attribute set ${id} is not live`)
    this.refs[id]! += n
  }

  release = (id: number, n = 1): void => {
    const s = this.sets[id]
    if (s === undefined) throw new RangeError(`attribute set ${id} is not live`)
    const left = (this.refs[id]! -= n)
    if (left < 0) throw new RangeError(`attribute set ${id} released more often than retained`)
    if (left === 0) this.remove(s)
  }

  private remove(s: AttrSet.AttrSet): void {
    const id = s.id
    // Unlink from the hash chain.
    const head = this.heads.get(s.hash)!
    if (head === id) {
      const next = this.chain[id]!
      if (next === -1) this.heads.delete(s.hash)
      else this.heads.set(s.hash, next)
    } else {
      let p = head
      while (this.chain[p] !== id) p = this.chain[p]!
      this.chain[p] = this.chain[id]!
    }
    this.sets[id] = undefined
    this.refs[id] = 0
    this.free.push(id)
    this.live--
  }

  get = (id: number): AttrSet.AttrSet | undefined => this.sets[id]

  refCount = (id: number): number => (this.sets[id] === undefined ? 0 : this.refs[id]!)

  sweep = (): number => {
    let n = 0
    for (const s of this.sets) {
      if (s !== undefined && this.refs[s.id] === 0) {
        this.remove(s)
        n++
      }
    }
    return n
  }

  *values(): IterableIterator<AttrSet.AttrSet> {
    for (const s of this.sets) if (s !== undefined) yield s
  }
}

export const make = (options: Options = {}): Interner => new InternerImpl(options)
