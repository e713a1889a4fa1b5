import { describe, expect, test } from "bun:test"
import { Either, SchemaAST } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Cli from "../src/Cli.js"
import * as Config from "../src/Config.js"
import * as S from "../src/internal/Schemas.js"

const ROOT = path.join(import.meta.dir, "../../..")
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), "utf8")
const example = read("apps/speaker/examples/speaker.yaml")
const docs = read("docs/speaker.md")

/** The first ```yaml block after `heading`. */
const yamlBlockAfter = (text: string, heading: string): string => {
  const at = text.indexOf(heading)
  expect(at).toBeGreaterThanOrEqual(0)
  const m = /```yaml\n([\s\S]*?)```/.exec(text.slice(at))
  expect(m).not.toBeNull()
  return m![1]!
}

const keys = (schema: { readonly ast: SchemaAST.AST }): Array<string> => {
  const ast = schema.ast
  return ast._tag === "TypeLiteral" ? ast.propertySignatures.map((p) => String(p.name)) : []
}

describe("documentation", () => {
  test("the example in docs/speaker.md is examples/speaker.yaml, and it is valid", () => {
    expect(yamlBlockAfter(docs, "### Example")).toBe(example)
    const r = Config.parse(example, { file: "examples/speaker.yaml" })
    expect(Either.isRight(r)).toBe(true)
  })

  test("the example in packages/speaker/README.md is the same file", () => {
    expect(yamlBlockAfter(read("packages/speaker/README.md"), "## `bun run speaker`")).toBe(example)
  })

  test("every field of the schema has a row in docs/speaker.md", () => {
    const rows = (section: string) => {
      const start = docs.indexOf(section)
      const end = docs.indexOf("\n### ", start + 1)
      return docs.slice(start, end < 0 ? undefined : end)
    }
    for (const k of keys(S.File)) expect(rows("### Top level")).toContain(`| \`${k}\` |`)
    for (const k of keys(S.Peer)) expect(rows("### Peers")).toContain(`| \`${k}\` |`)
    for (const k of keys(S.Route)) expect(rows("### Routes")).toContain(`| \`${k}\` |`)
    for (const k of keys(S.Match)) expect(rows("### Policies")).toContain(`| \`${k}\` |`)
  })

  test("the documented default status address is the one the CLI uses", () => {
    expect(docs).toContain(`\`${Cli.defaultStatus.host}:${Cli.defaultStatus.port}\``)
  })
})
