import { describe, expect, test } from "bun:test"
import type { Transport } from "@kbgp/fsm"
import { Effect, Either, Stream } from "effect"
import * as TcpTransport from "../src/TcpTransport.js"
import { run } from "./helpers/Net.js"

const tcp = TcpTransport.make()
/** Long enough for a loopback handshake, short enough that a dropped SYN fails fast. */
const short = "300 millis"

const accept = (listener: TcpTransport.TcpListener) =>
  Stream.runHead(listener.connections).pipe(Effect.flatMap(Effect.orDie))

/** Connects to `listener` with `options`; the outcome as Either. */
const attempt = (listener: Transport.Listener, options: Partial<Transport.ConnectOptions> = {}) =>
  Effect.either(
    Effect.scoped(
      tcp.connect({ address: listener.local.address, port: listener.local.port, timeout: short, ...options })
    )
  )

const reasonOf = (e: Either.Either<unknown, Transport.TransportError>) => (Either.isLeft(e) ? e.left.reason : "ok")

describe("TCP-MD5 (RFC 2385)", () => {
  for (const address of ["127.0.0.1", "::1"]) {
    test(`matching keys establish over ${address}; the connection carries data`, async () => {
      const r = await run(
        Effect.gen(function* () {
          const l = yield* tcp.listen({ address, port: 0 })
          yield* l.setPeer(address, { md5Password: "kbgp-s3cret" })
          const c = yield* tcp.connect({ address, port: l.local.port, md5Password: "kbgp-s3cret", timeout: short })
          const s = yield* accept(l)
          yield* c.write(new Uint8Array([1, 2, 3]))
          const got = yield* Stream.runHead(s.reads)
          return got._tag === "Some" ? [...got.value] : []
        })
      )
      expect(r).toEqual([1, 2, 3])
    })
  }

  test("a wrong key, a missing key, or an unexpected key never establishes: Timeout that names the key", async () => {
    const r = await run(
      Effect.gen(function* () {
        const keyed = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        yield* keyed.setPeer("127.0.0.1", { md5Password: "right" })
        const plain = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        return {
          wrong: yield* attempt(keyed, { md5Password: "wrong" }),
          missing: yield* attempt(keyed),
          unexpected: yield* attempt(plain, { md5Password: "right" })
        }
      })
    )
    expect(reasonOf(r.wrong)).toBe("Timeout")
    expect(reasonOf(r.missing)).toBe("Timeout")
    expect(reasonOf(r.unexpected)).toBe("Timeout")
    if (Either.isLeft(r.wrong)) expect(r.wrong.left.detail).toContain("wrong or missing key on the peer")
  })

  test("the listener keeps one key per peer address, and setPeer(undefined) removes it", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        yield* l.setPeer("127.0.0.2", { md5Password: "key-two" })
        yield* l.setPeer("127.0.0.3", { md5Password: "key-three" })
        const from = (localAddress: string, md5Password?: string) =>
          attempt(l, md5Password === undefined ? { localAddress } : { localAddress, md5Password })
        const results = {
          twoWithTwo: reasonOf(yield* from("127.0.0.2", "key-two")),
          threeWithTwo: reasonOf(yield* from("127.0.0.3", "key-two")),
          threeWithThree: reasonOf(yield* from("127.0.0.3", "key-three")),
          twoWithout: reasonOf(yield* from("127.0.0.2"))
        }
        yield* l.setPeer("127.0.0.2", undefined)
        return { ...results, twoWithoutAfterRemoval: reasonOf(yield* from("127.0.0.2")) }
      })
    )
    expect(r).toEqual({
      twoWithTwo: "ok",
      threeWithTwo: "Timeout",
      threeWithThree: "ok",
      twoWithout: "Timeout",
      twoWithoutAfterRemoval: "ok"
    })
  })

  test("a dual-stack listener keys IPv4 peers too (as IPv4-mapped addresses)", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "::ffff:127.0.0.1", port: 0 })
        yield* l.setPeer("127.0.0.1", { md5Password: "mapped" })
        return {
          right: reasonOf(yield* attempt(l, { address: "127.0.0.1", md5Password: "mapped" })),
          wrong: reasonOf(yield* attempt(l, { address: "127.0.0.1", md5Password: "other" }))
        }
      })
    )
    expect(r).toEqual({ right: "ok", wrong: "Timeout" })
  })

  test("a password over 80 bytes is an Auth error, on connect and on setPeer", async () => {
    const long = "k".repeat(81)
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        return {
          connect: yield* attempt(l, { md5Password: long }),
          setPeer: yield* Effect.either(l.setPeer("127.0.0.1", { md5Password: long }))
        }
      })
    )
    expect(reasonOf(r.connect)).toBe("Auth")
    expect(reasonOf(r.setPeer)).toBe("Auth")
    if (Either.isLeft(r.connect)) expect(r.connect.left.detail).toContain("at most 80")
  })
})

describe("TTL and GTSM (RFC 5082)", () => {
  for (const address of ["127.0.0.1", "::1"]) {
    test(`outgoing TTL and minimum TTL over ${address} are set on the socket (read back with getsockopt)`, async () => {
      const r = await run(
        Effect.gen(function* () {
          const l = yield* tcp.listen({ address, port: 0 })
          // The listener answers with TTL 255, or the GTSM client would drop its SYN-ACK.
          yield* l.setPeer(address, { ttl: 255 })
          const multihop = yield* tcp.connect({ address, port: l.local.port, ttl: 5, timeout: short })
          const gtsm = yield* tcp.connect({ address, port: l.local.port, ttl: 255, minTtl: 254, timeout: short })
          const plain = yield* tcp.connect({ address, port: l.local.port, timeout: short })
          return { multihop: yield* multihop.socketOptions, gtsm: yield* gtsm.socketOptions, plain: yield* plain.socketOptions }
        })
      )
      expect(r.multihop).toEqual({ ttl: 5, minTtl: 0 })
      expect(r.gtsm).toEqual({ ttl: 255, minTtl: 254 })
      expect(r.plain.minTtl).toBe(0)
    })
  }

  test("minTtl alone sends with TTL 255, as RFC 5082 §3 requires of a GTSM sender", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        // The listening side of a GTSM session: minTtl alone makes it answer with TTL 255 too.
        yield* l.setPeer("127.0.0.1", { minTtl: 254 })
        const c = yield* tcp.connect({ address: "127.0.0.1", port: l.local.port, minTtl: 254, timeout: short })
        return yield* c.socketOptions
      })
    )
    expect(r).toEqual({ ttl: 255, minTtl: 254 })
  })

  test("a client sending with TTL 64 never reaches a listener with minTtl 255; with TTL 255 it does", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        yield* l.setPeer("127.0.0.1", { minTtl: 255 })
        const low = yield* attempt(l, { ttl: 64 })
        const high = yield* attempt(l, { ttl: 255 })
        return { low, high, listener: yield* l.socketOptions }
      })
    )
    expect(reasonOf(r.low)).toBe("Timeout")
    expect(reasonOf(r.high)).toBe("ok")
    // The listener answers with TTL 255 so that the peer's own GTSM check passes.
    expect(r.listener).toEqual({ ttl: 255, minTtl: 255 })
  })

  test("an outgoing minTtl drops a peer whose SYN-ACK arrives with TTL 64", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "::1", port: 0 })
        return yield* attempt(l, { minTtl: 255 })
      })
    )
    expect(reasonOf(r)).toBe("Timeout")
  })

  test("accepted connections carry their peer's TTL and minimum TTL; the listener the loosest of all", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        yield* l.setPeer("127.0.0.2", { ttl: 255, minTtl: 254 })
        yield* l.setPeer("127.0.0.3", { ttl: 3 })
        const listener = yield* l.socketOptions
        yield* tcp.connect({ address: "127.0.0.1", port: l.local.port, localAddress: "127.0.0.2", ttl: 255, timeout: short })
        const gtsm = yield* accept(l)
        yield* tcp.connect({ address: "127.0.0.1", port: l.local.port, localAddress: "127.0.0.3", timeout: short })
        const multihop = yield* accept(l)
        yield* tcp.connect({ address: "127.0.0.1", port: l.local.port, localAddress: "127.0.0.4", timeout: short })
        const unknown = yield* accept(l)
        yield* l.setPeer("127.0.0.2", undefined)
        yield* l.setPeer("127.0.0.3", undefined)
        return {
          listener,
          gtsm: yield* gtsm.socketOptions,
          multihop: yield* multihop.socketOptions,
          unknown: yield* unknown.socketOptions,
          emptied: yield* l.socketOptions
        }
      })
    )
    expect(r.listener).toEqual({ ttl: 255, minTtl: 0 })
    expect(r.gtsm).toEqual({ ttl: 255, minTtl: 254 })
    expect(r.multihop).toEqual({ ttl: 3, minTtl: 0 })
    expect(r.unknown.minTtl).toBe(0)
    expect(r.emptied.minTtl).toBe(0)
  })

  test("TTL values outside 1..255 are Config errors", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        return [
          reasonOf(yield* attempt(l, { ttl: 0 })),
          reasonOf(yield* attempt(l, { ttl: 256 })),
          reasonOf(yield* attempt(l, { minTtl: 300 })),
          reasonOf(yield* Effect.either(l.setPeer("127.0.0.2", { ttl: 1.5 })))
        ]
      })
    )
    expect(r).toEqual(["Config", "Config", "Config", "Config"])
  })
})
