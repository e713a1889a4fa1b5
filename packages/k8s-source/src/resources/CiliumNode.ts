/** cilium.io/v2 CiliumNode: Cilium-allocated pod CIDRs (cluster-pool IPAM) and node addresses. */
import { Schema } from "effect"
import { defaultStruct, opt, withDefault } from "../internal/Fields.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const CiliumNodeAddress = Schema.Struct({
  type: opt(Schema.String),
  ip: opt(Schema.String)
})

export const CiliumNodeSpec = Schema.Struct({
  addresses: withDefault(Schema.Array(CiliumNodeAddress), () => []),
  ipam: defaultStruct(
    Schema.Struct({
      podCIDRs: withDefault(Schema.Array(Schema.String), () => [])
    })
  )
})

export const CiliumNode = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(CiliumNodeSpec)
})
export type CiliumNode = typeof CiliumNode.Type
