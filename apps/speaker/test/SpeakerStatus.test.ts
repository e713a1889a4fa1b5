/**
 * The status endpoint and reloads against a real `Speaker` on `MemoryTransport`
 * (from @kbgp/fsm): a BGP peer session in the same in-memory network, so the
 * documents show a real Established session, real counters and real routes.
 */
import { describe, expect, test } from "bun:test"
import { Effect, Either, Logger, LogLevel, Queue, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Config as FsmConfig, MemoryTransport, Session } from "@kbgp/fsm"
import { Speaker } from "@kbgp/speaker"
import { Message, Text } from "@kbgp/wire"
import * as Config from "../src/Config.js"
import * as Reload from "../src/Reload.js"
import * as Status from "../src/Status.js"
import * as StatusServer from "../src/StatusServer.js"

const yaml = (prefixes: ReadonlyArray<string>) => `routerId: 10.0.0.1
localAs: 65001
listener: { address: 10.0.0.1 }
peers:
  - { name: lab, address: 10.0.0.2, asn: 65002, passive: true }
routes:
  - prefixes: [${prefixes.join(", ")}]
    communities: [no-export]
    largeCommunities: ["65001:7:7"]
`

/** The next UPDATE that announces something (End-of-RIB markers skipped). */
const nextAnnouncement = (q: Queue.Dequeue<Message.Update>) =>
  Queue.take(q).pipe(
    Effect.repeat({ until: (u) => u.nlri.count > 0 }),
    Effect.timeout("5 seconds")
  )

const get = (handler: (r: Request) => Effect.Effect<Response>, pathAndQuery: string) =>
  Effect.flatMap(handler(new Request(`http://status${pathAndQuery}`)), (r) => Effect.promise(() => r.text()))

describe("status of a real speaker (MemoryTransport)", () => {
  test("peers, routes and metrics show the session and the routes; a reload adds a route without a reset", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-status-"))
    const file = path.join(dir, "speaker.yaml")
    fs.writeFileSync(file, yaml(["198.51.100.1/32"]))
    try {
      const out = await Effect.runPromise(
        Effect.gen(function* () {
          const speaker = yield* Speaker.make({ coalesce: "1 millis" })
          const reloads = yield* Status.makeReloads(file)
          const reloader = yield* Reload.make(file, speaker.apply, reloads)
          expect((yield* reloader.reload("start"))._tag).toBe("Applied")

          const peer = yield* Session.make({
            peerAddress: "10.0.0.1",
            localAddress: "10.0.0.2",
            mode: "active",
            fsm: FsmConfig.make({ localAs: 65002, peerAs: 65001, bgpId: Either.getOrThrow(Text.ipv4ToNumber("10.0.0.2")), jitter: false })
          })
          const updates = yield* Queue.unbounded<Message.Update>()
          yield* Effect.forkScoped(Stream.runForEach(Stream.filter(peer.received, (r): r is Message.Update => r._tag === "Update"), (u) => Queue.offer(updates, u)))
          yield* peer.awaitState("Established")
          const first = yield* nextAnnouncement(updates)

          const handler = StatusServer.handle(speaker, reloads)
          const peers = JSON.parse(yield* get(handler, "/v1/peers")) as Status.PeersDocument
          const routes = JSON.parse(yield* get(handler, "/v1/routes?peer=lab&direction=advertised")) as Status.RoutesDocument
          const metrics = yield* get(handler, "/metrics")

          fs.writeFileSync(file, yaml(["198.51.100.1/32", "198.51.100.2/32"]))
          const second = yield* reloader.reload("file")
          const next = yield* nextAnnouncement(updates)
          const after = yield* speaker.peer("lab")
          return { first, peers, routes, metrics, second, next, after }
        }).pipe(Effect.scoped, Effect.provide(MemoryTransport.layer()), Logger.withMinimumLogLevel(LogLevel.None))
      )
      expect(Text.formatPrefixes(out.first.nlri)).toEqual(["198.51.100.1/32"])
      expect(out.peers.peers).toHaveLength(1)
      expect(out.peers.peers[0]).toMatchObject({ name: "lab", address: "10.0.0.2", asn: 65002, state: "Established" })
      expect(out.peers.peers[0]!.negotiated?.families).toEqual(["ipv4-unicast"])
      expect(out.routes.routes).toEqual([
        expect.objectContaining({
          peer: "lab",
          direction: "advertised",
          family: "ipv4-unicast",
          prefix: "198.51.100.1/32",
          nextHop: "10.0.0.1",
          asPath: "65001",
          communities: ["no-export"],
          largeCommunities: ["65001:7:7"],
          stale: false
        })
      ])
      expect(out.metrics).toContain('kbgp_sessions{state="Established"} 1\n')
      expect(out.metrics).toContain('kbgp_peer_prefixes{peer="lab",family="ipv4-unicast",direction="advertised"} 1\n')
      expect(out.second).toMatchObject({ _tag: "Applied", result: { routesAdded: 1, peersReset: [] } })
      expect(Text.formatPrefixes(out.next.nlri)).toEqual(["198.51.100.2/32"])
      expect(out.after).toMatchObject({ state: "Established", establishedCount: 1 })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test("the example config is accepted by the speaker's own validation", async () => {
    const loaded = Either.getOrThrow(Config.parse(fs.readFileSync(path.join(import.meta.dir, "../examples/speaker.yaml"), "utf8"), { file: "speaker.yaml" }))
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const speaker = yield* Speaker.make()
        // Listener on port 0 so the test binds nothing fixed; the rest as written.
        return yield* Effect.either(speaker.apply({ ...loaded.desired, listener: { address: "10.0.0.1", port: 0 } }))
      }).pipe(Effect.scoped, Effect.provide(MemoryTransport.layer()), Logger.withMinimumLogLevel(LogLevel.None))
    )
    expect(result._tag).toBe("Right")
  })
})
