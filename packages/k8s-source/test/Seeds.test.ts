import { describe, expect, test } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parseFile } from "../src/internal/ManifestDocuments.js"
import * as Policy from "../src/resources/CiliumBGPPeeringPolicy.js"
import type { CiliumConfig } from "../src/resources/CiliumConfig.js"
import * as Egress from "../src/resources/CiliumEgressGatewayPolicy.js"
import * as Cnp from "../src/resources/CiliumNetworkPolicy.js"
import type { Service } from "../src/resources/Service.js"

const dir = join(import.meta.dir, "fixtures")
const load = (rel: string) => parseFile(rel, readFileSync(join(dir, rel), "utf8"))
const only = (rel: string) => {
  const parsed = load(rel)
  expect(parsed.problems.map((p) => p.message)).toEqual([])
  expect(parsed.objects).toHaveLength(1)
  return parsed.objects[0]!
}

describe("seed guide snippets decode as written", () => {
  const seeds = readdirSync(join(dir, "seed")).filter((f) => f.endsWith(".yaml"))

  test("there are seven seed snippets and every one loads without problems", () => {
    expect(seeds).toHaveLength(7)
    for (const f of seeds) expect(load(`seed/${f}`).problems.map((p) => p.message)).toEqual([])
  })

  test("TL;DR CiliumBGPPeerPolicy is stored as a CiliumBGPPeeringPolicy with one router per localASN", () => {
    const o = only("seed/000-tldr-peer-policy.yaml")
    expect(o.kind).toBe("CiliumBGPPeeringPolicy")
    expect(o.key).toBe("bgp-policy-to-router1")
    const p = o.value as Policy.CiliumBGPPeeringPolicy
    expect(p.spec.nodeSelector?.matchLabels).toEqual({ "kubernetes.io/hostname": "k8s-node1" })
    const routers = Policy.virtualRouters(p.spec)
    expect(routers).toHaveLength(1)
    expect(routers[0]!.localASN).toBe(64512)
    expect(routers[0]!.neighbors.map((n) => [n.peerAddress, n.peerASN, n.peerPort, n.holdTimeSeconds])).toEqual([
      ["192.168.1.1/32", 65001, 179, 90]
    ])
  })

  test("step 2 policy: two peers, same localASN, Cilium defaults filled in", () => {
    const p = only("seed/000-step2-bgp-peer-policy.yaml").value as Policy.CiliumBGPPeeringPolicy
    const [router] = Policy.virtualRouters(p.spec)
    expect(router!.neighbors.map((n) => n.peerAddress)).toEqual(["192.168.1.1/32", "192.168.1.2/32"])
    expect(router!.neighbors.map((n) => n.peerASN)).toEqual([65001, 65002])
    expect(router!.neighbors[0]!.keepAliveTimeSeconds).toBe(30)
    expect(router!.neighbors[0]!.authSecretRef).toBeUndefined()
    expect(router!.serviceAdvertisements).toEqual(["LoadBalancerIP"])
  })

  test("step 2 policy with authSecret and families uncommented maps them onto the neighbors", () => {
    const p = only("variants/step2-uncommented.yaml").value as Policy.CiliumBGPPeeringPolicy
    const [router] = Policy.virtualRouters(p.spec)
    const [first, second] = router!.neighbors
    expect(first!.authSecretRef).toBe("bgp-auth-secret")
    expect(first!.authSecretNamespace).toBe("kube-system")
    expect(second!.authSecretRef).toBeUndefined()
    expect(first!.families).toEqual([
      { afi: "ipv4", safi: "unicast" },
      { afi: "ipv6", safi: "unicast" }
    ])
    expect(first!.prefixLimits?.map((l) => [l.family.afi, l.limit])).toEqual([
      ["ipv4", 100],
      ["ipv6", 100]
    ])
  })

  test("TL;DR Service: LoadBalancer with loadBalancerIP, namespace defaulted", () => {
    const o = only("seed/000-tldr-service.yaml")
    expect(o.kind).toBe("Service")
    expect(o.key).toBe("default/my-nginx-service")
    const s = o.value as Service
    expect(s.spec.type).toBe("LoadBalancer")
    expect(s.spec.loadBalancerIP).toBe("192.168.1.100")
    expect(s.spec.ports).toEqual([{ protocol: "TCP", port: 80, targetPort: 80 }])
    expect(s.spec.externalTrafficPolicy).toBe("Cluster")
  })

  test("step 3 file: the Deployment is ignored, the Service with its all-commented annotations loads", () => {
    const parsed = load("seed/000-step3-nginx-lb-service.yaml")
    expect(parsed.problems).toEqual([])
    expect(parsed.ignored.map((i) => [i.apiVersion, i.kind, i.name, i.document])).toEqual([
      ["apps/v1", "Deployment", "nginx-deployment", 0]
    ])
    expect(parsed.objects.map((o) => [o.kind, o.key, o.document])).toEqual([["Service", "default/my-nginx-service", 1]])
    const s = parsed.objects[0]!.value as Service
    expect(s.metadata.annotations).toBeUndefined()
    expect(s.spec.loadBalancerIP).toBe("192.168.1.100")
  })

  test("step 4 v2alpha1 CiliumEgressGatewayPolicy: egress IP and gateway node selector", () => {
    const o = only("seed/000-step4-egress-gateway-policy.yaml")
    expect(o.kind).toBe("CiliumEgressGatewayPolicy")
    const p = o.value as Egress.CiliumEgressGatewayPolicy
    expect(Egress.gateways(p).map((g) => [g.egressIP, g.nodeSelector?.matchLabels])).toEqual([
      ["192.168.1.200", { "kubernetes.io/hostname": "k8s-node2" }]
    ])
    expect(p.spec.selectors[0]!.podSelector?.matchLabels).toEqual({ app: "my-backend" })
    expect(p.spec.destinationCIDRs).toEqual([])
  })

  test("seed 004 CiliumConfig: bgpPeering enabled on 0.0.0.0 and ::", () => {
    const c = only("seed/004-cilium-config.yaml").value as CiliumConfig
    expect(c.spec.bgpPeering.enabled).toBe(true)
    expect(c.spec.bgpPeering.listenAddresses).toEqual(["0.0.0.0", "::"])
    expect(c.spec.bgpPeering.routerID).toBeUndefined()
    const r = only("variants/cilium-config-routerid.yaml").value as CiliumConfig
    expect(r.spec.bgpPeering.routerID).toBe("192.168.1.1")
  })

  test("seed 004 CiliumNetworkPolicy: egress toCIDR is readable", () => {
    const o = only("seed/004-cilium-network-policy.yaml")
    expect(o.key).toBe("default/allow-external-access")
    expect(Cnp.egressCIDRs(o.value as Cnp.CiliumNetworkPolicy)).toEqual(["10.0.1.0/24"])
  })

  test("the quickstart example directory loads without problems", () => {
    const qs = join(import.meta.dir, "..", "examples", "quickstart")
    const kinds: Array<string> = []
    for (const f of readdirSync(qs).filter((n) => n.endsWith(".yaml"))) {
      const parsed = parseFile(f, readFileSync(join(qs, f), "utf8"))
      expect(parsed.problems.map((p) => p.message)).toEqual([])
      kinds.push(...parsed.objects.map((o) => o.kind))
    }
    expect(kinds.sort()).toEqual([
      "CiliumBGPPeeringPolicy",
      "CiliumConfig",
      "CiliumEgressGatewayPolicy",
      "CiliumNetworkPolicy",
      "Node",
      "Node",
      "Service"
    ])
  })
})
