/**
 * Prints what kbgp sees in a cluster: the BGP peers its policies define and the LoadBalancer Services.
 *
 *   bun examples/print-snapshot.ts                      # the manifests in examples/quickstart
 *   bun examples/print-snapshot.ts --manifests DIR      # another manifest directory
 *   bun examples/print-snapshot.ts --kubeconfig FILE    # a Kubernetes API server
 */
import type { FileSystem } from "@effect/platform"
import { BunContext, BunRuntime } from "@effect/platform-bun"
import { CiliumBGPPeeringPolicy, ClusterSource, KubeClient, KubeSource, ManifestSource } from "@kbgp/k8s-source"
import type { KubeError, ManifestError } from "@kbgp/k8s-source"
import { Console, Effect, Layer, Logger, LogLevel } from "effect"

/** Reads the first synced snapshot; the code is the same whichever source provides it. */
export const describe = Effect.gen(function* () {
  const source = yield* ClusterSource.ClusterSource
  const snapshot = yield* ClusterSource.awaitSynced(source)
  const lines = [`synced=${snapshot.synced} ${JSON.stringify(snapshot.counts())}`]
  for (const [key, policy] of snapshot.bgpPeeringPolicies) {
    for (const router of CiliumBGPPeeringPolicy.virtualRouters(policy.spec)) {
      for (const n of router.neighbors) lines.push(`policy ${key}: AS${router.localASN} -> ${n.peerAddress} AS${n.peerASN}`)
    }
  }
  for (const [key, svc] of snapshot.services) {
    if (svc.spec.type === "LoadBalancer") lines.push(`service ${key}: LoadBalancer ${svc.spec.loadBalancerIP ?? "-"}`)
  }
  for (const problem of yield* source.problems) lines.push(`problem: ${problem.message}`)
  return lines
})

/** `--kubeconfig FILE`: the API source (a reflector per kind); otherwise the manifest source. */
export const sourceLayer = (
  args: ReadonlyArray<string>
): Layer.Layer<ClusterSource.ClusterSource, KubeError.KubeError | ManifestError.ManifestError, FileSystem.FileSystem> => {
  const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined)
  const kubeconfig = flag("--kubeconfig")
  if (kubeconfig !== undefined) {
    return KubeSource.layer().pipe(Layer.provide(KubeClient.layerFromOptions({ mode: "kubeconfig", kubeconfig })))
  }
  const directory = flag("--manifests") ?? new URL("./quickstart", import.meta.url).pathname
  return ManifestSource.layer({ directory, watch: false })
}

if (import.meta.main) {
  describe.pipe(
    Effect.flatMap((lines) => Console.log(lines.join("\n"))),
    Effect.provide(sourceLayer(process.argv.slice(2))),
    Effect.provide(BunContext.layer),
    Logger.withMinimumLogLevel(LogLevel.Warning),
    BunRuntime.runMain
  )
}
