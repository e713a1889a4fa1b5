/** A manifest document that could not be used. Its file's last good state stays in force. */
import { Data } from "effect"

export type ManifestErrorReason =
  /** The file could not be read. */
  | "Read"
  /** YAML or JSON syntax error. */
  | "Syntax"
  /** A document without `apiVersion`/`kind`, or not an object. */
  | "NotAnObject"
  /** A cilium.io kind kbgp does not know, or a known kind under an apiVersion it is not served as. */
  | "UnknownKind"
  /** The object does not match its kind's schema. */
  | "Schema"
  /** Two documents define the same kind and key; the first one (by path, then index) wins. */
  | "Duplicate"

export class ManifestError extends Data.TaggedError("ManifestError")<{
  readonly reason: ManifestErrorReason
  /** Path of the file, as found under the manifest directory (absolute). */
  readonly path: string
  /** 0-based index of the document in a multi-document file; undefined when the whole file failed. */
  readonly document: number | undefined
  /** 1-based line where the document (or the syntax error) starts, when known. */
  readonly line: number | undefined
  readonly detail: string
}> {
  override get message(): string {
    const where = [
      this.path,
      this.document !== undefined ? `document ${this.document}` : undefined,
      this.line !== undefined ? `line ${this.line}` : undefined
    ]
      .filter((s) => s !== undefined)
      .join(", ")
    return `${where}: ${this.reason}: ${this.detail}`
  }
}
