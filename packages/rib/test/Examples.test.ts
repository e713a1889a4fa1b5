import { describe, expect, test } from "bun:test"
import { join } from "node:path"

const root = join(import.meta.dir, "..")
const command = "bun examples/quickstart.ts"

/** The lines of the README block that starts with `$ <command>`. */
const readmeOutput = (readme: string): Array<string> => {
  const start = readme.indexOf(`$ ${command}\n`)
  expect(start).toBeGreaterThanOrEqual(0)
  const body = readme.slice(start + command.length + 3)
  return body.slice(0, body.indexOf("```")).trimEnd().split("\n")
}

describe("the README example", () => {
  test("the README's code block is examples/quickstart.ts exactly", async () => {
    const readme = await Bun.file(join(root, "README.md")).text()
    const source = await Bun.file(join(root, "examples", "quickstart.ts")).text()
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
    expect(blocks).toEqual([source])
  })

  test("advertises two service IPs with the export policy's community, learns nothing, withdraws one, as the README shows", async () => {
    const readme = await Bun.file(join(root, "README.md")).text()
    const proc = Bun.spawn(command.split(" "), { cwd: root, stdout: "pipe", stderr: "pipe" })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect(err).toBe("")
    expect(code).toBe(0)
    const lines = out.trimEnd().split("\n")
    expect(lines).toEqual([
      "announce 203.0.113.10/32 203.0.113.11/32 | origin igp, as-path 65000, next-hop 10.0.0.1, communities [65000:100], large-communities [65000:1:0]",
      "1 UPDATE, 75 bytes",
      "from the ToR: received 1, installed 0, diff empty: true",
      "same desired state again, diff empty: true",
      "withdraw 203.0.113.11/32"
    ])
    expect(lines).toEqual(readmeOutput(readme))
  })
})
