import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as Context from "../src/Context.js"
import { Framer, type Frame } from "../src/Framer.js"
import * as Message from "../src/Message.js"
import * as WireError from "../src/WireError.js"
import * as Arb from "./arbitraries/Messages.js"

/** Extended messages, so that any generated UPDATE fits. */
const ctx = Context.make({ extendedMessage: true })

/** A header with `length` and `type` and a body of `length - 19` bytes of `fill`. */
const message = (type: number, length: number, fill = 0): Uint8Array => {
  const m = new Uint8Array(Math.max(length, 19)).fill(fill)
  m.fill(0xff, 0, 16)
  m[16] = length >>> 8
  m[17] = length & 0xff
  m[18] = type
  return m
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Cut `bytes` at the given points (any order, duplicates allowed: empty chunks are fine). */
const cut = (bytes: Uint8Array, points: ReadonlyArray<number>): Array<Uint8Array> => {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let prev = 0
  for (const p of [...at, bytes.length]) {
    chunks.push(bytes.slice(prev, p))
    prev = p
  }
  return chunks
}

const drain = (f: Framer, out: Array<Frame>): WireError.WireError | undefined => {
  for (;;) {
    const r = f.next()
    if (r === undefined) return undefined
    if (WireError.isWireError(r)) return r
    out.push(r)
  }
}

/** Valid frames with random bodies (the framer looks at headers only). */
const rawFrame: fc.Arbitrary<Uint8Array> = fc
  .oneof(
    fc.constant({ type: 4, bodyLength: 0 }),
    fc.record({ type: fc.constant(1), bodyLength: fc.integer({ min: 10, max: 300 }) }),
    fc.record({ type: fc.constant(2), bodyLength: fc.integer({ min: 4, max: 4077 }) }),
    fc.record({ type: fc.constant(3), bodyLength: fc.integer({ min: 2, max: 100 }) }),
    fc.record({ type: fc.constant(5), bodyLength: fc.constant(4) })
  )
  .chain(({ type, bodyLength }) =>
    fc.uint8Array({ minLength: bodyLength, maxLength: bodyLength }).map((body) => {
      const m = message(type, 19 + bodyLength)
      m.set(body, 19)
      return m
    })
  )

describe("Framer splits a stream into messages", () => {
  test("a stream cut at random points frames to the same messages, draining after every chunk", () => {
    fc.assert(
      fc.property(fc.array(rawFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, points) => {
        const f = new Framer()
        const out: Array<Frame> = []
        for (const chunk of cut(concat(frames), points)) {
          f.push(chunk)
          expect(drain(f, out)).toBeUndefined()
        }
        expect(out.map((x) => x.bytes)).toEqual(frames)
        expect(out.map((x) => x.type)).toEqual(frames.map((m) => m[18]!))
        expect(out.every((x) => x.bodyStart === 19 && x.bodyEnd === x.bytes.length)).toBe(true)
        expect(f.bufferedBytes).toBe(0)
      }),
      { numRuns: 300 }
    )
  })

  test("a stream cut at random points frames to the same messages when all chunks are pushed first", () => {
    fc.assert(
      fc.property(fc.array(rawFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, points) => {
        const f = new Framer()
        for (const chunk of cut(concat(frames), points)) f.push(chunk)
        const out: Array<Frame> = []
        expect(drain(f, out)).toBeUndefined()
        expect(out.map((x) => x.bytes)).toEqual(frames)
      }),
      { numRuns: 300 }
    )
  })

  test("decoded frames of a cut stream equal the encoded messages of every type", () => {
    fc.assert(
      fc.property(fc.array(Arb.message(ctx), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (msgs, points) => {
        const f = new Framer({ extendedMessage: true })
        const out: Array<Frame> = []
        for (const chunk of cut(concat(msgs.map((m) => Message.encode(m, ctx))), points)) {
          f.push(chunk)
          drain(f, out)
        }
        expect(out.map((x) => Message.decodeFrame(x, ctx))).toEqual(msgs)
      }),
      { numRuns: 200 }
    )
  })

  test("a frame inside one chunk is a view of it, not a copy", () => {
    const chunk = concat([message(4, 19), message(3, 25, 7)])
    const f = new Framer()
    f.push(chunk)
    const a = f.next() as Frame
    const b = f.next() as Frame
    expect(a.bytes.buffer).toBe(chunk.buffer)
    expect(b.bytes.buffer).toBe(chunk.buffer)
    expect(b.bytes.byteOffset).toBe(19)
    expect(f.next()).toBeUndefined()
  })

  test("a frame spanning chunks is copied once it is complete", () => {
    const m = message(2, 100, 9)
    const f = new Framer()
    f.push(m.subarray(0, 10))
    expect(f.next()).toBeUndefined()
    f.push(m.subarray(10, 60))
    expect(f.next()).toBeUndefined()
    expect(f.bufferedBytes).toBe(60)
    f.push(m.subarray(60))
    const r = f.next() as Frame
    expect(r.bytes).toEqual(m)
    expect(r.bytes.buffer).not.toBe(m.buffer)
  })

  test("one-byte chunks of a 65535-byte UPDATE frame correctly (no quadratic copying)", () => {
    const m = message(2, 65535, 3)
    const f = new Framer({ extendedMessage: true })
    for (let i = 0; i < m.length; i++) {
      f.push(m.subarray(i, i + 1))
      if (i < m.length - 1 && i % 4096 === 0) expect(f.next()).toBeUndefined()
    }
    expect((f.next() as Frame).bytes).toEqual(m)
  })

  test("empty chunks are ignored", () => {
    const f = new Framer()
    f.push(new Uint8Array(0))
    expect(f.next()).toBeUndefined()
    f.push(message(4, 19))
    f.push(new Uint8Array(0))
    expect((f.next() as Frame).type).toBe(4)
  })
})

describe("Framer header errors are terminal", () => {
  const errorOf = (bytes: Uint8Array, framer = new Framer()): WireError.WireError => {
    framer.push(bytes)
    const r = framer.next()
    expect(WireError.isWireError(r)).toBe(true)
    return r as WireError.WireError
  }

  test("a bad marker is 1/1 and every later call returns the same error", () => {
    const m = message(4, 19)
    m[0] = 0
    const f = new Framer()
    const e = errorOf(m, f)
    expect([e.code, e.subcode]).toEqual([1, 1])
    f.push(message(4, 19))
    expect(f.next()).toBe(e)
    expect(f.next()).toBe(e)
    expect(f.error).toBe(e)
  })

  test("an error after good frames still returns the good frames first", () => {
    const bad = message(4, 19)
    bad[18] = 9
    const f = new Framer()
    f.push(concat([message(4, 19), bad]))
    expect((f.next() as Frame).type).toBe(4)
    const e = f.next() as WireError.WireError
    expect([e.code, e.subcode, Array.from(e.data)]).toEqual([1, 3, [9]])
  })

  test("a length under 19 is 1/2 with the length field", () => {
    const e = errorOf(message(4, 3))
    expect([e.code, e.subcode, Array.from(e.data)]).toEqual([1, 2, [0, 3]])
  })

  test("a per-type length error is 1/2 (KEEPALIVE of 20 bytes)", () => {
    const e = errorOf(message(4, 20))
    expect([e.code, e.subcode, Array.from(e.data)]).toEqual([1, 2, [0, 20]])
  })

  test("the error is reported as soon as the header is in, before the body", () => {
    const f = new Framer()
    f.push(message(2, 5000).subarray(0, 19))
    const e = f.next() as WireError.WireError
    expect([e.code, e.subcode, Array.from(e.data)]).toEqual([1, 2, [0x13, 0x88]])
  })

  test("a header split across chunks is checked like any other", () => {
    const m = message(1, 20)
    const f = new Framer()
    for (let i = 0; i < 19; i++) f.push(m.subarray(i, i + 1))
    const e = f.next() as WireError.WireError
    expect([e.code, e.subcode]).toEqual([1, 2])
  })
})

describe("Framer extended messages (RFC 8654)", () => {
  test("an UPDATE over 4096 is an error until setExtendedMessage(true)", () => {
    const big = message(2, 10000)
    const before = new Framer()
    before.push(big)
    expect((before.next() as WireError.WireError).subcode).toBe(2)
    const after = new Framer()
    after.setExtendedMessage(true)
    after.push(big)
    expect((after.next() as Frame).bytes.length).toBe(10000)
  })

  test("raising the limit between frames applies to the next header", () => {
    const f = new Framer()
    f.push(concat([message(4, 19), message(2, 8000)]))
    expect((f.next() as Frame).type).toBe(4)
    f.setExtendedMessage(true)
    expect((f.next() as Frame).bytes.length).toBe(8000)
  })

  test("OPEN and KEEPALIVE stay limited to 4096 with extended messages", () => {
    for (const type of [1, 4]) {
      const f = new Framer({ extendedMessage: true })
      f.push(message(type, 4097))
      const e = f.next() as WireError.WireError
      expect([e.code, e.subcode]).toEqual([1, 2])
    }
  })

  test("a NOTIFICATION may be 65535 bytes with extended messages", () => {
    const f = new Framer({ extendedMessage: true })
    f.push(message(3, 65535))
    expect((f.next() as Frame).bytes.length).toBe(65535)
  })
})

describe("Framer on captured sessions (BIRD 2.0.12, GoBGP 3.10.0)", () => {
  const dir = join(import.meta.dir, "golden")
  const streams = readdirSync(dir).filter((f) => f.endsWith("-stream.hex"))

  test("there are captured streams", () => expect(streams.length).toBeGreaterThanOrEqual(2))

  for (const file of streams) {
    test(`${file}: cut at random points, frames to the captured messages`, () => {
      const msgs = readFileSync(join(dir, file), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => Uint8Array.from(l.match(/../g)!, (b) => parseInt(b, 16)))
      const stream = concat(msgs)
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 40 }), (points) => {
          const f = new Framer({ extendedMessage: true })
          const out: Array<Frame> = []
          for (const chunk of cut(stream, points)) {
            f.push(chunk)
            expect(drain(f, out)).toBeUndefined()
          }
          expect(out.map((x) => x.bytes)).toEqual(msgs)
        }),
        { numRuns: 50 }
      )
    })
  }
})
