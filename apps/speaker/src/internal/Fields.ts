/**
 * Leaf schemas of the config file. Each one decodes from whatever YAML produced
 * (`unknown`) and, on failure, says the expected form and what it got:
 * `expected an AS number 1..4294967295, got "65a"`. Text forms go through
 * @kbgp/wire's `Text` parsers, so the config accepts exactly what the CLI prints.
 */
import { Either, ParseResult, Schema } from "effect"
import { Family, Text } from "@kbgp/wire"
import type { Policy } from "@kbgp/rib"

/** How a YAML value reads in an error message: strings quoted, containers named. */
export const show = (u: unknown): string => {
  if (u === null || u === undefined) return "nothing"
  if (typeof u === "string") return JSON.stringify(u)
  if (Array.isArray(u)) return "a list"
  if (typeof u === "object") return "a mapping"
  return String(u)
}

/** Why a value of the right kind is still wrong (appended to the expected form). */
export class Why {
  constructor(readonly reason: string) {}
}

export const why = (reason: string): Why => new Why(reason)

/**
 * A leaf: `decode` returns the value, `undefined` for "not this form", or a
 * `Why` with the reason.
 */
export const leaf = <A>(
  expected: string,
  is: (u: unknown) => u is A,
  decode: (u: unknown) => A | Why | undefined
): Schema.Schema<A, unknown> =>
  Schema.transformOrFail(Schema.Unknown, Schema.declare(is, { description: expected }), {
    strict: true,
    decode: (u, _, ast) => {
      const r = decode(u)
      if (r === undefined) return ParseResult.fail(new ParseResult.Type(ast, u, `expected ${expected}, got ${show(u)}`))
      if (r instanceof Why) return ParseResult.fail(new ParseResult.Type(ast, u, `expected ${expected}, got ${show(u)}: ${r.reason}`))
      return ParseResult.succeed(r)
    },
    encode: (a, _, ast) => ParseResult.fail(new ParseResult.Forbidden(ast, a, "the config is never written back"))
  }).annotations({ description: expected })

const isNumber = (u: unknown): u is number => typeof u === "number"
const isString = (u: unknown): u is string => typeof u === "string"
const isBoolean = (u: unknown): u is boolean => typeof u === "boolean"

/** A whole number in [min, max]; YAML numbers only (a quoted "90" is a mistake worth flagging). */
export const int = (min: number, max: number, what = "a whole number"): Schema.Schema<number, unknown> =>
  leaf(`${what} ${min}..${max}`, isNumber, (u) =>
    typeof u === "number" && Number.isInteger(u) && u >= min && u <= max ? u : undefined
  )

/** RFC 4271 §4.2: Hold Time is 0 or at least 3 seconds. */
export const holdTime: Schema.Schema<number, unknown> = leaf("a hold time in seconds: 0 or 3..65535", isNumber, (u) =>
  typeof u === "number" && Number.isInteger(u) && (u === 0 || (u >= 3 && u <= 65535)) ? u : undefined
)

export const bool: Schema.Schema<boolean, unknown> = leaf("true or false", isBoolean, (u) =>
  typeof u === "boolean" ? u : undefined
)

/** A non-empty string (names, passwords, paths). */
export const text = (what: string): Schema.Schema<string, unknown> =>
  leaf(what, isString, (u) => (typeof u === "string" && u.length > 0 ? u : undefined))

const detail = (e: Text.TextError): Why => why(e.detail)

/** An ASN as a YAML number or as text (asplain, or asdot "1.10" quoted so YAML keeps it a string); AS 0 is reserved (RFC 7607). */
export const asn: Schema.Schema<number, unknown> = leaf("an AS number 1..4294967295", isNumber, (u) => {
  if (typeof u === "number") return Number.isInteger(u) && u >= 1 && u <= 0xffffffff ? u : Number.isInteger(u) ? undefined : why("write asdot in quotes, e.g. \"1.10\"")
  if (typeof u !== "string") return undefined
  const r = Text.parseAsn(u)
  if (Either.isLeft(r)) return undefined
  return r.right === 0 ? why("AS 0 is reserved (RFC 7607)") : r.right
})

/** An IPv4 or IPv6 address literal, kept as text (the transport takes text); IPv6 link-local may carry "%zone". */
export const address = (what = "an IP address"): Schema.Schema<string, unknown> =>
  leaf(what, isString, (u) => {
    if (typeof u !== "string") return undefined
    const s = u.trim()
    const pct = s.indexOf("%")
    const r = Text.parseAddress(pct > 0 && s.includes(":") ? s.slice(0, pct) : s)
    return Either.isLeft(r) ? detail(r.left) : s
  })

/** A dotted-quad BGP identifier (RFC 6286: non-zero), kept as text. */
export const routerId: Schema.Schema<string, unknown> = leaf("an IPv4 address (the BGP identifier)", isString, (u) => {
  if (typeof u !== "string") return undefined
  const r = Text.ipv4ToNumber(u)
  if (Either.isLeft(r)) return detail(r.left)
  return r.right === 0 ? why("0.0.0.0 is not a valid BGP identifier (RFC 6286 §2.1)") : Text.numberToIpv4(r.right)
})

/** "192.0.2.0/24", "2001:db8::/48" in canonical text; host bits set are an error naming the prefix probably meant. */
export const prefix: Schema.Schema<string, unknown> = leaf("a prefix like 192.0.2.0/24 or 2001:db8::/48", isString, (u) => {
  if (typeof u !== "string") return undefined
  const r = Text.parsePrefix(u)
  return Either.isLeft(r) ? detail(r.left) : Text.formatPrefix(r.right)
})

/** The address family of a canonical prefix or address text. */
export const afiOfText = (s: string): Family.Afi => (s.includes(":") ? Family.Afi.Ipv6 : Family.Afi.Ipv4)

/** `self` (the local address of each session) or an address, in canonical text. */
export const nextHop: Schema.Schema<string, unknown> = leaf("\"self\" or an IP address", isString, (u) => {
  if (typeof u !== "string") return undefined
  if (u.trim().toLowerCase() === "self") return "self"
  const r = Text.parseAddress(u)
  return Either.isLeft(r) ? detail(r.left) : Text.formatAddress(r.right.bytes)
})

export type OriginName = "igp" | "egp" | "incomplete"

export const origin: Schema.Schema<OriginName, unknown> = leaf(
  "igp, egp or incomplete",
  (u): u is OriginName => u === "igp" || u === "egp" || u === "incomplete",
  (u) => {
    if (typeof u !== "string") return undefined
    const r = Text.parseOrigin(u)
    return Either.isLeft(r) ? undefined : (Text.formatOrigin(r.right) as OriginName)
  }
)

export type FamilyName = "ipv4-unicast" | "ipv6-unicast"

const FAMILIES: ReadonlyMap<string, FamilyName> = new Map([
  ["ipv4-unicast", "ipv4-unicast"],
  ["ipv6-unicast", "ipv6-unicast"],
  ["ipv4", "ipv4-unicast"],
  ["ipv6", "ipv6-unicast"]
])

/** "ipv4-unicast" or "ipv6-unicast" (the names `Family.format` prints); "ipv4"/"ipv6" for short. */
export const parseFamily = (s: string): FamilyName | undefined => FAMILIES.get(s.trim().toLowerCase())

export const family: Schema.Schema<FamilyName, unknown> = leaf(
  "ipv4-unicast or ipv6-unicast",
  (u): u is FamilyName => u === "ipv4-unicast" || u === "ipv6-unicast",
  (u) => (typeof u === "string" ? parseFamily(u) : undefined)
)

/** A list of text items, each checked by `parse` and kept as its trimmed text; the error names the item's index. */
const textList = <A>(expected: string, parse: (s: string) => Either.Either<A, Text.TextError>) =>
  Schema.Array(
    leaf(expected, isString, (u) => {
      if (typeof u !== "string" && typeof u !== "number") return undefined
      const r = parse(String(u))
      return Either.isLeft(r) ? detail(r.left) : String(u).trim()
    })
  )

export const communities = textList(
  "a community like 65000:100, a 32-bit number or a well-known name (no-export, no-advertise, ...)",
  Text.parseCommunity
)

export const largeCommunities = textList("a large community like 65000:1:2", Text.parseLargeCommunity)

export const extendedCommunities = textList(
  "an extended community like rt:65000:100, soo:192.0.2.1:7 or 0x0002:00000000fde8",
  Text.parseExtendedCommunity
)

const isAsns = (u: unknown): u is ReadonlyArray<number> => Array.isArray(u)

/** An AS_SEQUENCE: a list of ASNs, or the same as text "65010 65011". */
export const asPath: Schema.Schema<ReadonlyArray<number>, unknown> = leaf(
  "a list of AS numbers (or \"65010 65011\")",
  isAsns,
  (u) => {
    const items = typeof u === "string" ? u.trim().split(/\s+/).filter((w) => w.length > 0) : typeof u === "number" ? [u] : Array.isArray(u) ? u : undefined
    if (items === undefined) return undefined
    const asns: Array<number> = []
    for (const item of items) {
      if (typeof item !== "string" && typeof item !== "number") return undefined
      const r = Text.parseAsn(String(item))
      if (Either.isLeft(r)) return detail(r.left)
      if (r.right === 0) return why("AS 0 is reserved (RFC 7607)")
      asns.push(r.right)
    }
    return asns
  }
)

/** `ADDR:PORT` or `[V6]:PORT` (status endpoint, CLI). */
export const parseHostPort = (s: string, allowZero = false): { readonly host: string; readonly port: number } | string => {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]]+):(\d+)$/.exec(s)
  if (m === null) return "expected ADDR:PORT, e.g. 127.0.0.1:7179 or [::1]:7179"
  const host = m[1]!
  const port = Number(m[2])
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) return `port ${m[2]} is not ${allowZero ? 0 : 1}..65535`
  if (host !== "localhost" && Either.isLeft(Text.parseAddress(host))) return `${JSON.stringify(host)} is not an IP address`
  return { host, port }
}

const isPrefixRange = (u: unknown): u is Policy.PrefixRange => typeof u === "object" && u !== null && "address" in u

const rangeOf = (text: string, ge: unknown, le: unknown): Policy.PrefixRange | Why => {
  const r = Text.parsePrefix(text)
  if (Either.isLeft(r)) return detail(r.left)
  const { afi, address, length } = r.right
  const max = afi === Family.Afi.Ipv4 ? 32 : 128
  const ok = (n: unknown): n is number | undefined => n === undefined || (typeof n === "number" && Number.isInteger(n) && n >= length && n <= max)
  if (!ok(ge) || !ok(le)) return why(`ge and le must be lengths ${length}..${max}`)
  if (ge !== undefined && le !== undefined && ge > le) return why(`ge ${ge} is above le ${le}`)
  return { address, length, ...(ge !== undefined ? { ge } : {}), ...(le !== undefined ? { le } : {}) }
}

/**
 * A prefix and the lengths it matches (router prefix-list semantics, see
 * `@kbgp/rib` Policy.PrefixRange): "10.0.0.0/8", "10.0.0.0/8 le 24",
 * "10.0.0.0/8 ge 16 le 24", or { prefix, ge, le }.
 */
export const prefixRange: Schema.Schema<Policy.PrefixRange, unknown> = leaf(
  "a prefix range like \"10.0.0.0/8\", \"10.0.0.0/8 le 24\" or { prefix, ge, le }",
  isPrefixRange,
  (u) => {
    if (typeof u === "object" && u !== null && !Array.isArray(u)) {
      const o = u as Record<string, unknown>
      const extra = Object.keys(o).filter((k) => k !== "prefix" && k !== "ge" && k !== "le")
      if (extra.length > 0) return why(`unknown field ${JSON.stringify(extra[0])}`)
      return typeof o.prefix === "string" ? rangeOf(o.prefix, o.ge, o.le) : why("prefix is required")
    }
    if (typeof u !== "string") return undefined
    const words = u.trim().split(/\s+/)
    const opts: Record<string, number> = {}
    for (let i = 1; i < words.length; i += 2) {
      const key = words[i]
      const n = Number(words[i + 1])
      if ((key !== "ge" && key !== "le") || words[i + 1] === undefined || key in opts) return why(`after the prefix come "ge N" and/or "le N"`)
      opts[key] = n
    }
    return rangeOf(words[0] ?? "", opts.ge, opts.le)
  }
)
