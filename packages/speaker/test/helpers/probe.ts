/**
 * Runs transport operations in a child process, for what the test process
 * cannot do itself: act as an unprivileged user, or live in a network
 * namespace without routes. Prints one JSON result per operation.
 *
 *   bun probe.ts '[{"op":"listen","address":"127.0.0.1","port":179}]'
 */
import { Effect, Stream } from "effect"
import * as TcpTransport from "../../src/TcpTransport.js"

export type Op =
  | { readonly op: "listen"; readonly address: string; readonly port: number }
  | { readonly op: "connect"; readonly address: string; readonly port: number; readonly timeoutMs: number }
  /** Listen on `address`, connect to it, report the endpoints each side sees. */
  | { readonly op: "pair"; readonly address: string }

export type Result =
  | { readonly ok: true; readonly info?: unknown }
  | { readonly ok: false; readonly reason: string; readonly detail: string; readonly message: string }

const transport = TcpTransport.make()

const pair = (address: string) =>
  Effect.gen(function* () {
    const l = yield* transport.listen({ address, port: 0 })
    const c = yield* transport.connect({ address, port: l.local.port, timeout: 1000 })
    const s = yield* Stream.runHead(l.connections).pipe(Effect.flatMap(Effect.orDie))
    return { listener: l.local, client: { local: c.local, remote: c.remote }, server: { local: s.local, remote: s.remote } }
  })

const runOp = (op: Op): Effect.Effect<unknown, { reason: string; detail: string; message: string }> =>
  Effect.scoped(
    op.op === "listen"
      ? Effect.asVoid(transport.listen({ address: op.address, port: op.port }))
      : op.op === "connect"
        ? Effect.asVoid(transport.connect({ address: op.address, port: op.port, timeout: op.timeoutMs }))
        : pair(op.address)
  )

const ops: Array<Op> = JSON.parse(process.argv[2] ?? "[]")
const results: Array<Result> = []
for (const op of ops) {
  results.push(
    await Effect.runPromise(
      runOp(op).pipe(
        Effect.match({
          onSuccess: (info): Result => (info === undefined ? { ok: true } : { ok: true, info }),
          onFailure: (e): Result => ({ ok: false, reason: e.reason, detail: e.detail, message: e.message })
        })
      )
    )
  )
}
process.stdout.write(JSON.stringify(results))
