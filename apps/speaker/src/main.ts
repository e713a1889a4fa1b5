/**
 * `bun run speaker`: parse the command line and run one command. Exit codes:
 * 0 done, 1 a runtime failure (daemon not reachable, listener port taken),
 * 2 a usage error or an invalid config.
 */
import { Cause, Effect, Exit, Layer } from "effect"
import { TcpTransport } from "@kbgp/speaker"
import * as Cli from "./Cli.js"
import * as Config from "./Config.js"
import { formatProblem } from "./ConfigError.js"
import * as Daemon from "./Daemon.js"
import { exit } from "./internal/Exit.js"
import * as Log from "./Log.js"
import * as StatusClient from "./StatusClient.js"

const out = (text: string) => process.stdout.write(`${text}\n`)
const err = (text: string) => process.stderr.write(`${text}\n`)

/** Runs a command and resolves with the exit code. */
export const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const parsed = Cli.parse(argv)
  if (parsed._tag === "Left") {
    err(Cli.formatError(parsed.left))
    return 2
  }
  const command = parsed.right
  switch (command._tag) {
    case "Help":
      out(command.text)
      return 0
    case "Check": {
      const exit = await Effect.runPromiseExit(Config.load(command.config))
      if (Exit.isSuccess(exit)) {
        const d = exit.value.desired
        for (const w of exit.value.warnings) err(`warning:${formatProblem(w)}`)
        const routes = d.routes.reduce((n, r) => n + Config.prefixCount(r), 0)
        out(`${command.config}: valid (router id ${d.routerId}, AS ${d.localAs}, ${d.peers.length} peers, ${routes} prefixes)`)
        return 0
      }
      const e = Cause.failureOption(exit.cause)
      err(e._tag === "Some" ? e.value.message : Cause.pretty(exit.cause))
      return 2
    }
    case "Peers":
    case "Routes": {
      const exit = await Effect.runPromiseExit(StatusClient.run(command))
      if (Exit.isSuccess(exit)) {
        out(exit.value)
        return 0
      }
      const e = Cause.failureOption(exit.cause)
      err(e._tag === "Some" ? `error: ${e.value.message}` : Cause.pretty(exit.cause))
      return 1
    }
    case "Run": {
      const program = Daemon.run({
        config: command.config,
        status: command.status,
        restarting: command.restarting,
        watch: command.watch
      }).pipe(Effect.scoped, Effect.provide(Layer.merge(TcpTransport.layer, Log.layer(command.logLevel))))
      const exit = await Effect.runPromiseExit(program)
      if (Exit.isSuccess(exit)) return 0
      const failure = Cause.failureOption(exit.cause)
      if (failure._tag === "Some") {
        err(`error: ${failure.value.message}`)
        return failure.value.exitCode
      }
      err(Cause.pretty(exit.cause))
      return 1
    }
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(exit, (e) => {
    err(String(e))
    exit(1)
  })
}
