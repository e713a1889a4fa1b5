/**
 * The robustness files' shared setup: one `bun run speaker` daemon per file
 * (`Scenario.setup`), and one `bun test` per row of a case table against it. The
 * describe block's name is "robustness <category>", which `bun run robustness`
 * counts by.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Scope } from "effect"
import type * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Scenario from "../../src/evil/Scenario.js"

/**
 * Starts the daemon for this file before its tests (with a passive peer per entry of `peers`)
 * and stops it after them. Returns the environment's getter, which throws if the start failed.
 */
export const daemonForFile = (
  peers: ReadonlyArray<Pick<Scenario.Case, "session">>,
  routes: ReadonlyArray<SpeakerProcess.RouteConfig> = []
): (() => Scenario.Env) => {
  let scope: Scope.CloseableScope | undefined
  let env: Scenario.Env | undefined
  beforeAll(async () => {
    scope = await Effect.runPromise(Scope.make())
    env = await Effect.runPromise(Scope.extend(Scenario.setup(peers, routes), scope))
  }, 30_000)
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 15_000)
  return () => {
    if (env === undefined) throw new Error("the daemon did not start")
    return env
  }
}

export const runTable = (category: Scenario.Category, table: ReadonlyArray<Scenario.Case>): void => {
  const env = daemonForFile(table)
  describe(`robustness ${category}`, () => {
    table.forEach((c, i) => {
      test(`${c.name} [${c.rfc}]`, async () => {
        expect(await Scenario.runCase(env(), c, i)).toEqual([])
      }, 20_000)
    })
  })
}
