/** `metadata` (the part kbgp keeps) and `metav1.Condition`, shared by every kind. */
import { Schema } from "effect"
import { Int, opt, StringMap } from "../internal/Fields.js"

export const ObjectMeta = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  namespace: opt(Schema.String),
  uid: opt(Schema.String),
  resourceVersion: opt(Schema.String),
  generation: opt(Int),
  creationTimestamp: opt(Schema.String),
  deletionTimestamp: opt(Schema.String),
  labels: opt(StringMap),
  annotations: opt(StringMap)
})
export type ObjectMeta = typeof ObjectMeta.Type

/** `metav1.Condition` as used in CRD `status.conditions`. */
export const Condition = Schema.Struct({
  type: Schema.String,
  status: Schema.Literal("True", "False", "Unknown"),
  observedGeneration: opt(Int),
  lastTransitionTime: opt(Schema.String),
  reason: opt(Schema.String),
  message: opt(Schema.String)
})
export type Condition = typeof Condition.Type
