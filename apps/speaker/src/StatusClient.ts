/**
 * The CLI side of the status endpoint: `peers` and `routes` fetch the same
 * documents the HTTP API serves and print them as tables or JSON. A daemon
 * that is not running is a clear message, not a stack trace.
 */
import { Data, Duration, Effect } from "effect"
import type { Command, HostPort } from "./Cli.js"
import type { PeersDocument, RoutesDocument } from "./Status.js"
import { formatHostPort } from "./StatusServer.js"
import * as Table from "./Table.js"

export class ClientError extends Data.TaggedError("ClientError")<{
  readonly reason: "NotRunning" | "Timeout" | "Http" | "Protocol"
  readonly message: string
}> {}

const TIMEOUT = Duration.seconds(10)

/** GET a JSON document from the status endpoint. */
export const get = <A>(status: HostPort, pathAndQuery: string): Effect.Effect<A, ClientError> => {
  const where = formatHostPort(status)
  return Effect.tryPromise({
    try: (signal) => fetch(`http://${where}${pathAndQuery}`, { signal }),
    catch: (e) => {
      const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : ""
      return code === "ECONNREFUSED" || code === "ConnectionRefused"
        ? new ClientError({
            reason: "NotRunning",
            message: `no speaker answers at ${where}: is \`bun run speaker\` running? (its status endpoint is set by --status; pass the same --status here)`
          })
        : new ClientError({ reason: "Http", message: `cannot reach the speaker at ${where}: ${e instanceof Error ? e.message : String(e)}` })
    }
  }).pipe(
    Effect.timeoutFail({
      duration: TIMEOUT,
      onTimeout: () => new ClientError({ reason: "Timeout", message: `the speaker at ${where} did not answer within ${Duration.format(TIMEOUT)}` })
    }),
    Effect.flatMap((response) =>
      Effect.tryPromise({
        try: () => response.text(),
        catch: (e) => new ClientError({ reason: "Http", message: `reading the answer from ${where}: ${String(e)}` })
      }).pipe(
        Effect.flatMap((text) => {
          let body: unknown
          try {
            body = JSON.parse(text)
          } catch {
            return Effect.fail(new ClientError({ reason: "Protocol", message: `${where} did not answer with JSON (is it a kbgp speaker?)` }))
          }
          if (!response.ok) {
            const error = typeof body === "object" && body !== null && "error" in body ? String((body as { error: unknown }).error) : text
            return Effect.fail(new ClientError({ reason: "Http", message: `${error} (HTTP ${response.status})` }))
          }
          return Effect.succeed(body as A)
        })
      )
    )
  )
}

/** What `peers`/`routes` print (no trailing newline). */
export const run = (command: Extract<Command, { _tag: "Peers" | "Routes" }>): Effect.Effect<string, ClientError> => {
  if (command._tag === "Peers") {
    return get<PeersDocument>(command.status, "/v1/peers").pipe(
      Effect.map((doc) => (command.output === "json" ? JSON.stringify(doc, null, 2) : Table.peers(doc.peers)))
    )
  }
  const q = new URLSearchParams()
  if (command.peer !== undefined) q.set("peer", command.peer)
  if (command.direction !== undefined) q.set("direction", command.direction)
  if (command.family !== undefined) q.set("family", command.family)
  if (command.limit !== undefined) q.set("limit", String(command.limit))
  const query = q.size > 0 ? `?${q.toString()}` : ""
  return get<RoutesDocument>(command.status, `/v1/routes${query}`).pipe(
    Effect.map((doc) => (command.output === "json" ? JSON.stringify(doc, null, 2) : Table.routes(doc.routes)))
  )
}
