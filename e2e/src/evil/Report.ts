/**
 * `bun run robustness`: runs the deterministic robustness scenarios
 * (e2e/test/robustness, the same files `bun run test` runs) and prints a
 * summary table — cases tried per category, passed, failed, with the failing
 * case names — plus a line about the last fuzz run when
 * e2e/fuzz/last-run.json exists. Exit code 1 when a case failed.
 *
 *   bun run robustness            # summary only (the test output goes to a log file, named at the end)
 *   bun run robustness --verbose  # the test runner's output as well
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Cases from "./Cases.js"

const E2E = path.join(import.meta.dir, "../..")
const REPO = path.join(E2E, "..")
const FUZZ_RESULTS = path.join(REPO, "e2e/fuzz/last-run.json")

/** Cases each category must have run (the flow file's tests are counted from the report). */
const expected: Readonly<Record<string, number>> = {
  rfc7606: Cases.rfc7606.length,
  "parser-killers": Cases.parserKillers.length,
  header: Cases.header.length,
  "open-fsm": Cases.openFsm.length
}

export interface CaseResult {
  readonly category: string
  readonly name: string
  readonly passed: boolean
}

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, "&")

/** Test cases of a JUnit report whose describe block is "robustness <category>". */
export const parseJunit = (xml: string): Array<CaseResult> => {
  const out: Array<CaseResult> = []
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) {
    const attrs = m[1]!
    const name = unescape(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? "?")
    const classname = unescape(/\bclassname="([^"]*)"/.exec(attrs)?.[1] ?? "")
    const category = /^robustness (\S+)/.exec(classname)?.[1]
    if (category === undefined) continue
    const body = m[3] ?? ""
    const skipped = /<skipped\b/.test(body)
    out.push({ category, name, passed: !skipped && !/<(failure|error)\b/.test(body) })
  }
  return out
}

export interface Row {
  readonly category: string
  readonly tried: number
  readonly passed: number
  readonly failed: number
  readonly failing: ReadonlyArray<string>
}

export const summarize = (results: ReadonlyArray<CaseResult>, want: Readonly<Record<string, number>> = expected): Array<Row> => {
  const categories = [...new Set([...Object.keys(want), ...results.map((r) => r.category)])]
  return categories.map((category) => {
    const rs = results.filter((r) => r.category === category)
    const failing = rs.filter((r) => !r.passed).map((r) => r.name)
    const missing = Math.max(0, (want[category] ?? 0) - rs.length)
    if (missing > 0) failing.push(`${missing} case(s) did not run (the file failed before them)`)
    const passed = rs.length - rs.filter((r) => !r.passed).length
    return { category, tried: rs.length + missing, passed, failed: rs.length + missing - passed, failing }
  })
}

const pad = (s: string | number, n: number, right = false) => (right ? String(s).padStart(n) : String(s).padEnd(n))

export const formatTable = (rows: ReadonlyArray<Row>): string => {
  const w = Math.max(8, ...rows.map((r) => r.category.length))
  const lines = [`${pad("category", w)}  ${pad("tried", 5, true)}  ${pad("passed", 6, true)}  ${pad("failed", 6, true)}  failing cases`]
  for (const r of rows) {
    lines.push(`${pad(r.category, w)}  ${pad(r.tried, 5, true)}  ${pad(r.passed, 6, true)}  ${pad(r.failed, 6, true)}  ${r.failing.length === 0 ? "-" : r.failing[0]}`)
    for (const f of r.failing.slice(1)) lines.push(`${pad("", w + 27)}${f}`)
  }
  const t = rows.reduce((a, r) => ({ tried: a.tried + r.tried, passed: a.passed + r.passed, failed: a.failed + r.failed }), { tried: 0, passed: 0, failed: 0 })
  lines.push(`${pad("total", w)}  ${pad(t.tried, 5, true)}  ${pad(t.passed, 6, true)}  ${pad(t.failed, 6, true)}`)
  return lines.join("\n")
}

interface FuzzRun {
  readonly finishedAt?: string
  readonly seed?: number
  readonly cases?: number
  readonly seconds?: number
  readonly findings?: ReadonlyArray<{ readonly kind?: string; readonly count?: number; readonly error?: string; readonly file?: string }>
}

export const fuzzLine = (file = FUZZ_RESULTS): string => {
  if (!fs.existsSync(file)) return "fuzz: not run (bun run fuzz)"
  try {
    const run = JSON.parse(fs.readFileSync(file, "utf8")) as FuzzRun
    const findings = run.findings ?? []
    const head = `fuzz: ${(run.cases ?? 0).toLocaleString("en")} cases in ${run.seconds ?? "?"} s (seed ${run.seed ?? "?"}, ${run.finishedAt ?? "?"}), ${findings.length} finding(s)`
    return [head, ...findings.map((f) => `  ${f.kind ?? "finding"} ×${f.count ?? 1}: ${f.error ?? ""}${f.file !== undefined ? ` → ${f.file}` : ""}`)].join("\n")
  } catch (e) {
    return `fuzz: ${path.relative(REPO, file)} is unreadable (${String(e)})`
  }
}

const main = async () => {
  const verbose = process.argv.includes("--verbose")
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-robustness-report-"))
  const junit = path.join(dir, "junit.xml")
  const log = path.join(dir, "bun-test.log")
  const started = Date.now()
  // One descriptor for both streams (as lab/Process.spawn does): `Bun.file(log)` for each would open the
  // file twice without O_TRUNC, and the two streams would overwrite each other's lines.
  const out = verbose ? "inherit" : fs.openSync(log, "w")
  let proc: ReturnType<typeof Bun.spawn>
  try {
    proc = Bun.spawn([process.execPath, "test", "test/robustness", "--reporter=junit", `--reporter-outfile=${junit}`], {
      cwd: E2E,
      stdout: out,
      stderr: out,
      stdin: "ignore"
    })
  } finally {
    if (typeof out === "number") fs.closeSync(out)
  }
  const code = await proc.exited
  const xml = fs.existsSync(junit) ? fs.readFileSync(junit, "utf8") : ""
  const rows = summarize(parseJunit(xml))
  console.log(`robustness: bun test e2e/test/robustness (${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
  console.log(formatTable(rows))
  console.log(`\n${fuzzLine()}`)
  if (!verbose) console.log(`\ntest output: ${log}`)
  const failed = rows.some((r) => r.failed > 0) || (code !== 0 && xml === "")
  process.exit(failed ? 1 : 0)
}

if (import.meta.main) await main()
