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

  test("two sessions reach Established, B receives A's UPDATE and A's shutdown reason, as the README shows", async () => {
    const readme = await Bun.file(join(root, "README.md")).text()
    const proc = Bun.spawn(command.split(" "), { cwd: root, stdout: "pipe", stderr: "pipe" })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect(err).toBe("")
    expect(code).toBe(0)
    const lines = out.trimEnd().split("\n")
    expect(lines).toEqual([
      "A: Established with AS65002, hold 90 s, keepalive 30 s, ipv4-unicast",
      "B: received 192.0.2.0/24 198.51.100.0/24 | origin igp, as-path 65001, next-hop 10.0.0.1",
      'B: NOTIFICATION Cease / Administrative Shutdown: "maintenance: back at 14:00"'
    ])
    expect(lines).toEqual(readmeOutput(readme))
  })
})
