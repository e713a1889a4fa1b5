/**
 * Every TransportError reason produced for real. The namespace and
 * unprivileged-user cases need root and iproute2 (CI has both); traffic goes
 * only to loopback or into namespaces created here, which have no route out.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Transport } from "@kbgp/fsm"
import { Effect, Either } from "effect"
import * as TcpTransport from "../src/TcpTransport.js"
import { freePort, hasCommand, netns, probe, run } from "./helpers/Net.js"

const tcp = TcpTransport.make()

const reasonOf = (e: Either.Either<unknown, Transport.TransportError>) => (Either.isLeft(e) ? e.left.reason : "ok")
const failure = async (effect: Effect.Effect<unknown, Transport.TransportError, never>) => {
  const r = await run(Effect.either(effect))
  if (Either.isRight(r)) throw new Error("expected a TransportError")
  return r.left
}
const connect = (options: Partial<Transport.ConnectOptions> & { address: string; port: number }) =>
  Effect.scoped(tcp.connect({ timeout: "1 second", ...options }))
const listen = (address: string, port: number) => Effect.scoped(tcp.listen({ address, port }))

describe("TransportError reasons on loopback", () => {
  for (const address of ["127.0.0.1", "::1"]) {
    test(`Refused: nothing listens on the port (${address}), with or without a TTL set`, async () => {
      const port = await freePort(address)
      const plain = await failure(connect({ address, port }))
      const multihop = await failure(connect({ address, port, ttl: 5 }))
      // The kernel's RST carries neither our MD5 signature nor TTL 255: with either, a refusal looks like silence.
      const gtsm = await failure(connect({ address, port, ttl: 255, minTtl: 254, timeout: "200 millis" }))
      const md5 = await failure(connect({ address, port, md5Password: "k", timeout: "200 millis" }))
      expect(plain.reason).toBe("Refused")
      expect(multihop.reason).toBe("Refused")
      expect(gtsm.reason).toBe("Timeout")
      expect(md5.reason).toBe("Timeout")
      expect(plain.detail).toContain("refused")
      expect(plain.address).toBe(address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`)
    })
  }

  test("AddressInUse: a second listener on the same address and port", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        return yield* Effect.either(listen("127.0.0.1", l.local.port))
      })
    )
    expect(reasonOf(r)).toBe("AddressInUse")
    if (Either.isLeft(r)) expect(r.left.detail).toContain("another socket already holds")
  })

  test("AddressInUse: an outgoing connection bound to a local port a listener holds", async () => {
    const r = await run(
      Effect.gen(function* () {
        const target = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        const held = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        return yield* Effect.either(
          connect({ address: "127.0.0.1", port: target.local.port, localAddress: "127.0.0.1", localPort: held.local.port })
        )
      })
    )
    expect(reasonOf(r)).toBe("AddressInUse")
  })

  test("Timeout: no SYN-ACK within the timeout (the listener's GTSM drops our SYN)", async () => {
    const r = await run(
      Effect.gen(function* () {
        const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
        yield* l.setPeer("127.0.0.1", { minTtl: 255 })
        const started = performance.now()
        const e = yield* Effect.either(connect({ address: "127.0.0.1", port: l.local.port, ttl: 1, timeout: "200 millis" }))
        return { e, took: performance.now() - started }
      })
    )
    expect(reasonOf(r.e)).toBe("Timeout")
    // It waited for the timeout, not for the kernel's own SYN retries (minutes).
    expect(r.took).toBeGreaterThanOrEqual(190)
    expect(r.took).toBeLessThan(10_000)
    if (Either.isLeft(r.e)) expect(r.e.left.detail).not.toContain("TCP-MD5")
  })

  test("Config: names instead of addresses, bad ports, mixed families, foreign local addresses, unknown zones", async () => {
    const l4 = await failure(
      Effect.scoped(
        Effect.gen(function* () {
          const l = yield* tcp.listen({ address: "127.0.0.1", port: 0 })
          return yield* l.setPeer("::1", { md5Password: "x" })
        })
      )
    )
    const reasons = [
      (await failure(connect({ address: "peer.example", port: 179 }))).reason,
      (await failure(connect({ address: "127.0.0.1", port: 0 }))).reason,
      (await failure(connect({ address: "127.0.0.1", port: 70000 }))).reason,
      (await failure(connect({ address: "::1", port: 179, localAddress: "127.0.0.1" }))).reason,
      (await failure(connect({ address: "fe80::1%kbgp-no-such-if", port: 179 }))).reason,
      // 192.0.2.1 (TEST-NET-1) is on no interface: binding fails locally, nothing is sent.
      (await failure(listen("192.0.2.1", 0))).reason,
      l4.reason
    ]
    expect(reasons).toEqual(["Config", "Config", "Config", "Config", "Config", "Config", "Config"])
    expect((await failure(listen("192.0.2.1", 0))).detail).toContain("not assigned to any local interface")
  })
})

const whyNot =
  process.getuid?.() !== 0
    ? "needs root (network namespaces, setpriv)"
    : !hasCommand("ip") || !hasCommand("setpriv")
      ? "needs iproute2 and setpriv"
      : undefined

describe.skipIf(whyNot !== undefined)(`TransportError reasons in namespaces (${whyNot ?? "root, ip and setpriv present"})`, () => {
  const name = `kbgp-spk-${process.pid}`
  let ns: ReturnType<typeof netns> | undefined

  beforeAll(() => {
    // Only loopback: no route anywhere, plus an unreachable, and a blackhole route; nothing can leave.
    ns = netns(name, [
      ["link", "add", "kbgp0", "type", "veth", "peer", "name", "kbgp1"],
      ["link", "set", "kbgp0", "up"],
      ["link", "set", "kbgp1", "up"],
      ["addr", "add", "fe80::2/64", "dev", "kbgp0", "nodad"],
      ["route", "add", "prohibit", "192.0.2.128/25"],
      ["route", "add", "unreachable", "198.51.100.0/24"],
      ["route", "add", "blackhole", "203.0.113.0/24"],
      ["-6", "route", "add", "unreachable", "2001:db8:1::/64"]
    ])
  })
  afterAll(() => ns?.remove())

  test("NoRoute: no route, an unreachable, a blackhole and a prohibit route, IPv4 and IPv6", async () => {
    const results = await probe(
      ["ip", "netns", "exec", name],
      [
        { op: "connect", address: "192.0.2.1", port: 179, timeoutMs: 1000 },
        { op: "connect", address: "198.51.100.1", port: 179, timeoutMs: 1000 },
        { op: "connect", address: "203.0.113.1", port: 179, timeoutMs: 1000 },
        { op: "connect", address: "2001:db8::1", port: 179, timeoutMs: 1000 },
        { op: "connect", address: "2001:db8:1::1", port: 179, timeoutMs: 1000 },
        { op: "connect", address: "192.0.2.129", port: 179, timeoutMs: 1000 }
      ]
    )
    expect(results.map((r) => (r.ok ? "ok" : r.reason))).toEqual(Array(6).fill("NoRoute"))
    const [none, unreachable] = results
    if (!none.ok) expect(none.detail).toContain("Network is unreachable")
    if (!unreachable.ok) expect(unreachable.detail).toContain("No route to host")
  })

  test("PermissionDenied: an unprivileged user binding port 179, with the fix in the message; root may", async () => {
    const nobody = ["ip", "netns", "exec", name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    const [v4, v6] = await probe(nobody, [
      { op: "listen", address: "127.0.0.1", port: 179 },
      { op: "listen", address: "::1", port: 179 }
    ])
    const [asRoot] = await probe(["ip", "netns", "exec", name], [{ op: "listen", address: "127.0.0.1", port: 179 }])
    expect(v4.ok ? "ok" : v4.reason).toBe("PermissionDenied")
    expect(v6.ok ? "ok" : v6.reason).toBe("PermissionDenied")
    if (!v4.ok) {
      expect(v4.detail).toContain("CAP_NET_BIND_SERVICE")
      expect(v4.detail).toContain("setcap cap_net_bind_service=+ep")
      expect(v4.detail).toContain("net.ipv4.ip_unprivileged_port_start=179")
    }
    expect(asRoot.ok).toBe(true)
  })

  test("IPv6 link-local peers with a zone (fe80::2%kbgp0) listen, connect and keep their zone out of the peer address", async () => {
    const [r] = await probe(["ip", "netns", "exec", name], [{ op: "pair", address: "fe80::2%kbgp0" }])
    expect(r.ok).toBe(true)
    if (r.ok) {
      const info = r.info as { client: { remote: { address: string } }; server: { remote: { address: string } } }
      expect(info.client.remote.address).toBe("fe80::2")
      expect(info.server.remote.address).toBe("fe80::2")
    }
  })
})
