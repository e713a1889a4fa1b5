/**
 * The BGP lab: two network namespaces joined by a veth pair, a real BIRD 2 in one
 * ("bird" side), kbgp in the other ("kbgp" side). kbgp runs inside the test process:
 * `make` moves the process's JavaScript thread into the kbgp namespace (setns), so
 * the Sessions and sockets a test creates are the ones under test, observable
 * directly, and no address is ever configured outside namespaces the lab created.
 *
 * Names derive from a short per-file tag, so test files (each its own `bun test`
 * process when run in parallel) never share a namespace; a leftover of the same tag
 * from a killed run is removed first. Everything is torn down by PID and namespace
 * name when the scope closes, whether the tests passed or not.
 */
import { Effect, Logger, type Scope } from "effect"
import * as Bird from "./Bird.js"
import type * as BirdConfig from "./BirdConfig.js"
import * as LabError from "./LabError.js"
import * as Netns from "./Netns.js"
import * as Shell from "./Shell.js"

/** One side's addresses on the shared link: RFC 5737 (192.0.2.0/24) and RFC 3849 (2001:db8::/32) documentation ranges. */
export interface Addresses {
  readonly v4: string
  readonly v6: string
}

export const KBGP: Addresses = { v4: "192.0.2.1", v6: "2001:db8::1" }
export const BIRD: Addresses = { v4: "192.0.2.2", v6: "2001:db8::2" }
/** Link prefix lengths. */
const V4_LEN = 29
const V6_LEN = 64

export interface Lab {
  readonly tag: string
  /** Working directory: BIRD configs, control sockets, logs. */
  readonly dir: string
  readonly kbgpNs: Netns.Netns
  readonly birdNs: Netns.Netns
  readonly kbgp: Addresses
  readonly bird: Addresses
  /** Interface names on each side of the link (inside their namespaces). */
  readonly kbgpIf: string
  readonly birdIf: string
  /** Log files of the daemons started so far, for `dumpLogs`. */
  readonly logFiles: Array<string>
  /** Lines a test notes about the kbgp side (state changes, NOTIFICATIONs), printed by `dumpLogs`. */
  readonly notes: Array<string>
  /** kbgp's own log lines (Effect's logger, as `LabSuite.run` installs it): "LEVEL message key=value ...". */
  readonly logs: Array<string>
}

/** Why the lab cannot run here, or undefined when it can: it needs root (namespaces, setns, port 179) and BIRD 2. */
export const unavailable = (): string | undefined => {
  if (process.platform !== "linux") return "needs Linux network namespaces"
  if (process.getuid?.() !== 0) return "needs root (network namespaces, setns, port 179)"
  for (const tool of ["bird", "birdc", "ip"]) {
    if (Bun.which(tool) === null && Bun.which(tool, { PATH: "/usr/sbin:/sbin" }) === null) {
      return `needs ${tool} (apt-get install bird2 iproute2)`
    }
  }
  return undefined
}

/** Builds the lab for `tag` (2–8 characters, [a-z0-9]) and enters the kbgp namespace until the scope closes. */
export const make = (tag: string): Effect.Effect<Lab, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    if (!/^[a-z0-9]{2,8}$/.test(tag)) return yield* Effect.fail(LabError.make("Setup", `bad lab tag ${JSON.stringify(tag)}`))
    const why = unavailable()
    if (why !== undefined) return yield* Effect.fail(LabError.make("Setup", why))
    const dir = `/tmp/kbgp-e2e-${tag}`
    yield* Shell.run(["rm", "-rf", dir])
    yield* Shell.run(["mkdir", "-p", dir])
    const kbgpNs = yield* Netns.make(`kbgp-${tag}-k`)
    const birdNs = yield* Netns.make(`kbgp-${tag}-b`)
    const kbgpIf = "kbgp0"
    const birdIf = "bird0"
    yield* Netns.veth(
      { ns: kbgpNs, ifname: kbgpIf, addresses: [`${KBGP.v4}/${V4_LEN}`, `${KBGP.v6}/${V6_LEN}`] },
      { ns: birdNs, ifname: birdIf, addresses: [`${BIRD.v4}/${V4_LEN}`, `${BIRD.v6}/${V6_LEN}`] }
    )
    yield* Netns.enter(kbgpNs)
    return { tag, dir, kbgpNs, birdNs, kbgp: KBGP, bird: BIRD, kbgpIf, birdIf, logFiles: [], notes: [], logs: [] }
  })

/** Starts BIRD in the bird namespace with `config`; it stops when the scope closes. */
export const startBird = (
  lab: Lab,
  config: BirdConfig.BirdConfig,
  name = "bird"
): Effect.Effect<Bird.Bird, LabError.LabError, Scope.Scope> =>
  Effect.tap(Bird.start({ ns: lab.birdNs, dir: lab.dir, config, name }), (b) => track(lab, b))

/** Restarts BIRD (same config, new log file); use the returned handle from then on. */
export const restartBird = (lab: Lab, bird: Bird.Bird): Effect.Effect<Bird.Bird, LabError.LabError, Scope.Scope> =>
  Effect.tap(Bird.restart(bird), (b) => track(lab, b))

const track = (lab: Lab, b: Bird.Bird): Effect.Effect<void> =>
  Effect.sync(() => {
    if (!lab.logFiles.includes(b.process.logFile)) lab.logFiles.push(b.process.logFile)
  })

/** Records a line about the kbgp side, with a timestamp, for the failure dump. */
export const note = (lab: Lab, line: string): void => {
  lab.notes.push(`${new Date().toISOString().slice(11, 23)} ${line}`)
}

/** Prints the last lines of every daemon log and the kbgp notes (called when a test fails). */
export const dumpLogs = (lab: Lab, lines = 60): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (const file of lab.logFiles) {
      const text = yield* Effect.promise(() => Bun.file(file).text().catch(() => "(missing)"))
      console.error(`--- ${file} (last ${lines} lines)\n${text.split("\n").slice(-lines).join("\n")}`)
    }
    console.error(`--- kbgp notes (last ${lines})\n${lab.notes.slice(-lines).join("\n")}`)
    console.error(`--- kbgp log (last ${lines})\n${lab.logs.slice(-lines).join("\n")}`)
  })

/** Forgets the logs and notes of the previous test (the files stay on disk). */
export const reset = (lab: Lab): void => {
  lab.logFiles.length = 0
  lab.notes.length = 0
  lab.logs.length = 0
}

// ---------------------------------------------------------------------------
// BIRD's side of a peering with kbgp

/** BIRD's AS; kbgp is in `KBGP_AS` for eBGP and in `BIRD_AS` for iBGP. */
export const BIRD_AS = 65001
export const KBGP_AS = 65002

export interface PeerOptions {
  /** Protocol name in BIRD (default `kbgp4` / `kbgp6`). */
  readonly name?: string
  readonly family: "ipv4" | "ipv6"
  /** iBGP (both in BIRD_AS) instead of eBGP (kbgp in KBGP_AS). */
  readonly internal?: boolean
  /** BIRD only listens; kbgp must connect. */
  readonly passive?: boolean
  /** Hold time BIRD proposes (default 9; kbgp's shorter one wins when it proposes less). */
  readonly holdTime?: number
  readonly password?: string
  readonly ttlSecurity?: boolean
  /** Seconds before BIRD's first connect (default 1) and between its attempts (default 2). */
  readonly connectDelayTime?: number
  readonly connectRetryTime?: number
  readonly disabled?: boolean
  /** BIRD's export to kbgp (default: nothing). */
  readonly export?: BirdConfig.Filter
}

/**
 * The BGP protocol on BIRD's side of the link facing kbgp, with lab-friendly timers:
 * short hold time, 1 s connect delay, 2 s retry, 1–2 s error wait (BIRD's default of
 * 60–300 s after any error would stall every recovery test), states and events logged.
 */
export const birdPeer = (lab: Lab, o: PeerOptions): BirdConfig.BgpProtocol => {
  const v6 = o.family === "ipv6"
  const holdTime = o.holdTime ?? 9
  return {
    name: o.name ?? (v6 ? "kbgp6" : "kbgp4"),
    localAddress: v6 ? lab.bird.v6 : lab.bird.v4,
    localAs: BIRD_AS,
    neighborAddress: v6 ? lab.kbgp.v6 : lab.kbgp.v4,
    neighborAs: o.internal ? BIRD_AS : KBGP_AS,
    holdTime,
    connectDelayTime: o.connectDelayTime ?? 1,
    connectRetryTime: o.connectRetryTime ?? 2,
    errorWaitTime: [1, 2],
    debug: ["states", "events"],
    ...(o.passive !== undefined ? { passive: o.passive } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.ttlSecurity !== undefined ? { ttlSecurity: o.ttlSecurity } : {}),
    ...(o.disabled !== undefined ? { disabled: o.disabled } : {}),
    // BIRD treats iBGP as multihop unless told the neighbor is on-link.
    ...(o.internal ? { options: ["direct"] } : {}),
    // iBGP next hops resolve recursively through an IGP table by default; the lab has none, and kbgp is on-link.
    channels: [{ afi: o.family, import: "all", export: o.export ?? "none", ...(o.internal ? { options: ["gateway direct"] } : {}) }]
  }
}

/** A BIRD config with BIRD's router id and the given BGP protocols. */
export const birdConfig = (lab: Lab, bgp: ReadonlyArray<BirdConfig.BgpProtocol>): BirdConfig.BirdConfig => ({
  routerId: lab.bird.v4,
  bgp
})

/** A logger that keeps kbgp's log lines in `lab.logs` (printed on failure) instead of the console. */
export const logger = (lab: Lab): Logger.Logger<unknown, void> =>
  Logger.make(({ annotations, date, logLevel, message }) => {
    const text = (Array.isArray(message) ? message : [message]).map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ")
    const keys = [...annotations].map(([k, v]) => ` ${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join("")
    lab.logs.push(`${date.toISOString().slice(11, 23)} ${logLevel.label} ${text}${keys}`)
  })
