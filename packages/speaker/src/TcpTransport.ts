/**
 * The TCP `Transport` of a BGP speaker: `node:net` sockets under Bun with
 * backpressure both ways, TCP-MD5 (RFC 2385), eBGP multihop TTL and TTL
 * security (RFC 5082). Linux only: sockets are created and configured through
 * libc (`bun:ffi`) so every option is in place before the first SYN, then
 * handed to Bun once connected (outgoing) or listening (listener). Connect
 * and close timeouts run in real time, not on Effect's Clock: they bound I/O,
 * and a TestClock must not freeze real sockets.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const transport = yield* Transport.Transport
 *   const conn = yield* transport.connect({ address: "192.0.2.1", port: 179, md5Password: "s3cret", timeout: "5 seconds" })
 *   yield* conn.write(keepalive)
 * }).pipe(Effect.scoped, Effect.provide(TcpTransport.layer))
 * ```
 */
import { Transport } from "@kbgp/fsm"
import { Duration, Effect, Exit, Layer, Option, Queue, type Scope, Stream, Take } from "effect"
import * as net from "node:net"
import * as Errors from "./internal/Errors.js"
import * as Libc from "./internal/Libc.js"
import * as Md5 from "./internal/Md5.js"
import * as SockAddr from "./internal/SockAddr.js"
import * as SocketConnection from "./internal/SocketConnection.js"
import * as SocketOptions from "./internal/SocketOptions.js"

export interface Options {
  /** Received bytes queued for a lagging consumer before reading pauses. */
  readonly readHighWater: number
  /** Queued bytes at which reading resumes. */
  readonly readLowWater: number
  /** Bytes accepted by `write` but not yet taken by the socket before `write` suspends. */
  readonly writeHighWater: number
  /** Pending bytes at which suspended writers resume. */
  readonly writeLowWater: number
  /** Small writes are coalesced into buffers of this size (16–64 KiB is the sweet spot). */
  readonly writeBatch: number
  /** How long `close` waits for the peer to close after our FIN before it destroys the socket. */
  readonly closeTimeout: Duration.DurationInput
  /** Kernel accept backlog of the listener. */
  readonly backlog: number
  /** Accepted connections not yet taken from `Listener.connections`; more are closed at once. */
  readonly acceptQueue: number
}

export const defaults: Options = {
  readHighWater: 1024 * 1024,
  readLowWater: 256 * 1024,
  writeHighWater: 1024 * 1024,
  writeLowWater: 256 * 1024,
  writeBatch: 64 * 1024,
  closeTimeout: "2 seconds",
  backlog: 128,
  acceptQueue: 64
}

export type Stats = SocketConnection.Stats

/** TTL and minimum TTL as the kernel holds them (getsockopt). */
export type SocketOptionsReadback = SocketOptions.Readback

export interface TcpConnection extends Transport.Connection {
  /** Counters: bytes, read queue depth and pauses, coalesced socket writes. */
  readonly stats: Effect.Effect<Stats>
  /** The socket's TTL and minimum TTL, read back from the kernel. */
  readonly socketOptions: Effect.Effect<SocketOptionsReadback, Transport.TransportError>
}

export interface TcpListener extends Transport.Listener {
  readonly connections: Stream.Stream<TcpConnection, Transport.TransportError>
  /** The listening socket's TTL and minimum TTL (derived from all peers set with `setPeer`). */
  readonly socketOptions: Effect.Effect<SocketOptionsReadback, Transport.TransportError>
}

export interface TcpTransport {
  readonly connect: (
    options: Transport.ConnectOptions
  ) => Effect.Effect<TcpConnection, Transport.TransportError, Scope.Scope>
  readonly listen: (options: Transport.ListenOptions) => Effect.Effect<TcpListener, Transport.TransportError, Scope.Scope>
}

type TransportError = Transport.TransportError

const fail = (reason: Transport.TransportErrorReason, address: string, detail: string) =>
  Effect.fail(new Transport.TransportError({ reason, address, detail }))

/** Security checked and in kernel terms. */
interface Security {
  readonly key: Uint8Array | undefined
  readonly ttl: number | undefined
  readonly minTtl: number | undefined
}

const isByte = (n: number, min: number): boolean => Number.isInteger(n) && n >= min && n <= 255

const checkSecurity = (address: string, s: Transport.SocketSecurity): Effect.Effect<Security, TransportError> =>
  Effect.suspend(() => {
    let key: Uint8Array | undefined
    // An empty password means none: Linux reads a zero-length key as "delete".
    if (s.md5Password !== undefined && s.md5Password !== "") {
      const k = Md5.keyBytes(s.md5Password)
      if (typeof k === "string") return fail("Auth", address, k)
      key = k
    }
    if (s.ttl !== undefined && !isByte(s.ttl, 1)) return fail("Config", address, `ttl must be 1..255, not ${s.ttl}`)
    if (s.minTtl !== undefined && !isByte(s.minTtl, 0)) {
      return fail("Config", address, `minTtl must be 0..255, not ${s.minTtl}`)
    }
    const minTtl = s.minTtl === 0 ? undefined : s.minTtl
    // RFC 5082 §3: a GTSM-protected session sends with TTL 255 unless told otherwise.
    const ttl = s.ttl ?? (minTtl !== undefined ? 255 : undefined)
    return Effect.succeed({ key, ttl, minTtl })
  })

const parseIp = (address: string, what: string, where: string): Effect.Effect<SockAddr.Ip, TransportError> => {
  const ip = SockAddr.parse(address)
  return ip === undefined
    ? fail("Config", where, `${what} "${address}" is not an IPv4 or IPv6 address`)
    : Effect.succeed(ip)
}

const checkPort = (port: number, min: number, where: string): Effect.Effect<void, TransportError> =>
  Number.isInteger(port) && port >= min && port <= 65535
    ? Effect.void
    : fail("Config", where, `port must be ${min}..65535, not ${port}`)

/** The scope id of a link-local address's zone ("eth0" or "3"); 0 without a zone. */
const scopeId = (ip: SockAddr.Ip, where: string): Effect.Effect<number, TransportError> => {
  if (ip.zone === undefined) return Effect.succeed(0)
  const zone = ip.zone
  const id = /^[0-9]+$/.test(zone) ? Number(zone) : Libc.ifNameToIndex(zone)
  return id > 0 ? Effect.succeed(id) : fail("Config", where, `no network interface "${zone}"`)
}

const libcAvailable = (where: string): Effect.Effect<void, TransportError> => {
  const why = Libc.unavailable()
  return why === undefined ? Effect.void : fail("Config", where, why)
}

const openSocket = (family: 4 | 6, where: string): Effect.Effect<number, TransportError> =>
  Effect.suspend(() => {
    const fd = Libc.socket(family === 4 ? Libc.AF_INET : Libc.AF_INET6)
    if (typeof fd === "number") return Effect.succeed(fd)
    const hint = fd.code === Libc.EAFNOSUPPORT ? ": IPv6 is disabled on this host" : ""
    return fail("Config", where, `socket: ${fd.text}${hint}`)
  })

const applyTtl = (fd: number, family: 4 | 6, s: Security, where: string): TransportError | undefined => {
  if (s.ttl !== undefined) {
    const e = SocketOptions.setTtl(fd, family, s.ttl)
    if (e !== undefined) return Errors.option(where, family === 6 ? "IPV6_UNICAST_HOPS" : "IP_TTL", e)
  }
  if (s.minTtl !== undefined) {
    const e = SocketOptions.setMinTtl(fd, family, s.minTtl)
    if (e !== undefined) return Errors.option(where, family === 6 ? "IPV6_MINHOPCOUNT" : "IP_MINTTL", e)
  }
  return undefined
}

const endpoint = (sa: Uint8Array | Libc.Errno): Transport.Endpoint | undefined =>
  sa instanceof Libc.Errno ? undefined : SockAddr.decode(sa)

const readOptions = (isOpen: () => boolean, fd: number | undefined, family: 4 | 6, where: string) =>
  Effect.suspend(() => {
    // A closed socket's fd number may already belong to another socket.
    if (!isOpen()) return fail("Config", where, "the socket is closed")
    if (fd === undefined) return fail("Config", where, "the socket's file descriptor is not available")
    const r = SocketOptions.read(fd, family)
    return r instanceof Libc.Errno ? fail("Config", where, `getsockopt: ${r.text}`) : Effect.succeed(r)
  })

/** Waits, without blocking the event loop, until a non-blocking connect has an outcome. Real time, not the Clock. */
const awaitConnect = (fd: number, timeoutMs: number, where: string, md5: boolean): Effect.Effect<void, TransportError> =>
  Effect.async<void, TransportError>((resume) => {
    const deadline = performance.now() + timeoutMs
    let delay = 1
    let timer: ReturnType<typeof setTimeout> | undefined
    const check = (): void => {
      timer = undefined
      const ready = Libc.writableNow(fd)
      if (ready instanceof Libc.Errno) return resume(Effect.fail(Errors.connect(where, ready, md5)))
      if (ready) {
        const soError = Libc.getInt(fd, Libc.SOL_SOCKET, Libc.SO_ERROR)
        if (soError instanceof Libc.Errno) return resume(Effect.fail(Errors.connect(where, soError, md5)))
        return resume(
          soError === 0 ? Effect.void : Effect.fail(Errors.connect(where, new Libc.Errno("connect", soError), md5))
        )
      }
      const left = deadline - performance.now()
      if (left <= 0) {
        return resume(Effect.fail(Errors.timeout(where, `connect: no answer within ${timeoutMs} ms`, md5)))
      }
      timer = setTimeout(check, Math.min(delay, left))
      delay = Math.min(delay * 2, 20)
    }
    check()
    return Effect.sync(() => {
      if (timer !== undefined) clearTimeout(timer)
    })
  })

/** Bun adopts a connected fd with `socket.connect({ fd })` (not in Node's types; `new Socket({ fd })` fails on Bun). */
const adopt = (fd: number): net.Socket => {
  const socket = new net.Socket()
  const connectFd = socket.connect as unknown as (this: net.Socket, options: { readonly fd: number }) => net.Socket
  connectFd.call(socket, { fd })
  return socket
}

/** The fd under a Bun socket (`_handle.fd`), for options on accepted connections. */
const fdOf = (s: net.Socket | net.Server): number | undefined => {
  const handle: unknown = Reflect.get(s, "_handle")
  if (typeof handle !== "object" || handle === null) return undefined
  const fd: unknown = Reflect.get(handle, "fd")
  return typeof fd === "number" && fd >= 0 ? fd : undefined
}

const tuningOf = (o: Options): SocketConnection.Tuning => ({
  readHighWater: o.readHighWater,
  readLowWater: Math.min(o.readLowWater, o.readHighWater),
  writeHighWater: o.writeHighWater,
  writeLowWater: Math.min(o.writeLowWater, o.writeHighWater),
  writeBatch: o.writeBatch,
  closeTimeoutMs: Duration.toMillis(Duration.decode(o.closeTimeout))
})

const connectWith =
  (tuning: SocketConnection.Tuning) =>
  (o: Transport.ConnectOptions): Effect.Effect<TcpConnection, TransportError, Scope.Scope> => {
    const where = SockAddr.endpointText(o.address, o.port)
    return Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        yield* libcAvailable(where)
        const remote = yield* parseIp(o.address, "peer address", where)
        yield* checkPort(o.port, 1, where)
        const family = remote.family
        const local = o.localAddress === undefined ? undefined : yield* parseIp(o.localAddress, "local address", where)
        if (local !== undefined && local.family !== family) {
          const detail = `local address ${o.localAddress} and peer ${o.address} are of different families`
          return yield* fail("Config", where, detail)
        }
        if (o.localPort !== undefined) yield* checkPort(o.localPort, 0, where)
        const security = yield* checkSecurity(where, o)
        const remoteScope = yield* scopeId(remote, where)
        const localScope = local === undefined ? 0 : yield* scopeId(local, where)
        const timeoutMs = Duration.toMillis(Duration.decode(o.timeout))

        const fd = yield* openSocket(family, where)
        const setup = (): TransportError | undefined => {
          // RFC 2385 §2: the key must be on the socket before the SYN leaves.
          if (security.key !== undefined) {
            const e = Md5.set(fd, family, remote, security.key)
            if (e !== undefined) return Errors.md5(where, e)
          }
          const e = applyTtl(fd, family, security, where)
          if (e !== undefined) return e
          if (local !== undefined || o.localPort !== undefined) {
            // A fixed local port must be reusable at once after the previous session's TIME_WAIT.
            if (o.localPort !== undefined && o.localPort !== 0) Libc.setInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1)
            const any: SockAddr.Ip = { family, bytes: new Uint8Array(family === 4 ? 4 : 16) }
            const localPort = o.localPort ?? 0
            const b = Libc.bind(fd, SockAddr.encode(family, local ?? any, localPort, localScope))
            if (b !== undefined) {
              const bound = SockAddr.endpointText(o.localAddress ?? SockAddr.format(any.bytes), localPort)
              return Errors.bind(bound, localPort, b)
            }
          }
          const c = Libc.connect(fd, SockAddr.encode(family, remote, o.port, remoteScope))
          return c === undefined ? undefined : Errors.connect(where, c, security.key !== undefined)
        }
        const setupError = setup()
        if (setupError !== undefined) {
          Libc.close(fd)
          return yield* Effect.fail(setupError)
        }
        yield* restore(awaitConnect(fd, timeoutMs, where, security.key !== undefined)).pipe(
          Effect.onExit((exit) => (Exit.isFailure(exit) ? Effect.sync(() => Libc.close(fd)) : Effect.void))
        )
        const localEp = endpoint(Libc.getsockname(fd)) ?? { address: o.localAddress ?? "", port: o.localPort ?? 0 }
        const remoteEp = endpoint(Libc.getpeername(fd)) ?? {
          address: SockAddr.canonical(o.address) ?? o.address,
          port: o.port
        }
        const socket = yield* Effect.try({
          try: () => adopt(fd),
          catch: (e) => {
            Libc.close(fd)
            return new Transport.TransportError({
              reason: "Config",
              address: where,
              detail: `Bun could not adopt the connected socket: ${e instanceof Error ? e.message : String(e)}`
            })
          }
        })
        const conn = SocketConnection.wrap(socket, localEp, remoteEp, tuning)
        yield* Effect.addFinalizer(() => conn.destroy)
        return {
          local: conn.local,
          remote: conn.remote,
          reads: conn.reads,
          write: conn.write,
          close: conn.close,
          stats: conn.stats,
          socketOptions: readOptions(conn.isOpen, fd, family, where)
        }
      })
    )
  }

/** The kernel's default TTL, which peers without a `ttl` expect on our SYN-ACK. */
const defaultTtl = 64

const listenWith =
  (tuning: SocketConnection.Tuning, options: Options) =>
  (o: Transport.ListenOptions): Effect.Effect<TcpListener, TransportError, Scope.Scope> => {
    const where = SockAddr.endpointText(o.address, o.port)
    return Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        yield* libcAvailable(where)
        const ip = yield* parseIp(o.address, "listen address", where)
        yield* checkPort(o.port, 0, where)
        const family = ip.family
        const scope = yield* scopeId(ip, where)
        const fd = yield* openSocket(family, where)
        const bindError = ((): TransportError | undefined => {
          Libc.setInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1)
          const b = Libc.bind(fd, SockAddr.encode(family, ip, o.port, scope))
          if (b !== undefined) return Errors.bind(where, o.port, b)
          const l = Libc.listen(fd, options.backlog)
          return l === undefined ? undefined : Errors.bind(where, o.port, l)
        })()
        if (bindError !== undefined) {
          Libc.close(fd)
          return yield* Effect.fail(bindError)
        }
        const local = endpoint(Libc.getsockname(fd)) ?? { address: SockAddr.canonical(o.address) ?? o.address, port: o.port }
        const localText = SockAddr.endpointText(local.address, local.port)

        const peers = new Map<string, Security>()
        const accepted = new Set<SocketConnection.SocketConnection>()
        const queue = yield* Queue.unbounded<Take.Take<TcpConnection, TransportError>>()
        let closed = false

        const server = net.createServer()
        server.on("connection", (socket: net.Socket) => {
          const sfd = fdOf(socket)
          const remote =
            (sfd === undefined ? undefined : endpoint(Libc.getpeername(sfd))) ?? {
              address: SockAddr.canonical(socket.remoteAddress ?? "") ?? socket.remoteAddress ?? "",
              port: socket.remotePort ?? 0
            }
          const localEp = (sfd === undefined ? undefined : endpoint(Libc.getsockname(sfd))) ?? local
          const peerWhere = SockAddr.endpointText(remote.address, remote.port)
          const full = Option.getOrElse(queue.unsafeSize(), () => 0) >= options.acceptQueue
          if (closed || full) {
            socket.destroy()
            return
          }
          // Per-peer TTL and GTSM; the listener's own values (derived from all peers) were inherited.
          if (sfd !== undefined) {
            const s = peers.get(remote.address)
            const e = applyTtl(sfd, family, { key: undefined, ttl: s?.ttl ?? -1, minTtl: s?.minTtl ?? 0 }, peerWhere)
            if (e !== undefined) {
              socket.destroy()
              return
            }
          }
          const conn = SocketConnection.wrap(socket, localEp, remote, tuning)
          accepted.add(conn)
          socket.on("close", () => accepted.delete(conn))
          Queue.unsafeOffer(
            queue,
            Take.of<TcpConnection>({
              local: conn.local,
              remote: conn.remote,
              reads: conn.reads,
              write: conn.write,
              close: conn.close,
              stats: conn.stats,
              socketOptions: readOptions(conn.isOpen, sfd, family, peerWhere)
            })
          )
        })
        server.on("error", (e: Error) => {
          const error = new Transport.TransportError({ reason: "Read", address: localText, detail: e.message })
          Queue.unsafeOffer(queue, Take.fail(error))
        })

        const listening = Effect.async<void, TransportError>((resume) => {
          const onError = (e: Error) =>
            resume(fail("Config", where, `Bun could not adopt the listening socket: ${e.message}`))
          server.once("error", onError)
          try {
            server.listen({ fd }, () => {
              server.off("error", onError)
              resume(Effect.void)
            })
          } catch (e) {
            onError(e instanceof Error ? e : new Error(String(e)))
          }
        })
        yield* restore(listening).pipe(
          // Bun did not adopt the fd: it is still ours to close.
          Effect.onExit((exit) => (Exit.isFailure(exit) ? Effect.sync(() => Libc.close(fd)) : Effect.void))
        )
        yield* Effect.addFinalizer(() =>
          Effect.gen(function* () {
            closed = true
            const stopped = Effect.async<void>((resume) => {
              server.close(() => resume(Effect.void))
            })
            yield* Effect.forEach([...accepted], (c) => c.destroy, { concurrency: "unbounded", discard: true })
            yield* stopped
            yield* Queue.offer(queue, Take.end)
          })
        )

        const recompute = (): TransportError | undefined => {
          // The SYN-ACK leaves with the listener's TTL and the SYN is checked against its minimum TTL, so both
          // must suit every peer: the highest TTL any peer needs, the lowest minimum any peer allows.
          const all = [...peers.values()]
          const ttl = all.some((s) => s.ttl !== undefined) ? Math.max(...all.map((s) => s.ttl ?? defaultTtl)) : -1
          const minTtl = all.length === 0 ? 0 : Math.min(...all.map((s) => s.minTtl ?? 0))
          return applyTtl(fd, family, { key: undefined, ttl, minTtl }, localText)
        }

        const setPeer = (address: string, security: Transport.SocketSecurity | undefined) =>
          Effect.gen(function* () {
            if (closed) return yield* fail("Config", localText, "the listener is closed")
            const peerIp = yield* parseIp(address, "peer address", localText)
            if (family === 4 && peerIp.family === 6) {
              return yield* fail("Config", localText, `an IPv4 listener cannot accept the IPv6 peer ${address}`)
            }
            const key = SockAddr.format(peerIp.bytes)
            const previous = peers.get(key)
            const next = security === undefined ? undefined : yield* checkSecurity(address, security)
            const peerWhere = SockAddr.endpointText(key, 0)
            if (next?.key !== undefined) {
              const e = Md5.set(fd, family, peerIp, next.key)
              if (e !== undefined) return yield* Effect.fail(Errors.md5(peerWhere, e))
            } else if (previous?.key !== undefined) {
              const e = Md5.set(fd, family, peerIp, new Uint8Array(0))
              if (e !== undefined && e.code !== Libc.ENOENT) return yield* Effect.fail(Errors.md5(peerWhere, e))
            }
            if (next === undefined) peers.delete(key)
            else peers.set(key, next)
            const e = recompute()
            if (e !== undefined) return yield* Effect.fail(e)
          })

        return {
          local,
          connections: Stream.fromQueue(queue).pipe(Stream.flattenTake),
          setPeer,
          socketOptions: readOptions(() => !closed, fd, family, localText)
        }
      })
    )
  }

/** The transport with `options` over `defaults`. */
export const make = (options: Partial<Options> = {}): TcpTransport => {
  const all: Options = { ...defaults, ...options }
  const tuning = tuningOf(all)
  return { connect: connectWith(tuning), listen: listenWith(tuning, all) }
}

/** `Transport` over TCP with the default tuning. */
export const layer: Layer.Layer<Transport.Transport> = Layer.sync(Transport.Transport, () => make())

/** `Transport` over TCP with `options` over `defaults`. */
export const layerWith = (options: Partial<Options>): Layer.Layer<Transport.Transport> =>
  Layer.sync(Transport.Transport, () => make(options))
