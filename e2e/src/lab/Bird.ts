/**
 * A BIRD 2 daemon in a namespace: config written from `BirdConfig`, run in the
 * foreground (so its PID is ours), driven through `birdc` on its own control socket.
 * Also: restart, freeze/thaw (SIGSTOP/SIGCONT), reconfigure, and parsed views of
 * `show protocols all` and `show route all` for tests to poll.
 */
import { type Duration, Effect, Option, type Scope } from "effect"
import * as BirdConfig from "./BirdConfig.js"
import * as LabError from "./LabError.js"
import type { Netns } from "./Netns.js"
import * as Poll from "./Poll.js"
import * as Process from "./Process.js"
import * as Shell from "./Shell.js"

export interface Bird {
  readonly process: Process.Process
  readonly configFile: string
  readonly socket: string
  readonly pidFile: string
  /** What it was started with, so `restart` can start the same daemon again. */
  readonly options: Options
}

export interface Options {
  readonly ns: Netns
  /** Directory for bird.conf, the control socket and the log. */
  readonly dir: string
  readonly config: BirdConfig.BirdConfig
  /** File name stem inside `dir` (default "bird": bird.conf, bird.ctl, bird.log, bird.pid). */
  readonly name?: string
}

/** Runs a birdc command (words as separate arguments) and returns its output. */
export const birdc = (bird: Bird, ...words: ReadonlyArray<string>): Effect.Effect<string, LabError.LabError> =>
  Shell.run(["birdc", "-s", bird.socket, ...words])

/** Log file of a start: restarts get their own (bird.log, bird.1.log, ...) so nothing is overwritten. */
let generation = 0
const logFileFor = (dir: string, name: string, first: boolean): string =>
  first ? `${dir}/${name}.log` : `${dir}/${name}.${++generation}.log`

const launch = (opts: Options, first: boolean): Effect.Effect<Bird, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    const name = opts.name ?? "bird"
    const configFile = `${opts.dir}/${name}.conf`
    const socket = `${opts.dir}/${name}.ctl`
    const pidFile = `${opts.dir}/${name}.pid`
    const text = BirdConfig.render(opts.config)
    yield* Effect.promise(() => Bun.write(configFile, text))
    yield* Shell.run(["bird", "-p", "-c", configFile])
    const process = yield* Process.spawn({
      name,
      argv: Shell.inNs(opts.ns.name, ["bird", "-f", "-c", configFile, "-s", socket, "-P", pidFile]),
      logFile: logFileFor(opts.dir, name, first)
    })
    const bird: Bird = { process, configFile, socket, pidFile, options: opts }
    yield* Poll.until(
      Effect.zipRight(Process.ensureRunning(process), Effect.map(birdc(bird, "show", "status"), Option.some)),
      { timeout: "10 seconds", what: "BIRD control socket" }
    )
    return bird
  })

/** Starts BIRD; it is stopped when the scope closes. Waits until its control socket answers. */
export const start = (opts: Options): Effect.Effect<Bird, LabError.LabError, Scope.Scope> => launch(opts, true)

/** Stops BIRD (SIGTERM: it sends Cease to its peers) and waits until it has exited. */
export const stop = (bird: Bird): Effect.Effect<void> => Process.stop(bird.process)

/** Stops BIRD and starts it again with the same config (and a new log file); use the returned handle from then on. */
export const restart = (bird: Bird): Effect.Effect<Bird, LabError.LabError, Scope.Scope> =>
  Effect.zipRight(stop(bird), launch(bird.options, false))

/** Freezes the daemon (SIGSTOP): its sockets stay open but it sends and reads nothing. */
export const freeze = (bird: Bird): Effect.Effect<void> => Process.signal(bird.process, "SIGSTOP")

/** Lets a frozen daemon run again (SIGCONT). */
export const thaw = (bird: Bird): Effect.Effect<void> => Process.signal(bird.process, "SIGCONT")

/** Writes a new config and makes BIRD load it (`configure`); fails if BIRD rejects it. */
export const reconfigure = (bird: Bird, config: BirdConfig.BirdConfig): Effect.Effect<void, LabError.LabError> =>
  Effect.gen(function* () {
    yield* Effect.promise(() => Bun.write(bird.configFile, BirdConfig.render(config)))
    const out = yield* birdc(bird, "configure")
    if (!/Reconfigured|Reconfiguration in progress/.test(out)) {
      return yield* Effect.fail(LabError.make("Command", `birdc configure: ${out.trim()}`))
    }
  })

/**
 * Disables a protocol; with `message`, BIRD sends Cease/Administrative Shutdown with that
 * RFC 9003 shutdown communication. birdc joins its words into one command line, so the
 * message goes in quotes.
 */
export const disable = (bird: Bird, name: string, message?: string): Effect.Effect<string, LabError.LabError> =>
  message === undefined ? birdc(bird, "disable", name) : birdc(bird, "disable", name, JSON.stringify(message))

/** The log of this run of the daemon so far (a restart writes a new file). */
export const log = (bird: Bird): Effect.Effect<string> => bird.process.log()

/** How often `pattern` occurs in this run's log so far. */
export const logCount = (bird: Bird, pattern: string | RegExp): Effect.Effect<number> =>
  Effect.map(log(bird), (text) =>
    typeof pattern === "string"
      ? text.split(pattern).length - 1
      : (text.match(new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`))?.length ?? 0)
  )

/**
 * Waits until this run's log holds `pattern` more than `after` times (default 0: at least once;
 * pass a `logCount` taken before an action to wait for a new occurrence). Returns the count.
 */
export const waitLog = (
  bird: Bird,
  pattern: string | RegExp,
  opts: { readonly after?: number; readonly timeout?: Duration.DurationInput } = {}
): Effect.Effect<number, LabError.LabError> =>
  Poll.until(
    Effect.map(logCount(bird, pattern), (n) => (n > (opts.after ?? 0) ? Option.some(n) : Option.none())),
    { what: `BIRD log: ${String(pattern)}`, timeout: opts.timeout ?? "15 seconds", interval: "100 millis" }
  )

// ---------------------------------------------------------------------------
// show protocols

/** One BGP protocol as `show protocols all NAME` reports it. */
export interface Protocol {
  readonly name: string
  /** BIRD's protocol state: "up", "start", "down", "flush", ... */
  readonly state: string
  /** The Since column: when the protocol last changed state, as BIRD's `timeformat protocol` prints it. */
  readonly since: string | undefined
  /** The Info column: "Established", "Active", "Connect", "OpenSent", "Idle", ... plus any error text. */
  readonly info: string
  /** "BGP state:" (RFC 4271 state names). */
  readonly bgpState: string | undefined
  readonly lastError: string | undefined
  readonly neighborId: string | undefined
  readonly sourceAddress: string | undefined
  /** "Session:", e.g. "external AS4" or "internal multihop AS4". */
  readonly session: string | undefined
  /** Negotiated hold time in seconds (the number after "/" in "Hold timer: 2.4/3"). */
  readonly holdTime: number | undefined
  /** Every "Key: value" line of the block, keyed by the trimmed key. */
  readonly fields: ReadonlyMap<string, string>
}

/** Parses `show protocols all NAME` output; `undefined` if the protocol is not listed. */
export const parseProtocol = (out: string, name: string): Protocol | undefined => {
  const lines = out.split("\n")
  const head = lines.findIndex((l) => l.startsWith(`${name} `))
  if (head < 0) return undefined
  // Name Proto Table State Since Info: Since may contain a space ("2024-01-01 12:00:00"), so split on runs of 2+ spaces.
  const cols = lines[head]!.trim().split(/\s{2,}/)
  const state = cols[3] ?? ""
  const info = cols.slice(5).join("  ")
  const fields = new Map<string, string>()
  for (let i = head + 1; i < lines.length; i++) {
    const l = lines[i]!
    if (l.trim() === "" || !l.startsWith(" ")) break
    const m = /^\s+([^:]+):\s*(.*)$/.exec(l)
    if (m !== null && !fields.has(m[1]!.trim())) fields.set(m[1]!.trim(), m[2]!.trim())
  }
  const hold = fields.get("Hold timer")
  return {
    name,
    state,
    since: cols[4],
    info,
    bgpState: fields.get("BGP state"),
    lastError: fields.get("Last error"),
    neighborId: fields.get("Neighbor ID"),
    sourceAddress: fields.get("Source address"),
    session: fields.get("Session"),
    holdTime: hold !== undefined && hold.includes("/") ? Number(hold.split("/")[1]) : undefined,
    fields
  }
}

export const protocol = (bird: Bird, name: string): Effect.Effect<Protocol, LabError.LabError> =>
  Effect.flatMap(birdc(bird, "show", "protocols", "all", name), (out) => {
    const p = parseProtocol(out, name)
    return p === undefined ? Effect.fail(LabError.make("Command", `no protocol ${name} in:\n${out}`)) : Effect.succeed(p)
  })

/** The `show protocols <name>` line (state, since, info), e.g. "to_gobgp BGP --- up 12:00:00.000 Established". */
export const protocolLine = (bird: Bird, name: string): Effect.Effect<string, LabError.LabError> =>
  Effect.flatMap(birdc(bird, "show", "protocols", name), (out) => {
    const line = out.split("\n").find((l) => l.startsWith(`${name} `))
    return line === undefined
      ? Effect.fail(LabError.make("Command", `no protocol ${name} in:\n${out}`))
      : Effect.succeed(line.trim())
  })

/** Polls `show protocols all NAME` until `ok` holds; returns the protocol then. Fails (with the last view) on timeout. */
export const waitProtocol = (
  bird: Bird,
  name: string,
  ok: (p: Protocol) => boolean,
  opts: { readonly what: string; readonly timeout?: Duration.DurationInput }
): Effect.Effect<Protocol, LabError.LabError> => {
  let last: Protocol | undefined
  return Poll.until(
    Effect.zipRight(
      Process.ensureRunning(bird.process),
      Effect.map(protocol(bird, name), (p) => {
        last = p
        return ok(p) ? Option.some(p) : Option.none()
      })
    ),
    { timeout: opts.timeout ?? "30 seconds", what: `BIRD ${name}: ${opts.what}`, interval: "100 millis" }
  ).pipe(
    Effect.mapError((e) =>
      last === undefined ? e : LabError.make(e.reason, `${e.detail} (last: ${last.state} ${last.info}; BGP state ${last.bgpState ?? "-"})`)
    )
  )
}

/** Waits until BGP protocol `name` reports Established. */
export const waitEstablished = (bird: Bird, name: string, timeout: Duration.DurationInput = "30 seconds"): Effect.Effect<void, LabError.LabError> =>
  Poll.until(
    Effect.map(protocolLine(bird, name), (l) => (/\bEstablished\b/.test(l) ? Option.some(undefined) : Option.none())),
    { timeout, what: `BIRD protocol ${name} Established`, interval: "250 millis" }
  )

// ---------------------------------------------------------------------------
// show route all

/** One route as `show route all` prints it. */
export interface Route {
  readonly prefix: string
  /** The protocol it came from ("kbgp4"). */
  readonly from: string
  /** True for the best route of its prefix (the `*`). */
  readonly primary: boolean
  /** Gateways from the "via ADDR on IFACE" lines. */
  readonly via: ReadonlyArray<string>
  /** Attribute lines, e.g. "BGP.origin" → "IGP", "BGP.next_hop" → "192.0.2.1", "BGP.community" → "(65002,100)". */
  readonly attributes: ReadonlyMap<string, string>
}

/**
 * Parses `show route all` output. A prefix line starts in column 0; further routes for the
 * same prefix start with spaces and "unicast"; detail lines start with a tab.
 */
export const parseRoutes = (out: string): Array<Route> => {
  const routes: Array<{ prefix: string; from: string; primary: boolean; via: Array<string>; attributes: Map<string, string> }> = []
  let prefix = ""
  for (const line of out.split("\n")) {
    if (line.trim() === "" || line.startsWith("BIRD ") || line.startsWith("Table ")) continue
    const head = /^(\S+)?\s+\S+\s+\[(\S+)[^\]]*\]\s*(\*)?/.exec(line)
    if (!line.startsWith("\t") && head !== null) {
      if (head[1] !== undefined) prefix = head[1]
      routes.push({ prefix, from: head[2]!, primary: head[3] === "*", via: [], attributes: new Map() })
      continue
    }
    const r = routes[routes.length - 1]
    if (r === undefined) continue
    const via = /^\s+via (\S+)/.exec(line)
    if (via !== null) {
      r.via.push(via[1]!)
      continue
    }
    const attr = /^\s+([\w.]+):\s*(.*)$/.exec(line)
    if (attr !== null) r.attributes.set(attr[1]!, attr[2]!.trim())
  }
  return routes
}

/** Routes for `prefix` in BIRD's tables (`show route all for PREFIX` matches the longest prefix; this keeps exact ones). */
export const routesFor = (bird: Bird, prefix: string): Effect.Effect<Array<Route>, LabError.LabError> =>
  Effect.map(birdc(bird, "show", "route", "all", "for", prefix), (out) => parseRoutes(out).filter((r) => r.prefix === prefix))

/** Routes BIRD imported from protocol `name`. */
export const routesFrom = (bird: Bird, name: string): Effect.Effect<Array<Route>, LabError.LabError> =>
  Effect.map(birdc(bird, "show", "route", "all", "protocol", name), parseRoutes)

/** BIRD's routes from protocol `name`, by prefix, once `ok` holds for them. */
export const routesWhen = (
  bird: Bird,
  name: string,
  ok: (routes: ReadonlyMap<string, Route>) => boolean,
  what: string,
  timeout: Duration.DurationInput = "15 seconds"
): Effect.Effect<ReadonlyMap<string, Route>, LabError.LabError> =>
  Poll.until(
    Effect.map(routesFrom(bird, name), (routes) => {
      const byPrefix = new Map(routes.map((r) => [r.prefix, r]))
      return ok(byPrefix) ? Option.some(byPrefix) : Option.none()
    }),
    { what: `BIRD ${name}: ${what}`, timeout, interval: "100 millis" }
  )

/** BIRD's routes from protocol `name`, by prefix, once it holds exactly `prefixes`. */
export const routesExactly = (
  bird: Bird,
  name: string,
  prefixes: ReadonlyArray<string>,
  timeout: Duration.DurationInput = "15 seconds"
): Effect.Effect<ReadonlyMap<string, Route>, LabError.LabError> =>
  routesWhen(
    bird,
    name,
    (m) => m.size === prefixes.length && prefixes.every((p) => m.has(p)),
    `exactly ${prefixes.length} prefixes (${prefixes.slice(0, 4).join(", ")}${prefixes.length > 4 ? ", ..." : ""})`,
    timeout
  )
