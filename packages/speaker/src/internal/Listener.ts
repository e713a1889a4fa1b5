/**
 * The speaker's listening socket: it hands each inbound connection to the
 * session of the configured peer with that address (`route`), and turns away
 * any other with a NOTIFICATION Cease 6/5 Connection Rejected (RFC 4486 §4)
 * sent before any OPEN, then closes it. Per-peer socket security (TCP-MD5 key,
 * TTL rules) is set on the listening socket as peers come and go.
 */
import type { Transport } from "@kbgp/fsm"
import { Context as WireContext, Message, Notification } from "@kbgp/wire"
import { Effect, type Scope, Stream } from "effect"

export interface Options {
  readonly address: string
  readonly port: number
}

export interface Listener {
  /** The bound address and port (the real port when 0 was asked for). */
  readonly local: Transport.Endpoint
  /** Set or (with undefined) remove a peer's TCP-MD5 key and TTL rules on the listening socket. */
  readonly setPeer: (address: string, security: Transport.SocketSecurity | undefined) => Effect.Effect<void, Transport.TransportError>
}

/**
 * What the owner does with a connection: hand it to a session (the effect
 * says whether one took it), or reject it (`undefined`: no such peer).
 */
export type Route = (connection: Transport.Connection) => Effect.Effect<boolean> | undefined

/** RFC 4486 §4 Cease 6/5, as bytes (no OPEN precedes it: the context does not matter). */
export const connectionRejected: Uint8Array = Message.encode(
  Notification.make(Notification.ErrorCode.Cease, Notification.CeaseSubcode.ConnectionRejected),
  WireContext.defaults
)

/** Send Cease 6/5 and close; failures of a connection we turn away do not matter. */
export const reject = (connection: Transport.Connection): Effect.Effect<void> =>
  Effect.ignore(Effect.zipRight(Effect.ignore(connection.write(connectionRejected)), Effect.timeout(connection.close, "5 seconds")))

/**
 * Listen in the current scope (closing it closes the socket and the connections
 * not yet handed over). `onReject` learns of every connection turned away.
 */
export const make = (
  transport: Transport.Transport["Type"],
  options: Options,
  route: Route,
  onReject: (connection: Transport.Connection) => Effect.Effect<void>
): Effect.Effect<Listener, Transport.TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const listener = yield* transport.listen({ address: options.address, port: options.port })
    const handle = (connection: Transport.Connection) =>
      Effect.suspend(() => {
        const routed = route(connection)
        if (routed !== undefined) return Effect.asVoid(routed)
        return Effect.zipRight(onReject(connection), reject(connection))
      })
    // Each connection is handled on its own fiber: a slow reject must not hold up the next peer.
    yield* Stream.runForEach(listener.connections, (c) => Effect.forkScoped(handle(c))).pipe(
      Effect.catchAll((error) => Effect.logError(`listener ${options.address}:${options.port} failed: ${error.message}`)),
      Effect.forkScoped
    )
    return { local: listener.local, setPeer: listener.setPeer }
  })
