/**
 * The command line: `bun run speaker [run] --config FILE`, `check`, `peers`,
 * `routes`, `help`. A pure parser (argv in, a command or an error out) so it
 * is tested without a process; main.ts turns a `CliError` into exit code 2.
 * Flags take `--flag value` or `--flag=value`; unknown flags are errors.
 */
import { Data, Either } from "effect"
import { parseFamily, parseHostPort, type FamilyName } from "./internal/Fields.js"

/** The status endpoint when `--status` is not given: loopback only, never every interface unless asked. */
export const defaultStatus = { host: "127.0.0.1", port: 7179 } as const

export interface HostPort {
  readonly host: string
  readonly port: number
}

export type LogLevelName = "debug" | "info" | "warning" | "error"
export type Output = "table" | "json"

export type Command =
  | {
      readonly _tag: "Run"
      readonly config: string
      /** undefined: no status server (`--status off`). */
      readonly status: HostPort | undefined
      readonly logLevel: LogLevelName
      readonly restarting: boolean
      readonly watch: boolean
    }
  | { readonly _tag: "Check"; readonly config: string }
  | { readonly _tag: "Peers"; readonly status: HostPort; readonly output: Output }
  | {
      readonly _tag: "Routes"
      readonly status: HostPort
      readonly output: Output
      readonly peer: string | undefined
      readonly direction: "received" | "advertised" | undefined
      readonly family: FamilyName | undefined
      readonly limit: number | undefined
    }
  | { readonly _tag: "Help"; readonly text: string }

export class CliError extends Data.TaggedError("CliError")<{
  readonly message: string
  /** The command whose help to point at. */
  readonly command: string
}> {}

const PROG = "bun run speaker"

export const help = {
  main: `${PROG} — a standalone BGP speaker (kbgp)

Usage:
  ${PROG} [run] --config FILE [--status ADDR:PORT|off] [--log-level LEVEL] [--restarting] [--no-watch]
  ${PROG} check --config FILE
  ${PROG} peers [--status ADDR:PORT] [-o table|json]
  ${PROG} routes [--peer P] [--direction received|advertised] [--family F] [--limit N] [--status ADDR:PORT] [-o table|json]
  ${PROG} help [COMMAND]

Commands:
  run       run the speaker (the default when the first argument is a flag)
  check     validate a config file and exit (0: valid, 2: invalid)
  peers     show the peers of a running speaker
  routes    show the routes a running speaker received or advertised

Run '${PROG} COMMAND --help' for a command's flags. The config file is described in docs/speaker.md.`,
  run: `Usage: ${PROG} [run] --config FILE [flags]

Runs the speaker: applies FILE, reloads it on SIGHUP and when it changes (only the differences are applied),
stops on SIGTERM/SIGINT (graceful-restart-preserving where it was negotiated, else Cease/Administrative Shutdown).
Logs are JSON lines on stdout.

Flags:
  -c, --config FILE          the YAML config (required)
      --status ADDR:PORT     the status HTTP endpoint (default ${defaultStatus.host}:${defaultStatus.port}; "off" for none;
                             IPv6 as [::1]:${defaultStatus.port}; 0.0.0.0 or [::] only if you mean every interface;
                             port 0 picks a free port, logged at start)
      --log-level LEVEL      debug, info, warning or error (default info)
      --restarting           this start follows a graceful stop: announce the graceful restart state (R bit) so
                             routers keep our routes until we have re-sent them
      --no-watch             reload on SIGHUP only, not when the file changes
  -h, --help                 this text

Exit codes: 0 after a clean stop, 1 when the speaker cannot run (e.g. the listener's port is taken), 2 for a
usage error or an invalid config.`,
  check: `Usage: ${PROG} check --config FILE

Validates FILE as the daemon would (password files are read) and prints each problem with its field path.
Exit code 0 when valid, 2 when not.

Flags:
  -c, --config FILE   the YAML config (required)
  -h, --help          this text`,
  peers: `Usage: ${PROG} peers [--status ADDR:PORT] [-o table|json]

Shows each peer of a running speaker: state, uptime, prefixes received/accepted/advertised, last error.

Flags:
      --status ADDR:PORT   where the speaker's status endpoint is (default ${defaultStatus.host}:${defaultStatus.port})
  -o, --output FORMAT      table (default) or json (the /v1/peers document)
  -h, --help               this text`,
  routes: `Usage: ${PROG} routes [--peer P] [--direction received|advertised] [--family F] [--limit N] [-o table|json]

Shows the routes a running speaker received from its peers (Adj-RIB-In) or advertised to them (Adj-RIB-Out),
with every attribute.

Flags:
      --peer P             one peer (its name or address; default every peer)
      --direction D        received or advertised (default both)
      --family F           ipv4-unicast or ipv6-unicast (default both)
      --limit N            at most N routes per peer and direction
      --status ADDR:PORT   where the speaker's status endpoint is (default ${defaultStatus.host}:${defaultStatus.port})
  -o, --output FORMAT      table (default) or json (the /v1/routes document)
  -h, --help               this text`
} as const

type CommandName = "run" | "check" | "peers" | "routes"

interface FlagSpec {
  readonly names: ReadonlyArray<string>
  readonly key: string
  /** true: takes a value. */
  readonly value: boolean
}

const FLAGS: Record<CommandName, ReadonlyArray<FlagSpec>> = {
  run: [
    { names: ["-c", "--config"], key: "config", value: true },
    { names: ["--status"], key: "status", value: true },
    { names: ["--log-level"], key: "logLevel", value: true },
    { names: ["--restarting"], key: "restarting", value: false },
    { names: ["--no-watch"], key: "noWatch", value: false }
  ],
  check: [{ names: ["-c", "--config"], key: "config", value: true }],
  peers: [
    { names: ["--status"], key: "status", value: true },
    { names: ["-o", "--output"], key: "output", value: true }
  ],
  routes: [
    { names: ["--status"], key: "status", value: true },
    { names: ["-o", "--output"], key: "output", value: true },
    { names: ["--peer"], key: "peer", value: true },
    { names: ["--direction"], key: "direction", value: true },
    { names: ["--family"], key: "family", value: true },
    { names: ["--limit"], key: "limit", value: true }
  ]
}

const fail = (command: string, message: string): Either.Either<never, CliError> => Either.left(new CliError({ command, message }))

/** Flags of one command into a map; `help` when -h/--help appears anywhere. */
const flags = (command: CommandName, args: ReadonlyArray<string>): Either.Either<Map<string, string> | "help", CliError> => {
  const out = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "-h" || arg === "--help") return Either.right("help")
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (!name.startsWith("-")) return fail(command, `unexpected argument ${JSON.stringify(arg)}`)
    const spec = FLAGS[command].find((f) => f.names.includes(name))
    if (spec === undefined) {
      const known = FLAGS[command].flatMap((f) => f.names.filter((n) => n.startsWith("--"))).concat("--help")
      return fail(command, `unknown flag ${name} for "${command}" (known: ${known.join(", ")})`)
    }
    if (out.has(spec.key)) return fail(command, `${name} is given twice`)
    if (!spec.value) {
      if (eq > 0) return fail(command, `${name} takes no value`)
      out.set(spec.key, "")
      continue
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i]
    if (value === undefined || (eq < 0 && value.startsWith("-") && value.length > 1)) return fail(command, `${name} needs a value`)
    out.set(spec.key, value)
  }
  return Either.right(out)
}

const hostPort = (command: string, value: string | undefined): Either.Either<HostPort, CliError> => {
  if (value === undefined) return Either.right(defaultStatus)
  // Port 0 (a free port, logged at start) only makes sense for the daemon.
  const r = parseHostPort(value, command === "run")
  return typeof r === "string" ? fail(command, `--status ${JSON.stringify(value)}: ${r}`) : Either.right(r)
}

const output = (command: string, value: string | undefined): Either.Either<Output, CliError> =>
  value === undefined || value === "table" || value === "json"
    ? Either.right(value ?? "table")
    : fail(command, `-o ${JSON.stringify(value)}: expected table or json`)

const LOG_LEVELS: ReadonlyArray<LogLevelName> = ["debug", "info", "warning", "error"]

const isCommand = (s: string): s is CommandName => s === "run" || s === "check" || s === "peers" || s === "routes"

/** argv after the script (`process.argv.slice(2)`) to a command. */
export const parse = (argv: ReadonlyArray<string>): Either.Either<Command, CliError> => {
  const first = argv[0]
  if (first === undefined) return fail("", `a command or --config is needed\n\n${help.main}`)
  if (first === "-h" || first === "--help") return Either.right({ _tag: "Help", text: help.main })
  if (first === "help") {
    const topic = argv[1]
    if (topic === undefined) return Either.right({ _tag: "Help", text: help.main })
    if (isCommand(topic)) return Either.right({ _tag: "Help", text: help[topic] })
    return fail("", `no help for ${JSON.stringify(topic)}: commands are run, check, peers, routes`)
  }
  const command: CommandName | undefined = isCommand(first) ? first : first.startsWith("-") ? "run" : undefined
  if (command === undefined) return fail("", `unknown command ${JSON.stringify(first)}: commands are run, check, peers, routes (see --help)`)
  const rest = isCommand(first) ? argv.slice(1) : argv
  return Either.flatMap(flags(command, rest), (f): Either.Either<Command, CliError> => {
    if (f === "help") return Either.right({ _tag: "Help", text: help[command] })
    switch (command) {
      case "run":
      case "check": {
        const config = f.get("config")
        if (config === undefined || config.length === 0) return fail(command, "--config FILE is required")
        if (command === "check") return Either.right({ _tag: "Check", config })
        const level = f.get("logLevel") ?? "info"
        if (!LOG_LEVELS.includes(level as LogLevelName)) return fail(command, `--log-level ${JSON.stringify(level)}: expected ${LOG_LEVELS.join(", ")}`)
        const statusText = f.get("status")
        const status = statusText === "off" ? Either.right(undefined) : hostPort(command, statusText)
        return Either.map(status, (status) => ({
          _tag: "Run" as const,
          config,
          status,
          logLevel: level as LogLevelName,
          restarting: f.has("restarting"),
          watch: !f.has("noWatch")
        }))
      }
      case "peers":
        return Either.flatMap(hostPort(command, f.get("status")), (status) =>
          Either.map(output(command, f.get("output")), (output) => ({ _tag: "Peers" as const, status, output }))
        )
      case "routes": {
        const direction = f.get("direction")
        if (direction !== undefined && direction !== "received" && direction !== "advertised") {
          return fail(command, `--direction ${JSON.stringify(direction)}: expected received or advertised`)
        }
        const familyText = f.get("family")
        const family = familyText === undefined ? undefined : parseFamily(familyText)
        if (familyText !== undefined && family === undefined) return fail(command, `--family ${JSON.stringify(familyText)}: expected ipv4-unicast or ipv6-unicast`)
        const limitText = f.get("limit")
        const limit = limitText === undefined ? undefined : Number(limitText)
        if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) return fail(command, `--limit ${JSON.stringify(limitText)}: expected a whole number ≥ 1`)
        const peer = f.get("peer")
        return Either.flatMap(hostPort(command, f.get("status")), (status) =>
          Either.map(output(command, f.get("output")), (output) => ({
            _tag: "Routes" as const,
            status,
            output,
            peer,
            direction,
            family,
            limit
          }))
        )
      }
    }
  })
}

/** How main prints a usage error. */
export const formatError = (e: CliError): string =>
  `error: ${e.message}${e.command !== "" && !e.message.includes("Usage:") ? `\nRun '${PROG} ${e.command} --help' for usage.` : ""}`
