import { describe, expect, test } from "bun:test"
import { Chunk, Effect, Either, Fiber, Stream } from "effect"
import fc from "fast-check"
import { ReadQueue } from "../src/internal/ReadQueue.js"

const source = () => {
  const s = { paused: false, pauses: 0, resumes: 0 }
  return {
    s,
    src: {
      pause: () => {
        s.paused = true
        s.pauses++
      },
      resume: () => {
        s.paused = false
        s.resumes++
      }
    }
  }
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill)

describe("ReadQueue", () => {
  test("pauses the source at the high-water mark and resumes it at the low-water mark", async () => {
    const { s, src } = source()
    const q = new ReadQueue<string>(src, 100, 40, 30)
    q.push(bytes(30))
    q.push(bytes(30))
    q.push(bytes(30))
    expect(s.paused).toBe(false)
    q.push(bytes(30))
    expect(s.paused).toBe(true)
    expect(q.queuedBytes).toBe(120)
    const pull = Stream.toPull(q.stream)
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const p = yield* pull
          yield* p // 30 taken: 90 queued, still above the low mark
          expect(s.paused).toBe(true)
          yield* p // 60
          expect(s.paused).toBe(true)
          yield* p // 30: at or below 40
          expect(s.paused).toBe(false)
        })
      )
    )
    expect(s.pauses).toBe(1)
    expect(s.resumes).toBe(1)
  })

  test("delivers every byte in order, then the end, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 40 }), async (chunks) => {
        const { s, src } = source()
        const q = new ReadQueue<string>(src, 256, 64, 100)
        const got = Effect.runPromise(Stream.runCollect(q.stream))
        for (const c of chunks) q.push(c)
        q.end()
        const out = Chunk.toArray(await got)
        expect(Buffer.concat(out)).toEqual(Buffer.concat(chunks))
        // The queue never held more than the high-water mark plus the chunk that crossed it.
        const largest = Math.max(0, ...chunks.map((c) => c.length))
        expect(q.maxQueued).toBeLessThanOrEqual(256 + largest)
        expect(s.paused).toBe(false)
      }),
      { numRuns: 200 }
    )
  })

  test("a consumer waiting on an empty queue wakes on push", async () => {
    const { src } = source()
    const q = new ReadQueue<string>(src, 100, 10, 100)
    const r = await Effect.runPromise(
      Effect.gen(function* () {
        const f = yield* Effect.fork(Stream.runCollect(Stream.take(q.stream, 1)))
        yield* Effect.yieldNow()
        q.push(bytes(5, 7))
        return yield* Fiber.join(f)
      })
    )
    expect(Chunk.toArray(r)).toEqual([bytes(5, 7)])
  })

  test("an error reaches the consumer after the bytes queued before it", async () => {
    const { src } = source()
    const q = new ReadQueue<string>(src, 100, 10, 100)
    q.push(bytes(3))
    q.fail("reset")
    const seen: Array<number> = []
    const r = await Effect.runPromise(
      Effect.either(Stream.runForEach(q.stream, (b) => Effect.sync(() => seen.push(b.length))))
    )
    expect(seen).toEqual([3])
    expect(r).toEqual(Either.left("reset"))
  })

  test("discard drops what is queued and ends the stream", async () => {
    const { src } = source()
    const q = new ReadQueue<string>(src, 100, 10, 100)
    q.push(bytes(3))
    q.discard()
    q.push(bytes(3))
    const r = await Effect.runPromise(Stream.runCollect(q.stream))
    expect(Chunk.size(r)).toBe(0)
    expect(q.queuedBytes).toBe(0)
  })
})
