/**
 * ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3): AFI (2), subtype (1), SAFI (1).
 * RFC 2918 called the subtype byte Reserved; RFC 7313 gave it values.
 */
import type { Context } from "./Context.js"
import type { Afi, Safi } from "./Family.js"
import type { RouteRefresh } from "./Message.js"
import * as WireError from "./WireError.js"
import type { Writer } from "./internal/Writer.js"

export type { RouteRefresh } from "./Message.js"

/** RFC 7313 §3.2 message subtypes. */
export const Subtype = { Request: 0, BeginningOfRouteRefresh: 1, EndOfRouteRefresh: 2 } as const

export const make = (afi: Afi, safi: Safi, subtype: number = Subtype.Request): RouteRefresh => ({
  _tag: "RouteRefresh",
  afi,
  safi,
  subtype
})

/**
 * The complete message rebuilt from its body, for the 7/1 data: when the body
 * comes from a framed message the header is known to be the canonical one.
 */
const wholeMessage = (bytes: Uint8Array, start: number, end: number): Uint8Array => {
  const length = end - start + 19
  const out = new Uint8Array(length)
  out.fill(0xff, 0, 16)
  out[16] = length >>> 8
  out[17] = length
  out[18] = 5
  out.set(bytes.subarray(start, end), 19)
  return out
}

/**
 * Decode the body `bytes[start .. end)`. RFC 7313 §5: a length other than 23
 * is ROUTE-REFRESH Message Error / Invalid Message Length with the complete
 * message as data. (§5 names subtypes 1 and 2; we hold subtype 0 to it as
 * well, since we never negotiate ORF (RFC 5291), the only thing that lengthens it.)
 */
export const decodeBody = (bytes: Uint8Array, start: number, end: number, _ctx?: Context): RouteRefresh | WireError.WireError => {
  if (end - start !== 4) {
    return WireError.make(
      "RouteRefresh",
      7,
      1,
      `ROUTE-REFRESH length ${end - start + 19}, expected 23`,
      wholeMessage(bytes, start, end)
    )
  }
  return make((bytes[start]! << 8) | bytes[start + 1]!, bytes[start + 3]!, bytes[start + 2]!)
}

export const encodeBody = (w: Writer, msg: RouteRefresh, _ctx?: Context): void => {
  w.u16(msg.afi)
  w.u8(msg.subtype)
  w.u8(msg.safi)
}
