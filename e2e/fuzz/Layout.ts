/**
 * Where the length fields and attributes of a (valid) message lie, so that the
 * mutator can lie in exactly those fields and splice whole attributes. A small
 * independent walk over the bytes, deliberately not the codec's own decoder (a
 * bug shared by both would hide itself). It stops quietly at anything it does
 * not understand: seeds are valid, but a scan of an already mutated message is
 * best effort.
 */
import type { Context } from "@kbgp/wire"
import { Family } from "@kbgp/wire"

export type FieldKind =
  | "message-length"
  | "opt-params-length"
  | "param-length"
  | "capability-length"
  | "fqdn-length"
  | "withdrawn-length"
  | "attrs-length"
  | "attribute-length"
  | "attribute-flags"
  | "prefix-length"
  | "segment-length"
  | "segment-type"
  | "next-hop-length"
  | "shutdown-length"

export interface Field {
  readonly kind: FieldKind
  readonly at: number
  /** 1 or 2 bytes, big-endian. */
  readonly size: 1 | 2
}

export interface Span {
  readonly start: number
  readonly end: number
}

export interface Layout {
  readonly type: number
  readonly fields: ReadonlyArray<Field>
  /** UPDATE: each path attribute, header included. */
  readonly attributes: ReadonlyArray<Span>
  /** UPDATE: the path attribute block, and where its 2-byte length sits. */
  readonly attributeBlock?: Span & { readonly lengthAt: number }
}

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!

/** Prefix length bytes of an NLRI block `[start, end)` (RFC 4271 §4.3, RFC 7911 path ids). */
const prefixes = (b: Uint8Array, start: number, end: number, pathIds: boolean, fields: Array<Field>): void => {
  let o = start
  while (o < end) {
    if (pathIds) o += 4
    if (o >= end) return
    const bits = b[o]!
    fields.push({ kind: "prefix-length", at: o, size: 1 })
    o += 1 + ((bits + 7) >>> 3)
  }
}

const asPath = (b: Uint8Array, start: number, end: number, width: number, fields: Array<Field>): void => {
  let o = start
  while (o + 2 <= end) {
    fields.push({ kind: "segment-type", at: o, size: 1 }, { kind: "segment-length", at: o + 1, size: 1 })
    o += 2 + b[o + 1]! * width
  }
}

const open = (b: Uint8Array, end: number, fields: Array<Field>): void => {
  if (end < 29) return
  fields.push({ kind: "opt-params-length", at: 28, size: 1 })
  let o = 29
  let extended = false
  // RFC 9072: Non-Ext OP Len 255, Non-Ext OP Type 255, then a 2-byte length and 2-byte parameter lengths.
  if (b[28] === 255 && b[29] === 255 && end >= 32) {
    extended = true
    fields.push({ kind: "opt-params-length", at: 30, size: 2 })
    o = 32
  }
  while (o < end) {
    const type = b[o]!
    const len = extended ? (o + 3 <= end ? u16(b, o + 1) : 0) : (b[o + 1] ?? 0)
    fields.push({ kind: "param-length", at: o + 1, size: extended ? 2 : 1 })
    const body = o + (extended ? 3 : 2)
    const stop = Math.min(end, body + len)
    if (type === 2) {
      let c = body
      while (c + 2 <= stop) {
        const code = b[c]!
        const clen = b[c + 1]!
        fields.push({ kind: "capability-length", at: c + 1, size: 1 })
        if (code === 73 && clen >= 1 && c + 2 < stop) {
          // FQDN: hostname length, hostname, domain length, domain.
          const h = c + 2
          fields.push({ kind: "fqdn-length", at: h, size: 1 })
          const d = h + 1 + b[h]!
          if (d < stop) fields.push({ kind: "fqdn-length", at: d, size: 1 })
        }
        c += 2 + clen
      }
    }
    o = body + len
  }
}

const update = (b: Uint8Array, end: number, ctx: Context.Context, fields: Array<Field>, attributes: Array<Span>): Layout["attributeBlock"] => {
  if (end < 23) return undefined
  fields.push({ kind: "withdrawn-length", at: 19, size: 2 })
  const wEnd = 21 + u16(b, 19)
  if (wEnd + 2 > end) return undefined
  prefixes(b, 21, wEnd, ctx.addPath.has(Family.Ipv4Unicast), fields)
  fields.push({ kind: "attrs-length", at: wEnd, size: 2 })
  const aStart = wEnd + 2
  const aEnd = Math.min(end, aStart + u16(b, wEnd))
  let o = aStart
  while (o + 3 <= aEnd) {
    const flags = b[o]!
    const code = b[o + 1]!
    const ext = (flags & 0x10) !== 0
    const len = ext ? (o + 4 <= aEnd ? u16(b, o + 2) : 0) : b[o + 2]!
    fields.push({ kind: "attribute-flags", at: o, size: 1 }, { kind: "attribute-length", at: o + 2, size: ext ? 2 : 1 })
    const v = o + (ext ? 4 : 3)
    const vEnd = Math.min(aEnd, v + len)
    attributes.push({ start: o, end: vEnd })
    if (code === 2) asPath(b, v, vEnd, ctx.asn4 ? 4 : 2, fields)
    else if (code === 17) asPath(b, v, vEnd, 4, fields)
    else if (code === 14 && v + 5 <= vEnd) {
      const afi = u16(b, v)
      const safi = b[v + 2]!
      fields.push({ kind: "next-hop-length", at: v + 3, size: 1 })
      const n = v + 5 + b[v + 3]!
      if (Family.isPrefixFamily(afi, safi)) prefixes(b, n, vEnd, ctx.addPath.has(Family.key(afi, safi)), fields)
    } else if (code === 15 && v + 3 <= vEnd) {
      const afi = u16(b, v)
      const safi = b[v + 2]!
      if (Family.isPrefixFamily(afi, safi)) prefixes(b, v + 3, vEnd, ctx.addPath.has(Family.key(afi, safi)), fields)
    }
    o = v + len
  }
  prefixes(b, aEnd, end, ctx.addPath.has(Family.Ipv4Unicast), fields)
  return { start: aStart, end: aEnd, lengthAt: wEnd }
}

/** Scan one whole message (`bytes` holds exactly it). */
export const scan = (bytes: Uint8Array, ctx: Context.Context): Layout => {
  const fields: Array<Field> = [{ kind: "message-length", at: 16, size: 2 }]
  const attributes: Array<Span> = []
  if (bytes.length < 19) return { type: 0, fields, attributes }
  const type = bytes[18]!
  const end = bytes.length
  let attributeBlock: Layout["attributeBlock"]
  if (type === 1) open(bytes, end, fields)
  else if (type === 2) attributeBlock = update(bytes, end, ctx, fields, attributes)
  else if (type === 3 && end >= 22 && bytes[19] === 6 && (bytes[20] === 2 || bytes[20] === 4)) {
    fields.push({ kind: "shutdown-length", at: 21, size: 1 })
  }
  return attributeBlock === undefined ? { type, fields, attributes } : { type, fields, attributes, attributeBlock }
}
