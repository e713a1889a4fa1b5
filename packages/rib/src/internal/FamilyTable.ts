/**
 * The tables of one address family, as typed arrays.
 *
 * - prefixes: `PrefixTable` (prefix → dense index `pid`), with per-pid `head` (first
 *   Adj-RIB-In path of the prefix) and `best` (the Loc-RIB path, -1 for none);
 * - paths: one row per Adj-RIB-In path — prefix, peer, path id, pre-policy attribute set
 *   (`pIn`), post-policy set (`pOut`, -1 when import policy rejected it), flags, the next
 *   path of the same prefix (`pNext`) and a doubly linked list per peer (`qNext`/`qPrev`);
 * - per peer: the head of its path list and counters; its Adj-RIB-Out as a dense array of
 *   attribute-set id + 1 per pid (0 = not advertised).
 *
 * Path rows are reused through a free list threaded through `pNext`.
 */
import type { Family } from "@kbgp/wire"
import { IntList } from "./IntList.js"
import { PrefixTable } from "./PrefixTable.js"

export const Flag = {
  /** Graceful restart: kept for a restarting peer. */
  Stale: 1,
  /** RFC 9494: long-lived stale. */
  LlgrStale: 2,
  /** Seen in the current `replace`. */
  Keep: 4
} as const

const growI32 = (a: Int32Array, n: number, fill?: number): Int32Array => {
  const b = new Int32Array(n)
  b.set(a)
  if (fill !== undefined) b.fill(fill, a.length)
  return b
}

export class FamilyTable {
  readonly family: Family.FamilyKey
  readonly prefixes: PrefixTable
  head: Int32Array
  best: Int32Array
  /** Epoch of the last time each pid was marked dirty. */
  mark: Uint32Array

  pCap: number
  pPid: Int32Array
  pPeer: Uint16Array
  pId: Uint32Array
  pIn: Int32Array
  pOut: Int32Array
  pFlags: Uint8Array
  pNext: Int32Array
  qNext: Int32Array
  qPrev: Int32Array
  private pFree = -1
  pHigh = 0
  paths = 0

  /** Per peer: first path of its list (-1), and counters. */
  qHead: Array<number> = []
  received: Array<number> = []
  accepted: Array<number> = []
  stale: Array<number> = []
  bestCount: Array<number> = []
  /** Per peer: Adj-RIB-Out (attribute-set id + 1 per pid), present while the peer is up with this family. */
  out: Array<Int32Array | undefined> = []
  outCount: Array<number> = []
  locCount = 0

  /** Pids touched in the current operation, with the Loc-RIB best as it was before (snapshots). */
  readonly dirty = new IntList(1024)
  readonly snapPeer = new IntList(1024)
  readonly snapPathId = new IntList(1024)
  readonly snapAttr = new IntList(1024)
  readonly snapFlags = new IntList(1024)

  /** Next-hop reachability (0 unknown, 1 yes, 2 no) and IGP cost per attribute-set id, for this family. */
  reach = new Int8Array(0)
  igp = new Float64Array(0)

  constructor(family: Family.FamilyKey, width: 4 | 16) {
    this.family = family
    this.prefixes = new PrefixTable(width)
    const cap = this.prefixes.capacity
    this.head = new Int32Array(cap).fill(-1)
    this.best = new Int32Array(cap).fill(-1)
    this.mark = new Uint32Array(cap)
    this.prefixes.onGrow = (n) => {
      this.head = growI32(this.head, n, -1)
      this.best = growI32(this.best, n, -1)
      const m = new Uint32Array(n)
      m.set(this.mark)
      this.mark = m
    }
    this.pCap = 1024
    this.pPid = new Int32Array(this.pCap)
    this.pPeer = new Uint16Array(this.pCap)
    this.pId = new Uint32Array(this.pCap)
    this.pIn = new Int32Array(this.pCap)
    this.pOut = new Int32Array(this.pCap)
    this.pFlags = new Uint8Array(this.pCap)
    this.pNext = new Int32Array(this.pCap)
    this.qNext = new Int32Array(this.pCap)
    this.qPrev = new Int32Array(this.pCap)
  }

  ensurePeer(peer: number): void {
    while (this.qHead.length <= peer) {
      this.qHead.push(-1)
      this.received.push(0)
      this.accepted.push(0)
      this.stale.push(0)
      this.bestCount.push(0)
      this.out.push(undefined)
      this.outCount.push(0)
    }
  }

  private growPaths(): void {
    const n = this.pCap * 2
    this.pPid = growI32(this.pPid, n)
    const peer = new Uint16Array(n)
    peer.set(this.pPeer)
    this.pPeer = peer
    const id = new Uint32Array(n)
    id.set(this.pId)
    this.pId = id
    this.pIn = growI32(this.pIn, n)
    this.pOut = growI32(this.pOut, n)
    const flags = new Uint8Array(n)
    flags.set(this.pFlags)
    this.pFlags = flags
    this.pNext = growI32(this.pNext, n)
    this.qNext = growI32(this.qNext, n)
    this.qPrev = growI32(this.qPrev, n)
    this.pCap = n
  }

  /** The path of (peer, pathId) for a prefix, or -1. */
  findPath(pid: number, peer: number, pathId: number): number {
    for (let p = this.head[pid]!; p !== -1; p = this.pNext[p]!) {
      if (this.pPeer[p] === peer && this.pId[p] === pathId) return p
    }
    return -1
  }

  /** A new path row linked into its prefix chain and its peer list; attribute fields are the caller's. */
  addPath(pid: number, peer: number, pathId: number, attrIn: number, attrOut: number): number {
    let p = this.pFree
    if (p !== -1) this.pFree = this.pNext[p]!
    else {
      if (this.pHigh === this.pCap) this.growPaths()
      p = this.pHigh++
    }
    this.pPid[p] = pid
    this.pPeer[p] = peer
    this.pId[p] = pathId
    this.pIn[p] = attrIn
    this.pOut[p] = attrOut
    this.pFlags[p] = 0
    this.pNext[p] = this.head[pid]!
    this.head[pid] = p
    const h = this.qHead[peer]!
    this.qNext[p] = h
    this.qPrev[p] = -1
    if (h !== -1) this.qPrev[h] = p
    this.qHead[peer] = p
    this.paths++
    return p
  }

  /** Unlink path `p` from both lists and free its row (attribute references are the caller's). */
  removePath(p: number): void {
    const pid = this.pPid[p]!
    let q = this.head[pid]!
    if (q === p) this.head[pid] = this.pNext[p]!
    else {
      while (this.pNext[q] !== p) q = this.pNext[q]!
      this.pNext[q] = this.pNext[p]!
    }
    const peer = this.pPeer[p]!
    const next = this.qNext[p]!
    const prev = this.qPrev[p]!
    if (prev === -1) this.qHead[peer] = next
    else this.qNext[prev] = next
    if (next !== -1) this.qPrev[next] = prev
    if (this.best[pid] === p) this.best[pid] = -1
    this.pNext[p] = this.pFree
    this.pFree = p
    this.paths--
  }

  /** Bytes held by typed arrays (capacity). */
  bytes(): number {
    let n = this.prefixes.bytes() + this.head.byteLength + this.best.byteLength + this.mark.byteLength
    n += this.pPid.byteLength + this.pPeer.byteLength + this.pId.byteLength + this.pIn.byteLength + this.pOut.byteLength
    n += this.pFlags.byteLength + this.pNext.byteLength + this.qNext.byteLength + this.qPrev.byteLength
    for (const o of this.out) n += o?.byteLength ?? 0
    return n + this.reach.byteLength + this.igp.byteLength
  }
}
