import { describe, expect, test } from "bun:test"
import { Transport } from "@kbgp/fsm"
import { Chunk, Effect, Either, Exit, Fiber, Scope, Stream } from "effect"
import * as net from "node:net"
import * as TcpTransport from "../src/TcpTransport.js"
import { fdCount, fdsSettle, freePort, run } from "./helpers/Net.js"

const tcp = TcpTransport.make()
const text = (s: string) => new TextEncoder().encode(s)
const collectText = (reads: Stream.Stream<Uint8Array, Transport.TransportError>) =>
  Stream.runCollect(reads).pipe(Effect.map((c) => new TextDecoder().decode(Buffer.concat(Chunk.toArray(c)))))

/** A listener on `address`, one connection to it, and the accepted end. */
const pair = (t: TcpTransport.TcpTransport, address: string, connect: Partial<Transport.ConnectOptions> = {}) =>
  Effect.gen(function* () {
    const listener = yield* t.listen({ address, port: 0 })
    const client = yield* t.connect({ address, port: listener.local.port, timeout: "2 seconds", ...connect })
    const server = yield* Stream.runHead(listener.connections).pipe(Effect.flatMap(Effect.orDie))
    return { listener, client, server }
  })

describe("TcpTransport: connections", () => {
  for (const address of ["127.0.0.1", "::1"]) {
    test(`connects and accepts over ${address} and carries bytes both ways`, async () => {
      const r = await run(
        Effect.gen(function* () {
          const { listener, client, server } = yield* pair(tcp, address)
          expect(client.remote).toEqual({ address, port: listener.local.port })
          expect(server.remote).toEqual(client.local)
          expect(server.local).toEqual(client.remote)
          yield* client.write(text("ping"))
          const got = yield* Stream.runHead(server.reads)
          yield* server.write(text("pong"))
          yield* server.close
          const back = yield* collectText(client.reads)
          return { got: got._tag === "Some" ? new TextDecoder().decode(got.value) : "", back }
        })
      )
      expect(r).toEqual({ got: "ping", back: "pong" })
    })
  }

  test("binds the local address and port of an outgoing connection", async () => {
    const localPort = await freePort("127.0.0.2")
    const r = await run(
      Effect.gen(function* () {
        const { client, server } = yield* pair(tcp, "127.0.0.1", { localAddress: "127.0.0.2", localPort })
        return { client: client.local, server: server.remote }
      })
    )
    expect(r.client).toEqual({ address: "127.0.0.2", port: localPort })
    expect(r.server).toEqual({ address: "127.0.0.2", port: localPort })
  })

  test("a dual-stack listener reports IPv4 peers as plain IPv4 addresses", async () => {
    const r = await run(
      Effect.gen(function* () {
        const listener = yield* tcp.listen({ address: "::ffff:127.0.0.1", port: 0 })
        const client = yield* tcp.connect({ address: "127.0.0.1", port: listener.local.port, timeout: "2 seconds" })
        const server = yield* Stream.runHead(listener.connections).pipe(Effect.flatMap(Effect.orDie))
        return { listener: listener.local.address, remote: server.remote, local: client.local }
      })
    )
    expect(r.listener).toBe("127.0.0.1")
    expect(r.remote).toEqual(r.local)
  })

  test("64 MiB to a slow consumer: reading pauses, the queue stays within high water plus one chunk", async () => {
    const high = 256 * 1024
    const t = TcpTransport.make({ readHighWater: high, readLowWater: 64 * 1024, writeHighWater: 512 * 1024, writeLowWater: 128 * 1024 })
    const total = 64 * 1024 * 1024
    const message = 4096
    const r = await run(
      Effect.gen(function* () {
        const { client, server } = yield* pair(t, "127.0.0.1")
        let maxPending = 0
        const writer = yield* Effect.fork(
          Effect.gen(function* () {
            const buf = new Uint8Array(message)
            for (let sent = 0; sent < total; sent += message) {
              buf.fill((sent / message) & 0xff)
              yield* client.write(buf)
              const s = yield* client.stats
              if (s.pendingWriteBytes > maxPending) maxPending = s.pendingWriteBytes
            }
            yield* client.close
          })
        )
        let received = 0
        let corrupt = 0
        let pulls = 0
        yield* Stream.runForEach(server.reads, (chunk) =>
          Effect.gen(function* () {
            for (let i = 0; i < chunk.length; i += 997) {
              if (chunk[i] !== (Math.floor((received + i) / message) & 0xff)) corrupt++
            }
            received += chunk.length
            // A slow consumer: a pause every 512 KiB.
            if (++pulls % 8 === 0) yield* Effect.sleep("1 millis")
          })
        )
        yield* Fiber.join(writer)
        return { received, corrupt, maxPending, server: yield* server.stats, client: yield* client.stats }
      })
    )
    expect(r.received).toBe(total)
    expect(r.corrupt).toBe(0)
    expect(r.server.readPauses).toBeGreaterThan(0)
    expect(r.server.maxQueuedReadBytes).toBeLessThanOrEqual(high + r.server.largestReadChunk)
    // Writes were coalesced into 64 KiB socket writes, and the writer waited for the socket.
    expect(r.client.socketWrites).toBeLessThanOrEqual(total / (64 * 1024) + 16)
    expect(r.client.writeBlocks).toBeGreaterThan(0)
    expect(r.maxPending).toBeLessThanOrEqual(512 * 1024 + message)
  })

  test("a slow consumer on the outgoing side pauses the adopted socket too", async () => {
    const high = 128 * 1024
    const t = TcpTransport.make({ readHighWater: high, readLowWater: 32 * 1024 })
    const total = 8 * 1024 * 1024
    const r = await run(
      Effect.gen(function* () {
        const { client, server } = yield* pair(t, "127.0.0.1")
        yield* Effect.fork(
          Effect.gen(function* () {
            const buf = new Uint8Array(65536)
            for (let sent = 0; sent < total; sent += buf.length) yield* server.write(buf)
            yield* server.close
          })
        )
        let received = 0
        yield* Stream.runForEach(client.reads, (chunk) =>
          Effect.sync(() => {
            received += chunk.length
          }).pipe(Effect.zipRight(Effect.sleep("1 millis")))
        )
        return { received, stats: yield* client.stats }
      })
    )
    expect(r.received).toBe(total)
    expect(r.stats.readPauses).toBeGreaterThan(0)
    expect(r.stats.maxQueuedReadBytes).toBeLessThanOrEqual(high + r.stats.largestReadChunk)
  })

  test("thousands of small writes are coalesced into a few socket writes, in order", async () => {
    const r = await run(
      Effect.gen(function* () {
        const { client, server } = yield* pair(tcp, "127.0.0.1")
        for (let i = 0; i < 10_000; i++) yield* client.write(new Uint8Array(19).fill(i & 0xff))
        yield* client.close
        const all = Buffer.concat(Chunk.toArray(yield* Stream.runCollect(server.reads)))
        let ordered = all.length === 190_000
        for (let i = 0; i < 10_000 && ordered; i++) ordered = all[i * 19] === (i & 0xff) && all[i * 19 + 18] === (i & 0xff)
        return { ordered, writes: (yield* client.stats).socketWrites }
      })
    )
    expect(r.ordered).toBe(true)
    expect(r.writes).toBeLessThanOrEqual(8)
  })

  test("a writer suspends while the peer does not read and continues when it does", async () => {
    const t = TcpTransport.make({ writeHighWater: 256 * 1024, writeLowWater: 64 * 1024, readHighWater: 256 * 1024 })
    const total = 64 * 1024 * 1024
    const r = await run(
      Effect.gen(function* () {
        const { client, server } = yield* pair(t, "127.0.0.1")
        const writer = yield* Effect.fork(
          Effect.gen(function* () {
            const buf = new Uint8Array(16 * 1024)
            for (let sent = 0; sent < total; sent += buf.length) yield* client.write(buf)
            yield* client.close
          })
        )
        yield* Effect.sleep("300 millis")
        const stalled = (yield* Fiber.poll(writer))._tag === "None"
        const pendingWhileStalled = (yield* client.stats).pendingWriteBytes
        const received = yield* Stream.runFold(server.reads, 0, (n, c) => n + c.length)
        yield* Fiber.join(writer)
        return { stalled, pendingWhileStalled, received }
      })
    )
    expect(r.stalled).toBe(true)
    expect(r.pendingWhileStalled).toBeLessThanOrEqual(256 * 1024 + 16 * 1024)
    expect(r.received).toBe(total)
  })

  test("close flushes what is queued before the FIN, is idempotent, and later writes fail", async () => {
    const t = TcpTransport.make({ closeTimeout: "30 seconds" })
    const r = await run(
      Effect.gen(function* () {
        const { client, server } = yield* pair(t, "127.0.0.1")
        const reader = yield* Effect.fork(Stream.runFold(server.reads, 0, (n, c) => n + c.length))
        yield* client.write(new Uint8Array(3 * 1024 * 1024).fill(7))
        const started = performance.now()
        yield* client.close
        const took = performance.now() - started
        yield* client.close
        const after = yield* Effect.either(client.write(text("late")))
        return { received: yield* Fiber.join(reader), after, took }
      })
    )
    expect(r.received).toBe(3 * 1024 * 1024)
    expect(Either.isLeft(r.after) && r.after.left.reason).toBe("Write")
    // The peer closed in answer to our FIN: no waiting for the close timeout.
    expect(r.took).toBeLessThan(15_000)
  })

  test("close gives up waiting for a peer that never closes and destroys the socket", async () => {
    const t = TcpTransport.make({ closeTimeout: "150 millis" })
    // A half-open peer: it takes our FIN and keeps its own side open.
    const peers: Array<net.Socket> = []
    const server = net.createServer({ allowHalfOpen: true }, (s) => void peers.push(s))
    await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve))
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    try {
      const took = await run(
        Effect.gen(function* () {
          const client = yield* t.connect({ address: "127.0.0.1", port, timeout: "1 second" })
          const started = performance.now()
          yield* client.close
          return performance.now() - started
        })
      )
      expect(took).toBeGreaterThanOrEqual(100)
      expect(took).toBeLessThan(10_000)
    } finally {
      for (const p of peers) p.destroy()
      server.close()
    }
  })

  test("the peer's close ends reads; closing the scope destroys the socket and the peer sees the end", async () => {
    const r = await run(
      Effect.gen(function* () {
        const listener = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        const inner = yield* Scope.make()
        yield* tcp.connect({ address: "127.0.0.1", port: listener.local.port, timeout: "2 seconds" }).pipe(Scope.extend(inner))
        const server = yield* Stream.runHead(listener.connections).pipe(Effect.flatMap(Effect.orDie))
        yield* Scope.close(inner, Exit.void)
        return yield* Effect.either(Stream.runCollect(server.reads))
      })
    )
    expect(Either.isRight(r) || r.left.reason === "Read").toBe(true)
  })

  test("a reset by the peer fails reads with Read and later writes with Write", async () => {
    const server = net.createServer((s) => s.once("data", () => s.resetAndDestroy()))
    await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve))
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    try {
      const r = await run(
        Effect.gen(function* () {
          const client = yield* tcp.connect({ address: "127.0.0.1", port, timeout: "1 second" })
          yield* client.write(text("hello"))
          const read = yield* Effect.either(Stream.runDrain(client.reads))
          const write = yield* Effect.either(client.write(text("again")))
          return { read, write }
        })
      )
      expect(Either.isLeft(r.read) && r.read.left.reason).toBe("Read")
      if (Either.isLeft(r.read)) expect(r.read.left.detail).toContain("ECONNRESET")
      expect(Either.isLeft(r.write) && r.write.left.reason).toBe("Write")
    } finally {
      server.close()
    }
  })

  test("the layer provides the Transport tag", async () => {
    const r = await run(
      Effect.gen(function* () {
        const t = yield* Transport.Transport
        const l = yield* t.listen({ address: "127.0.0.1", port: 0 })
        const c = yield* t.connect({ address: "127.0.0.1", port: l.local.port, timeout: "1 second" })
        return c.remote.port === l.local.port
      }).pipe(Effect.provide(TcpTransport.layer))
    )
    expect(r).toBe(true)
  })
})

describe("TcpTransport: resources", () => {
  test("no fd survives connections, failures, interrupted connects and closed listeners", async () => {
    const before = fdCount()
    const port = await freePort("127.0.0.1")
    await run(
      Effect.gen(function* () {
        for (let i = 0; i < 20; i++) {
          yield* Effect.scoped(
            Effect.gen(function* () {
              const { client, server } = yield* pair(tcp, i % 2 === 0 ? "127.0.0.1" : "::1")
              yield* client.write(text("x"))
              yield* Stream.runHead(server.reads)
            })
          )
          yield* Effect.either(Effect.scoped(tcp.connect({ address: "127.0.0.1", port, timeout: "1 second" })))
        }
        // A connect interrupted while waiting for an answer (the listener drops our SYN: GTSM).
        yield* Effect.scoped(
          Effect.gen(function* () {
            const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
            yield* l.setPeer("127.0.0.1", { minTtl: 255 })
            const f = yield* Effect.fork(Effect.scoped(tcp.connect({ address: "127.0.0.1", port: l.local.port, ttl: 64, timeout: "10 seconds" })))
            yield* Effect.sleep("50 millis")
            yield* Fiber.interrupt(f)
          })
        )
        // Listens and connects that fail after the socket exists.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
            yield* Effect.either(Effect.scoped(tcp.listen({ address: "127.0.0.1", port: l.local.port })))
            yield* Effect.either(Effect.scoped(tcp.listen({ address: "192.0.2.1", port: 0 })))
            yield* Effect.either(Effect.scoped(tcp.connect({ address: "127.0.0.1", port: l.local.port, localPort: l.local.port, timeout: "1 second" })))
          })
        )
        // A listener closed with accepted connections nobody took.
        yield* Effect.scoped(
          Effect.gen(function* () {
            const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
            for (let i = 0; i < 3; i++) yield* Effect.forkScoped(tcp.connect({ address: "127.0.0.1", port: l.local.port, timeout: "1 second" }))
            yield* Effect.sleep("50 millis")
          })
        )
      })
    )
    expect(await fdsSettle(before)).toBeLessThanOrEqual(before)
  })

  test("closing the listener's scope closes it and the connections it accepted", async () => {
    const port = await run(
      Effect.gen(function* () {
        const outer = yield* Scope.make()
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 }).pipe(Scope.extend(outer))
        const client = yield* tcp.connect({ address: "127.0.0.1", port: l.local.port, timeout: "1 second" })
        yield* Stream.runHead(l.connections)
        yield* Scope.close(outer, Exit.void)
        const ended = yield* Effect.either(Stream.runCollect(client.reads))
        expect(Either.isRight(ended) || ended.left.reason === "Read").toBe(true)
        return l.local.port
      })
    )
    const again = await run(Effect.either(tcp.connect({ address: "127.0.0.1", port, timeout: "1 second" })))
    expect(Either.isLeft(again) && again.left.reason).toBe("Refused")
  })
})
