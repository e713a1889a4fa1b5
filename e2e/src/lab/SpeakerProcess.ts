/**
 * `bun run speaker` (apps/speaker) as a user runs it, started in a directory and
 * optionally a network namespace (the lab's kbgp namespace, or none for the
 * loopback robustness scenarios): a YAML config written from an object, the daemon spawned through
 * `Process` (stopped by PID when the scope closes: SIGTERM, then SIGKILL), its JSON
 * log lines parsed, and a small client for its status endpoint.
 *
 *   const sp = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), config)   // waits for "speaker running"
 *   yield* SpeakerProcess.waitFor(sp, SpeakerProcess.established(), { what: "Established" })
 *   yield* SpeakerProcess.reload(sp, { ...config, routes: [] })  // rewrite + SIGHUP, returns the reload's line
 *   const peers = yield* SpeakerProcess.peers(sp)                // GET /v1/peers
 *   yield* SpeakerProcess.signal(sp, "SIGKILL")
 *   const again = yield* SpeakerProcess.start(SpeakerProcess.inLab(lab), config, { restarting: true })
 *   const table = yield* SpeakerProcess.cli(again, "peers")      // the CLI, as a user runs it, in the daemon's namespace
 *
 * The config is the daemon's file format (docs/speaker.md) as a plain object; only the
 * fields the lab uses are typed, the daemon validates the rest.
 */
import * as net from "node:net"
import type { Introspection } from "@kbgp/speaker"
import { type Duration, Effect, Option, type Scope } from "effect"
import { stringify } from "yaml"
import type * as Lab from "./Lab.js"
import * as LabError from "./LabError.js"
import * as Poll from "./Poll.js"
import * as Process from "./Process.js"
import * as Shell from "./Shell.js"

// ---------------------------------------------------------------------------
// The config file (docs/speaker.md, "The config file")

export interface PeerConfig {
  readonly name?: string
  readonly address: string
  readonly asn: number
  readonly port?: number
  readonly localAddress?: string
  readonly passive?: boolean
  readonly password?: string
  readonly holdTime?: number
  readonly keepaliveTime?: number
  readonly connectRetryTime?: number
  readonly gracefulRestart?: boolean | Readonly<Record<string, unknown>>
  readonly families?: ReadonlyArray<string>
  readonly import?: unknown
  readonly export?: unknown
  readonly [field: string]: unknown
}

export interface RouteConfig {
  readonly prefix?: string
  readonly prefixes?: ReadonlyArray<string>
  readonly nextHop?: string
  readonly linkLocalNextHop?: string
  readonly origin?: "igp" | "egp" | "incomplete"
  readonly asPath?: ReadonlyArray<number>
  readonly asPathPrepend?: number
  readonly med?: number
  readonly localPref?: number
  readonly communities?: ReadonlyArray<string>
  readonly largeCommunities?: ReadonlyArray<string>
  readonly extendedCommunities?: ReadonlyArray<string>
  readonly peers?: ReadonlyArray<string>
  readonly [field: string]: unknown
}

export interface Config {
  readonly routerId: string
  readonly localAs: number
  readonly listener?: { readonly address: string; readonly port?: number }
  readonly policies?: Readonly<Record<string, unknown>>
  readonly peers: ReadonlyArray<PeerConfig>
  readonly routes?: ReadonlyArray<RouteConfig>
}

/** The YAML text of `config`. */
export const render = (config: Config): string => stringify(config)

// ---------------------------------------------------------------------------
// The daemon

/** One JSON log line: `time`, `level` (debug/info/warn/error), `msg`, then the event's fields. Non-JSON output is `level: "raw"`. */
export type LogLine = Readonly<Record<string, unknown>> & { readonly level: string; readonly msg: string }

export interface SpeakerProcess {
  readonly process: Process.Process
  readonly configFile: string
  /** The network namespace it runs in (`cli` runs there too); undefined: the test process's. */
  readonly ns: string | undefined
  /** The status endpoint (in the daemon's namespace, which the test thread is in too). */
  readonly status: { readonly host: string; readonly port: number }
}

/** Where a daemon runs. */
export interface Site {
  /** Directory for `<name>.yaml` and the log files. */
  readonly dir: string
  /** Network namespace to run it in (`ip netns exec`); absent: where the test process is. */
  readonly ns?: string
  /** Log files printed when a test fails (a lab's `logFiles`): each start adds its own. */
  readonly logFiles?: Array<string>
}

/** The lab's kbgp side: its directory, its kbgp namespace, its failure dump. */
export const inLab = (lab: Lab.Lab): Site => ({ dir: lab.dir, ns: lab.kbgpNs.name, logFiles: lab.logFiles })

export interface StartOptions {
  /** File stem in the directory (default "speaker": speaker.yaml, and speaker.N.log with N counting every start in this process). */
  readonly name?: string
  /** `--restarting`: announce the graceful restart Restart State after a graceful stop. */
  readonly restarting?: boolean
  /** `--log-level` (default debug: session events and End-of-RIB sent are debug lines). */
  readonly logLevel?: "debug" | "info" | "warning" | "error"
  /** Reload when the file changes too (default false: only `reload`'s SIGHUP, so each reload is exactly one apply). */
  readonly watch?: boolean
  /** How long to wait for "speaker running" (default 15 s). */
  readonly timeout?: Duration.DurationInput
}

const REPO = `${import.meta.dir}/../../..`
const MAIN = `${REPO}/apps/speaker/src/main.ts`

/** Each start logs to its own file, so a restart's lines never mix with the previous run's. */
let generation = 0

const readLines = (p: Process.Process): Effect.Effect<Array<LogLine>> =>
  Effect.map(p.log(), (text) =>
    text
      .split("\n")
      .filter((l) => l !== "")
      .map((l): LogLine => {
        try {
          const parsed: unknown = JSON.parse(l)
          if (typeof parsed === "object" && parsed !== null && "msg" in parsed) return parsed as LogLine
        } catch {
          // not JSON: a crash trace or Bun's own output
        }
        return { level: "raw", msg: l }
      })
  )

/** Every log line so far. */
export const lines = (sp: SpeakerProcess): Effect.Effect<Array<LogLine>> => readLines(sp.process)

/** The argv `argv` run in namespace `ns`, or as it is without one. */
const inNs = (ns: string | undefined, argv: Array<string>): Array<string> => (ns === undefined ? argv : Shell.inNs(ns, argv))

/**
 * Writes `config` into `site.dir`, runs the daemon (in `site.ns` if given) with a free status
 * port, and waits for "speaker running". Closing the scope stops it (SIGTERM, SIGKILL after 5 s)
 * if it still runs.
 */
export const start = (
  site: Site,
  config: Config,
  opts: StartOptions = {}
): Effect.Effect<SpeakerProcess, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    const name = opts.name ?? "speaker"
    const configFile = `${site.dir}/${name}.yaml`
    yield* Effect.promise(() => Bun.write(configFile, render(config)))
    const logFile = `${site.dir}/${name}.${generation++}.log`
    // `ip netns exec` like BIRD, rather than relying on the test thread's setns: the namespace is explicit.
    const argv = inNs(site.ns, [
      process.execPath, MAIN, "run",
      "--config", configFile,
      "--status", "127.0.0.1:0",
      "--log-level", opts.logLevel ?? "debug",
      ...(opts.restarting ? ["--restarting"] : []),
      ...(opts.watch ? [] : ["--no-watch"])
    ])
    const child = yield* Process.spawn({ name, argv, logFile, stopGrace: "5 seconds" })
    site.logFiles?.push(logFile)
    const url = yield* Poll.until(
      Effect.zipRight(
        Process.ensureRunning(child),
        Effect.map(readLines(child), (ls) => {
          const running = ls.some((l) => l.msg === "speaker running")
          const status = ls.find((l) => l.msg === "status endpoint listening")
          return running && typeof status?.url === "string" ? Option.some(status.url) : Option.none()
        })
      ),
      { timeout: opts.timeout ?? "15 seconds", what: `${name}: "speaker running"`, interval: "50 millis" }
    ).pipe(
      // It may have failed in the same instant: its log says why.
      Effect.catchAll((e) => Effect.zipRight(Process.ensureRunning(child), Effect.fail(e)))
    )
    const { hostname, port } = new URL(url)
    return { process: child, configFile, ns: site.ns, status: { host: hostname, port: Number(port) } }
  })

export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  readonly what: string
  readonly timeout?: Duration.DurationInput
  /** Only lines from this index on (e.g. `(yield* lines(sp)).length` taken before an action). */
  readonly from?: number
}

/** Polls the log until a line matches; returns it. Fails on timeout, or at once if the daemon exited. */
export const waitFor = (
  sp: SpeakerProcess,
  match: (l: LogLine) => boolean,
  opts: WaitOptions
): Effect.Effect<LogLine, LabError.LabError> =>
  Effect.gen(function* () {
    const r = yield* Poll.until(
      Effect.suspend(() => {
        // Whether it runs is read before the log, so a line written just before the exit is still seen.
        const alive = sp.process.running()
        return Effect.map(readLines(sp.process), (ls): Option.Option<LogLine | "exited"> => {
          const hit = ls.slice(opts.from ?? 0).find(match)
          return hit !== undefined ? Option.some(hit) : alive ? Option.none() : Option.some("exited")
        })
      }),
      { timeout: opts.timeout ?? "20 seconds", what: `${sp.process.name} log: ${opts.what}`, interval: "50 millis" }
    )
    if (r !== "exited") return r
    // A daemon that exited ends the wait at once, with the tail of its log, not at the timeout.
    yield* Process.ensureRunning(sp.process)
    return yield* Effect.fail(LabError.make("Process", `${sp.process.name} exited while waiting for ${opts.what}`))
  })

/** A line matcher: the session to `peer` ("address" or "address:port", or any) reached Established. */
export const established =
  (peer?: string) =>
  (l: LogLine): boolean =>
    l.msg.startsWith("established:") && (peer === undefined || String(l.peer).startsWith(peer))

/** Sends a signal by PID (if it still runs). */
export const signal = (sp: SpeakerProcess, sig: "SIGTERM" | "SIGKILL" | "SIGHUP" | "SIGINT"): Effect.Effect<void> =>
  Process.signal(sp.process, sig)

/** Waits until the daemon has exited; returns its exit code. */
export const exited = (sp: SpeakerProcess, timeout: Duration.DurationInput = "20 seconds"): Effect.Effect<number, LabError.LabError> =>
  Effect.promise(() => sp.process.exited).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => LabError.make("Timeout", `${sp.process.name} (pid ${sp.process.pid}) did not exit`)
    })
  )

/**
 * Rewrites the config and sends SIGHUP; returns the reload's outcome line: "config reloaded",
 * "config reloaded: nothing changed", or the error line of a refused config (a test checks `level`).
 */
export const reload = (sp: SpeakerProcess, config: Config): Effect.Effect<LogLine, LabError.LabError> =>
  Effect.gen(function* () {
    const from = (yield* lines(sp)).length
    yield* Effect.promise(() => Bun.write(sp.configFile, render(config)))
    yield* signal(sp, "SIGHUP")
    return yield* waitFor(sp, (l) => l.msg.startsWith("config reloaded") || (l.level === "error" && l.msg.includes("config")), {
      what: "the reload's outcome",
      from
    })
  })

/**
 * Runs a `bun run speaker` CLI command against this daemon in its namespace (e.g. `"peers"`,
 * `"routes", "--direction", "advertised", "-o", "json"`); `--status` is added. Returns the result.
 */
export const cli = (sp: SpeakerProcess, ...args: ReadonlyArray<string>): Effect.Effect<Shell.Result, LabError.LabError> =>
  Shell.exec(inNs(sp.ns, [process.execPath, MAIN, ...args, "--status", `${sp.status.host}:${sp.status.port}`]))

// ---------------------------------------------------------------------------
// Status client. Raw HTTP/1.0 over node:net: its socket is opened by the JavaScript
// thread, so inside the kbgp namespace; fetch's connections come from Bun's HTTP thread,
// whose namespace is wherever it happened to start.

/**
 * One row of `/v1/routes`: the route and where it was seen. The daemon's `Status.RouteRow`
 * (apps/speaker, which this package runs as a process rather than imports): `@kbgp/speaker`'s
 * `RouteView` with the peer and the direction. (`/v1/peers` entries are `Introspection.PeerStatus`
 * as they are; fields that are `undefined` there are absent from the JSON, which reads the same.)
 */
export type RouteRow = { readonly peer: string; readonly direction: Introspection.Direction } & Introspection.RouteView

/** The query of `/v1/routes`: `RouteQuery`'s fields, each optional (no peer: every peer; no direction: both). */
export type RoutesQuery = Partial<Introspection.RouteQuery>

const decodeChunked = (body: Buffer): Buffer => {
  const parts: Array<Buffer> = []
  let at = 0
  while (at < body.length) {
    const eol = body.indexOf("\r\n", at)
    const size = parseInt(body.subarray(at, eol).toString("latin1"), 16)
    if (!(size > 0)) break
    parts.push(body.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(parts)
}

/** GET `path` from the daemon's status endpoint; the parsed JSON body. Fails on a non-200 answer. */
export const get = (sp: SpeakerProcess, path: string): Effect.Effect<unknown, LabError.LabError> =>
  Effect.tryPromise({
    try: () =>
      new Promise<unknown>((resolve, reject) => {
        const chunks: Array<Buffer> = []
        const socket = net.connect(sp.status.port, sp.status.host, () => {
          socket.write(`GET ${path} HTTP/1.0\r\nHost: ${sp.status.host}\r\nConnection: close\r\n\r\n`)
        })
        socket.setTimeout(10_000, () => socket.destroy(new Error("timed out")))
        socket.on("data", (c: Buffer) => chunks.push(c))
        socket.on("error", reject)
        socket.on("close", () => {
          const raw = Buffer.concat(chunks)
          const split = raw.indexOf("\r\n\r\n")
          const head = raw.subarray(0, split).toString("latin1")
          const body = raw.subarray(split + 4)
          const status = /^HTTP\/1\.\d (\d+)/.exec(head)?.[1]
          const text = (/transfer-encoding:\s*chunked/i.test(head) ? decodeChunked(body) : body).toString("utf8")
          if (status !== "200") return reject(new Error(`HTTP ${status ?? "?"}: ${text.slice(0, 500)}`))
          try {
            resolve(JSON.parse(text))
          } catch (e) {
            reject(new Error(`not JSON (${String(e)}): ${text.slice(0, 200)}`))
          }
        })
      }),
    catch: (e) => LabError.make("Command", `GET ${path} from ${sp.process.name}: ${String(e)}`)
  })

/** `/v1/peers`. */
export const peers = (sp: SpeakerProcess): Effect.Effect<ReadonlyArray<Introspection.PeerStatus>, LabError.LabError> =>
  Effect.map(get(sp, "/v1/peers"), (doc) => (doc as { peers: ReadonlyArray<Introspection.PeerStatus> }).peers)

/** One peer from `/v1/peers`, by name or address. */
export const peer = (sp: SpeakerProcess, name: string): Effect.Effect<Introspection.PeerStatus, LabError.LabError> =>
  Effect.flatMap(peers(sp), (ps) => {
    const p = ps.find((x) => x.name === name || x.address === name)
    return p !== undefined ? Effect.succeed(p) : Effect.fail(LabError.make("Command", `no peer ${name} in /v1/peers`))
  })

/** `/v1/routes` with the given query. */
export const routes = (sp: SpeakerProcess, query: RoutesQuery = {}): Effect.Effect<ReadonlyArray<RouteRow>, LabError.LabError> => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v))
  const qs = params.size > 0 ? `?${params.toString()}` : ""
  return Effect.map(get(sp, `/v1/routes${qs}`), (doc) => (doc as { routes: ReadonlyArray<RouteRow> }).routes)
}
