/**
 * The status endpoint: a small HTTP server (GET only) over the speaker's
 * introspection.
 *
 * | path | what |
 * |---|---|
 * | `/v1/peers` | every peer: state, uptime, negotiated capabilities, counters, last error |
 * | `/v1/routes?peer=&direction=&family=&limit=` | routes received from / advertised to peers, every attribute as text, stale flags |
 * | `/v1/speaker` | speaker counters and the config reload record |
 * | `/metrics` | Prometheus text |
 *
 * It is `Bun.serve` itself rather than @effect/platform's server because a bind
 * failure (port taken, address not local) must come back as a typed error the
 * daemon can explain, not as a defect; each request runs as an Effect on the
 * daemon's runtime (its logger included).
 */
import { Data, Effect, Either, Ref, Runtime, type Scope } from "effect"
import type { Introspection } from "@kbgp/speaker"
import type { HostPort } from "./Cli.js"
import { parseFamily } from "./internal/Fields.js"
import * as Metrics from "./Metrics.js"
import type { Direction, ReloadsRef, RouteRow, Source } from "./Status.js"

export class StatusError extends Data.TaggedError("StatusError")<{
  readonly address: string
  readonly detail: string
}> {
  override get message(): string {
    return `cannot serve status on ${this.address}: ${this.detail}`
  }
}

export interface StatusServer {
  /** The bound address (the real port when 0 was asked). */
  readonly address: HostPort
  readonly url: string
}

/** `127.0.0.1:7179`, `[::1]:7179`. */
export const formatHostPort = (a: HostPort): string => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)

const json = (status: number, body: unknown): Response =>
  new Response(`${JSON.stringify(body)}\n`, { status, headers: { "content-type": "application/json; charset=utf-8" } })

const problem = (status: number, error: string): Response => json(status, { error })

const DIRECTIONS: ReadonlyArray<Direction> = ["received", "advertised"]

/** Rows as one JSON document, written in chunks so a full table is never one giant string. */
const routesResponse = (groups: ReadonlyArray<ReadonlyArray<RouteRow>>): Response => {
  let g = 0
  let i = 0
  let first = true
  const encoder = new TextEncoder()
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('{"routes":['))
    },
    pull(controller) {
      const parts: Array<string> = []
      while (g < groups.length && parts.length < 2000) {
        const rows = groups[g]!
        if (i >= rows.length) {
          g++
          i = 0
          continue
        }
        parts.push((first ? "\n" : ",\n") + JSON.stringify(rows[i++]))
        first = false
      }
      if (parts.length > 0) controller.enqueue(encoder.encode(parts.join("")))
      if (g >= groups.length) {
        controller.enqueue(encoder.encode("\n]}\n"))
        controller.close()
      }
    }
  })
  return new Response(stream, { status: 200, headers: { "content-type": "application/json; charset=utf-8" } })
}

/** The query of `/v1/routes`, checked; an error text for 400 otherwise. */
export const routeQuery = (
  params: URLSearchParams
): Either.Either<
  { peer: string | undefined; directions: ReadonlyArray<Direction>; family: Introspection.RouteQuery["family"]; limit: number | undefined },
  string
> => {
  for (const k of params.keys()) {
    if (k !== "peer" && k !== "direction" && k !== "family" && k !== "limit") {
      return Either.left(`unknown parameter ${JSON.stringify(k)} (known: peer, direction, family, limit)`)
    }
  }
  const d = params.get("direction")
  if (d !== null && d !== "received" && d !== "advertised") return Either.left(`direction ${JSON.stringify(d)}: expected received or advertised`)
  const f = params.get("family")
  const family = f === null ? undefined : parseFamily(f)
  if (f !== null && family === undefined) return Either.left(`family ${JSON.stringify(f)}: expected ipv4-unicast or ipv6-unicast`)
  const l = params.get("limit")
  const limit = l === null ? undefined : Number(l)
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) return Either.left(`limit ${JSON.stringify(l)}: expected a whole number ≥ 1`)
  const peer = params.get("peer")
  return Either.right({ peer: peer === null || peer === "" ? undefined : peer, directions: d === null ? DIRECTIONS : [d], family, limit })
}

/** One request to a response; exported so tests can call it without a socket. */
export const handle = (source: Source, reloads: ReloadsRef | undefined) => (request: Request): Effect.Effect<Response> =>
  Effect.gen(function* () {
    const url = new URL(request.url)
    if (request.method !== "GET" && request.method !== "HEAD") return problem(405, `${request.method} is not allowed: the status endpoint is read-only`)
    switch (url.pathname) {
      case "/v1/peers":
        return json(200, { peers: yield* source.peers })
      case "/v1/speaker": {
        const counters = yield* source.counters
        return json(200, { counters, config: reloads === undefined ? undefined : yield* Ref.get(reloads) })
      }
      case "/metrics": {
        const peers = yield* source.peers
        const counters = yield* source.counters
        const body = Metrics.render(peers, counters, reloads === undefined ? undefined : yield* Ref.get(reloads))
        return new Response(body, { status: 200, headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } })
      }
      case "/v1/routes": {
        const q = routeQuery(url.searchParams)
        if (Either.isLeft(q)) return problem(400, q.left)
        const { peer, directions, family, limit } = q.right
        const names = peer !== undefined ? [peer] : (yield* source.peers).map((p) => p.name)
        const groups: Array<ReadonlyArray<RouteRow>> = []
        for (const name of names) {
          for (const direction of directions) {
            const routes = yield* source.routes({
              peer: name,
              direction,
              ...(family !== undefined ? { family } : {}),
              ...(limit !== undefined ? { limit } : {})
            }).pipe(Effect.either)
            if (Either.isLeft(routes)) {
              if (routes.left.reason !== "UnknownPeer") return problem(500, routes.left.message)
              // Asked for by name: a 404. Listed a moment ago: removed by a reload since, so it has no routes.
              if (peer !== undefined) return problem(404, `no peer ${JSON.stringify(name)}`)
              continue
            }
            groups.push(routes.right.map((r) => ({ peer: name, direction, ...r })))
          }
        }
        return routesResponse(groups)
      }
      case "/":
        return json(200, { endpoints: ["/v1/peers", "/v1/routes?peer=&direction=received|advertised&family=&limit=", "/v1/speaker", "/metrics"] })
      default:
        return problem(404, `no such endpoint ${url.pathname} (see /)`)
    }
  }).pipe(
    Effect.catchAllDefect((d) =>
      Effect.logError("status request failed", d).pipe(Effect.as(problem(500, "internal error (see the speaker's log)")))
    ),
    Effect.annotateLogs({ path: new URL(request.url).pathname })
  )

/** Serve status at `address` for as long as the scope is open. */
export const make = (
  source: Source,
  address: HostPort,
  reloads?: ReloadsRef
): Effect.Effect<StatusServer, StatusError, Scope.Scope> =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runPromise(runtime)
    const respond = handle(source, reloads)
    const server = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          Bun.serve({
            hostname: address.host,
            port: address.port,
            // Metrics scrapes and CLI calls are short; no keep-alive state worth keeping.
            idleTimeout: 30,
            fetch: (request) => run(respond(request))
          }),
        catch: (e) => new StatusError({ address: formatHostPort(address), detail: bindDetail(e) })
      }),
      (s) => Effect.promise(() => s.stop(true))
    )
    const bound = { host: address.host, port: server.port ?? address.port }
    return { address: bound, url: `http://${formatHostPort(bound)}` }
  })

const bindDetail = (e: unknown): string => {
  const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : ""
  if (code === "EADDRINUSE") return "the port is in use (another speaker running?); choose another with --status ADDR:PORT, or --status off"
  if (code === "EADDRNOTAVAIL") return "the address is not on this host"
  if (code === "EACCES" || code === "EPERM") return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)"
  return e instanceof Error ? e.message : String(e)
}
