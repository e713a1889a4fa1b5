/**
 * cilium.io/v2 CiliumEgressGatewayPolicy (also read as v2alpha1, the seed guide's apiVersion): the egress IP a
 * gateway node SNATs with, which kbgp can advertise from that node.
 *
 * `destinationCIDRs` is required by Cilium's v2 CRD but absent from the seed's v2alpha1 example, so it defaults
 * to `[]` here; the announcer only needs the gateway's node selector and egress IP.
 */
import { Schema } from "effect"
import { Cidr, IpWithZone, opt, withDefault, yamlAddress } from "../internal/Fields.js"
import { LabelSelector } from "../LabelSelector.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const EgressRule = Schema.Struct({
  namespaceSelector: opt(LabelSelector),
  podSelector: opt(LabelSelector),
  nodeSelector: opt(LabelSelector)
})

export const EgressGateway = Schema.Struct({
  /** Absent: no node. Several nodes: Cilium uses the first by name. */
  nodeSelector: opt(LabelSelector),
  interface: opt(Schema.String),
  egressIP: opt(yamlAddress(IpWithZone))
})
export type EgressGateway = typeof EgressGateway.Type

export const CiliumEgressGatewayPolicySpec = Schema.Struct({
  selectors: withDefault(Schema.Array(EgressRule), () => []),
  destinationCIDRs: withDefault(Schema.Array(Cidr), () => []),
  excludedCIDRs: withDefault(Schema.Array(Cidr), () => []),
  egressGateway: opt(EgressGateway),
  /** Cilium 1.17+: several gateways for one policy. */
  egressGateways: withDefault(Schema.Array(EgressGateway), () => [])
})
export type CiliumEgressGatewayPolicySpec = typeof CiliumEgressGatewayPolicySpec.Type

export const CiliumEgressGatewayPolicy = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: CiliumEgressGatewayPolicySpec
})
export type CiliumEgressGatewayPolicy = typeof CiliumEgressGatewayPolicy.Type

/** `egressGateway` followed by `egressGateways`. */
export const gateways = (p: CiliumEgressGatewayPolicy): ReadonlyArray<EgressGateway> => [
  ...(p.spec.egressGateway !== undefined ? [p.spec.egressGateway] : []),
  ...p.spec.egressGateways
]
