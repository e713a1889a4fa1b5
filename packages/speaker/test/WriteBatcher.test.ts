import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { WriteBatcher } from "../src/internal/WriteBatcher.js"

/** A sink that accepts `capacity` writes before it asks to wait, and runs scheduled flushes on demand. */
const sink = (capacity = Infinity) => {
  const writes: Array<Uint8Array> = []
  const scheduled: Array<() => void> = []
  let accepted = 0
  return {
    writes,
    runScheduled: () => scheduled.splice(0).forEach((f) => f()),
    reset: () => {
      accepted = 0
    },
    sink: {
      write: (b: Uint8Array) => {
        writes.push(b)
        accepted++
        return accepted < capacity
      },
      schedule: (f: () => void) => {
        scheduled.push(f)
      }
    }
  }
}

const concat = (bs: ReadonlyArray<Uint8Array>) => Buffer.concat(bs)

describe("WriteBatcher", () => {
  test("coalesces many small writes into one socket write per scheduled flush", () => {
    const s = sink()
    const w = new WriteBatcher(s.sink, 64 * 1024, 1024)
    for (let i = 0; i < 1000; i++) w.enqueue(new Uint8Array(19).fill(i & 0xff))
    expect(s.writes.length).toBe(0)
    s.runScheduled()
    expect(s.writes.length).toBe(1)
    expect(s.writes[0].length).toBe(19000)
    expect(w.sinkWrites).toBe(1)
  })

  test("hands over full batches at once and keeps every byte in order", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 50 }), (parts) => {
        const s = sink()
        const w = new WriteBatcher(s.sink, 4096, 1024)
        for (const p of parts) w.enqueue(p)
        s.runScheduled()
        expect(concat(s.writes)).toEqual(concat(parts))
        expect(s.writes.every((b) => b.length <= 4096)).toBe(true)
        const total = parts.reduce((n, p) => n + p.length, 0)
        expect(s.writes.length).toBeLessThanOrEqual(Math.ceil(total / 4096) + 1)
        expect(w.pending).toBe(0)
      }),
      { numRuns: 300 }
    )
  })

  test("stops after write() === false until drained, and releases waiters at the low-water mark", () => {
    const s = sink(1)
    const w = new WriteBatcher(s.sink, 1000, 1500)
    w.enqueue(new Uint8Array(1000))
    expect(s.writes.length).toBe(1)
    expect(w.isBlocked).toBe(true)
    w.enqueue(new Uint8Array(3000))
    expect(s.writes.length).toBe(1)
    expect(w.pending).toBe(3000)
    let released = false
    w.whenAtMost(() => {
      released = true
    })
    s.reset()
    w.drained() // one more write, blocked again: 2000 pending
    expect(w.pending).toBe(2000)
    expect(released).toBe(false)
    s.reset()
    w.drained() // 1000 pending: at or below 1500
    expect(released).toBe(true)
    expect(w.blocks).toBe(3)
  })

  test("copies the caller's bytes, so a reused buffer does not change what is sent", () => {
    const s = sink()
    const w = new WriteBatcher(s.sink, 1024, 0)
    const buf = new Uint8Array([1, 2, 3])
    w.enqueue(buf)
    buf.fill(9)
    w.flush()
    expect([...s.writes[0]]).toEqual([1, 2, 3])
  })
})
