/** cilium.io/v2 (and v2alpha1) CiliumLoadBalancerIPPool: where LB IPAM allocates Service IPs from. */
import { Schema } from "effect"
import { CidrOrEmpty, cidrVersion, defaultStruct, Ip, opt, withDefault, yamlAddress } from "../internal/Fields.js"
import { LabelSelector } from "../LabelSelector.js"
import { Condition, ObjectMeta } from "./ObjectMeta.js"

/**
 * A CIDR, or a `start`–`stop` range (Cilium: `cidr` or `start`/`stop`, `stop` defaulting to `start`). Cilium's
 * Go type writes `cidr: ""` for a range; `effectiveBlocks` drops it.
 */
export const IPBlock = Schema.Struct({
  cidr: opt(CidrOrEmpty),
  start: opt(yamlAddress(Ip)),
  stop: opt(yamlAddress(Ip))
}).pipe(
  Schema.filter((b) =>
    (b.cidr !== undefined && b.cidr !== "") || b.start !== undefined
      ? true
      : "an IP block needs `cidr` or `start` (and optional `stop`)"
  ),
  Schema.filter((b) =>
    b.start === undefined || b.stop === undefined || cidrVersion(`${b.start}/0`) === cidrVersion(`${b.stop}/0`)
      ? true
      : { path: ["stop"], message: `stop (${b.stop}) and start (${b.start}) must be of the same IP family` }
  )
)
export type IPBlock = typeof IPBlock.Type

export const CiliumLoadBalancerIPPoolSpec = Schema.Struct({
  /** Absent: every Service is eligible. */
  serviceSelector: opt(LabelSelector),
  /** `Yes` or absent: first and last IPs of each CIDR are allocatable. */
  allowFirstLastIPs: withDefault(Schema.Literal("Yes", "No"), () => "Yes" as const),
  blocks: withDefault(Schema.Array(IPBlock), () => []),
  /** Deprecated v2alpha1 name of `blocks` (Cilium ≤ 1.15); see `effectiveBlocks`. */
  cidrs: withDefault(Schema.Array(IPBlock), () => []),
  disabled: withDefault(Schema.Boolean, () => false)
})
export type CiliumLoadBalancerIPPoolSpec = typeof CiliumLoadBalancerIPPoolSpec.Type

export const CiliumLoadBalancerIPPool = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(CiliumLoadBalancerIPPoolSpec),
  status: defaultStruct(Schema.Struct({ conditions: withDefault(Schema.Array(Condition), () => []) }))
})
export type CiliumLoadBalancerIPPool = typeof CiliumLoadBalancerIPPool.Type

/** `blocks` followed by the deprecated `cidrs`, an empty `cidr` left out. */
export const effectiveBlocks = (p: CiliumLoadBalancerIPPool): ReadonlyArray<IPBlock> =>
  [...p.spec.blocks, ...p.spec.cidrs].map((b) => {
    if (b.cidr !== "") return b
    const { cidr: _empty, ...range } = b
    return range
  })
