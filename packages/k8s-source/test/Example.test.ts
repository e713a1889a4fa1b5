import { describe as suite, expect, test } from "bun:test"
import { BunContext } from "@effect/platform-bun"
import { Effect } from "effect"
import { fileURLToPath } from "node:url"
import { ManifestSource } from "../src/index.js"
import { describe } from "../examples/print-snapshot.js"

suite("the README example", () => {
  test("describes the quickstart directory: the seed's peers and LoadBalancer IP, no problems", async () => {
    const directory = fileURLToPath(new URL("../examples/quickstart", import.meta.url))
    const lines = await Effect.runPromise(
      Effect.scoped(
        describe.pipe(
          Effect.provide(ManifestSource.layer({ directory, watch: false })),
          Effect.provide(BunContext.layer)
        )
      )
    )
    expect(lines).toEqual([
      'synced=true {"Service":1,"Node":2,"CiliumBGPPeeringPolicy":1,"CiliumEgressGatewayPolicy":1,"CiliumNetworkPolicy":1,"CiliumConfig":1}',
      "policy bgp-policy-to-router1: AS64512 -> 192.168.1.1/32 AS65001",
      "policy bgp-policy-to-router1: AS64512 -> 192.168.1.2/32 AS65002",
      "service default/my-nginx-service: LoadBalancer 192.168.1.100"
    ])
  })
})
