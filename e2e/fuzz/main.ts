/**
 * `bun run fuzz`: a long, coverage-free property run of the wire codec and the
 * FSM on structurally mutated valid messages (see `Mutate.ts`, `Target.ts`).
 *
 *   bun run fuzz [--cases N] [--seed S] [--workers W] [--case-ms MS] [--watchdog-ms MS]
 *   bun run fuzz --replay INDEX --seed S      # rerun one case and print it
 *
 * Workers run interleaved slices of the case indices; a supervisor watches their
 * progress in shared memory. A case that throws, breaks a promise of the API, or
 * takes longer than --case-ms (timed twice) is a finding; a case that does not
 * return within --watchdog-ms is a hang: the worker is terminated and replaced.
 * Each distinct finding is written to `packages/wire/test/corpus/` (hex plus a note of
 * the seed, case and mutation), which `e2e/test/fuzz/Corpus.test.ts` replays in every `bun test`.
 * The run's figures go to `fuzz/last-run.json` (git-ignored).
 */
import { availableParallelism } from "node:os"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Cases from "./Cases.js"
import * as Profile from "./Profile.js"
import * as Target from "./Target.js"
import type { Report, Start } from "./Worker.js"

interface Options {
  readonly cases: number
  readonly seed: number
  readonly workers: number
  readonly caseMs: number
  readonly watchdogMs: number
  readonly replay: number | undefined
  readonly maxFiles: number
}

const usage = `usage: bun run fuzz [--cases N] [--seed S] [--workers W] [--case-ms MS] [--watchdog-ms MS] [--max-files N] [--replay INDEX]`

const parse = (argv: ReadonlyArray<string>): Options => {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === "--help" || a === "-h") {
      console.log(usage)
      process.exit(0)
    }
    const [k, inline] = a.split("=", 2)
    if (!k!.startsWith("--")) throw new Error(`unexpected argument ${a}\n${usage}`)
    const v = inline ?? argv[++i]
    if (v === undefined) throw new Error(`${k} needs a value\n${usage}`)
    flags.set(k!.slice(2), v)
  }
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const v = flags.get(name)
    flags.delete(name)
    if (v === undefined) return dflt
    const n = Number(v.replace(/_/g, ""))
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}, got ${v}`)
    return n
  }
  const replayFlag = flags.has("replay") ? int("replay", 0, 0, 0x7fffffff) : undefined
  const options: Options = {
    cases: int("cases", 10_000_000, 1, 0x7fffffff),
    seed: int("seed", (Date.now() ^ (process.pid << 16)) >>> 0, 0, 0xffffffff),
    workers: int("workers", Math.max(1, Math.min(2, availableParallelism())), 1, 64),
    caseMs: int("case-ms", 250, 1, 600_000),
    watchdogMs: int("watchdog-ms", 10_000, 100, 3_600_000),
    maxFiles: int("max-files", 20, 0, 1000),
    replay: replayFlag
  }
  if (flags.size > 0) throw new Error(`unknown flag --${[...flags.keys()][0]}\n${usage}`)
  return options
}

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex")

interface Finding {
  readonly kind: "crash" | "violation" | "slow" | "hang"
  readonly index: number
  readonly error: string
  readonly signature: string
  count: number
  file?: string
}

/** What makes two findings "the same bug": kind, first line, first stack frame (without line numbers' noise). */
const signatureOf = (kind: string, error: string): string => {
  const lines = error.split("\n")
  const head = lines[0]!.replace(/\d+/g, "N").slice(0, 160)
  const frame = (lines.find((l) => l.trim().startsWith("at ")) ?? "").trim().replace(/:\d+:\d+\)?$/, "")
  return `${kind} | ${head} | ${frame}`
}

const shortHash = (s: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, "0")
}

const corpusDir = join(import.meta.dir, "..", "..", "packages", "wire", "test", "corpus")

/** The corpus file for one finding: comments that `Corpus.test.ts` reads back, then the stream as hex. */
export const corpusText = (c: Cases.Case, meta: { seed: number; index: number; kind: string; error: string }): string => {
  const profile = Profile.profiles[c.profile]!
  return [
    `# kbgp wire fuzz finding (bun run fuzz), ${new Date().toISOString().slice(0, 10)}`,
    `# seed ${meta.seed} case ${meta.index}: reproduce with bun run fuzz --seed ${meta.seed} --replay ${meta.index}`,
    `# found: ${meta.kind}: ${meta.error.split("\n")[0]}`,
    `# mutation: ${c.notes.join("; ")}`,
    `# profile: ${profile.name}`,
    `# start: ${c.start}`,
    `# splits: ${c.splits.join(",")}`,
    `# text: ${c.text}`,
    toHex(c.bytes),
    ""
  ].join("\n")
}

const replay = (o: Options, index: number): void => {
  const pool = Cases.makePool(o.seed)
  const c = Cases.generate(pool, o.seed, index)
  process.stdout.write(corpusText(c, { seed: o.seed, index, kind: "replay", error: "" }))
  const t0 = performance.now()
  try {
    const r = Target.run({ built: pool.profiles[c.profile]!.built, start: c.start, bytes: c.bytes, splits: c.splits, text: c.text })
    console.log(`ok in ${(performance.now() - t0).toFixed(2)} ms: ${r.frames} frames, ${r.errors} errors, final state ${r.finalState}`)
  } catch (e) {
    console.log(`THROWS after ${(performance.now() - t0).toFixed(2)} ms:`, e)
    process.exitCode = 1
  }
}

const main = async (): Promise<void> => {
  const o = parse(process.argv.slice(2))
  if (o.replay !== undefined) return replay(o, o.replay)
  console.log(`fuzz: ${o.cases.toLocaleString("en")} cases, seed ${o.seed}, ${o.workers} worker(s), per-case bound ${o.caseMs} ms, watchdog ${o.watchdogMs} ms`)
  // The supervisor regenerates a hanging case from its index; building the pool here also fails fast on a broken seed set.
  const pool = Cases.makePool(o.seed)
  const findings = new Map<string, Finding>()
  let filesWritten = 0
  let slowestMs = 0
  let slowestIndex = -1

  const record = (kind: Finding["kind"], index: number, error: string): void => {
    const signature = signatureOf(kind, error)
    const known = findings.get(signature)
    if (known !== undefined) {
      known.count++
      return
    }
    const f: Finding = { kind, index, error, signature, count: 1 }
    findings.set(signature, f)
    console.log(`\nFINDING ${kind} at case ${index}: ${error.split("\n")[0]}`)
    if (filesWritten < o.maxFiles) {
      const c = Cases.generate(pool, o.seed, index)
      mkdirSync(corpusDir, { recursive: true })
      const file = join(corpusDir, `fuzz-${kind}-${shortHash(signature)}.hex`)
      writeFileSync(file, corpusText(c, { seed: o.seed, index, kind, error }))
      f.file = file
      filesWritten++
      console.log(`  saved ${file}`)
    }
  }

  const t0 = performance.now()
  interface Slot {
    worker: Worker
    progress: Int32Array
    /** Watched only once the worker built its pool. */
    ready: boolean
    lastIndex: number
    lastChange: number
    /** Cases done by this slot's earlier (terminated) workers. */
    doneBefore: number
    from: number
    finished: boolean
  }
  const slots: Array<Slot> = []
  let finished = 0
  let allDone: () => void = () => {}
  const completion = new Promise<void>((resolve) => (allDone = resolve))

  const spawn = (slot: number, from: number): void => {
    const progress = new Int32Array(new SharedArrayBuffer(8))
    progress[0] = -1
    const worker = new Worker(new URL("./Worker.ts", import.meta.url).href)
    const previous = slots[slot]
    const s: Slot = {
      worker,
      progress,
      ready: false,
      lastIndex: -1,
      lastChange: performance.now(),
      // A replaced worker ran its slot's indices up to the hanging one, which counts as run.
      doneBefore: previous === undefined ? 0 : previous.doneBefore + Math.floor((from - o.workers - previous.from) / o.workers) + 1,
      from,
      finished: false
    }
    slots[slot] = s
    worker.onmessage = (ev: MessageEvent<Report>) => {
      const r = ev.data
      if (r._tag === "Ready") {
        s.ready = true
        s.lastChange = performance.now()
      } else if (r._tag === "Finding") record(r.kind, r.index, r.error)
      else if (r._tag === "Done") {
        if (r.slowestMs > slowestMs) {
          slowestMs = r.slowestMs
          slowestIndex = r.slowestIndex
        }
        s.finished = true
        worker.terminate()
        if (++finished === o.workers) allDone()
      }
    }
    worker.onerror = (e) => {
      record("crash", Atomics.load(progress, 0), `worker error: ${e.message}`)
    }
    const start: Start = { seed: o.seed, from, stride: o.workers, end: o.cases, caseMs: o.caseMs, progress }
    worker.postMessage(start)
  }
  for (let w = 0; w < o.workers; w++) spawn(w, w)

  const total = (): number => slots.reduce((n, s) => n + s.doneBefore + Atomics.load(s.progress, 1), 0)
  const tty = process.stdout.isTTY === true
  let lastReport = 0
  const timer = setInterval(() => {
    const now = performance.now()
    for (let w = 0; w < slots.length; w++) {
      const s = slots[w]!
      if (s.finished || !s.ready) continue
      const at = Atomics.load(s.progress, 0)
      if (at !== s.lastIndex) {
        s.lastIndex = at
        s.lastChange = now
      } else if (now - s.lastChange > o.watchdogMs && s.lastIndex >= 0) {
        // The case at `at` has not returned: a hang. Replace the worker and skip the case.
        s.worker.terminate()
        record("hang", at, `case did not return within ${o.watchdogMs} ms`)
        if (at + o.workers < o.cases) spawn(w, at + o.workers)
        else {
          s.finished = true
          s.doneBefore += Math.floor((at - s.from) / o.workers) + 1
          Atomics.store(s.progress, 1, 0)
          if (++finished === o.workers) allDone()
        }
      }
    }
    if (now - lastReport > (tty ? 1000 : 15000)) {
      lastReport = now
      const n = total()
      const rate = n / ((now - t0) / 1000)
      const line = `  ${n.toLocaleString("en")} / ${o.cases.toLocaleString("en")} cases, ${Math.round(rate).toLocaleString("en")} cases/s, ${findings.size} finding(s)`
      if (tty) process.stdout.write(`\r${line}   `)
      else console.log(line)
    }
  }, 200)
  await completion
  clearInterval(timer)
  const seconds = (performance.now() - t0) / 1000
  const cases = total()
  const rate = cases / seconds
  const list = [...findings.values()]
  console.log(
    `\nfuzz done: ${cases.toLocaleString("en")} cases in ${seconds.toFixed(1)} s (${Math.round(rate).toLocaleString("en")} cases/s), ` +
      `seed ${o.seed}, slowest case ${slowestMs.toFixed(1)} ms (#${slowestIndex}), ${list.length} distinct finding(s)`
  )
  for (const f of list) console.log(`  ${f.kind} ×${f.count} first at case ${f.index}: ${f.error.split("\n")[0]}${f.file ? `\n    → ${f.file}` : ""}`)
  writeFileSync(
    join(import.meta.dir, "last-run.json"),
    JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        seed: o.seed,
        cases,
        seconds: Math.round(seconds * 10) / 10,
        casesPerSecond: Math.round(rate),
        workers: o.workers,
        caseBoundMs: o.caseMs,
        slowestCaseMs: Math.round(slowestMs * 100) / 100,
        poolSize: pool.size,
        findings: list.map((f) => ({
          kind: f.kind,
          count: f.count,
          firstCase: f.index,
          error: f.error.split("\n")[0],
          ...(f.file !== undefined ? { file: f.file.slice(f.file.indexOf("packages/")) } : {})
        }))
      },
      null,
      2
    ) + "\n"
  )
  process.exitCode = list.length > 0 ? 1 : 0
}

await main()
