/**
 * The @kbgp/k8s-source README example, run as a user runs it (`bun examples/print-snapshot.ts --kubeconfig FILE`)
 * against the fake API server over TLS, serving the seed guide's objects as a cluster would hold them. Its output
 * must be what the README shows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Certs from "../../src/fakeApiServer/Certs.js"
import type { KindDef } from "../../src/fakeApiServer/FakeApiServer.js"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"

const packageDir = join(import.meta.dir, "..", "..", "..", "packages", "k8s-source")

const peeringPolicies: KindDef = {
  group: "cilium.io",
  version: "v2alpha1",
  plural: "ciliumbgppeeringpolicies",
  kind: "CiliumBGPPeeringPolicy",
  namespaced: false,
  statusSubresource: false
}

let pki: Certs.TestPki
let dir: string
let server: FakeApiServer

beforeAll(() => {
  pki = Certs.generate()
  dir = mkdtempSync(join(tmpdir(), "kbgp-readme-"))
  server = FakeApiServer.start({
    tokens: ["readme-token"],
    tls: { cert: pki.server.cert, key: pki.server.key },
    kinds: [...Object.values(kinds), peeringPolicies]
  })
  // The seed's step 2 policy in Cilium's own shape (the API server stores CiliumBGPPeeringPolicy, not the
  // seed's CiliumBGPPeerPolicy), its step 3 Service, and the two nodes.
  server.apply(peeringPolicies, {
    metadata: { name: "bgp-policy-to-router1" },
    spec: {
      nodeSelector: { matchLabels: { "kubernetes.io/hostname": "k8s-node1" } },
      virtualRouters: [
        {
          localASN: 64512,
          serviceSelector: { matchExpressions: [{ key: "somekey", operator: "NotIn", values: ["never-used-value"] }] },
          neighbors: [
            { peerAddress: "192.168.1.1/32", peerASN: 65001 },
            { peerAddress: "192.168.1.2/32", peerASN: 65002 }
          ]
        }
      ]
    }
  })
  server.apply(kinds.service, {
    metadata: { name: "my-nginx-service", namespace: "default" },
    spec: { selector: { app: "nginx" }, ports: [{ protocol: "TCP", port: 80, targetPort: 80 }], type: "LoadBalancer", loadBalancerIP: "192.168.1.100" }
  })
  for (const name of ["k8s-node1", "k8s-node2"]) {
    server.apply(kinds.node, { metadata: { name, labels: { "kubernetes.io/hostname": name } } })
  }
  writeFileSync(join(dir, "ca.crt"), pki.ca.cert)
  writeFileSync(
    join(dir, "kubeconfig"),
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: fake",
      "    cluster:",
      `      server: ${server.url}`,
      "      certificate-authority: ca.crt",
      "users:",
      "  - name: kbgp",
      "    user:",
      "      token: readme-token",
      "contexts:",
      "  - name: fake",
      "    context: { cluster: fake, user: kbgp }",
      "current-context: fake",
      ""
    ].join("\n")
  )
})

afterAll(() => {
  server.stop()
  pki.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

/** The lines of the README's output block that follows `$ <command>`. */
const readmeOutput = (command: string): Array<string> => {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8")
  const start = readme.indexOf(`$ ${command}\n`)
  expect(start).toBeGreaterThanOrEqual(0)
  const body = readme.slice(start + command.length + 3)
  return body.slice(0, body.indexOf("```")).trimEnd().split("\n")
}

describe("the k8s-source README example", () => {
  test("with --kubeconfig it reads the API server (TLS, token) and prints what the README shows", async () => {
    const proc = Bun.spawn(["bun", "examples/print-snapshot.ts", "--kubeconfig", join(dir, "kubeconfig")], {
      cwd: packageDir,
      env: { PATH: process.env.PATH ?? "", HOME: dir },
      stdout: "pipe",
      stderr: "pipe"
    })
    const guard = setTimeout(() => proc.kill(), 10_000) // a hung example fails the test instead of outliving it
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    clearTimeout(guard)
    expect(err).toBe("")
    expect(code).toBe(0)
    const lines = out.trimEnd().split("\n")
    expect(lines).toEqual([
      'synced=true {"Service":1,"Node":2,"CiliumBGPPeeringPolicy":1}',
      "policy bgp-policy-to-router1: AS64512 -> 192.168.1.1/32 AS65001",
      "policy bgp-policy-to-router1: AS64512 -> 192.168.1.2/32 AS65002",
      "service default/my-nginx-service: LoadBalancer 192.168.1.100"
    ])
    expect(lines).toEqual(readmeOutput("bun examples/print-snapshot.ts --kubeconfig ~/.kube/config"))
    // It listed and watched through the API, with the kubeconfig's token.
    expect(server.requests.some((r) => r.path === "/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies")).toBe(true)
    expect(server.requests.every((r) => r.token === "readme-token")).toBe(true)
  }, 15_000)
})
