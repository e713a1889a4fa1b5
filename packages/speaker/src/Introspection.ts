/**
 * What the speaker shows of itself, for the CLI, the status API and tests:
 * JSON-ready views (text forms, numbers, booleans; no typed arrays), so a
 * caller can print or serialise them as they are.
 */
import type { Negotiation, State } from "@kbgp/fsm"
import { Family, Text } from "@kbgp/wire"
import type { Attributes } from "@kbgp/wire"
import type { FamilyName } from "./DesiredState.js"

/** What both OPENs agreed on, as text. */
export interface NegotiatedView {
  readonly peerAs: number
  /** The peer's BGP identifier, dotted. */
  readonly peerId: string
  readonly localId: string
  readonly ebgp: boolean
  readonly holdTime: number
  readonly keepaliveTime: number
  /** Families both announced ("ipv4-unicast", ...). */
  readonly families: ReadonlyArray<string>
  readonly asn4: boolean
  readonly routeRefresh: boolean
  readonly enhancedRouteRefresh: boolean
  readonly extendedMessage: boolean
  /** RFC 4724 when both announced it: families we keep as stale for the peer, N bit, the peer's R bit and restart time. */
  readonly gracefulRestart:
    | {
        readonly families: ReadonlyArray<string>
        readonly notification: boolean
        readonly peerRestarting: boolean
        readonly peerRestartTime: number
        /** Families for which the peer said its forwarding state survived (F bit). */
        readonly peerForwarding: ReadonlyArray<string>
      }
    | undefined
  /** RFC 9494 when both announced it: families and the peer's stale time per family. */
  readonly longLivedGracefulRestart: { readonly families: ReadonlyArray<string>; readonly peerStaleTime: Readonly<Record<string, number>> } | undefined
  readonly addPath: { readonly receive: ReadonlyArray<string>; readonly send: ReadonlyArray<string> }
  readonly extendedNextHop: { readonly receive: ReadonlyArray<string>; readonly send: ReadonlyArray<string> }
  /** The peer's hostname capability, "host.domain". */
  readonly fqdn: string | undefined
}

/** BGP messages by type, one direction. */
export interface MessageCounters {
  readonly total: number
  readonly open: number
  readonly update: number
  readonly notification: number
  readonly keepalive: number
  readonly routeRefresh: number
}

/** Prefix counters of one family. */
export interface FamilyCounters {
  readonly family: FamilyName
  /** In the peer's Adj-RIB-In (before import policy), stale ones included. */
  readonly received: number
  /** Accepted by the import policy. */
  readonly accepted: number
  /** In our Adj-RIB-Out for the peer (as last sent). */
  readonly advertised: number
  /**
   * Accepted by the export policy but not sent to the peer: a next hop of the
   * wrong family (e.g. an IPv6 `SetNextHop` on IPv4 routes). Each is reported by
   * a `RoutesNotSent` event and a warning.
   */
  readonly notSent: number
  /** Received routes kept as stale (graceful restart helper, or RFC 7313 refresh in progress). */
  readonly stale: number
}

/** The last thing that ended or prevented a session. */
export interface LastError {
  /** Milliseconds since the epoch (Effect's Clock). */
  readonly at: number
  /** "sent", "received" (NOTIFICATION), "connection" (lost without one), "connect" (could not connect). */
  readonly kind: "sent" | "received" | "connection" | "connect"
  /** "Cease / Administrative Shutdown", "Refused 192.0.2.1:179: ...". */
  readonly description: string
  readonly code?: number
  readonly subcode?: number
  /** RFC 9003 shutdown communication, when the NOTIFICATION had one. */
  readonly shutdown?: string
}

/** Our graceful restart state toward the peer (helper role). */
export type HelperState =
  /** Nothing kept: the session is up, or GR did not apply. */
  | "none"
  /** The peer is restarting: its routes are stale, the restart timer runs. */
  | "restarting"
  /** The peer is back: its stale routes wait for its End-of-RIB. */
  | "awaiting-eor"
  /** RFC 9494: the restart time ran out; routes are kept LLGR_STALE until the stale time ends. */
  | "long-lived"

export interface PeerStatus {
  readonly name: string
  readonly address: string
  readonly port: number
  /** The configured peer AS. */
  readonly asn: number
  readonly localAddress: string | undefined
  readonly passive: boolean
  readonly state: State.Name
  /** Seconds in Established (0 when not Established). */
  readonly uptime: number
  /** When it last reached Established (ms since the epoch), if ever. */
  readonly establishedAt: number | undefined
  /** How many times the session reached Established. */
  readonly establishedCount: number
  readonly negotiated: NegotiatedView | undefined
  readonly messages: { readonly received: MessageCounters; readonly sent: MessageCounters }
  readonly families: ReadonlyArray<FamilyCounters>
  readonly lastError: LastError | undefined
  readonly gracefulRestart: HelperState
  /** The update group the peer shares encoded UPDATEs with (peers with the same number get the same bytes). */
  readonly updateGroup: number | undefined
  /** Max-prefix: the session is held down until this time (ms since the epoch). */
  readonly maxPrefixRestartAt: number | undefined
}

export type Direction = "received" | "advertised"

export interface RouteQuery {
  /** Peer name (or address). */
  readonly peer: string
  /** "received": the peer's Adj-RIB-In; "advertised": our Adj-RIB-Out for the peer (as last sent). */
  readonly direction: Direction
  /** Default: every family of the peer. */
  readonly family?: FamilyName
  /** At most this many routes (in table order). */
  readonly limit?: number
}

/** One route with every attribute, in text forms. */
export interface RouteView {
  readonly family: FamilyName
  readonly prefix: string
  /** RFC 7911 path identifier, when ADD-PATH is in use for the family. */
  readonly pathId?: number
  /** The next hop ("192.0.2.1", "2001:db8::1", "2001:db8::1 fe80::1" for global + link-local). */
  readonly nextHop: string | undefined
  readonly origin: "igp" | "egp" | "incomplete" | undefined
  /** AS path text: `65001 65002 {65003,65004}`. */
  readonly asPath: string
  readonly med?: number
  readonly localPref?: number
  readonly atomicAggregate?: true
  readonly aggregator?: string
  readonly communities: ReadonlyArray<string>
  readonly largeCommunities: ReadonlyArray<string>
  readonly extendedCommunities: ReadonlyArray<string>
  readonly originatorId?: string
  readonly clusterList?: ReadonlyArray<string>
  readonly otc?: number
  /** Unknown optional transitive attributes: code, flags, value as hex. */
  readonly unknown?: ReadonlyArray<{ readonly code: number; readonly flags: number; readonly value: string }>
  /** Received: kept by graceful restart (or an RFC 7313 refresh in progress) and not refreshed yet. */
  readonly stale: boolean
  /** Received: RFC 9494 long-lived stale (LLGR_STALE, least preferred). */
  readonly llgrStale: boolean
  /** Received: accepted by the import policy. Advertised: always true. */
  readonly accepted: boolean
}

/** Speaker-wide counters. */
export interface Counters {
  readonly peers: number
  readonly established: number
  /** Prefixes we originate (desired state), per family. */
  readonly localRoutes: Readonly<Record<string, number>>
  readonly updateGroups: number
  /** `Pack.packUpdates`/`packWithdrawals` calls: shared encodes count once however many peers get the bytes. */
  readonly encodes: number
  /** UPDATE messages those calls produced. */
  readonly encodedMessages: number
  /** Inbound connections refused because no peer is configured for their address (Cease 6/5). */
  readonly rejectedConnections: number
  readonly applies: number
}

// --- builders (used by the speaker; exported for tools that hold their own sessions) ---------------------

const familyList = (s: Iterable<number>): Array<string> => [...s].sort((a, b) => a - b).map(Family.format)

/** The JSON-ready view of a negotiated session. */
export const negotiatedView = (n: Negotiation.Negotiated): NegotiatedView => {
  const gr = n.gracefulRestart
  const ll = n.longLivedGracefulRestart
  return {
    peerAs: n.peerAs,
    peerId: Text.numberToIpv4(n.peerId),
    localId: Text.numberToIpv4(n.localId),
    ebgp: n.ebgp,
    holdTime: n.holdTime,
    keepaliveTime: n.keepaliveTime,
    families: familyList(n.families),
    asn4: n.asn4,
    routeRefresh: n.routeRefresh,
    enhancedRouteRefresh: n.enhancedRouteRefresh,
    extendedMessage: n.extendedMessage,
    gracefulRestart:
      gr === undefined
        ? undefined
        : {
            families: familyList(gr.families),
            notification: gr.notification,
            peerRestarting: gr.peer.restarting,
            peerRestartTime: gr.peer.restartTime,
            peerForwarding: familyList([...gr.peer.families].filter(([, f]) => f).map(([k]) => k))
          },
    longLivedGracefulRestart:
      ll === undefined
        ? undefined
        : {
            families: familyList(ll.families),
            peerStaleTime: Object.fromEntries([...ll.peer].map(([k, v]) => [Family.format(k), v.staleTime]))
          },
    addPath: { receive: familyList(n.addPath.receive), send: familyList(n.addPath.send) },
    extendedNextHop: { receive: familyList(n.extendedNextHop.receive), send: familyList(n.extendedNextHop.send) },
    fqdn: n.fqdn === undefined ? undefined : n.fqdn.domain === "" ? n.fqdn.hostname : `${n.fqdn.hostname}.${n.fqdn.domain}`
  }
}

const ORIGIN_NAMES = ["igp", "egp", "incomplete"] as const

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")

/** The JSON-ready view of one route. */
export const routeView = (
  family: FamilyName,
  prefix: string,
  a: Attributes.Attributes,
  flags: { readonly stale: boolean; readonly llgrStale: boolean; readonly accepted: boolean; readonly pathId?: number }
): RouteView => {
  let communities = a.communities === undefined ? [] : Text.formatCommunities(a.communities)
  // RFC 9494 §4.3: a long-lived stale route carries LLGR_STALE.
  if (flags.llgrStale && !communities.includes(Text.formatCommunity(0xffff0006))) communities = [...communities, Text.formatCommunity(0xffff0006)]
  return {
    family,
    prefix,
    ...(flags.pathId !== undefined && flags.pathId !== 0 ? { pathId: flags.pathId } : {}),
    nextHop: a.nextHop === undefined ? undefined : Text.formatNextHop(a.nextHop),
    origin: a.origin === undefined ? undefined : ORIGIN_NAMES[a.origin],
    asPath: a.asPath === undefined ? "" : Text.formatAsPath(a.asPath),
    ...(a.med !== undefined ? { med: a.med } : {}),
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    ...(a.atomicAggregate !== undefined ? { atomicAggregate: true as const } : {}),
    ...(a.aggregator !== undefined ? { aggregator: `${a.aggregator.asn} ${Text.numberToIpv4(a.aggregator.address)}` } : {}),
    communities,
    largeCommunities: a.largeCommunities === undefined ? [] : Text.formatLargeCommunities(a.largeCommunities),
    extendedCommunities: a.extendedCommunities === undefined ? [] : Text.formatExtendedCommunities(a.extendedCommunities),
    ...(a.originatorId !== undefined ? { originatorId: Text.numberToIpv4(a.originatorId) } : {}),
    ...(a.clusterList !== undefined ? { clusterList: Array.from(a.clusterList, Text.numberToIpv4) } : {}),
    ...(a.otc !== undefined ? { otc: a.otc } : {}),
    ...(a.unknown !== undefined && a.unknown.length > 0
      ? { unknown: a.unknown.map((u) => ({ code: u.code, flags: u.flags, value: hexOf(u.value) })) }
      : {}),
    stale: flags.stale,
    llgrStale: flags.llgrStale,
    accepted: flags.accepted
  }
}
