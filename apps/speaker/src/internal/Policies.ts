/**
 * Policies of the config file into `@kbgp/rib` policies (data, not code): names
 * resolved, text forms turned into the numbers and bytes the RIB matches on.
 * A rule's `set` becomes actions in a fixed order (local-pref, MED, communities,
 * large communities, prepend, next hop), then its `action` (default accept;
 * `next` adds none, so evaluation goes on with the changes kept).
 */
import { Either } from "effect"
import type { Policy } from "@kbgp/rib"
import { Family, Text } from "@kbgp/wire"
import type { Path } from "./Issues.js"
import type * as S from "./Schemas.js"

type Report = (p: Path, message: string) => void

/** A configured peer, as policies see it: `peers` in a match names these. */
export interface PeerRef {
  readonly name: string
  readonly address: string
  readonly asn: number
}

const ACCEPT_ALL: Policy.Policy = { rules: [], defaultAction: "accept" }
const REJECT_ALL: Policy.Policy = { rules: [], defaultAction: "reject" }

const FAMILY_KEYS: Record<string, Family.FamilyKey> = { "ipv4-unicast": Family.Ipv4Unicast, "ipv6-unicast": Family.Ipv6Unicast }

const communityValues = (texts: ReadonlyArray<string>): Array<number> =>
  texts.map((t) => Either.getOrThrow(Text.parseCommunity(t))) // checked by the schema

const largeValues = (texts: ReadonlyArray<string>): Array<Policy.LargeCommunity> =>
  texts.map((t) => Either.getOrThrow(Text.parseLargeCommunity(t)))

const addressBytes = (text: string): Uint8Array | undefined => {
  const plain = text.includes("%") ? text.slice(0, text.indexOf("%")) : text
  const r = Text.parseAddress(plain)
  return Either.isRight(r) ? r.right.bytes : undefined
}

const buildMatch = (m: S.Rule["match"], at: Path, peers: ReadonlyArray<PeerRef>, report: Report): Policy.Match => {
  if (m === undefined) return {}
  const out: { -readonly [K in keyof Policy.Match]: Policy.Match[K] } = {}
  if (m.families !== undefined) out.families = m.families.map((f) => FAMILY_KEYS[f]!)
  if (m.prefixes !== undefined) out.prefixes = m.prefixes
  if (m.communities !== undefined) out.communities = communityValues(m.communities)
  if (m.largeCommunities !== undefined) out.largeCommunities = largeValues(m.largeCommunities)
  if (m.asPath !== undefined) {
    const { contains, firstAs, originAs, minLength, maxLength } = m.asPath
    out.asPath = {
      ...(contains !== undefined ? { contains } : {}),
      ...(firstAs !== undefined ? { firstAs } : {}),
      ...(originAs !== undefined ? { originAs } : {}),
      ...(minLength !== undefined ? { minLength } : {}),
      ...(maxLength !== undefined ? { maxLength } : {})
    }
  }
  if (m.peers !== undefined) {
    const addresses: Array<Uint8Array> = []
    m.peers.forEach((name, i) => {
      const peer = peers.find((p) => p.name === name) ?? peers.find((p) => p.address === name)
      const bytes = addressBytes(peer?.address ?? name)
      if (peer === undefined && bytes === undefined) {
        report([...at, "peers", i], `no peer named ${JSON.stringify(name)}, and not an address`)
        return
      }
      if (bytes !== undefined) addresses.push(bytes)
    })
    out.peerAddresses = addresses
  }
  if (m.peerAsns !== undefined) out.peerAsns = m.peerAsns
  if (m.local !== undefined) out.local = m.local
  return out
}

const buildActions = (r: S.Rule): Array<Policy.Action> => {
  const actions: Array<Policy.Action> = []
  const s = r.set
  if (s !== undefined) {
    if (s.localPref !== undefined) actions.push({ _tag: "SetLocalPref", value: s.localPref })
    if (s.med !== undefined) actions.push({ _tag: "SetMed", value: s.med })
    const c = s.communities
    if (c?.set !== undefined) actions.push({ _tag: "SetCommunities", values: communityValues(c.set) })
    if (c?.remove !== undefined) actions.push({ _tag: "RemoveCommunities", values: communityValues(c.remove) })
    if (c?.add !== undefined) actions.push({ _tag: "AddCommunities", values: communityValues(c.add) })
    const l = s.largeCommunities
    if (l?.set !== undefined) actions.push({ _tag: "SetLargeCommunities", values: largeValues(l.set) })
    if (l?.remove !== undefined) actions.push({ _tag: "RemoveLargeCommunities", values: largeValues(l.remove) })
    if (l?.add !== undefined) actions.push({ _tag: "AddLargeCommunities", values: largeValues(l.add) })
    const p = s.asPathPrepend
    if (typeof p === "number") actions.push({ _tag: "PrependAsPath", count: p })
    else if (p !== undefined) actions.push(p.asn !== undefined ? { _tag: "PrependAsPath", count: p.count, asn: p.asn } : { _tag: "PrependAsPath", count: p.count })
    if (s.nextHop === "self") actions.push({ _tag: "NextHopSelf" })
    else if (s.nextHop !== undefined) actions.push({ _tag: "SetNextHop", nextHop: addressBytes(s.nextHop)! })
  }
  const action = r.action ?? "accept"
  if (action === "accept") actions.push({ _tag: "Accept" })
  else if (action === "reject") actions.push({ _tag: "Reject" })
  return actions
}

/**
 * A next hop only fits routes of its IP version (the speaker sends IPv4 routes
 * with a 4-byte NEXT_HOP; RFC 8950 is not negotiated for sending): a rule that
 * sets one must match only families of that version, else the routes of the
 * other version it matches would be refused at export.
 */
const checkNextHop = (r: S.Rule, at: Path, report: Report): void => {
  const text = r.set?.nextHop
  if (text === undefined || text === "self") return
  const bytes = addressBytes(text)
  if (bytes === undefined) return // reported by the schema
  const own = bytes.length === 4 ? "ipv4-unicast" : "ipv6-unicast"
  const other = bytes.length === 4 ? "ipv6-unicast" : "ipv4-unicast"
  const version = bytes.length === 4 ? "IPv4" : "IPv6"
  const families = r.match?.families
  if (families !== undefined && families.includes(own) && !families.includes(other)) return
  report(
    [...at, "set", "nextHop"],
    families === undefined || !families.includes(other)
      ? `${text} is an ${version} next hop: it fits only ${own} routes; add \`families: [${own}]\` to the rule's match`
      : families.includes(own)
        ? `${text} is an ${version} next hop, but the rule also matches ${other} routes, which could not be sent with it; match only \`families: [${own}]\` (and set the ${other} next hop in another rule)`
        : `${text} is an ${version} next hop, but the rule matches only ${other} routes, which could not be sent with it`
  )
}

const build = (p: S.Policy, at: Path, peers: ReadonlyArray<PeerRef>, report: Report): Policy.Policy => ({
  rules: (p.rules ?? []).map((r, i) => {
    checkNextHop(r, [...at, "rules", i], report)
    return {
      ...(r.name !== undefined ? { name: r.name } : {}),
      match: buildMatch(r.match, [...at, "rules", i, "match"], peers, report),
      actions: buildActions(r)
    }
  }),
  defaultAction: p.default ?? "reject"
})

/** Every policy under `policies`, built once (so a problem in one is reported once, used or not). */
export const buildNamed = (
  named: Readonly<Record<string, S.Policy>>,
  peers: ReadonlyArray<PeerRef>,
  report: Report
): ReadonlyMap<string, Policy.Policy> => {
  const out = new Map<string, Policy.Policy>()
  for (const [name, p] of Object.entries(named)) {
    if (name === "accept" || name === "reject") report(["policies", name], `"${name}" is built in; give the policy another name`)
    out.set(name, build(p, ["policies", name], peers, report))
  }
  return out
}

/** A peer's `import`/`export`: "accept", "reject", a name under `policies`, or an inline policy. */
export const resolve = (
  ref: S.PolicyRef,
  named: ReadonlyMap<string, Policy.Policy>,
  at: Path,
  peers: ReadonlyArray<PeerRef>,
  report: Report
): Policy.Policy | undefined => {
  if (typeof ref !== "string") return build(ref, at, peers, report)
  if (ref === "accept") return ACCEPT_ALL
  if (ref === "reject") return REJECT_ALL
  const p = named.get(ref)
  if (p === undefined) {
    const names = [...named.keys()]
    report(at, `no policy named ${JSON.stringify(ref)} (${names.length > 0 ? `defined: ${names.join(", ")}` : "no \`policies\` are defined"}; or accept, reject)`)
    return undefined
  }
  return p
}
