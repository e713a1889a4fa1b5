/** coordination.k8s.io/v1 Lease: leader election for cluster-wide work (LB IPAM, status writes). */
import { Schema } from "effect"
import { defaultStruct, Int, opt } from "../internal/Fields.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const LeaseSpec = Schema.Struct({
  holderIdentity: opt(Schema.String),
  leaseDurationSeconds: opt(Int),
  /** RFC 3339 with microseconds (`metav1.MicroTime`). */
  acquireTime: opt(Schema.String),
  renewTime: opt(Schema.String),
  leaseTransitions: opt(Int)
})
export type LeaseSpec = typeof LeaseSpec.Type

export const Lease = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(LeaseSpec)
})
export type Lease = typeof Lease.Type
