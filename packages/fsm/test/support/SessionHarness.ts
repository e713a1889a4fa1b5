/** Helpers for the Session tests: a TestClock runner, session configs, and a scripted peer speaking raw bytes. */
import { Chunk, Effect, Layer, Logger, Option, type Scope, Stream, TestContext } from "effect"
import { Context as WireContext, Framer, Message } from "@kbgp/wire"
import type { WireError } from "@kbgp/wire"
import * as Config from "../../src/Config.js"
import type * as MemoryTransport from "../../src/MemoryTransport.js"
import type { Connection, TransportError } from "../../src/Transport.js"

export const A = { address: "10.0.0.1", as: 65001, id: 0x0a000001 }
export const B = { address: "10.0.0.2", as: 65002, id: 0x0a000002 }

/** Log lines a test can inspect; the default logger stays quiet. */
export const logs: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []

const captureLogger = Logger.make(({ logLevel, message, annotations }) => {
  const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  const record: Record<string, unknown> = {}
  for (const [k, v] of annotations) record[k] = v
  logs.push({ level: logLevel.label, message: text, annotations: record })
})

const testLayer = Layer.merge(TestContext.TestContext, Logger.replace(Logger.defaultLogger, captureLogger))

/** Run a scoped effect with TestClock and captured logs. */
export const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => {
  logs.length = 0
  return Effect.runPromise(Effect.provide(Effect.scoped(effect), testLayer))
}

/** FSM config of one side: jitter off so timer durations are exact. */
export const fsmConfig = (
  self: typeof A,
  peer: typeof A,
  overrides: Partial<Parameters<typeof Config.make>[0]> = {}
): Config.Config => Config.make({ localAs: self.as, bgpId: self.id, peerAs: peer.as, jitter: false, ...overrides })

/**
 * The far end of a connection, driven by the test: it decodes what the
 * session sends and writes raw bytes back.
 */
export class ScriptedPeer {
  private readonly framer = Framer.make({ extendedMessage: false })
  ctx: WireContext.Context = WireContext.defaults

  private constructor(
    readonly connection: Connection,
    private readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<TransportError>>
  ) {}

  static make = (connection: Connection): Effect.Effect<ScriptedPeer, never, Scope.Scope> =>
    Effect.map(Stream.toPull(connection.reads), (pull) => new ScriptedPeer(connection, pull))

  /** The next message the session sent; None when the connection ended. */
  next: Effect.Effect<Option.Option<Message.Message | WireError.WireError>, TransportError> = Effect.suspend(() => {
    const f = this.framer.next()
    if (f !== undefined) {
      return Effect.succeed(Option.some(f._tag === "WireError" ? f : Message.decodeFrame(f, this.ctx)))
    }
    return this.pull.pipe(
      Effect.matchEffect({
        onFailure: (e) => (Option.isNone(e) ? Effect.succeed(false) : Effect.fail(e.value)),
        onSuccess: (chunk) =>
          Effect.sync(() => {
            for (const c of chunk) this.framer.push(c)
            return true
          })
      }),
      Effect.flatMap((more): Effect.Effect<Option.Option<Message.Message | WireError.WireError>, TransportError> => (more ? this.next : Effect.succeed(Option.none())))
    )
  })

  /** The next message, which must have this tag. */
  expect = <T extends Message.Message["_tag"]>(tag: T): Effect.Effect<Extract<Message.Message, { readonly _tag: T }>, Error> =>
    Effect.flatMap(Effect.mapError(this.next, (e) => new Error(e.message)), (m) => {
      if (Option.isNone(m)) return Effect.fail(new Error(`expected ${tag}, the connection ended`))
      const v = m.value
      if (v._tag !== tag) return Effect.fail(new Error(`expected ${tag}, got ${v._tag}: ${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x))}`))
      return Effect.succeed(v as Extract<Message.Message, { readonly _tag: T }>)
    })

  /** Everything until the end of the connection. */
  rest: Effect.Effect<Array<Message.Message | WireError.WireError>, TransportError> = Effect.gen(this, function* () {
    const out: Array<Message.Message | WireError.WireError> = []
    while (true) {
      const m = yield* this.next
      if (Option.isNone(m)) return out
      out.push(m.value)
    }
  })

  send = (...messages: ReadonlyArray<Message.Message>): Effect.Effect<void, TransportError> =>
    this.connection.write(concat(messages.map((m) => Message.encode(m, this.ctx))))

  sendBytes = (bytes: Uint8Array): Effect.Effect<void, TransportError> => this.connection.write(bytes)
}

export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Take the next inbound connection of a memory listener. */
export const nextConnection = (listener: MemoryTransport.MemoryListener | { readonly connections: Stream.Stream<Connection, TransportError> }) =>
  Effect.map(Stream.runCollect(Stream.take(listener.connections, 1)), Chunk.unsafeHead)
