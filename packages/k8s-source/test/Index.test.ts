import { describe, expect, test } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as K8s from "../src/index.js"

describe("package entry point", () => {
  test("re-exports the contracts, both sources and the resources as namespaces", () => {
    expect(typeof K8s.Kinds.decodeObject).toBe("function")
    expect(K8s.ClusterSnapshot.empty.synced).toBe(false)
    expect(K8s.ClusterSource.ClusterSource.key).toBe("@kbgp/k8s-source/ClusterSource")
    expect(K8s.StatusWriter.StatusWriter.key).toBe("@kbgp/k8s-source/StatusWriter")
    expect(typeof K8s.ManifestSource.layer).toBe("function")
    expect(typeof K8s.KubeSource.layer).toBe("function")
    expect(typeof K8s.LabelSelector.matches).toBe("function")
    expect(typeof K8s.CiliumBGPPeeringPolicy.virtualRouters).toBe("function")
  })

  test("exports one namespace per public module and nothing from internal/", () => {
    expect(Object.keys(K8s).sort()).toEqual([
      "BgpCommon",
      "CiliumBGPPeeringPolicy",
      "CiliumBGPv2",
      "CiliumConfig",
      "CiliumEgressGatewayPolicy",
      "CiliumLoadBalancerIPPool",
      "CiliumNetworkPolicy",
      "CiliumNode",
      "ClusterSnapshot",
      "ClusterSource",
      "EndpointSlice",
      "Kinds",
      "KubeClient",
      "KubeConfig",
      "KubeError",
      "KubeSource",
      "KubeStatusWriter",
      "LabelSelector",
      "LeaderElection",
      "Lease",
      "ManifestError",
      "ManifestSource",
      "Node",
      "ObjectMeta",
      "Reflector",
      "Secret",
      "Service",
      "StatusWriter"
    ])
    const index = readFileSync(join(import.meta.dir, "..", "src", "index.ts"), "utf8")
    expect(index).not.toContain("internal/")
    expect(index.split("\n").filter((l) => l.startsWith("export ")).every((l) => /^export \* as \w+ from "\.\/[\w/]+\.js"$/.test(l)))
      .toBe(true)
  })
})
