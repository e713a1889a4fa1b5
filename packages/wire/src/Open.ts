/**
 * OPEN (RFC 4271 §4.2) with Capabilities optional parameters (RFC 5492) in the
 * classic or the RFC 9072 extended layout. `decodeBody` checks the layout and the
 * version only. The value rules (AS 0, expected peer AS, BGP Identifier, Hold Time
 * 1–2, unsupported capabilities) are the FSM's (`@kbgp/fsm` Negotiation.check), with
 * the subcodes in `Notification.OpenSubcode`.
 */
import * as Capability from "./Capability.js"
import type { Context } from "./Context.js"
import type { Open } from "./Message.js"
import * as WireError from "./WireError.js"
import type { Writer } from "./internal/Writer.js"

export type { Open } from "./Message.js"

/** RFC 6793 §9: the 2-octet stand-in for a 4-octet AS. */
export const AS_TRANS = 23456

export const VERSION = 4

/** RFC 5492 §4: optional parameter type of Capabilities. */
export const PARAM_CAPABILITIES = 2
/** RFC 9072 §2: the Non-Ext OP Type value that announces the extended layout. */
export const PARAM_EXTENDED_LENGTH = 255

/** Build an OPEN; the AS may be 4-octet (My AS becomes AS_TRANS; add a FourOctetAs capability yourself). */
export const make = (fields: {
  readonly asn: number
  readonly holdTime: number
  readonly bgpId: number
  readonly capabilities?: ReadonlyArray<Capability.Capability>
}): Open => ({
  _tag: "Open",
  version: VERSION,
  myAs: fields.asn > 0xffff ? AS_TRANS : fields.asn,
  holdTime: fields.holdTime,
  bgpId: fields.bgpId >>> 0,
  capabilities: fields.capabilities ?? []
})

/** Every capability of one kind, in received order (several MP or ADD-PATH capabilities are normal). */
export const capabilities = <T extends Capability.Capability["_tag"]>(
  open: Open,
  tag: T
): Array<Extract<Capability.Capability, { readonly _tag: T }>> =>
  open.capabilities.filter((c): c is Extract<Capability.Capability, { readonly _tag: T }> => c._tag === tag)

/** The first capability of one kind, if any. */
export const capability = <T extends Capability.Capability["_tag"]>(
  open: Open,
  tag: T
): Extract<Capability.Capability, { readonly _tag: T }> | undefined =>
  open.capabilities.find((c): c is Extract<Capability.Capability, { readonly _tag: T }> => c._tag === tag)

/** The speaker's real AS: the 4-octet AS capability when present (RFC 6793 §3), else My Autonomous System. */
export const asn = (open: Open): number => capability(open, "FourOctetAs")?.asn ?? open.myAs

const openError = (subcode: number, detail: string, data?: Uint8Array): WireError.WireError =>
  WireError.make("Open", 2, subcode, detail, data)

/**
 * Walk the capabilities packed in one Capabilities parameter value `[start, end)`.
 * RFC 5492 §4: one or more capabilities per parameter.
 */
const decodeCapabilities = (
  bytes: Uint8Array,
  start: number,
  end: number,
  out: Array<Capability.Capability>
): WireError.WireError | undefined => {
  let o = start
  while (o < end) {
    // RFC 5492 §4 / RFC 4271 §6.2: a capability that does not fit its parameter is malformed (CVE-2022-40302 shape).
    if (end - o < 2) return openError(0, `capability header at offset ${o - start} needs 2 bytes, ${end - o} left in the parameter`)
    const code = bytes[o]!
    const length = bytes[o + 1]!
    o += 2
    if (length > end - o) {
      return openError(0, `${Capability.name(code)} capability length ${length} runs past its parameter (${end - o} bytes left)`)
    }
    const cap = Capability.decode(code, bytes, o, o + length)
    if (WireError.isWireError(cap)) return cap
    out.push(cap)
    o += length
  }
  return undefined
}

/** Decode the body `bytes[start .. end)` of an OPEN. Never throws, never reads outside the range. */
export const decodeBody = (bytes: Uint8Array, start: number, end: number, _ctx?: Context): Open | WireError.WireError => {
  // RFC 4271 §4.2: 10 fixed bytes (a shorter OPEN fails the header check; repeated for direct callers).
  if (end - start < 10) {
    const length = end - start + 19
    return WireError.make("Header", 1, 2, `OPEN body of ${end - start} bytes < 10`, Uint8Array.of(length >>> 8, length & 0xff))
  }
  const version = bytes[start]!
  // RFC 4271 §6.2: unsupported version → 2/1, data = the largest supported version below the peer's (2 octets).
  if (version !== VERSION) return openError(1, `unsupported BGP version ${version}`, Uint8Array.of(0, VERSION))
  const myAs = (bytes[start + 1]! << 8) | bytes[start + 2]!
  const holdTime = (bytes[start + 3]! << 8) | bytes[start + 4]!
  const bgpId = ((bytes[start + 5]! << 24) | (bytes[start + 6]! << 16) | (bytes[start + 7]! << 8) | bytes[start + 8]!) >>> 0
  const optLength = bytes[start + 9]!
  let o = start + 10
  let extended = false
  let paramsEnd: number
  // RFC 9072 §2: a non-zero Non-Ext OP Len followed by Non-Ext OP Type 255 announces the extended layout;
  // the Non-Ext OP Len itself is then ignored (§3: even when it is not 255).
  if (optLength !== 0 && o < end && bytes[o] === PARAM_EXTENDED_LENGTH) {
    if (end - o < 3) return openError(0, `extended optional parameters length needs 3 bytes, ${end - o} left`)
    extended = true
    paramsEnd = o + 3 + ((bytes[o + 1]! << 8) | bytes[o + 2]!)
    o += 3
  } else {
    paramsEnd = o + optLength
  }
  // The optional parameters must fit the message exactly. RFC 4271 §6.2 names no subcode for a length that
  // disagrees with the message, so 2/0 Unspecific (§6.2's rule for a recognised but malformed parameter).
  if (paramsEnd > end) {
    return openError(0, `optional parameters length ${paramsEnd - o} runs past the message (${end - o} bytes left)`)
  }
  if (paramsEnd < end) return openError(0, `${end - paramsEnd} bytes after the optional parameters`)
  const headerLength = extended ? 3 : 2
  const caps: Array<Capability.Capability> = []
  while (o < paramsEnd) {
    // A parameter header cut short by the end of the field (CVE-2022-43681 shape) → 2/0 (RFC 4271 §6.2).
    if (paramsEnd - o < headerLength) {
      return openError(0, `optional parameter header needs ${headerLength} bytes, ${paramsEnd - o} left`)
    }
    const type = bytes[o]!
    const length = extended ? (bytes[o + 1]! << 8) | bytes[o + 2]! : bytes[o + 1]!
    const valueAt = o + headerLength
    if (length > paramsEnd - valueAt) {
      return openError(0, `optional parameter ${type} length ${length} runs past the optional parameters (${paramsEnd - valueAt} bytes left)`)
    }
    // RFC 4271 §6.2: unrecognised optional parameter → 2/4; RFC 9072 §3: so is type 255 anywhere but the
    // first parameter position. Data is the parameter, as BIRD sends (RFC 4271 names none; it helps the peer).
    if (type !== PARAM_CAPABILITIES) {
      return openError(4, `unsupported optional parameter ${type}`, bytes.slice(o, valueAt + length))
    }
    const error = decodeCapabilities(bytes, valueAt, valueAt + length, caps)
    if (error !== undefined) return error
    o = valueAt + length
  }
  return { _tag: "Open", version, myAs, holdTime, bgpId, capabilities: caps }
}

/**
 * Append the body. All capabilities go in one Capabilities parameter; the RFC 9072
 * extended layout is used only when the parameters exceed 255 bytes (§2: SHOULD).
 * An OPEN without capabilities has no optional parameters.
 */
export const encodeBody = (w: Writer, msg: Open, _ctx?: Context): void => {
  w.u8(msg.version)
  w.u16(msg.myAs)
  w.u16(msg.holdTime)
  w.u32(msg.bgpId)
  if (msg.capabilities.length === 0) {
    w.u8(0)
    return
  }
  // Write the classic layout; if it overflows, shift the capabilities 4 bytes right for the extended one.
  const optAt = w.mark(1)
  w.u8(PARAM_CAPABILITIES)
  const paramLengthAt = w.mark(1)
  const capsAt = w.offset
  for (const cap of msg.capabilities) Capability.encode(w, cap)
  const capsLength = w.offset - capsAt
  if (capsLength + 2 <= 255) {
    w.patch8(optAt, capsLength + 2)
    w.patch8(paramLengthAt, capsLength)
    return
  }
  // RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, Extended Opt. Parm. Length (2),
  // then parameters with a 2-byte length: type 2, length (2), capabilities.
  w.ensure(4)
  const b = w.bytes
  b.copyWithin(capsAt + 4, capsAt, capsAt + capsLength)
  w.offset += 4
  b[optAt] = 255
  b[optAt + 1] = PARAM_EXTENDED_LENGTH
  w.patch16(optAt + 2, capsLength + 3)
  b[optAt + 4] = PARAM_CAPABILITIES
  w.patch16(optAt + 5, capsLength)
}
