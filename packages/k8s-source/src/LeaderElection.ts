/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics:
 *
 * - a candidate takes the Lease when it does not exist, when its holder is empty (released), or when the
 *   record has not changed for `leaseDuration` as measured by this candidate's own clock since it last saw it
 *   change (no trust in other machines' clocks);
 * - every write carries the resourceVersion that was read, so two candidates cannot both win (409 = lost);
 * - the leader renews every `retryPeriod`; if no renewal succeeds for `renewDeadline` (< `leaseDuration`), it
 *   stops being leader before anyone else may take over, and goes back to trying to acquire;
 * - closing the scope releases the Lease (holder cleared, duration 1 s) so another candidate takes over at once.
 *
 * `isLeader` is the current flag followed by every change. `alwaysLeader` is for the manifest mode (no cluster).
 */
import { Clock, Context, Duration, Effect, Layer, LogLevel, Random, Stream, SubscriptionRef } from "effect"
import type { Scope } from "effect"
import { canonicalJson } from "./internal/CanonicalJson.js"
import type { ResourceRef } from "./KubeClient.js"
import { KubeClient } from "./KubeClient.js"
import type { KubeError } from "./KubeError.js"

export interface LeaderElectionShape {
  readonly identity: string
  /** The current flag, then every change. */
  readonly isLeader: Stream.Stream<boolean>
  readonly current: Effect.Effect<boolean>
}

export class LeaderElection extends Context.Tag("@kbgp/k8s-source/LeaderElection")<
  LeaderElection,
  LeaderElectionShape
>() {}

export interface Settings {
  readonly namespace: string
  readonly leaseName: string
  /** This candidate's identity (e.g. the node name); must be unique among candidates. */
  readonly identity: string
  readonly leaseDuration: Duration.DurationInput
  readonly renewDeadline: Duration.DurationInput
  readonly retryPeriod: Duration.DurationInput
}

export const defaults: Omit<Settings, "identity"> = {
  namespace: "kube-system",
  leaseName: "kbgp-leader",
  leaseDuration: Duration.seconds(15),
  renewDeadline: Duration.seconds(10),
  retryPeriod: Duration.seconds(2)
}

const leases: ResourceRef = { group: "coordination.k8s.io", version: "v1", plural: "leases", namespaced: true }

/** metav1.MicroTime: RFC 3339 with microseconds. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z")

interface LeaseSpec {
  readonly holderIdentity?: string
  readonly leaseDurationSeconds?: number
  readonly acquireTime?: string
  readonly renewTime?: string
  readonly leaseTransitions?: number
}

type Json = Record<string, unknown>
const record = (u: unknown): Json => (typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Json) : {})

const specOf = (lease: Json): LeaseSpec => {
  const s = record(lease.spec)
  return {
    ...(typeof s.holderIdentity === "string" ? { holderIdentity: s.holderIdentity } : {}),
    ...(typeof s.leaseDurationSeconds === "number" ? { leaseDurationSeconds: s.leaseDurationSeconds } : {}),
    ...(typeof s.acquireTime === "string" ? { acquireTime: s.acquireTime } : {}),
    ...(typeof s.renewTime === "string" ? { renewTime: s.renewTime } : {}),
    ...(typeof s.leaseTransitions === "number" ? { leaseTransitions: s.leaseTransitions } : {})
  }
}

/** Runs the election in the current scope (released when the scope closes). */
export const make = (
  input: Partial<Settings> & Pick<Settings, "identity">
): Effect.Effect<LeaderElectionShape, never, KubeClient | Scope.Scope> =>
  Effect.gen(function*() {
    const s: Settings = { ...defaults, ...input }
    const client = yield* KubeClient
    const leader = yield* SubscriptionRef.make(false)
    const leaseSeconds = Math.max(1, Math.round(Duration.toSeconds(s.leaseDuration)))
    const retryMs = Duration.toMillis(s.retryPeriod)
    const renewDeadlineMs = Duration.toMillis(s.renewDeadline)
    const log = (level: LogLevel.LogLevel, message: string) =>
      Effect.logWithLevel(level, message).pipe(
        Effect.annotateLogs({ lease: `${s.namespace}/${s.leaseName}`, identity: s.identity })
      )

    /** The last record seen and when (our clock) it was first seen in that form. */
    let observed: { spec: LeaseSpec; key: string; at: number } | undefined

    const observe = (spec: LeaseSpec, now: number) => {
      const key = canonicalJson(spec)
      if (observed === undefined || observed.key !== key) observed = { spec, key, at: now }
    }

    /** One attempt; true when we hold the Lease afterwards. Failures are logged, never fatal. */
    const tryAcquireOrRenew: Effect.Effect<boolean> = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const stamp = microTime(now)
      const got = yield* client.get(leases, s.namespace, s.leaseName).pipe(Effect.either)
      if (got._tag === "Left") {
        if (got.left.reason !== "NotFound") return yield* got.left
        const spec: LeaseSpec = {
          holderIdentity: s.identity,
          leaseDurationSeconds: leaseSeconds,
          acquireTime: stamp,
          renewTime: stamp,
          leaseTransitions: 0
        }
        yield* client.create(leases, s.namespace, {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: s.leaseName, namespace: s.namespace },
          spec
        })
        observe(spec, now)
        return true
      }
      const lease = record(got.right)
      const spec = specOf(lease)
      observe(spec, now)
      const holder = spec.holderIdentity ?? ""
      const mine = holder === s.identity
      const duration = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000
      if (!mine && holder !== "" && observed !== undefined && observed.at + duration > now) return false
      const next: LeaseSpec = {
        holderIdentity: s.identity,
        leaseDurationSeconds: leaseSeconds,
        acquireTime: mine && spec.acquireTime !== undefined ? spec.acquireTime : stamp,
        renewTime: stamp,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1)
      }
      // The resourceVersion read above makes this a compare-and-swap: a concurrent winner gets us a 409.
      yield* client.replace(leases, s.namespace, s.leaseName, { ...lease, spec: { ...record(lease.spec), ...next } })
      observe(next, now)
      return true
    }).pipe(
      Effect.catchAll((e: KubeError) =>
        log(e.reason === "Conflict" ? LogLevel.Debug : LogLevel.Warning, `lease attempt failed: ${e.message}`).pipe(
          Effect.as(false)
        )
      )
    )

    const jittered = Effect.flatMap(Random.nextRange(1, 1.2), (f) => Effect.sleep(Duration.millis(retryMs * f)))

    const acquire = Effect.gen(function*() {
      while (!(yield* tryAcquireOrRenew)) yield* jittered
      yield* SubscriptionRef.set(leader, true)
      yield* log(LogLevel.Info, "became leader")
    })

    /** Renews until a renewal has not succeeded for `renewDeadline`. */
    const renew = Effect.gen(function*() {
      let lastRenew = yield* Clock.currentTimeMillis
      while (true) {
        yield* Effect.sleep(Duration.millis(retryMs))
        const ok = yield* tryAcquireOrRenew.pipe(
          Effect.timeoutTo({ duration: Duration.millis(renewDeadlineMs), onSuccess: (b) => b, onTimeout: () => false })
        )
        const now = yield* Clock.currentTimeMillis
        if (ok) lastRenew = now
        else if (now - lastRenew >= renewDeadlineMs) return
      }
    })

    const lost = SubscriptionRef.set(leader, false).pipe(
      Effect.zipRight(log(LogLevel.Warning, "lost leadership (could not renew the lease in time)"))
    )

    const release = Effect.gen(function*() {
      if (!(yield* SubscriptionRef.get(leader))) return
      yield* SubscriptionRef.set(leader, false)
      const got = yield* client.get(leases, s.namespace, s.leaseName)
      const lease = record(got)
      const spec = specOf(lease)
      if (spec.holderIdentity !== s.identity) return
      const stamp = microTime(yield* Clock.currentTimeMillis)
      yield* client.replace(leases, s.namespace, s.leaseName, {
        ...lease,
        spec: {
          ...record(lease.spec),
          holderIdentity: "",
          leaseDurationSeconds: 1,
          acquireTime: stamp,
          renewTime: stamp,
          leaseTransitions: spec.leaseTransitions ?? 0
        }
      })
      yield* log(LogLevel.Info, "released the lease")
    }).pipe(
      Effect.timeout(Duration.millis(Math.max(renewDeadlineMs, 1000))),
      Effect.catchAll((e) => log(LogLevel.Warning, `could not release the lease: ${String(e)}`))
    )

    yield* Effect.addFinalizer(() => release)
    yield* Effect.forkScoped(Effect.forever(acquire.pipe(Effect.zipRight(renew), Effect.zipRight(lost))))

    return {
      identity: s.identity,
      isLeader: leader.changes,
      current: SubscriptionRef.get(leader)
    } satisfies LeaderElectionShape
  })

export const layer = (
  settings: Partial<Settings> & Pick<Settings, "identity">
): Layer.Layer<LeaderElection, never, KubeClient> => Layer.scoped(LeaderElection, make(settings))

/** For the manifest mode: this process is the only one, so it always leads. */
export const alwaysLeader = (identity = "local"): Layer.Layer<LeaderElection> =>
  Layer.succeed(LeaderElection, { identity, isLeader: Stream.make(true), current: Effect.succeed(true) })
