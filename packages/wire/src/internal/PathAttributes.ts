/**
 * The Path Attributes field of an UPDATE (RFC 4271 §4.3, §5) with the revised
 * error handling of RFC 7606: every malformed attribute yields an action —
 * attribute discard, treat-as-withdraw, or session reset (a `WireError`, the
 * NOTIFICATION to send). The most severe action wins (RFC 7606 §3 h).
 *
 * Decoding:
 *   `decodePathAttributes(bytes, start, end, ctx)` reads `bytes[start, end)`, never
 *   throws, never reads outside the range, and copies every value it keeps.
 *
 * Encoding (used by `Update.encodeBody` and by `Pack`):
 *   `encodePathAttributes(w, attributes, mpReach, mpUnreach, ctx)` writes the whole
 *   field (without its 2-byte length): MP_REACH_NLRI, MP_UNREACH_NLRI (RFC 7606 §5.1:
 *   first), then the others by ascending type code, unknown ones merged in by code.
 *   Extended Length is set iff a value exceeds 255 bytes.
 *
 *   Pack fills an UPDATE to the size limit with these pieces:
 *     - `attributesByteLength(attributes, ctx)`: exact bytes `encodeAttributes` writes
 *       (every attribute except MP_REACH/MP_UNREACH);
 *     - `mpReachByteLength(nextHopLength, nlriBytes)` / `mpUnreachByteLength(nlriBytes)`:
 *       exact bytes of an MP attribute, header included, whose NLRI take `nlriBytes`
 *       (`Prefixes.rangeSize` or a running sum of `Prefixes.encodedSize`);
 *     - `encodeMpReach(w, mpReach, ctx, from, to)` / `encodeMpUnreach(w, mpUnreach, ctx, from, to)`:
 *       the attribute carrying only prefixes `[from, to)` of its `Prefixes` block;
 *     - `encodeAttributes(w, attributes, ctx)`: the rest, after the MP attribute.
 *   So: `mark(2)`, `encodeMpReach(..., from, to)`, `encodeAttributes(...)`, patch the length.
 *
 * Encoding adapts AS numbers to the session (RFC 6793 §4.2.2): on a 2-octet session an AS
 * above 65535 in AS_PATH or AGGREGATOR is written as AS_TRANS; the caller supplies
 * AS4_PATH / AS4_AGGREGATOR. On a 4-octet session those two are never written (RFC 6793 §4.1),
 * and confederation segments are never written in AS4_PATH (§4.2.2).
 * Empty segments and empty list-valued attributes are not written (they would be malformed);
 * segments longer than 255 AS numbers are split into consecutive segments of the same type.
 * Values are otherwise written as given, and decoded as sent: removing repeated large
 * communities (RFC 8092 §3) happens here, with `uniqueLargeCommunities`.
 *
 * Every rule below cites its section; `docs/rfc-compliance.md` lists them all with their tests.
 */
import type { AsPath, AsPathSegment, Attributes, UnknownAttribute } from "../Attributes.js"
import { AttrFlag, AttrType, SegmentType } from "../Attributes.js"
import { AS_TRANS, firstAs } from "../AsPath.js"
import type { Context } from "../Context.js"
import * as Family from "../Family.js"
import { UpdateSubcode } from "../Notification.js"
import type { AttributeIssue, MpReach, MpUnreach } from "../Message.js"
import * as Prefixes from "../Prefixes.js"
import * as WireError from "../WireError.js"
import type { Writer } from "./Writer.js"

/** UPDATE Message Error subcodes (RFC 4271 §6.3), from the IANA table in `Notification`. */
export { UpdateSubcode }

const UPDATE_MESSAGE_ERROR = 3

/** The NOTIFICATION (code 3) RFC 4271 §6.3 prescribes for a finding: subcode and data. */
export interface Notice {
  readonly subcode: number
  readonly data: Uint8Array
  readonly detail: string
}

export interface DecodedAttributes {
  readonly attributes: Attributes
  readonly mpReach: MpReach | undefined
  readonly mpUnreach: MpUnreach | undefined
  /** Every discard / treat-as-withdraw finding, in the order met. */
  readonly issues: Array<AttributeIssue>
  /** True when any finding is treat-as-withdraw (RFC 7606 §2). */
  readonly treatAsWithdraw: boolean
  /**
   * The NOTIFICATION the first treat-as-withdraw finding would have sent under RFC 4271 §6.3.
   * RFC 7606 §5.2 turns treat-as-withdraw into a session reset when the UPDATE carries no
   * reachable NLRI, and §3 a keeps the subcode saying what the error was: `Update` sends this.
   */
  readonly withdrawNotice: Notice | undefined
}

type MutableAttributes = { -readonly [K in keyof Attributes]: Attributes[K] }

const O = AttrFlag.Optional
const T = AttrFlag.Transitive
const P = AttrFlag.Partial
const X = AttrFlag.ExtendedLength
const WELL_KNOWN = T
const OPTIONAL_TRANSITIVE = O | T
const OPTIONAL_NON_TRANSITIVE = O

/** Optional and Transitive bits each recognised attribute is defined with; -1 for codes this codec does not know. */
const DEFINED_FLAGS = new Int16Array(256).fill(-1)
DEFINED_FLAGS[AttrType.Origin] = WELL_KNOWN // RFC 4271 §5.1.1
DEFINED_FLAGS[AttrType.AsPath] = WELL_KNOWN // RFC 4271 §5.1.2
DEFINED_FLAGS[AttrType.NextHop] = WELL_KNOWN // RFC 4271 §5.1.3
DEFINED_FLAGS[AttrType.Med] = OPTIONAL_NON_TRANSITIVE // RFC 4271 §5.1.4
DEFINED_FLAGS[AttrType.LocalPref] = WELL_KNOWN // RFC 4271 §5.1.5
DEFINED_FLAGS[AttrType.AtomicAggregate] = WELL_KNOWN // RFC 4271 §5.1.6
DEFINED_FLAGS[AttrType.Aggregator] = OPTIONAL_TRANSITIVE // RFC 4271 §5.1.7
DEFINED_FLAGS[AttrType.Communities] = OPTIONAL_TRANSITIVE // RFC 1997
DEFINED_FLAGS[AttrType.OriginatorId] = OPTIONAL_NON_TRANSITIVE // RFC 4456 §8
DEFINED_FLAGS[AttrType.ClusterList] = OPTIONAL_NON_TRANSITIVE // RFC 4456 §8
DEFINED_FLAGS[AttrType.MpReachNlri] = OPTIONAL_NON_TRANSITIVE // RFC 4760 §3
DEFINED_FLAGS[AttrType.MpUnreachNlri] = OPTIONAL_NON_TRANSITIVE // RFC 4760 §4
DEFINED_FLAGS[AttrType.ExtendedCommunities] = OPTIONAL_TRANSITIVE // RFC 4360 §2
DEFINED_FLAGS[AttrType.As4Path] = OPTIONAL_TRANSITIVE // RFC 6793 §3
DEFINED_FLAGS[AttrType.As4Aggregator] = OPTIONAL_TRANSITIVE // RFC 6793 §3
DEFINED_FLAGS[AttrType.Ipv6ExtendedCommunities] = OPTIONAL_TRANSITIVE // RFC 5701 §2
DEFINED_FLAGS[AttrType.LargeCommunities] = OPTIONAL_TRANSITIVE // RFC 8092 §2
DEFINED_FLAGS[AttrType.Otc] = OPTIONAL_TRANSITIVE // RFC 9234 §5

/** True for the type codes this codec interprets. */
export const isRecognized = (code: number): boolean => code >= 0 && code <= 255 && DEFINED_FLAGS[code]! >= 0

/** Attributes seen so far in the current decode, one bit per type code (decoding is synchronous, so one set suffices). */
const seen = new Int32Array(8)

const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0

const readU32s = (b: Uint8Array, start: number, end: number): Uint32Array => {
  const out = new Uint32Array((end - start) >>> 2)
  for (let i = 0, o = start; o < end; i++, o += 4) out[i] = u32(b, o)
  return out
}

const hex2 = (n: number): string => n.toString(16).padStart(2, "0")

const NO_DATA = new Uint8Array(0)

/**
 * RFC 8092 §3: redundant large communities removed, the first occurrence kept; `values` itself
 * when there are none. The decoder applies it to every LARGE_COMMUNITIES it accepts.
 */
export const uniqueLargeCommunities = (values: Uint32Array): Uint32Array => {
  const n = values.length
  // Fewer than two values, or not whole values (a caller bug, written as given).
  if (n <= 3 || n % 3 !== 0) return values
  let dup = false
  let keys: Set<string> | undefined
  if (n <= 48) {
    // Few values (the usual case): compare pairwise, no allocation.
    for (let i = 3; i < n && !dup; i += 3) {
      for (let j = 0; j < i; j += 3) {
        if (values[i] === values[j] && values[i + 1] === values[j + 1] && values[i + 2] === values[j + 2]) {
          dup = true
          break
        }
      }
    }
  } else {
    keys = new Set()
    for (let i = 0; i < n; i += 3) keys.add(`${values[i]}:${values[i + 1]}:${values[i + 2]}`)
    dup = keys.size * 3 !== n
  }
  if (!dup) return values
  const seenKeys = new Set<string>()
  const out: Array<number> = []
  for (let i = 0; i < n; i += 3) {
    const k = `${values[i]}:${values[i + 1]}:${values[i + 2]}`
    if (seenKeys.has(k)) continue
    seenKeys.add(k)
    out.push(values[i]!, values[i + 1]!, values[i + 2]!)
  }
  return Uint32Array.from(out)
}

const optionalAttributeError = (bytes: Uint8Array, at: number, end: number, detail: string): WireError.WireError =>
  // RFC 4271 §6.3 / RFC 4760 §7: Optional Attribute Error, data = the attribute (type, length, value).
  WireError.make("Update", UPDATE_MESSAGE_ERROR, UpdateSubcode.OptionalAttributeError, detail, bytes.slice(at, end))

/**
 * AS_PATH / AS4_PATH segments (RFC 4271 §4.3 b) of `width`-byte AS numbers, or the
 * reason they are malformed (RFC 7606 §7.2; RFC 6793 §6 for AS4_PATH).
 */
const parseSegments = (b: Uint8Array, start: number, end: number, width: number): AsPath | string => {
  const path: Array<AsPathSegment> = []
  let o = start
  while (o < end) {
    // RFC 7606 §7.2: one octet left cannot hold a segment header (underrun).
    if (end - o < 2) return `segment header underrun at offset ${o - start}`
    const type = b[o]!
    const n = b[o + 1]!
    // RFC 7606 §7.2: an unrecognised segment type.
    if (type < SegmentType.AsSet || type > SegmentType.ConfedSet) return `unknown segment type ${type} at offset ${o - start}`
    // RFC 7606 §7.2: a segment length of zero.
    if (n === 0) return `zero-length segment at offset ${o - start}`
    o += 2
    // RFC 7606 §7.2: the segment overruns the attribute.
    if (o + n * width > end) return `segment of ${n} AS numbers overruns the attribute at offset ${o - 2 - start}`
    const asns: Array<number> = []
    if (width === 4) {
      for (let i = 0; i < n; i++, o += 4) asns.push(u32(b, o))
    } else {
      for (let i = 0; i < n; i++, o += 2) asns.push((b[o]! << 8) | b[o + 1]!)
    }
    path.push({ type: type as SegmentType, asns })
  }
  return path
}

const hasAs0 = (path: AsPath): boolean => {
  for (let i = 0; i < path.length; i++) if (path[i]!.asns.includes(0)) return true
  return false
}

const isConfed = (s: AsPathSegment): boolean => s.type === SegmentType.ConfedSequence || s.type === SegmentType.ConfedSet

const hasConfed = (path: AsPath): boolean => {
  for (let i = 0; i < path.length; i++) if (isConfed(path[i]!)) return true
  return false
}

/** RFC 4760 §3, RFC 2545 §3, RFC 8950 §3: next-hop lengths the prefix families allow. */
const nextHopLengthOk = (afi: number, key: Family.FamilyKey, n: number, ctx: Context): boolean =>
  afi === Family.Afi.Ipv4
    ? n === 4 || ((n === 16 || n === 32) && ctx.extendedNextHop.has(key))
    : n === 16 || n === 32

const decodeMpReach = (bytes: Uint8Array, at: number, vs: number, ve: number, ctx: Context): MpReach | WireError.WireError => {
  // RFC 4760 §3: AFI (2), SAFI (1), next-hop length (1), next hop, reserved (1), NLRI.
  if (ve - vs < 5) return optionalAttributeError(bytes, at, ve, `MP_REACH_NLRI of ${ve - vs} bytes is too short`)
  const afi = (bytes[vs]! << 8) | bytes[vs + 1]!
  const safi = bytes[vs + 2]!
  const nhLength = bytes[vs + 3]!
  const nhStart = vs + 4
  const nlriStart = nhStart + nhLength + 1
  // RFC 7606 §7.11: a next hop that hides where the NLRI starts → session reset.
  if (nlriStart > ve) {
    return optionalAttributeError(bytes, at, ve, `MP_REACH_NLRI next-hop length ${nhLength} runs past the attribute`)
  }
  const key = Family.key(afi, safi)
  const prefixFamily = Family.isPrefixFamily(afi, safi)
  // RFC 7606 §7.11: next-hop length inconsistent with the AFI/SAFI → session reset (we do not disable AFI/SAFIs).
  if (prefixFamily && !nextHopLengthOk(afi, key, nhLength, ctx)) {
    return optionalAttributeError(bytes, at, ve, `MP_REACH_NLRI next-hop length ${nhLength} is wrong for ${Family.format(key)}`)
  }
  const nextHop = bytes.slice(nhStart, nhStart + nhLength)
  // RFC 4760 §3: the reserved octet (the old SNPA count) is ignored.
  if (!prefixFamily) return { afi, safi, nextHop, nlri: bytes.slice(nlriStart, ve) }
  const nlri = Prefixes.decode(bytes, nlriStart, ve, afi, ctx.addPath.has(key))
  // RFC 7606 §5.3: NLRI that cannot be parsed cannot be treated as withdrawn → session reset.
  if (typeof nlri === "string") return optionalAttributeError(bytes, at, ve, `MP_REACH_NLRI ${Family.format(key)}: ${nlri}`)
  return { afi, safi, nextHop, nlri }
}

const decodeMpUnreach = (bytes: Uint8Array, at: number, vs: number, ve: number, ctx: Context): MpUnreach | WireError.WireError => {
  // RFC 4760 §4: AFI (2), SAFI (1), withdrawn routes.
  if (ve - vs < 3) return optionalAttributeError(bytes, at, ve, `MP_UNREACH_NLRI of ${ve - vs} bytes is too short`)
  const afi = (bytes[vs]! << 8) | bytes[vs + 1]!
  const safi = bytes[vs + 2]!
  const key = Family.key(afi, safi)
  if (!Family.isPrefixFamily(afi, safi)) return { afi, safi, withdrawn: bytes.slice(vs + 3, ve) }
  const withdrawn = Prefixes.decode(bytes, vs + 3, ve, afi, ctx.addPath.has(key))
  // RFC 7606 §5.3 / §7.12: withdrawn routes that cannot be parsed → session reset.
  if (typeof withdrawn === "string") return optionalAttributeError(bytes, at, ve, `MP_UNREACH_NLRI ${Family.format(key)}: ${withdrawn}`)
  return { afi, safi, withdrawn }
}

const issue = (issues: Array<AttributeIssue>, code: number, action: AttributeIssue["action"], detail: string): void => {
  issues.push({ code, action, detail })
}

/** First treat-as-withdraw notice of the current decode (decoding is synchronous, like `seen`). */
let notice: Notice | undefined

/**
 * A treat-as-withdraw finding, with the NOTIFICATION RFC 4271 §6.3 would have sent for it
 * (data `bytes[dataFrom, dataTo)`, copied only for the first one, the one RFC 7606 §5.2 may send).
 */
const withdraw = (
  issues: Array<AttributeIssue>,
  code: number,
  subcode: number,
  bytes: Uint8Array,
  dataFrom: number,
  dataTo: number,
  detail: string
): void => {
  issues.push({ code, action: "treat-as-withdraw", detail })
  if (notice === undefined) notice = { subcode, data: dataTo > dataFrom ? bytes.slice(dataFrom, dataTo) : NO_DATA, detail }
}

/**
 * Decode the Path Attributes field `bytes[start, end)`. Session-reset cases return a
 * `WireError` (code 3, subcode and data per RFC 4271 §6.3); everything else is reported
 * in `issues` and summarised in `treatAsWithdraw`.
 */
export const decodePathAttributes = (
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: Context
): DecodedAttributes | WireError.WireError => {
  const attrs: MutableAttributes = {}
  let mpReach: MpReach | undefined
  let mpUnreach: MpUnreach | undefined
  let unknown: Array<UnknownAttribute> | undefined
  const issues: Array<AttributeIssue> = []
  seen.fill(0)
  notice = undefined
  let o = start
  while (o < end) {
    const at = o
    const flags = bytes[o]!
    const headerLength = (flags & X) !== 0 ? 4 : 3
    const code = end - o >= 2 ? bytes[o + 1]! : -1
    const haveHeader = end - o >= headerLength
    const vs = o + headerLength
    const ve = haveHeader ? vs + (headerLength === 4 ? (bytes[o + 2]! << 8) | bytes[o + 3]! : bytes[o + 2]!) : end + 1
    if (ve > end) {
      // RFC 7606 §3 j, §5.3: an MP attribute cut short cannot be parsed, so its NLRI cannot be withdrawn → reset.
      if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) {
        return WireError.make(
          "Update",
          UPDATE_MESSAGE_ERROR,
          UpdateSubcode.MalformedAttributeList,
          `attribute ${code} runs past the end of the path attributes`
        )
      }
      // RFC 7606 §4: a header or value past the field end → treat-as-withdraw; the NLRI is located by Total
      // Attribute Length. The list no longer frames, so the notice is Malformed Attribute List (RFC 4271 §6.3).
      withdraw(
        issues,
        code < 0 ? 0 : code,
        UpdateSubcode.MalformedAttributeList,
        bytes,
        0,
        0,
        !haveHeader
          ? `attribute header needs ${headerLength} bytes, ${end - o} left`
          : `attribute ${code} of ${ve - vs} bytes runs past the end of the path attributes (${end - vs} left)`
      )
      break
    }
    o = ve
    const len = ve - vs

    const word = code >>> 5
    const bit = 1 << (code & 31)
    if ((seen[word]! & bit) !== 0) {
      // RFC 7606 §3 g: MP_REACH_NLRI or MP_UNREACH_NLRI twice → Malformed Attribute List.
      if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) {
        return WireError.make("Update", UPDATE_MESSAGE_ERROR, UpdateSubcode.MalformedAttributeList, `attribute ${code} appears twice`)
      }
      // RFC 7606 §3 g: any other repeat is discarded, the first occurrence stands.
      issue(issues, code, "discard", `attribute ${code} repeated; the first occurrence is kept`)
      continue
    }
    seen[word] = seen[word]! | bit

    const defined = DEFINED_FLAGS[code]!
    if (defined < 0) {
      // RFC 4271 §6.3: an unrecognised well-known attribute → reset, data = the attribute.
      if ((flags & O) === 0) {
        return WireError.make(
          "Update",
          UPDATE_MESSAGE_ERROR,
          UpdateSubcode.UnrecognizedWellKnownAttribute,
          `unrecognized well-known attribute ${code}`,
          bytes.slice(at, ve)
        )
      }
      // RFC 4271 §5: an unrecognised optional transitive attribute is kept, with the Partial bit set.
      if ((flags & T) !== 0) (unknown ??= []).push({ flags: (flags & (O | T)) | P, code, value: bytes.slice(vs, ve) })
      // RFC 4271 §5: an unrecognised optional non-transitive attribute is quietly ignored.
      continue
    }

    // RFC 7606 §7.5, §7.9, §7.10: from an external peer, LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST
    // are discarded whatever their content (checked before the flags: the attribute is ignored wholesale).
    if (ctx.ebgp && (code === AttrType.LocalPref || code === AttrType.OriginatorId || code === AttrType.ClusterList)) {
      issue(issues, code, "discard", `attribute ${code} from an external peer`)
      continue
    }
    // RFC 6793 §4.1, §6: AS4_PATH / AS4_AGGREGATOR from a NEW speaker are discarded (whatever their content).
    if (ctx.asn4 && (code === AttrType.As4Path || code === AttrType.As4Aggregator)) {
      issue(issues, code, "discard", `attribute ${code} on a 4-octet AS session`)
      continue
    }
    // From here a notice's data, where RFC 4271 §6.3 names one, is the whole attribute: bytes[at, ve).
    if ((flags & (O | T)) !== defined) {
      const detail = `attribute ${code} has flags 0x${hex2(flags)}, conflicting with its definition`
      // RFC 7606 §5.3: MP_REACH_NLRI / MP_UNREACH_NLRI with flags inconsistent with RFC 4760 are incorrect →
      // session reset (we do not disable AFI/SAFIs), Optional Attribute Error with the attribute (RFC 4760 §7).
      if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) return optionalAttributeError(bytes, at, ve, detail)
      // RFC 7606 §3 c: Optional/Transitive conflicting with the definition → treat-as-withdraw (Partial, Extended
      // Length and the unused low bits are not part of the check); RFC 4271 §6.3: Attribute Flags Error.
      withdraw(issues, code, UpdateSubcode.AttributeFlagsError, bytes, at, ve, detail)
      continue
    }

    switch (code) {
      case AttrType.Origin: {
        // RFC 7606 §7.1: length not 1 or an undefined value → treat-as-withdraw
        // (RFC 4271 §6.3: Attribute Length Error, or Invalid ORIGIN Attribute).
        if (len !== 1) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `ORIGIN of ${len} bytes`)
          break
        }
        if (bytes[vs]! > 2) {
          withdraw(issues, code, UpdateSubcode.InvalidOriginAttribute, bytes, at, ve, `ORIGIN value ${bytes[vs]}`)
          break
        }
        attrs.origin = bytes[vs] as 0 | 1 | 2
        break
      }
      case AttrType.AsPath: {
        // RFC 7606 §7.2: a malformed AS_PATH → treat-as-withdraw (an empty AS_PATH is legal); RFC 4271 §6.3:
        // Malformed AS_PATH, which names no data — the same notice for every AS_PATH finding below.
        const path = parseSegments(bytes, vs, ve, ctx.asn4 ? 4 : 2)
        if (typeof path === "string") {
          withdraw(issues, code, UpdateSubcode.MalformedAsPath, bytes, 0, 0, `malformed AS_PATH: ${path}`)
          break
        }
        // RFC 7607 §2: AS 0 in AS_PATH → malformed, handled per RFC 7606 (treat-as-withdraw).
        if (hasAs0(path)) {
          withdraw(issues, code, UpdateSubcode.MalformedAsPath, bytes, 0, 0, "AS_PATH contains AS 0")
          break
        }
        if (ctx.ebgp) {
          // RFC 5065 §5: confederation segments from a peer outside the confederation → malformed AS_PATH.
          if (hasConfed(path)) {
            withdraw(issues, code, UpdateSubcode.MalformedAsPath, bytes, 0, 0, "AS_PATH from an external peer contains confederation segments")
            break
          }
          // RFC 4271 §6.3 as revised by RFC 7606 §7.2: the leftmost AS must be the peer's, in the leading
          // AS_SEQUENCE that RFC 4271 §5.1.2 makes an external peer send; unchecked without a peer AS (route servers).
          if (ctx.peerAs !== undefined) {
            const want = ctx.asn4 || ctx.peerAs <= 0xffff ? ctx.peerAs : AS_TRANS
            const first = firstAs(path)
            if (first !== want) {
              withdraw(
                issues,
                code,
                UpdateSubcode.MalformedAsPath,
                bytes,
                0,
                0,
                first === undefined
                  ? `AS_PATH from an external peer does not start with an AS_SEQUENCE (peer AS ${want})`
                  : `AS_PATH leftmost AS ${first} is not the peer AS ${want}`
              )
              break
            }
          }
        }
        attrs.asPath = path
        break
      }
      case AttrType.NextHop: {
        // RFC 7606 §7.3: length not 4 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len !== 4) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `NEXT_HOP of ${len} bytes`)
          break
        }
        // RFC 4271 §6.3 (per RFC 7606 §3 e): not a valid host address — 0/8, 127/8, multicast and class E →
        // treat-as-withdraw; the notice is Invalid NEXT_HOP Attribute with the attribute.
        const a = bytes[vs]!
        if (a === 0 || a === 127 || a >= 224) {
          withdraw(
            issues,
            code,
            UpdateSubcode.InvalidNextHopAttribute,
            bytes,
            at,
            ve,
            `NEXT_HOP ${a}.${bytes[vs + 1]}.${bytes[vs + 2]}.${bytes[vs + 3]} is not a host address`
          )
          break
        }
        attrs.nextHop = bytes.slice(vs, ve)
        break
      }
      case AttrType.Med: {
        // RFC 7606 §7.4: length not 4 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len !== 4) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `MULTI_EXIT_DISC of ${len} bytes`)
          break
        }
        attrs.med = u32(bytes, vs)
        break
      }
      case AttrType.LocalPref: {
        // RFC 7606 §7.5: from an internal peer, length not 4 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len !== 4) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `LOCAL_PREF of ${len} bytes`)
          break
        }
        attrs.localPref = u32(bytes, vs)
        break
      }
      case AttrType.AtomicAggregate: {
        // RFC 7606 §7.6: length not 0 → attribute discard.
        if (len !== 0) {
          issue(issues, code, "discard", `ATOMIC_AGGREGATE of ${len} bytes`)
          break
        }
        attrs.atomicAggregate = true
        break
      }
      case AttrType.Aggregator: {
        // RFC 7606 §7.7: length not 8 (4-octet AS session) or 6 (2-octet) → attribute discard.
        const want = ctx.asn4 ? 8 : 6
        if (len !== want) {
          issue(issues, code, "discard", `AGGREGATOR of ${len} bytes, expected ${want}`)
          break
        }
        const asn = ctx.asn4 ? u32(bytes, vs) : (bytes[vs]! << 8) | bytes[vs + 1]!
        // RFC 7607 §2: AS 0 in AGGREGATOR → malformed, handled per RFC 7606 §7.7 (attribute discard).
        if (asn === 0) {
          issue(issues, code, "discard", "AGGREGATOR carries AS 0")
          break
        }
        attrs.aggregator = { asn, address: u32(bytes, ve - 4) }
        break
      }
      case AttrType.Communities: {
        // RFC 7606 §7.8: length not a non-zero multiple of 4 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len === 0 || (len & 3) !== 0) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `COMMUNITIES of ${len} bytes`)
          break
        }
        attrs.communities = readU32s(bytes, vs, ve)
        break
      }
      case AttrType.OriginatorId: {
        // RFC 7606 §7.9: from an internal peer, length not 4 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len !== 4) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `ORIGINATOR_ID of ${len} bytes`)
          break
        }
        attrs.originatorId = u32(bytes, vs)
        break
      }
      case AttrType.ClusterList: {
        // RFC 7606 §7.10: from an internal peer, length not a non-zero multiple of 4 → treat-as-withdraw
        // (RFC 4271 §6.3: Attribute Length Error).
        if (len === 0 || (len & 3) !== 0) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `CLUSTER_LIST of ${len} bytes`)
          break
        }
        attrs.clusterList = readU32s(bytes, vs, ve)
        break
      }
      case AttrType.MpReachNlri: {
        const r = decodeMpReach(bytes, at, vs, ve, ctx)
        if (r instanceof WireError.WireError) return r
        mpReach = r
        break
      }
      case AttrType.MpUnreachNlri: {
        const r = decodeMpUnreach(bytes, at, vs, ve, ctx)
        if (r instanceof WireError.WireError) return r
        mpUnreach = r
        break
      }
      case AttrType.ExtendedCommunities: {
        // RFC 7606 §7.14: length not a non-zero multiple of 8 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len === 0 || (len & 7) !== 0) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `EXTENDED_COMMUNITIES of ${len} bytes`)
          break
        }
        attrs.extendedCommunities = bytes.slice(vs, ve)
        break
      }
      case AttrType.As4Path: {
        // RFC 6793 §6: too short for one AS number, or malformed segments → attribute discard.
        const path = len === 0 ? "empty" : parseSegments(bytes, vs, ve, 4)
        if (typeof path === "string") {
          issue(issues, code, "discard", `malformed AS4_PATH: ${path}`)
          break
        }
        // RFC 7607 §2: AS 0 in AS4_PATH → malformed, handled per RFC 6793 §6 (attribute discard).
        if (hasAs0(path)) {
          issue(issues, code, "discard", "AS4_PATH contains AS 0")
          break
        }
        // RFC 6793 §6: confederation segments in AS4_PATH are removed and processing continues.
        if (hasConfed(path)) {
          issue(issues, code, "discard", "AS4_PATH confederation segments removed")
          const kept = path.filter((s) => !isConfed(s))
          if (kept.length > 0) attrs.as4Path = kept
          break
        }
        attrs.as4Path = path
        break
      }
      case AttrType.As4Aggregator: {
        // RFC 6793 §6: length not 8 → attribute discard.
        if (len !== 8) {
          issue(issues, code, "discard", `AS4_AGGREGATOR of ${len} bytes`)
          break
        }
        const asn = u32(bytes, vs)
        // RFC 7607 §2: AS 0 in AS4_AGGREGATOR → malformed, handled per RFC 6793 §6 (attribute discard).
        if (asn === 0) {
          issue(issues, code, "discard", "AS4_AGGREGATOR carries AS 0")
          break
        }
        attrs.as4Aggregator = { asn, address: u32(bytes, vs + 4) }
        break
      }
      case AttrType.Ipv6ExtendedCommunities: {
        // RFC 7606 §7.15: length not a non-zero multiple of 20 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length
        // Error); unknown types and sub-types are not errors (§7.15), so only the length is checked.
        if (len === 0 || len % 20 !== 0) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `IPv6 EXTENDED_COMMUNITIES of ${len} bytes`)
          break
        }
        attrs.ipv6ExtendedCommunities = bytes.slice(vs, ve)
        break
      }
      case AttrType.LargeCommunities: {
        // RFC 8092 §6: length not a non-zero multiple of 12 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len === 0 || len % 12 !== 0) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `LARGE_COMMUNITIES of ${len} bytes`)
          break
        }
        // RFC 8092 §6: repeated values do not make it malformed; §3: the receiver MUST silently remove them.
        attrs.largeCommunities = uniqueLargeCommunities(readU32s(bytes, vs, ve))
        break
      }
      case AttrType.Otc: {
        // RFC 9234 §5: length not 4 → treat-as-withdraw (RFC 4271 §6.3: Attribute Length Error).
        if (len !== 4) {
          withdraw(issues, code, UpdateSubcode.AttributeLengthError, bytes, at, ve, `OTC of ${len} bytes`)
          break
        }
        attrs.otc = u32(bytes, vs)
        break
      }
    }
  }
  if (unknown !== undefined) attrs.unknown = unknown
  const withdrawNotice = notice
  notice = undefined
  return { attributes: attrs, mpReach, mpUnreach, issues, treatAsWithdraw: withdrawNotice !== undefined, withdrawNotice }
}

// ---------------------------------------------------------------------------
// Encode

/** Type codes of the non-MP attributes in the order they are written. */
const ORDER: ReadonlyArray<number> = [
  AttrType.Origin,
  AttrType.AsPath,
  AttrType.NextHop,
  AttrType.Med,
  AttrType.LocalPref,
  AttrType.AtomicAggregate,
  AttrType.Aggregator,
  AttrType.Communities,
  AttrType.OriginatorId,
  AttrType.ClusterList,
  AttrType.ExtendedCommunities,
  AttrType.As4Path,
  AttrType.As4Aggregator,
  AttrType.Ipv6ExtendedCommunities,
  AttrType.LargeCommunities,
  AttrType.Otc
]

/** Header bytes plus value bytes for a value of `n` bytes (RFC 4271 §4.3: Extended Length past 255). */
const withHeader = (n: number): number => (n > 255 ? 4 : 3) + n

const writeHeader = (w: Writer, flags: number, code: number, n: number): void => {
  if (n > 255) {
    w.ensure(4)
    const b = w.bytes
    const o = w.offset
    b[o] = flags | X
    b[o + 1] = code
    b[o + 2] = n >>> 8
    b[o + 3] = n
    w.offset = o + 4
  } else {
    w.ensure(3)
    const b = w.bytes
    const o = w.offset
    b[o] = flags & ~X
    b[o + 1] = code
    b[o + 2] = n
    w.offset = o + 3
  }
}

const writeU32s = (w: Writer, values: Uint32Array): void => {
  w.ensure(values.length * 4)
  const b = w.bytes
  let o = w.offset
  for (let i = 0; i < values.length; i++, o += 4) {
    const v = values[i]!
    b[o] = v >>> 24
    b[o + 1] = v >>> 16
    b[o + 2] = v >>> 8
    b[o + 3] = v
  }
  w.offset = o
}

/**
 * Value bytes of a path written with `width`-byte AS numbers; segments are split at 255
 * and empty ones skipped. `as4` drops confederation segments (RFC 6793 §4.2.2: never in AS4_PATH).
 */
const pathLength = (path: AsPath, width: number, as4: boolean): number => {
  let n = 0
  for (let i = 0; i < path.length; i++) {
    const s = path[i]!
    const k = s.asns.length
    if (k > 0 && !(as4 && isConfed(s))) n += Math.ceil(k / 255) * 2 + k * width
  }
  return n
}

const writePath = (w: Writer, path: AsPath, width: number, as4: boolean): void => {
  for (let i = 0; i < path.length; i++) {
    const s = path[i]!
    if (as4 && isConfed(s)) continue
    const asns = s.asns
    for (let from = 0; from < asns.length; from += 255) {
      const to = Math.min(asns.length, from + 255)
      w.ensure(2 + (to - from) * width)
      w.u8(s.type)
      w.u8(to - from)
      for (let k = from; k < to; k++) {
        const asn = asns[k]!
        if (width === 4) w.u32(asn)
        // RFC 6793 §4.2.2: a 4-octet AS number on a 2-octet session is written as AS_TRANS.
        else w.u16(asn > 0xffff ? AS_TRANS : asn)
      }
    }
  }
}

/** Value bytes of attribute `code` of `a`, or -1 when it is not written. */
const valueLength = (code: number, a: Attributes, ctx: Context): number => {
  switch (code) {
    case AttrType.Origin:
      return a.origin === undefined ? -1 : 1
    case AttrType.AsPath:
      return a.asPath === undefined ? -1 : pathLength(a.asPath, ctx.asn4 ? 4 : 2, false)
    case AttrType.NextHop:
      return a.nextHop === undefined ? -1 : a.nextHop.length
    case AttrType.Med:
      return a.med === undefined ? -1 : 4
    case AttrType.LocalPref:
      return a.localPref === undefined ? -1 : 4
    case AttrType.AtomicAggregate:
      return a.atomicAggregate === true ? 0 : -1
    case AttrType.Aggregator:
      return a.aggregator === undefined ? -1 : ctx.asn4 ? 8 : 6
    case AttrType.Communities:
      return a.communities === undefined || a.communities.length === 0 ? -1 : a.communities.length * 4
    case AttrType.OriginatorId:
      return a.originatorId === undefined ? -1 : 4
    case AttrType.ClusterList:
      return a.clusterList === undefined || a.clusterList.length === 0 ? -1 : a.clusterList.length * 4
    case AttrType.ExtendedCommunities:
      return a.extendedCommunities === undefined || a.extendedCommunities.length === 0 ? -1 : a.extendedCommunities.length
    case AttrType.As4Path: {
      // RFC 6793 §4.1: never sent to a NEW speaker.
      if (a.as4Path === undefined || ctx.asn4) return -1
      const n = pathLength(a.as4Path, 4, true)
      return n === 0 ? -1 : n
    }
    case AttrType.As4Aggregator:
      return a.as4Aggregator === undefined || ctx.asn4 ? -1 : 8
    case AttrType.Ipv6ExtendedCommunities:
      return a.ipv6ExtendedCommunities === undefined || a.ipv6ExtendedCommunities.length === 0
        ? -1
        : a.ipv6ExtendedCommunities.length
    case AttrType.LargeCommunities:
      return a.largeCommunities === undefined || a.largeCommunities.length === 0 ? -1 : a.largeCommunities.length * 4
    case AttrType.Otc:
      return a.otc === undefined ? -1 : 4
    default:
      return -1
  }
}

/** Write the value of attribute `code`; `valueLength` said it is present. */
const writeValue = (w: Writer, code: number, a: Attributes, ctx: Context): void => {
  switch (code) {
    case AttrType.Origin:
      w.u8(a.origin!)
      return
    case AttrType.AsPath:
      writePath(w, a.asPath!, ctx.asn4 ? 4 : 2, false)
      return
    case AttrType.NextHop:
      w.raw(a.nextHop!)
      return
    case AttrType.Med:
      w.u32(a.med!)
      return
    case AttrType.LocalPref:
      w.u32(a.localPref!)
      return
    case AttrType.AtomicAggregate:
      return
    case AttrType.Aggregator: {
      const g = a.aggregator!
      // RFC 6793 §4.2.2: AS_TRANS for a 4-octet AS on a 2-octet session.
      if (ctx.asn4) w.u32(g.asn)
      else w.u16(g.asn > 0xffff ? AS_TRANS : g.asn)
      w.u32(g.address)
      return
    }
    case AttrType.Communities:
      writeU32s(w, a.communities!)
      return
    case AttrType.OriginatorId:
      w.u32(a.originatorId!)
      return
    case AttrType.ClusterList:
      writeU32s(w, a.clusterList!)
      return
    case AttrType.ExtendedCommunities:
      w.raw(a.extendedCommunities!)
      return
    case AttrType.As4Path:
      writePath(w, a.as4Path!, 4, true)
      return
    case AttrType.As4Aggregator:
      w.u32(a.as4Aggregator!.asn)
      w.u32(a.as4Aggregator!.address)
      return
    case AttrType.Ipv6ExtendedCommunities:
      w.raw(a.ipv6ExtendedCommunities!)
      return
    case AttrType.LargeCommunities:
      writeU32s(w, a.largeCommunities!)
      return
    case AttrType.Otc:
      w.u32(a.otc!)
      return
  }
}

/** Flags written for recognised attribute `code`: its defined Optional/Transitive bits. */
const flagsOf = (code: number): number => DEFINED_FLAGS[code]!

const byCode = (x: UnknownAttribute, y: UnknownAttribute): number => x.code - y.code

/** Unknown attributes in type-code order (the received order is already sorted in the usual case). */
const sortedUnknown = (unknown: ReadonlyArray<UnknownAttribute> | undefined): ReadonlyArray<UnknownAttribute> => {
  if (unknown === undefined) return []
  for (let i = 1; i < unknown.length; i++) if (unknown[i]!.code < unknown[i - 1]!.code) return unknown.slice().sort(byCode)
  return unknown
}

const writeUnknown = (w: Writer, u: UnknownAttribute): void => {
  // Unused low bits are sent as zero; Extended Length follows the value size.
  writeHeader(w, u.flags & (O | T | P), u.code, u.value.length)
  w.raw(u.value)
}

/** Exact bytes `encodeAttributes` writes for `attributes` (all but MP_REACH/MP_UNREACH). */
export const attributesByteLength = (attributes: Attributes, ctx: Context): number => {
  let n = 0
  for (let i = 0; i < ORDER.length; i++) {
    const len = valueLength(ORDER[i]!, attributes, ctx)
    if (len >= 0) n += withHeader(len)
  }
  const unknown = attributes.unknown
  if (unknown !== undefined) for (let i = 0; i < unknown.length; i++) n += withHeader(unknown[i]!.value.length)
  return n
}

/** Append every attribute except MP_REACH/MP_UNREACH, ascending by type code, unknown ones merged in by code. */
export const encodeAttributes = (w: Writer, attributes: Attributes, ctx: Context): void => {
  const unknown = sortedUnknown(attributes.unknown)
  let u = 0
  for (let i = 0; i < ORDER.length; i++) {
    const code = ORDER[i]!
    while (u < unknown.length && unknown[u]!.code < code) writeUnknown(w, unknown[u++]!)
    const len = valueLength(code, attributes, ctx)
    if (len < 0) continue
    writeHeader(w, flagsOf(code), code, len)
    writeValue(w, code, attributes, ctx)
  }
  while (u < unknown.length) writeUnknown(w, unknown[u++]!)
}

/** Exact bytes of an MP_REACH_NLRI attribute (header included) with this next-hop length and NLRI size. */
export const mpReachByteLength = (nextHopLength: number, nlriBytes: number): number => withHeader(5 + nextHopLength + nlriBytes)

/** Exact bytes of an MP_UNREACH_NLRI attribute (header included) with this withdrawn-routes size. */
export const mpUnreachByteLength = (nlriBytes: number): number => withHeader(3 + nlriBytes)

const writeNlri = (w: Writer, nlri: Prefixes.Prefixes, from: number, to: number, addPath: boolean, n: number): void => {
  w.ensure(n)
  w.offset = Prefixes.encodeRange(nlri, from, to, addPath, w.bytes, w.offset)
}

/**
 * Append MP_REACH_NLRI (RFC 4760 §3) carrying prefixes `[from, to)` of `mp.nlri`
 * (all by default). Raw NLRI bytes (families this codec does not parse) are written whole.
 * Path ids are written when the context sends ADD-PATH for the family (RFC 7911 §3).
 */
export const encodeMpReach = (w: Writer, mp: MpReach, ctx: Context, from?: number, to?: number): void => {
  const nlri = mp.nlri
  const addPath = ctx.addPath.has(Family.key(mp.afi, mp.safi))
  const raw = nlri instanceof Uint8Array
  const lo = raw ? 0 : (from ?? 0)
  const hi = raw ? 0 : (to ?? nlri.count)
  const nlriBytes = raw ? nlri.length : Prefixes.rangeSize(nlri, lo, hi, addPath)
  const nh = mp.nextHop
  writeHeader(w, OPTIONAL_NON_TRANSITIVE, AttrType.MpReachNlri, 5 + nh.length + nlriBytes)
  w.u16(mp.afi)
  w.u8(mp.safi)
  w.u8(nh.length)
  w.raw(nh)
  // RFC 4760 §3: the reserved octet is sent as zero.
  w.u8(0)
  if (raw) w.raw(nlri)
  else writeNlri(w, nlri, lo, hi, addPath, nlriBytes)
}

/** Append MP_UNREACH_NLRI (RFC 4760 §4) carrying withdrawn prefixes `[from, to)` (all by default). */
export const encodeMpUnreach = (w: Writer, mp: MpUnreach, ctx: Context, from?: number, to?: number): void => {
  const nlri = mp.withdrawn
  const addPath = ctx.addPath.has(Family.key(mp.afi, mp.safi))
  const raw = nlri instanceof Uint8Array
  const lo = raw ? 0 : (from ?? 0)
  const hi = raw ? 0 : (to ?? nlri.count)
  const nlriBytes = raw ? nlri.length : Prefixes.rangeSize(nlri, lo, hi, addPath)
  writeHeader(w, OPTIONAL_NON_TRANSITIVE, AttrType.MpUnreachNlri, 3 + nlriBytes)
  w.u16(mp.afi)
  w.u8(mp.safi)
  if (raw) w.raw(nlri)
  else writeNlri(w, nlri, lo, hi, addPath, nlriBytes)
}

/** Exact bytes `encodePathAttributes` writes. */
export const pathAttributesByteLength = (
  attributes: Attributes,
  mpReach: MpReach | undefined,
  mpUnreach: MpUnreach | undefined,
  ctx: Context
): number => {
  let n = attributesByteLength(attributes, ctx)
  if (mpReach !== undefined) {
    const nlri = mpReach.nlri
    const addPath = ctx.addPath.has(Family.key(mpReach.afi, mpReach.safi))
    n += mpReachByteLength(mpReach.nextHop.length, nlri instanceof Uint8Array ? nlri.length : Prefixes.byteLength(nlri, addPath))
  }
  if (mpUnreach !== undefined) {
    const nlri = mpUnreach.withdrawn
    const addPath = ctx.addPath.has(Family.key(mpUnreach.afi, mpUnreach.safi))
    n += mpUnreachByteLength(nlri instanceof Uint8Array ? nlri.length : Prefixes.byteLength(nlri, addPath))
  }
  return n
}

/**
 * Append the Path Attributes field (without its 2-byte length): MP_REACH_NLRI and
 * MP_UNREACH_NLRI first (RFC 7606 §5.1), then the others by ascending type code.
 */
export const encodePathAttributes = (
  w: Writer,
  attributes: Attributes,
  mpReach: MpReach | undefined,
  mpUnreach: MpUnreach | undefined,
  ctx: Context
): void => {
  if (mpReach !== undefined) encodeMpReach(w, mpReach, ctx)
  if (mpUnreach !== undefined) encodeMpUnreach(w, mpUnreach, ctx)
  encodeAttributes(w, attributes, ctx)
}
