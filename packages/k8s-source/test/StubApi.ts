/**
 * An API server in memory, behind the `KubeClient` interface, for tests on TestClock: consistent lists, watches
 * from a resourceVersion (backlog, then live events; 410 Gone once compacted), 404 for kinds that are not
 * served, and an outage switch that refuses every request and breaks open watches. The HTTP side is tested against the fake API server in
 * e2e/test/k8s; this one lets real-sized durations (60 s outages, 30 s backoff caps) run instantly.
 */
import { Effect, PubSub, Stream, SubscriptionRef } from "effect"
import type * as KubeClient from "../src/KubeClient.js"
import { KubeError } from "../src/KubeError.js"

type Json = Record<string, unknown> & { metadata: { name: string; namespace?: string; uid: string; resourceVersion: string } }

interface Change {
  readonly plural: string
  readonly rv: number
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  readonly object: Json
}

export interface StubApi {
  readonly client: KubeClient.Service
  /** Creates or replaces an object (any JSON with metadata.name); `uid` defaults to one per key. */
  readonly put: (plural: string, object: { metadata: { name: string; namespace?: string } } & Record<string, unknown>, uid?: string) => Effect.Effect<void>
  readonly remove: (plural: string, key: string) => Effect.Effect<void>
  readonly setDown: (down: boolean) => Effect.Effect<void>
  /** Forgets the event history: a watch from an older resourceVersion is 410 Gone (the reflector relists). */
  readonly compact: Effect.Effect<void>
  /** Every watch opened from now on answers at once with an ERROR event of this code (undefined: normal). */
  readonly failWatches: (code: number | undefined) => Effect.Effect<void>
  /** Requests per plural (lists and watches), failed ones included. */
  readonly calls: (plural: string) => { readonly lists: number; readonly watches: number }
}

const unreachable = new KubeError({ reason: "Unreachable", target: "stub", detail: "connection refused" })

/** `served` maps plural → namespaced; other plurals answer 404. */
export const make = (served: Readonly<Record<string, boolean>>): Effect.Effect<StubApi> =>
  Effect.gen(function*() {
    let rv = 100
    let compacted = 0
    let watchError: number | undefined
    const stores = new Map<string, Map<string, Json>>(Object.keys(served).map((p) => [p, new Map()]))
    const history: Array<Change> = []
    const hub = yield* PubSub.unbounded<Change>()
    const down = yield* SubscriptionRef.make(false)
    const counters = new Map<string, { lists: number; watches: number }>()
    const count = (plural: string) => {
      let c = counters.get(plural)
      if (c === undefined) counters.set(plural, (c = { lists: 0, watches: 0 }))
      return c
    }
    const keyOf = (plural: string, m: { name: string; namespace?: string }) =>
      served[plural] === true ? `${m.namespace ?? "default"}/${m.name}` : m.name

    const record = (change: Change) => {
      history.push(change)
      return PubSub.publish(hub, change)
    }

    const guard = (plural: string) =>
      Effect.gen(function*() {
        if (yield* SubscriptionRef.get(down)) return yield* unreachable
        if (!stores.has(plural)) {
          return yield* new KubeError({ reason: "NotFound", target: plural, detail: "404 page not found", status: 404 })
        }
      })

    const client: KubeClient.Service = {
      config: {
        server: "https://stub",
        origin: "test",
        namespace: "default",
        token: undefined,
        tls: { ca: undefined, cert: undefined, key: undefined, insecureSkipTlsVerify: false, serverName: undefined }
      },
      list: (ref) =>
        Effect.gen(function*() {
          count(ref.plural).lists++
          yield* guard(ref.plural)
          const items = [...stores.get(ref.plural)!.values()].map((o) => structuredClone(o))
          return { items, resourceVersion: String(rv), continue: undefined }
        }),
      watch: (ref, options) =>
        Effect.gen(function*() {
          count(ref.plural).watches++
          yield* guard(ref.plural)
          const from = Number(options.resourceVersion)
          if (from < compacted) {
            return yield* new KubeError({ reason: "Gone", target: ref.plural, detail: "too old resource version", status: 410 })
          }
          if (watchError !== undefined) {
            return Stream.make<[KubeClient.WatchEvent]>({ type: "ERROR", code: watchError, reason: "InternalError", message: "stub" })
          }
          const live = yield* PubSub.subscribe(hub)
          const backlog = history.filter((c) => c.plural === ref.plural && c.rv > from)
          const after = backlog.length > 0 ? backlog[backlog.length - 1]!.rv : from
          const events = Stream.concat(
            Stream.fromIterable(backlog),
            Stream.fromQueue(live).pipe(Stream.filter((c) => c.plural === ref.plural && c.rv > after))
          ).pipe(Stream.map((c): KubeClient.WatchEvent => ({ type: c.type, object: structuredClone(c.object) })))
          const broken = down.changes.pipe(
            Stream.filter((d) => d),
            Stream.take(1),
            Stream.flatMap(() => Stream.fail(unreachable))
          )
          return Stream.merge(events, broken, { haltStrategy: "either" })
        }),
      get: () => Effect.dieMessage("unused"),
      create: () => Effect.dieMessage("unused"),
      replace: () => Effect.dieMessage("unused"),
      delete: () => Effect.dieMessage("unused")
    }

    return {
      client,
      put: (plural, object, uid) =>
        Effect.suspend(() => {
          const store = stores.get(plural)!
          const key = keyOf(plural, object.metadata)
          const old = store.get(key)
          rv++
          const next = structuredClone(object) as Json
          next.metadata.uid = uid ?? old?.metadata.uid ?? `uid-${key}`
          next.metadata.resourceVersion = String(rv)
          store.set(key, next)
          return Effect.asVoid(record({ plural, rv, type: old === undefined ? "ADDED" : "MODIFIED", object: next }))
        }),
      remove: (plural, key) =>
        Effect.suspend(() => {
          const store = stores.get(plural)!
          const old = store.get(key)
          if (old === undefined) return Effect.void
          store.delete(key)
          rv++
          return Effect.asVoid(record({ plural, rv, type: "DELETED", object: { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } } }))
        }),
      setDown: (d) => SubscriptionRef.set(down, d),
      failWatches: (code) =>
        Effect.sync(() => {
          watchError = code
        }),
      compact: Effect.sync(() => {
        compacted = rv
        history.length = 0
      }),
      calls: (plural) => ({ ...count(plural) })
    }
  })
