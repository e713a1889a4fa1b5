import { describe, expect, test } from "bun:test"
import { BunFileSystem } from "@effect/platform-bun"
import { ConfigProvider, Duration, Effect, Either, Exit, Layer, Logger, LogLevel } from "effect"
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { ClusterSnapshot } from "../src/ClusterSnapshot.js"
import { ClusterSource } from "../src/ClusterSource.js"
import * as ManifestSource from "../src/ManifestSource.js"
import { StatusWriter } from "../src/StatusWriter.js"
import { advance, collect, eventually, runFsTest, tmpDir } from "./helpers.js"

const service = (name: string, ip: string, ns?: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}${ns !== undefined ? `\n  namespace: ${ns}` : ""}
spec:
  type: LoadBalancer
  loadBalancerIP: ${ip}
  ports:
    - port: 80
`
const node = (name: string) => `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels:
    kubernetes.io/hostname: ${name}
`
const policy = `apiVersion: cilium.io/v2alpha1
kind: CiliumBGPPeerPolicy
metadata:
  name: p
spec:
  peers:
    - peerAddress: 192.168.1.1
      peerASN: 65001
      localASN: 64512
`

/** Manual rescans under TestClock: no watcher, no periodic timer firing unless the clock is moved. */
const manual = (directory: string) => ManifestSource.make({ directory, watch: false, debounce: "250 millis", rescanInterval: "1 hour" })

const lbIPs = (s: ClusterSnapshot) => [...s.services.values()].map((x) => `${x.metadata.namespace}/${x.metadata.name}=${x.spec.loadBalancerIP}`)

describe("ManifestSource", () => {
  test("reads multi-document YAML, JSON and nested directories into one synced snapshot", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        mkdirSync(join(dir, "nested", "deeper"), { recursive: true })
        writeFileSync(join(dir, "a.yaml"), `---\n${service("web", "192.0.2.1")}---\n# just a comment\n---\n${node("n1")}`)
        writeFileSync(
          join(dir, "nested", "b.json"),
          JSON.stringify({ apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "Node", metadata: { name: "n2" } }] })
        )
        writeFileSync(join(dir, "nested", "deeper", "c.yml"), service("api", "192.0.2.2", "prod"))
        writeFileSync(join(dir, "notes.txt"), "not a manifest")
        mkdirSync(join(dir, ".hidden"))
        writeFileSync(join(dir, ".hidden", "x.yaml"), node("hidden"))
        const { manifests, source } = yield* manual(dir)
        const s = yield* source.current
        expect(s.synced).toBe(true)
        expect(lbIPs(s).sort()).toEqual(["default/web=192.0.2.1", "prod/api=192.0.2.2"])
        expect([...s.nodes.keys()].sort()).toEqual(["n1", "n2"])
        expect(yield* manifests.problems).toEqual([])
        expect((yield* manifests.files).map((f) => [f.path.slice(dir.length + 1), f.objects, f.ok])).toEqual([
          ["a.yaml", 2, true],
          ["nested/b.json", 1, true],
          ["nested/deeper/c.yml", 1, true]
        ])
      })
    ))

  test("the seed's CiliumBGPPeerPolicy lands in the CiliumBGPPeeringPolicy store", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "policy.yaml"), policy)
        const { source } = yield* manual(dir)
        const s = yield* source.current
        expect([...s.bgpPeeringPolicies.keys()]).toEqual(["p"])
        expect(s.bgpPeeringPolicies.get("p")?.kind).toBe("CiliumBGPPeerPolicy")
      })
    ))

  test("a broken file keeps its last good state and names path, document index and reason", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        const file = join(dir, "svc.yaml")
        writeFileSync(file, `${service("web", "192.0.2.1")}---\n${node("n1")}`)
        writeFileSync(join(dir, "other.yaml"), node("n2"))
        const { manifests, source } = yield* manual(dir)
        const seen = yield* collect(source.snapshots)

        // Document 1 breaks (schema); document 0 changes. The whole file keeps its last good state.
        writeFileSync(file, `${service("web", "192.0.2.99")}---\napiVersion: v1\nkind: Node\nmetadata:\n  labels: {}\n`)
        writeFileSync(join(dir, "other.yaml"), `${node("n2")}---\n${node("n3")}`)
        yield* manifests.rescan
        yield* advance("1 second")
        const s = yield* source.current
        expect(lbIPs(s)).toEqual(["default/web=192.0.2.1"])
        expect([...s.nodes.keys()].sort()).toEqual(["n1", "n2", "n3"])
        const problems = yield* manifests.problems
        // Line 13 is document 1's `metadata:`, which lacks the required name.
        expect(problems.map((p) => [p.reason, p.path, p.document, p.line])).toEqual([["Schema", file, 1, 13]])
        expect(problems[0]!.message).toContain("metadata.name")
        expect((yield* manifests.files).find((f) => f.path === file)).toEqual({ path: file, objects: 2, ok: false })

        // YAML syntax error: still the last good state.
        writeFileSync(file, "apiVersion: v1\nkind: Service\nmetadata: {name: [oops\n")
        yield* manifests.rescan
        yield* advance("1 second")
        const syntax = yield* manifests.problems
        expect(syntax.map((p) => [p.reason, p.document])).toEqual([["Syntax", 0]])
        expect(syntax[0]!.line).toBeGreaterThanOrEqual(3)
        expect(lbIPs(yield* source.current)).toEqual(["default/web=192.0.2.1"])

        // Fixed: the new content applies and the problem is gone.
        writeFileSync(file, service("web", "192.0.2.42"))
        yield* manifests.rescan
        yield* advance("1 second")
        expect(yield* manifests.problems).toEqual([])
        expect(lbIPs(yield* source.current)).toEqual(["default/web=192.0.2.42"])
        expect([...(yield* source.current).nodes.keys()].sort()).toEqual(["n2", "n3"])
        // Initial, n3 added, fixed file: three snapshots, none for the broken states.
        expect((yield* seen.items).length).toBe(3)
      })
    ))

  test("a broken file that never loaded contributes nothing; the rest of the directory loads", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "bad.yaml"), `${node("n9")}---\napiVersion: cilium.io/v2alpha1\nkind: CiliumBGPPeerPolcy\nmetadata:\n  name: x\n`)
        writeFileSync(join(dir, "good.yaml"), node("n1"))
        const { manifests, source } = yield* manual(dir)
        expect([...(yield* source.current).nodes.keys()]).toEqual(["n1"])
        const [p] = yield* manifests.problems
        expect([p!.reason, p!.document]).toEqual(["UnknownKind", 1])
        expect(p!.detail).toContain("did you mean CiliumBGPPeerPolicy?")
        expect((yield* source.problems).length).toBe(1)
      })
    ))

  test("a known kind under the wrong apiVersion says which apiVersion to use", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "p.yaml"), policy.replace("cilium.io/v2alpha1", "cilium.io/v2"))
        const { manifests } = yield* manual(dir)
        const [p] = yield* manifests.problems
        expect(p!.message).toContain("use apiVersion cilium.io/v2alpha1")
      })
    ))

  test("kinds kbgp does not read are listed as ignored, not as problems", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n")
        const { manifests } = yield* manual(dir)
        expect(yield* manifests.problems).toEqual([])
        expect((yield* manifests.ignored).map((i) => [i.kind, i.name])).toEqual([["ConfigMap", "c"]])
      })
    ))

  test("the same object in two files: the first by path wins and the second is reported", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "a.yaml"), service("web", "192.0.2.1"))
        writeFileSync(join(dir, "b.yaml"), service("web", "192.0.2.2"))
        const { manifests, source } = yield* manual(dir)
        expect(lbIPs(yield* source.current)).toEqual(["default/web=192.0.2.1"])
        const [p] = yield* manifests.problems
        expect([p!.reason, p!.path]).toEqual(["Duplicate", join(dir, "b.yaml")])
      })
    ))

  test("emits once per settled change, and not at all for rescans that change nothing", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "a.yaml"), node("n1"))
        const { manifests, source } = yield* manual(dir)
        const seen = yield* collect(source.snapshots)
        for (const n of ["n2", "n3", "n4"]) {
          writeFileSync(join(dir, `${n}.yaml`), node(n))
          yield* manifests.rescan
          yield* advance("100 millis")
        }
        expect((yield* seen.items).length).toBe(1)
        yield* advance("250 millis")
        const items = yield* seen.items
        expect(items.map((s) => [...s.nodes.keys()].sort().join(","))).toEqual(["n1", "n1,n2,n3,n4"])
        // Unchanged directory, and a rewrite with identical content: nothing new.
        yield* manifests.rescan
        writeFileSync(join(dir, "a.yaml"), node("n1"))
        yield* manifests.rescan
        yield* advance("1 second")
        expect((yield* seen.items).length).toBe(2)
        // Deleting a file removes its objects.
        rmSync(join(dir, "n4.yaml"))
        yield* manifests.rescan
        yield* advance("1 second")
        expect([...(yield* source.current).nodes.keys()].sort()).toEqual(["n1", "n2", "n3"])
      })
    ))

  test("the periodic rescan picks up changes without a watcher", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        const { source } = yield* ManifestSource.make({ directory: dir, watch: false, debounce: "250 millis", rescanInterval: "5 seconds" })
        expect((yield* source.current).nodes.size).toBe(0)
        writeFileSync(join(dir, "a.yaml"), node("n1"))
        // The rescan reads real files: poll in real time while moving the TestClock in 5 s steps.
        yield* eventually(Effect.map(source.current, (s) => s.nodes.size === 1), "5 seconds")
        expect([...(yield* source.current).nodes.keys()]).toEqual(["n1"])
      })
    ))

  test("status writes go to the overlay and show in the snapshot; they fail for missing objects", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "svc.yaml"), service("web", "192.0.2.1"))
        const ctx = yield* Layer.build(ManifestSource.layer({ directory: dir, watch: false, rescanInterval: "1 hour" }))
        const writer = ctx.unsafeMap.get(StatusWriter.key) as StatusWriter["Type"]
        const source = ctx.unsafeMap.get(ClusterSource.key) as ClusterSource["Type"]
        const manifests = ctx.unsafeMap.get(ManifestSource.ManifestSource.key) as ManifestSource.ManifestSource["Type"]
        yield* writer.setServiceIngress("default", "web", ["192.0.2.1"])
        yield* advance("1 second")
        expect((yield* source.current).services.get("default/web")?.status.loadBalancer.ingress).toEqual([
          { ip: "192.0.2.1", ipMode: "VIP" }
        ])
        expect((yield* manifests.overlay).serviceIngress.get("default/web")).toHaveLength(1)
        const missing = yield* Effect.either(writer.setServiceIngress("default", "nope", ["192.0.2.9"]))
        expect(Either.isLeft(missing)).toBe(true)
        // Editing the file keeps the written status, as the API server keeps status across spec updates.
        writeFileSync(join(dir, "svc.yaml"), service("web", "192.0.2.1").replace("port: 80", "port: 8080"))
        yield* manifests.rescan
        yield* advance("1 second")
        const svc = (yield* source.current).services.get("default/web")
        expect(svc?.spec.ports[0]?.port).toBe(8080)
        expect(svc?.status.loadBalancer.ingress).toHaveLength(1)
        // Deleting the object drops its overlay entry.
        rmSync(join(dir, "svc.yaml"))
        yield* manifests.rescan
        expect((yield* manifests.overlay).serviceIngress.size).toBe(0)
      })
    ))

  test("condition writes merge by type with the conditions a manifest carries, as on the API server", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(
          join(dir, "peer.yaml"),
          `apiVersion: cilium.io/v2
kind: CiliumBGPPeerConfig
metadata:
  name: peer
spec: {}
status:
  conditions:
    - type: example.com/Other
      status: "True"
      reason: Set
      message: by someone else
      lastTransitionTime: "2025-01-01T00:00:00Z"
`
        )
        const ctx = yield* Layer.build(ManifestSource.layer({ directory: dir, watch: false, rescanInterval: "1 hour" }))
        const writer = ctx.unsafeMap.get(StatusWriter.key) as StatusWriter["Type"]
        const source = ctx.unsafeMap.get(ClusterSource.key) as ClusterSource["Type"]
        yield* writer.setConditions("CiliumBGPPeerConfig", undefined, "peer", [
          { type: "cilium.io/MissingAuthSecret", status: "False", reason: "Found", message: "no auth secret needed" }
        ])
        const conditionsNow = Effect.map(source.current, (s) => s.bgpPeerConfigs.get("peer")?.status.conditions ?? [])
        yield* eventually(Effect.map(conditionsNow, (cs) => cs.length === 2), "300 millis")
        const conditions = yield* conditionsNow
        expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
          ["example.com/Other", "True", "Set"],
          ["cilium.io/MissingAuthSecret", "False", "Found"]
        ])
      })
    ))

  test("a missing directory fails the layer with a Read error naming the path", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        const exit = yield* Effect.exit(manual(join(dir, "nope")))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain("nope")
      })
    ))

  test("a ConfigMap-style mount (symlinks into ..data) is read once, not twice", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        mkdirSync(join(dir, "..2025_01_01"))
        writeFileSync(join(dir, "..2025_01_01", "svc.yaml"), service("web", "192.0.2.1"))
        symlinkSync("..2025_01_01", join(dir, "..data"))
        symlinkSync(join("..data", "svc.yaml"), join(dir, "svc.yaml"))
        const { manifests, source } = yield* manual(dir)
        expect(lbIPs(yield* source.current)).toEqual(["default/web=192.0.2.1"])
        expect(yield* manifests.problems).toEqual([])
      })
    ))
})

describe("ManifestSource with the real clock and file-system events", () => {
  test("an edited file is picked up through the watcher, once, after the debounce", async () => {
    const program = Effect.gen(function* () {
      const dir = yield* tmpDir
      writeFileSync(join(dir, "a.yaml"), node("n1"))
      const { source } = yield* ManifestSource.make({ directory: dir, debounce: "30 millis", rescanInterval: "1 hour" })
      const seen = yield* collect(source.snapshots)
      // Editors write a temp file and rename it over the original.
      writeFileSync(join(dir, ".a.yaml.tmp"), `${node("n1")}---\n${node("n2")}`)
      renameSync(join(dir, ".a.yaml.tmp"), join(dir, "a.yaml"))
      const deadline = Date.now() + 5000
      while (Date.now() < deadline && (yield* source.current).nodes.size < 2) yield* Effect.sleep(Duration.millis(10))
      yield* Effect.sleep(Duration.millis(100))
      const items = yield* seen.items
      expect(items.map((s) => [...s.nodes.keys()].sort().join(","))).toEqual(["n1", "n1,n2"])
    })
    await Effect.runPromise(
      Effect.scoped(Effect.provide(program, BunFileSystem.layer)).pipe(Logger.withMinimumLogLevel(LogLevel.Error))
    )
  })
})

describe("ManifestSource configuration", () => {
  test("layerConfig reads the directory and durations from a ConfigProvider, with defaults", () =>
    runFsTest(
      Effect.gen(function* () {
        const dir = yield* tmpDir
        writeFileSync(join(dir, "n.yaml"), node("n1"))
        const options = yield* Effect.withConfigProvider(
          ManifestSource.config,
          ConfigProvider.fromMap(new Map([["directory", dir], ["debounce", "40 millis"], ["watch", "false"]]))
        )
        expect(options.directory).toBe(dir)
        expect(Duration.toMillis(Duration.decode(options.debounce))).toBe(40)
        expect(options.watch).toBe(false)
        expect(Duration.toMillis(Duration.decode(options.rescanInterval))).toBe(5000)
        const ctx = yield* Layer.build(
          ManifestSource.layerConfig().pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["directory", dir], ["watch", "false"]]))))
          )
        )
        const source = ctx.unsafeMap.get(ClusterSource.key) as ClusterSource["Type"]
        expect([...(yield* source.current).nodes.keys()]).toEqual(["n1"])
      })
    ))
})
