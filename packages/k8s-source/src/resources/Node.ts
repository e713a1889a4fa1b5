/** core/v1 Node: labels (for node selectors), pod CIDRs and addresses (router ID, next hop). */
import { Schema } from "effect"
import { defaultStruct, opt, withDefault } from "../internal/Fields.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const NodeAddress = Schema.Struct({
  type: Schema.String, // InternalIP | ExternalIP | Hostname | InternalDNS | ExternalDNS
  address: Schema.String
})
export type NodeAddress = typeof NodeAddress.Type

export const NodeSpec = Schema.Struct({
  podCIDR: opt(Schema.String),
  podCIDRs: withDefault(Schema.Array(Schema.String), () => []),
  providerID: opt(Schema.String),
  unschedulable: withDefault(Schema.Boolean, () => false)
})

export const NodeStatus = Schema.Struct({
  addresses: withDefault(Schema.Array(NodeAddress), () => [])
})

export const Node = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(NodeSpec),
  status: defaultStruct(NodeStatus)
})
export type Node = typeof Node.Type

/** Pod CIDRs: `podCIDRs` when set (dual-stack), else the legacy single `podCIDR`. */
export const podCIDRs = (n: Node): ReadonlyArray<string> =>
  n.spec.podCIDRs.length > 0 ? n.spec.podCIDRs : n.spec.podCIDR !== undefined ? [n.spec.podCIDR] : []

/** First address of a type, e.g. `address(node, "InternalIP")`. */
export const address = (n: Node, type: string): string | undefined =>
  n.status.addresses.find((a) => a.type === type)?.address
