/**
 * A reflector keeps a local cache of one kind in step with the API server: list (paginated), then watch from
 * the list's resourceVersion; resume from the last seen resourceVersion after a dropped or silent stream;
 * relist on 410 Gone (HTTP status or ERROR event) and on any other ERROR event; back off exponentially with
 * jitter on failures.
 *
 * The cache is published as immutable `State` values, and only when something really changed:
 * - a relist builds a complete new store and swaps it in at once (never a partial list), reusing the old
 *   object wherever uid and resourceVersion, or the decoded content, are unchanged; so a relist that finds
 *   what the cache already had publishes nothing, and nothing downstream sees a DELETE/ADD pair;
 * - an object that fails to decode is logged (naming object and field) and skipped; if a good version of it
 *   was cached, that last good version stays (a bad edit does not withdraw what the object configured);
 * - a kind whose list answers 404 (CRD not installed) has no objects; the list is tried again every
 *   `absentRecheck`, and each of `versions` is tried in order first.
 */
import { Chunk, Duration, Effect, Either, LogLevel, Random, Schedule, Stream, SubscriptionRef } from "effect"
import type { Scope } from "effect"
import { objectEqual } from "./internal/DeepEqual.js"
import type { ResourceRef, WatchEvent } from "./KubeClient.js"
import { KubeClient } from "./KubeClient.js"
import type { KubeError } from "./KubeError.js"

/** What a reflector watches and how it decodes one object. */
export interface Target<A, E extends { readonly message: string }> {
  /** For logs, e.g. `Service`. */
  readonly name: string
  readonly group: string
  /** Served versions to try, preferred first. */
  readonly versions: ReadonlyArray<string>
  readonly plural: string
  readonly namespaced: boolean
  readonly decode: (raw: unknown) => Either.Either<A, E>
}

export interface State<A, E> {
  /** True once a list has completed (or the kind was found absent). */
  readonly listed: boolean
  /** The version being watched; `undefined` while absent or before the first list. */
  readonly version: string | undefined
  /** Objects by `namespace/name` (namespaced) or `name`. Never mutated once published. */
  readonly items: ReadonlyMap<string, A>
  /** Objects that currently fail to decode, by key. */
  readonly problems: ReadonlyMap<string, E>
}

export interface Settings {
  /** `limit` of each list page. */
  readonly pageSize: number
  /**
   * Asks the server to end each watch after between this and twice this many seconds (random, as client-go
   * does, so that many agents do not reconnect at once); the watch is then resumed, not relisted.
   */
  readonly watchTimeoutSeconds: number
  /** No bytes (events or bookmarks) for this long: the stream is presumed dead and reopened. */
  readonly idleTimeout: Duration.DurationInput
  /** First retry delay after a failure; doubles per consecutive failure, ±20% jitter. */
  readonly backoffInitial: Duration.DurationInput
  readonly backoffMax: Duration.DurationInput
  /** How often a kind that is not served (404) is looked for again. */
  readonly absentRecheck: Duration.DurationInput
}

export const defaults: Settings = {
  pageSize: 500,
  watchTimeoutSeconds: 300,
  // The API server sends bookmarks about once a minute; two missed ones mean the stream is gone.
  idleTimeout: Duration.seconds(150),
  backoffInitial: Duration.millis(500),
  backoffMax: Duration.seconds(30),
  absentRecheck: Duration.seconds(60)
}

export interface Reflector<A, E> {
  readonly name: string
  /** The current state. */
  readonly get: Effect.Effect<State<A, E>>
  /** The current state, then every change. */
  readonly changes: Stream.Stream<State<A, E>>
}

/** The backoff schedule: exponential from `backoffInitial`, capped at `backoffMax`, jittered. */
export const backoff = (settings: Pick<Settings, "backoffInitial" | "backoffMax">) =>
  Schedule.exponential(settings.backoffInitial, 2).pipe(
    Schedule.union(Schedule.spaced(settings.backoffMax)),
    Schedule.jittered
  )

interface Meta {
  readonly key: string
  readonly uid: string | undefined
  readonly rv: string | undefined
}

const metaOf = (namespaced: boolean, raw: unknown): Meta | undefined => {
  if (typeof raw !== "object" || raw === null) return undefined
  const m = (raw as { metadata?: unknown }).metadata
  if (typeof m !== "object" || m === null) return undefined
  const { name, namespace, uid, resourceVersion } = m as Record<string, unknown>
  if (typeof name !== "string" || name === "") return undefined
  const ns = typeof namespace === "string" ? namespace : undefined
  return {
    key: namespaced ? `${ns ?? "default"}/${name}` : name,
    uid: typeof uid === "string" ? uid : undefined,
    rv: typeof resourceVersion === "string" ? resourceVersion : undefined
  }
}

/** Ends a watch stream: the server said our resourceVersion is gone. */
class RelistNeeded {
  readonly _tag = "RelistNeeded"
  constructor(readonly detail: string) {}
}

type Phase =
  /** `keepBackoff`: the list follows a watch that failed with an ERROR event; its success is no proof of health. */
  | { readonly _tag: "List"; readonly keepBackoff: boolean }
  | { readonly _tag: "Watch"; readonly version: string; readonly rv: string }

const LIST: Phase = { _tag: "List", keepBackoff: false }
const LIST_AFTER_ERROR: Phase = { _tag: "List", keepBackoff: true }

/**
 * Starts a reflector in the current scope (the loop stops when the scope closes) and returns its cache.
 */
export const make = <A, E extends { readonly message: string }>(
  target: Target<A, E>,
  settings: Partial<Settings> = {}
): Effect.Effect<Reflector<A, E>, never, KubeClient | Scope.Scope> =>
  Effect.gen(function*() {
    const s: Settings = { ...defaults, ...settings }
    const client = yield* KubeClient
    const state = yield* SubscriptionRef.make<State<A, E>>({
      listed: false,
      version: undefined,
      items: new Map(),
      problems: new Map()
    })
    const driver = yield* Schedule.driver(backoff(s))
    /** uid/resourceVersion of what the server last sent per key (also for objects that failed to decode). */
    let metas = new Map<string, Meta>()
    let absentLogged = false
    const ref = (version: string): ResourceRef => ({
      group: target.group,
      version,
      plural: target.plural,
      namespaced: target.namespaced
    })
    const log = (message: string, level: "Info" | "Warning" | "Debug" = "Warning") =>
      Effect.logWithLevel(
        level === "Info" ? LogLevel.Info : level === "Debug" ? LogLevel.Debug : LogLevel.Warning,
        message
      ).pipe(
        Effect.annotateLogs({ kind: target.name })
      )
    const failed = (e: KubeError) => log(`${e.message}; retrying`).pipe(Effect.zipRight(driver.next(e)), Effect.ignore)

    /** Publishes `next` unless it equals `prev` in every respect that matters downstream. */
    const publishIfChanged = (prev: State<A, E>, next: State<A, E>, itemsChanged: boolean, problemsChanged: boolean) =>
      itemsChanged || problemsChanged || prev.listed !== next.listed || prev.version !== next.version
        ? SubscriptionRef.set(state, {
          listed: next.listed,
          version: next.version,
          items: itemsChanged ? next.items : prev.items,
          problems: problemsChanged ? next.problems : prev.problems
        })
        : Effect.void

    /** Swaps in a complete list result, keeping unchanged objects (and the last good version of broken ones). */
    const replaceAll = (items: ReadonlyArray<unknown>, version: string | undefined) =>
      Effect.gen(function*() {
        const prev = yield* SubscriptionRef.get(state)
        const nextItems = new Map<string, A>()
        const nextProblems = new Map<string, E>()
        const nextMetas = new Map<string, Meta>()
        let changed = false
        for (const raw of items) {
          const meta = metaOf(target.namespaced, raw)
          if (meta === undefined) {
            yield* log("skipping a listed object without metadata.name")
            continue
          }
          nextMetas.set(meta.key, meta)
          const old = prev.items.get(meta.key)
          const oldMeta = metas.get(meta.key)
          const sameObject = oldMeta !== undefined && oldMeta.uid === meta.uid
          if (old !== undefined && sameObject && oldMeta.rv === meta.rv && !prev.problems.has(meta.key)) {
            nextItems.set(meta.key, old)
            continue
          }
          const decoded = target.decode(raw)
          if (Either.isLeft(decoded)) {
            nextProblems.set(meta.key, decoded.left)
            if (prev.problems.get(meta.key)?.message !== decoded.left.message) {
              yield* log(`skipping object that does not decode: ${decoded.left.message}`)
            }
            if (old !== undefined && sameObject) nextItems.set(meta.key, old)
            else if (old !== undefined) changed = true
            continue
          }
          if (old !== undefined && objectEqual(old, decoded.right)) nextItems.set(meta.key, old)
          else {
            nextItems.set(meta.key, decoded.right)
            changed = true
          }
        }
        if (nextItems.size !== prev.items.size) changed = true
        else if (!changed) for (const k of prev.items.keys()) if (!nextItems.has(k)) changed = true
        let problemsChanged = nextProblems.size !== prev.problems.size
        if (!problemsChanged) {
          for (const [k, e] of nextProblems) if (prev.problems.get(k)?.message !== e.message) problemsChanged = true
        }
        metas = nextMetas
        yield* publishIfChanged(
          prev,
          { listed: true, version, items: nextItems, problems: nextProblems },
          changed,
          problemsChanged
        )
      })

    /** Applies a chunk of watch events; publishes once per chunk. Returns the last resourceVersion seen. */
    const applyEvents = (events: Chunk.Chunk<WatchEvent>, lastRv: string) =>
      Effect.gen(function*() {
        const prev = yield* SubscriptionRef.get(state)
        let items: Map<string, A> | undefined
        let problems: Map<string, E> | undefined
        const writeItems = () => (items ??= new Map(prev.items))
        const writeProblems = () => (problems ??= new Map(prev.problems))
        let rv = lastRv
        for (const event of events) {
          if (event.type === "ERROR") {
            if (event.code === 410) return yield* Effect.fail(new RelistNeeded(event.message))
            return yield* Effect.fail(event)
          }
          const meta = metaOf(target.namespaced, event.object)
          if (event.type === "BOOKMARK") {
            const bookmarkRv = (event.object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata
              ?.resourceVersion
            if (typeof bookmarkRv === "string" && bookmarkRv !== "") rv = bookmarkRv
            continue
          }
          if (meta === undefined) {
            yield* log(`skipping a ${event.type} event without metadata.name`)
            continue
          }
          if (meta.rv !== undefined) rv = meta.rv
          const current = (items ?? prev.items).get(meta.key)
          if (event.type === "DELETED") {
            metas.delete(meta.key)
            if (current !== undefined) writeItems().delete(meta.key)
            if ((problems ?? prev.problems).has(meta.key)) writeProblems().delete(meta.key)
            continue
          }
          const oldMeta = metas.get(meta.key)
          metas.set(meta.key, meta)
          const decoded = target.decode(event.object)
          if (Either.isLeft(decoded)) {
            if ((problems ?? prev.problems).get(meta.key)?.message !== decoded.left.message) {
              yield* log(`skipping object that does not decode: ${decoded.left.message}`)
              writeProblems().set(meta.key, decoded.left)
            }
            // A recreated object (new uid) that is broken has no good version to keep.
            if (current !== undefined && oldMeta?.uid !== meta.uid) writeItems().delete(meta.key)
            continue
          }
          if ((problems ?? prev.problems).has(meta.key)) writeProblems().delete(meta.key)
          if (current !== undefined && objectEqual(current, decoded.right)) continue
          writeItems().set(meta.key, decoded.right)
        }
        if (items !== undefined || problems !== undefined) {
          yield* SubscriptionRef.set(state, {
            listed: prev.listed,
            version: prev.version,
            items: items ?? prev.items,
            problems: problems ?? prev.problems
          })
        }
        return rv
      })

    /** Lists every page of one version. A continue token that expired restarts as one unpaginated list. */
    const listAll = (version: string) =>
      Effect.gen(function*() {
        const items: Array<unknown> = []
        let cont: string | undefined
        let limit: number | undefined = s.pageSize
        while (true) {
          const page = yield* client.list(ref(version), { limit, continue: cont }).pipe(Effect.either)
          if (Either.isLeft(page)) {
            if (page.left.reason === "Gone" && cont !== undefined) {
              yield* log("list continuation expired; listing again in one request", "Info")
              items.length = 0
              cont = undefined
              limit = undefined
              continue
            }
            return yield* Effect.fail(page.left)
          }
          items.push(...page.right.items)
          if (page.right.continue === undefined) return { items, resourceVersion: page.right.resourceVersion }
          cont = page.right.continue
        }
      })

    const listPhase = (phase: Extract<Phase, { _tag: "List" }>): Effect.Effect<Phase> => Effect.gen(function*() {
      for (const version of target.versions) {
        const result = yield* listAll(version).pipe(Effect.either)
        if (Either.isLeft(result)) {
          if (result.left.reason === "NotFound") continue
          yield* failed(result.left)
          return phase
        }
        yield* replaceAll(result.right.items, version)
        // A server whose watches keep ending in ERROR events lists fine: only a watch that delivers events
        // then resets the backoff, so such a server sees relists slow down instead of a relist loop.
        if (!phase.keepBackoff) yield* driver.reset
        absentLogged = false
        return { _tag: "Watch", version, rv: result.right.resourceVersion } satisfies Phase
      }
      if (!absentLogged) {
        yield* log(
          `not served (${target.versions.map((v) => `${target.group}/${v}`).join(", ")} ${target.plural}: 404); none of this kind, checking again every ${
            Duration.format(s.absentRecheck)
          }`,
          "Info"
        )
        absentLogged = true
      }
      yield* replaceAll([], undefined)
      yield* driver.reset
      yield* Effect.sleep(s.absentRecheck)
      return LIST
    })

    const watchPhase = (phase: Extract<Phase, { _tag: "Watch" }>): Effect.Effect<Phase> =>
      Effect.scoped(
        Effect.gen(function*() {
          const timeoutSeconds = yield* Random.nextIntBetween(s.watchTimeoutSeconds, 2 * s.watchTimeoutSeconds)
          const opened = yield* client.watch(ref(phase.version), {
            resourceVersion: phase.rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
            idleTimeout: s.idleTimeout
          }).pipe(Effect.either)
          if (Either.isLeft(opened)) {
            const e = opened.left
            if (e.reason === "Gone") {
              yield* log(`watch from ${phase.rv} expired (410); relisting`, "Info")
              return LIST
            }
            if (e.reason === "NotFound") {
              yield* log("watch answered 404; relisting", "Info")
              return LIST
            }
            yield* failed(e)
            return phase
          }
          let rv = phase.rv
          let progressed = false
          const outcome = yield* Stream.runForEachChunk(opened.right, (chunk) =>
            Effect.gen(function*() {
              if (Chunk.isEmpty(chunk)) return
              rv = yield* applyEvents(chunk, rv)
              if (!progressed) {
                progressed = true
                yield* driver.reset
              }
            })).pipe(Effect.either)
          const next: Phase = { _tag: "Watch", version: phase.version, rv }
          if (Either.isRight(outcome)) return next // the server ended the watch (timeoutSeconds): resume
          const e = outcome.left
          if (e instanceof RelistNeeded) {
            yield* log(`watch from ${rv} expired (410: ${e.detail}); relisting`, "Info")
            return LIST
          }
          if ("type" in e) {
            // client-go's rule: an ERROR event ends the watch and the cache is rebuilt from a fresh list (the
            // relist swaps the store atomically, so nothing downstream flaps). Backed off: a server that keeps
            // failing watches must not be hammered with lists.
            yield* log(`watch ERROR event ${e.code} ${e.reason}: ${e.message}; relisting`)
            yield* driver.next(e).pipe(Effect.ignore)
            return LIST_AFTER_ERROR
          }
          yield* log(`${e.message}; resuming from ${rv}`, e.reason === "Timeout" || e.reason === "Unreachable" ? "Info" : "Warning")
          yield* driver.next(e).pipe(Effect.ignore)
          return next
        })
      )

    const loop = Effect.gen(function*() {
      let phase: Phase = LIST
      while (true) {
        phase = phase._tag === "List" ? yield* listPhase(phase) : yield* watchPhase(phase)
      }
    })
    yield* Effect.forkScoped(loop)

    return { name: target.name, get: SubscriptionRef.get(state), changes: state.changes }
  })
