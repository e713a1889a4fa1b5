import { describe as suite, expect, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { Effect, Logger, LogLevel } from "effect"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, sourceLayer } from "../examples/print-snapshot.js"

const root = join(import.meta.dir, "..")
const readme = readFileSync(join(root, "README.md"), "utf8")

/** The lines of the README's output block that follows `$ <command>`. */
const readmeOutput = (command: string): Array<string> => {
  const start = readme.indexOf(`$ ${command}\n`)
  expect(start).toBeGreaterThanOrEqual(0)
  const body = readme.slice(start + command.length + 3)
  return body.slice(0, body.indexOf("```")).trimEnd().split("\n")
}

const run = (args: ReadonlyArray<string>) =>
  Effect.runPromise(
    describe.pipe(
      Effect.provide(sourceLayer(args)),
      Effect.provide(BunContext.layer),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  )

suite("the README example", () => {
  test("the README shows examples/print-snapshot.ts exactly as it is", () => {
    const source = readFileSync(join(root, "examples", "print-snapshot.ts"), "utf8")
    expect(readme).toContain("```ts\n" + source + "```")
  })

  test("on the quickstart manifests it prints the seed's peers and LoadBalancer IP, as the README shows", async () => {
    const lines = await run([])
    expect(lines).toEqual([
      'synced=true {"Service":1,"Node":2,"CiliumBGPPeeringPolicy":1,"CiliumEgressGatewayPolicy":1,"CiliumNetworkPolicy":1,"CiliumConfig":1}',
      "policy bgp-policy-to-router1: AS64512 -> 192.168.1.1/32 AS65001",
      "policy bgp-policy-to-router1: AS64512 -> 192.168.1.2/32 AS65002",
      "service default/my-nginx-service: LoadBalancer 192.168.1.100"
    ])
    expect(lines).toEqual(readmeOutput("bun examples/print-snapshot.ts"))
  })

  test("a broken manifest shows up as a problem line naming file, document, line and field", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kbgp-example-"))
    try {
      writeFileSync(join(dir, "svc.yaml"), "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: LoadBalancer\n  loadBalancerIP: 192.168.1.1000\n")
      const lines = await run(["--manifests", dir])
      expect(lines).toEqual([
        "synced=true {}",
        `problem: ${join(dir, "svc.yaml")}, document 0, line 7: Schema: Service default/web: spec.loadBalancerIP: expected an IP address such as 192.168.1.1, got "192.168.1.1000"`
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
