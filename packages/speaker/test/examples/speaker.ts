import { MemoryTransport } from "@kbgp/fsm"
import { Speaker } from "@kbgp/speaker"
import { Effect, Logger, LogLevel } from "effect"

// Two speakers on an in-memory network (TcpTransport.layer gives real sockets): A listens and announces, B connects.
const program = Effect.gen(function* () {
  const a = yield* Speaker.make()
  const b = yield* Speaker.make()
  yield* a.apply({
    routerId: "10.0.0.1",
    localAs: 65001,
    listener: { address: "10.0.0.1" },
    peers: [{ name: "b", address: "10.0.0.2", asn: 65002, passive: true, gracefulRestart: {} }],
    routes: [{ prefixes: ["192.0.2.10/32", "198.51.100.0/24"], communities: ["65001:100"] }]
  })
  yield* b.apply({
    routerId: "10.0.0.2",
    localAs: 65002,
    peers: [{ name: "a", address: "10.0.0.1", asn: 65001, localAddress: "10.0.0.2", gracefulRestart: {} }],
    routes: []
  })
  // Wait for A's End-of-RIB at B: the initial table is complete.
  const events = yield* b.subscribe
  while ((yield* events.take)._tag !== "EndOfRibReceived") {}

  const show = Effect.flatMap(b.routes({ peer: "a", direction: "received" }), (routes) =>
    Effect.sync(() => {
      for (const r of routes) console.log(`${r.prefix} via ${r.nextHop} [${r.asPath}] ${r.communities.join(" ")}${r.stale ? " (stale)" : ""}`)
    })
  )
  yield* show
  // A stops for a restart: no NOTIFICATION, so B keeps A's routes as stale for A's restart time.
  yield* a.stop({ gracefulRestart: true })
  while ((yield* events.take)._tag !== "PeerDown") {}
  yield* show
  const peer = yield* b.peer("a")
  console.log(`a: ${peer.state}, graceful restart ${peer.gracefulRestart}, ${peer.families[0]?.stale} stale`)
})

Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide(MemoryTransport.layer()),
    Logger.withMinimumLogLevel(LogLevel.None)
  )
)
