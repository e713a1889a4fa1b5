// Core contracts
export * as ClusterSnapshot from "./ClusterSnapshot.js"
export * as ClusterSource from "./ClusterSource.js"
export * as Kinds from "./Kinds.js"
export * as LabelSelector from "./LabelSelector.js"
export * as StatusWriter from "./StatusWriter.js"

// The manifest-directory source
export * as ManifestError from "./ManifestError.js"
export * as ManifestSource from "./ManifestSource.js"

// The Kubernetes API source
export * as KubeClient from "./KubeClient.js"
export * as KubeConfig from "./KubeConfig.js"
export * as KubeError from "./KubeError.js"
export * as KubeSource from "./KubeSource.js"
export * as KubeStatusWriter from "./KubeStatusWriter.js"
export * as LeaderElection from "./LeaderElection.js"
export * as Reflector from "./Reflector.js"

// Typed resources
export * as BgpCommon from "./resources/BgpCommon.js"
export * as CiliumBGPPeeringPolicy from "./resources/CiliumBGPPeeringPolicy.js"
export * as CiliumBGPv2 from "./resources/CiliumBGPv2.js"
export * as CiliumConfig from "./resources/CiliumConfig.js"
export * as CiliumEgressGatewayPolicy from "./resources/CiliumEgressGatewayPolicy.js"
export * as CiliumLoadBalancerIPPool from "./resources/CiliumLoadBalancerIPPool.js"
export * as CiliumNetworkPolicy from "./resources/CiliumNetworkPolicy.js"
export * as CiliumNode from "./resources/CiliumNode.js"
export * as EndpointSlice from "./resources/EndpointSlice.js"
export * as Lease from "./resources/Lease.js"
export * as Node from "./resources/Node.js"
export * as ObjectMeta from "./resources/ObjectMeta.js"
export * as Secret from "./resources/Secret.js"
export * as Service from "./resources/Service.js"
