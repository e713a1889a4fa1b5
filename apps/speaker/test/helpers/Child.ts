/**
 * A spawned daemon for the signal tests: its JSON log lines parsed as they
 * come, a wait for a line that matches, signals by pid, and its exit code.
 * Every child is killed (SIGKILL, by pid) if a test ends without stopping it.
 */
import { afterEach } from "bun:test"

export type Line = Record<string, unknown> & { readonly msg: string; readonly level: string }

export interface Child {
  readonly pid: number
  readonly lines: Array<Line>
  readonly stderr: () => Promise<string>
  /** Resolves with the first line (from `from` on) that matches; rejects after `ms` with the log so far. */
  readonly waitFor: (match: (l: Line) => boolean, ms?: number, from?: number) => Promise<Line>
  readonly signal: (s: "SIGTERM" | "SIGINT" | "SIGHUP") => void
  readonly exited: Promise<number>
}

const live = new Set<ReturnType<typeof Bun.spawn>>()
afterEach(() => {
  for (const p of live) if (p.exitCode === null) p.kill("SIGKILL")
  live.clear()
})

export const spawn = (argv: ReadonlyArray<string>, cwd: string): Child => {
  const proc = Bun.spawn(["bun", ...argv], { cwd, stdout: "pipe", stderr: "pipe", stdin: "ignore" })
  live.add(proc)
  const lines: Array<Line> = []
  const waiters = new Set<() => void>()
  void (async () => {
    const decoder = new TextDecoder()
    let buf = ""
    for await (const chunk of proc.stdout) {
      buf += decoder.decode(chunk, { stream: true })
      let nl: number
      while ((nl = buf.indexOf("\n")) >= 0) {
        const text = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        try {
          lines.push(JSON.parse(text) as Line)
        } catch {
          lines.push({ msg: text, level: "raw" })
        }
        for (const w of waiters) w()
      }
    }
  })()
  const stderrText = new Response(proc.stderr).text()
  return {
    pid: proc.pid,
    lines,
    stderr: () => stderrText,
    waitFor: (match, ms = 10_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(from).find(match)
          if (hit !== undefined) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve(hit)
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          const status = proc.exitCode === null ? "still running" : `exited with ${proc.exitCode}`
          reject(new Error(`no matching log line within ${ms} ms (${status}); log so far:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`))
        }, ms)
        waiters.add(check)
        check()
      }),
    signal: (s) => process.kill(proc.pid, s),
    exited: proc.exited
  }
}
