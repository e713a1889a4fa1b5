/**
 * The byte pipe a `Session` runs over. The FSM owns no sockets: it asks a
 * `Transport` for connections. `@kbgp/speaker` provides the TCP implementation
 * (node:net, TCP-MD5, TTL security); tests use an in-memory one.
 */
import { Context, Data, type Duration, type Effect, type Scope, type Stream } from "effect"

export type TransportErrorReason =
  /** The peer answered with RST: nothing listens there, or it refused us. */
  | "Refused"
  /** No answer in time. With TCP-MD5 configured this is also what a wrong key looks like (no SYN-ACK). */
  | "Timeout"
  /** TCP-MD5 could not be set up, or the kernel reported an authentication failure. */
  | "Auth"
  /** No route to the peer's address, or the network is unreachable. */
  | "NoRoute"
  | "AddressInUse"
  /** Binding a privileged port (179) without CAP_NET_BIND_SERVICE. */
  | "PermissionDenied"
  /** An option the platform or the address family does not support, or an invalid address. */
  | "Config"
  /** The connection failed after it was established. */
  | "Read"
  | "Write"

export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: TransportErrorReason
  /** The address the operation was about ("192.0.2.1:179"). */
  readonly address: string
  /** What happened and, where the user can act on it, what to do. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason} ${this.address}: ${this.detail}`
  }
}

export interface Endpoint {
  readonly address: string
  readonly port: number
}

export interface Connection {
  readonly local: Endpoint
  readonly remote: Endpoint
  /**
   * Bytes as they arrive, in order; ends when the peer closes. Pulling slowly
   * applies backpressure: the implementation pauses reading from the socket.
   */
  readonly reads: Stream.Stream<Uint8Array, TransportError>
  /** Queue bytes for sending; suspends while the send buffer is above its high-water mark. */
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, TransportError>
  /** Flush what is queued, then close (FIN). Idempotent. */
  readonly close: Effect.Effect<void>
}

/** Per-peer socket security, shared by outgoing connections and the listener. */
export interface SocketSecurity {
  /** RFC 2385 TCP-MD5 password (≤ 80 bytes). */
  readonly md5Password?: string
  /** Outgoing TTL / hop limit (IP_TTL, IPV6_UNICAST_HOPS): 1 for directly connected eBGP, more for multihop. */
  readonly ttl?: number
  /** RFC 5082 GTSM: drop packets from the peer whose TTL is below this (IP_MINTTL, IPV6_MINHOPCOUNT); 255 - hops. */
  readonly minTtl?: number
}

export interface ConnectOptions extends SocketSecurity {
  readonly address: string
  readonly port: number
  readonly localAddress?: string
  readonly localPort?: number
  readonly timeout: Duration.DurationInput
}

export interface ListenOptions {
  readonly address: string
  readonly port: number
}

export interface Listener {
  readonly local: Endpoint
  /** Accepted connections, each carrying the remote endpoint that the caller matches against its peers. */
  readonly connections: Stream.Stream<Connection, TransportError>
  /** Set (or, with `undefined`, remove) the security for one peer address on the listening socket. */
  readonly setPeer: (address: string, security: SocketSecurity | undefined) => Effect.Effect<void, TransportError>
}

export class Transport extends Context.Tag("@kbgp/fsm/Transport")<
  Transport,
  {
    readonly connect: (options: ConnectOptions) => Effect.Effect<Connection, TransportError, Scope.Scope>
    readonly listen: (options: ListenOptions) => Effect.Effect<Listener, TransportError, Scope.Scope>
  }
>() {}
