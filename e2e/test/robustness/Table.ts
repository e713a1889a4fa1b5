/**
 * Registers one `bun test` per row of a case table, all against one daemon
 * started for the file (`Scenario.setup`). The describe block's name is
 * "robustness <category>", which `bun run robustness` counts by.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Effect, Exit, Scope } from "effect"
import * as Scenario from "../../src/evil/Scenario.js"

export const runTable = (category: Scenario.Category, table: ReadonlyArray<Scenario.Case>): void => {
  let scope: Scope.CloseableScope | undefined
  let env: Scenario.Env | undefined
  beforeAll(async () => {
    scope = await Effect.runPromise(Scope.make())
    env = await Effect.runPromise(Scope.extend(Scenario.setup(table), scope))
  }, 30_000)
  afterAll(async () => {
    if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 15_000)

  describe(`robustness ${category}`, () => {
    table.forEach((c, i) => {
      test(`${c.name} [${c.rfc}]`, async () => {
        if (env === undefined) throw new Error("the daemon did not start")
        expect(await Scenario.runCase(env, c, i)).toEqual([])
      }, 20_000)
    })
  })
}
