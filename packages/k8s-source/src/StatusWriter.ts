/**
 * Writes kbgp makes back to the cluster: Service `status.loadBalancer.ingress` (LB IPAM) and CRD status
 * conditions. `KubeStatusWriter` writes through the API (status subresource, retry on 409); `memory` keeps an
 * in-memory overlay that the ManifestSource merges into its snapshots and the CLI shows.
 */
import { Context, Data, Effect, Stream, SubscriptionRef } from "effect"
import type { KindName } from "./Kinds.js"
import { objectKey, Kinds } from "./Kinds.js"
import type { Condition } from "./resources/ObjectMeta.js"
import type { LoadBalancerIngress } from "./resources/Service.js"

export class StatusWriteError extends Data.TaggedError("StatusWriteError")<{
  readonly reason: "NotFound" | "Conflict" | "Forbidden" | "Invalid" | "Unavailable"
  readonly kind: KindName
  /** `namespace/name` or `name`. */
  readonly object: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.kind} ${this.object}: ${this.reason}: ${this.detail}`
  }
}

/** A condition to set; `lastTransitionTime` is filled in by the writer (kept when `status` did not change). */
export interface ConditionInput {
  readonly type: string
  readonly status: "True" | "False" | "Unknown"
  readonly reason: string
  readonly message: string
  readonly observedGeneration?: number
}

export interface StatusWriterShape {
  /** Replaces `status.loadBalancer.ingress` of Service `namespace/name` with one entry per IP. */
  readonly setServiceIngress: (
    namespace: string,
    name: string,
    ips: ReadonlyArray<string>
  ) => Effect.Effect<void, StatusWriteError>
  /**
   * Sets `status.conditions` entries by `type` (other types are left alone: other controllers may own them).
   * `namespace` is ignored for cluster-scoped kinds.
   */
  readonly setConditions: (
    kind: KindName,
    namespace: string | undefined,
    name: string,
    conditions: ReadonlyArray<ConditionInput>
  ) => Effect.Effect<void, StatusWriteError>
}

export class StatusWriter extends Context.Tag("@kbgp/k8s-source/StatusWriter")<StatusWriter, StatusWriterShape>() {}

/** `ips` as `status.loadBalancer.ingress` entries (ipMode VIP: traffic arrives addressed to the IP itself). */
export const ingressOf = (ips: ReadonlyArray<string>): ReadonlyArray<LoadBalancerIngress> =>
  ips.map((ip) => ({ ip, ipMode: "VIP" as const }))

/**
 * `meta.SetStatusCondition` semantics: replace by `type`, keep `lastTransitionTime` when the status did not
 * change, stamp `now` (RFC 3339) when it did; conditions of other types are kept in place.
 */
export const mergeConditions = (
  existing: ReadonlyArray<Condition>,
  updates: ReadonlyArray<ConditionInput>,
  now: string
): ReadonlyArray<Condition> => {
  const out = [...existing]
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type)
    const prev = i >= 0 ? out[i] : undefined
    const next: Condition = {
      type: u.type,
      status: u.status,
      reason: u.reason,
      message: u.message,
      lastTransitionTime: prev !== undefined && prev.status === u.status && prev.lastTransitionTime !== undefined
        ? prev.lastTransitionTime
        : now,
      ...(u.observedGeneration !== undefined ? { observedGeneration: u.observedGeneration } : {})
    }
    if (i >= 0) out[i] = next
    else out.push(next)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// In-memory overlay

/** What has been written, by object. Keys as in `ClusterSnapshot` stores. */
export interface Overlay {
  /** Service key (`namespace/name`) → ingress. */
  readonly serviceIngress: ReadonlyMap<string, ReadonlyArray<LoadBalancerIngress>>
  /** Kind → object key → conditions (merged). */
  readonly conditions: ReadonlyMap<KindName, ReadonlyMap<string, ReadonlyArray<Condition>>>
}

export const emptyOverlay: Overlay = { serviceIngress: new Map(), conditions: new Map() }

export interface MemoryStatusWriter {
  readonly writer: StatusWriterShape
  /** The overlay as it stands. */
  readonly overlay: Effect.Effect<Overlay>
  /** The overlay now and after every write. */
  readonly changes: Stream.Stream<Overlay>
  /** Drops entries of objects that no longer exist (`exists(kind, key)` false). */
  readonly prune: (exists: (kind: KindName, key: string) => boolean) => Effect.Effect<void>
}

/**
 * An in-memory StatusWriter. `exists(kind, key)` says whether the object is there (a write to a missing
 * object fails with NotFound, as on the API server); `now` stamps condition transitions.
 */
export const makeMemory = (options: {
  readonly exists: (kind: KindName, key: string) => Effect.Effect<boolean>
  readonly now?: Effect.Effect<string>
}): Effect.Effect<MemoryStatusWriter> =>
  Effect.gen(function* () {
    const ref = yield* SubscriptionRef.make<Overlay>(emptyOverlay)
    const now = options.now ?? Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (ms) => new Date(ms).toISOString())
    const lock = yield* Effect.makeSemaphore(1)

    const requireExists = (kind: KindName, key: string) =>
      Effect.flatMap(options.exists(kind, key), (ok) =>
        ok
          ? Effect.void
          : Effect.fail(new StatusWriteError({ reason: "NotFound", kind, object: key, detail: "no such object" }))
      )

    const writer: StatusWriterShape = {
      setServiceIngress: (namespace, name, ips) => {
        const key = objectKey(true, namespace, name)
        return requireExists("Service", key).pipe(
          Effect.zipRight(
            SubscriptionRef.update(ref, (o) => ({
              ...o,
              serviceIngress: new Map(o.serviceIngress).set(key, ingressOf(ips))
            }))
          ),
          lock.withPermits(1)
        )
      },
      setConditions: (kind, namespace, name, conditions) => {
        const key = objectKey(Kinds[kind].namespaced, namespace, name)
        return requireExists(kind, key).pipe(
          Effect.zipRight(now),
          Effect.flatMap((ts) =>
            SubscriptionRef.update(ref, (o) => {
              const byKey = new Map(o.conditions.get(kind) ?? [])
              byKey.set(key, mergeConditions(byKey.get(key) ?? [], conditions, ts))
              return { ...o, conditions: new Map(o.conditions).set(kind, byKey) }
            })
          ),
          lock.withPermits(1)
        )
      }
    }

    const prune = (exists: (kind: KindName, key: string) => boolean) =>
      SubscriptionRef.update(ref, (o) => {
        let changed = false
        const serviceIngress = new Map(o.serviceIngress)
        for (const key of serviceIngress.keys()) {
          if (!exists("Service", key)) {
            serviceIngress.delete(key)
            changed = true
          }
        }
        const conditions = new Map<KindName, ReadonlyMap<string, ReadonlyArray<Condition>>>()
        for (const [kind, byKey] of o.conditions) {
          const kept = new Map([...byKey].filter(([key]) => exists(kind, key)))
          if (kept.size !== byKey.size) changed = true
          if (kept.size > 0) conditions.set(kind, kept)
        }
        return changed ? { serviceIngress, conditions } : o
      }).pipe(lock.withPermits(1))

    return { writer, overlay: SubscriptionRef.get(ref), changes: ref.changes, prune }
  })

