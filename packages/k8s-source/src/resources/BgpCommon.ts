/** Types shared by the Cilium BGP CRDs (v2alpha1 CiliumBGPPeeringPolicy and the v2 BGP kinds). */
import { Schema } from "effect"
import { Asn, Int, opt, withDefault } from "../internal/Fields.js"
import { LabelSelector } from "../LabelSelector.js"

// Cilium: DefaultBGP* constants in pkg/k8s/apis/cilium.io/v2{,alpha1}/bgp*_types.go.
export const Defaults = {
  peerPort: 179,
  eBGPMultihopTTL: 1,
  connectRetryTimeSeconds: 120,
  holdTimeSeconds: 90,
  keepAliveTimeSeconds: 30,
  restartTimeSeconds: 120
} as const

export const Afi = Schema.Literal("ipv4", "ipv6", "l2vpn", "ls", "opaque")
export type Afi = typeof Afi.Type
export const Safi = Schema.Literal(
  "unicast",
  "multicast",
  "mpls_label",
  "encapsulation",
  "vpls",
  "evpn",
  "ls",
  "sr_policy",
  "mup",
  "mpls_vpn",
  "mpls_vpn_multicast",
  "route_target_constraints",
  "flowspec_unicast",
  "flowspec_vpn",
  "key_value"
)
export type Safi = typeof Safi.Type

export const Family = Schema.Struct({ afi: Afi, safi: Safi })
export type Family = typeof Family.Type

/**
 * Cilium's default when a peer lists no families. The two API versions list them in a different order:
 * v2alpha1 `CiliumBGPNeighbor.SetDefaults` gives IPv4 then IPv6 unicast, v2 `CiliumBGPPeerConfigSpec.SetDefaults`
 * IPv6 then IPv4.
 */
export const defaultFamilies = (version: "v2alpha1" | "v2"): Array<Family> =>
  version === "v2alpha1"
    ? [{ afi: "ipv4", safi: "unicast" }, { afi: "ipv6", safi: "unicast" }]
    : [{ afi: "ipv6", safi: "unicast" }, { afi: "ipv4", safi: "unicast" }]

/**
 * Cilium's rule that the keepalive time may not exceed the hold time (v2 CRD x-validation on `timers`, v2alpha1
 * `CiliumBGPNeighbor.Validate`), checked on the values after defaulting. The issue points at the keepalive field.
 */
export const keepAliveWithinHoldTime = (
  t: { readonly keepAliveTimeSeconds?: number | undefined; readonly holdTimeSeconds?: number | undefined }
): true | { readonly path: ReadonlyArray<PropertyKey>; readonly message: string } => {
  const keepAlive = t.keepAliveTimeSeconds ?? Defaults.keepAliveTimeSeconds
  const hold = t.holdTimeSeconds ?? Defaults.holdTimeSeconds
  return keepAlive <= hold
    ? true
    : {
      path: ["keepAliveTimeSeconds"],
      message: `keepAliveTimeSeconds (${keepAlive}) can not be larger than holdTimeSeconds (${hold})`
    }
}

export const GracefulRestart = Schema.Struct({
  enabled: Schema.Boolean,
  restartTimeSeconds: withDefault(Int.pipe(Schema.between(1, 4095)), () => Defaults.restartTimeSeconds)
})
export type GracefulRestart = typeof GracefulRestart.Type

export const WellKnownCommunity = Schema.Literal(
  "internet",
  "planned-shut",
  "accept-own",
  "route-filter-translated-v4",
  "route-filter-v4",
  "route-filter-translated-v6",
  "route-filter-v6",
  "llgr-stale",
  "no-llgr",
  "blackhole",
  "no-export",
  "no-advertise",
  "no-export-subconfed",
  "no-peer"
)
export type WellKnownCommunity = typeof WellKnownCommunity.Type

const u16 = "([0-9]|[1-9][0-9]{1,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
const u32 =
  "([0-9]|[1-9][0-9]{1,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])"

/** RFC 1997 community: a 32-bit decimal or `<0-65535>:<0-65535>` (Cilium's CRD pattern). */
export const StandardCommunity = Schema.String.pipe(
  Schema.pattern(new RegExp(`^${u32}$|^${u16}:${u16}$`), {
    message: () => "a standard community is a 32-bit number or <0-65535>:<0-65535>"
  })
)
/** RFC 8092 large community: `<u32>:<u32>:<u32>`. */
export const LargeCommunity = Schema.String.pipe(
  Schema.pattern(new RegExp(`^${u32}:${u32}:${u32}$`), {
    message: () => "a large community is <0-4294967295>:<0-4294967295>:<0-4294967295>"
  })
)

export const Communities = Schema.Struct({
  standard: withDefault(Schema.Array(StandardCommunity), () => []),
  wellKnown: withDefault(Schema.Array(WellKnownCommunity), () => []),
  large: withDefault(Schema.Array(LargeCommunity), () => [])
})
export type Communities = typeof Communities.Type

/** Attributes applied to advertised routes (v2 `attributes`; v2alpha1 path attributes minus the selector). */
export const Attributes = Schema.Struct({
  communities: opt(Communities),
  /** Only sent to iBGP peers; absent means 100 there. */
  localPreference: opt(Asn)
})
export type Attributes = typeof Attributes.Type

export const ServiceAddressType = Schema.Literal("LoadBalancerIP", "ClusterIP", "ExternalIP")
export type ServiceAddressType = typeof ServiceAddressType.Type

/** Optional selector (nil and `{}` differ per field; see LabelSelector). */
export const OptSelector = opt(LabelSelector)
