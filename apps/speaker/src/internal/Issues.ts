/**
 * A Schema `ParseIssue` tree flattened into "path: message" lines, the way a
 * person fixing a config file wants them: `peers[1].asn: expected an AS number
 * 1..4294967295, got "65a"`. The leaf schemas (Fields.ts) already carry the
 * expected form in their messages; this walker adds the path, words unknown and
 * missing keys, and folds a failed union into one line naming its forms.
 */
import { Option, ParseResult, SchemaAST } from "effect"
import { show } from "./Fields.js"

export type Path = ReadonlyArray<PropertyKey>

export interface Issue {
  readonly path: Path
  readonly message: string
}

/** `peers[1].asn`; the root is "(top level)". */
export const formatPath = (path: Path): string => {
  let out = ""
  for (const k of path) {
    if (typeof k === "number") out += `[${k}]`
    else out += out.length === 0 ? String(k) : `.${String(k)}`
  }
  return out.length === 0 ? "(top level)" : out
}

const description = (ast: SchemaAST.AST): string | undefined =>
  Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast))

/** What a structural node expects, for a "got X" message. */
const expected = (ast: SchemaAST.AST): string => {
  const d = description(ast)
  if (d !== undefined) return d
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.indexSignatures.length > 0 && ast.propertySignatures.length === 0 ? "a mapping of names" : "a mapping"
    case "TupleType":
      return "a list"
    case "StringKeyword":
      return "a string"
    case "Refinement":
    case "Transformation":
      return expected(ast._tag === "Refinement" ? ast.from : ast.to)
    default:
      return String(ast)
  }
}

const keysOf = (ast: SchemaAST.AST): Array<string> => {
  if (ast._tag === "TypeLiteral") return ast.propertySignatures.map((p) => String(p.name))
  if (ast._tag === "Refinement") return keysOf(ast.from)
  if (ast._tag === "Transformation") return keysOf(ast.to)
  return []
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
const distance = (a: string, b: string): number => {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!
    d[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1))
      prev = tmp
    }
  }
  return d[b.length]!
}

const unknownKey = (key: PropertyKey, known: ReadonlyArray<string>): string => {
  const k = String(key)
  const close = known.filter((c) => distance(k, c) <= Math.max(1, Math.floor(c.length / 4))).sort((a, b) => distance(k, a) - distance(k, b))
  const hint = close.length > 0 ? `; did you mean ${JSON.stringify(close[0])}?` : known.length > 0 ? `; known fields: ${known.join(", ")}` : ""
  return `unknown field${hint}`
}

const walk = (issue: ParseResult.ParseIssue, path: Path, parent: SchemaAST.AST | undefined, out: Array<Issue>): void => {
  switch (issue._tag) {
    case "Pointer": {
      const p = Array.isArray(issue.path) ? issue.path : [issue.path]
      walk(issue.issue, [...path, ...p], parent, out)
      return
    }
    case "Unexpected":
      out.push({ path, message: unknownKey(path[path.length - 1] ?? "", parent === undefined ? [] : keysOf(parent)) })
      return
    case "Missing":
      out.push({ path, message: `is required: ${expected(issue.ast.type)}` })
      return
    case "Type":
    case "Forbidden":
      out.push({ path, message: issue.message ?? `expected ${expected(issue.ast)}, got ${show(issue.actual)}` })
      return
    case "Refinement":
      if (issue.kind === "From") walk(issue.issue, path, issue.ast.from, out)
      else walk(issue.issue, path, issue.ast, out)
      return
    case "Transformation":
      walk(issue.issue, path, issue.ast.to, out)
      return
    case "Composite": {
      const issues = Array.isArray(issue.issues) ? issue.issues : [issue.issues]
      if (issue.ast._tag === "Union") {
        // An optional field is a union with undefined: that member's complaint is noise.
        const members = issues.filter((i: ParseResult.ParseIssue) => !(i._tag === "Type" && i.ast._tag === "UndefinedKeyword"))
        // A union failed: if the value had the shape of one member (a mapping given
        // where a mapping is allowed), report that member's issues; else one line.
        const shallow = (i: ParseResult.ParseIssue) => i._tag === "Type" || (i._tag === "Transformation" && i.issue._tag === "Type" && i.issue.message?.includes(": ") !== true)
        const deep = members.length === 1 ? members : members.filter((i: ParseResult.ParseIssue) => !shallow(i))
        if (deep.length === 1) {
          walk(deep[0]!, path, issue.ast, out)
          return
        }
        out.push({ path, message: `expected ${expected(issue.ast)}, got ${show(issue.actual)}` })
        return
      }
      for (const i of issues) walk(i, path, issue.ast, out)
      return
    }
  }
}

/** Every problem the issue tree holds, in document order as Schema found them. */
export const flatten = (issue: ParseResult.ParseIssue): Array<Issue> => {
  const out: Array<Issue> = []
  walk(issue, [], undefined, out)
  return out
}
