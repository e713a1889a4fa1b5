import { describe, expect, test } from "bun:test"
import { Chunk, Effect, Exit, Fiber, Option, Scope, Stream, TestClock, TestContext } from "effect"
import * as MemoryTransport from "../src/MemoryTransport.js"
import type { TransportError } from "../src/Transport.js"

const run = <A, E>(eff: Effect.Effect<A, E, Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.provide(Effect.scoped(eff), TestContext.TestContext))

const A = { address: "10.0.0.1", port: 40000 }
const B = { address: "10.0.0.2", port: 179 }

const bytes = (...xs: Array<number>) => Uint8Array.from(xs)

/** Pull exactly `n` chunks from a stream that must not end first. */
const takeChunks = (s: Stream.Stream<Uint8Array, TransportError>, n: number) =>
  Effect.map(Stream.runCollect(Stream.take(s, n)), Chunk.toArray)

describe("MemoryTransport pair", () => {
  test("bytes written on one end arrive in order on the other, as copies", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const [a, b] = net.pair(A, B)
        const buf = bytes(1, 2, 3)
        yield* a.write(buf)
        buf[0] = 99
        yield* a.write(bytes(4))
        const got = yield* takeChunks(b.reads, 2)
        expect(got).toEqual([bytes(1, 2, 3), bytes(4)])
        expect(a.written()).toEqual(bytes(1, 2, 3, 4))
        expect(b.remote).toEqual(A)
        expect(a.peer.id).toBe(b.id)
      })
    ))

  test("close delivers what was queued, then ends the peer's reads; later writes fail", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const [a, b] = net.pair(A, B)
        yield* a.write(bytes(7))
        yield* a.close
        const got = yield* Stream.runCollect(b.reads)
        expect(Chunk.toArray(got)).toEqual([bytes(7)])
        const w = yield* Effect.exit(b.write(bytes(1)))
        expect(Exit.isFailure(w)).toBe(true)
        expect(a.isClosed()).toBe(true)
        // Our own reads end too: a closed socket reads nothing more.
        expect(Chunk.size(yield* Stream.runCollect(a.reads))).toBe(0)
      })
    ))

  test("abort resets both ends: reads fail with a Read error, queued bytes are lost", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const [a, b] = net.pair(A, B)
        yield* a.write(bytes(1))
        yield* a.abort("peer vanished")
        const r = yield* Effect.either(Stream.runCollect(b.reads))
        expect(r._tag).toBe("Left")
        if (r._tag === "Left") {
          expect(r.left.reason).toBe("Read")
          expect(r.left.detail).toBe("peer vanished")
        }
        const w = yield* Effect.either(a.write(bytes(2)))
        expect(w._tag === "Left" && w.left.reason).toBe("Write")
      })
    ))

  test("a writer waits while the reader lags above the high-water mark, and resumes when it reads", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make({ highWater: 10, lowWater: 0 })
        const [a, b] = net.pair(A, B)
        yield* a.write(new Uint8Array(8))
        const blocked = yield* Effect.fork(a.write(new Uint8Array(8)))
        yield* Effect.yieldNow()
        expect(Option.isNone(yield* Fiber.poll(blocked))).toBe(true)
        expect(a.unread()).toBe(16)
        yield* takeChunks(b.reads, 2)
        yield* Fiber.join(blocked)
        expect(a.unread()).toBe(0)
      })
    ))
})

describe("MemoryTransport connect and listen", () => {
  test("connect reaches the listener bound to the address and reports both endpoints", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const listener = yield* net.transport.listen(B)
        const client = yield* net.transport.connect({ ...B, localAddress: A.address, timeout: "5 seconds" })
        const [server] = Chunk.toArray(yield* Stream.runCollect(Stream.take(listener.connections, 1)))
        expect(server!.remote.address).toBe("10.0.0.1")
        expect(server!.local).toEqual(B)
        expect(client.remote).toEqual(B)
        yield* client.write(bytes(5))
        expect(yield* takeChunks(server!.reads, 1)).toEqual([bytes(5)])
        expect(net.attempts().length).toBe(1)
      })
    ))

  test("a wildcard listener accepts connections to any address on its port", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const listener = yield* net.transport.listen({ address: "0.0.0.0", port: 179 })
        yield* net.transport.connect({ ...B, timeout: "1 second" })
        const got = yield* Stream.runCollect(Stream.take(listener.connections, 1))
        expect(Chunk.unsafeHead(got).local.address).toBe("10.0.0.2")
      })
    ))

  test("connect with nothing listening is refused; listening twice is AddressInUse", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const r = yield* Effect.either(net.transport.connect({ ...B, timeout: "1 second" }))
        expect(r._tag === "Left" && r.left.reason).toBe("Refused")
        yield* net.transport.listen(B)
        const l = yield* Effect.either(net.transport.listen(B))
        expect(l._tag === "Left" && l.left.reason).toBe("AddressInUse")
      })
    ))

  test("scripted failures apply to the next connects, then connects succeed again", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        yield* net.transport.listen(B)
        net.failNext(B.address, B.port, { _tag: "Fail", reason: "NoRoute" }, 2)
        const reasons: Array<string> = []
        for (let i = 0; i < 3; i++) {
          const r = yield* Effect.either(net.transport.connect({ ...B, timeout: "1 second" }))
          reasons.push(r._tag === "Left" ? r.left.reason : "ok")
        }
        expect(reasons).toEqual(["NoRoute", "NoRoute", "ok"])
      })
    ))

  test("a scripted timeout fails after the connect timeout on the Clock", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        net.setOutcome(B.address, B.port, { _tag: "Timeout" })
        const f = yield* Effect.fork(Effect.either(net.transport.connect({ ...B, timeout: "5 seconds" })))
        yield* TestClock.adjust("4 seconds")
        expect(Option.isNone(yield* Fiber.poll(f))).toBe(true)
        yield* TestClock.adjust("1 second")
        const r = yield* Fiber.join(f)
        expect(r._tag === "Left" && r.left.reason).toBe("Timeout")
      })
    ))

  test("a TCP-MD5 key mismatch with the listener looks like a timeout; the right key connects", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const listener = yield* net.transport.listen(B)
        yield* listener.setPeer(A.address, { md5Password: "secret" })
        const wrong = yield* Effect.fork(
          Effect.either(net.transport.connect({ ...B, localAddress: A.address, md5Password: "nope", timeout: "3 seconds" }))
        )
        yield* TestClock.adjust("3 seconds")
        const r = yield* Fiber.join(wrong)
        expect(r._tag === "Left" && r.left.reason).toBe("Timeout")
        const ok = yield* net.transport.connect({ ...B, localAddress: A.address, md5Password: "secret", timeout: "3 seconds" })
        expect(ok.remote).toEqual(B)
      })
    ))

  test("closing the connect scope closes the connection; closing the listener scope frees the port", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const listenerScope = yield* Scope.make()
        yield* Scope.extend(net.transport.listen(B), listenerScope)
        const connScope = yield* Scope.make()
        const client = yield* Scope.extend(net.transport.connect({ ...B, timeout: "1 second" }), connScope)
        yield* Scope.close(connScope, Exit.void)
        expect((client as MemoryTransport.MemoryConnection).isClosed()).toBe(true)
        yield* Scope.close(listenerScope, Exit.void)
        expect(net.listener(B.address, B.port)).toBeUndefined()
        yield* net.transport.listen(B)
      })
    ))
})
