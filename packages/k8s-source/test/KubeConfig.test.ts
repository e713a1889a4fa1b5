import { describe, expect, test } from "bun:test"
import { BunFileSystem } from "@effect/platform-bun"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as KubeConfig from "../src/KubeConfig.js"

const run = <A, E>(eff: Effect.Effect<A, E, import("@effect/platform").FileSystem.FileSystem>) =>
  Effect.runPromise(Effect.provide(eff, BunFileSystem.layer))

const withDir = async <A>(f: (dir: string) => Promise<A>): Promise<A> => {
  const dir = mkdtempSync(join(tmpdir(), "kbgp-kubeconfig-unit-"))
  try {
    return await f(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const yaml = `
apiVersion: v1
kind: Config
preferences: {}
clusters:
- name: prod
  cluster:
    server: https://api.example.test:6443/k8s/clusters/c-1/
    certificate-authority-data: ${Buffer.from("CA PEM").toString("base64")}
    tls-server-name: api.internal
users:
- name: admin
  user:
    client-certificate-data: ${Buffer.from("CERT PEM").toString("base64")}
    client-key-data: ${Buffer.from("KEY PEM").toString("base64")}
- name: robot
  user:
    token: abc
contexts:
- name: prod-admin
  context:
    cluster: prod
    user: admin
    namespace: net
- name: prod-robot
  context:
    cluster: prod
    user: robot
current-context: prod-admin
`

const parse = (text: string, path = "/k/config") => {
  const r = KubeConfig.parseKubeconfig(text, path)
  if (Either.isLeft(r)) throw r.left
  return { path, file: r.right }
}

describe("KubeConfig", () => {
  test("the current context selects cluster, user, namespace; data fields are base64-decoded", async () => {
    const c = await run(KubeConfig.fromKubeconfigFiles([parse(yaml)]))
    expect(c.server).toBe("https://api.example.test:6443/k8s/clusters/c-1")
    expect(c.namespace).toBe("net")
    expect(c.token).toBeUndefined()
    expect(c.tls).toEqual({ ca: "CA PEM", cert: "CERT PEM", key: "KEY PEM", insecureSkipTlsVerify: false, serverName: "api.internal" })
    expect(c.origin).toBe("kubeconfig /k/config (context prod-admin)")
  })

  test("an explicit context overrides current-context; a missing namespace means default", async () => {
    const c = await run(KubeConfig.fromKubeconfigFiles([parse(yaml)], { context: "prod-robot" }))
    expect(c.token).toEqual({ _tag: "Static", token: "abc" })
    expect(c.tls.cert).toBeUndefined()
    expect(c.namespace).toBe("default")
  })

  test("invalid YAML and invalid fields are reported with the file and the field", () => {
    const bad = KubeConfig.parseKubeconfig("clusters: [unclosed", "/k/broken")
    expect(Either.isLeft(bad) && bad.left.message).toContain("/k/broken")
    const wrongType = KubeConfig.parseKubeconfig("clusters:\n- name: x\n  cluster:\n    server: 42\n", "/k/typed")
    expect(Either.isLeft(wrongType)).toBe(true)
    if (Either.isLeft(wrongType)) {
      expect(wrongType.left.reason).toBe("Config")
      expect(wrongType.left.message).toContain("/k/typed")
      expect(wrongType.left.message).toContain("server")
    }
  })

  test("references to undefined contexts, clusters and users are Config errors naming them", async () => {
    const noCtx = await run(Effect.flip(KubeConfig.fromKubeconfigFiles([parse(yaml)], { context: "nope" })))
    expect(noCtx.message).toContain(`context "nope" is not defined`)
    const dangling = parse(`
contexts: [{ name: c, context: { cluster: missing, user: u } }]
current-context: c
`)
    expect((await run(Effect.flip(KubeConfig.fromKubeconfigFiles([dangling])))).message).toContain(`cluster "missing"`)
    const none = parse("clusters: []")
    expect((await run(Effect.flip(KubeConfig.fromKubeconfigFiles([none])))).message).toContain("no current-context")
  })

  test("unsupported authentication (exec plugins, basic auth) and half a client certificate are refused", async () => {
    const base = (user: string) =>
      parse(`
clusters: [{ name: c, cluster: { server: "https://h:6443" } }]
users: [{ name: u, user: ${user} }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`)
    const exec = await run(Effect.flip(KubeConfig.fromKubeconfigFiles([base("{ exec: { command: aws } }")])))
    expect(exec.message).toContain("exec credential plugins are not supported")
    const basic = await run(Effect.flip(KubeConfig.fromKubeconfigFiles([base("{ username: a, password: b }")])))
    expect(basic.message).toContain("basic authentication")
    const half = await run(
      Effect.flip(KubeConfig.fromKubeconfigFiles([base(`{ client-certificate-data: ${Buffer.from("C").toString("base64")} }`)]))
    )
    expect(half.message).toContain("both the certificate and the key")
    const badB64 = await run(Effect.flip(KubeConfig.fromKubeconfigFiles([base("{ client-key-data: '***', client-certificate-data: '***' }")])))
    expect(badB64.message).toContain("not valid base64")
  })

  test("file references are resolved relative to the kubeconfig; missing files are named", async () => {
    await withDir(async (dir) => {
      writeFileSync(join(dir, "ca.pem"), "CA FROM FILE")
      const file = parse(
        `
clusters: [{ name: c, cluster: { server: "https://h:6443", certificate-authority: ca.pem } }]
users: [{ name: u, user: { tokenFile: tok, client-certificate: missing.crt, client-key: missing.key } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
        join(dir, "config")
      )
      const err = await run(Effect.flip(KubeConfig.fromKubeconfigFiles([file])))
      expect(err.message).toContain(join(dir, "missing.crt"))
      const noCert = parse(
        `
clusters: [{ name: c, cluster: { server: "https://h:6443", certificate-authority: ca.pem } }]
users: [{ name: u, user: { tokenFile: tok } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`,
        join(dir, "config")
      )
      const c = await run(KubeConfig.fromKubeconfigFiles([noCert]))
      expect(c.tls.ca).toBe("CA FROM FILE")
      expect(c.token).toEqual({ _tag: "File", path: join(dir, "tok") })
    })
  })

  test("in-cluster: an IPv6 service host is bracketed; the port defaults to 443", async () => {
    await withDir(async (dir) => {
      writeFileSync(join(dir, "token"), "t")
      writeFileSync(join(dir, "ca.crt"), "CA")
      const c = await run(
        KubeConfig.inCluster({ serviceAccountDir: dir }).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["KUBERNETES_SERVICE_HOST", "fd00::1"]])))
        )
      )
      expect(c.server).toBe("https://[fd00::1]:443")
      expect(c.namespace).toBe("default")
      expect(c.token).toEqual({ _tag: "File", path: join(dir, "token") })
    })
  })

  test("mode none never looks anywhere", async () => {
    const r = await run(KubeConfig.resolve({ mode: "none", kubeconfig: "/does/not/exist" }))
    expect(Option.isNone(r)).toBe(true)
  })
})
