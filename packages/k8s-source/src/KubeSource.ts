/**
 * The ClusterSource backed by the Kubernetes API: one Reflector per watched kind, combined into
 * `ClusterSnapshot`s and settled by `ClusterSource.makePublisher`. `synced` stays false until every
 * reflector has listed once (a kind that is not served counts as listed: it has no objects).
 */
import { Effect, Layer, Ref, Stream } from "effect"
import type { Scope } from "effect"
import * as ClusterSnapshot from "./ClusterSnapshot.js"
import type { ClusterSourceShape, SettleOptions, SourceProblem } from "./ClusterSource.js"
import { ClusterSource, makePublisher } from "./ClusterSource.js"
import type { KindName, ObjectDecodeError } from "./Kinds.js"
import { decodeObject, Kinds, names } from "./Kinds.js"
import type { KubeClient } from "./KubeClient.js"
import * as Reflector from "./Reflector.js"

export interface Options {
  readonly settle: Partial<SettleOptions>
  readonly reflector: Partial<Reflector.Settings>
  /** Kinds to watch; default: every kind with `watch: true`. */
  readonly kinds: ReadonlyArray<KindName>
}

type AnyState = Reflector.State<unknown, ObjectDecodeError>

/** The reflector target of a registry kind. */
export const targetOf = (kind: KindName): Reflector.Target<unknown, ObjectDecodeError> => {
  const d = Kinds[kind]
  return {
    name: kind,
    group: d.group,
    versions: d.versions,
    plural: d.plural,
    namespaced: d.namespaced,
    decode: (raw) => decodeObject(kind, raw)
  }
}

export const make = (
  options: Partial<Options> = {}
): Effect.Effect<ClusterSourceShape, never, KubeClient | Scope.Scope> =>
  Effect.gen(function*() {
    const kinds = options.kinds ?? names.filter((k) => Kinds[k].watch)
    const publisher = yield* makePublisher(options.settle ?? {})
    const reflectors = yield* Effect.forEach(kinds, (kind) =>
      Effect.map(Reflector.make(targetOf(kind), options.reflector ?? {}), (r) => [kind, r] as const))
    const states = yield* Ref.make(new Map<KindName, AnyState>())
    let raw = ClusterSnapshot.empty

    const onChange = (kind: KindName, state: AnyState) =>
      Effect.gen(function*() {
        const all = yield* Ref.updateAndGet(states, (m) => new Map(m).set(kind, state))
        const synced = kinds.every((k) => all.get(k)?.listed === true)
        if (raw.stores[kind] !== state.items) {
          raw = ClusterSnapshot.withStore(raw, kind, state.items as ClusterSnapshot.Store<never>)
        }
        raw = ClusterSnapshot.withSynced(raw, synced)
        yield* publisher.publish(raw)
      })

    yield* Effect.forkScoped(
      Stream.mergeAll(
        reflectors.map(([kind, r]) => Stream.map(r.changes, (state) => [kind, state] as const)),
        { concurrency: "unbounded" }
      ).pipe(Stream.runForEach(([kind, state]) => onChange(kind, state)))
    )

    const problems = Effect.map(Ref.get(states), (m) => {
      const out: Array<SourceProblem> = []
      for (const state of m.values()) out.push(...state.problems.values())
      return out
    })

    return { snapshots: publisher.snapshots, current: publisher.current, problems } satisfies ClusterSourceShape
  })

/** Provides ClusterSource from the API server reachable through KubeClient. */
export const layer = (options: Partial<Options> = {}): Layer.Layer<ClusterSource, never, KubeClient> =>
  Layer.scoped(ClusterSource, make(options))
