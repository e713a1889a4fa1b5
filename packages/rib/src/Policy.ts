/**
 * Import and export policy as data. A policy is an ordered list of rules and a default
 * action. A rule whose `match` holds applies its actions in order; `Accept` or `Reject`
 * ends the evaluation (the first terminal action wins); a rule without one lets the
 * evaluation go on to the next rule with the modified attributes: later rules match
 * against the route as earlier ones changed it (as in a BIRD filter, or an FRR route-map
 * entry with `on-match next`). When no terminal action was met, `defaultAction` decides
 * (modifications made on the way are kept).
 *
 * Matching is over one route: its family and prefix, its attributes, and the peer it
 * came from (for import: the sender; for export: the peer the best route was learned
 * from, `Peer.LOCAL` for local routes). Within a `Match` every given field must hold
 * (AND); within a list field any element may match (OR).
 */
import { Either } from "effect"
import { AsPath, Family, Text, type Attributes } from "@kbgp/wire"
import type { PeerId } from "./Peer.js"

/** RFC 8092 large community: global administrator, local data 1, local data 2. */
export type LargeCommunity = readonly [number, number, number]

/**
 * A prefix with a length range: matches prefixes inside `address/length` whose own length
 * is within [ge, le]. Without `ge`/`le` only `address/length` itself matches; with `ge`
 * alone `le` is the address width; with `le` alone `ge` is `length` (the usual router
 * prefix-list semantics).
 */
export interface PrefixRange {
  /** 4 (IPv4) or 16 (IPv6) bytes, host bits clear. */
  readonly address: Uint8Array
  readonly length: number
  readonly ge?: number
  readonly le?: number
}

export interface AsPathMatch {
  /** The AS appears anywhere in the path. */
  readonly contains?: number
  /** The leftmost AS (the neighbour that sent it, for eBGP) is this one (`AsPath.firstAs`). */
  readonly firstAs?: number
  /** The rightmost AS of a trailing AS_SEQUENCE (the originating AS) is this one. */
  readonly originAs?: number
  /** Path length for best path (`AsPath.length`) at least this. */
  readonly minLength?: number
  /** Path length for best path (`AsPath.length`) at most this. */
  readonly maxLength?: number
}

export interface Match {
  readonly families?: ReadonlyArray<Family.FamilyKey>
  readonly prefixes?: ReadonlyArray<PrefixRange>
  /** The route carries any of these standard communities. */
  readonly communities?: ReadonlyArray<number>
  /** The route carries any of these large communities. */
  readonly largeCommunities?: ReadonlyArray<LargeCommunity>
  readonly asPath?: AsPathMatch
  /** The source peer's address is one of these (4 or 16 bytes). */
  readonly peerAddresses?: ReadonlyArray<Uint8Array>
  /** The source peer's AS is one of these. */
  readonly peerAsns?: ReadonlyArray<number>
  /** The route was (true) or was not (false) originated locally (`Peer.LOCAL`). */
  readonly local?: boolean
}

export type Action =
  | { readonly _tag: "Accept" }
  | { readonly _tag: "Reject" }
  | { readonly _tag: "SetLocalPref"; readonly value: number }
  | { readonly _tag: "SetMed"; readonly value: number }
  | { readonly _tag: "AddCommunities"; readonly values: ReadonlyArray<number> }
  | { readonly _tag: "RemoveCommunities"; readonly values: ReadonlyArray<number> }
  | { readonly _tag: "SetCommunities"; readonly values: ReadonlyArray<number> }
  | { readonly _tag: "AddLargeCommunities"; readonly values: ReadonlyArray<LargeCommunity> }
  | { readonly _tag: "RemoveLargeCommunities"; readonly values: ReadonlyArray<LargeCommunity> }
  | { readonly _tag: "SetLargeCommunities"; readonly values: ReadonlyArray<LargeCommunity> }
  /** Prepend `asn` (default: the local AS) `count` times. */
  | { readonly _tag: "PrependAsPath"; readonly asn?: number; readonly count: number }
  /** Next hop = this speaker's address for the family (`PeerConfig.nextHopSelf`). */
  | { readonly _tag: "NextHopSelf" }
  /** Next hop = these bytes (4, 16 or 32). */
  | { readonly _tag: "SetNextHop"; readonly nextHop: Uint8Array }

export interface Rule {
  /** For people and `explain`. */
  readonly name?: string
  readonly match: Match
  readonly actions: ReadonlyArray<Action>
}

export interface Policy {
  readonly rules: ReadonlyArray<Rule>
  readonly defaultAction: "accept" | "reject"
}

// --- constructors ----------------------------------------------------------------------------------------

export const acceptAll: Policy = { rules: [], defaultAction: "accept" }
export const rejectAll: Policy = { rules: [], defaultAction: "reject" }

export const make = (rules: ReadonlyArray<Rule>, defaultAction: "accept" | "reject" = "reject"): Policy => ({ rules, defaultAction })

export const rule = (match: Match, ...actions: ReadonlyArray<Action>): Rule => ({ match, actions })

export const accept: Action = { _tag: "Accept" }
export const reject: Action = { _tag: "Reject" }
export const setLocalPref = (value: number): Action => ({ _tag: "SetLocalPref", value })
export const setMed = (value: number): Action => ({ _tag: "SetMed", value })
export const addCommunities = (...values: ReadonlyArray<number>): Action => ({ _tag: "AddCommunities", values })
export const removeCommunities = (...values: ReadonlyArray<number>): Action => ({ _tag: "RemoveCommunities", values })
export const setCommunities = (...values: ReadonlyArray<number>): Action => ({ _tag: "SetCommunities", values })
export const addLargeCommunities = (...values: ReadonlyArray<LargeCommunity>): Action => ({ _tag: "AddLargeCommunities", values })
export const removeLargeCommunities = (...values: ReadonlyArray<LargeCommunity>): Action => ({ _tag: "RemoveLargeCommunities", values })
export const setLargeCommunities = (...values: ReadonlyArray<LargeCommunity>): Action => ({ _tag: "SetLargeCommunities", values })
export const prependAsPath = (count: number, asn?: number): Action =>
  asn === undefined ? { _tag: "PrependAsPath", count } : { _tag: "PrependAsPath", asn, count }
export const nextHopSelf: Action = { _tag: "NextHopSelf" }
export const setNextHop = (nextHop: Uint8Array): Action => ({ _tag: "SetNextHop", nextHop })

/** A `PrefixRange` from text ("10.0.0.0/8", with optional `ge`/`le`); throws a RangeError for bad text. */
export const prefix = (text: string, range: { readonly ge?: number; readonly le?: number } = {}): PrefixRange => {
  const p = Text.parsePrefix(text)
  if (Either.isLeft(p)) throw new RangeError(p.left.message)
  const max = p.right.address.length * 8
  const { ge, le } = range
  if ((ge !== undefined && (ge < p.right.length || ge > max)) || (le !== undefined && (le < (ge ?? p.right.length) || le > max))) {
    throw new RangeError(`ge ${ge ?? "-"} / le ${le ?? "-"} do not fit ${text} (lengths ${p.right.length}..${max})`)
  }
  return { address: p.right.address, length: p.right.length, ...(ge === undefined ? {} : { ge }), ...(le === undefined ? {} : { le }) }
}

// --- evaluation ------------------------------------------------------------------------------------------

/** The route a policy looks at. */
export interface Subject {
  readonly family: Family.FamilyKey
  /** Prefix address bytes (4 or 16, host bits clear) and length. */
  readonly address: Uint8Array
  readonly length: number
  readonly attributes: Attributes.Attributes
  /** The peer the route came from (`Peer.LOCAL` for local routes), with its address and AS. */
  readonly peer: PeerId
  readonly peerAddress: Uint8Array
  readonly peerAs: number
}

/** What actions need to know about the speaker. */
export interface Environment {
  readonly localAs: number
  /** The next hop `NextHopSelf` sets for this route's family; without one the action does nothing. */
  readonly nextHopSelf?: Uint8Array
}

export type Result =
  | { readonly accept: false }
  | {
      readonly accept: true
      readonly attributes: Attributes.Attributes
      /** A rule set the next hop (self or explicit): the standard export rule must not override it. */
      readonly nextHopSet: boolean
    }

const inRange = (r: PrefixRange, address: Uint8Array, length: number): boolean => {
  if (r.address.length !== address.length) return false
  const max = address.length * 8
  const ge = r.ge ?? r.length
  const le = r.le ?? (r.ge !== undefined ? max : r.length)
  if (length < ge || length > le || length < r.length) return false
  const full = r.length >>> 3
  for (let i = 0; i < full; i++) if (r.address[i] !== address[i]) return false
  const rem = r.length & 7
  if (rem === 0) return true
  const mask = 0xff00 >>> rem
  return (r.address[full]! & mask) === (address[full]! & mask)
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const hasAnyCommunity = (cs: Uint32Array | undefined, wanted: ReadonlyArray<number>): boolean => {
  if (cs === undefined) return false
  for (let i = 0; i < cs.length; i++) if (wanted.includes(cs[i]!)) return true
  return false
}

const hasAnyLarge = (cs: Uint32Array | undefined, wanted: ReadonlyArray<LargeCommunity>): boolean => {
  if (cs === undefined) return false
  for (let i = 0; i + 2 < cs.length; i += 3) {
    for (const w of wanted) if (cs[i] === w[0] && cs[i + 1] === w[1] && cs[i + 2] === w[2]) return true
  }
  return false
}

/** The rightmost AS of a trailing AS_SEQUENCE: the AS that originated the route. */
export const originAs = (path: Attributes.AsPath): number | undefined => {
  const s = path[path.length - 1]
  return s !== undefined && s.type === 2 && s.asns.length > 0 ? s.asns[s.asns.length - 1] : undefined
}

const asPathMatches = (m: AsPathMatch, path: Attributes.AsPath): boolean => {
  if (m.contains !== undefined && !AsPath.includes(path, m.contains)) return false
  if (m.firstAs !== undefined && AsPath.firstAs(path) !== m.firstAs) return false
  if (m.originAs !== undefined && originAs(path) !== m.originAs) return false
  if (m.minLength !== undefined || m.maxLength !== undefined) {
    const n = AsPath.length(path)
    if (m.minLength !== undefined && n < m.minLength) return false
    if (m.maxLength !== undefined && n > m.maxLength) return false
  }
  return true
}

const NO_PATH: Attributes.AsPath = []

/** True when every field of `m` holds for the route. */
export const matches = (m: Match, s: Subject): boolean => {
  if (m.families !== undefined && !m.families.includes(s.family)) return false
  if (m.local !== undefined && m.local !== (s.peer === 0)) return false
  if (m.peerAsns !== undefined && !m.peerAsns.includes(s.peerAs)) return false
  if (m.peerAddresses !== undefined && !m.peerAddresses.some((a) => sameBytes(a, s.peerAddress))) return false
  if (m.prefixes !== undefined && !m.prefixes.some((r) => inRange(r, s.address, s.length))) return false
  if (m.communities !== undefined && !hasAnyCommunity(s.attributes.communities, m.communities)) return false
  if (m.largeCommunities !== undefined && !hasAnyLarge(s.attributes.largeCommunities, m.largeCommunities)) return false
  if (m.asPath !== undefined && !asPathMatches(m.asPath, s.attributes.asPath ?? NO_PATH)) return false
  return true
}

/** True when the match reads the prefix (so results cannot be shared between prefixes with the same attributes). */
export const readsPrefix = (m: Match): boolean => m.prefixes !== undefined

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const withoutValues = (cs: Uint32Array | undefined, drop: ReadonlyArray<number>): Uint32Array | undefined => {
  if (cs === undefined) return undefined
  const kept = cs.filter((c) => !drop.includes(c))
  return kept.length === 0 ? undefined : kept
}

const appendNew = (cs: Uint32Array | undefined, add: ReadonlyArray<number>): Uint32Array => {
  const out = cs === undefined ? [] : Array.from(cs)
  for (const c of add) if (!out.includes(c)) out.push(c)
  return Uint32Array.from(out)
}

const largeToWords = (values: ReadonlyArray<LargeCommunity>): Array<number> => values.flatMap((v) => [v[0], v[1], v[2]])

const largeWithout = (cs: Uint32Array | undefined, drop: ReadonlyArray<LargeCommunity>): Uint32Array | undefined => {
  if (cs === undefined) return undefined
  const out: Array<number> = []
  for (let i = 0; i + 2 < cs.length; i += 3) {
    const hit = drop.some((d) => cs[i] === d[0] && cs[i + 1] === d[1] && cs[i + 2] === d[2])
    if (!hit) out.push(cs[i]!, cs[i + 1]!, cs[i + 2]!)
  }
  return out.length === 0 ? undefined : Uint32Array.from(out)
}

const largeAppend = (cs: Uint32Array | undefined, add: ReadonlyArray<LargeCommunity>): Uint32Array => {
  const kept = largeWithout(cs, add)
  return Uint32Array.from([...(kept ?? []), ...largeToWords(add)])
}

const setOrDelete = <K extends keyof Attributes.Attributes>(a: Mutable<Attributes.Attributes>, k: K, v: Attributes.Attributes[K] | undefined): void => {
  if (v === undefined) delete a[k]
  else a[k] = v
}

/** Prepend `asn` `count` times (RFC 4271 §5.1.2: into a leading AS_SEQUENCE, a new one when the path starts otherwise or is full). */
export const prepend = (path: Attributes.AsPath, asn: number, count: number): Attributes.AsPath => {
  if (count <= 0) return path
  const first = path[0]
  const add = new Array<number>(count).fill(asn)
  if (first !== undefined && first.type === 2 && first.asns.length + count <= 255) {
    return [{ type: 2, asns: add.concat(first.asns) }, ...path.slice(1)]
  }
  const out: Array<Attributes.AsPathSegment> = []
  for (let i = 0; i < count; i += 255) out.push({ type: 2, asns: add.slice(i, i + 255) })
  return [...out, ...path]
}

/**
 * Apply one non-terminal action to `a` (mutated; the caller passes a fresh copy).
 * Returns true when the action set the next hop.
 */
export const applyAction = (a: Mutable<Attributes.Attributes>, action: Action, env: Environment): boolean => {
  switch (action._tag) {
    case "Accept":
    case "Reject":
      return false
    case "SetLocalPref":
      a.localPref = action.value >>> 0
      return false
    case "SetMed":
      a.med = action.value >>> 0
      return false
    case "AddCommunities":
      a.communities = appendNew(a.communities, action.values)
      return false
    case "RemoveCommunities":
      setOrDelete(a, "communities", withoutValues(a.communities, action.values))
      return false
    case "SetCommunities":
      setOrDelete(a, "communities", action.values.length === 0 ? undefined : Uint32Array.from(action.values))
      return false
    case "AddLargeCommunities":
      a.largeCommunities = largeAppend(a.largeCommunities, action.values)
      return false
    case "RemoveLargeCommunities":
      setOrDelete(a, "largeCommunities", largeWithout(a.largeCommunities, action.values))
      return false
    case "SetLargeCommunities":
      setOrDelete(a, "largeCommunities", action.values.length === 0 ? undefined : Uint32Array.from(largeToWords(action.values)))
      return false
    case "PrependAsPath":
      a.asPath = prepend(a.asPath ?? NO_PATH, action.asn ?? env.localAs, action.count)
      return false
    case "NextHopSelf":
      if (env.nextHopSelf === undefined) return false
      a.nextHop = env.nextHopSelf
      return true
    case "SetNextHop":
      a.nextHop = action.nextHop
      return true
  }
}

/**
 * The rules that fire for a route, as the index of each matching rule in order, ending
 * with the terminal one if any, and the verdict. Each rule is matched against the
 * attributes as the rules before it in the trace changed them, so the result is still a
 * function of (attributes, trace, environment): the RIB caches results by (attribute set,
 * trace) per peer and family.
 */
export interface Trace {
  readonly rules: ReadonlyArray<number>
  readonly accept: boolean
}

/** True when the match reads the attributes (so changes made by earlier rules can decide it). */
const readsAttributes = (m: Match): boolean => m.communities !== undefined || m.largeCommunities !== undefined || m.asPath !== undefined

export const trace = (policy: Policy, s: Subject, env: Environment): Trace => {
  const rules: Array<number> = []
  let current = s
  // The actions of rules[0 .. applied) are in `current`; they are applied (to a copy) only when a later match
  // reads the attributes. A rule in `rules` before the last has no terminal action: all its actions apply.
  let applied = 0
  for (let i = 0; i < policy.rules.length; i++) {
    const r = policy.rules[i]!
    if (applied < rules.length && readsAttributes(r.match)) {
      let a: Mutable<Attributes.Attributes> | undefined
      for (; applied < rules.length; applied++) {
        for (const x of policy.rules[rules[applied]!]!.actions) applyAction((a ??= { ...current.attributes }), x, env)
      }
      if (a !== undefined) current = { ...s, attributes: a }
    }
    if (!matches(r.match, current)) continue
    rules.push(i)
    for (const a of r.actions) {
      if (a._tag === "Accept") return { rules, accept: true }
      if (a._tag === "Reject") return { rules, accept: false }
    }
  }
  return { rules, accept: policy.defaultAction === "accept" }
}

/** Apply the actions of the rules in `t` to `attributes`; returns the same object when nothing changed. */
export const applyTrace = (policy: Policy, t: Trace, attributes: Attributes.Attributes, env: Environment): Result => {
  if (!t.accept) return { accept: false }
  let out: Mutable<Attributes.Attributes> | undefined
  let nextHopSet = false
  for (const i of t.rules) {
    for (const a of policy.rules[i]!.actions) {
      if (a._tag === "Accept" || a._tag === "Reject") break
      out ??= { ...attributes }
      nextHopSet = applyAction(out, a, env) || nextHopSet
    }
  }
  return { accept: true, attributes: out ?? attributes, nextHopSet }
}

/** Evaluate a policy for one route: reject, or accept with the (possibly modified) attributes. */
export const evaluate = (policy: Policy, s: Subject, env: Environment): Result => applyTrace(policy, trace(policy, s, env), s.attributes, env)

// --- validation ------------------------------------------------------------------------------------------

/** Something wrong in a policy: `path` is relative to the policy ("rules[2].actions[0].count"; "" for the whole). */
export interface Problem {
  readonly path: string
  readonly message: string
}

const isInt = (n: unknown, min: number, max: number): n is number => typeof n === "number" && Number.isInteger(n) && n >= min && n <= max
const U32 = 0xffffffff
const isU32 = (n: unknown): n is number => isInt(n, 0, U32)
const isBytes = (b: unknown, ...lengths: ReadonlyArray<number>): b is Uint8Array => b instanceof Uint8Array && lengths.includes(b.length)

type Report = (path: string, message: string) => void

const checkList = <A>(xs: unknown, at: string, report: Report, each: (x: A, at: string) => void): void => {
  if (!Array.isArray(xs)) return report(at, "expected a list")
  xs.forEach((x, i) => each(x as A, `${at}[${i}]`))
}

const checkU32s = (xs: unknown, at: string, report: Report, what: string): void =>
  checkList<unknown>(xs, at, report, (x, p) => {
    if (!isU32(x)) report(p, `expected ${what} (0 to 4294967295)`)
  })

const checkLarge = (xs: unknown, at: string, report: Report): void =>
  checkList<unknown>(xs, at, report, (x, p) => {
    if (!Array.isArray(x) || x.length !== 3 || !x.every(isU32)) report(p, "expected a large community: three numbers 0 to 4294967295 (RFC 8092)")
  })

const checkRange = (r: PrefixRange, at: string, report: Report): void => {
  if (typeof r !== "object" || r === null) return report(at, "expected a prefix range { address, length, ge?, le? }")
  if (!isBytes(r.address, 4, 16)) return report(`${at}.address`, "expected 4 (IPv4) or 16 (IPv6) address bytes")
  const max = r.address.length * 8
  if (!isInt(r.length, 0, max)) return report(`${at}.length`, `expected a prefix length 0 to ${max}`)
  const full = r.length >>> 3
  const rem = r.length & 7
  if ((rem !== 0 && (r.address[full]! & (0xff >>> rem)) !== 0) || r.address.subarray(full + (rem === 0 ? 0 : 1)).some((b) => b !== 0)) {
    return report(`${at}.address`, `expected host bits clear past /${r.length}`)
  }
  if (r.ge !== undefined && !isInt(r.ge, r.length, max)) return report(`${at}.ge`, `expected a length ${r.length} to ${max}`)
  if (r.le !== undefined && !isInt(r.le, r.ge ?? r.length, max)) return report(`${at}.le`, `expected a length ${r.ge ?? r.length} to ${max} (at least ge)`)
}

const checkMatch = (m: Match, at: string, report: Report): void => {
  if (typeof m !== "object" || m === null) return report(at, "expected a match ({} matches every route)")
  if (m.families !== undefined) {
    checkList<unknown>(m.families, `${at}.families`, report, (f, p) => {
      if (f !== Family.Ipv4Unicast && f !== Family.Ipv6Unicast) report(p, "expected a family kept by the RIB (IPv4 or IPv6 unicast)")
    })
  }
  if (m.prefixes !== undefined) checkList<PrefixRange>(m.prefixes, `${at}.prefixes`, report, (r, p) => checkRange(r, p, report))
  if (m.communities !== undefined) checkU32s(m.communities, `${at}.communities`, report, "a community")
  if (m.largeCommunities !== undefined) checkLarge(m.largeCommunities, `${at}.largeCommunities`, report)
  const ap = m.asPath
  if (ap !== undefined) {
    if (typeof ap !== "object" || ap === null) report(`${at}.asPath`, "expected an AS path match")
    else {
      for (const k of ["contains", "firstAs", "originAs"] as const) {
        if (ap[k] !== undefined && !isU32(ap[k])) report(`${at}.asPath.${k}`, "expected an AS number (0 to 4294967295)")
      }
      for (const k of ["minLength", "maxLength"] as const) {
        if (ap[k] !== undefined && !isU32(ap[k])) report(`${at}.asPath.${k}`, "expected a path length (0 and more)")
      }
      if (isU32(ap.minLength) && isU32(ap.maxLength) && ap.minLength > ap.maxLength) report(`${at}.asPath.maxLength`, "expected at least minLength")
    }
  }
  if (m.peerAddresses !== undefined) {
    checkList<unknown>(m.peerAddresses, `${at}.peerAddresses`, report, (a, p) => {
      if (!isBytes(a, 4, 16)) report(p, "expected 4 (IPv4) or 16 (IPv6) address bytes")
    })
  }
  if (m.peerAsns !== undefined) checkU32s(m.peerAsns, `${at}.peerAsns`, report, "an AS number")
  if (m.local !== undefined && typeof m.local !== "boolean") report(`${at}.local`, "expected true or false")
}

const checkAction = (a: Action, at: string, report: Report): void => {
  if (typeof a !== "object" || a === null) return report(at, "expected an action")
  switch (a._tag) {
    case "Accept":
    case "Reject":
    case "NextHopSelf":
      return
    case "SetLocalPref":
    case "SetMed":
      if (!isU32(a.value)) report(`${at}.value`, "expected 0 to 4294967295")
      return
    case "AddCommunities":
    case "RemoveCommunities":
    case "SetCommunities":
      return checkU32s(a.values, `${at}.values`, report, "a community")
    case "AddLargeCommunities":
    case "RemoveLargeCommunities":
    case "SetLargeCommunities":
      return checkLarge(a.values, `${at}.values`, report)
    case "PrependAsPath":
      // One AS_SEQUENCE holds at most 255 AS numbers (RFC 4271 §4.3); more only makes the path useless.
      if (!isInt(a.count, 1, 255)) report(`${at}.count`, "expected a count 1 to 255")
      // RFC 7607 §2: AS 0 must not appear in an AS_PATH (receivers treat it as malformed).
      if (a.asn !== undefined && !isInt(a.asn, 1, U32)) report(`${at}.asn`, "expected an AS number 1 to 4294967295")
      return
    case "SetNextHop":
      if (!isBytes(a.nextHop, 4, 16, 32)) report(`${at}.nextHop`, "expected 4 (IPv4), 16 or 32 (IPv6 global + link-local) bytes")
      return
    default:
      report(`${at}._tag`, "expected a known action")
  }
}

/**
 * Check a policy that came from outside as data (a desired state, a file): every value in range, every
 * prefix range able to match. Returns the problems found, none for a valid policy; evaluating an invalid
 * one may throw (a prepend count of 2^32) or silently wrap (a MED of -1 is sent as 4294967295).
 */
export const validate = (policy: Policy): ReadonlyArray<Problem> => {
  const out: Array<Problem> = []
  const report: Report = (path, message) => {
    out.push({ path, message })
  }
  if (typeof policy !== "object" || policy === null) return [{ path: "", message: "expected a policy { rules, defaultAction }" }]
  if (policy.defaultAction !== "accept" && policy.defaultAction !== "reject") report("defaultAction", 'expected "accept" or "reject"')
  checkList<Rule>(policy.rules, "rules", report, (r, at) => {
    if (typeof r !== "object" || r === null) return report(at, "expected a rule { match, actions }")
    checkMatch(r.match, `${at}.match`, report)
    checkList<Action>(r.actions, `${at}.actions`, report, (a, p) => checkAction(a, p, report))
  })
  return out
}
