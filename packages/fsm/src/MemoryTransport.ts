/**
 * An in-memory `Transport` for tests: connected pairs with TCP-like flow
 * control, listeners keyed by address and port, scripted connect failures
 * (refused, timed out, any other reason), resets mid-stream, and byte-level
 * access to everything each end wrote. Time (connect timeouts) runs on Effect's
 * Clock, so TestClock drives it.
 *
 * ```ts
 * const net = yield* MemoryTransport.make()
 * const listener = yield* net.transport.listen({ address: "10.0.0.2", port: 179 })
 * const client = yield* net.transport.connect({ address: "10.0.0.2", port: 179, localAddress: "10.0.0.1", timeout: "5 seconds" })
 * ```
 */
import { Effect, Layer, Queue, type Scope, Stream } from "effect"
import { Pipe } from "./internal/Pipe.js"
import {
  type ConnectOptions,
  type Connection,
  type Endpoint,
  type ListenOptions,
  type Listener,
  type SocketSecurity,
  Transport,
  TransportError,
  type TransportErrorReason
} from "./Transport.js"

export interface Options {
  /** Unread bytes above which a writer waits (like a socket's send buffer). Default 64 KiB. */
  readonly highWater?: number
  /** Unread bytes at which a waiting writer resumes. Default a quarter of `highWater`. */
  readonly lowWater?: number
  /** Local address of outgoing connections that name none. Default "127.0.0.1". */
  readonly defaultLocalAddress?: string
}

/** What a connect to an address does, instead of reaching a listener. */
export type Outcome =
  /** Fail at once with this reason ("Refused", "NoRoute", "Auth", ...). */
  | { readonly _tag: "Fail"; readonly reason: TransportErrorReason; readonly detail?: string }
  /** No answer: fail with "Timeout" after the connect's `timeout` (on the Clock). */
  | { readonly _tag: "Timeout" }

export interface MemoryConnection extends Connection {
  /** Creation order across the network, from 1. */
  readonly id: number
  /** The other end of the pair. */
  readonly peer: MemoryConnection
  /** Every byte this end has written so far, concatenated. */
  readonly written: () => Uint8Array
  /** How many non-empty writes this end made (to check batching). */
  readonly writes: () => number
  /** Bytes this end wrote that the peer has not read yet. */
  readonly unread: () => number
  /** True once either end closed or reset the connection. */
  readonly isClosed: () => boolean
  /** Reset (RST): both ends' reads fail with a "Read" error, writes with a "Write" error; queued bytes are lost. */
  readonly abort: (detail?: string) => Effect.Effect<void>
  /** The ConnectOptions of the outgoing connect that made this pair (on both ends), if any. */
  readonly options: ConnectOptions | undefined
}

export interface MemoryListener extends Listener {
  /** Security set per peer address through `setPeer`. */
  readonly peers: ReadonlyMap<string, SocketSecurity>
}

export interface MemoryNetwork {
  /** The Transport service implementation. */
  readonly transport: Transport["Type"]
  /** `transport` as a layer. */
  readonly layer: Layer.Layer<Transport>
  /** A connected pair outside any listener: write on one end, read on the other. */
  readonly pair: (a: Endpoint, b: Endpoint) => readonly [MemoryConnection, MemoryConnection]
  /** The next `times` connects to `address:port` take this outcome (before any `setOutcome`). */
  readonly failNext: (address: string, port: number, outcome: Outcome, times?: number) => void
  /** Every connect to `address:port` takes this outcome until cleared with `undefined`. */
  readonly setOutcome: (address: string, port: number, outcome: Outcome | undefined) => void
  /** Every connect attempt, in order. */
  readonly attempts: () => ReadonlyArray<ConnectOptions>
  /** Every connection end created, in order (a pair adds two). */
  readonly connections: () => ReadonlyArray<MemoryConnection>
  /** The listener bound to `address:port`, if any. */
  readonly listener: (address: string, port: number) => MemoryListener | undefined
}

const key = (address: string, port: number): string => (address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`)

interface ListenerEntry {
  readonly listener: MemoryListener
  readonly peers: Map<string, SocketSecurity>
  readonly accept: (c: MemoryConnection) => boolean
}

/** A fresh, empty network. */
export const make = (options: Options = {}): Effect.Effect<MemoryNetwork> =>
  Effect.sync(() => {
    const highWater = options.highWater ?? 64 * 1024
    const lowWater = options.lowWater ?? Math.floor(highWater / 4)
    const defaultLocal = options.defaultLocalAddress ?? "127.0.0.1"
    const listeners = new Map<string, ListenerEntry>()
    const once = new Map<string, Array<Outcome>>()
    const always = new Map<string, Outcome>()
    const attempts: Array<ConnectOptions> = []
    const all: Array<MemoryConnection> = []
    let nextId = 1
    let nextPort = 49152

    const pairWith = (a: Endpoint, b: Endpoint, connectOptions: ConnectOptions | undefined) => {
      const ab = new Pipe(highWater, lowWater)
      const ba = new Pipe(highWater, lowWater)
      let closed = false
      const reset = (detail: string): void => {
        closed = true
        ab.fail(new TransportError({ reason: "Read", address: key(a.address, a.port), detail }))
        ba.fail(new TransportError({ reason: "Read", address: key(b.address, b.port), detail }))
      }
      const end = (
        id: number,
        local: Endpoint,
        remote: Endpoint,
        out: Pipe,
        into: Pipe,
        peer: () => MemoryConnection
      ): MemoryConnection => {
        const address = key(remote.address, remote.port)
        return {
          id,
          local,
          remote,
          options: connectOptions,
          get peer() {
            return peer()
          },
          reads: into.stream,
          write: (bytes) =>
            Effect.suspend(() =>
              out.unsafeOffer(bytes)
                ? out.awaitWritable
                : Effect.fail(new TransportError({ reason: "Write", address, detail: "connection closed" }))
            ),
          // FIN both ways: the peer reads what was queued, then the end; our own reads end too.
          close: Effect.sync(() => {
            closed = true
            out.end()
            into.end()
          }),
          written: () => out.written(),
          writes: () => out.writes,
          unread: () => out.bufferedBytes,
          isClosed: () => closed,
          abort: (detail = "connection reset") => Effect.sync(() => reset(detail))
        }
      }
      const idA = nextId++
      const idB = nextId++
      const ca: MemoryConnection = end(idA, a, b, ab, ba, () => cb)
      const cb: MemoryConnection = end(idB, b, a, ba, ab, () => ca)
      all.push(ca, cb)
      return [ca, cb] as const
    }

    const findListener = (address: string, port: number): ListenerEntry | undefined =>
      listeners.get(key(address, port)) ??
      listeners.get(key(address.includes(":") ? "::" : "0.0.0.0", port))

    const outcomeFor = (address: string, port: number): Outcome | undefined => {
      const k = key(address, port)
      const queued = once.get(k)
      if (queued !== undefined && queued.length > 0) return queued.shift()
      return always.get(k)
    }

    const timeoutError = (o: ConnectOptions, detail: string) =>
      Effect.zipRight(
        Effect.sleep(o.timeout),
        Effect.fail(new TransportError({ reason: "Timeout", address: key(o.address, o.port), detail }))
      )

    const connect = (o: ConnectOptions): Effect.Effect<Connection, TransportError, Scope.Scope> =>
      Effect.suspend(() => {
        attempts.push(o)
        const address = key(o.address, o.port)
        const outcome = outcomeFor(o.address, o.port)
        if (outcome !== undefined) {
          return outcome._tag === "Timeout"
            ? timeoutError(o, "no answer (scripted)")
            : Effect.fail(new TransportError({ reason: outcome.reason, address, detail: outcome.detail ?? "scripted failure" }))
        }
        const entry = findListener(o.address, o.port)
        if (entry === undefined) {
          return Effect.fail(new TransportError({ reason: "Refused", address, detail: "nothing listens there" }))
        }
        const local: Endpoint = { address: o.localAddress ?? defaultLocal, port: o.localPort ?? nextPort++ }
        // RFC 2385 as Linux does it: a segment whose MD5 option is missing, unexpected or wrong is dropped,
        // so a key mismatch looks like no answer at all.
        const expected = entry.peers.get(local.address)?.md5Password
        if (expected !== o.md5Password) return timeoutError(o, "no SYN-ACK (TCP-MD5 key mismatch)")
        const [client, server] = pairWith(local, { address: o.address, port: o.port }, o)
        if (!entry.accept(server)) {
          return Effect.fail(new TransportError({ reason: "Refused", address, detail: "listener closed" }))
        }
        return Effect.as(
          Effect.addFinalizer(() => client.close),
          client
        )
      })

    const listen = (o: ListenOptions): Effect.Effect<Listener, TransportError, Scope.Scope> =>
      Effect.gen(function* () {
        const k = key(o.address, o.port)
        if (listeners.has(k)) {
          return yield* Effect.fail(new TransportError({ reason: "AddressInUse", address: k, detail: "already listening" }))
        }
        const queue = yield* Queue.unbounded<Connection>()
        const peers = new Map<string, SocketSecurity>()
        let open = true
        const listener: MemoryListener = {
          local: { address: o.address, port: o.port },
          peers,
          connections: Stream.fromQueue(queue),
          setPeer: (address, security) =>
            Effect.sync(() => {
              if (security === undefined) peers.delete(address)
              else peers.set(address, security)
            })
        }
        listeners.set(k, {
          listener,
          peers,
          accept: (c) => open && Queue.unsafeOffer(queue, c)
        })
        yield* Effect.addFinalizer(() =>
          Effect.gen(function* () {
            open = false
            listeners.delete(k)
            // Connections accepted by the "kernel" but never taken by the application are reset.
            const pending = yield* Queue.takeAll(queue)
            for (const c of pending) yield* c.close
            yield* Queue.shutdown(queue)
          })
        )
        return listener
      })

    const transport: Transport["Type"] = { connect, listen }
    const network: MemoryNetwork = {
      transport,
      layer: Layer.succeed(Transport, transport),
      pair: (a, b) => pairWith(a, b, undefined),
      failNext: (address, port, outcome, times = 1) => {
        const k = key(address, port)
        const list = once.get(k) ?? []
        for (let i = 0; i < times; i++) list.push(outcome)
        once.set(k, list)
      },
      setOutcome: (address, port, outcome) => {
        if (outcome === undefined) always.delete(key(address, port))
        else always.set(key(address, port), outcome)
      },
      attempts: () => attempts,
      connections: () => all,
      listener: (address, port) => listeners.get(key(address, port))?.listener
    }
    return network
  })

/** A network and its Transport layer in one step, for tests that only need the service. */
export const layer = (options: Options = {}): Layer.Layer<Transport> =>
  Layer.unwrapEffect(Effect.map(make(options), (n) => n.layer))
