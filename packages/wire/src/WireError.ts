/**
 * A decode failure that ends the session. It *is* the NOTIFICATION to send:
 * `code`/`subcode`/`data` go on the wire as they are; `detail` is for logs.
 * `data` is therefore never longer than a 4096-byte NOTIFICATION can carry.
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

/**
 * The most data a NOTIFICATION can carry: RFC 4271 §4.1 caps a message at 4096
 * bytes, of which the header takes 19 and error code and subcode 2 (§4.5). RFC
 * 8654 does not help: a NOTIFICATION may have to go out before, or without, the
 * extended-message negotiation.
 */
export const MAX_DATA = 4096 - 19 - 2

/**
 * A decode error. Data longer than `MAX_DATA` (the "complete message" RFC 7313 §5
 * asks for, or an attribute of an RFC 8654 extended UPDATE) is cut to its first
 * `MAX_DATA` bytes, so that the error can always be sent as it is.
 */
export const make = (
  reason: WireErrorReason,
  code: number,
  subcode: number,
  detail: string,
  data: Uint8Array = new Uint8Array(0)
): WireError =>
  new WireError({ reason, code, subcode, data: data.length > MAX_DATA ? data.subarray(0, MAX_DATA) : data, detail })

export const isWireError = (u: unknown): u is WireError => u instanceof WireError
