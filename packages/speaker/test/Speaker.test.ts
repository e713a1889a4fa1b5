import { describe, expect, test } from "bun:test"
import { readFileSync } from "node:fs"
import { MemoryTransport } from "@kbgp/fsm"
import { Effect, Stream } from "effect"
import { Context as WireContext, Framer, Message, Notification, Text } from "@kbgp/wire"
import { advance, desired, established, router, run, speaker, SPEAKER, until, untilEffect, updates } from "./helpers/SpeakerHarness.js"

describe("Speaker", () => {
  test("two speakers exchange routes: attributes, End-of-RIB and both RIB views", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const a = yield* speaker(net)
        const b = yield* speaker(net)
        yield* a.speaker.apply(
          desired(
            [{ address: "10.0.0.2", asn: 65002, localAddress: "10.0.0.1", passive: true }],
            [{ prefixes: ["192.0.2.0/24", "198.51.100.0/24"], communities: ["65001:100", "no-export"], largeCommunities: ["65001:1:2"], med: 10 }]
          )
        )
        yield* b.speaker.apply({
          routerId: "10.0.0.2",
          localAs: 65002,
          peers: [{ address: "10.0.0.1", asn: 65001, localAddress: "10.0.0.2" }],
          routes: [{ prefix: "203.0.113.0/24" }]
        })
        yield* untilEffect("both Established", Effect.map(b.speaker.peers, (ps) => ps[0]?.state === "Established"))
        yield* advance(60)
        yield* until("B has A's routes", () => b.events.some((e) => e._tag === "EndOfRibReceived"))
        yield* until("A has B's routes", () => a.events.some((e) => e._tag === "EndOfRibReceived"))

        const atB = yield* b.speaker.routes({ peer: "10.0.0.1", direction: "received" })
        expect(atB.map((r) => r.prefix).sort()).toEqual(["192.0.2.0/24", "198.51.100.0/24"])
        expect(atB[0]).toMatchObject({
          nextHop: "10.0.0.1",
          origin: "igp",
          asPath: "65001",
          med: 10,
          communities: ["65001:100", "no-export"],
          largeCommunities: ["65001:1:2"],
          stale: false,
          accepted: true
        })
        const fromA = yield* a.speaker.routes({ peer: "10.0.0.2", direction: "advertised", family: "ipv4-unicast" })
        expect(fromA.map((r) => r.prefix).sort()).toEqual(["192.0.2.0/24", "198.51.100.0/24"])
        // eBGP: our AS first, no LOCAL_PREF.
        expect(fromA[0]!.asPath).toBe("65001")
        expect(fromA[0]!.localPref).toBeUndefined()
        const atA = yield* a.speaker.routes({ peer: "10.0.0.2", direction: "received" })
        expect(atA.map((r) => `${r.prefix} ${r.nextHop} ${r.asPath}`)).toEqual(["203.0.113.0/24 10.0.0.2 65002"])
        expect(a.events.some((e) => e._tag === "EndOfRibSent" && e.family === "ipv4-unicast")).toBe(true)
      })
    ))

  test("iBGP peers get LOCAL_PREF 100 and the AS path as configured; next hop self is the session's local address", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const r = yield* router(net, { address: "10.0.0.3", asn: SPEAKER.as })
        yield* s.speaker.apply(desired([{ address: "10.0.0.3", asn: SPEAKER.as, passive: true }], [{ prefix: "192.0.2.1/32", asPath: [64512] }]))
        yield* established(r)
        yield* advance(60)
        yield* until("route", () => r.table.size === 1)
        const attrs = r.table.get("192.0.2.1/32")!
        expect(attrs.localPref).toBe(100)
        expect(Text.formatAsPath(attrs.asPath!)).toBe("64512")
        expect(Text.formatNextHop(attrs.nextHop!)).toBe(SPEAKER.address)
      })
    ))

  test("an inbound connection from an unknown address gets Cease 6/5 before any OPEN, and is closed", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ address: "10.0.0.2", asn: 65002, passive: true }]))
        const conn = yield* net.transport.connect({ address: SPEAKER.address, port: 179, localAddress: "10.9.9.9", timeout: "1 second" })
        const bytes = yield* Stream.runFold(conn.reads, new Uint8Array(0), (acc, c) => {
          const out = new Uint8Array(acc.length + c.length)
          out.set(acc)
          out.set(c, acc.length)
          return out
        })
        const framer = Framer.make()
        framer.push(bytes)
        const frame = framer.next()
        expect(frame?._tag).toBe("Frame")
        const m = frame !== undefined && frame._tag === "Frame" ? Message.decodeFrame(frame, WireContext.defaults) : undefined
        expect(m).toMatchObject({ _tag: "Notification", code: Notification.ErrorCode.Cease, subcode: Notification.CeaseSubcode.ConnectionRejected })
        expect(framer.next()).toBeUndefined()
        expect((yield* s.speaker.counters).rejectedConnections).toBe(1)
        expect(s.events).toContainEqual({ _tag: "ConnectionRejected", remote: "10.9.9.9" })
      })
    ))

  test("introspection: state, uptime, negotiated capabilities, message and prefix counters", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const r = yield* router(net, { address: "10.0.0.2" })
        yield* s.speaker.apply(desired([{ name: "tor", address: "10.0.0.2", asn: 65002, passive: true }], [{ prefix: "192.0.2.0/24" }]))
        yield* established(r)
        yield* advance(60)
        yield* until("route", () => r.table.size === 1)
        yield* advance(5_000)
        const p = yield* s.speaker.peer("tor")
        expect(p.state).toBe("Established")
        expect(p.uptime).toBeGreaterThanOrEqual(5)
        expect(p.establishedCount).toBe(1)
        expect(p.negotiated).toMatchObject({ peerAs: 65002, peerId: "10.0.0.2", families: ["ipv4-unicast"], routeRefresh: true, enhancedRouteRefresh: true, asn4: true })
        expect(p.messages.sent.open).toBe(1)
        expect(p.messages.received.open).toBe(1)
        expect(p.messages.sent.update).toBe(2) // the route and End-of-RIB
        expect(p.families).toEqual([{ family: "ipv4-unicast", received: 0, accepted: 0, advertised: 1, notSent: 0, stale: 0 }])
        expect(p.updateGroup).toBeNumber()
        const byAddress = yield* s.speaker.peer("10.0.0.2")
        expect(byAddress.name).toBe("tor")
        const missing = yield* Effect.flip(s.speaker.peer("10.0.0.99"))
        expect(missing.reason).toBe("UnknownPeer")
        const c = yield* s.speaker.counters
        expect(c).toMatchObject({ peers: 1, established: 1, updateGroups: 1, localRoutes: { "ipv4-unicast": 1 } })
        expect(yield* s.speaker.listener).toEqual({ address: SPEAKER.address, port: 179 })
        expect(updates(r).length).toBe(2)
      })
    ))

  test("a wrong desired state is refused with the field path and the expected form, and nothing changes", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const bad = yield* Effect.flip(s.speaker.apply(desired([{ address: "10.0.0.2", asn: 65002 }], [{ prefix: "192.0.2.1/24" }])))
        expect(bad.reason).toBe("Config")
        expect(bad.path).toBe("routes[0].prefix")
        expect(bad.detail).toContain("did you mean 192.0.2.0/24")
        const badPeer = yield* Effect.flip(s.speaker.apply(desired([{ address: "10.0.0.2", asn: 0 }])))
        expect(badPeer.path).toBe("peers[0].asn")
        const dup = yield* Effect.flip(s.speaker.apply(desired([{ address: "10.0.0.2", asn: 1 }, { address: "10.0.0.2", asn: 2, name: "x" }])))
        expect(dup.path).toBe("peers[1].address")
        expect(yield* s.speaker.peers).toEqual([])
        expect(yield* s.speaker.desired).toBeUndefined()
      })
    ))
})

describe("README", () => {
  test("the speaker example runs and prints the routes, then keeps them stale after a graceful-restart stop", async () => {
    const proc = Bun.spawn([process.execPath, "test/examples/speaker.ts"], { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe" })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect(err).toBe("")
    expect(code).toBe(0)
    const readme = readFileSync(`${import.meta.dir}/../README.md`, "utf8")
    const section = readme.slice(readme.indexOf("## Speaker library"))
    const printed = /it prints:\n\n```\n([\s\S]*?)```/.exec(section)?.[1] ?? ""
    expect(out).toBe(printed)
  })

  test("the README shows the speaker example as it is in test/examples/speaker.ts", () => {
    const readme = readFileSync(`${import.meta.dir}/../README.md`, "utf8")
    const section = readme.slice(readme.indexOf("## Speaker library"))
    const shown = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? ""
    expect(shown).toBe(readFileSync(`${import.meta.dir}/examples/speaker.ts`, "utf8"))
  })
})
