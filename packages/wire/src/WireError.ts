/**
 * A decode failure that ends the session. It *is* the NOTIFICATION to send:
 * `code`/`subcode`/`data` go on the wire as they are; `detail` is for logs.
 */
import { Data } from "effect"

export type WireErrorReason = "Header" | "Open" | "Update" | "Notification" | "RouteRefresh" | "Keepalive"

export class WireError extends Data.TaggedError("WireError")<{
  readonly reason: WireErrorReason
  readonly code: number
  readonly subcode: number
  readonly data: Uint8Array
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail} (NOTIFICATION ${this.code}/${this.subcode})`
  }
}

export const make = (
  reason: WireErrorReason,
  code: number,
  subcode: number,
  detail: string,
  data: Uint8Array = new Uint8Array(0)
): WireError => new WireError({ reason, code, subcode, data, detail })

export const isWireError = (u: unknown): u is WireError => u instanceof WireError
