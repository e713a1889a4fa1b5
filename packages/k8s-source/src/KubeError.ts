/**
 * The one typed error of the Kubernetes client. `reason` says what went wrong, `target` names the URL or the
 * object (`Service default/web`), and `detail` is the human-readable part (the API server's Status message
 * when there is one).
 */
import { Data } from "effect"

export type Reason =
  | "Config"
  | "Unreachable"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "Gone"
  | "Conflict"
  | "Decode"
  | "Server"
  | "Timeout"

export class KubeError extends Data.TaggedError("KubeError")<{
  readonly reason: Reason
  /** URL, file path or object the failure concerns. */
  readonly target: string
  readonly detail: string
  /** HTTP status, when the failure came from a response. */
  readonly status?: number
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.reason}: ${this.target}: ${this.detail}`
  }
}

/** Maps an HTTP status of a failed API call to a reason. */
export const reasonOfStatus = (status: number): Reason => {
  switch (status) {
    case 401:
      return "Unauthorized"
    case 403:
      return "Forbidden"
    case 404:
      return "NotFound"
    case 409:
      return "Conflict"
    case 410:
      return "Gone"
    case 408:
    case 504:
      return "Timeout"
    default:
      return "Server"
  }
}
