/**
 * A connected `net.Socket` as a `Connection`: reads through a bounded
 * `ReadQueue` (pause/resume), writes through a `WriteBatcher` (coalescing,
 * 'drain'), a graceful `close` (flush, FIN, wait for the peer) and a hard
 * `destroy` for scope teardown. The socket's timers are real timers, not
 * Effect's Clock: they bound I/O, and a test clock must not freeze sockets.
 */
import { Transport } from "@kbgp/fsm"
import { Effect } from "effect"
import type * as net from "node:net"
import { ReadQueue } from "./ReadQueue.js"
import { endpointText } from "./SockAddr.js"
import { WriteBatcher } from "./WriteBatcher.js"

export interface Tuning {
  readonly readHighWater: number
  readonly readLowWater: number
  readonly writeHighWater: number
  readonly writeLowWater: number
  readonly writeBatch: number
  readonly closeTimeoutMs: number
}

export interface Stats {
  readonly bytesRead: number
  readonly bytesWritten: number
  /** Bytes received and not yet pulled from `reads`. */
  readonly queuedReadBytes: number
  /** The most bytes `reads` ever held (bounded by `readHighWater` plus one chunk). */
  readonly maxQueuedReadBytes: number
  /** The largest chunk the socket delivered. */
  readonly largestReadChunk: number
  /** Times reading was paused because the consumer lagged. */
  readonly readPauses: number
  readonly readPaused: boolean
  /** `socket.write` calls (each carries up to `writeBatch` coalesced bytes). */
  readonly socketWrites: number
  /** Bytes accepted by `write` and not yet handed to the socket. */
  readonly pendingWriteBytes: number
  /** Times the socket answered `write() === false`. */
  readonly writeBlocks: number
}

export interface SocketConnection extends Transport.Connection {
  readonly stats: Effect.Effect<Stats>
  /** False once the socket has closed (its fd may be reused). */
  readonly isOpen: () => boolean
  /** Tears the socket down at once (RST if unread data remains) and waits until it is closed; what scopes call. */
  readonly destroy: Effect.Effect<void>
}

const describe = (e: unknown): string => {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    return typeof code === "string" && !e.message.includes(code) ? `${code}: ${e.message}` : e.message
  }
  return String(e)
}

export const wrap = (
  socket: net.Socket,
  local: Transport.Endpoint,
  remote: Transport.Endpoint,
  tuning: Tuning
): SocketConnection => {
  const address = endpointText(remote.address, remote.port)
  const failure = (reason: "Read" | "Write", detail: string) => new Transport.TransportError({ reason, address, detail })

  let closing = false
  let gone = false
  let error: string | undefined

  const reads = new ReadQueue<Transport.TransportError>(
    { pause: () => socket.pause(), resume: () => socket.resume() },
    tuning.readHighWater,
    tuning.readLowWater,
    64 * 1024
  )
  const writes = new WriteBatcher(
    {
      write: (b) => (gone ? true : socket.write(b)),
      schedule: (f) => setImmediate(f)
    },
    tuning.writeBatch,
    tuning.writeLowWater
  )
  let onClosed: Array<() => void> = []

  socket.on("data", (chunk: Uint8Array) => {
    // After close() the owner reads nothing more; keep draining so the peer's FIN arrives.
    if (closing) return
    reads.push(chunk)
  })
  socket.on("drain", () => writes.drained())
  socket.on("end", () => reads.end())
  socket.on("error", (e) => {
    error = describe(e)
    reads.fail(failure("Read", error))
  })
  socket.on("close", () => {
    gone = true
    reads.end()
    writes.clear()
    writes.releaseAll()
    const fs = onClosed
    onClosed = []
    for (const f of fs) f()
  })

  const closed: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (gone) return resume(Effect.void)
    const f = () => resume(Effect.void)
    onClosed.push(f)
    return Effect.sync(() => {
      onClosed = onClosed.filter((g) => g !== f)
    })
  })

  const write = (bytes: Uint8Array): Effect.Effect<void, Transport.TransportError> =>
    Effect.suspend(() => {
      if (gone || closing || error !== undefined) {
        return Effect.fail(failure("Write", error ?? (closing ? "connection closed by us" : "connection closed")))
      }
      writes.enqueue(bytes)
      if (writes.pending < tuning.writeHighWater) return Effect.void
      return Effect.async<void, Transport.TransportError>((resume) => {
        const cancel = writes.whenAtMost(() =>
          resume(gone ? Effect.fail(failure("Write", error ?? "connection closed")) : Effect.void)
        )
        return Effect.sync(cancel)
      })
    })

  // Bun emits 'close' (and releases the fd) a tick after destroy(); wait for it, but never for long.
  const destroy: Effect.Effect<void> = Effect.async<void>((resume) => {
    closing = true
    reads.discard()
    writes.clear()
    if (gone) return resume(Effect.void)
    const timer = setTimeout(() => resume(Effect.void), 1000)
    const f = () => {
      clearTimeout(timer)
      resume(Effect.void)
    }
    onClosed.push(f)
    socket.destroy()
    return Effect.sync(() => {
      clearTimeout(timer)
      onClosed = onClosed.filter((g) => g !== f)
    })
  })

  let closeStarted = false
  const close: Effect.Effect<void> = Effect.suspend(() => {
    if (!closeStarted && !gone) {
      closeStarted = true
      closing = true
      reads.discard()
      // Keep reading (and dropping) so the peer's FIN arrives and no unread data turns our close into a RST.
      socket.resume()
      const timer = setTimeout(() => {
        if (!gone) socket.destroy()
      }, tuning.closeTimeoutMs)
      timer.unref()
      onClosed.push(() => clearTimeout(timer))
      const endWhenFlushed = (): void => {
        if (gone) return
        writes.flush()
        if (writes.pending === 0) socket.end()
        else writes.whenAtMost(endWhenFlushed, 0)
      }
      endWhenFlushed()
    }
    return closed
  })

  const stats = Effect.sync(
    (): Stats => ({
      bytesRead: reads.bytesIn,
      bytesWritten: writes.bytesOut,
      queuedReadBytes: reads.queuedBytes,
      maxQueuedReadBytes: reads.maxQueued,
      largestReadChunk: reads.maxChunk,
      readPauses: reads.pauses,
      readPaused: reads.isPaused,
      socketWrites: writes.sinkWrites,
      pendingWriteBytes: writes.pending,
      writeBlocks: writes.blocks
    })
  )

  return { local, remote, reads: reads.stream, write, close, stats, destroy, isOpen: () => !gone }
}
