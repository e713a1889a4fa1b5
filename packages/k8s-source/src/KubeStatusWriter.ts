/**
 * StatusWriter over the API: read the object, change only what kbgp owns in its status, write it back
 * through the `status` subresource with the resourceVersion that was read (optimistic concurrency). A 409
 * means someone wrote in between: read again, apply again (up to `conflictRetries` times). Nothing is written
 * when the status already says what it should, so repeated reconciles cost one GET and no events.
 *
 * The object is handled as raw JSON, not decoded: a PUT replaces the whole status, and fields kbgp's schemas do
 * not know must survive the round trip.
 */
import { Clock, Effect, Layer, Schedule, Schema } from "effect"
import { deepEqual } from "./internal/DeepEqual.js"
import type { KindName } from "./Kinds.js"
import { Kinds, objectKey } from "./Kinds.js"
import type { ResourceRef } from "./KubeClient.js"
import { KubeClient } from "./KubeClient.js"
import type { KubeError } from "./KubeError.js"
import { Condition } from "./resources/ObjectMeta.js"
import type { ConditionInput, StatusWriterShape } from "./StatusWriter.js"
import { ingressOf, mergeConditions, StatusWriteError, StatusWriter } from "./StatusWriter.js"

export interface Settings {
  /** Re-read and re-apply this many times after a 409 before giving up with reason "Conflict". */
  readonly conflictRetries: number
}

export const defaults: Settings = { conflictRetries: 5 }

type Json = Record<string, unknown>

const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const record = (u: unknown): Json => (isRecord(u) ? u : {})

const toWriteError = (kind: KindName, object: string) => (e: KubeError): StatusWriteError =>
  new StatusWriteError({
    reason: e.reason === "NotFound"
      ? "NotFound"
      : e.reason === "Conflict"
      ? "Conflict"
      : e.reason === "Forbidden" || e.reason === "Unauthorized"
      ? "Forbidden"
      : e.status === 400 || e.status === 422
      ? "Invalid"
      : "Unavailable",
    kind,
    object,
    detail: e.message
  })

/** Same IPs in the same order; `ipMode` compared only where the server kept it (older servers drop it). */
const sameIngress = (existing: unknown, ips: ReadonlyArray<string>): boolean => {
  if (!Array.isArray(existing) || existing.length !== ips.length) return false
  return existing.every((e, i) => {
    const r = record(e)
    return r.ip === ips[i] && r.hostname === undefined && (r.ipMode === undefined || r.ipMode === "VIP")
  })
}

/** metav1.Time: RFC 3339, seconds precision. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z")

const decodeCondition = Schema.decodeUnknownOption(Condition)

export const make = (settings: Partial<Settings> = {}): Effect.Effect<StatusWriterShape, never, KubeClient> =>
  Effect.gen(function*() {
    const s: Settings = { ...defaults, ...settings }
    const client = yield* KubeClient

    /**
     * GET, `edit` the status (returns undefined when nothing needs writing), PUT; retried on 409.
     * `versions` are tried in order on 404 (CRDs may be served under an older version only).
     */
    const update = (
      kind: KindName,
      namespace: string | undefined,
      name: string,
      edit: (status: Json) => Effect.Effect<Json | undefined>
    ) => {
      const d = Kinds[kind]
      const ns = d.namespaced ? namespace ?? "default" : undefined
      const key = objectKey(d.namespaced, ns, name)
      const refs: Array<ResourceRef> = d.versions.map((version) => ({
        group: d.group,
        version,
        plural: d.plural,
        namespaced: d.namespaced
      }))
      const getAny = (i: number): Effect.Effect<{ ref: ResourceRef; obj: unknown }, KubeError> =>
        client.get(refs[i], ns, name).pipe(
          Effect.map((obj) => ({ ref: refs[i], obj })),
          Effect.catchIf((e) => e.reason === "NotFound" && i + 1 < refs.length, () => getAny(i + 1))
        )
      const once = Effect.gen(function*() {
        const { obj, ref } = yield* getAny(0)
        const current = record(obj)
        const next = yield* edit(record(current.status))
        if (next === undefined) return
        yield* client.replace(ref, ns, name, { ...current, status: next }, d.statusSubresource ? "status" : undefined)
      })
      return once.pipe(
        Effect.retry({ schedule: Schedule.recurs(s.conflictRetries), while: (e) => e.reason === "Conflict" }),
        Effect.mapError(toWriteError(kind, key))
      )
    }

    const setServiceIngress: StatusWriterShape["setServiceIngress"] = (namespace, name, ips) =>
      update("Service", namespace, name, (status) => {
        const lb = record(status.loadBalancer)
        if (sameIngress(lb.ingress, ips)) return Effect.succeed(undefined)
        return Effect.succeed({ ...status, loadBalancer: { ...lb, ingress: ingressOf(ips) } })
      })

    const setConditions: StatusWriterShape["setConditions"] = (kind, namespace, name, conditions) =>
      update(kind, namespace, name, (status) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const raw: Array<unknown> = Array.isArray(status.conditions) ? status.conditions : []
          const known: Array<Condition> = []
          const unknown: Array<unknown> = []
          for (const c of raw) {
            const decoded = decodeCondition(c)
            if (decoded._tag === "Some") known.push(decoded.value)
            else unknown.push(c)
          }
          const merged = mergeConditions(known, conditions as ReadonlyArray<ConditionInput>, rfc3339(now))
          return deepEqual(merged, known) ? undefined : { ...status, conditions: [...merged, ...unknown] }
        }))

    return { setServiceIngress, setConditions } satisfies StatusWriterShape
  })

/** StatusWriter writing through the API server. */
export const layer = (settings: Partial<Settings> = {}): Layer.Layer<StatusWriter, never, KubeClient> =>
  Layer.effect(StatusWriter, make(settings))
