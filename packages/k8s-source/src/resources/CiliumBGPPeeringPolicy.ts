/**
 * cilium.io/v2alpha1 CiliumBGPPeeringPolicy — Cilium's own shape — and the seed guide's simplified shape
 * (published under the kind name `CiliumBGPPeerPolicy`), both decoded by one schema.
 *
 * Cilium's shape:           spec.nodeSelector, spec.virtualRouters[].{localASN, exportPodCIDR,
 *                           podIPPoolSelector, serviceSelector, serviceAdvertisements, neighbors[]}
 * The seed's shape:         spec.nodeSelector, spec.peers[].{peerAddress (plain IP), peerASN, localASN,
 *                           authSecret{name,namespace}}, spec.families[].{ipv4unicast,ipv6unicast}.prefixLimit
 *
 * `virtualRouters(spec)` gives the effective routers of either shape (see there for the mapping).
 */
import { Schema } from "effect"
import { Asn, Cidr, Int, IpOrCidr, opt, Port, withDefault, yamlAddress } from "../internal/Fields.js"
import { LabelSelector } from "../LabelSelector.js"
import {
  Attributes,
  Defaults,
  defaultFamilies,
  Family,
  GracefulRestart,
  keepAliveWithinHoldTime,
  OptSelector,
  ServiceAddressType
} from "./BgpCommon.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const PathAttributes = Schema.Struct({
  selectorType: Schema.Literal("PodCIDR", "CiliumLoadBalancerIPPool", "CiliumPodIPPool"),
  /** Absent: every object of `selectorType`. */
  selector: OptSelector,
  ...Attributes.fields
})
export type PathAttributes = typeof PathAttributes.Type

export const Neighbor = Schema.Struct({
  /** CIDR notation, `/32` or `/128` for one host (Cilium's CRD: format=cidr). */
  peerAddress: Cidr,
  peerPort: withDefault(Port.pipe(Schema.between(1, 65535)), () => Defaults.peerPort),
  peerASN: Asn,
  /** Secret name in the BGP secrets namespace (Cilium: `--bgp-secrets-namespace`, default kube-system). */
  authSecretRef: opt(Schema.String),
  eBGPMultihopTTL: withDefault(Int.pipe(Schema.between(1, 255)), () => Defaults.eBGPMultihopTTL),
  connectRetryTimeSeconds: withDefault(Int.pipe(Schema.between(1, 2147483647)), () => Defaults.connectRetryTimeSeconds),
  holdTimeSeconds: withDefault(Int.pipe(Schema.between(3, 65535)), () => Defaults.holdTimeSeconds),
  keepAliveTimeSeconds: withDefault(Int.pipe(Schema.between(1, 65535)), () => Defaults.keepAliveTimeSeconds),
  gracefulRestart: opt(GracefulRestart),
  /** Empty: Cilium's default of IPv6 and IPv4 unicast (see `effectiveFamilies`). */
  families: withDefault(Schema.Array(Family), () => []),
  advertisedPathAttributes: withDefault(Schema.Array(PathAttributes), () => [])
}).pipe(Schema.filter(keepAliveWithinHoldTime))
export type Neighbor = typeof Neighbor.Type

export const VirtualRouter = Schema.Struct({
  localASN: Asn,
  exportPodCIDR: withDefault(Schema.Boolean, () => false),
  /** Absent: no CiliumPodIPPools announced. */
  podIPPoolSelector: OptSelector,
  /** Absent: no Services announced. */
  serviceSelector: OptSelector,
  serviceAdvertisements: withDefault(Schema.Array(ServiceAddressType), () => ["LoadBalancerIP" as const]),
  neighbors: Schema.Array(Neighbor).pipe(Schema.minItems(1))
})
export type VirtualRouter = typeof VirtualRouter.Type

/** The seed's `authSecret: {name, namespace}`. */
export const AuthSecret = Schema.Struct({
  name: Schema.String,
  namespace: opt(Schema.String)
})

/** The seed's peer entry: a plain IP (CIDR accepted too), both ASNs on the peer. */
export const SimplePeer = Schema.Struct({
  peerAddress: yamlAddress(IpOrCidr),
  peerASN: Asn,
  localASN: Asn,
  peerPort: opt(Port.pipe(Schema.between(1, 65535))),
  authSecret: opt(AuthSecret),
  /** Accepted as on Cilium's neighbor, for users who mix the two shapes. */
  authSecretRef: opt(Schema.String),
  eBGPMultihopTTL: opt(Int.pipe(Schema.between(1, 255))),
  holdTimeSeconds: opt(Int.pipe(Schema.between(3, 65535))),
  keepAliveTimeSeconds: opt(Int.pipe(Schema.between(1, 65535))),
  connectRetryTimeSeconds: opt(Int.pipe(Schema.between(1, 2147483647))),
  gracefulRestart: opt(GracefulRestart)
}).pipe(Schema.filter(keepAliveWithinHoldTime))
export type SimplePeer = typeof SimplePeer.Type

const PrefixLimit = Schema.Struct({ prefixLimit: opt(Int.pipe(Schema.between(1, 4294967295))) })

/** The seed's `families: [{ipv4unicast: {prefixLimit: 100}}, {ipv6unicast: {...}}]`. */
export const SimpleFamily = Schema.Struct({
  ipv4unicast: opt(PrefixLimit),
  ipv6unicast: opt(PrefixLimit)
})
export type SimpleFamily = typeof SimpleFamily.Type

export const CiliumBGPPeeringPolicySpec = Schema.Struct({
  /** Absent or `{}`: every node. */
  nodeSelector: opt(LabelSelector),
  virtualRouters: withDefault(Schema.Array(VirtualRouter), () => []),
  peers: withDefault(Schema.Array(SimplePeer), () => []),
  families: withDefault(Schema.Array(SimpleFamily), () => [])
}).pipe(
  Schema.filter((s) =>
    s.virtualRouters.length + s.peers.length > 0 ? true : "spec needs virtualRouters (Cilium) or peers (kbgp's short form)"
  )
)
export type CiliumBGPPeeringPolicySpec = typeof CiliumBGPPeeringPolicySpec.Type

export const CiliumBGPPeeringPolicy = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: CiliumBGPPeeringPolicySpec
})
export type CiliumBGPPeeringPolicy = typeof CiliumBGPPeeringPolicy.Type

/** A neighbor with kbgp's extensions from the seed's shape (absent for Cilium-shaped neighbors). */
export interface EffectiveNeighbor extends Neighbor {
  /** From `authSecret.namespace`: overrides the BGP secrets namespace for this peer. */
  readonly authSecretNamespace?: string
  /** From `families[].ipv4unicast.prefixLimit` etc.: max prefixes accepted per family. */
  readonly prefixLimits?: ReadonlyArray<{ readonly family: Family; readonly limit: number }>
}

export interface EffectiveVirtualRouter extends Omit<VirtualRouter, "neighbors"> {
  readonly neighbors: ReadonlyArray<EffectiveNeighbor>
}

/** Cilium's documented idiom for "every Service" (an empty serviceSelector announces none). */
export const AllServices: LabelSelector = {
  matchExpressions: [{ key: "somekey", operator: "NotIn", values: ["never-used-value"] }]
}

/** Cilium's defaulting (v2alpha1): a neighbor with no families negotiates IPv4 and IPv6 unicast. */
export const effectiveFamilies = (n: Neighbor): ReadonlyArray<Family> =>
  n.families.length > 0 ? n.families : defaultFamilies("v2alpha1")

/** `192.168.1.1` → `192.168.1.1/32`, `fd00::1` → `fd00::1/128`; CIDRs stay as written. */
export const toHostCidr = (address: string): string =>
  address.includes("/") ? address : address.includes(":") ? `${address}/128` : `${address}/32`

/**
 * The virtual routers this policy stands for, whichever shape it was written in:
 * - `spec.virtualRouters` as they are;
 * - then the seed's `spec.peers`, grouped by `localASN` into one router each (first-appearance order), each peer
 *   a neighbor with `peerAddress` in host-CIDR form, `authSecret.name` → `authSecretRef` (its namespace kept as
 *   `authSecretNamespace`), Cilium's defaults for everything unset, and `spec.families` → neighbor `families`
 *   (ipv4unicast → ipv4/unicast, ipv6unicast → ipv6/unicast) plus `prefixLimits`. Routers made from `peers` keep
 *   Cilium's router defaults except `serviceSelector`, which is `AllServices`: the seed advertises every
 *   LoadBalancer Service without writing a selector, while in Cilium an empty/nil `serviceSelector` announces
 *   none, so the short form gets Cilium's documented "match everything" selector.
 */
export const virtualRouters = (spec: CiliumBGPPeeringPolicySpec): ReadonlyArray<EffectiveVirtualRouter> => {
  if (spec.peers.length === 0) return spec.virtualRouters
  const families: Array<Family> = []
  const prefixLimits: Array<{ family: Family; limit: number }> = []
  for (const f of spec.families) {
    if (f.ipv4unicast !== undefined) {
      const family: Family = { afi: "ipv4", safi: "unicast" }
      families.push(family)
      if (f.ipv4unicast.prefixLimit !== undefined) prefixLimits.push({ family, limit: f.ipv4unicast.prefixLimit })
    }
    if (f.ipv6unicast !== undefined) {
      const family: Family = { afi: "ipv6", safi: "unicast" }
      families.push(family)
      if (f.ipv6unicast.prefixLimit !== undefined) prefixLimits.push({ family, limit: f.ipv6unicast.prefixLimit })
    }
  }
  const byAsn = new Map<number, Array<EffectiveNeighbor>>()
  for (const p of spec.peers) {
    const authSecretRef = p.authSecret?.name ?? p.authSecretRef
    const neighbor: EffectiveNeighbor = {
      peerAddress: toHostCidr(p.peerAddress),
      peerPort: p.peerPort ?? Defaults.peerPort,
      peerASN: p.peerASN,
      ...(authSecretRef !== undefined ? { authSecretRef } : {}),
      eBGPMultihopTTL: p.eBGPMultihopTTL ?? Defaults.eBGPMultihopTTL,
      connectRetryTimeSeconds: p.connectRetryTimeSeconds ?? Defaults.connectRetryTimeSeconds,
      holdTimeSeconds: p.holdTimeSeconds ?? Defaults.holdTimeSeconds,
      keepAliveTimeSeconds: p.keepAliveTimeSeconds ?? Defaults.keepAliveTimeSeconds,
      ...(p.gracefulRestart !== undefined ? { gracefulRestart: p.gracefulRestart } : {}),
      families,
      advertisedPathAttributes: [],
      ...(p.authSecret?.namespace !== undefined ? { authSecretNamespace: p.authSecret.namespace } : {}),
      ...(prefixLimits.length > 0 ? { prefixLimits } : {})
    }
    const list = byAsn.get(p.localASN)
    if (list === undefined) byAsn.set(p.localASN, [neighbor])
    else list.push(neighbor)
  }
  const derived: Array<EffectiveVirtualRouter> = [...byAsn].map(([localASN, neighbors]) => ({
    localASN,
    exportPodCIDR: false,
    serviceSelector: AllServices,
    serviceAdvertisements: ["LoadBalancerIP"],
    neighbors
  }))
  return [...spec.virtualRouters, ...derived]
}
