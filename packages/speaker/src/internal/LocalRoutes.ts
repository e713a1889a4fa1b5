/**
 * The routes we originate, compiled from `DesiredState.routes`: per scope
 * (which peers get them) and family, prefix key → attribute template. Routes
 * sharing attributes share one `Template` object, kept across compiles while
 * its attributes stay the same, so a diff compares templates by identity and a
 * million prefixes cost a map entry each, not an object.
 */
import { Either } from "effect"
import { Attributes, Family, Text } from "@kbgp/wire"
import type { Family as FamilyTypes } from "@kbgp/wire"
import { type Route, splitIssue } from "../DesiredState.js"
import * as SpeakerError from "../SpeakerError.js"
import * as Keys from "./Keys.js"

type FamilyKey = FamilyTypes.FamilyKey

/** The attributes of a local route before the per-peer export rules. */
export interface Template {
  readonly id: number
  /** Canonical text of the attributes: equal keys, equal templates. */
  readonly key: string
  readonly origin: Attributes.Origin
  readonly asPath: ReadonlyArray<number>
  readonly prepend: number
  readonly med: number | undefined
  readonly localPref: number | undefined
  readonly communities: Uint32Array | undefined
  readonly largeCommunities: Uint32Array | undefined
  readonly extendedCommunities: Uint8Array | undefined
  /** An explicit next hop (4 or 16 bytes) or the session's local address. */
  readonly nextHop: Uint8Array | "self"
  readonly linkLocal: Uint8Array | undefined
}

/** Scope "" is every peer; any other is the JSON of a sorted list of peer names. */
export type Scope = string

export const ALL: Scope = ""

export type FamilyTable = Map<Keys.PrefixKey, Template>

export interface Table {
  readonly scopes: ReadonlyMap<Scope, ReadonlyMap<FamilyKey, FamilyTable>>
  /** The peer names of each scope (but ALL). */
  readonly members: ReadonlyMap<Scope, ReadonlySet<string>>
  /** Templates by key, for reuse by the next compile. */
  readonly templates: ReadonlyMap<string, Template>
}

export const empty: Table = { scopes: new Map(), members: new Map(), templates: new Map() }

export interface Change {
  readonly scope: Scope
  readonly family: FamilyKey
  readonly key: Keys.PrefixKey
  readonly before: Template | undefined
  readonly after: Template | undefined
}

let nextTemplateId = 1

const ORIGINS: Record<string, Attributes.Origin> = {
  igp: Attributes.Origin.Igp,
  egp: Attributes.Origin.Egp,
  incomplete: Attributes.Origin.Incomplete
}

const u32 = (n: unknown): boolean => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff

const hex = (b: Uint8Array | undefined): string => (b === undefined ? "" : Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(""))

/** The template of one route entry, or the error with its path. */
const template = (
  route: Route,
  path: string,
  previous: ReadonlyMap<string, Template>,
  fresh: Map<string, Template>
): Template | SpeakerError.SpeakerError => {
  const origin = route.origin === undefined ? Attributes.Origin.Igp : ORIGINS[route.origin]
  if (origin === undefined) return SpeakerError.config(`${path}.origin`, `expected "igp", "egp" or "incomplete", got ${JSON.stringify(route.origin)}`)
  const asPath = route.asPath ?? []
  for (let i = 0; i < asPath.length; i++) {
    if (!u32(asPath[i]) || asPath[i] === 0) return SpeakerError.config(`${path}.asPath[${i}]`, "expected an AS number (1 to 4294967295)")
  }
  const prepend = route.asPathPrepend ?? 0
  if (!Number.isInteger(prepend) || prepend < 0 || prepend > 32) return SpeakerError.config(`${path}.asPathPrepend`, "expected 0 to 32")
  if (route.med !== undefined && !u32(route.med)) return SpeakerError.config(`${path}.med`, "expected 0 to 4294967295")
  if (route.localPref !== undefined && !u32(route.localPref)) return SpeakerError.config(`${path}.localPref`, "expected 0 to 4294967295")
  const parsed = <A>(values: ReadonlyArray<string> | undefined, field: string, parse: (t: string) => Either.Either<A, Text.TextError>): Array<A> | SpeakerError.SpeakerError => {
    const out: Array<A> = []
    for (let i = 0; i < (values?.length ?? 0); i++) {
      const r = parse(values![i]!)
      if (Either.isLeft(r)) return SpeakerError.config(`${path}.${field}[${i}]`, r.left.message)
      out.push(r.right)
    }
    return out
  }
  const communities = parsed(route.communities, "communities", Text.parseCommunity)
  if (communities instanceof SpeakerError.SpeakerError) return communities
  const large = parsed(route.largeCommunities, "largeCommunities", Text.parseLargeCommunity)
  if (large instanceof SpeakerError.SpeakerError) return large
  const extended = parsed(route.extendedCommunities, "extendedCommunities", Text.parseExtendedCommunity)
  if (extended instanceof SpeakerError.SpeakerError) return extended
  let nextHop: Uint8Array | "self" = "self"
  if (route.nextHop !== undefined && route.nextHop !== "self") {
    const a = Text.parseAddress(route.nextHop)
    if (Either.isLeft(a)) return SpeakerError.config(`${path}.nextHop`, `expected "self" or an IP address: ${a.left.message}`)
    nextHop = a.right.bytes
  }
  let linkLocal: Uint8Array | undefined
  if (route.linkLocalNextHop !== undefined) {
    const a = Text.parseAddress(route.linkLocalNextHop)
    if (Either.isLeft(a) || a.right.afi !== Family.Afi.Ipv6 || a.right.bytes[0] !== 0xfe || (a.right.bytes[1]! & 0xc0) !== 0x80) {
      return SpeakerError.config(`${path}.linkLocalNextHop`, "expected an IPv6 link-local address (fe80::/10)")
    }
    linkLocal = a.right.bytes
  }
  const fields = {
    origin,
    asPath: [...asPath],
    prepend,
    med: route.med,
    localPref: route.localPref,
    communities: communities.length === 0 ? undefined : Uint32Array.from(communities),
    largeCommunities: large.length === 0 ? undefined : Uint32Array.from(large.flatMap((c) => [c[0], c[1], c[2]])),
    extendedCommunities: extended.length === 0 ? undefined : concatBytes(extended),
    nextHop,
    linkLocal
  }
  const key = JSON.stringify([
    fields.origin,
    fields.asPath,
    fields.prepend,
    fields.med ?? null,
    fields.localPref ?? null,
    fields.communities === undefined ? null : Array.from(fields.communities),
    fields.largeCommunities === undefined ? null : Array.from(fields.largeCommunities),
    hex(fields.extendedCommunities),
    nextHop === "self" ? "self" : hex(nextHop),
    hex(linkLocal)
  ])
  const known = fresh.get(key) ?? previous.get(key)
  if (known !== undefined) {
    fresh.set(key, known)
    return known
  }
  const t: Template = { id: nextTemplateId++, key, ...fields }
  fresh.set(key, t)
  return t
}

const concatBytes = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** The scope of a route's `peers` list. */
export const scopeOf = (peers: ReadonlyArray<string> | undefined): Scope =>
  peers === undefined ? ALL : JSON.stringify([...new Set(peers)].sort())

/** Compile the desired routes; `previous` lends its templates so unchanged attributes keep their identity. */
export const compile = (routes: ReadonlyArray<Route>, previous: Table): Table | SpeakerError.SpeakerError => {
  const scopes = new Map<Scope, Map<FamilyKey, FamilyTable>>()
  const members = new Map<Scope, ReadonlySet<string>>()
  const templates = new Map<string, Template>()
  for (let r = 0; r < routes.length; r++) {
    const route = routes[r]!
    const path = `routes[${r}]`
    if (route.prefix === undefined && (route.prefixes === undefined || route.prefixes.length === 0)) {
      return SpeakerError.config(path, "expected `prefix` or a non-empty `prefixes` list")
    }
    if (route.peers !== undefined) {
      for (let i = 0; i < route.peers.length; i++) {
        if (typeof route.peers[i] !== "string" || route.peers[i]!.length === 0) return SpeakerError.config(`${path}.peers[${i}]`, "expected a peer name")
      }
    }
    const t = template(route, path, previous.templates, templates)
    if (t instanceof SpeakerError.SpeakerError) return t
    const scope = scopeOf(route.peers)
    if (scope !== ALL && !members.has(scope)) members.set(scope, new Set(route.peers))
    let families = scopes.get(scope)
    if (families === undefined) scopes.set(scope, (families = new Map()))
    const split = route.split
    if (split !== undefined && (!Number.isInteger(split) || split < 0 || split > 128)) {
      return SpeakerError.config(`${path}.split`, "expected a prefix length (0 to 32 for IPv4, to 128 for IPv6)")
    }
    const add = (text: string, at: string): SpeakerError.SpeakerError | undefined => {
      const p = Keys.parse(text)
      if (p instanceof Text.TextError) return SpeakerError.config(at, p.message)
      if (t.nextHop !== "self" && (t.nextHop.length === 4) !== (p.family === Family.Ipv4Unicast)) {
        return SpeakerError.config(`${path}.nextHop`, `an ${t.nextHop.length === 4 ? "IPv4" : "IPv6"} next hop for ${text}`)
      }
      if (t.linkLocal !== undefined && p.family !== Family.Ipv6Unicast) {
        return SpeakerError.config(`${path}.linkLocalNextHop`, `a link-local next hop for the IPv4 prefix ${text}`)
      }
      let table = families!.get(p.family)
      if (table === undefined) families!.set(p.family, (table = new Map()))
      if (split === undefined) {
        table.set(p.key, t)
        return undefined
      }
      const e = splitError(p.key, split)
      if (e !== undefined) return SpeakerError.config(`${path}.split`, `${e} (${text})`)
      for (const key of expand(p.key, split)) table.set(key, t)
      return undefined
    }
    if (route.prefix !== undefined) {
      const e = add(route.prefix, `${path}.prefix`)
      if (e !== undefined) return e
    }
    const list = route.prefixes ?? []
    for (let i = 0; i < list.length; i++) {
      const e = add(list[i]!, `${path}.prefixes[${i}]`)
      if (e !== undefined) return e
    }
  }
  return { scopes, members, templates }
}

/** Why `key` cannot be split into prefixes of length `split`, or undefined when it can. */
export const splitError = (key: Keys.PrefixKey, split: number): string | undefined =>
  splitIssue(Keys.lengthOf(key), typeof key === "number" ? 32 : 128, split)

/** The more-specifics of length `split` inside `key` (checked by `splitError`), in address order. */
export function* expand(key: Keys.PrefixKey, split: number): Generator<Keys.PrefixKey> {
  const count = 2 ** (split - Keys.lengthOf(key))
  if (typeof key === "number") {
    const base = Math.floor(key / 64)
    const step = 2 ** (32 - split)
    for (let i = 0; i < count; i++) yield (base + i * step) * 64 + split
    return
  }
  let base = 0n
  for (let i = 0; i < 8; i++) base = (base << 16n) | BigInt(key.charCodeAt(i))
  const step = 1n << BigInt(128 - split)
  const length = String.fromCharCode(split)
  for (let i = 0; i < count; i++) {
    const v = base + BigInt(i) * step
    let s = ""
    for (let h = 7; h >= 0; h--) s += String.fromCharCode(Number((v >> BigInt(16 * h)) & 0xffffn))
    yield s + length
  }
}

/** Every prefix whose template differs between two tables (added, removed, changed). */
export const diff = (before: Table, after: Table): Array<Change> => {
  const out: Array<Change> = []
  const scopes = new Set([...before.scopes.keys(), ...after.scopes.keys()])
  for (const scope of scopes) {
    const b = before.scopes.get(scope)
    const a = after.scopes.get(scope)
    const families = new Set([...(b?.keys() ?? []), ...(a?.keys() ?? [])])
    for (const family of families) {
      const bt = b?.get(family)
      const at = a?.get(family)
      if (at !== undefined) {
        for (const [key, t] of at) {
          const old = bt?.get(key)
          if (old !== t) out.push({ scope, family, key, before: old, after: t })
        }
      }
      if (bt !== undefined) {
        for (const [key, t] of bt) if (at === undefined || !at.has(key)) out.push({ scope, family, key, before: t, after: undefined })
      }
    }
  }
  return out
}

/** Prefixes per family across scopes (a prefix in two scopes counts twice). */
export const counts = (table: Table): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const families of table.scopes.values()) {
    for (const [family, t] of families) out[Family.format(family)] = (out[Family.format(family)] ?? 0) + t.size
  }
  return out
}
