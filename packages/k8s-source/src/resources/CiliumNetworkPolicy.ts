/**
 * cilium.io/v2 CiliumNetworkPolicy, reduced to what kbgp reads: the CIDRs named in egress `toCIDR`/`toCIDRSet`
 * (and ingress `fromCIDR`/`fromCIDRSet`), which seed 004 advertises. A policy holds one rule in `spec` and/or
 * several in `specs`.
 */
import { Schema } from "effect"
import { IpOrCidr, IpOrCidrOrEmpty, opt, withDefault } from "../internal/Fields.js"
import { LabelSelector } from "../LabelSelector.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const CIDRRule = Schema.Struct({
  /** `""` when the rule names a CIDR group instead (Cilium's Go type has no omitempty here). */
  cidr: opt(IpOrCidrOrEmpty),
  cidrGroupRef: opt(Schema.String),
  cidrGroupSelector: opt(LabelSelector),
  except: withDefault(Schema.Array(IpOrCidr), () => [])
})
export type CIDRRule = typeof CIDRRule.Type

export const EgressRule = Schema.Struct({
  toCIDR: withDefault(Schema.Array(IpOrCidr), () => []),
  toCIDRSet: withDefault(Schema.Array(CIDRRule), () => [])
})

export const IngressRule = Schema.Struct({
  fromCIDR: withDefault(Schema.Array(IpOrCidr), () => []),
  fromCIDRSet: withDefault(Schema.Array(CIDRRule), () => [])
})

export const Rule = Schema.Struct({
  endpointSelector: opt(LabelSelector),
  nodeSelector: opt(LabelSelector),
  description: opt(Schema.String),
  egress: withDefault(Schema.Array(EgressRule), () => []),
  ingress: withDefault(Schema.Array(IngressRule), () => [])
})
export type Rule = typeof Rule.Type

export const CiliumNetworkPolicy = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: opt(Rule),
  specs: withDefault(Schema.Array(Rule), () => [])
})
export type CiliumNetworkPolicy = typeof CiliumNetworkPolicy.Type

/** `spec` followed by `specs`. */
export const rules = (p: CiliumNetworkPolicy): ReadonlyArray<Rule> => [
  ...(p.spec !== undefined ? [p.spec] : []),
  ...p.specs
]

/** Every CIDR in egress `toCIDR` and `toCIDRSet[].cidr` (`except` is the caller's to subtract). */
export const egressCIDRs = (p: CiliumNetworkPolicy): ReadonlyArray<string> =>
  rules(p).flatMap((r) =>
    r.egress.flatMap((e) => [...e.toCIDR, ...e.toCIDRSet.flatMap((s) => (s.cidr !== undefined && s.cidr !== "" ? [s.cidr] : []))])
  )
