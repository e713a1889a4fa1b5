/**
 * `cilium.io/v2alpha1 CiliumConfig` — the agent-level BGP settings of seed 004 (`spec.bgpPeering`). Cilium has
 * no such CRD (it keeps these in the `cilium-config` ConfigMap), so this kind exists for manifests only.
 *
 * `neighbors` is not spelled out by the seed ("remote BGP peers, including their IP addresses, AS numbers, and
 * potentially authentication details"); it takes the field names of Cilium's v2alpha1 neighbor, with
 * `peerAddress` as a plain IP or a host CIDR.
 */
import { Schema } from "effect"
import { Asn, defaultStruct, Int, Ip, IpOrCidr, Ipv4, opt, Port, withDefault, yamlAddress } from "../internal/Fields.js"
import { Family, GracefulRestart, keepAliveWithinHoldTime } from "./BgpCommon.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const ConfigNeighbor = Schema.Struct({
  peerAddress: yamlAddress(IpOrCidr),
  peerASN: Asn,
  /** Overrides `bgpPeering.localASN` for this neighbor. */
  localASN: opt(Asn),
  peerPort: opt(Port.pipe(Schema.between(1, 65535))),
  authSecretRef: opt(Schema.String),
  eBGPMultihopTTL: opt(Int.pipe(Schema.between(1, 255))),
  connectRetryTimeSeconds: opt(Int.pipe(Schema.between(1, 2147483647))),
  holdTimeSeconds: opt(Int.pipe(Schema.between(3, 65535))),
  keepAliveTimeSeconds: opt(Int.pipe(Schema.between(1, 65535))),
  gracefulRestart: opt(GracefulRestart),
  families: withDefault(Schema.Array(Family), () => [])
}).pipe(Schema.filter(keepAliveWithinHoldTime))
export type ConfigNeighbor = typeof ConfigNeighbor.Type

export const BgpPeering = Schema.Struct({
  /** Cilium's `bgp.enabled` / `enable-bgp-control-plane` default: off. */
  enabled: withDefault(Schema.Boolean, () => false),
  /** Where to accept BGP connections; empty: the agent's own default. */
  listenAddresses: withDefault(Schema.Array(yamlAddress(Ip)), () => []),
  /** A BGP identifier is 32 bits: an IPv4 address. */
  routerID: opt(Ipv4),
  localASN: opt(Asn),
  neighbors: withDefault(Schema.Array(ConfigNeighbor), () => [])
})
export type BgpPeering = typeof BgpPeering.Type

export const CiliumConfig = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(Schema.Struct({ bgpPeering: defaultStruct(BgpPeering) }))
})
export type CiliumConfig = typeof CiliumConfig.Type
