import { describe, expect, test } from "bun:test"
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
})
