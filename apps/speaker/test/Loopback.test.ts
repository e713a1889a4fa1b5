/**
 * `bun run speaker` for real on loopback: src/main.ts as a child process with
 * its listener on 127.0.0.1 and a high port, and a BGP peer in this process
 * (an @kbgp/fsm Session over the TCP transport, bound to 127.0.0.2). It checks
 * what a user sees: routes arrive with their attributes, a route added to the
 * file arrives without a session reset, `peers` shows the session, and SIGTERM
 * keeps the routes (no NOTIFICATION) when graceful restart was negotiated and
 * sends Cease 6/2 with a reason when it was not. No BIRD needed.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test"
import { Effect, Either, Logger, LogLevel, Queue, Stream } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { Config as FsmConfig, Session } from "@kbgp/fsm"
import { TcpTransport } from "@kbgp/speaker"
import { Message, Text } from "@kbgp/wire"
import type * as Status from "../src/Status.js"
import { spawn, type Child } from "./helpers/Child.js"

const APP = path.join(import.meta.dir, "..")

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-loopback-"))
  file = path.join(dir, "speaker.yaml")
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const freePort = async (): Promise<number> => {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

const config = (port: number, gracefulRestart: boolean, prefixes: ReadonlyArray<string>) => `routerId: 127.0.0.1
localAs: 65001
listener: { address: 127.0.0.1, port: ${port} }
peers:
  - name: lab
    address: 127.0.0.2
    asn: 65002
    passive: true
    holdTime: 9
    gracefulRestart: ${gracefulRestart}
routes:
  - prefixes: [${prefixes.join(", ")}]
    nextHop: 192.0.2.1          # loopback next hops are not host addresses to a receiver (RFC 4271 §5.1.3)
    communities: ["65001:100", no-export]
    largeCommunities: ["65001:1:2"]
    med: 20
`

/** The peer: AS 65002 at 127.0.0.2, connecting to the daemon. */
const peer = (port: number, gracefulRestart: boolean) =>
  Session.make({
    peerAddress: "127.0.0.1",
    peerPort: port,
    localAddress: "127.0.0.2",
    mode: "active",
    connectTimeout: "2 seconds",
    fsm: FsmConfig.make({
      localAs: 65002,
      peerAs: 65001,
      bgpId: Either.getOrThrow(Text.ipv4ToNumber("127.0.0.2")),
      holdTime: 9,
      connectRetryTime: 1,
      idleHoldTime: 1,
      jitter: false,
      capabilities: gracefulRestart ? { gracefulRestart: { restartTime: 120, restarting: false, notification: false } } : {}
    })
  })

/** Prefixes announced, in order, from the peer's `received` until `want` are all seen. */
const announced = (updates: Queue.Dequeue<Message.Update>, want: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const seen: Array<string> = []
    const withAttributes: Array<string> = []
    while (!want.every((p) => seen.includes(p))) {
      const u = yield* Queue.take(updates)
      const nlri = Text.formatPrefixes(u.nlri)
      seen.push(...nlri)
      if (nlri.length > 0) withAttributes.push(`${nlri.join(" ")} | ${Text.formatAttributes(u.attributes)}`)
    }
    return withAttributes
  }).pipe(Effect.timeout("10 seconds"))

const run = <A>(child: Child, port: number, gracefulRestart: boolean, body: (s: Session.Handle, updates: Queue.Dequeue<Message.Update>, events: Queue.Dequeue<Session.SessionEvent>) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* Effect.promise(() => child.waitFor((l) => l.msg === "speaker running"))
      const s = yield* peer(port, gracefulRestart)
      const events = yield* s.subscribe
      const updates = yield* Queue.unbounded<Message.Update>()
      yield* Effect.forkScoped(Stream.runForEach(Stream.filter(s.received, (r): r is Message.Update => r._tag === "Update"), (u) => Queue.offer(updates, u)))
      yield* s.awaitState("Established").pipe(Effect.timeout("10 seconds"))
      return yield* body(s, updates, events)
    }).pipe(Effect.scoped, Effect.provide(TcpTransport.layer), Logger.withMinimumLogLevel(LogLevel.None))
  )

/** Session events until the session is down (or 10 s). */
const untilDown = (events: Queue.Dequeue<Session.SessionEvent>) =>
  Effect.gen(function* () {
    const out: Array<Session.SessionEvent> = []
    while (true) {
      const e = yield* Queue.take(events)
      out.push(e)
      if (e._tag === "Down") return out
    }
  }).pipe(Effect.timeout("10 seconds"))

describe("bun run speaker on loopback", () => {
  test("routes arrive with their attributes; a route added to the file arrives without a reset; SIGTERM with graceful restart keeps the routes", async () => {
    const port = await freePort()
    fs.writeFileSync(file, config(port, true, ["198.51.100.1/32"]))
    const child = spawn(["src/main.ts", "--config", file, "--status", "127.0.0.1:0"], APP)
    const listening = await child.waitFor((l) => l.msg === "status endpoint listening")
    const status = String(listening.url).replace("http://", "")

    const result = await run(child, port, true, (s, updates, events) =>
      Effect.gen(function* () {
        const first = yield* announced(updates, ["198.51.100.1/32"])
        fs.writeFileSync(`${file}.tmp`, config(port, true, ["198.51.100.1/32", "198.51.100.2/32"]))
        fs.renameSync(`${file}.tmp`, file)
        const second = yield* announced(updates, ["198.51.100.2/32"])
        const state = yield* s.state
        const peers = yield* Effect.promise(() => fetch(`http://${status}/v1/peers`).then((r) => r.json() as Promise<Status.PeersDocument>))
        const table = yield* Effect.promise(async () => {
          const p = Bun.spawn(["bun", "src/main.ts", "peers", "--status", status], { cwd: APP, stdout: "pipe" })
          await p.exited
          return new Response(p.stdout).text()
        })
        child.signal("SIGTERM")
        const down = yield* untilDown(events)
        return { first, second, state, peers, table, down }
      })
    )
    expect(result.first).toEqual([
      "198.51.100.1/32 | origin igp, as-path 65001, next-hop 192.0.2.1, med 20, communities [65001:100 no-export], large-communities [65001:1:2]"
    ])
    expect(result.second[0]).toStartWith("198.51.100.2/32 |")
    expect(result.state).toBe("Established")
    expect(result.table).toMatch(/^PEER\s+ADDRESS\s+AS\s+STATE/)
    expect(result.table).toMatch(/\nlab\s+127\.0\.0\.2\s+65002\s+Established\s/)
    // Graceful restart: the connection closes without a NOTIFICATION, so the router keeps our routes.
    expect(result.down.filter((e) => e._tag === "NotificationReceived")).toEqual([])
    expect(await child.exited).toBe(0)
    // No reset on the route change: one Established, no reset logged.
    expect(result.peers.peers[0]).toMatchObject({ name: "lab", state: "Established", establishedCount: 1 })
    expect(child.lines.filter((l) => l.msg.startsWith("peer reset"))).toEqual([])
  }, 40_000)

  test("SIGTERM without graceful restart sends Cease 6/2 with the reason", async () => {
    const port = await freePort()
    fs.writeFileSync(file, config(port, false, ["198.51.100.1/32"]))
    const child = spawn(["src/main.ts", "--config", file, "--status", "off"], APP)
    const down = await run(child, port, false, (_s, updates, events) =>
      Effect.gen(function* () {
        yield* announced(updates, ["198.51.100.1/32"])
        child.signal("SIGTERM")
        return yield* untilDown(events)
      })
    )
    const notification = down.find((e) => e._tag === "NotificationReceived")
    expect(notification?._tag === "NotificationReceived" && notification.info.description).toBe("Cease / Administrative Shutdown")
    expect(notification?._tag === "NotificationReceived" && notification.info.shutdown?.text).toBe("kbgp speaker stopping (SIGTERM)")
    expect(await child.exited).toBe(0)
  }, 40_000)
})
