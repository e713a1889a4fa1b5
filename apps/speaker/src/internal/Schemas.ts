/**
 * The config file's schema (Effect Schema over what YAML produced). Field names
 * are camelCase, times are seconds. Unknown keys are errors (a typo must not be
 * silently ignored); cross-field rules live in filters that point at the field
 * to fix.
 */
import { Schema } from "effect"
import type { Policy as RibPolicy } from "@kbgp/rib"
import * as F from "./Fields.js"

/** Both booleans and a detailed form: `gracefulRestart: true` or `{ restartTime: 120 }`. */
const GracefulRestartObject = Schema.Struct({
  enabled: Schema.optional(F.bool),
  restartTime: Schema.optional(F.int(0, 4095, "seconds")),
  /** RFC 8538 N bit. */
  notification: Schema.optional(F.bool),
  /** F bit: our forwarding state survives our restart. */
  forwarding: Schema.optional(F.bool),
  /** RFC 9494 long-lived stale time; absent: no LLGR. */
  longLivedStaleTime: Schema.optional(F.int(1, 16777215, "seconds")),
  /** As helper: how long we wait for the restarted peer's End-of-RIB. */
  staleRoutesTime: Schema.optional(F.int(1, 65535, "seconds"))
})

export const GracefulRestart = Schema.Union(F.bool, GracefulRestartObject).annotations({
  description: "true, false or a mapping { enabled, restartTime, notification, forwarding, longLivedStaleTime, staleRoutesTime }"
})

const MaxPrefixObject = Schema.Struct({
  /** Only this family (default: each family of the peer separately). */
  family: Schema.optional(F.family),
  limit: F.int(1, 4294967295, "a prefix count"),
  /** warn: log and keep the session; restart: Cease 6/1 and reconnect after `restartAfter`. */
  action: Schema.optional(F.leaf("warn or restart", (u): u is "warn" | "restart" => u === "warn" || u === "restart", (u) =>
    u === "warn" || u === "restart" ? u : undefined
  )),
  restartAfter: Schema.optional(F.int(1, 86400, "seconds"))
})

export const MaxPrefix = Schema.Union(F.int(1, 4294967295, "a prefix count"), MaxPrefixObject, Schema.Array(MaxPrefixObject)).annotations({
  description: "a prefix count, a mapping { family, limit, action, restartAfter } or a list of them"
})

/** GTSM: `true` (directly connected, RFC 5082 §3) or the number of hops the peer may be away. */
export const TtlSecurity = Schema.Union(F.bool, F.int(1, 254, "hops")).annotations({
  description: "true, false or a hop count 1..254"
})

// ---- policies ---------------------------------------------------------------

/** "10.0.0.0/8", "10.0.0.0/8 le 24", "10.0.0.0/8 ge 16 le 24", or { prefix, ge, le }. */
export const PrefixMatch: Schema.Schema<RibPolicy.PrefixRange, unknown> = F.prefixRange

const Action = F.leaf(
  "accept, reject or next",
  (u): u is "accept" | "reject" | "next" => u === "accept" || u === "reject" || u === "next",
  (u) => (u === "accept" || u === "reject" || u === "next" ? u : undefined)
)

const DefaultAction = F.leaf(
  "accept or reject",
  (u): u is "accept" | "reject" => u === "accept" || u === "reject",
  (u) => (u === "accept" || u === "reject" ? u : undefined)
)

/** add / remove some, or replace them all with `set` (an empty `set` clears them). */
export const CommunityChange = Schema.Struct({
  add: Schema.optional(F.communities),
  remove: Schema.optional(F.communities),
  set: Schema.optional(F.communities)
})

export const LargeCommunityChange = Schema.Struct({
  add: Schema.optional(F.largeCommunities),
  remove: Schema.optional(F.largeCommunities),
  set: Schema.optional(F.largeCommunities)
})

const PrependObject = Schema.Struct({
  count: F.int(1, 32, "a count"),
  /** Default: our AS. */
  asn: Schema.optional(F.asn)
})

export const Match = Schema.Struct({
  families: Schema.optional(Schema.Array(F.family)),
  prefixes: Schema.optional(Schema.Array(PrefixMatch)),
  /** The route carries any of these communities. */
  communities: Schema.optional(F.communities),
  largeCommunities: Schema.optional(F.largeCommunities),
  asPath: Schema.optional(
    Schema.Struct({
      contains: Schema.optional(F.asn),
      firstAs: Schema.optional(F.asn),
      originAs: Schema.optional(F.asn),
      minLength: Schema.optional(F.int(0, 65535, "a path length")),
      maxLength: Schema.optional(F.int(0, 65535, "a path length"))
    })
  ),
  /** The peer the route came from: names or addresses of configured peers. */
  peers: Schema.optional(Schema.Array(F.text("a peer name or address"))),
  peerAsns: Schema.optional(Schema.Array(F.asn)),
  /** true: only our own routes (the `routes` section); false: only learned ones. */
  local: Schema.optional(F.bool)
})

export const Rule = Schema.Struct({
  name: Schema.optional(F.text("a name")),
  /** Every condition present must hold; no `match`: the rule matches every route. */
  match: Schema.optional(Match),
  /** Changes made when the rule matches, before its action. */
  set: Schema.optional(
    Schema.Struct({
      localPref: Schema.optional(F.int(0, 4294967295)),
      med: Schema.optional(F.int(0, 4294967295)),
      communities: Schema.optional(CommunityChange),
      largeCommunities: Schema.optional(LargeCommunityChange),
      asPathPrepend: Schema.optional(
        Schema.Union(F.int(1, 32, "a count"), PrependObject).annotations({ description: "a count 1..32 or { count, asn }" })
      ),
      nextHop: Schema.optional(F.nextHop)
    })
  ),
  /** accept / reject end the policy; next goes on to the next rule with the changes kept. Default accept. */
  action: Schema.optional(Action)
})

/** A policy: rules in order, then `default` for a route no rule accepted or rejected (default reject). */
export const Policy = Schema.Struct({
  rules: Schema.optional(Schema.Array(Rule)),
  default: Schema.optional(DefaultAction)
})

/** On a peer: "accept", "reject", a policy name, or an inline policy. */
export const PolicyRef = Schema.Union(F.text("accept, reject or a policy name"), Policy).annotations({
  description: "accept, reject, the name of a policy under `policies`, or an inline { rules, default }"
})

// ---- peers, routes, the file ------------------------------------------------

export const Peer = Schema.Struct({
  address: F.address("an IP address (the peer's)"),
  asn: F.asn,
  /** Shown in tables and logs, usable in `--peer`. */
  name: Schema.optional(F.text("a name")),
  port: Schema.optional(F.int(1, 65535, "a port")),
  localAddress: Schema.optional(F.address("an IP address (ours, on this host)")),
  passive: Schema.optional(F.bool),
  password: Schema.optional(F.text("a TCP-MD5 password (1..80 bytes)")),
  passwordFile: Schema.optional(F.text("a file path")),
  /** eBGP multihop: the TTL of our packets. */
  multihopTtl: Schema.optional(F.int(1, 255, "a TTL")),
  ttlSecurity: Schema.optional(TtlSecurity),
  holdTime: Schema.optional(F.holdTime),
  keepaliveTime: Schema.optional(F.int(1, 21845, "seconds")),
  /** RFC 9687 SendHoldTime. */
  sendHoldTime: Schema.optional(F.int(1, 65535, "seconds")),
  connectRetryTime: Schema.optional(F.int(1, 65535, "seconds")),
  gracefulRestart: Schema.optional(GracefulRestart),
  families: Schema.optional(Schema.Array(F.family)),
  /** RFC 7911: families in which the peer may send several paths per prefix. */
  addPathReceive: Schema.optional(Schema.Array(F.family)),
  maxPrefix: Schema.optional(MaxPrefix),
  import: Schema.optional(PolicyRef),
  export: Schema.optional(PolicyRef)
})

export const Route = Schema.Struct({
  prefix: Schema.optional(F.prefix),
  /** Several prefixes with the same attributes. */
  prefixes: Schema.optional(Schema.Array(F.prefix)),
  /** Announce each prefix as all its more-specifics of this length (ExaBGP's `split /N`). */
  split: Schema.optional(F.int(0, 128, "a prefix length")),
  nextHop: Schema.optional(F.nextHop),
  /** IPv6 routes: a link-local next hop beside the global one (RFC 2545 §3). */
  linkLocalNextHop: Schema.optional(F.address("an IPv6 link-local address")),
  origin: Schema.optional(F.origin),
  /** ASNs after ours, e.g. an anycast origin's path. */
  asPath: Schema.optional(F.asPath),
  /** eBGP: our AS this many extra times. */
  asPathPrepend: Schema.optional(F.int(0, 32, "a count")),
  med: Schema.optional(F.int(0, 4294967295)),
  localPref: Schema.optional(F.int(0, 4294967295)),
  communities: Schema.optional(F.communities),
  largeCommunities: Schema.optional(F.largeCommunities),
  extendedCommunities: Schema.optional(F.extendedCommunities),
  /** Only to these peers (addresses or names); default: every peer whose export policy accepts it. */
  peers: Schema.optional(Schema.Array(F.text("a peer address or name")))
})

export const Listener = Schema.Struct({
  address: Schema.optional(F.address("an IP address to listen on (\"::\" for every interface)")),
  port: Schema.optional(F.int(1, 65535, "a port"))
})

export const File = Schema.Struct({
  routerId: F.routerId,
  localAs: F.asn,
  listener: Schema.optional(Listener),
  policies: Schema.optional(Schema.Record({ key: Schema.String, value: Policy })),
  peers: Schema.optional(Schema.Array(Peer)),
  routes: Schema.optional(Schema.Array(Route))
})

export type File = Schema.Schema.Type<typeof File>
export type Peer = Schema.Schema.Type<typeof Peer>
export type Route = Schema.Schema.Type<typeof Route>
export type Policy = Schema.Schema.Type<typeof Policy>
export type PolicyRef = Schema.Schema.Type<typeof PolicyRef>
export type Rule = Schema.Schema.Type<typeof Rule>
