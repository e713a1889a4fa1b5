/**
 * The UPDATE message body (RFC 4271 §4.3): Withdrawn Routes, Path Attributes and
 * the IPv4 unicast NLRI field, with the RFC 7606 error handling that belongs to the
 * message as a whole (field lengths, NLRI syntax, missing mandatory attributes).
 * Per-attribute rules live in `internal/PathAttributes`.
 */
import { AttrType, type Attributes } from "./Attributes.js"
import type { Context } from "./Context.js"
import { Afi, Ipv4Unicast, Safi, isPrefixFamily, key, type FamilyKey } from "./Family.js"
import type { AttributeIssue, MpReach, MpUnreach, Update } from "./Message.js"
import * as Prefixes from "./Prefixes.js"
import * as WireError from "./WireError.js"
import { decodePathAttributes, encodePathAttributes } from "./internal/PathAttributes.js"
import type { Writer } from "./internal/Writer.js"

export type { Update } from "./Message.js"

/** UPDATE Message Error (RFC 4271 §4.5) and the subcodes this module produces (§6.3). */
const UPDATE_ERROR = 3
const MALFORMED_ATTRIBUTE_LIST = 1
const INVALID_NETWORK_FIELD = 10

const malformed = (subcode: number, detail: string): WireError.WireError =>
  WireError.make("Update", UPDATE_ERROR, subcode, detail)

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const build = (
  withdrawn: Prefixes.Prefixes,
  attributes: Attributes,
  nlri: Prefixes.Prefixes,
  mpReach: MpReach | undefined,
  mpUnreach: MpUnreach | undefined,
  treatAsWithdraw: boolean,
  issues: ReadonlyArray<AttributeIssue>
): Update => {
  const u: Mutable<Update> = { _tag: "Update", withdrawn, attributes, nlri, treatAsWithdraw, issues }
  if (mpReach !== undefined) u.mpReach = mpReach
  if (mpUnreach !== undefined) u.mpUnreach = mpUnreach
  return u
}

const nlriCount = (n: Prefixes.Prefixes | Uint8Array): number => ("count" in n ? n.count : n.length)

/** True when the UPDATE advertises something: IPv4 NLRI, or NLRI inside MP_REACH_NLRI. */
export const hasReachability = (u: Pick<Update, "nlri" | "mpReach">): boolean =>
  u.nlri.count > 0 || (u.mpReach !== undefined && nlriCount(u.mpReach.nlri) > 0)

// ---------------------------------------------------------------------------
// Decode

/**
 * Decode an UPDATE body `bytes[start .. end)`. Never throws and never reads outside
 * the range. A WireError means session reset (it is the NOTIFICATION to send);
 * treat-as-withdraw and attribute-discard come back inside the Update.
 */
export const decodeBody = (bytes: Uint8Array, start: number, end: number, ctx: Context): Update | WireError.WireError => {
  // RFC 4271 §6.3, RFC 7606 §3 b: the two length fields must fit in the message → 3/1.
  if (end - start < 4) return malformed(MALFORMED_ATTRIBUTE_LIST, `UPDATE body of ${end - start} bytes cannot hold its length fields`)
  const withdrawnLength = (bytes[start]! << 8) | bytes[start + 1]!
  const withdrawnStart = start + 2
  const withdrawnEnd = withdrawnStart + withdrawnLength
  if (withdrawnEnd + 2 > end) {
    return malformed(MALFORMED_ATTRIBUTE_LIST, `Withdrawn Routes Length ${withdrawnLength} overruns the ${end - start}-byte body`)
  }
  const attributesLength = (bytes[withdrawnEnd]! << 8) | bytes[withdrawnEnd + 1]!
  const attributesStart = withdrawnEnd + 2
  const attributesEnd = attributesStart + attributesLength
  if (attributesEnd > end) {
    return malformed(MALFORMED_ATTRIBUTE_LIST, `Total Path Attribute Length ${attributesLength} overruns the ${end - start}-byte body`)
  }

  // RFC 7911 §3: path identifiers precede each prefix when ADD-PATH receive is on for IPv4 unicast.
  const addPath = ctx.addPath.has(Ipv4Unicast)

  // RFC 7606 §3 i, §5.3: the Withdrawn Routes field is checked "in the same manner as the NLRI field", and a
  // malformed one is a session reset with the NLRI field's subcode, Invalid Network Field (RFC 4271 §6.3).
  const withdrawn = Prefixes.decode(bytes, withdrawnStart, withdrawnEnd, Afi.Ipv4, addPath)
  if (typeof withdrawn === "string") return malformed(INVALID_NETWORK_FIELD, `Withdrawn Routes: ${withdrawn}`)

  const decoded = decodePathAttributes(bytes, attributesStart, attributesEnd, ctx)
  if (WireError.isWireError(decoded)) return decoded

  // RFC 4271 §6.3 (Invalid Network Field), RFC 7606 §3 j and §5.3: malformed NLRI field → session reset.
  const nlri = Prefixes.decode(bytes, attributesEnd, end, Afi.Ipv4, addPath)
  if (typeof nlri === "string") return malformed(INVALID_NETWORK_FIELD, `NLRI: ${nlri}`)

  const { attributes, mpReach, mpUnreach } = decoded
  let treatAsWithdraw = decoded.treatAsWithdraw
  let issues: ReadonlyArray<AttributeIssue> = decoded.issues
  const reach = nlri.count > 0 || (mpReach !== undefined && nlriCount(mpReach.nlri) > 0)

  if (reach) {
    const missing: Array<AttributeIssue> = []
    const need = (code: number, name: string, present: boolean): void => {
      // An attribute already dropped as malformed has its own issue; do not report it twice.
      if (!present && !issues.some((i) => i.code === code)) {
        missing.push({ code, action: "treat-as-withdraw", detail: `missing well-known mandatory attribute ${name}` })
      }
    }
    // RFC 7606 §3 d: a missing well-known mandatory attribute → treat-as-withdraw (RFC 4271 §5, RFC 4760 §3).
    need(AttrType.Origin, "ORIGIN", attributes.origin !== undefined)
    need(AttrType.AsPath, "AS_PATH", attributes.asPath !== undefined)
    // RFC 4760 §3 (noted in RFC 7606 §3 d): NEXT_HOP is needed only for the IPv4 NLRI field, not for MP_REACH_NLRI.
    // (A NEXT_HOP sent with MP_REACH_NLRI alone is kept as received; RFC 4760 §3 has the RIB ignore it.)
    if (nlri.count > 0) need(AttrType.NextHop, "NEXT_HOP", attributes.nextHop !== undefined)
    // LOCAL_PREF from an internal peer is not checked. RFC 4271 §5.1.5 and RFC 4760 §3 make the sender include it,
    // but it is well-known discretionary: RFC 4271 §6.3 and RFC 7606 §3 d define no error for its absence (only
    // for ORIGIN, AS_PATH, NEXT_HOP), and a missing LOCAL_PREF has a safe meaning (the local default).
    if (missing.length > 0) {
      treatAsWithdraw = true
      issues = [...issues, ...missing]
    }
  } else if (decoded.withdrawNotice !== undefined) {
    // RFC 7606 §5.2: attributes other than MP_UNREACH_NLRI, no reachable NLRI, and an error whose approach is
    // not attribute discard → session reset (every treat-as-withdraw finding comes from such an attribute or from
    // a list that no longer frames; MP attribute errors already reset). §3 a: the subcode and data say what the
    // error was, as RFC 4271 §6.3 sends them (e.g. 3/6 with the attribute for an undefined ORIGIN value).
    const n = decoded.withdrawNotice
    return WireError.make("Update", UPDATE_ERROR, n.subcode, `${n.detail} (in an UPDATE without reachable NLRI, RFC 7606 §5.2)`, n.data)
  }

  return build(withdrawn, attributes, nlri, mpReach, mpUnreach, treatAsWithdraw, issues)
}

// ---------------------------------------------------------------------------
// Encode

const writePrefixes = (w: Writer, p: Prefixes.Prefixes, addPath: boolean, field: string): void => {
  if (p.count === 0) return
  if (p.afi !== Afi.Ipv4) throw new RangeError(`the ${field} field carries IPv4 prefixes only (got AFI ${p.afi}); use MP_REACH/MP_UNREACH`)
  const n = Prefixes.byteLength(p, addPath)
  w.ensure(n)
  w.offset = Prefixes.encodeRange(p, 0, p.count, addPath, w.bytes, w.offset)
}

const patchLength16 = (w: Writer, at: number, field: string): void => {
  const n = w.offset - at - 2
  if (n > 0xffff) throw new RangeError(`${field} of ${n} bytes does not fit its 2-byte length`)
  w.patch16(at, n)
}

/**
 * Append the UPDATE body in canonical form: attributes via `encodePathAttributes`
 * (MP_REACH/MP_UNREACH first, then ascending type code), path ids when ADD-PATH send
 * is on for IPv4 unicast. `treatAsWithdraw` and `issues` are receive-side facts and
 * are not encoded.
 */
export const encodeBody = (w: Writer, u: Update, ctx: Context): void => {
  const addPath = ctx.addPath.has(Ipv4Unicast)
  const withdrawnAt = w.mark(2)
  writePrefixes(w, u.withdrawn, addPath, "Withdrawn Routes")
  patchLength16(w, withdrawnAt, "Withdrawn Routes")
  const attributesAt = w.mark(2)
  encodePathAttributes(w, u.attributes, u.mpReach, u.mpUnreach, ctx)
  patchLength16(w, attributesAt, "Path Attributes")
  writePrefixes(w, u.nlri, addPath, "NLRI")
}

// ---------------------------------------------------------------------------
// Building updates

/** Routes of one family to announce: prefixes and the next hop to reach them by. */
export interface Routes {
  readonly afi: Afi
  readonly safi: Safi
  /**
   * Next hop bytes: 4 (IPv4), 16 (IPv6 global) or 32 (global + link-local). For IPv4
   * unicast it may be left out when `attributes.nextHop` is set.
   */
  readonly nextHop?: Uint8Array
  readonly prefixes: Prefixes.Prefixes
}

export interface MakeOptions {
  /** IPv4 unicast Withdrawn Routes field. */
  readonly withdrawn?: Prefixes.Prefixes
  readonly attributes?: Attributes
  /** IPv4 unicast NLRI field. */
  readonly nlri?: Prefixes.Prefixes
  readonly mpReach?: MpReach
  readonly mpUnreach?: MpUnreach
}

const NO_ATTRIBUTES: Attributes = {}
const NO_ISSUES: ReadonlyArray<AttributeIssue> = []

/** An UPDATE from the parts given; absent fields are empty. */
export const make = (options: MakeOptions = {}): Update =>
  build(
    options.withdrawn ?? Prefixes.empty(Afi.Ipv4),
    options.attributes ?? NO_ATTRIBUTES,
    options.nlri ?? Prefixes.empty(Afi.Ipv4),
    options.mpReach,
    options.mpUnreach,
    false,
    NO_ISSUES
  )

/**
 * Whether routes of this family travel in the IPv4 NLRI field with a NEXT_HOP
 * attribute (IPv4 unicast with a 4-byte next hop) rather than in MP_REACH_NLRI.
 */
export const usesNlriField = (afi: Afi, safi: Safi, nextHop: Uint8Array | undefined): boolean =>
  afi === Afi.Ipv4 && safi === Safi.Unicast && (nextHop === undefined || nextHop.length === 4)

const withoutNextHop = (a: Attributes): Attributes => {
  if (a.nextHop === undefined) return a
  const { nextHop: _, ...rest } = a
  return rest
}

/**
 * An UPDATE announcing `routes` with `attributes`: IPv4 unicast with an IPv4 next hop
 * goes in the NLRI field with a NEXT_HOP attribute; every other case in MP_REACH_NLRI
 * (RFC 4760 §3), without a NEXT_HOP attribute. One message, no size check: use
 * `Pack.packUpdates` to split a large block into messages that fit.
 */
export const announce = (attributes: Attributes, routes: Routes): Update => {
  const { afi, safi, prefixes } = routes
  if (prefixes.afi !== afi) throw new RangeError(`prefixes of AFI ${prefixes.afi} announced as AFI ${afi}`)
  const nextHop = routes.nextHop ?? (afi === Afi.Ipv4 && safi === Safi.Unicast ? attributes.nextHop : undefined)
  if (nextHop === undefined) throw new RangeError(`no next hop for ${afi}/${safi} routes`)
  if (usesNlriField(afi, safi, nextHop)) {
    return make({ attributes: attributes.nextHop === nextHop ? attributes : { ...attributes, nextHop }, nlri: prefixes })
  }
  return make({ attributes: withoutNextHop(attributes), mpReach: { afi, safi, nextHop, nlri: prefixes } })
}

/** An UPDATE withdrawing `prefixes`: the Withdrawn Routes field for IPv4 unicast, MP_UNREACH_NLRI otherwise. */
export const withdraw = (afi: Afi, safi: Safi, prefixes: Prefixes.Prefixes): Update => {
  if (prefixes.afi !== afi) throw new RangeError(`prefixes of AFI ${prefixes.afi} withdrawn as AFI ${afi}`)
  return afi === Afi.Ipv4 && safi === Safi.Unicast
    ? make({ withdrawn: prefixes })
    : make({ mpUnreach: { afi, safi, withdrawn: prefixes } })
}

// ---------------------------------------------------------------------------
// End-of-RIB (RFC 4724 §2)

/** RFC 4724 §2: IPv4 unicast → an empty UPDATE; any other family → only an MP_UNREACH_NLRI with no NLRI. */
export const endOfRib = (afi: Afi, safi: Safi): Update =>
  afi === Afi.Ipv4 && safi === Safi.Unicast
    ? make()
    : make({ mpUnreach: { afi, safi, withdrawn: isPrefixFamily(afi, safi) ? Prefixes.empty(afi) : new Uint8Array(0) } })

const isEmptyAttributes = (a: Attributes): boolean => {
  for (const k in a) {
    const v = a[k as keyof Attributes]
    if (v === undefined) continue
    if (k === "unknown" && (v as ReadonlyArray<unknown>).length === 0) continue
    return false
  }
  return true
}

/** The family an End-of-RIB marker stands for (RFC 4724 §2), or undefined for any other UPDATE. */
export const isEndOfRib = (u: Update): FamilyKey | undefined => {
  if (u.withdrawn.count > 0 || u.nlri.count > 0 || u.mpReach !== undefined) return undefined
  // A malformed attribute was still an attribute: such an UPDATE is not "only MP_UNREACH_NLRI".
  if (u.treatAsWithdraw || u.issues.length > 0 || !isEmptyAttributes(u.attributes)) return undefined
  if (u.mpUnreach === undefined) return Ipv4Unicast
  return nlriCount(u.mpUnreach.withdrawn) === 0 ? key(u.mpUnreach.afi, u.mpUnreach.safi) : undefined
}
