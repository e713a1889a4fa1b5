/**
 * A small Kubernetes API client over @effect/platform's fetch HttpClient: list, watch, get, create, replace
 * (optionally the `status` subresource), delete. No Kubernetes client library.
 *
 * TLS (CA bundle, client certificate, the insecure opt-in) goes to Bun's `fetch` through the
 * `FetchHttpClient.RequestInit` tag (`tls: { ca, cert, key, rejectUnauthorized, serverName }`).
 * A token read from a file (in-cluster service account, kubeconfig `tokenFile`) is re-read every
 * `tokenRefresh` and at once after a 401, then the request is retried once: the kubelet rotates it.
 */
import { FetchHttpClient, FileSystem, HttpClient, HttpClientRequest } from "@effect/platform"
import type { HttpClientResponse } from "@effect/platform"
import { Chunk, Clock, Context, Duration, Effect, Either, Layer, Option, Ref, Schema, Stream } from "effect"
import type { Scope } from "effect"
import { LineSplitter } from "./internal/Lines.js"
import * as KubeConfig from "./KubeConfig.js"
import { KubeError, reasonOfStatus } from "./KubeError.js"

export { KubeError } from "./KubeError.js"

/** Enough to address a resource type: `group` is `""` for the core API. */
export interface ResourceRef {
  readonly group: string
  readonly version: string
  readonly plural: string
  readonly namespaced: boolean
}

export interface ListOptions {
  readonly namespace?: string | undefined
  readonly limit?: number | undefined
  readonly continue?: string | undefined
  readonly resourceVersion?: string | undefined
  readonly labelSelector?: string | undefined
}

export interface ListPage {
  readonly items: ReadonlyArray<unknown>
  readonly resourceVersion: string
  /** Token for the next page; `undefined` on the last page. */
  readonly continue: string | undefined
}

export interface WatchOptions {
  readonly namespace?: string | undefined
  readonly resourceVersion: string
  readonly allowWatchBookmarks: boolean
  /** Asks the server to end the watch after this long (it is then resumed). */
  readonly timeoutSeconds?: number | undefined
  /** No byte for this long means the stream is dead: it fails with reason "Timeout". */
  readonly idleTimeout: Duration.DurationInput
  readonly labelSelector?: string | undefined
}

export type WatchEvent =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; readonly object: unknown }
  | { readonly type: "ERROR"; readonly code: number; readonly reason: string; readonly message: string }

export interface Settings {
  /** Timeout of a single non-watch request, and of a watch until its response headers arrive. */
  readonly requestTimeout: Duration.DurationInput
  /** How often a token file is re-read (it is also re-read after any 401). */
  readonly tokenRefresh: Duration.DurationInput
}

export const defaults: Settings = {
  requestTimeout: Duration.seconds(30),
  tokenRefresh: Duration.seconds(60)
}

export interface Service {
  readonly config: KubeConfig.KubeConfig
  readonly list: (ref: ResourceRef, options?: ListOptions) => Effect.Effect<ListPage, KubeError>
  /**
   * Opens a watch. The effect succeeds once the server answered 200 (so callers can tell "connected" from
   * "could not connect"); the stream then yields events until the server ends it, and fails on a broken or
   * silent connection or a malformed line. The connection lives in the given scope.
   */
  readonly watch: (
    ref: ResourceRef,
    options: WatchOptions
  ) => Effect.Effect<Stream.Stream<WatchEvent, KubeError>, KubeError, Scope.Scope>
  readonly get: (ref: ResourceRef, namespace: string | undefined, name: string) => Effect.Effect<unknown, KubeError>
  readonly create: (ref: ResourceRef, namespace: string | undefined, body: unknown) => Effect.Effect<unknown, KubeError>
  /** PUT; with `subresource: "status"` only the status is written. Conflicts (409) surface as reason "Conflict". */
  readonly replace: (
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource?: "status"
  ) => Effect.Effect<unknown, KubeError>
  readonly delete: (ref: ResourceRef, namespace: string | undefined, name: string) => Effect.Effect<void, KubeError>
}

export class KubeClient extends Context.Tag("@kbgp/k8s-source/KubeClient")<KubeClient, Service>() {}

// ---------------------------------------------------------------------------------------------------------
// Paths

const groupPrefix = (ref: ResourceRef) => ref.group === "" ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`

/** `/api/v1/services` or `/apis/g/v/namespaces/ns/plural`. */
export const collectionPath = (ref: ResourceRef, namespace?: string | undefined): string =>
  `${groupPrefix(ref)}${ref.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${ref.plural}`

export const objectPath = (
  ref: ResourceRef,
  namespace: string | undefined,
  name: string,
  subresource?: string
): string => `${collectionPath(ref, namespace)}/${encodeURIComponent(name)}${subresource === undefined ? "" : `/${subresource}`}`

/** `namespace/name` (or `name`) for messages. */
export const describe = (ref: ResourceRef, namespace: string | undefined, name: string): string =>
  `${ref.plural}${ref.group === "" ? "" : `.${ref.group}`} ${namespace === undefined ? "" : `${namespace}/`}${name}`

// ---------------------------------------------------------------------------------------------------------
// Responses

const ListBody = Schema.Struct({
  metadata: Schema.optional(Schema.Struct({
    resourceVersion: Schema.optional(Schema.String),
    continue: Schema.optional(Schema.String)
  })),
  items: Schema.optional(Schema.NullOr(Schema.Array(Schema.Unknown)))
})

const StatusBody = Schema.Struct({
  code: Schema.optional(Schema.Number),
  reason: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
})

const statusMessage = (text: string): string => {
  try {
    const status = Schema.decodeUnknownOption(StatusBody)(JSON.parse(text))
    if (Option.isSome(status) && status.value.message !== undefined) return status.value.message
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300)
}

const parseWatchLine = (line: string, url: string): Either.Either<WatchEvent, KubeError> => {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (cause) {
    return Either.left(new KubeError({ reason: "Decode", target: url, detail: `watch line is not JSON: ${line.slice(0, 120)}`, cause }))
  }
  if (typeof value !== "object" || value === null || !("type" in value) || !("object" in value)) {
    return Either.left(new KubeError({ reason: "Decode", target: url, detail: `watch line is not an event: ${line.slice(0, 120)}` }))
  }
  const { type, object } = value as { type: unknown; object: unknown }
  switch (type) {
    case "ADDED":
    case "MODIFIED":
    case "DELETED":
    case "BOOKMARK":
      return Either.right({ type, object })
    case "ERROR": {
      const status = Schema.decodeUnknownOption(StatusBody)(object)
      return Either.right({
        type: "ERROR",
        code: Option.match(status, { onNone: () => 0, onSome: (s) => s.code ?? 0 }),
        reason: Option.match(status, { onNone: () => "", onSome: (s) => s.reason ?? "" }),
        message: Option.match(status, { onNone: () => "", onSome: (s) => s.message ?? "" })
      })
    }
    default:
      return Either.left(new KubeError({ reason: "Decode", target: url, detail: `unknown watch event type ${String(type)}` }))
  }
}

// ---------------------------------------------------------------------------------------------------------
// Construction

const tlsOptions = (tls: KubeConfig.TlsConfig) => ({
  ...(tls.ca === undefined ? {} : { ca: tls.ca }),
  ...(tls.cert === undefined ? {} : { cert: tls.cert }),
  ...(tls.key === undefined ? {} : { key: tls.key }),
  ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
  rejectUnauthorized: !tls.insecureSkipTlsVerify
})

/** Builds a client for a resolved configuration. Needs a FileSystem only to re-read a token file. */
export const make = (
  config: KubeConfig.KubeConfig,
  settings: Partial<Settings> = {}
): Effect.Effect<Service, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const s: Settings = { ...defaults, ...settings }
    const fs = yield* FileSystem.FileSystem
    const http = yield* HttpClient.HttpClient.pipe(Effect.provide(FetchHttpClient.layer))
    const requestInit: BunFetchRequestInit = config.server.startsWith("https:") ? { tls: tlsOptions(config.tls) } : {}
    const tokenCache = yield* Ref.make<{ readonly token: string; readonly readAt: number } | undefined>(undefined)

    const token = (force: boolean): Effect.Effect<string | undefined, KubeError> => {
      const source = config.token
      if (source === undefined) return Effect.succeed(undefined)
      if (source._tag === "Static") return Effect.succeed(source.token)
      return Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const cached = yield* Ref.get(tokenCache)
        if (!force && cached !== undefined && now - cached.readAt < Duration.toMillis(s.tokenRefresh)) {
          return cached.token
        }
        const read = yield* fs.readFileString(source.path).pipe(Effect.either)
        if (Either.isLeft(read)) {
          // During a rotation the file can briefly be missing: keep using the last token if there is one.
          if (cached !== undefined) return cached.token
          return yield* new KubeError({
            reason: "Config",
            target: source.path,
            detail: `cannot read token file: ${read.left.message}`,
            cause: read.left
          })
        }
        const fresh = read.right.trim()
        yield* Ref.set(tokenCache, { token: fresh, readAt: now })
        return fresh
      })
    }

    const canRefreshToken = config.token?._tag === "File"

    /** Sends one request; a non-2xx answer becomes a KubeError carrying the server's Status message. */
    const send = (
      method: "GET" | "POST" | "PUT" | "DELETE",
      path: string,
      query: Record<string, string>,
      body: unknown,
      target: string
    ): Effect.Effect<HttpClientResponse.HttpClientResponse, KubeError, Scope.Scope> => {
      const url = `${config.server}${path}`
      const attempt = (force: boolean) =>
        Effect.gen(function*() {
          const bearer = yield* token(force)
          let request = HttpClientRequest.make(method)(url).pipe(
            HttpClientRequest.setUrlParams(query),
            HttpClientRequest.acceptJson
          )
          if (bearer !== undefined && bearer !== "") request = HttpClientRequest.bearerToken(request, bearer)
          if (body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, body)
          const response = yield* HttpClient.withScope(http).execute(request).pipe(
            Effect.provideService(FetchHttpClient.RequestInit, requestInit),
            Effect.timeoutFail({
              duration: s.requestTimeout,
              onTimeout: () =>
                new KubeError({ reason: "Timeout", target, detail: `no answer within ${Duration.format(s.requestTimeout)}` })
            }),
            Effect.mapError((e) =>
              e._tag === "KubeError" ? e : new KubeError({
                reason: "Unreachable",
                target,
                detail: `${method} ${url}: ${e.cause instanceof Error ? e.cause.message : e.message}`,
                cause: e
              })
            )
          )
          if (response.status >= 200 && response.status < 300) return response
          const text = yield* response.text.pipe(Effect.orElseSucceed(() => ""))
          return yield* new KubeError({
            reason: reasonOfStatus(response.status),
            target,
            detail: `${method} ${url}: ${response.status} ${statusMessage(text)}`,
            status: response.status
          })
        })
      return attempt(false).pipe(
        Effect.catchIf(
          (e) => e.reason === "Unauthorized" && canRefreshToken,
          () => attempt(true)
        )
      )
    }

    const json = (response: HttpClientResponse.HttpClientResponse, target: string) =>
      response.json.pipe(
        Effect.mapError((cause) =>
          new KubeError({ reason: "Decode", target, detail: `response is not JSON: ${cause.message}`, cause })
        )
      )

    const call = (
      method: "GET" | "POST" | "PUT" | "DELETE",
      path: string,
      query: Record<string, string>,
      body: unknown,
      target: string
    ) =>
      Effect.scoped(Effect.flatMap(send(method, path, query, body, target), (r) => json(r, target))).pipe(
        // The whole request, body included: a server that sends the head and then stalls the body must not
        // hold a list (or a write) forever. Interrupting the read closes the scope, which aborts the fetch.
        Effect.timeoutFail({
          duration: s.requestTimeout,
          onTimeout: () =>
            new KubeError({ reason: "Timeout", target, detail: `no complete answer within ${Duration.format(s.requestTimeout)}` })
        })
      )

    const list: Service["list"] = (ref, options = {}) => {
      const path = collectionPath(ref, options.namespace)
      const query: Record<string, string> = {}
      if (options.limit !== undefined) query.limit = String(options.limit)
      if (options.continue !== undefined) query.continue = options.continue
      if (options.resourceVersion !== undefined) query.resourceVersion = options.resourceVersion
      if (options.labelSelector !== undefined) query.labelSelector = options.labelSelector
      const target = `${config.server}${path}`
      return call("GET", path, query, undefined, target).pipe(
        Effect.flatMap((body) =>
          Schema.decodeUnknown(ListBody)(body).pipe(
            Effect.mapError((cause) =>
              new KubeError({ reason: "Decode", target, detail: `not a list: ${cause.message}`, cause })
            )
          )
        ),
        Effect.map((body) => ({
          items: body.items ?? [],
          resourceVersion: body.metadata?.resourceVersion ?? "",
          continue: body.metadata?.continue === undefined || body.metadata.continue === ""
            ? undefined
            : body.metadata.continue
        }))
      )
    }

    const watch: Service["watch"] = (ref, options) =>
      Effect.gen(function*() {
        const path = collectionPath(ref, options.namespace)
        const target = `${config.server}${path}?watch`
        const query: Record<string, string> = {
          watch: "true",
          resourceVersion: options.resourceVersion,
          allowWatchBookmarks: String(options.allowWatchBookmarks)
        }
        if (options.timeoutSeconds !== undefined) query.timeoutSeconds = String(options.timeoutSeconds)
        if (options.labelSelector !== undefined) query.labelSelector = options.labelSelector
        const response = yield* send("GET", path, query, undefined, target)
        const idle = Duration.decode(options.idleTimeout)
        return Stream.suspend(() => {
          const lines = new LineSplitter()
          return response.stream.pipe(
            Stream.mapError((cause) =>
              new KubeError({ reason: "Unreachable", target, detail: `watch stream broke: ${cause.message}`, cause })
            ),
            Stream.timeoutFail(
              () => new KubeError({ reason: "Timeout", target, detail: `watch silent for ${Duration.format(idle)}` }),
              idle
            ),
            // One chunk of bytes becomes one chunk of events, so consumers can apply them as a batch.
            Stream.mapChunksEffect((chunk) => {
              const events: Array<WatchEvent> = []
              for (const bytes of chunk) {
                for (const line of lines.push(bytes)) {
                  const event = parseWatchLine(line, target)
                  if (Either.isLeft(event)) return Effect.fail(event.left)
                  events.push(event.right)
                }
              }
              return Effect.succeed(Chunk.unsafeFromArray(events))
            })
          )
        })
      })

    const get: Service["get"] = (ref, namespace, name) =>
      call("GET", objectPath(ref, namespace, name), {}, undefined, describe(ref, namespace, name))

    const create: Service["create"] = (ref, namespace, body) =>
      call("POST", collectionPath(ref, namespace), {}, body, `${collectionPath(ref, namespace)}`)

    const replace: Service["replace"] = (ref, namespace, name, body, subresource) =>
      call("PUT", objectPath(ref, namespace, name, subresource), {}, body, describe(ref, namespace, name))

    const del: Service["delete"] = (ref, namespace, name) =>
      Effect.asVoid(call("DELETE", objectPath(ref, namespace, name), {}, undefined, describe(ref, namespace, name)))

    return { config, list, watch, get, create, replace, delete: del } satisfies Service
  })

/** A client for a resolved configuration. */
export const layer = (
  config: KubeConfig.KubeConfig,
  settings: Partial<Settings> = {}
): Layer.Layer<KubeClient, never, FileSystem.FileSystem> => Layer.effect(KubeClient, make(config, settings))

/**
 * Resolves the configuration (`KubeConfig.resolve`) and builds a client; fails with reason "Config" when no
 * cluster is configured (the agent then uses the manifest source instead and never builds this layer).
 */
export const layerFromOptions = (
  options: Partial<KubeConfig.Options> = {},
  settings: Partial<Settings> = {}
): Layer.Layer<KubeClient, KubeError, FileSystem.FileSystem> =>
  Layer.effect(
    KubeClient,
    Effect.flatMap(KubeConfig.resolve(options), (found) =>
      Option.match(found, {
        onNone: () =>
          Effect.fail(
            new KubeError({ reason: "Config", target: "kubernetes", detail: "no in-cluster service account and no kubeconfig found" })
          ),
        onSome: (config) => make(config, settings)
      }))
  )
