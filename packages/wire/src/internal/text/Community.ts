/**
 * Communities as text: standard (RFC 1997) "65000:100" or a well-known name,
 * large (RFC 8092) "1:2:3", extended (RFC 4360, RFC 5668) "rt:65000:100",
 * "soo:192.0.2.1:7", or "0xTTSS:hex" for any other type.
 */
import { Either } from "effect"
import { Afi } from "../../Family.js"
import { parseAddress } from "./Address.js"
import { decimal, hex, U16_MAX, U32_MAX } from "./Numbers.js"
import { fail, type Parsed } from "./TextError.js"

/** Well-known community values (IANA "BGP Well-known Communities" registry). */
export const WellKnownCommunity = {
  /** RFC 8326 (GoBGP and Cilium call it "planned-shut"). */
  GracefulShutdown: 0xffff0000,
  /** RFC 7611. */
  AcceptOwn: 0xffff0001,
  /** draft-l3vpn-legacy-rtc (IANA-assigned; Cilium accepts these names). */
  RouteFilterTranslatedV4: 0xffff0002,
  RouteFilterV4: 0xffff0003,
  RouteFilterTranslatedV6: 0xffff0004,
  RouteFilterV6: 0xffff0005,
  /** RFC 9494. */
  LlgrStale: 0xffff0006,
  /** RFC 9494. */
  NoLlgr: 0xffff0007,
  /** RFC 7999 (65535:666). */
  Blackhole: 0xffff029a,
  /** RFC 1997. */
  NoExport: 0xffffff01,
  /** RFC 1997. */
  NoAdvertise: 0xffffff02,
  /** RFC 1997 (FRR and Cisco call it "local-as"). */
  NoExportSubconfed: 0xffffff03,
  /** RFC 3765. */
  NoPeer: 0xffffff04
} as const

const W = WellKnownCommunity

/** The printed name of each well-known value. */
const NAMES: ReadonlyMap<number, string> = new Map([
  [W.GracefulShutdown, "graceful-shutdown"],
  [W.AcceptOwn, "accept-own"],
  [W.RouteFilterTranslatedV4, "route-filter-translated-v4"],
  [W.RouteFilterV4, "route-filter-v4"],
  [W.RouteFilterTranslatedV6, "route-filter-translated-v6"],
  [W.RouteFilterV6, "route-filter-v6"],
  [W.LlgrStale, "llgr-stale"],
  [W.NoLlgr, "no-llgr"],
  [W.Blackhole, "blackhole"],
  [W.NoExport, "no-export"],
  [W.NoAdvertise, "no-advertise"],
  [W.NoExportSubconfed, "no-export-subconfed"],
  [W.NoPeer, "no-peer"]
])

/** Names accepted on input: the printed ones plus the spellings other tools and Cilium's CRDs use. */
const VALUES: ReadonlyMap<string, number> = new Map([
  ...[...NAMES].map(([v, n]): [string, number] => [n, v]),
  ["planned-shut", W.GracefulShutdown],
  ["local-as", W.NoExportSubconfed],
  ["internet", 0]
])

/** Every accepted well-known name with its value, for help texts and tests. */
export const wellKnownNames: ReadonlyMap<string, number> = VALUES

const halves = (n: number): string => `${n >>> 16}:${n & 0xffff}`

/** "ASN:VALUE", or the well-known name for the values that have one. */
export const formatCommunity = (n: number): string => NAMES.get(n) ?? halves(n)

export const formatCommunities = (cs: Uint32Array): Array<string> => Array.from(cs, formatCommunity)

/**
 * "65000:100" (each half 0..65535), a well-known name ("no-export", any case,
 * "_" for "-"), or the 32-bit value in decimal (Cilium's `standard` form).
 */
export const parseCommunity = (text: string): Parsed<number> => {
  const s = text.trim()
  const named = VALUES.get(s.toLowerCase().replaceAll("_", "-"))
  if (named !== undefined) return Either.right(named)
  const parts = s.split(":")
  if (parts.length === 1) {
    if (!/^[0-9]+$/.test(s)) {
      return fail("Community", text, `expected ASN:VALUE, a 32-bit decimal, or a well-known name (${[...VALUES.keys()].join(", ")})`)
    }
    const n = decimal(s, U32_MAX, "community value")
    return typeof n === "string" ? fail("Community", text, n) : Either.right(n)
  }
  if (parts.length !== 2) {
    const hint = parts.length === 3 ? " (three parts look like a large community, RFC 8092)" : ""
    return fail("Community", text, `a community has two parts ASN:VALUE, this has ${parts.length}${hint}`)
  }
  const hi = decimal(parts[0]!, U16_MAX, "ASN half")
  if (typeof hi === "string") return fail("Community", text, hi)
  const lo = decimal(parts[1]!, U16_MAX, "value half")
  if (typeof lo === "string") return fail("Community", text, lo)
  return Either.right(((hi << 16) | lo) >>> 0)
}

/** Global administrator, local data 1, local data 2 (RFC 8092 §3). */
export type LargeCommunity = readonly [number, number, number]

export const formatLargeCommunity = (c: LargeCommunity): string => `${c[0]}:${c[1]}:${c[2]}`

/** The flat triples of a LARGE_COMMUNITIES attribute as text. */
export const formatLargeCommunities = (cs: Uint32Array): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i + 2 < cs.length; i += 3) out.push(`${cs[i]}:${cs[i + 1]}:${cs[i + 2]}`)
  return out
}

/** "1:2:3": three unsigned 32-bit decimals. */
export const parseLargeCommunity = (text: string): Parsed<LargeCommunity> => {
  const parts = text.trim().split(":")
  if (parts.length !== 3) {
    return fail("LargeCommunity", text, `a large community has three parts GLOBAL:LOCAL1:LOCAL2, this has ${parts.length}`)
  }
  const names = ["global administrator", "local data 1", "local data 2"]
  const out: Array<number> = []
  for (let i = 0; i < 3; i++) {
    const n = decimal(parts[i]!, U32_MAX, names[i]!)
    if (typeof n === "string") return fail("LargeCommunity", text, n)
    out.push(n)
  }
  return Either.right([out[0]!, out[1]!, out[2]!])
}

/** Type high octets (RFC 4360 §3.1-3.2, RFC 5668 §2), transitive forms. */
export const ExtendedType = { TwoOctetAs: 0x00, Ipv4: 0x01, FourOctetAs: 0x02 } as const
/** Sub-types shared by the three AS/IPv4-specific types (RFC 4360 §4-5, RFC 5668). */
export const ExtendedSubtype = { RouteTarget: 0x02, RouteOrigin: 0x03 } as const

const KINDS: ReadonlyMap<string, number> = new Map([
  ["rt", ExtendedSubtype.RouteTarget],
  ["soo", ExtendedSubtype.RouteOrigin]
])

const u32At = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0
const u16At = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!

/**
 * The 8 bytes at `bytes[offset..]` as text. A 4-octet-AS community whose AS fits
 * in 2 octets prints the AS with an "L" suffix ("rt:65000L:100", as Junos does),
 * so that it parses back to the same type.
 */
export const formatExtendedCommunity = (bytes: Uint8Array, offset = 0): string => {
  const t = bytes[offset]!
  const st = bytes[offset + 1]!
  const kind = st === ExtendedSubtype.RouteTarget ? "rt" : st === ExtendedSubtype.RouteOrigin ? "soo" : undefined
  if (kind !== undefined) {
    const o = offset + 2
    if (t === ExtendedType.TwoOctetAs) return `${kind}:${u16At(bytes, o)}:${u32At(bytes, o + 2)}`
    if (t === ExtendedType.Ipv4) {
      return `${kind}:${bytes[o]}.${bytes[o + 1]}.${bytes[o + 2]}.${bytes[o + 3]}:${u16At(bytes, o + 4)}`
    }
    if (t === ExtendedType.FourOctetAs) {
      const asn = u32At(bytes, o)
      return `${kind}:${asn}${asn <= U16_MAX ? "L" : ""}:${u16At(bytes, o + 4)}`
    }
  }
  return `0x${hex(bytes, offset, offset + 2)}:${hex(bytes, offset + 2, offset + 8)}`
}

/** Every 8-byte community of an EXTENDED_COMMUNITIES attribute as text. */
export const formatExtendedCommunities = (bytes: Uint8Array): Array<string> => {
  const out: Array<string> = []
  for (let o = 0; o + 8 <= bytes.length; o += 8) out.push(formatExtendedCommunity(bytes, o))
  return out
}

const GENERIC = /^0x([0-9a-fA-F]{4}):([0-9a-fA-F]{12})$/

const put32 = (b: Uint8Array, o: number, n: number): void => {
  b[o] = n >>> 24
  b[o + 1] = n >>> 16
  b[o + 2] = n >>> 8
  b[o + 3] = n
}
const put16 = (b: Uint8Array, o: number, n: number): void => {
  b[o] = n >>> 8
  b[o + 1] = n
}

/**
 * "rt:65000:100", "rt:192.0.2.1:100", "rt:4200000000:100" (and "soo:" likewise),
 * or "0xTTSS:hhhhhhhhhhhh" for any 8 bytes. The administrator picks the type: an
 * IPv4 address is IPv4-specific; an AS above 65535, in asdot ("1.10"), or with an
 * "L" suffix is 4-octet-AS-specific (2-octet local value); else 2-octet-AS-specific
 * (4-octet local value).
 */
export const parseExtendedCommunity = (text: string): Parsed<Uint8Array> => {
  const s = text.trim()
  const out = new Uint8Array(8)
  const g = GENERIC.exec(s)
  if (g !== null) {
    for (let i = 0; i < 2; i++) out[i] = parseInt(g[1]!.slice(2 * i, 2 * i + 2), 16)
    for (let i = 0; i < 6; i++) out[2 + i] = parseInt(g[2]!.slice(2 * i, 2 * i + 2), 16)
    return Either.right(out)
  }
  const parts = s.split(":")
  const subtype = KINDS.get(parts[0]!.toLowerCase())
  if (subtype === undefined || parts.length !== 3) {
    return fail("ExtendedCommunity", text, "expected rt:ADMIN:VALUE, soo:ADMIN:VALUE or 0xTTSS:<12 hex digits>")
  }
  const [, admin, value] = parts as [string, string, string]
  out[1] = subtype
  if (admin.split(".").length === 4) {
    const a = parseAddress(admin)
    if (Either.isLeft(a) || a.right.afi !== Afi.Ipv4) {
      return fail("ExtendedCommunity", text, `administrator ${JSON.stringify(admin)} is not an IPv4 address`)
    }
    const v = decimal(value, U16_MAX, "local value of an IPv4-specific community")
    if (typeof v === "string") return fail("ExtendedCommunity", text, v)
    out[0] = ExtendedType.Ipv4
    out.set(a.right.bytes, 2)
    put16(out, 6, v)
    return Either.right(out)
  }
  const long = admin.endsWith("L")
  const asText = long ? admin.slice(0, -1) : admin
  const dot = asText.split(".")
  let asn: number | string
  if (dot.length === 2) {
    const hi = decimal(dot[0]!, U16_MAX, "asdot high part")
    const lo = decimal(dot[1]!, U16_MAX, "asdot low part")
    asn = typeof hi === "string" ? hi : typeof lo === "string" ? lo : hi * 65536 + lo
  } else {
    asn = decimal(asText, U32_MAX, "AS administrator")
  }
  if (typeof asn === "string") return fail("ExtendedCommunity", text, asn)
  if (long || dot.length === 2 || asn > U16_MAX) {
    const v = decimal(value, U16_MAX, "local value of a 4-octet AS community (RFC 5668)")
    if (typeof v === "string") return fail("ExtendedCommunity", text, v)
    out[0] = ExtendedType.FourOctetAs
    put32(out, 2, asn)
    put16(out, 6, v)
  } else {
    const v = decimal(value, U32_MAX, "local value")
    if (typeof v === "string") return fail("ExtendedCommunity", text, v)
    out[0] = ExtendedType.TwoOctetAs
    put16(out, 2, asn)
    put32(out, 4, v)
  }
  return Either.right(out)
}

/** Several texts into the flat form of the attribute; the first failure is returned. */
const collect = <A>(texts: ReadonlyArray<string>, parse: (t: string) => Parsed<A>): Parsed<Array<A>> => {
  const out: Array<A> = []
  for (const t of texts) {
    const r = parse(t)
    if (Either.isLeft(r)) return Either.left(r.left)
    out.push(r.right)
  }
  return Either.right(out)
}

export const communitiesFromText = (texts: ReadonlyArray<string>): Parsed<Uint32Array> =>
  Either.map(collect(texts, parseCommunity), (xs) => Uint32Array.from(xs))

export const largeCommunitiesFromText = (texts: ReadonlyArray<string>): Parsed<Uint32Array> =>
  Either.map(collect(texts, parseLargeCommunity), (xs) => Uint32Array.from(xs.flat()))

export const extendedCommunitiesFromText = (texts: ReadonlyArray<string>): Parsed<Uint8Array> =>
  Either.map(collect(texts, parseExtendedCommunity), (xs) => {
    const out = new Uint8Array(xs.length * 8)
    xs.forEach((x, i) => out.set(x, i * 8))
    return out
  })
