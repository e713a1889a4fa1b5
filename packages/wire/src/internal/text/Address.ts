/**
 * IP addresses and prefixes as text. Parsing goes through `ip-address` (it knows
 * every legal IPv6 spelling); printing is done here from the bytes, because it is
 * a few lines, runs for every row of a CLI table, and needs the RFC 5952 §5 mixed
 * form for IPv4-mapped addresses, which `ip-address` does not produce.
 */
import { Either } from "effect"
import { Address4, Address6 } from "ip-address"
import { Afi, addressWidth } from "../../Family.js"
import type { Prefixes } from "../../Prefixes.js"
import * as P from "../../Prefixes.js"
import { decimal, hex, U32_MAX } from "./Numbers.js"
import { fail, type Parsed } from "./TextError.js"

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address. */
export interface Address {
  readonly afi: Afi
  readonly bytes: Uint8Array
}

/** A prefix: `address` is the full address width with host bits clear, as in a `Prefixes` block. */
export interface Prefix {
  readonly afi: Afi
  readonly address: Uint8Array
  readonly length: number
}

export interface PrefixOptions {
  /**
   * `true` (default): host bits set after the length are an error ("10.0.0.1/24").
   * `false`: they are cleared silently.
   */
  readonly strict?: boolean
}

const afiName = (afi: Afi): string => (afi === Afi.Ipv4 ? "IPv4" : "IPv6")

/** Bytes of an address, or a sentence saying why the text is not one. */
const addressBytes = (s: string): Address | string => {
  if (s.length === 0) return "the address is empty"
  if (s.includes("/")) return "an address has no /length here"
  if (s.includes("%")) return "zone indexes (%interface) are not accepted"
  try {
    if (s.includes(":")) return { afi: Afi.Ipv6, bytes: Uint8Array.from(new Address6(s).toByteArray()) }
    return { afi: Afi.Ipv4, bytes: Uint8Array.from(new Address4(s).toArray()) }
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/\.$/, "") : String(e)
    return s.includes(":") ? `not an IPv6 address (${why})` : `not an IPv4 address (${why})`
  }
}

/** "192.0.2.1" or "2001:db8::1" (surrounding whitespace ignored) to bytes. */
export const parseAddress = (text: string): Parsed<Address> => {
  const r = addressBytes(text.trim())
  return typeof r === "string" ? fail("Address", text, r) : Either.right(r)
}

/** Dotted quad to an unsigned 32-bit number (router ids, ORIGINATOR_ID, AGGREGATOR). */
export const ipv4ToNumber = (text: string): Parsed<number> => {
  const r = addressBytes(text.trim())
  if (typeof r === "string") return fail("Address", text, r)
  if (r.afi !== Afi.Ipv4) return fail("Address", text, "an IPv4 address is needed here, not IPv6")
  const b = r.bytes
  return Either.right(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0)
}

export const numberToIpv4 = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`

const formatV4 = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`

const formatV6 = (b: Uint8Array, o: number): string => {
  const g: Array<number> = []
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!)
  // RFC 5952 §5: IPv4-mapped addresses print their last 32 bits as a dotted quad.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatV4(b, o + 12)}`
  }
  // RFC 5952 §4.2.2/§4.2.3: "::" replaces the longest run of two or more zero groups, the first on a tie.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  // RFC 5952 §4.1, §4.3: no leading zeros, lower-case hex.
  const hexes = g.map((x) => x.toString(16))
  if (best < 0) return hexes.join(":")
  return `${hexes.slice(0, best).join(":")}::${hexes.slice(best + bestLen).join(":")}`
}

/**
 * Canonical text of a 4-byte (IPv4) or 16-byte (IPv6, RFC 5952) address. Other
 * lengths are not addresses; they print as hex so a log line never throws.
 */
export const formatAddress = (bytes: Uint8Array): string =>
  bytes.length === 4 ? formatV4(bytes, 0) : bytes.length === 16 ? formatV6(bytes, 0) : `0x${hex(bytes, 0, bytes.length)}`

/**
 * A next hop as carried by NEXT_HOP or MP_REACH_NLRI: 4 or 16 bytes print as one
 * address; 32 bytes (RFC 2545 §3: global then link-local) print as both, space separated.
 */
export const formatNextHop = (bytes: Uint8Array): string =>
  bytes.length === 32 ? `${formatV6(bytes, 0)} ${formatV6(bytes, 16)}` : formatAddress(bytes)

/** Does `bytes` have any bit set past the first `length` bits? */
const hasHostBits = (bytes: Uint8Array, length: number): boolean => {
  const full = length >>> 3
  const rem = length & 7
  if (rem !== 0 && (bytes[full]! & (0xff >>> rem)) !== 0) return true
  for (let i = full + (rem !== 0 ? 1 : 0); i < bytes.length; i++) if (bytes[i] !== 0) return true
  return false
}

const masked = (bytes: Uint8Array, length: number): Uint8Array => {
  const out = new Uint8Array(bytes.length)
  const full = length >>> 3
  out.set(bytes.subarray(0, full))
  const rem = length & 7
  if (rem !== 0) out[full] = bytes[full]! & (0xff00 >>> rem)
  return out
}

const prefixOf = (s: string, strict: boolean): Prefix | string => {
  const slash = s.indexOf("/")
  const a = addressBytes(slash < 0 ? s : s.slice(0, slash))
  if (typeof a === "string") return a
  const max = a.bytes.length * 8
  // A bare address is the host route for it: /32 or /128.
  if (slash < 0) return { afi: a.afi, address: a.bytes, length: max }
  const length = decimal(s.slice(slash + 1), max, `${afiName(a.afi)} prefix length`)
  if (typeof length === "string") return length
  if (hasHostBits(a.bytes, length)) {
    const fixed = masked(a.bytes, length)
    if (strict) {
      return `host bits are set after /${length}; did you mean ${formatAddress(fixed)}/${length}?`
    }
    return { afi: a.afi, address: fixed, length }
  }
  return { afi: a.afi, address: a.bytes, length }
}

/**
 * "10.0.0.0/24", "2001:db8::/32"; a bare address is its host route (/32, /128).
 * Host bits past the length are an error unless `{ strict: false }`.
 */
export const parsePrefix = (text: string, options?: PrefixOptions): Parsed<Prefix> => {
  const r = prefixOf(text.trim(), options?.strict ?? true)
  return typeof r === "string" ? fail("Prefix", text, r) : Either.right(r)
}

export const formatPrefix = (p: Prefix): string =>
  `${p.afi === Afi.Ipv4 ? formatV4(p.address, 0) : formatV6(p.address, 0)}/${p.length}`

/** Prefix `i` of a block, without its ADD-PATH path id. */
export const formatEntry = (p: Prefixes, i: number): string => {
  const w = addressWidth(p.afi)
  const o = i * w
  return `${w === 4 ? formatV4(p.addresses, o) : formatV6(p.addresses, o)}/${p.lengths[i]}`
}

/** Prefix `i` of a block followed by " (path N)" when the block carries ADD-PATH ids (RFC 7911). */
export const formatEntryWithPath = (p: Prefixes, i: number): string =>
  p.pathIds === undefined ? formatEntry(p, i) : `${formatEntry(p, i)} (path ${p.pathIds[i]})`

/** Every prefix of a block, in order, without path ids. */
export const formatPrefixes = (p: Prefixes): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < p.count; i++) out.push(formatEntry(p, i))
  return out
}

export interface PrefixesOptions extends PrefixOptions {
  /** The AFI the block must have; needed for an empty list, checked otherwise. */
  readonly afi?: Afi
}

const PATH_SUFFIX = /^(.*?)\s*\(path ([^)]*)\)$/

/**
 * A `Prefixes` block from prefix texts, all of one AFI. Entries may end in
 * " (path N)" (the `formatEntryWithPath` form); if any does, the block carries
 * path ids and the entries without one get 0.
 */
export const prefixesFromText = (texts: ReadonlyArray<string>, options?: PrefixesOptions): Parsed<Prefixes> => {
  const strict = options?.strict ?? true
  let afi = options?.afi
  const entries: Array<P.Entry> = []
  let withPathIds = false
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!
    let body = text.trim()
    let pathId = 0
    const m = PATH_SUFFIX.exec(body)
    if (m !== null) {
      const id = decimal(m[2]!, U32_MAX, "path id")
      if (typeof id === "string") return fail("Prefix", text, `entry ${i}: ${id}`)
      body = m[1]!
      pathId = id
      withPathIds = true
    }
    const p = prefixOf(body, strict)
    if (typeof p === "string") return fail("Prefix", text, `entry ${i}: ${p}`)
    if (afi === undefined) afi = p.afi
    else if (p.afi !== afi) {
      return fail("Prefix", text, `entry ${i} is ${afiName(p.afi)} but the list is ${afiName(afi)}; one block holds one address family`)
    }
    entries.push({ address: p.address, length: p.length, pathId })
  }
  if (afi === undefined) return fail("Prefix", "", "an empty list has no address family; pass { afi }")
  return Either.right(P.fromEntries(afi, entries, withPathIds))
}
