/**
 * The pieces of the speaker harness that need neither root nor BIRD: `Process` log files
 * (one per start, both streams, never a previous run's leftovers) and `SpeakerProcess.render`.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { describe, expect, test } from "bun:test"
import { Effect } from "effect"
import { parse } from "yaml"
import * as Process from "../../src/lab/Process.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"

const runSh = (script: string, logFile: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const p = yield* Process.spawn({ name: "sh", argv: ["sh", "-c", script], logFile })
      yield* Effect.promise(() => p.exited)
      return yield* p.log()
    })
  )

describe("speaker harness", () => {
  test("a process log keeps stdout and stderr lines in order, and a reused file name starts empty", async () => {
    const dir = mkdtempSync(`${tmpdir()}/kbgp-harness-`)
    try {
      const logFile = `${dir}/x.log`
      const first = await Effect.runPromise(runSh("echo out1; echo err1 >&2; echo out2", logFile))
      expect(first).toBe("out1\nerr1\nout2\n")
      const second = await Effect.runPromise(runSh("echo new", logFile))
      expect(second).toBe("new\n")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("render writes the config as YAML the daemon reads back field for field", () => {
    const config: SpeakerProcess.Config = {
      routerId: "192.0.2.1",
      localAs: 65002,
      peers: [{ name: "bird", address: "2001:db8::2", asn: 65001, gracefulRestart: { restartTime: 30 } }],
      routes: [{ prefixes: ["198.51.100.0/24", "2001:db8:1::/48"], communities: ["65002:1", "no-export"], asPath: [65010] }]
    }
    expect(parse(SpeakerProcess.render(config))).toEqual(config)
  })
})
