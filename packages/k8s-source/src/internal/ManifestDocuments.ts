/**
 * Pure core of the ManifestSource: one file's text → its objects, problems and ignored documents; all files →
 * stores. No I/O here, so every rule is unit-tested directly.
 */
import { Either } from "effect"
import { isMap, isNode, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml"
import type { Document } from "yaml"
import type { KindName } from "../Kinds.js"
import * as Kinds from "../Kinds.js"
import { ManifestError } from "../ManifestError.js"

export interface ManifestObject {
  readonly kind: KindName
  /** Store key (`namespace/name` or `name`). */
  readonly key: string
  readonly value: unknown
  readonly document: number
  readonly line: number | undefined
}

/** A valid Kubernetes document kbgp does not read (e.g. the seed's apps/v1 Deployment). Not a problem. */
export interface IgnoredDocument {
  readonly path: string
  readonly document: number
  readonly apiVersion: string
  readonly kind: string
  readonly name: string | undefined
}

export interface ParsedFile {
  readonly objects: ReadonlyArray<ManifestObject>
  readonly problems: ReadonlyArray<ManifestError>
  readonly ignored: ReadonlyArray<IgnoredDocument>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const levenshtein = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]!
}

/** The known kind (or alias) closest to `kind`, when it is a likely typo. */
export const suggestKind = (kind: string): string | undefined => {
  let best: { name: string; d: number } | undefined
  for (const def of Kinds.all) {
    for (const name of [def.name, ...def.aliases]) {
      const d = levenshtein(kind.toLowerCase(), name.toLowerCase())
      if (best === undefined || d < best.d) best = { name, d }
    }
  }
  return best !== undefined && best.d <= Math.max(2, Math.floor(kind.length / 6)) ? best.name : undefined
}

/** API groups kbgp reads from: an unknown kind there is most likely a mistake, not an unrelated object. */
const watchedGroups = new Set(["cilium.io"])

const firstLine = (s: string): string => s.split("\n")[0]!.trim().replace(/:$/, "")

/**
 * The one YAML mistake the seed guides invite: an unquoted value that ends in `:` (an IPv6 address such as
 * `fd00::`) after a key, which YAML reads as a nested mapping and rejects with a message that names neither.
 */
const syntaxHint = (sourceLine: string): string =>
  /^\s*(-\s+)?[^\s:#"'][^:#]*:\s+[^\s"'#][^#]*:\s*(#.*)?$/.test(sourceLine)
    ? ` (a value that ends in ":", such as the IPv6 address "fd00::", must be quoted)`
    : ""

/**
 * Parses one manifest file (YAML, multi-document, or JSON — JSON is YAML), dispatching each document by
 * apiVersion/kind. `List` kinds (`v1 List`, `ServiceList`, …) are expanded item by item, as kubectl does.
 * Namespaced objects without a namespace get `default`; cluster-scoped objects lose a stray namespace.
 */
export const parseFile = (path: string, text: string): ParsedFile => {
  const objects: Array<ManifestObject> = []
  const problems: Array<ManifestError> = []
  const ignored: Array<IgnoredDocument> = []
  const lineCounter = new LineCounter()
  const docs = parseAllDocuments(text, { lineCounter, merge: true, prettyErrors: true })
  const problem = (reason: ManifestError["reason"], document: number, line: number | undefined, detail: string) =>
    problems.push(new ManifestError({ reason, path, document, line, detail }))

  if (!Array.isArray(docs)) return { objects, problems, ignored } // empty stream

  docs.forEach((doc, index) => {
    const start = doc.contents?.range[0] ?? doc.range[0]
    const line = lineCounter.linePos(start).line
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!
      const at = e.linePos?.[0].line ?? line
      problem("Syntax", index, at, firstLine(e.message) + syntaxHint(text.split("\n")[at - 1] ?? ""))
      return
    }
    let json: unknown
    try {
      json = doc.toJS({ maxAliasCount: 1000 })
    } catch (e) {
      problem("Syntax", index, line, e instanceof Error ? firstLine(e.message) : String(e))
      return
    }
    if (json === null || json === undefined) return // empty document (only comments, or a bare `---`)
    const items = isRecord(json) && typeof json["kind"] === "string" && json["kind"].endsWith("List") && Array.isArray(json["items"])
      ? (json["items"] as ReadonlyArray<unknown>).map((item, i) => ({ item, where: `items[${i}]: `, prefix: ["items", i] }))
      : [{ item: json, where: "", prefix: [] }]
    for (const { item, prefix, where } of items) {
      const parsed = dispatch(path, index, item)
      switch (parsed._tag) {
        case "Object":
          objects.push({ ...parsed.object, line })
          break
        case "Ignored":
          ignored.push(parsed.ignored)
          break
        case "Problem": {
          const at = parsed.at === undefined ? undefined : [...prefix, ...parsed.at]
          problem(parsed.reason, index, at === undefined ? line : lineOf(doc, lineCounter, at) ?? line, where + parsed.detail)
          break
        }
      }
    }
  })
  return { objects, problems, ignored }
}

type Dispatched =
  | { readonly _tag: "Object"; readonly object: Omit<ManifestObject, "line"> }
  | { readonly _tag: "Ignored"; readonly ignored: IgnoredDocument }
  | {
    readonly _tag: "Problem"
    readonly reason: ManifestError["reason"]
    readonly detail: string
    /** The first offending field, to report its line. */
    readonly at?: ReadonlyArray<string | number>
  }

/**
 * The line of the field at `path`: its key's line in a mapping, its item's line in a sequence. A field that is
 * missing is reported at its closest ancestor that is there (a missing `metadata.name`: the `metadata:` line).
 */
const lineOf = (doc: Document, lineCounter: LineCounter, path: ReadonlyArray<string | number>): number | undefined => {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true)
    const segment = path[n - 1]
    let node: unknown
    if (isMap(parent)) node = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment)?.key
    else if (isSeq(parent) && typeof segment === "number") node = parent.items[segment]
    if (isNode(node) && node.range !== undefined && node.range !== null) return lineCounter.linePos(node.range[0]).line
  }
  return undefined
}

const dispatch = (path: string, document: number, item: unknown): Dispatched => {
  if (!isRecord(item)) {
    return { _tag: "Problem", reason: "NotAnObject", detail: "a manifest document must be a mapping with apiVersion, kind and metadata" }
  }
  const apiVersion = item["apiVersion"]
  const kind = item["kind"]
  if (typeof apiVersion !== "string" || typeof kind !== "string" || apiVersion === "" || kind === "") {
    return { _tag: "Problem", reason: "NotAnObject", detail: "apiVersion and kind are required (strings)" }
  }
  const resolved = Kinds.resolve(apiVersion, kind)
  if (resolved._tag === "WrongVersion") {
    return {
      _tag: "Problem",
      reason: "UnknownKind",
      detail: `${kind} is not served as ${apiVersion}; use apiVersion ${resolved.expected.join(" or ")}`
    }
  }
  if (resolved._tag === "Unknown") {
    const suggestion = suggestKind(kind)
    const { group } = Kinds.parseApiVersion(apiVersion)
    if (suggestion !== undefined || watchedGroups.has(group)) {
      return {
        _tag: "Problem",
        reason: "UnknownKind",
        detail: `unknown kind ${apiVersion} ${kind}` + (suggestion !== undefined ? `; did you mean ${suggestion}?` : "")
      }
    }
    const meta = item["metadata"]
    const name = isRecord(meta) && typeof meta["name"] === "string" ? meta["name"] : undefined
    return { _tag: "Ignored", ignored: { path, document, apiVersion, kind, name } }
  }
  const def = Kinds.Kinds[resolved.kind]
  const normalized = normalizeNamespace(def.namespaced, item)
  const decoded = Kinds.decodeObject(resolved.kind, normalized)
  if (Either.isLeft(decoded)) {
    const first = decoded.left.issues[0]
    return {
      _tag: "Problem",
      reason: "Schema",
      detail: decoded.left.message,
      ...(first !== undefined && first.at.length > 0 ? { at: first.at } : {})
    }
  }
  return {
    _tag: "Object",
    object: { kind: resolved.kind, key: Kinds.keyOf(resolved.kind, decoded.right), value: decoded.right, document }
  }
}

const normalizeNamespace = (namespaced: boolean, item: Record<string, unknown>): Record<string, unknown> => {
  const meta = item["metadata"]
  if (!isRecord(meta)) return item
  const ns = meta["namespace"]
  if (namespaced && (ns === undefined || ns === null || ns === "")) {
    return { ...item, metadata: { ...meta, namespace: "default" } }
  }
  if (!namespaced && ns !== undefined) {
    const { namespace: _drop, ...rest } = meta
    return { ...item, metadata: rest }
  }
  return item
}

// ---------------------------------------------------------------------------------------------------------------

export interface FileState {
  readonly path: string
  /** Objects in force for this file: the last good parse (all documents valid). */
  readonly objects: ReadonlyArray<ManifestObject>
}

export interface Combined {
  readonly stores: { readonly [K in KindName]?: ReadonlyMap<string, unknown> }
  readonly duplicates: ReadonlyArray<ManifestError>
}

/** All files' objects into one store per kind, files in path order; a repeated kind/key keeps the first. */
export const combine = (files: ReadonlyArray<FileState>): Combined => {
  const stores = new Map<KindName, Map<string, unknown>>()
  const origin = new Map<string, { path: string; document: number }>()
  const duplicates: Array<ManifestError> = []
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (const f of sorted) {
    for (const o of f.objects) {
      const id = `${o.kind}\u0000${o.key}`
      const first = origin.get(id)
      if (first !== undefined) {
        duplicates.push(
          new ManifestError({
            reason: "Duplicate",
            path: f.path,
            document: o.document,
            line: o.line,
            detail: `${o.kind} ${o.key} is already defined in ${first.path} (document ${first.document}); this one is ignored`
          })
        )
        continue
      }
      origin.set(id, { path: f.path, document: o.document })
      let store = stores.get(o.kind)
      if (store === undefined) {
        store = new Map()
        stores.set(o.kind, store)
      }
      store.set(o.key, o.value)
    }
  }
  return { stores: Object.fromEntries(stores) as Combined["stores"], duplicates }
}
