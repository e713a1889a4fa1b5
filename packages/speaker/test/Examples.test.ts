import { expect, test } from "bun:test"
import { readFileSync } from "node:fs"

test("the README transport example runs: an MD5 + GTSM session over loopback carries a KEEPALIVE", async () => {
  const proc = Bun.spawn([process.execPath, "test/examples/transport.ts"], {
    cwd: `${import.meta.dir}/..`,
    stdout: "pipe",
    stderr: "pipe"
  })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  expect(err).toBe("")
  expect(code).toBe(0)
  expect(out.trim()).toBe("127.0.0.1 sent 19 bytes over TCP-MD5 with GTSM")
})

test("the README shows the example as it is in test/examples/transport.ts", () => {
  const readme = readFileSync(`${import.meta.dir}/../README.md`, "utf8")
  const shown = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? ""
  const example = readFileSync(`${import.meta.dir}/examples/transport.ts`, "utf8")
  expect(shown.replace(/\/\/ 127\.0\.0\.1 sent.*\n$/, "")).toBe(example)
})
