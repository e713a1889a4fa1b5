/**
 * Every kind decodes realistic objects (fixtures written the way the API server and Cilium's documentation write
 * them) with Cilium's field names and defaults, and rejects what Cilium's CRDs reject, naming the field.
 */
import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { parseFile } from "../src/internal/ManifestDocuments.js"
import type { KindName, TypeOf } from "../src/Kinds.js"
import * as Kinds from "../src/Kinds.js"
import * as Policy from "../src/resources/CiliumBGPPeeringPolicy.js"
import * as V2 from "../src/resources/CiliumBGPv2.js"
import * as Egress from "../src/resources/CiliumEgressGatewayPolicy.js"
import * as Pool from "../src/resources/CiliumLoadBalancerIPPool.js"
import * as Cnp from "../src/resources/CiliumNetworkPolicy.js"
import * as Slice from "../src/resources/EndpointSlice.js"
import * as Node from "../src/resources/Node.js"

const fixtures = (file: string) => {
  const parsed = parseFile(file, readFileSync(join(import.meta.dir, "fixtures", "cilium", file), "utf8"))
  expect(parsed.problems.map((p) => p.message)).toEqual([])
  return <K extends KindName>(kind: K, key: string): TypeOf<K> => {
    const o = parsed.objects.find((x) => x.kind === kind && x.key === key)
    if (o === undefined) throw new Error(`${kind} ${key} not in ${file}`)
    return o.value as TypeOf<K>
  }
}

const issues = (kind: KindName, json: unknown) =>
  Either.match(Kinds.decodeObject(kind, json), {
    onLeft: (e) => e.issues.map((i) => `${i.path}: ${i.message}`),
    onRight: () => []
  })

describe("core kinds", () => {
  const get = fixtures("core.yaml")

  test("EndpointSlice: conditions as the API defines them (missing ready = ready, serving follows ready), nodeName", () => {
    const s = get("EndpointSlice", "prod/web-abc12")
    expect(Slice.serviceName(s)).toBe("web")
    expect(s.endpoints.map((e) => [e.nodeName, Slice.isReady(e), Slice.isServing(e), Slice.isTerminating(e)])).toEqual([
      ["k8s-node1", true, true, false],
      ["k8s-node2", false, true, true],
      ["k8s-node2", true, true, false]
    ])
    expect(s.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }])
  })

  test("Node: labels, annotations, dual-stack podCIDRs (or the legacy podCIDR) and addresses", () => {
    const n = get("Node", "k8s-node1")
    expect(n.metadata.labels).toEqual({ "kubernetes.io/hostname": "k8s-node1" })
    expect(n.metadata.annotations).toEqual({ "node.alpha.kubernetes.io/ttl": "0" })
    expect(Node.podCIDRs(n)).toEqual(["10.244.1.0/24", "fd00:244:1::/64"])
    expect(Node.address(n, "InternalIP")).toBe("10.0.0.5")
    expect(Node.podCIDRs(get("Node", "legacy"))).toEqual(["10.244.9.0/24"])
    expect(get("Node", "legacy").status.addresses).toEqual([])
  })

  test("Lease: holder, duration and MicroTime stamps", () => {
    expect(get("Lease", "kube-system/kbgp-leader").spec).toEqual({
      holderIdentity: "k8s-node1",
      leaseDurationSeconds: 15,
      acquireTime: "2025-01-02T03:04:05.678000Z",
      renewTime: "2025-01-02T03:04:15.678000Z",
      leaseTransitions: 2
    })
  })
})

describe("Cilium v2 BGP kinds", () => {
  const get = fixtures("bgp-v2.yaml")

  test("CiliumBGPClusterConfig: instances, peers by address or auto-discovery, peerASN defaulting to 0", () => {
    const c = get("CiliumBGPClusterConfig", "cilium-bgp")
    const [instance] = c.spec.bgpInstances
    expect(instance!.localASN).toBe(65000)
    expect(instance!.peers.map((p) => [p.name, p.peerAddress, p.peerASN, p.peerConfigRef?.name])).toEqual([
      ["peer-65000-tor1", "fd00:10:0:0::1", 65000, "cilium-peer"],
      ["peer-auto", undefined, 0, undefined]
    ])
    expect(instance!.peers[1]!.autoDiscovery).toEqual({ mode: "DefaultGateway", defaultGateway: { addressFamily: "ipv4" } })
    expect(c.status.conditions).toEqual([])
  })

  test("CiliumBGPPeerConfig: written values kept, everything else Cilium's defaults", () => {
    const c = get("CiliumBGPPeerConfig", "cilium-peer")
    expect(c.spec.timers).toEqual({ connectRetryTimeSeconds: 120, holdTimeSeconds: 9, keepAliveTimeSeconds: 3 })
    expect(c.spec.transport.peerPort).toBe(179)
    expect([c.spec.authSecretRef, c.spec.ebgpMultihop]).toEqual(["bgp-auth-secret", 4])
    expect(c.spec.gracefulRestart).toEqual({ enabled: true, restartTimeSeconds: 15 })
    expect(V2.effectiveFamilies(c.spec)).toEqual([
      { afi: "ipv4", safi: "unicast", advertisements: { matchLabels: { advertise: "bgp" } } }
    ])
    const d = get("CiliumBGPPeerConfig", "defaults-only")
    expect(d.spec.timers).toEqual({ connectRetryTimeSeconds: 120, holdTimeSeconds: 90, keepAliveTimeSeconds: 30 })
    expect([d.spec.ebgpMultihop, d.spec.gracefulRestart, d.spec.authSecretRef]).toEqual([1, undefined, undefined])
  })

  test("CiliumBGPAdvertisement: types, service addresses and aggregation, selector, attributes", () => {
    const [podCidr, service] = get("CiliumBGPAdvertisement", "bgp-advertisements").spec.advertisements
    expect(podCidr!.advertisementType).toBe("PodCIDR")
    expect(podCidr!.selector).toBeUndefined()
    expect(podCidr!.attributes).toEqual({
      communities: { standard: ["65000:99"], wellKnown: ["no-export"], large: ["65000:1:1"] },
      localPreference: 99
    })
    expect(service!.service).toEqual({ addresses: ["ClusterIP", "ExternalIP", "LoadBalancerIP"], aggregationLengthIPv4: 24 })
    expect(service!.selector?.matchExpressions).toEqual([{ key: "bgp", operator: "In", values: ["blue"] }])
  })

  test("CiliumBGPNodeConfigOverride and CiliumBGPNodeConfig (named after the node)", () => {
    const o = get("CiliumBGPNodeConfigOverride", "worker-1")
    expect(o.spec.bgpInstances).toEqual([
      { name: "instance-65000", routerID: "192.168.10.1", localPort: 1790, peers: [{ name: "peer-65000-tor1", localAddress: "fd00:10:0:2::2" }] }
    ])
    const n = get("CiliumBGPNodeConfig", "worker-1")
    expect(n.spec.bgpInstances[0]!.peers[0]!.peerConfigRef?.name).toBe("cilium-peer")
    const peer = n.status.bgpInstances[0]!.peers[0]!
    expect([peer.peeringState, peer.timers?.appliedHoldTimeSeconds, peer.routeCount[0]?.advertised]).toEqual(["established", 9, 2])
  })

  test("v2 rules from Cilium's CRD: a Service advertisement needs `service`, at most 16 instances", () => {
    expect(issues("CiliumBGPAdvertisement", { metadata: { name: "a" }, spec: { advertisements: [{ advertisementType: "Service" }] } }))
      .toEqual(["spec.advertisements[0].service: service field is required for the 'Service' advertisementType"])
    const instances = Array.from({ length: 17 }, (_, i) => ({ name: `i${i}`, localASN: 65000 }))
    expect(issues("CiliumBGPClusterConfig", { metadata: { name: "c" }, spec: { bgpInstances: instances } })).toHaveLength(1)
  })
})

describe("other Cilium kinds", () => {
  const get = fixtures("other.yaml")

  test("CiliumNode: Cilium-allocated pod CIDRs and addresses", () => {
    const n = get("CiliumNode", "k8s-node1")
    expect(n.spec.ipam.podCIDRs).toEqual(["10.244.1.0/24", "fd00:244:1::/64"])
    expect(n.spec.addresses.map((a) => a.ip)).toEqual(["10.0.0.5", "10.244.1.17"])
  })

  test("CiliumLoadBalancerIPPool: v2 blocks (CIDR or range), v2alpha1 cidrs, Cilium's defaults", () => {
    const blue = get("CiliumLoadBalancerIPPool", "blue-pool")
    expect(Pool.effectiveBlocks(blue)).toEqual([
      { cidr: "20.0.10.0/24" },
      { start: "20.0.20.100", stop: "20.0.20.200" },
      { cidr: "2004::0/112" }
    ])
    expect([blue.spec.allowFirstLastIPs, blue.spec.disabled]).toEqual(["Yes", false])
    const old = get("CiliumLoadBalancerIPPool", "old-pool")
    expect(Pool.effectiveBlocks(old)).toEqual([{ cidr: "10.0.10.0/24" }])
    expect([old.spec.allowFirstLastIPs, old.spec.disabled, old.spec.serviceSelector]).toEqual(["No", true, undefined])
  })

  test("objects written by Cilium's Go types (an empty `cidr` for a range or a CIDR group) still decode", () => {
    const pool = Either.getOrThrow(
      Kinds.decodeObject("CiliumLoadBalancerIPPool", {
        metadata: { name: "p" },
        spec: { blocks: [{ cidr: "", start: "10.0.0.10", stop: "10.0.0.20" }], disabled: false }
      })
    )
    expect(Pool.effectiveBlocks(pool)).toEqual([{ start: "10.0.0.10", stop: "10.0.0.20" }])
    expect(issues("CiliumLoadBalancerIPPool", { metadata: { name: "p" }, spec: { blocks: [{ cidr: "" }] } })).toEqual([
      "spec.blocks[0]: an IP block needs `cidr` or `start` (and optional `stop`)"
    ])
    const cnp = Either.getOrThrow(
      Kinds.decodeObject("CiliumNetworkPolicy", {
        metadata: { name: "n", namespace: "d" },
        spec: { egress: [{ toCIDRSet: [{ cidr: "", cidrGroupRef: "office" }, { cidr: "10.1.0.0/16" }] }] }
      })
    )
    expect(Cnp.egressCIDRs(cnp)).toEqual(["10.1.0.0/16"])
  })

  test("CiliumEgressGatewayPolicy v2 and CiliumNetworkPolicy CIDRs", () => {
    const p = get("CiliumEgressGatewayPolicy", "egress-sample")
    expect(Egress.gateways(p).map((g) => g.egressIP)).toEqual(["10.168.60.100"])
    expect([p.spec.destinationCIDRs, p.spec.excludedCIDRs]).toEqual([["0.0.0.0/0"], ["192.168.1.0/24"]])
    const cnp = get("CiliumNetworkPolicy", "prod/cidr-rule")
    expect(Cnp.egressCIDRs(cnp)).toEqual(["20.1.1.1/32", "10.0.0.0/8", "192.0.2.7"])
    expect(Cnp.rules(cnp)[0]!.egress[1]!.toCIDRSet[0]!.except).toEqual(["10.96.0.0/12"])
  })
})

describe("Cilium's defaults and validation rules", () => {
  const neighbor = (extra: Record<string, unknown> = {}) => ({ peerAddress: "10.0.0.1/32", peerASN: 65000, ...extra })
  const policy = (neighbors: Array<unknown>) => ({
    metadata: { name: "p" },
    spec: { virtualRouters: [{ localASN: 65001, neighbors }] }
  })

  test("families default per API version: v2alpha1 neighbors IPv4 then IPv6, v2 peer configs IPv6 then IPv4", () => {
    const p = Either.getOrThrow(Kinds.decodeObject("CiliumBGPPeeringPolicy", policy([neighbor()])))
    expect(Policy.effectiveFamilies(p.spec.virtualRouters[0]!.neighbors[0]!)).toEqual([
      { afi: "ipv4", safi: "unicast" },
      { afi: "ipv6", safi: "unicast" }
    ])
    const seed = Either.getOrThrow(
      Kinds.decodeObject("CiliumBGPPeeringPolicy", {
        metadata: { name: "s" },
        spec: { peers: [{ peerAddress: "192.168.1.1", peerASN: 65001, localASN: 64512 }] }
      })
    )
    expect(Policy.effectiveFamilies(Policy.virtualRouters(seed.spec)[0]!.neighbors[0]!)).toEqual([
      { afi: "ipv4", safi: "unicast" },
      { afi: "ipv6", safi: "unicast" }
    ])
    const c = Either.getOrThrow(Kinds.decodeObject("CiliumBGPPeerConfig", { metadata: { name: "c" }, spec: {} }))
    expect(V2.effectiveFamilies(c.spec)).toEqual([
      { afi: "ipv6", safi: "unicast" },
      { afi: "ipv4", safi: "unicast" }
    ])
  })

  test("a keepalive time above the hold time is rejected at the keepalive field (defaults count)", () => {
    const message = (k: number, h: number) => `keepAliveTimeSeconds (${k}) can not be larger than holdTimeSeconds (${h})`
    expect(issues("CiliumBGPPeerConfig", { metadata: { name: "c" }, spec: { timers: { holdTimeSeconds: 9 } } })).toEqual([
      `spec.timers.keepAliveTimeSeconds: ${message(30, 9)}`
    ])
    expect(issues("CiliumBGPPeeringPolicy", policy([neighbor({ keepAliveTimeSeconds: 100 })]))).toEqual([
      `spec.virtualRouters[0].neighbors[0].keepAliveTimeSeconds: ${message(100, 90)}`
    ])
    const seed = { metadata: { name: "s" }, spec: { peers: [{ peerAddress: "192.168.1.1", peerASN: 1, localASN: 2, holdTimeSeconds: 20 }] } }
    expect(issues("CiliumBGPPeeringPolicy", seed)).toEqual([`spec.peers[0].keepAliveTimeSeconds: ${message(30, 20)}`])
    expect(issues("CiliumBGPPeerConfig", { metadata: { name: "c" }, spec: { timers: { holdTimeSeconds: 9, keepAliveTimeSeconds: 3 } } }))
      .toEqual([])
  })

  test("a v2alpha1 virtual router needs a neighbor, and a neighbor's peerAddress is a CIDR (format: cidr)", () => {
    expect(issues("CiliumBGPPeeringPolicy", policy([]))).toEqual([
      "spec.virtualRouters[0].neighbors: Expected an array of at least 1 item(s), actual []"
    ])
    expect(issues("CiliumBGPPeeringPolicy", policy([neighbor({ peerAddress: "10.0.0.1" })]))).toEqual([
      'spec.virtualRouters[0].neighbors[0].peerAddress: expected a CIDR such as 192.168.1.1/32 or fd00::/64, got "10.0.0.1"'
    ])
  })

  test("addresses are checked where Cilium and the API server check them, with the field and the value", () => {
    const svc = (spec: Record<string, unknown>) => ({ metadata: { name: "s", namespace: "d" }, spec })
    expect(issues("Service", svc({ loadBalancerIP: "192.168.1.300" }))).toEqual([
      'spec.loadBalancerIP: expected an IP address such as 192.168.1.1, got "192.168.1.300"'
    ])
    expect(issues("Service", svc({ loadBalancerIP: "" }))).toEqual([])
    expect(issues("Service", svc({ externalIPs: ["192.0.2.1", "192.0.2.0/24"] }))).toEqual([
      'spec.externalIPs[1]: expected an IP address such as 192.168.1.1, got "192.0.2.0/24"'
    ])
    expect(
      issues("CiliumBGPNodeConfigOverride", { metadata: { name: "n" }, spec: { bgpInstances: [{ name: "i", routerID: "fd00::1" }] } })
    ).toEqual(['spec.bgpInstances[0].routerID: expected an IPv4 address such as 10.0.0.1, got "fd00::1"'])
    expect(
      issues("CiliumBGPClusterConfig", {
        metadata: { name: "c" },
        spec: { bgpInstances: [{ name: "i", peers: [{ name: "a", peerAddress: "fe80::1%eth0" }, { name: "b", peerAddress: "router1" }] }] }
      })
    ).toEqual([
      'spec.bgpInstances[0].peers[1].peerAddress: expected an IP address such as 192.168.1.1 (an IPv6 zone like %eth0 is allowed), got "router1"'
    ])
    expect(issues("CiliumLoadBalancerIPPool", { metadata: { name: "p" }, spec: { blocks: [{ cidr: "10.0.0.0/33" }] } })).toEqual([
      'spec.blocks[0].cidr: expected a CIDR such as 192.168.1.1/32 or fd00::/64, got "10.0.0.0/33"'
    ])
    expect(
      issues("CiliumLoadBalancerIPPool", { metadata: { name: "p" }, spec: { blocks: [{ start: "10.0.0.1", stop: "fd00::1" }] } })
    ).toEqual(["spec.blocks[0].stop: stop (fd00::1) and start (10.0.0.1) must be of the same IP family"])
    expect(
      issues("CiliumEgressGatewayPolicy", { metadata: { name: "e" }, spec: { egressGateway: { egressIP: "10.0.0" } } })
    ).toEqual(['spec.egressGateway.egressIP: expected an IP address such as 192.168.1.1 (an IPv6 zone like %eth0 is allowed), got "10.0.0"'])
    expect(issues("CiliumNetworkPolicy", { metadata: { name: "n", namespace: "d" }, spec: { egress: [{ toCIDR: ["10.0.1.0/24", "10.0.1"] }] } }))
      .toEqual(['spec.egress[0].toCIDR[1]: expected an IP address or a CIDR such as 10.0.1.0/24, got "10.0.1"'])
  })
})

describe("YAML and addresses that end in ::", () => {
  const doc = (body: string) => `apiVersion: cilium.io/v2alpha1
kind: CiliumConfig
metadata:
  name: c
spec:
  bgpPeering:
${body}`

  test("in a list (as the seed writes `- ::`) the address is read as written", () => {
    const parsed = parseFile("c.yaml", doc("    listenAddresses:\n      - ::\n      - fd00::\n      - 10.0.0.1\n"))
    expect(parsed.problems).toEqual([])
    const c = parsed.objects[0]!.value as TypeOf<"CiliumConfig">
    expect(c.spec.bgpPeering.listenAddresses).toEqual(["::", "fd00::", "10.0.0.1"])
    expect(Kinds.encodeObject("CiliumConfig", c).spec?.bgpPeering?.listenAddresses).toEqual(["::", "fd00::", "10.0.0.1"])
  })

  test("after a key YAML rejects it; the error says to quote it", () => {
    const [p] = parseFile("c.yaml", doc("    routerID: 10.0.0.1\n    neighbors:\n      - peerAddress: fd00::\n        peerASN: 1\n")).problems
    expect([p!.reason, p!.line]).toEqual(["Syntax", 9])
    expect(p!.detail).toContain('a value that ends in ":", such as the IPv6 address "fd00::", must be quoted')
    const quoted = parseFile("c.yaml", doc('    neighbors:\n      - peerAddress: "fd00::"\n        peerASN: 1\n'))
    expect(quoted.problems).toEqual([])
  })

  test("a schema problem is reported at the offending field's line, inside a List's items too", () => {
    const list = [
      "apiVersion: v1",
      "kind: List",
      "items:",
      "  - apiVersion: v1",
      "    kind: Node",
      "    metadata:",
      "      name: n1",
      "  - apiVersion: v1",
      "    kind: Service",
      "    metadata:",
      "      name: web",
      "    spec:",
      "      ports:",
      "        - port: 80",
      "        - port: http",
      ""
    ].join("\n")
    const [p] = parseFile("list.yaml", list).problems
    expect([p!.reason, p!.document, p!.line]).toEqual(["Schema", 0, 15])
    expect(p!.detail).toBe('items[1]: Service default/web: spec.ports[1].port: Expected number, actual "http"')
  })

  test("a value of the wrong type is named plainly", () => {
    const [p] = parseFile("c.yaml", doc("    listenAddresses:\n      - 7\n")).problems
    expect(p!.detail).toBe("CiliumConfig c: spec.bgpPeering.listenAddresses[0]: Expected an IP address (a string), actual 7")
  })
})
