import { expect, test } from "bun:test"

const root = `${import.meta.dir}/..`

test("the README's code block is examples/quickstart.ts, less the file's header comment", async () => {
  const readme = await Bun.file(`${root}/README.md`).text()
  const source = (await Bun.file(`${root}/examples/quickstart.ts`).text()).replace(/^\/\*\*[\s\S]*?\*\/\n/, "")
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
  expect(blocks).toEqual([source])
})

test("the README quickstart runs and prints the decoded announcement", async () => {
  const proc = Bun.spawn(["bun", "examples/quickstart.ts"], { cwd: root, stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  expect(err).toBe("")
  expect(code).toBe(0)
  expect(out.trim()).toBe(
    "192.0.2.10/32 198.51.100.0/24 | origin igp, as-path 64512, next-hop 10.0.0.1, communities [64512:100 no-export]"
  )
})
