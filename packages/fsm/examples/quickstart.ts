// Two sessions over an in-memory network: they reach Established, A announces two prefixes, B receives them.
import { Effect, Either, Logger, LogLevel, Option, Queue, Stream } from "effect"
import { Family, Pack, Text } from "@kbgp/wire"
import { Config, MemoryTransport, Session, Transport } from "@kbgp/fsm"

const program = Effect.gen(function* () {
  const transport = yield* Transport.Transport

  // B (AS 65002, 10.0.0.2) only listens; the listener's owner routes each connection to its session.
  const listener = yield* transport.listen({ address: "10.0.0.2", port: 179 })
  const b = yield* Session.make({
    peerAddress: "10.0.0.1",
    localAddress: "10.0.0.2",
    mode: "passive",
    fsm: Config.make({ localAs: 65002, peerAs: 65001, bgpId: Either.getOrThrow(Text.ipv4ToNumber("10.0.0.2")) })
  })
  yield* Effect.forkScoped(
    Stream.runForEach(listener.connections, (c) => (Session.samePeer(c.remote.address, b.peer.address) ? b.accept(c) : c.close))
  )
  const bEvents = yield* b.subscribe

  // A (AS 65001, 10.0.0.1) connects to B.
  const a = yield* Session.make({
    peerAddress: "10.0.0.2",
    localAddress: "10.0.0.1",
    fsm: Config.make({ localAs: 65001, peerAs: 65002, bgpId: Either.getOrThrow(Text.ipv4ToNumber("10.0.0.1")) })
  })
  yield* a.awaitState("Established")
  const n = Option.getOrThrow(yield* a.negotiated)
  const families = [...n.families].map(Family.format).join(" ")
  console.log(`A: Established with AS${n.peerAs}, hold ${n.holdTime} s, keepalive ${n.keepaliveTime} s, ${families}`)

  // Encode for what A negotiated to send (n.tx: 4-octet AS, ADD-PATH, message size), then send.
  const updates = Pack.packUpdates(
    { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: Uint8Array.of(10, 0, 0, 1) },
    { afi: 1, safi: 1, prefixes: Either.getOrThrow(Text.prefixesFromText(["192.0.2.0/24", "198.51.100.0/24"])) },
    n.tx
  )
  yield* a.send(updates, { session: n })

  // B's `received`: SessionEstablished, then the peer's UPDATEs in order.
  const received = yield* b.received.pipe(
    Stream.filter((r) => r._tag === "Update"),
    Stream.runHead,
    Effect.map(Option.getOrThrow)
  )
  console.log(`B: received ${Text.formatPrefixes(received.nlri).join(" ")} | ${Text.formatAttributes(received.attributes)}`)

  // An administrative stop: Cease 6/2 with an RFC 9003 shutdown communication.
  yield* a.stop("maintenance: back at 14:00")
  while (true) {
    const e = yield* Queue.take(bEvents)
    if (e._tag === "NotificationReceived") {
      console.log(`B: NOTIFICATION ${e.info.description}: "${e.info.shutdown?.text}"`)
      break
    }
  }
})

Effect.runPromise(
  program.pipe(Effect.scoped, Effect.provide(MemoryTransport.layer()), Logger.withMinimumLogLevel(LogLevel.Error))
)
