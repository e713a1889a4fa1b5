import { describe, expect, test } from "bun:test"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Report from "../../src/evil/Report.js"

const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="robustness header">
    <testcase name="marker not all ones → reset 1/1 [RFC 4271 §6.1]" classname="robustness header" time="0.02" />
    <testcase name="length 18 &amp; &quot;more&quot;" classname="robustness header" time="0.02">
      <failure message="expect(received).toEqual(expected)" type="AssertionError" />
    </testcase>
    <testcase name="unrelated" classname="something else" time="0.01" />
  </testsuite>
</testsuites>`

describe("bun run robustness summary", () => {
  test("counts robustness cases per category from the JUnit report, with failing names and cases that never ran", () => {
    const results = Report.parseJunit(xml)
    expect(results).toEqual([
      { category: "header", name: "marker not all ones → reset 1/1 [RFC 4271 §6.1]", passed: true },
      { category: "header", name: 'length 18 & "more"', passed: false }
    ])
    expect(Report.summarize(results, { header: 3, flow: 1 })).toEqual([
      { category: "header", tried: 3, passed: 1, failed: 2, failing: ['length 18 & "more"', "1 case(s) did not run (the file failed before them)"] },
      { category: "flow", tried: 1, passed: 0, failed: 1, failing: ["1 case(s) did not run (the file failed before them)"] }
    ])
    const table = Report.formatTable(Report.summarize(results, { header: 2 }))
    expect(table.split("\n")[0]).toMatch(/^category\s+tried\s+passed\s+failed\s+failing cases$/)
    expect(table).toContain('header        2       1       1  length 18 & "more"')
    expect(table.split("\n").at(-1)).toMatch(/^total\s+2\s+1\s+1$/)
  })

  test("the fuzz line reads last-run.json, or says the fuzzer has not run", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-report-"))
    try {
      expect(Report.fuzzLine(path.join(dir, "absent.json"))).toBe("fuzz: not run (bun run fuzz)")
      const file = path.join(dir, "last-run.json")
      fs.writeFileSync(file, JSON.stringify({ finishedAt: "2026-01-01T00:00:00Z", seed: 7, cases: 10_000_000, seconds: 120.5, findings: [{ kind: "exception", count: 2, error: "TypeError: x", file: "packages/wire/test/corpus/a.hex" }] }))
      expect(Report.fuzzLine(file)).toBe(
        "fuzz: 10,000,000 cases in 120.5 s (seed 7, 2026-01-01T00:00:00Z), 1 finding(s)\n  exception ×2: TypeError: x → packages/wire/test/corpus/a.hex"
      )
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
