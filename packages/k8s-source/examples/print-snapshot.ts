/**
 * Prints what kbgp sees in a manifest directory: `bun examples/print-snapshot.ts [directory]`
 * (default: examples/quickstart). Add `--watch` to keep printing on every settled change.
 */
import { BunContext, BunRuntime } from "@effect/platform-bun"
import { CiliumBGPPeeringPolicy, ClusterSource, ManifestSource } from "@kbgp/k8s-source"
import { Effect, Stream } from "effect"

const args = process.argv.slice(2)
const directory = args.find((a) => !a.startsWith("--")) ?? new URL("./quickstart", import.meta.url).pathname

export const describe = Effect.gen(function* () {
  const source = yield* ClusterSource.ClusterSource
  const manifests = yield* ManifestSource.ManifestSource
  const snapshot = yield* source.current
  const lines: Array<string> = [`synced=${snapshot.synced} ${JSON.stringify(snapshot.counts())}`]
  for (const [key, policy] of snapshot.bgpPeeringPolicies) {
    for (const router of CiliumBGPPeeringPolicy.virtualRouters(policy.spec)) {
      for (const n of router.neighbors) {
        lines.push(`policy ${key}: AS${router.localASN} -> ${n.peerAddress} AS${n.peerASN}`)
      }
    }
  }
  for (const [key, svc] of snapshot.services) {
    lines.push(`service ${key}: ${svc.spec.type} ${svc.spec.loadBalancerIP ?? "-"}`)
  }
  for (const p of yield* manifests.problems) lines.push(`problem: ${p.message}`)
  return lines
})

const main = Effect.gen(function* () {
  for (const line of yield* describe) yield* Effect.log(line)
  if (args.includes("--watch")) {
    const source = yield* ClusterSource.ClusterSource
    yield* Stream.runForEach(Stream.drop(source.snapshots, 1), () =>
      Effect.flatMap(describe, (lines) => Effect.forEach(lines, (l) => Effect.log(l)))
    )
  }
}).pipe(Effect.provide(ManifestSource.layer({ directory })), Effect.provide(BunContext.layer))

if (import.meta.main) BunRuntime.runMain(main)
