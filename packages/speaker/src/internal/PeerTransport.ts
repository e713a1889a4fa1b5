/**
 * A `Transport` seen through one peer: every connection of the peer's session
 * (outgoing, or inbound handed over by the listener) is wrapped so that
 *
 * - BGP messages are counted by type in both directions, by walking message
 *   headers in the byte stream (no decoding, no copies);
 * - the speaker can `sever` the peer's connections: close them at once and
 *   swallow anything the session writes afterwards. A graceful-restart stop
 *   uses it, so the peer sees the TCP connection end without a NOTIFICATION
 *   (RFC 4724 §4.2: it then keeps our routes as stale).
 */
import type { Transport } from "@kbgp/fsm"
import { Effect, Stream } from "effect"
import { Signal, until } from "./Signal.js"

/** Messages by BGP type (index 1..5), plus the total at index 0. */
export type Counts = Float64Array

export const newCounts = (): Counts => new Float64Array(6)

/** Counts the messages of a byte stream, chunk by chunk: reads only the length and type of each header. */
class HeaderWalker {
  /** Bytes of the current message still to skip (its body), or -1 while collecting a header. */
  private skip = 0
  private readonly header = new Uint8Array(19)
  private have = 0

  constructor(private readonly counts: Counts) {}

  push(chunk: Uint8Array): void {
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, n - i)
        this.skip -= take
        i += take
        continue
      }
      const take = Math.min(19 - this.have, n - i)
      this.header.set(chunk.subarray(i, i + take), this.have)
      this.have += take
      i += take
      if (this.have < 19) return
      this.have = 0
      const length = (this.header[16]! << 8) | this.header[17]!
      const type = this.header[18]!
      this.counts[0]!++
      if (type >= 1 && type <= 5) this.counts[type]!++
      // A malformed length ends the session anyway; stop counting sensibly rather than loop.
      this.skip = length >= 19 ? length - 19 : Number.POSITIVE_INFINITY
    }
  }
}

export interface PeerTransport {
  readonly transport: Transport.Transport["Type"]
  /** Wrap an inbound connection the listener hands to this peer's session. */
  readonly wrap: (connection: Transport.Connection) => Transport.Connection
  /** Close every open connection now; later writes on them are dropped silently. */
  readonly sever: Effect.Effect<void>
  /** Wait until no connection of the peer is open (after a stop, while the NOTIFICATION drains). */
  readonly idle: Effect.Effect<void>
  /** The local address of the latest connection: the "self" next hop. */
  readonly localAddress: () => string | undefined
  readonly received: Counts
  readonly sent: Counts
}

export const make = (inner: Transport.Transport["Type"]): PeerTransport => {
  const received = newCounts()
  const sent = newCounts()
  type Slot = { severed: boolean; readonly connection: Transport.Connection }
  const open = new Set<Slot>()
  const closed = new Signal()
  let localAddress: string | undefined
  const forget = (slot: Slot) => {
    open.delete(slot)
    if (open.size === 0) closed.fire()
  }

  const wrap = (connection: Transport.Connection): Transport.Connection => {
    const slot: Slot = { severed: false, connection }
    open.add(slot)
    localAddress = connection.local.address
    const inWalker = new HeaderWalker(received)
    const outWalker = new HeaderWalker(sent)
    return {
      local: connection.local,
      remote: connection.remote,
      reads: connection.reads.pipe(
        Stream.mapChunks((chunk) => {
          for (const bytes of chunk) inWalker.push(bytes)
          return chunk
        }),
        Stream.ensuring(Effect.sync(() => forget(slot)))
      ),
      write: (bytes) =>
        Effect.suspend(() => {
          if (slot.severed) return Effect.void
          outWalker.push(bytes)
          return connection.write(bytes)
        }),
      close: Effect.ensuring(connection.close, Effect.sync(() => forget(slot)))
    }
  }

  const transport: Transport.Transport["Type"] = {
    connect: (options) => Effect.map(inner.connect(options), wrap),
    listen: inner.listen
  }

  const sever = Effect.suspend(() => {
    const slots = [...open]
    for (const s of slots) s.severed = true
    return Effect.forEach(
      slots,
      (s) => Effect.ensuring(Effect.ignore(Effect.timeout(s.connection.close, "2 seconds")), Effect.sync(() => forget(s))),
      { discard: true }
    )
  })

  return {
    transport,
    wrap,
    sever,
    idle: until(closed, () => open.size === 0),
    localAddress: () => localAddress,
    received,
    sent
  }
}
