import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import * as Kinds from "../src/Kinds.js"
import * as Secret from "../src/resources/Secret.js"

const service = (spec: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "prod", resourceVersion: "7" },
  spec,
  ...extra
})

describe("Kinds registry", () => {
  test("every kind has a lowercase plural, a matching apiVersion and a unique name and aliases", () => {
    const seen = new Set<string>()
    for (const d of Kinds.all) {
      expect(d.plural).toMatch(/^[a-z]+$/)
      expect(d.apiVersion).toBe(d.group === "" ? d.version : `${d.group}/${d.version}`)
      expect(d.versions[0]).toBe(d.version)
      for (const n of [d.name, ...d.aliases]) {
        expect(seen.has(n)).toBe(false)
        seen.add(n)
      }
    }
    expect(Kinds.names).toHaveLength(16)
  })

  test("resolve maps the seed's CiliumBGPPeerPolicy alias onto the CiliumBGPPeeringPolicy store", () => {
    expect(Kinds.resolve("cilium.io/v2alpha1", "CiliumBGPPeerPolicy")).toEqual({ _tag: "Found", kind: "CiliumBGPPeeringPolicy" })
    expect(Kinds.resolve("cilium.io/v2alpha1", "CiliumBGPPeeringPolicy")).toEqual({ _tag: "Found", kind: "CiliumBGPPeeringPolicy" })
  })

  test("resolve accepts every listed version and names the served ones for a wrong version", () => {
    expect(Kinds.resolve("cilium.io/v2", "CiliumEgressGatewayPolicy")._tag).toBe("Found")
    expect(Kinds.resolve("cilium.io/v2alpha1", "CiliumEgressGatewayPolicy")._tag).toBe("Found")
    expect(Kinds.resolve("cilium.io/v2", "CiliumBGPPeerPolicy")).toEqual({
      _tag: "WrongVersion",
      kind: "CiliumBGPPeeringPolicy",
      expected: ["cilium.io/v2alpha1"]
    })
    expect(Kinds.resolve("apps/v1", "Deployment")).toEqual({ _tag: "Unknown" })
    expect(Kinds.resolve("v1", "Service")).toEqual({ _tag: "Found", kind: "Service" })
  })

  test("objectKey is namespace/name for namespaced kinds and name otherwise", () => {
    expect(Kinds.objectKey(true, "kube-system", "a")).toBe("kube-system/a")
    expect(Kinds.objectKey(false, "kube-system", "a")).toBe("a")
    expect(Kinds.keyOf("Node", { metadata: { name: "n1" } })).toBe("n1")
  })
})

describe("decodeObject", () => {
  test("ignores unknown fields and keeps the metadata kbgp uses", () => {
    const r = Kinds.decodeObject(
      "Service",
      service({ type: "LoadBalancer", ports: [{ port: 443 }], sessionAffinity: "None", futureField: { x: 1 } }, {
        metadata: {
          name: "web",
          namespace: "prod",
          uid: "u-1",
          resourceVersion: "7",
          generation: 3,
          labels: { app: "web" },
          annotations: { a: "b" },
          managedFields: [{ manager: "kubectl" }]
        }
      })
    )
    expect(Either.isRight(r)).toBe(true)
    const s = Either.getOrThrow(r)
    expect(s.metadata).toEqual({
      name: "web",
      namespace: "prod",
      uid: "u-1",
      resourceVersion: "7",
      generation: 3,
      labels: { app: "web" },
      annotations: { a: "b" }
    })
    expect(s.spec.ports).toEqual([{ port: 443, protocol: "TCP" }])
    expect("sessionAffinity" in s.spec).toBe(false)
    expect(s.status.loadBalancer.ingress).toEqual([])
  })

  test("a schema failure names the kind, the object and the field path", () => {
    const r = Kinds.decodeObject("Service", service({ type: "LoadBalancer", ports: [{ port: "80" }] }))
    expect(Either.isLeft(r)).toBe(true)
    const e = Either.getOrThrow(Either.flip(r))
    expect(e.reason).toBe("Schema")
    expect(e.kind).toBe("Service")
    expect(e.object).toBe("prod/web")
    expect(e.issues).toEqual([{ path: "spec.ports[0].port", at: ["spec", "ports", 0, "port"], message: 'Expected number, actual "80"' }])
    expect(e.message).toBe('Service prod/web: spec.ports[0].port: Expected number, actual "80"')
  })

  test("a bad enum value and a missing required field are both reported", () => {
    const r = Kinds.decodeObject("Service", service({ type: "Loadbalancer", ports: [{ name: "x" }] }))
    const e = Either.getOrThrow(Either.flip(r))
    expect(e.issues.map((i) => i.path).sort()).toEqual(["spec.ports[0].port", "spec.type"])
    expect(e.issues.find((i) => i.path === "spec.type")?.message).toBe(
      'Expected "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName", actual "Loadbalancer"'
    )
  })

  test("a missing metadata.name is a schema error on that path", () => {
    const e = Either.getOrThrow(Either.flip(Kinds.decodeObject("Node", { metadata: {} })))
    expect(e.object).toBeUndefined()
    expect(e.issues.map((i) => i.path)).toEqual(["metadata.name"])
  })

  test("a non-object is NotAnObject", () => {
    const e = Either.getOrThrow(Either.flip(Kinds.decodeObject("Node", [1, 2])))
    expect(e.reason).toBe("NotAnObject")
  })

  test("CRD validation rules are enforced with Cilium's messages", () => {
    const advert = {
      metadata: { name: "a" },
      spec: { advertisements: [{ advertisementType: "Service" }] }
    }
    const e = Either.getOrThrow(Either.flip(Kinds.decodeObject("CiliumBGPAdvertisement", advert)))
    expect(e.message).toContain("service field is required for the 'Service' advertisementType")
    const selector = {
      metadata: { name: "p" },
      spec: { virtualRouters: [{ localASN: 65000, neighbors: [], serviceSelector: { matchExpressions: [{ key: "k", operator: "In" }] } }] }
    }
    const e2 = Either.getOrThrow(Either.flip(Kinds.decodeObject("CiliumBGPPeeringPolicy", selector)))
    expect(e2.message).toContain("operator In needs a non-empty values list")
    const asn = { metadata: { name: "p" }, spec: { peers: [{ peerAddress: "10.0.0.1", peerASN: 4294967296, localASN: 1 }] } }
    const e3 = Either.getOrThrow(Either.flip(Kinds.decodeObject("CiliumBGPPeeringPolicy", asn)))
    expect(e3.issues.map((i) => i.path)).toEqual(["spec.peers[0].peerASN"])
  })

  test("null fields, as Kubernetes and YAML write them, read as absent", () => {
    const s = Either.getOrThrow(
      Kinds.decodeObject("Service", service(null, { metadata: { name: "n", namespace: "d", labels: null, creationTimestamp: null } }))
    )
    expect(s.metadata.labels).toBeUndefined()
    expect(s.spec.type).toBe("ClusterIP")
  })

  test("Cilium v2alpha1 peering policy defaults match Cilium's SetDefaults", () => {
    const p = Either.getOrThrow(
      Kinds.decodeObject("CiliumBGPPeeringPolicy", {
        metadata: { name: "p" },
        spec: { virtualRouters: [{ localASN: 65001, neighbors: [{ peerAddress: "10.0.0.1/32", peerASN: 65000 }] }] }
      })
    )
    const r = p.spec.virtualRouters[0]!
    expect(r.exportPodCIDR).toBe(false)
    expect(r.serviceAdvertisements).toEqual(["LoadBalancerIP"])
    const n = r.neighbors[0]!
    expect([n.peerPort, n.eBGPMultihopTTL, n.connectRetryTimeSeconds, n.holdTimeSeconds, n.keepAliveTimeSeconds]).toEqual([
      179, 1, 120, 90, 30
    ])
  })

  test("v2 CiliumBGPPeerConfig defaults: transport, timers, multihop", () => {
    const c = Either.getOrThrow(Kinds.decodeObject("CiliumBGPPeerConfig", { metadata: { name: "c" }, spec: {} }))
    expect(c.spec.transport.peerPort).toBe(179)
    expect(c.spec.timers).toEqual({ connectRetryTimeSeconds: 120, holdTimeSeconds: 90, keepAliveTimeSeconds: 30 })
    expect(c.spec.ebgpMultihop).toBe(1)
    const gr = Either.getOrThrow(
      Kinds.decodeObject("CiliumBGPPeerConfig", { metadata: { name: "c" }, spec: { gracefulRestart: { enabled: true } } })
    )
    expect(gr.spec.gracefulRestart).toEqual({ enabled: true, restartTimeSeconds: 120 })
  })

  test("Secret data is base64-decoded to bytes and stringData wins per key", () => {
    const s = Either.getOrThrow(
      Kinds.decodeObject("Secret", {
        metadata: { name: "bgp-auth-secret", namespace: "kube-system" },
        data: { password: "c2VjcmV0", other: "eA==" },
        stringData: { other: "plain" }
      })
    )
    expect(new TextDecoder().decode(Secret.value(s, "password"))).toBe("secret")
    expect(new TextDecoder().decode(Secret.value(s, "other"))).toBe("plain")
    expect(Secret.value(s, "missing")).toBeUndefined()
  })

  test("encodeObject then decodeObject gives the same object", () => {
    const s = Either.getOrThrow(Kinds.decodeObject("Service", service({ type: "LoadBalancer", ports: [{ port: 80 }] })))
    const again = Either.getOrThrow(Kinds.decodeObject("Service", Kinds.encodeObject("Service", s)))
    expect(again).toEqual(s)
  })
})
