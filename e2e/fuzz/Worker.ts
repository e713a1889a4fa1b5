/**
 * One fuzz worker: runs cases `from, from + stride, …` below `end`, publishes the
 * index it is on in shared memory (the supervisor's watchdog reads it to catch a
 * case that never returns), and posts every finding: an exception, a violated
 * promise (`Target.Violation`), or a case slower than the per-case bound.
 */
import * as Cases from "./Cases.js"
import * as Target from "./Target.js"

export interface Start {
  readonly seed: number
  readonly from: number
  readonly stride: number
  readonly end: number
  readonly caseMs: number
  /** Int32Array over a SharedArrayBuffer: [current index, cases done]. */
  readonly progress: Int32Array
}

export type Report =
  | { readonly _tag: "Ready" }
  | { readonly _tag: "Finding"; readonly index: number; readonly kind: "crash" | "violation" | "slow"; readonly error: string }
  | { readonly _tag: "Done"; readonly slowestMs: number; readonly slowestIndex: number }

declare const self: Worker

const describe = (e: unknown): string =>
  e instanceof Error ? `${e.name}: ${e.message}\n${(e.stack ?? "").split("\n").slice(1, 8).join("\n")}` : `non-Error thrown: ${String(e)}`

const rerunMillis = (pool: Cases.Pool, seed: number, index: number): number => {
  const c = Cases.generate(pool, seed, index)
  const t0 = performance.now()
  try {
    Target.run({ built: pool.profiles[c.profile]!.built, start: c.start, bytes: c.bytes, splits: c.splits, text: c.text })
  } catch {
    // already reported
  }
  return performance.now() - t0
}

self.onmessage = (ev: MessageEvent<Start>) => {
  const { seed, from, stride, end, caseMs, progress } = ev.data
  const pool = Cases.makePool(seed)
  self.postMessage({ _tag: "Ready" } satisfies Report)
  let done = 0
  let slowestMs = 0
  let slowestIndex = -1
  for (let i = from; i < end; i += stride) {
    Atomics.store(progress, 0, i)
    const c = Cases.generate(pool, seed, i)
    const t0 = performance.now()
    try {
      Target.run({ built: pool.profiles[c.profile]!.built, start: c.start, bytes: c.bytes, splits: c.splits, text: c.text })
    } catch (e) {
      const kind = e instanceof Target.Violation ? "violation" : "crash"
      self.postMessage({ _tag: "Finding", index: i, kind, error: describe(e) } satisfies Report)
    }
    const ms = performance.now() - t0
    if (ms > slowestMs) {
      slowestMs = ms
      slowestIndex = i
    }
    // A slow case is timed again before it counts: a GC pause or a busy machine is not a finding.
    if (ms > caseMs && rerunMillis(pool, seed, i) > caseMs) {
      self.postMessage({ _tag: "Finding", index: i, kind: "slow", error: `case took ${ms.toFixed(1)} ms (bound ${caseMs} ms)` } satisfies Report)
    }
    done++
    if ((done & 1023) === 0) Atomics.store(progress, 1, done)
  }
  Atomics.store(progress, 1, done)
  self.postMessage({ _tag: "Done", slowestMs, slowestIndex } satisfies Report)
}
