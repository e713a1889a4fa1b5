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
import { Effect, Either } from "effect"
import * as Lab from "../src/lab/Lab.js"
import * as Contenders from "./Contenders.js"
import * as Workload from "./Workload.js"

const usage = "usage: bun run bench:peer [--prefixes N] [--only kbgp,gobgpd,bird] [--part A|B]"

interface Args {
  readonly n: number
  readonly only: ReadonlyArray<Contenders.Contender>
  readonly parts: ReadonlyArray<"A" | "B">
}

const ALL: ReadonlyArray<Contenders.Contender> = ["bird", "kbgp", "gobgpd"]

const parseArgs = (argv: ReadonlyArray<string>): Args | string => {
  let n = 1_000_000
  let only = ALL
  let parts: ReadonlyArray<"A" | "B"> = ["A", "B"]
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined]
    const value = () => inline ?? argv[++i]
    if (flag === "--prefixes" || flag === "-n") {
      const v = Number(value()?.replaceAll("_", "").replaceAll(",", ""))
      if (!Number.isInteger(v) || v < 1 || v > Workload.MAX_PREFIXES) return `--prefixes: expected 1..${Workload.MAX_PREFIXES}`
      n = v
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
  return { n, only, parts }
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

type Outcome = Either.Either<Contenders.Run, string>

const fmt = (x: number, digits: number) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

const table = (title: string, role: string, n: number, rows: ReadonlyArray<readonly [string, Outcome]>, bird: Contenders.Run | undefined): string => {
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
      r.note ?? ""
    ]
  })
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  return [title, line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")
}

const label: Record<Contenders.Contender, string> = { kbgp: "kbgp (bun run speaker)", gobgpd: "gobgpd", bird: "BIRD" }

const main = (args: Args) =>
  Effect.scoped(
    Effect.gen(function* () {
      const lab = yield* Lab.make("bench")
      const results: Record<"A" | "B", Array<readonly [Contenders.Contender, Outcome]>> = { A: [], B: [] }
      const attempt = (part: "A" | "B", c: Contenders.Contender, run: Effect.Effect<Contenders.Run, unknown>) =>
        Effect.gen(function* () {
          const why = missing(c)
          if (why !== undefined) {
            console.log(`(${part}) ${c}: skipped, ${why}`)
            results[part].push([c, Either.left(`skipped: ${why}`)])
            return
          }
          console.log(`(${part}) ${c}: running ...`)
          const r = yield* Effect.either(run)
          if (Either.isLeft(r)) console.log(`(${part}) ${c}: failed: ${String(r.left)}`)
          else console.log(`(${part}) ${c}: ${r.right.seconds.toFixed(2)} s, peak RSS ${((r.right.peakRssKiB ?? 0) / 1024).toFixed(1)} MiB`)
          results[part].push([c, Either.mapLeft(r, (e) => `failed: ${String(e).split("\n")[0]}`)])
        })
      if (args.parts.includes("A")) {
        for (const c of args.only) yield* attempt("A", c, Contenders.advertise(lab, c, args.n))
      }
      if (args.parts.includes("B")) {
        yield* Effect.scoped(
          Effect.gen(function* () {
            console.log(`(B) loading the feeder's table of ${args.n} routes ...`)
            const feeder = yield* Contenders.startFeeder(lab, args.n)
            for (const c of args.only) yield* attempt("B", c, Contenders.receive(lab, c, feeder))
          })
        )
      }
      return results
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
console.log(`bench:peer — ${n.toLocaleString("en-US")} IPv4 /24s, one attribute set; ${versions}`)
const started = Date.now()
const results = await Effect.runPromise(main(args)).catch((e: unknown) => {
  console.error(`bench:peer failed: ${String(e)}`)
  process.exit(1)
})
const birdOf = (rows: ReadonlyArray<readonly [Contenders.Contender, Outcome]>) => {
  const b = rows.find(([c]) => c === "bird")?.[1]
  return b !== undefined && Either.isRight(b) ? b.right : undefined
}
const show = (rows: ReadonlyArray<readonly [Contenders.Contender, Outcome]>) => rows.map(([c, o]) => [label[c], o] as const)
console.log("")
if (results.A.length > 0) {
  console.log(table(`(A) advertise ${n.toLocaleString("en-US")} prefixes to a BIRD collector: Established → all present at the collector`, "speaker", n, show(results.A), birdOf(results.A)))
  console.log("")
}
if (results.B.length > 0) {
  console.log(table(`(B) receive ${n.toLocaleString("en-US")} prefixes from a BIRD feeder: Established → all in the receiver's RIB`, "receiver", n, show(results.B), birdOf(results.B)))
  console.log("")
}
console.log("targets (issue 4): A ≤ 1.5× BIRD, B ≤ 2× BIRD, both several times faster than gobgpd; B peak RSS < 400 MB")
console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`)
