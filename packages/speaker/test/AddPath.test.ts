import { describe, expect, test } from "bun:test"
import { MemoryTransport } from "@kbgp/fsm"
import { Effect, Either, Option } from "effect"
import { Family, Pack, Prefixes, Text } from "@kbgp/wire"
import * as Peer from "../src/internal/Peer.js"
import { SpeakerError } from "../src/SpeakerError.js"
import { desired, established, router, run, speaker, untilEffect, type Router } from "./helpers/SpeakerHarness.js"

/** Paths of 203.0.113.0/24 with the given ids, each with its own MED, sent over the router's session. */
const sendPaths = (r: Router, ids: ReadonlyArray<number>, withdraw = false) =>
  Effect.gen(function* () {
    const n = Option.getOrThrow(yield* r.session.negotiated)
    const address = Either.getOrThrow(Text.parseAddress("203.0.113.0")).bytes
    const prefixes = Prefixes.fromEntries(Family.Afi.Ipv4, ids.map((pathId) => ({ address, length: 24, pathId })), true)
    const nextHop = Either.getOrThrow(Text.parseAddress(r.address)).bytes
    const messages = withdraw
      ? Pack.packWithdrawals(1, 1, prefixes, n.tx)
      : ids.flatMap((id) =>
          Pack.packUpdates(
            { origin: 0, asPath: [{ type: 2, asns: [r.asn] }], nextHop, med: id * 10 },
            { afi: 1, safi: 1, prefixes: Prefixes.fromEntries(Family.Afi.Ipv4, [{ address, length: 24, pathId: id }], true) },
            n.tx
          )
        )
    yield* r.session.send(messages, { session: n })
  })

describe("ADD-PATH receive (RFC 7911)", () => {
  test("with addPathReceive, several paths of one prefix are kept by path id, and a withdrawal removes only its path", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true, addPathReceive: ["ipv4-unicast"] }]))
        const r = yield* router(net, { address: "10.0.0.2", fsm: { capabilities: { addPath: [{ family: Family.Ipv4Unicast, mode: "send" }] } } })
        yield* established(r)
        const peers = yield* s.speaker.peers
        expect(peers[0]!.negotiated?.addPath).toEqual({ receive: ["ipv4-unicast"], send: [] })

        yield* sendPaths(r, [1, 2, 3])
        const received = Effect.orDie(s.speaker.routes({ peer: "r", direction: "received" }))
        yield* untilEffect("three paths", Effect.map(received, (x) => x.length === 3))
        expect((yield* received).map((x) => [x.prefix, x.pathId]).sort()).toEqual([
          ["203.0.113.0/24", 1],
          ["203.0.113.0/24", 2],
          ["203.0.113.0/24", 3]
        ])

        yield* sendPaths(r, [2], true)
        yield* untilEffect("path 2 withdrawn", Effect.map(received, (x) => x.length === 2))
        expect((yield* received).map((x) => x.pathId).sort()).toEqual([1, 3])
      })
    ))

  test("without it the capability is not offered, so the peer sends one path per prefix", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        yield* s.speaker.apply(desired([{ name: "r", address: "10.0.0.2", asn: 65002, passive: true }]))
        const r = yield* router(net, { address: "10.0.0.2", fsm: { capabilities: { addPath: [{ family: Family.Ipv4Unicast, mode: "send" }] } } })
        yield* established(r)
        const n = Option.getOrThrow(yield* r.session.negotiated)
        expect(n.addPath.send.size).toBe(0)
        expect((yield* s.speaker.peers)[0]!.negotiated?.addPath).toEqual({ receive: [], send: [] })
      })
    ))

  test("addPathReceive names families of the peer, reaches the OPEN, and changing it resets the session", () => {
    const ok = (c: Parameters<typeof Peer.settings>[0]) => {
      const r = Peer.settings(c, "peers[0]")
      if (r instanceof SpeakerError) throw r
      return r
    }
    const a = ok({ address: "192.0.2.1", asn: 65000, families: ["ipv4-unicast", "ipv6-unicast"], addPathReceive: ["ipv6-unicast", "ipv6-unicast"] })
    expect(a.addPathReceive).toEqual([Family.Ipv6Unicast])
    expect(Peer.sessionConfig(a, { routerId: 1, localAs: 65001 }, {}, false).fsm.capabilities.addPath).toEqual([
      { family: Family.Ipv6Unicast, mode: "receive" }
    ])
    const bad = Peer.settings({ address: "192.0.2.1", asn: 65000, addPathReceive: ["ipv6-unicast"] }, "peers[2]")
    expect(bad instanceof SpeakerError ? [bad.path, bad.message] : "accepted").toEqual([
      "peers[2].addPathReceive[0]",
      expect.stringContaining("expected one of the peer's families (ipv4-unicast)")
    ])
    expect(Peer.resetFields(a, ok({ address: "192.0.2.1", asn: 65000, families: ["ipv4-unicast", "ipv6-unicast"] }))).toEqual(["addPathReceive"])
  })
})
