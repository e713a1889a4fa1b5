/**
 * The daemon with a fake speaker, as a process: the signal tests spawn it. Each
 * `apply` and `stop` the daemon makes is logged as a JSON line ("fake apply",
 * "fake stop") so the test sees what reached the speaker.
 */
import { Effect, Layer } from "effect"
import { MemoryTransport } from "@kbgp/fsm"
import * as Cli from "../../src/Cli.js"
import * as Daemon from "../../src/Daemon.js"
import { exit } from "../../src/internal/Exit.js"
import * as Log from "../../src/Log.js"
import * as Fake from "./FakeSpeaker.js"

const command = Cli.parse(process.argv.slice(2))
if (command._tag === "Left" || command.right._tag !== "Run") {
  process.stderr.write("usage: fake-daemon.ts --config FILE [--status ADDR:PORT]\n")
  process.exit(2)
}
const run = command.right

/** A route to this prefix makes `apply` die (a defect): Daemon.test's reload that dies. */
const DIE_PREFIX = "203.0.113.66/32"

const makeSpeaker = () =>
  Effect.map(Fake.make(), (fake) => ({
    ...fake,
    apply: (d: Parameters<typeof fake.apply>[0]) =>
      d.routes.some((r) => r.prefix === DIE_PREFIX)
        ? Effect.die(new Error("fake apply died"))
        : Effect.tap(fake.apply(d), (r) =>
            Effect.logInfo("fake apply").pipe(
              Effect.annotateLogs({ prefixes: d.routes.flatMap((x) => [...(x.prefix !== undefined ? [x.prefix] : []), ...(x.prefixes ?? [])]), routesAdded: r.routesAdded })
            )
          ),
    stop: (o?: Parameters<typeof fake.stop>[0]) =>
      Effect.zipRight(fake.stop(o), Effect.logInfo("fake stop").pipe(Effect.annotateLogs({ gracefulRestart: o?.gracefulRestart, reason: o?.reason })))
  }))

const program = Daemon.run({
  config: run.config,
  status: run.status,
  restarting: run.restarting,
  watch: run.watch,
  debounce: "50 millis",
  makeSpeaker
}).pipe(Effect.scoped, Effect.provide(Layer.merge(MemoryTransport.layer(), Log.layer(run.logLevel))))

Effect.runPromiseExit(program).then((result) => {
  if (result._tag === "Success") return exit(0)
  process.stderr.write(`${String(result.cause)}\n`)
  exit(result.cause._tag === "Fail" ? result.cause.error.exitCode : 1)
})
