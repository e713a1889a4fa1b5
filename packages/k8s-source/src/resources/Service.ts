/** core/v1 Service: the fields kbgp advertises from (LB IPs, external IPs, cluster IPs, traffic policies). */
import { Schema } from "effect"
import { defaultStruct, IntOrString, Ip, IpOrEmpty, opt, Port, StringMap, withDefault, yamlAddress } from "../internal/Fields.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const Protocol = Schema.Literal("TCP", "UDP", "SCTP")

export const ServicePort = Schema.Struct({
  name: opt(Schema.String),
  protocol: withDefault(Protocol, () => "TCP" as const),
  appProtocol: opt(Schema.String),
  port: Port,
  targetPort: opt(IntOrString),
  nodePort: opt(Port)
})
export type ServicePort = typeof ServicePort.Type

export const ServiceType = Schema.Literal("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
export type ServiceType = typeof ServiceType.Type

export const TrafficPolicy = Schema.Literal("Cluster", "Local")
export type TrafficPolicy = typeof TrafficPolicy.Type

export const IPFamily = Schema.Literal("IPv4", "IPv6")
export type IPFamily = typeof IPFamily.Type

export const ServiceSpec = Schema.Struct({
  type: withDefault(ServiceType, () => "ClusterIP" as const),
  selector: opt(StringMap),
  ports: withDefault(Schema.Array(ServicePort), () => []),
  clusterIP: opt(Schema.String),
  clusterIPs: opt(Schema.Array(Schema.String)),
  // The addresses kbgp advertises are checked as the API server checks them, so a typo in a manifest is
  // reported at its field.
  externalIPs: withDefault(Schema.Array(yamlAddress(Ip)), () => []),
  /** Deprecated in Kubernetes, still what the seed guide uses to pick the advertised IP. `""` reads as absent. */
  loadBalancerIP: opt(yamlAddress(IpOrEmpty)),
  loadBalancerClass: opt(Schema.String),
  loadBalancerSourceRanges: opt(Schema.Array(Schema.String)),
  externalName: opt(Schema.String),
  // The API server defaults both to "Cluster" (externalTrafficPolicy only for NodePort/LoadBalancer,
  // where it matters); defaulting it everywhere is equivalent for kbgp and keeps the type total.
  externalTrafficPolicy: withDefault(TrafficPolicy, () => "Cluster" as const),
  internalTrafficPolicy: withDefault(TrafficPolicy, () => "Cluster" as const),
  ipFamilies: opt(Schema.Array(IPFamily)),
  ipFamilyPolicy: opt(Schema.Literal("SingleStack", "PreferDualStack", "RequireDualStack")),
  allocateLoadBalancerNodePorts: opt(Schema.Boolean),
  healthCheckNodePort: opt(Port)
})
export type ServiceSpec = typeof ServiceSpec.Type

export const PortStatus = Schema.Struct({
  port: Port,
  protocol: withDefault(Protocol, () => "TCP" as const),
  error: opt(Schema.String)
})

export const LoadBalancerIngress = Schema.Struct({
  ip: opt(Ip),
  hostname: opt(Schema.String),
  ipMode: opt(Schema.Literal("VIP", "Proxy")),
  ports: opt(Schema.Array(PortStatus))
})
export type LoadBalancerIngress = typeof LoadBalancerIngress.Type

export const ServiceStatus = Schema.Struct({
  loadBalancer: defaultStruct(
    Schema.Struct({ ingress: withDefault(Schema.Array(LoadBalancerIngress), () => []) })
  ),
  conditions: opt(Schema.Array(Schema.Unknown))
})
export type ServiceStatus = typeof ServiceStatus.Type

export const Service = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  spec: defaultStruct(ServiceSpec),
  status: defaultStruct(ServiceStatus)
})
export type Service = typeof Service.Type

