/**
 * The cilium.io/v2 BGP control plane kinds (also served as v2alpha1 by Cilium 1.16–1.17, same fields):
 * CiliumBGPClusterConfig (instances and peers per node selector), CiliumBGPPeerConfig (per-peer settings),
 * CiliumBGPAdvertisement (what to announce), CiliumBGPNodeConfigOverride (per-node router ID, ports, local
 * addresses), and CiliumBGPNodeConfig (the per-node result, written by Cilium's operator; read here).
 * Field names and defaults as in pkg/k8s/apis/cilium.io/v2/bgp_*_types.go.
 */
import { Schema } from "effect"
import { Asn, defaultStruct, Int, IpWithZone, Ipv4, opt, Port, withDefault, yamlAddress } from "../internal/Fields.js"
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
import { Condition, ObjectMeta } from "./ObjectMeta.js"

const Name = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(255))
const NonZeroAsn = Asn.pipe(Schema.greaterThanOrEqualTo(1))

const Conditions = Schema.Struct({ conditions: withDefault(Schema.Array(Condition), () => []) })

// ---------------------------------------------------------------------------------------------------------------
// CiliumBGPClusterConfig

export const AutoDiscovery = Schema.Struct({
  mode: Schema.Literal("DefaultGateway", "Unnumbered"),
  defaultGateway: opt(Schema.Struct({ addressFamily: Schema.Literal("ipv4", "ipv6") })),
  unnumbered: opt(Schema.Struct({ interface: Name }))
})
export type AutoDiscovery = typeof AutoDiscovery.Type

export const PeerConfigReference = Schema.Struct({
  name: Schema.String,
  // Older CRDs (v2alpha1) also carried group/kind, always cilium.io / CiliumBGPPeerConfig.
  group: opt(Schema.String),
  kind: opt(Schema.String)
})

/** Cilium's v2 address pattern: IPv4 or IPv6, an IPv6 zone allowed. */
const PeerIp = yamlAddress(IpWithZone)

export const ClusterPeer = Schema.Struct({
  name: Name,
  peerAddress: opt(PeerIp),
  /** 0: accept whatever ASN the peer's OPEN carries. */
  peerASN: withDefault(Asn, () => 0),
  autoDiscovery: opt(AutoDiscovery),
  /** Absent: Cilium's default peer settings. */
  peerConfigRef: opt(PeerConfigReference)
})
export type ClusterPeer = typeof ClusterPeer.Type

export const BgpInstance = Schema.Struct({
  name: Name,
  localASN: opt(NonZeroAsn),
  /** Absent: the instance does not listen for incoming connections. */
  localPort: opt(Port.pipe(Schema.between(1, 65535))),
  peers: withDefault(Schema.Array(ClusterPeer), () => [])
})
export type BgpInstance = typeof BgpInstance.Type

export const CiliumBGPClusterConfig = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    /** Absent or `{}`: every node. */
    nodeSelector: opt(LabelSelector),
    bgpInstances: Schema.Array(BgpInstance).pipe(Schema.minItems(1), Schema.maxItems(16))
  }),
  status: defaultStruct(Conditions)
})
export type CiliumBGPClusterConfig = typeof CiliumBGPClusterConfig.Type

// ---------------------------------------------------------------------------------------------------------------
// CiliumBGPPeerConfig

export const FamilyWithAdverts = Schema.Struct({
  ...Family.fields,
  /** Absent: nothing is advertised for this family. */
  advertisements: OptSelector
})
export type FamilyWithAdverts = typeof FamilyWithAdverts.Type

export const Transport = Schema.Struct({
  peerPort: withDefault(Port.pipe(Schema.between(1, 65535)), () => Defaults.peerPort),
  /** Deprecated in Cilium (no effect there). */
  localPort: opt(Port),
  sourceInterface: opt(Schema.String)
})

export const Timers = Schema.Struct({
  connectRetryTimeSeconds: withDefault(Int.pipe(Schema.between(1, 2147483647)), () => Defaults.connectRetryTimeSeconds),
  holdTimeSeconds: withDefault(Int.pipe(Schema.between(3, 65535)), () => Defaults.holdTimeSeconds),
  keepAliveTimeSeconds: withDefault(Int.pipe(Schema.between(1, 65535)), () => Defaults.keepAliveTimeSeconds)
}).pipe(Schema.filter(keepAliveWithinHoldTime))

export const CiliumBGPPeerConfigSpec = Schema.Struct({
  transport: defaultStruct(Transport),
  timers: defaultStruct(Timers),
  authSecretRef: opt(Schema.String),
  /** Absent: disabled (Cilium defaults it to `{enabled: false, restartTimeSeconds: 120}`). */
  gracefulRestart: opt(GracefulRestart),
  ebgpMultihop: withDefault(Int.pipe(Schema.between(1, 255)), () => Defaults.eBGPMultihopTTL),
  /** Empty: Cilium's default, IPv6 and IPv4 unicast with no advertisements (see `effectiveFamilies`). */
  families: withDefault(Schema.Array(FamilyWithAdverts), () => [])
})
export type CiliumBGPPeerConfigSpec = typeof CiliumBGPPeerConfigSpec.Type

export const CiliumBGPPeerConfig = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(CiliumBGPPeerConfigSpec),
  status: defaultStruct(Conditions)
})
export type CiliumBGPPeerConfig = typeof CiliumBGPPeerConfig.Type

/** Cilium's `SetDefaults`: no families means IPv6 and IPv4 unicast (without advertisements). */
export const effectiveFamilies = (spec: CiliumBGPPeerConfigSpec): ReadonlyArray<FamilyWithAdverts> =>
  spec.families.length > 0 ? spec.families : defaultFamilies("v2")

// ---------------------------------------------------------------------------------------------------------------
// CiliumBGPAdvertisement

export const AdvertisementType = Schema.Literal("PodCIDR", "CiliumPodIPPool", "Service", "Interface")
export type AdvertisementType = typeof AdvertisementType.Type

export const ServiceOptions = Schema.Struct({
  addresses: Schema.Array(ServiceAddressType).pipe(Schema.minItems(1)),
  aggregationLengthIPv4: opt(Int.pipe(Schema.between(0, 31))),
  aggregationLengthIPv6: opt(Int.pipe(Schema.between(0, 127)))
})
export type ServiceOptions = typeof ServiceOptions.Type

export const Advertisement = Schema.Struct({
  advertisementType: AdvertisementType,
  service: opt(ServiceOptions),
  /** Interface advertisements (Cilium 1.18+). */
  interface: opt(Schema.Struct({ name: opt(Schema.String) })),
  /** Absent: nothing of this type is selected. */
  selector: OptSelector,
  attributes: opt(Attributes)
}).pipe(
  // Cilium CRD x-validation: "service field is required for the 'Service' advertisementType".
  Schema.filter((a) =>
    a.advertisementType !== "Service" || a.service !== undefined
      ? true
      : { path: ["service"], message: "service field is required for the 'Service' advertisementType" }
  )
)
export type Advertisement = typeof Advertisement.Type

export const CiliumBGPAdvertisement = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.Struct({ advertisements: Schema.Array(Advertisement) })
})
export type CiliumBGPAdvertisement = typeof CiliumBGPAdvertisement.Type

// ---------------------------------------------------------------------------------------------------------------
// CiliumBGPNodeConfigOverride (metadata.name is the node name)

export const PeerOverride = Schema.Struct({
  name: Name,
  localAddress: opt(PeerIp),
  /** Deprecated in Cilium (no effect). */
  localPort: opt(Port)
})

export const InstanceOverride = Schema.Struct({
  name: Name,
  routerID: opt(Ipv4),
  localPort: opt(Port),
  localASN: opt(NonZeroAsn),
  peers: withDefault(Schema.Array(PeerOverride), () => [])
})
export type InstanceOverride = typeof InstanceOverride.Type

export const CiliumBGPNodeConfigOverride = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.Struct({
    bgpInstances: Schema.Array(InstanceOverride).pipe(Schema.minItems(1))
  })
})
export type CiliumBGPNodeConfigOverride = typeof CiliumBGPNodeConfigOverride.Type

// ---------------------------------------------------------------------------------------------------------------
// CiliumBGPNodeConfig (metadata.name is the node name)

export const NodePeer = Schema.Struct({
  name: Name,
  peerAddress: opt(PeerIp),
  peerASN: opt(Asn),
  autoDiscovery: opt(AutoDiscovery),
  localAddress: opt(PeerIp),
  /** Cilium 1.19+: local interface for an IPv6 link-local `peerAddress`. */
  peerInterface: opt(Schema.String),
  peerConfigRef: opt(PeerConfigReference)
})

export const NodeInstance = Schema.Struct({
  name: Name,
  localASN: opt(Asn),
  routerID: opt(Ipv4),
  localPort: opt(Port),
  peers: withDefault(Schema.Array(NodePeer), () => [])
})

export const RouteCount = Schema.Struct({
  afi: Schema.String,
  safi: Schema.String,
  advertised: opt(Int),
  received: opt(Int)
})

export const NodePeerStatus = Schema.Struct({
  name: Schema.String,
  peerAddress: opt(Schema.String),
  peerASN: opt(Asn),
  peeringState: opt(Schema.String),
  establishedTime: opt(Schema.String),
  timers: opt(
    Schema.Struct({
      appliedHoldTimeSeconds: opt(Int),
      appliedKeepaliveSeconds: opt(Int)
    })
  ),
  routeCount: withDefault(Schema.Array(RouteCount), () => [])
})
export type NodePeerStatus = typeof NodePeerStatus.Type

export const NodeInstanceStatus = Schema.Struct({
  name: Schema.String,
  localASN: opt(Asn),
  peers: withDefault(Schema.Array(NodePeerStatus), () => [])
})

export const CiliumBGPNodeConfig = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: Schema.Struct({ bgpInstances: withDefault(Schema.Array(NodeInstance), () => []) }),
  status: defaultStruct(
    Schema.Struct({
      bgpInstances: withDefault(Schema.Array(NodeInstanceStatus), () => []),
      conditions: withDefault(Schema.Array(Condition), () => [])
    })
  )
})
export type CiliumBGPNodeConfig = typeof CiliumBGPNodeConfig.Type
