import { Transport } from "@kbgp/fsm"
import { TcpTransport } from "@kbgp/speaker"
import { Effect, Stream } from "effect"

// A BGP KEEPALIVE: 16 bytes of marker, length 19, type 4.
const keepalive = new Uint8Array([...new Array<number>(16).fill(0xff), 0, 19, 4])

const program = Effect.gen(function* () {
  const transport = yield* Transport.Transport

  // Passive side: listen, then say per peer address which key and TTL rules its connections get.
  const listener = yield* transport.listen({ address: "127.0.0.1", port: 0 })
  yield* listener.setPeer("127.0.0.1", { md5Password: "s3cret", minTtl: 254 }) // GTSM: TTL 255 out, ≥ 254 in

  // Active side: the key and the TTLs are on the socket before its SYN leaves.
  const client = yield* transport.connect({
    address: "127.0.0.1",
    port: listener.local.port,
    md5Password: "s3cret",
    minTtl: 254,
    timeout: "5 seconds"
  })
  const server = yield* Stream.runHead(listener.connections).pipe(Effect.flatten)

  yield* client.write(keepalive) // coalesced with other small writes; suspends if the peer lags
  yield* client.close // flush, FIN, wait for the peer's close
  const bytes = yield* Stream.runFold(server.reads, 0, (n, chunk) => n + chunk.length)
  console.log(`${server.remote.address} sent ${bytes} bytes over TCP-MD5 with GTSM`)
}).pipe(
  Effect.catchTag("TransportError", (e) => Effect.logError(e.message)), // e.g. "Timeout 192.0.2.1:179: ..."
  Effect.scoped, // closing the scope destroys every socket and the listener
  Effect.provide(TcpTransport.layer)
)

Effect.runPromise(program)
