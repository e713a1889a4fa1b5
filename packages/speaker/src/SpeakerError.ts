/** The typed failures of the speaker's API. Bugs are defects, not these. */
import { Data } from "effect"

export type Reason =
  /** The desired state is not valid: `path` names the field ("peers[2].address"), `detail` the expected form. */
  | "Config"
  /** The listener could not be opened (address in use, no permission for port 179, ...); the old one, if any, stays. */
  | "Listener"
  /** An introspection call named a peer the speaker does not have. */
  | "UnknownPeer"
  /** The speaker was stopped; `apply` is refused. */
  | "Stopped"

export class SpeakerError extends Data.TaggedError("SpeakerError")<{
  readonly reason: Reason
  /** The field path for "Config" ("routes[3].communities[0]"), the peer name for "UnknownPeer", else "". */
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return this.path === "" ? `${this.reason}: ${this.detail}` : `${this.reason} ${this.path}: ${this.detail}`
  }
}

export const config = (path: string, detail: string): SpeakerError => new SpeakerError({ reason: "Config", path, detail })
