/**
 * An evil BGP peer: a raw TCP connection that sends whatever bytes it is given
 * (built with `Craft` on `@kbgp/wire`'s `Writer`) and reads what the other side
 * sends back through wire's `Framer`, so a test can assert on the NOTIFICATION,
 * the UPDATEs and the KEEPALIVEs it gets. It has no FSM of its own: `handshake`
 * does the OPEN/KEEPALIVE exchange by hand, `keepalives` answers the hold timer,
 * and everything else is the test's choice — including not reading at all
 * (`stopReading`) or sending one byte per second (`trickle`).
 */
import * as net from "node:net"
import { Context, Framer, Message, type WireError } from "@kbgp/wire"
import * as Craft from "./Craft.js"

export interface ConnectOptions {
  readonly host: string
  readonly port: number
  /** Source address to bind (the speaker knows its peers by address). */
  readonly localAddress: string
  readonly timeoutMs?: number
}

/** A message read from the speaker, with when it arrived. */
export type Received =
  | { readonly at: number; readonly message: Message.Message }
  | { readonly at: number; readonly error: WireError.WireError }

export interface HandshakeOptions {
  readonly asn: number
  readonly bgpId: string
  readonly holdTime: number
  /** Capabilities as bytes (default `Craft.defaultCapabilities(asn)`). */
  readonly capabilities?: ReadonlyArray<Uint8Array>
  readonly timeoutMs?: number
}

export class EvilPeerError extends Error {}

export class EvilPeer {
  readonly received: Array<Received> = []
  /** Bytes written so far (what `send` handed to the socket). */
  sentBytes = 0
  private readonly framer = Framer.make()
  private ctx = Context.make({ asn4: true, ebgp: true, extendedMessage: false })
  private readonly waiters = new Set<() => void>()
  private closedAt: number | undefined
  private readonly closedPromise: Promise<void>
  private timer: ReturnType<typeof setInterval> | undefined
  private framingError: WireError.WireError | undefined

  private constructor(readonly socket: net.Socket) {
    this.closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.closedAt = Date.now()
        this.stopKeepalives()
        this.wake()
        resolve()
      })
    })
    socket.on("error", () => {
      // A reset by the speaker is an outcome the test looks at, not a failure of the peer.
    })
    socket.on("data", (chunk: Buffer) => this.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
  }

  static connect(options: ConnectOptions): Promise<EvilPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: options.host, port: options.port, localAddress: options.localAddress })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new EvilPeerError(`connect to ${options.host}:${options.port} from ${options.localAddress}: timeout`))
      }, options.timeoutMs ?? 5000)
      socket.once("connect", () => {
        clearTimeout(timer)
        resolve(new EvilPeer(socket))
      })
      socket.once("error", (e) => {
        clearTimeout(timer)
        reject(new EvilPeerError(`connect to ${options.host}:${options.port} from ${options.localAddress}: ${e.message}`))
      })
    })
  }

  private onData(chunk: Uint8Array): void {
    if (this.framingError !== undefined) return
    this.framer.push(chunk)
    for (let f = this.framer.next(); f !== undefined; f = this.framer.next()) {
      if (f._tag === "WireError") {
        this.framingError = f
        this.received.push({ at: Date.now(), error: f })
        break
      }
      const m = Message.decodeFrame(f, this.ctx)
      this.received.push(m._tag === "WireError" ? { at: Date.now(), error: m } : { at: Date.now(), message: m })
    }
    this.wake()
  }

  private wake(): void {
    for (const w of this.waiters) w()
  }

  get closed(): boolean {
    return this.closedAt !== undefined
  }

  /** Resolves when the speaker (or we) closed the connection. */
  get whenClosed(): Promise<void> {
    return this.closedPromise
  }

  /** Messages received, in order (decode errors left out). */
  messages(from = 0): Array<Message.Message> {
    const out: Array<Message.Message> = []
    for (const r of this.received.slice(from)) if ("message" in r) out.push(r.message)
    return out
  }

  /** Write bytes; resolves once the socket took them (not when the speaker read them). */
  send(...chunks: ReadonlyArray<Uint8Array>): Promise<void> {
    const data = chunks.length === 1 ? chunks[0]! : Craft.concat(chunks)
    this.sentBytes += data.length
    return new Promise((resolve) => {
      if (this.closed) return resolve()
      this.socket.write(data, () => resolve())
    })
  }

  /**
   * Resolve with the first received message (from index `from`) that `match`
   * accepts; reject after `ms`, or when the connection closes first.
   */
  waitFor<M extends Message.Message>(
    match: (m: Message.Message) => m is M,
    ms?: number,
    from?: number
  ): Promise<M>
  waitFor(match: (m: Message.Message) => boolean, ms?: number, from?: number): Promise<Message.Message>
  waitFor(match: (m: Message.Message) => boolean, ms = 5000, from = 0): Promise<Message.Message> {
    return new Promise((resolve, reject) => {
      let scanned = from
      const check = () => {
        for (; scanned < this.received.length; scanned++) {
          const r = this.received[scanned]!
          if ("message" in r && match(r.message)) {
            done()
            return resolve(r.message)
          }
        }
        if (this.closed) {
          done()
          reject(new EvilPeerError(`connection closed before the awaited message; received: ${this.describe()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new EvilPeerError(`no awaited message within ${ms} ms; received: ${this.describe()}`))
      }, ms)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  /** The first NOTIFICATION received (waits up to `ms`). */
  notification(ms = 5000): Promise<Message.Notification> {
    return this.waitFor((m): m is Message.Notification => m._tag === "Notification", ms)
  }

  /** Resolves true when the connection closes within `ms`, false otherwise. */
  closesWithin(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(true)
    return Promise.race([this.closedPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
  }

  /**
   * OPEN and KEEPALIVE both ways: send our OPEN, wait for the speaker's OPEN,
   * send a KEEPALIVE, wait for its KEEPALIVE. Sets the decode context from what
   * both sides announced. Returns the speaker's OPEN.
   */
  async handshake(options: HandshakeOptions): Promise<Message.Open> {
    const caps = options.capabilities ?? Craft.defaultCapabilities(options.asn)
    await this.send(Craft.open({ asn: options.asn, holdTime: options.holdTime, bgpId: Craft.ipv4Number(options.bgpId), capabilities: caps }))
    const theirs = await this.waitFor((m): m is Message.Open => m._tag === "Open", options.timeoutMs ?? 5000)
    const weOfferExtended = caps.some((c) => c[0] === 6)
    const extended = weOfferExtended && theirs.capabilities.some((c) => c._tag === "ExtendedMessage")
    this.ctx = Context.make({ asn4: true, ebgp: true, extendedMessage: extended })
    this.framer.setExtendedMessage(extended)
    const index = this.received.length
    await this.send(Craft.keepalive())
    await this.waitFor((m) => m._tag === "Keepalive", options.timeoutMs ?? 5000, Math.max(0, index - 1))
    return theirs
  }

  /** Whether RFC 8654 extended messages were negotiated by `handshake`. */
  get extendedMessage(): boolean {
    return this.ctx.extendedMessage
  }

  /** Send a KEEPALIVE every `ms` until stopped or closed. */
  keepalives(ms: number): void {
    this.stopKeepalives()
    this.timer = setInterval(() => {
      if (!this.closed) this.socket.write(Craft.keepalive())
    }, ms)
  }

  stopKeepalives(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }

  /** Stop reading: the kernel's receive buffer fills, then the speaker's writes stall. */
  stopReading(): void {
    this.socket.pause()
  }

  resumeReading(): void {
    this.socket.resume()
  }

  /** Write `data` one byte every `intervalMs`; resolves when done or closed. */
  async trickle(data: Uint8Array, intervalMs: number): Promise<number> {
    let sent = 0
    for (const b of data) {
      if (this.closed) break
      await this.send(Uint8Array.of(b))
      sent++
      await new Promise((r) => setTimeout(r, intervalMs))
    }
    return sent
  }

  /** A one-line account of what was received, for failure messages. */
  describe(): string {
    const parts = this.received.map((r) => {
      if ("error" in r) return `framing/decode error ${r.error.code}/${r.error.subcode}`
      const m = r.message
      return m._tag === "Notification" ? `NOTIFICATION ${m.code}/${m.subcode} data ${Buffer.from(m.data).toString("hex")}` : m._tag
    })
    const compact: Array<string> = []
    for (const p of parts) {
      const last = compact[compact.length - 1]
      const match = last?.match(/^(.*) ×(\d+)$/)
      if (last === p) compact[compact.length - 1] = `${p} ×2`
      else if (match !== null && match !== undefined && match[1] === p) compact[compact.length - 1] = `${p} ×${Number(match[2]) + 1}`
      else compact.push(p)
    }
    return `[${compact.join(", ")}]${this.closed ? " (closed)" : ""}`
  }

  /** Close our side at once (RST if data is pending). */
  destroy(): void {
    this.stopKeepalives()
    this.socket.destroy()
  }
}

export const connect = EvilPeer.connect
