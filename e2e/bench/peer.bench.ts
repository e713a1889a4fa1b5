/**
 * `bun run bench:peer [--prefixes N] [--only kbgp,gobgpd,bird] [--part A|B]`
 *
 * Side by side in one run, on the same two network namespaces (e2e/src/lab):
 *   (A) advertise N IPv4 prefixes to a BIRD collector — kbgp (`bun run speaker`), gobgpd
 *       and BIRD as the speaker;
 *   (B) receive an N-prefix table from a BIRD feeder — kbgp, gobgpd and BIRD as the receiver.
 * For each: seconds from Established to "all N present" (at the collector in A, in the
 * receiver's RIB in B), the contender's peak RSS (VmHWM), and both as ratios to BIRD.
 * Figures are printed, never asserted. Needs root, iproute2 and BIRD 2 (the collector
 * and feeder); a missing gobgpd only skips its rows. Installs nothing.
 */
import { Cause, Effect, Either, Exit } from "effect"
import * as Lab from "../src/lab/Lab.js"
import * as Contenders from "./Contenders.js"
import type * as Measure from "./Measure.js"
import * as Workload from "./Workload.js"

const usage = "usage: bun run bench:peer [--prefixes N] [--rounds R] [--only kbgp,gobgpd,bird] [--part A|B]"

interface Args {
  readonly n: number
  readonly only: ReadonlyArray<Contenders.Contender>
  readonly parts: ReadonlyArray<"A" | "B">
  readonly rounds: number
}

const ALL: ReadonlyArray<Contenders.Contender> = ["bird", "kbgp", "gobgpd"]

const parseArgs = (argv: ReadonlyArray<string>): Args | string => {
  let n = 1_000_000
  let only = ALL
  let parts: ReadonlyArray<"A" | "B"> = ["A", "B"]
  let rounds = 3
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined]
    const value = () => inline ?? argv[++i]
    if (flag === "--prefixes" || flag === "-n") {
      const v = Number(value()?.replaceAll("_", "").replaceAll(",", ""))
      if (!Number.isInteger(v) || v < 1 || v > Workload.MAX_PREFIXES) return `--prefixes: expected 1..${Workload.MAX_PREFIXES}`
      n = v
    } else if (flag === "--rounds") {
      const v = Number(value())
      if (!Number.isInteger(v) || v < 1 || v > 20) return "--rounds: expected 1..20"
      rounds = v
    } else if (flag === "--only") {
      const list = (value() ?? "").split(",").filter((s) => s !== "")
      const bad = list.find((s) => !(ALL as ReadonlyArray<string>).includes(s))
      if (bad !== undefined || list.length === 0) return `--only: expected a list of ${ALL.join(", ")}`
      only = ALL.filter((c) => list.includes(c))
    } else if (flag === "--part") {
      const v = (value() ?? "").toUpperCase()
      if (v !== "A" && v !== "B") return "--part: expected A or B"
      parts = [v]
    } else if (flag === "--help" || flag === "-h") {
      return usage
    } else {
      return `unknown argument ${argv[i]}\n${usage}`
    }
  }
  return { n, only, parts, rounds }
}

const which = (cmd: string): boolean => Bun.which(cmd) !== null || Bun.which(cmd, { PATH: "/usr/sbin:/sbin:/usr/bin" }) !== null

const version = (argv: ReadonlyArray<string>, pattern: RegExp): string => {
  try {
    const r = Bun.spawnSync([...argv], { stdout: "pipe", stderr: "pipe" })
    const text = `${r.stdout.toString()}${r.stderr.toString()}`
    return pattern.exec(text)?.[1] ?? "?"
  } catch {
    return "?"
  }
}

/** Why a contender cannot run here (its row is skipped), or undefined. */
const missing = (c: Contenders.Contender): string | undefined =>
  c === "gobgpd" && !(which("gobgpd") && which("gobgp")) ? "not installed: apt-get install gobgpd" : undefined

/** One contender's runs in one part: the successful ones, and why the others failed (or why it was skipped). */
interface Runs {
  readonly ok: Array<Contenders.Run>
  readonly failed: Array<string>
}

const setupNote = (runs: ReadonlyArray<Contenders.Run>): Array<string> => {
  const s = runs.flatMap((r) => (r.setup === undefined ? [] : [r.setup]))
  if (s.length === 0) return []
  const times = s.map((x) => x.seconds)
  const [lo, hi] = [Math.min(...times), Math.max(...times)]
  return [`${s[0]!.what} took ${lo.toFixed(1)}${hi - lo >= 0.05 ? `–${hi.toFixed(1)}` : ""} s (not counted)`]
}

/** The run of median time (peak RSS: the largest seen), with the spread in its note. */
type Summary = Measure.Result & { readonly note: string }

const summary = (r: Runs): Either.Either<Summary, string> => {
  if (r.ok.length === 0) return Either.left(r.failed[0] ?? "no run")
  const sorted = [...r.ok].sort((a, b) => a.seconds - b.seconds)
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!
  const rss = r.ok.map((x) => x.peakRssKiB).filter((x): x is number => x !== undefined)
  const notes = [
    ...(r.ok.length > 1 ? [`median of ${r.ok.length}: ${sorted.map((x) => x.seconds.toFixed(2)).join(", ")} s`] : []),
    ...(r.failed.length > 0 ? [`${r.failed.length} failed: ${r.failed[0]}`] : []),
    ...setupNote(r.ok)
  ]
  return Either.right({ seconds: median.seconds, peakRssKiB: rss.length > 0 ? Math.max(...rss) : undefined, note: notes.join("; ") })
}

const fmt = (x: number, digits: number) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const table = (title: string, role: string, n: number, rows: ReadonlyArray<readonly [string, Either.Either<Summary, string>]>, bird: Summary | undefined): string => {
  const head = [role, "seconds", "prefixes/s", "× BIRD", "peak RSS MiB", "× BIRD", "note"]
  const body = rows.map(([name, o]) => {
    if (Either.isLeft(o)) return [name, "-", "-", "-", "-", "-", o.left]
    const r = o.right
    const rss = r.peakRssKiB === undefined ? undefined : r.peakRssKiB / 1024
    const birdRss = bird?.peakRssKiB === undefined ? undefined : bird.peakRssKiB / 1024
    return [
      name,
      fmt(r.seconds, 2),
      fmt(n / r.seconds, 0),
      bird === undefined ? "-" : `${fmt(r.seconds / bird.seconds, 2)}×`,
      rss === undefined ? "?" : fmt(rss, 1),
      rss === undefined || birdRss === undefined ? "-" : `${fmt(rss / birdRss, 2)}×`,
      r.note
    ]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  return [title, line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")
}

const label: Record<Contenders.Contender, string> = { kbgp: "kbgp (bun run speaker)", gobgpd: "gobgpd", bird: "BIRD" }

/** Filled as runs end, so a failure in teardown still leaves the figures to print. */
const results: Record<"A" | "B", Map<Contenders.Contender, Runs>> = { A: new Map(), B: new Map() }

const main = (args: Args) =>
  Effect.scoped(
    Effect.gen(function* () {
      const lab = yield* Lab.make("bench")
      const attempt = (part: "A" | "B", c: Contenders.Contender, round: number, run: Effect.Effect<Contenders.Run, unknown>) =>
        Effect.gen(function* () {
          let runs = results[part].get(c)
          if (runs === undefined) results[part].set(c, (runs = { ok: [], failed: [] }))
          const why = missing(c)
          if (why !== undefined) {
            if (round === 1) console.log(`(${part}) ${c}: skipped, ${why}`)
            if (runs.failed.length === 0) runs.failed.push(`skipped: ${why}`)
            return
          }
          const tag = `(${part}) ${c} ${round}/${args.rounds}`
          // Defects too: a teardown race must not lose the other rows.
          const exit = yield* Effect.exit(run)
          if (Exit.isFailure(exit)) {
            console.log(`${tag}: failed: ${Cause.pretty(exit.cause)}`)
            runs.failed.push(`failed: ${Cause.pretty(exit.cause).split("\n")[0]}`)
          } else {
            const setup = exit.value.setup === undefined ? "" : ` (${exit.value.setup.what}: ${exit.value.setup.seconds.toFixed(1)} s, not counted)`
            console.log(`${tag}: ${exit.value.seconds.toFixed(2)} s, peak RSS ${((exit.value.peakRssKiB ?? 0) / 1024).toFixed(1)} MiB${setup}`)
            runs.ok.push(exit.value)
          }
        })
      // Rounds interleave the contenders, so a burst of load elsewhere on the machine does not hit one of them only.
      if (args.parts.includes("A")) {
        for (let r = 1; r <= args.rounds; r++) for (const c of args.only) yield* attempt("A", c, r, Contenders.advertise(lab, c, args.n))
      }
      if (args.parts.includes("B")) {
        yield* Effect.scoped(
          Effect.gen(function* () {
            console.log(`(B) loading the feeder's table of ${args.n} routes ...`)
            const feeder = yield* Contenders.startFeeder(lab, args.n)
            for (let r = 1; r <= args.rounds; r++) for (const c of args.only) yield* attempt("B", c, r, Contenders.receive(lab, c, feeder))
          })
        )
      }
    })
  )

const args = parseArgs(Bun.argv.slice(2))
if (typeof args === "string") {
  console.log(args)
  process.exit(args === usage ? 0 : 2)
}
const why = Lab.unavailable()
if (why !== undefined) {
  console.log(`bench:peer cannot run here: it ${why}. BIRD 2 is the collector and feeder of every run.`)
  process.exit(1)
}
const n = args.n
const versions = `kbgp on Bun ${Bun.version}, gobgpd ${which("gobgpd") ? version(["gobgpd", "--version"], /version (\S+)/) : "(missing)"}, BIRD ${version(["bird", "--version"], /version (\S+)/)}`
const load = (await Bun.file("/proc/loadavg").text().catch(() => "?")).split(" ").slice(0, 3).join(" ")
console.log(`bench:peer — ${n.toLocaleString("en-US")} IPv4 /24s, one attribute set, ${args.rounds} round(s); ${versions}; ${navigator.hardwareConcurrency} CPUs, load ${load}`)
const started = Date.now()
const exit = await Effect.runPromiseExit(main(args))
if (Exit.isFailure(exit)) console.error(`bench:peer: ${Cause.pretty(exit.cause)}`)
const rows = (part: "A" | "B") => [...results[part]].map(([c, r]) => [label[c], summary(r)] as const)
const birdOf = (part: "A" | "B") => {
  const b = results[part].get("bird")
  const s = b === undefined ? undefined : summary(b)
  return s !== undefined && Either.isRight(s) ? s.right : undefined
}
console.log("")
if (results.A.size > 0) {
  console.log(table(`(A) advertise ${n.toLocaleString("en-US")} prefixes to a BIRD collector: Established → all present at the collector`, "speaker", n, rows("A"), birdOf("A")))
  console.log("")
}
if (results.B.size > 0) {
  console.log(table(`(B) receive ${n.toLocaleString("en-US")} prefixes from a BIRD feeder: Established → all in the receiver's RIB`, "receiver", n, rows("B"), birdOf("B")))
  console.log("")
}
console.log("targets (issue 4): A ≤ 1.5× BIRD, B ≤ 2× BIRD, both several times faster than gobgpd; B peak RSS < 400 MB")
console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`)
process.exit(Exit.isFailure(exit) ? 1 : 0)
