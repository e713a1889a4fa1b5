/**
 * A config file that cannot be used: every problem with its field path, the
 * expected form and (when known) the line, so one run lists everything to fix.
 */
import { Data } from "effect"

export interface Problem {
  /** `peers[1].asn`, or "(file)" for a problem with the file itself. */
  readonly path: string
  readonly message: string
  /** 1-based line in the file, when the path points at a node YAML placed. */
  readonly line?: number
}

export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly file: string
  readonly problems: ReadonlyArray<Problem>
}> {
  override get message(): string {
    return `${this.file}: ${this.problems.length === 1 ? "1 problem" : `${this.problems.length} problems`}\n${this.problems.map(formatProblem).join("\n")}`
  }
}

export const formatProblem = (p: Problem): string => `  ${p.path}: ${p.message}${p.line !== undefined ? ` (line ${p.line})` : ""}`
