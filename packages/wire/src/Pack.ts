/**
 * Packing many prefixes that share one attribute set into as few UPDATE messages as
 * the negotiated size allows (RFC 4271 §4.1, RFC 8654), each returned as complete wire
 * bytes (header included). This is the advertisement hot path: the attribute block is
 * encoded once per call and copied into each message, and prefixes are written straight
 * into exact-size message buffers — nothing is allocated per prefix.
 *
 * Every message carries one kind of NLRI only (RFC 7606 §5.1): the IPv4 NLRI field, or
 * MP_REACH_NLRI (as the first attribute), or the Withdrawn Routes field, or
 * MP_UNREACH_NLRI. The bytes are the canonical encoding (`Update.encodeBody` of the
 * decoded message gives them back).
 */
import { AttrFlag, AttrType, type Attributes } from "./Attributes.js"
import { maxMessageLength, type Context } from "./Context.js"
import { Afi, Safi, format, isPrefixFamily, key } from "./Family.js"
import * as Message from "./Message.js"
import * as Prefixes from "./Prefixes.js"
import * as Update from "./Update.js"
import { encodePathAttributes } from "./internal/PathAttributes.js"
import { Writer } from "./internal/Writer.js"

export type { Routes } from "./Update.js"

const HEADER_LENGTH = 19
const UPDATE_TYPE = 2
/** Header, Withdrawn Routes Length, Total Path Attribute Length. */
const FIXED = HEADER_LENGTH + 4
/** MP_REACH_NLRI value before the next hop and after it: AFI, SAFI, next hop length; Reserved. */
const MP_REACH_FIXED = 5
/** MP_UNREACH_NLRI value before the withdrawn routes: AFI, SAFI. */
const MP_UNREACH_FIXED = 3

/** Reused for the attribute block of each call; its bytes are copied out before the call returns. */
const scratch = new Writer(4096)

const attributeBlock = (attributes: Attributes, ctx: Context): Uint8Array => {
  scratch.offset = 0
  encodePathAttributes(scratch, attributes, undefined, undefined, ctx)
  return scratch.bytes.subarray(0, scratch.offset)
}

/** A zeroed message of `length` bytes with its header written. */
const newMessage = (length: number): Uint8Array => {
  const m = new Uint8Array(length)
  m.fill(0xff, 0, 16)
  m[16] = length >>> 8
  m[17] = length
  m[18] = UPDATE_TYPE
  return m
}

const put16 = (m: Uint8Array, at: number, v: number): void => {
  m[at] = v >>> 8
  m[at + 1] = v
}

/** NLRI bytes of the run found by the last `runEnd` call (a second return value without an allocation). */
let runBytes = 0

/**
 * End of the longest run of prefixes from `from` whose NLRI encoding fits in `room`
 * bytes; its size is left in `runBytes`. Greedy in order, which gives the fewest
 * messages for an order-preserving split.
 */
const runEnd = (p: Prefixes.Prefixes, from: number, addPath: boolean, room: number): number => {
  const lengths = p.lengths
  const n = p.count
  const per = addPath ? 5 : 1
  let used = 0
  let i = from
  while (i < n) {
    const next = used + per + ((lengths[i]! + 7) >>> 3)
    if (next > room) break
    used = next
    i++
  }
  if (i === from) {
    throw new RangeError(`no room for prefix #${from} (/${lengths[from]}) in a message: ${room} bytes left after the fixed parts`)
  }
  runBytes = used
  return i
}

/**
 * Room for NLRI in an MP attribute whose value has `fixed` bytes before the NLRI, in a
 * message whose other parts take `other` bytes: the length octet is 1 byte while the
 * value fits 255 (RFC 4271 §4.3 Extended Length), else 2.
 */
const mpRoom = (max: number, other: number, fixed: number): number =>
  Math.max(max - other - 4 - fixed, Math.min(max - other - 3 - fixed, 255 - fixed))

/** Write an MP attribute header at `at` for a value of `valueLength` bytes; returns the value's offset. */
const putMpHeader = (m: Uint8Array, at: number, code: number, valueLength: number): number => {
  if (valueLength > 255) {
    m[at] = AttrFlag.Optional | AttrFlag.ExtendedLength
    m[at + 1] = code
    put16(m, at + 2, valueLength)
    return at + 4
  }
  m[at] = AttrFlag.Optional
  m[at + 1] = code
  m[at + 2] = valueLength
  return at + 3
}

const checkFamily = (afi: number, safi: number, prefixes: Prefixes.Prefixes): void => {
  if (!isPrefixFamily(afi, safi)) throw new RangeError(`${format(key(afi, safi))} NLRI are not IP prefixes`)
  if (prefixes.afi !== afi) throw new RangeError(`AFI ${prefixes.afi} prefixes given for ${format(key(afi, safi))}`)
}

/** RFC 4760 §3, RFC 2545 §3, RFC 8950 §3: next hop lengths each AFI may carry in MP_REACH_NLRI. */
const checkNextHop = (afi: number, safi: number, nextHop: Uint8Array, ctx: Context): void => {
  const n = nextHop.length
  if (afi === Afi.Ipv6 && (n === 16 || n === 32)) return
  if (afi === Afi.Ipv4 && n === 4) return
  if (afi === Afi.Ipv4 && (n === 16 || n === 32)) {
    if (ctx.extendedNextHop.has(key(afi, safi))) return
    throw new RangeError(`IPv6 next hop for ${format(key(afi, safi))} needs the extended next hop capability (RFC 8950)`)
  }
  throw new RangeError(`a ${n}-byte next hop is not valid for ${format(key(afi, safi))}`)
}

/**
 * Complete UPDATE messages announcing `routes.prefixes` with `attributes`, each filled
 * as far as `Context.maxMessageLength(ctx, 2)` allows. IPv4 unicast with an IPv4 next
 * hop → NEXT_HOP attribute + NLRI field; every other case (IPv6, multicast, IPv4 with an
 * IPv6 next hop under RFC 8950) → MP_REACH_NLRI as the first attribute, and no NEXT_HOP.
 * Path ids are written when ADD-PATH send is negotiated for the family (0 for a block
 * without them). Throws RangeError for inconsistent input or attributes too large to
 * leave room for a prefix.
 */
export const packUpdates = (attributes: Attributes, routes: Update.Routes, ctx: Context): Array<Uint8Array> => {
  const { afi, safi, prefixes } = routes
  checkFamily(afi, safi, prefixes)
  const out: Array<Uint8Array> = []
  if (prefixes.count === 0) return out
  const addPath = ctx.addPath.has(key(afi, safi))
  const max = maxMessageLength(ctx, UPDATE_TYPE)
  // `announce` decides NLRI field vs MP_REACH and which attributes go with each.
  const u = Update.announce(attributes, routes)
  const mp = u.mpReach

  if (mp === undefined) {
    const block = attributeBlock(u.attributes, ctx)
    const nlriAt = FIXED + block.length
    for (let from = 0; from < prefixes.count; ) {
      const to = runEnd(prefixes, from, addPath, max - nlriAt)
      const m = newMessage(nlriAt + runBytes)
      put16(m, HEADER_LENGTH + 2, block.length)
      m.set(block, FIXED)
      Prefixes.encodeRange(prefixes, from, to, addPath, m, nlriAt)
      out.push(m)
      from = to
    }
    return out
  }

  const nextHop = mp.nextHop
  checkNextHop(afi, safi, nextHop, ctx)
  const rest = attributeBlock(u.attributes, ctx)
  const fixed = MP_REACH_FIXED + nextHop.length
  const room = mpRoom(max, FIXED + rest.length, fixed)
  for (let from = 0; from < prefixes.count; ) {
    const to = runEnd(prefixes, from, addPath, room)
    const valueLength = fixed + runBytes
    const attrLength = (valueLength > 255 ? 4 : 3) + valueLength + rest.length
    const m = newMessage(FIXED + attrLength)
    put16(m, HEADER_LENGTH + 2, attrLength)
    let o = putMpHeader(m, FIXED, AttrType.MpReachNlri, valueLength)
    put16(m, o, afi)
    m[o + 2] = safi
    m[o + 3] = nextHop.length
    m.set(nextHop, o + 4)
    o += 4 + nextHop.length + 1 // Reserved octet stays 0 (RFC 4760 §3).
    o = Prefixes.encodeRange(prefixes, from, to, addPath, m, o)
    m.set(rest, o)
    out.push(m)
    from = to
  }
  return out
}

/**
 * Complete UPDATE messages withdrawing `prefixes`, each as full as the limit allows:
 * the Withdrawn Routes field for IPv4 unicast, MP_UNREACH_NLRI otherwise.
 */
export const packWithdrawals = (afi: number, safi: number, prefixes: Prefixes.Prefixes, ctx: Context): Array<Uint8Array> => {
  checkFamily(afi, safi, prefixes)
  const out: Array<Uint8Array> = []
  if (prefixes.count === 0) return out
  const addPath = ctx.addPath.has(key(afi, safi))
  const max = maxMessageLength(ctx, UPDATE_TYPE)

  if (afi === Afi.Ipv4 && safi === Safi.Unicast) {
    for (let from = 0; from < prefixes.count; ) {
      const to = runEnd(prefixes, from, addPath, max - FIXED)
      const m = newMessage(FIXED + runBytes)
      put16(m, HEADER_LENGTH, runBytes)
      Prefixes.encodeRange(prefixes, from, to, addPath, m, HEADER_LENGTH + 2)
      // Total Path Attribute Length (the last two bytes) stays 0.
      out.push(m)
      from = to
    }
    return out
  }

  const room = mpRoom(max, FIXED, MP_UNREACH_FIXED)
  for (let from = 0; from < prefixes.count; ) {
    const to = runEnd(prefixes, from, addPath, room)
    const valueLength = MP_UNREACH_FIXED + runBytes
    const attrLength = (valueLength > 255 ? 4 : 3) + valueLength
    const m = newMessage(FIXED + attrLength)
    put16(m, HEADER_LENGTH + 2, attrLength)
    const o = putMpHeader(m, FIXED, AttrType.MpUnreachNlri, valueLength)
    put16(m, o, afi)
    m[o + 2] = safi
    Prefixes.encodeRange(prefixes, from, to, addPath, m, o + 3)
    out.push(m)
    from = to
  }
  return out
}

/** The End-of-RIB marker for a family as wire bytes (RFC 4724 §2; see `Update.endOfRib`). */
export const endOfRib = (afi: number, safi: number, ctx: Context): Uint8Array => Message.encode(Update.endOfRib(afi, safi), ctx)
