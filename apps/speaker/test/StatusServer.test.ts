import { describe, expect, test } from "bun:test"
import { Effect, Ref, type Scope } from "effect"
import * as Status from "../src/Status.js"
import * as StatusServer from "../src/StatusServer.js"
import * as Fake from "./helpers/FakeSpeaker.js"
import { advertised, received, torA, torB } from "./helpers/Peers.js"

/** A fake speaker with two peers and routes, served on 127.0.0.1 at a free port. */
const withServer = <A>(f: (url: string, fake: Fake.FakeSpeaker, reloads: Status.ReloadsRef) => Effect.Effect<A, unknown, Scope.Scope>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const fake = yield* Fake.make()
        yield* fake.setPeers([torA, torB])
        yield* fake.setRoutes("tor-a", "received", received)
        yield* fake.setRoutes("tor-a", "advertised", advertised)
        const reloads = yield* Status.makeReloads("/etc/kbgp/speaker.yaml")
        yield* Ref.update(reloads, (r) => ({ ...r, applied: 2, failed: 1, lastAppliedAt: 1_700_000_000_000, lastError: "bad" }))
        const server = yield* StatusServer.make(fake, { host: "127.0.0.1", port: 0 }, reloads)
        return yield* f(server.url, fake, reloads)
      })
    )
  )

const get = (url: string) =>
  Effect.promise(async () => {
    const r = await fetch(url)
    return { status: r.status, type: r.headers.get("content-type"), body: await r.text() }
  })

describe("status endpoint", () => {
  test("/v1/peers: every peer with state, uptime, negotiated capabilities, counters and last error", async () => {
    const r = await withServer((url) => get(`${url}/v1/peers`))
    expect(r.status).toBe(200)
    expect(r.type).toStartWith("application/json")
    const doc = JSON.parse(r.body) as Status.PeersDocument
    expect(doc.peers.map((p) => [p.name, p.state, p.uptime])).toEqual([
      ["tor-a", "Established", 3723],
      ["tor-b", "Active", 0]
    ])
    expect(doc.peers[0]!.negotiated?.families).toEqual(["ipv4-unicast", "ipv6-unicast"])
    expect(doc.peers[0]!.messages.sent.update).toBe(5)
    expect(doc.peers[0]!.lastError?.shutdown).toBe("maintenance")
  })

  test("/v1/routes for one peer and direction: every attribute as text, stale flag", async () => {
    const r = await withServer((url) => get(`${url}/v1/routes?peer=tor-a&direction=advertised`))
    expect(r.status).toBe(200)
    const doc = JSON.parse(r.body) as Status.RoutesDocument
    expect(doc.routes).toEqual(advertised.map((v) => ({ peer: "tor-a", direction: "advertised", ...v })))
    expect(doc.routes[0]).toMatchObject({ prefix: "198.51.100.10/32", nextHop: "192.0.2.1", communities: ["no-export", "65001:100"], stale: false })
  })

  test("/v1/routes without a peer or direction covers every peer both ways; family and limit filter", async () => {
    const all = await withServer((url) => get(`${url}/v1/routes`))
    const rows = (JSON.parse(all.body) as Status.RoutesDocument).routes
    expect(rows.map((x) => `${x.peer} ${x.direction} ${x.prefix}`)).toEqual([
      "tor-a received 0.0.0.0/0",
      "tor-a received 10.9.0.0/16",
      "tor-a advertised 198.51.100.10/32",
      "tor-a advertised 2001:db8:100::10/128"
    ])
    const v6 = await withServer((url) => get(`${url}/v1/routes?family=ipv6-unicast`))
    expect((JSON.parse(v6.body) as Status.RoutesDocument).routes.map((x) => x.prefix)).toEqual(["2001:db8:100::10/128"])
    const one = await withServer((url) => get(`${url}/v1/routes?peer=192.0.2.254&direction=received&limit=1`))
    expect((JSON.parse(one.body) as Status.RoutesDocument).routes.map((x) => x.prefix)).toEqual(["0.0.0.0/0"])
  })

  test("an empty route table is an empty list", async () => {
    const r = await withServer((url) => get(`${url}/v1/routes?peer=tor-b`))
    expect(JSON.parse(r.body)).toEqual({ routes: [] })
  })

  test("bad queries are 400, unknown peers and paths 404, writes 405 — each with a JSON error", async () => {
    const results = await withServer((url) =>
      Effect.all([
        get(`${url}/v1/routes?direction=in`),
        get(`${url}/v1/routes?family=evpn`),
        get(`${url}/v1/routes?limit=-1`),
        get(`${url}/v1/routes?prefix=10.0.0.0/8`),
        get(`${url}/v1/routes?peer=ghost`),
        get(`${url}/v2/peers`),
        Effect.promise(() => fetch(`${url}/v1/peers`, { method: "POST" }).then(async (r) => ({ status: r.status, body: await r.text() })))
      ])
    )
    expect(results.map((r) => [r.status, (JSON.parse(r.body) as { error: string }).error])).toEqual([
      [400, 'direction "in": expected received or advertised'],
      [400, 'family "evpn": expected ipv4-unicast or ipv6-unicast'],
      [400, 'limit "-1": expected a whole number ≥ 1'],
      [400, 'unknown parameter "prefix" (known: peer, direction, family, limit)'],
      [404, 'no peer "ghost"'],
      [404, "no such endpoint /v2/peers (see /)"],
      [405, "POST is not allowed: the status endpoint is read-only"]
    ])
  })

  test("/v1/speaker: counters and the reload record", async () => {
    const r = await withServer((url) => get(`${url}/v1/speaker`))
    const doc = JSON.parse(r.body) as Status.SpeakerDocument
    expect(doc.counters.peers).toBe(2)
    expect(doc.counters.established).toBe(1)
    expect(doc.config).toEqual({ file: "/etc/kbgp/speaker.yaml", applied: 2, failed: 1, lastAppliedAt: 1_700_000_000_000, lastError: "bad" })
  })

  test("/metrics is Prometheus text", async () => {
    const r = await withServer((url) => get(`${url}/metrics`))
    expect(r.status).toBe(200)
    expect(r.type).toBe("text/plain; version=0.0.4; charset=utf-8")
    expect(r.body).toContain('kbgp_sessions{state="Established"} 1\n')
    expect(r.body).toContain('kbgp_peer_prefixes{peer="tor-a",family="ipv4-unicast",direction="advertised"} 3\n')
    expect(r.body).toContain('kbgp_config_reloads_total{result="failed"} 1\n')
  })

  test("a port already in use is a StatusError that says so", async () => {
    const e = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const fake = yield* Fake.make()
          const first = yield* StatusServer.make(fake, { host: "127.0.0.1", port: 0 })
          return yield* Effect.flip(StatusServer.make(fake, first.address))
        })
      )
    )
    expect(e._tag).toBe("StatusError")
    expect(e.message).toMatch(/^cannot serve status on 127\.0\.0\.1:\d+: the port is in use/)
  })

  test("closing the scope closes the port", async () => {
    const url = await withServer((u) => Effect.succeed(u))
    const refused = await fetch(`${url}/v1/peers`).then(
      () => false,
      () => true
    )
    expect(refused).toBe(true)
  })
})
