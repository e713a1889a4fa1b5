/**
 * Test glue between the fake API server and @kbgp/k8s-source: a client configuration for the server, an
 * Effect runner with the Bun file system and a captured log, waiting helpers, and "cache equals server".
 */
import type { FileSystem } from "@effect/platform"
import { BunFileSystem } from "@effect/platform-bun"
import { Kinds, KubeClient } from "@kbgp/k8s-source"
import type { KubeConfig, Reflector } from "@kbgp/k8s-source"
import { Duration, Effect, Either, Logger, LogLevel, Option, Stream } from "effect"
import type { Scope } from "effect"
import type { FakeApiServer, K8sObject } from "./FakeApiServer.js"
import { canonical } from "./FakeApiServer.js"

/** Reflector settings scaled down for tests: tiny pages, short timeouts and backoffs. */
export const fastReflector: Partial<Reflector.Settings> = {
  pageSize: 2,
  watchTimeoutSeconds: 30,
  idleTimeout: Duration.millis(600),
  backoffInitial: Duration.millis(20),
  backoffMax: Duration.millis(200),
  absentRecheck: Duration.millis(300)
}

/** A configuration for the plain-HTTP fake server with a static token. */
export const configFor = (server: FakeApiServer, token: string | undefined = "test-token"): KubeConfig.KubeConfig => ({
  server: server.url,
  origin: "test",
  namespace: "default",
  token: token === undefined ? undefined : { _tag: "Static", token },
  tls: { ca: undefined, cert: undefined, key: undefined, insecureSkipTlsVerify: false, serverName: undefined }
})

/** Log lines written while a test ran (level and message). */
export type LogLines = Array<string>

const captureLogger = (lines: LogLines) =>
  Logger.make(({ logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    lines.push(`${logLevel.label} ${text}`)
    if (process.env.KBGP_TEST_LOG === "1") console.error(`${logLevel.label} ${text}`)
  })

export interface RunOptions {
  readonly config?: KubeConfig.KubeConfig
  readonly settings?: Partial<KubeClient.Settings>
  readonly logs?: LogLines
  readonly timeout?: Duration.DurationInput
}

/**
 * Runs a scoped program with a KubeClient for `config` (when given), the Bun file system and a captured log
 * (set KBGP_TEST_LOG=1 to also print it). Fails the test after `timeout` (default 15 s).
 */
export function run<A, E>(
  program: Effect.Effect<A, E, Scope.Scope | FileSystem.FileSystem>,
  options?: Omit<RunOptions, "config">
): Promise<A>
export function run<A, E>(
  program: Effect.Effect<A, E, Scope.Scope | KubeClient.KubeClient | FileSystem.FileSystem>,
  options: RunOptions & { readonly config: KubeConfig.KubeConfig }
): Promise<A>
export function run<A, E>(
  program: Effect.Effect<A, E, Scope.Scope | KubeClient.KubeClient | FileSystem.FileSystem>,
  options: RunOptions = {}
): Promise<A> {
  const logs = options.logs ?? []
  const timeout = options.timeout ?? Duration.seconds(15)
  const withClient = options.config === undefined
    ? (program as Effect.Effect<A, E, Scope.Scope | FileSystem.FileSystem>)
    : Effect.provide(program, KubeClient.layer(options.config, { requestTimeout: Duration.seconds(2), ...options.settings }))
  return Effect.runPromise(
    Effect.scoped(withClient).pipe(
      Effect.provide(BunFileSystem.layer),
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new Error(`test timed out after ${Duration.format(timeout)}`) }),
      Effect.provide(Logger.replace(Logger.defaultLogger, captureLogger(logs))),
      Logger.withMinimumLogLevel(LogLevel.Debug)
    )
  )
}

/** The first element of `stream` that satisfies `pred`. */
export const waitFor = <A>(stream: Stream.Stream<A>, pred: (a: A) => boolean): Effect.Effect<A> =>
  Stream.filter(stream, pred).pipe(
    Stream.runHead,
    Effect.flatMap(Option.match({ onNone: () => Effect.dieMessage("stream ended"), onSome: Effect.succeed }))
  )

/** Polls a synchronous condition every 10 ms. */
export const until = (cond: () => boolean): Effect.Effect<void> =>
  Effect.suspend(() => (cond() ? Effect.void : Effect.sleep(Duration.millis(10)).pipe(Effect.zipRight(until(cond)))))

/** Without `metadata.resourceVersion` (the cache keeps an unchanged object from an older version). */
const comparable = (o: unknown): string => {
  const r = o as { metadata?: Record<string, unknown> }
  const { resourceVersion: _rv, ...metadata } = r.metadata ?? {}
  return canonical({ ...r, metadata })
}

/**
 * True when a cache holds exactly the server's objects of `kind` that decode (decoded, compared by content);
 * `brokenKeep` lists keys whose last good version the cache may legitimately still hold.
 */
export const cacheEqualsServer = <K extends Kinds.KindName>(
  kind: K,
  cache: ReadonlyMap<string, unknown>,
  server: ReadonlyArray<K8sObject>,
  brokenKeep: ReadonlyArray<string> = []
): boolean => {
  const expected = new Map<string, string>()
  for (const raw of server) {
    const decoded = Kinds.decodeObject(kind, raw)
    const key = Kinds.keyOf(kind, raw as { metadata: { name: string; namespace?: string } })
    if (Either.isRight(decoded)) expected.set(key, comparable(decoded.right))
  }
  const keys = new Set([...cache.keys()].filter((k) => !brokenKeep.includes(k)))
  if (keys.size !== expected.size) return false
  for (const [k, v] of expected) {
    if (!keys.has(k) || comparable(cache.get(k)) !== v) return false
  }
  return true
}

/** Requests matching a predicate (e.g. list calls of one resource). */
export const listCalls = (server: FakeApiServer, plural: string) =>
  server.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/${plural}`) && r.query.watch === undefined)

export const watchCalls = (server: FakeApiServer, plural: string) =>
  server.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/${plural}`) && r.query.watch === "true")
