/**
 * What both OPENs agree on: hold time, peer identity checks and capability
 * negotiation (RFC 5492), producing the wire `Context` for each direction.
 */
import type { Capability as CapabilityTypes, Family as FamilyTypes, Message } from "@kbgp/wire"
import { Capability, Context, Family, Notification, Open, Text } from "@kbgp/wire"
import type { AddPathMode, Config } from "./Config.js"
import { isInternal } from "./Config.js"

type FamilyKey = FamilyTypes.FamilyKey

/** One side's RFC 4724 graceful restart capability, decoded. */
export interface GracefulRestartInfo {
  /** R bit: the sender is restarting. */
  readonly restarting: boolean
  /** RFC 8538 N bit. */
  readonly notification: boolean
  /** Seconds. */
  readonly restartTime: number
  /** Family → F bit (forwarding state preserved). */
  readonly families: ReadonlyMap<FamilyKey, boolean>
}

export interface GracefulRestart {
  readonly local: GracefulRestartInfo
  readonly peer: GracefulRestartInfo
  /** RFC 8538 §2: both sent the N bit; NOTIFICATIONs other than Hard Reset then keep routes as stale. */
  readonly notification: boolean
  /**
   * RFC 4724 §4.2: the families whose routes we keep (as stale) when the peer
   * restarts: those in the peer's capability that are negotiated for the session.
   */
  readonly families: ReadonlySet<FamilyKey>
}

/** One side's RFC 9494 long-lived GR capability: family → stale time (s) and F bit. */
export type LongLivedInfo = ReadonlyMap<FamilyKey, { readonly staleTime: number; readonly forwarding: boolean }>

export interface LongLivedGracefulRestart {
  readonly local: LongLivedInfo
  readonly peer: LongLivedInfo
  /** Families in the peer's capability that are negotiated for the session. */
  readonly families: ReadonlySet<FamilyKey>
}

export interface Negotiated {
  readonly _tag: "Negotiated"
  readonly localAs: number
  /** The peer's real AS (4-octet capability when both support it, else My AS). */
  readonly peerAs: number
  readonly localId: number
  readonly peerId: number
  readonly ebgp: boolean
  /** Seconds; 0: no hold timer and no KEEPALIVEs (RFC 4271 §4.4). */
  readonly holdTime: number
  /**
   * Seconds between our KEEPALIVEs; 0 when holdTime is 0. RFC 4271 §8.2.2
   * lets the driver restart the Keepalive timer whenever it sends an UPDATE.
   */
  readonly keepaliveTime: number
  /**
   * RFC 9687 SendHoldTime in seconds; 0 (timer unused) when holdTime is 0.
   * The FSM starts the SendHold timer on entering Established; the driver
   * restarts it with this value whenever the transport accepted bytes.
   */
  readonly sendHoldTime: number
  /** RFC 6793: both sent the 4-octet AS capability. */
  readonly asn4: boolean
  /** RFC 4760 §8 / RFC 5492: families both announced; IPv4 unicast when neither sent any MP capability. */
  readonly families: ReadonlySet<FamilyKey>
  /** RFC 2918: both announced route refresh (we may send ROUTE-REFRESH only if the peer did, §3). */
  readonly routeRefresh: boolean
  /** RFC 7313: both announced enhanced route refresh. */
  readonly enhancedRouteRefresh: boolean
  /** RFC 8654: both announced extended messages. */
  readonly extendedMessage: boolean
  /** RFC 4724: both announced graceful restart. */
  readonly gracefulRestart: GracefulRestart | undefined
  /** The peer's graceful restart capability, even when we did not announce ours (it may be restarting). */
  readonly peerGracefulRestart: GracefulRestartInfo | undefined
  /** RFC 9494: both announced long-lived GR (which also requires GR, §4.1). */
  readonly longLivedGracefulRestart: LongLivedGracefulRestart | undefined
  /** RFC 7911 §4 per direction: families whose NLRI carry path identifiers. */
  readonly addPath: { readonly receive: ReadonlySet<FamilyKey>; readonly send: ReadonlySet<FamilyKey> }
  /** RFC 8950 per direction: IPv4 families whose next hop may be IPv6. */
  readonly extendedNextHop: { readonly receive: ReadonlySet<FamilyKey>; readonly send: ReadonlySet<FamilyKey> }
  /** The peer's FQDN capability (informational). */
  readonly fqdn: { readonly hostname: string; readonly domain: string } | undefined
  /** The decode context: what we receive. */
  readonly rx: Context.Context
  /** The encode context: what we send. */
  readonly tx: Context.Context
  readonly localOpen: Message.Open
  readonly peerOpen: Message.Open
}

/** A rejected OPEN: the NOTIFICATION to send (code 2) and a line for logs. */
export interface OpenRejection {
  readonly _tag: "OpenRejection"
  readonly notification: Message.Notification
  readonly detail: string
}

// ---------------------------------------------------------------------------
// Our OPEN

const addPathCode: Record<AddPathMode, number> = {
  receive: Capability.AddPathMode.Receive,
  send: Capability.AddPathMode.Send,
  both: Capability.AddPathMode.Both
}

/** The capabilities we announce, in a fixed order, from the configuration. */
export const localCapabilities = (config: Config): Array<CapabilityTypes.Capability> => {
  const c = config.capabilities
  const caps: Array<CapabilityTypes.Capability> = []
  // RFC 4760 §8: one Multiprotocol capability per family.
  for (const f of c.families) caps.push({ _tag: "Multiprotocol", afi: Family.afiOf(f), safi: Family.safiOf(f) })
  if (c.routeRefresh) caps.push({ _tag: "RouteRefresh" })
  if (c.enhancedRouteRefresh) caps.push({ _tag: "EnhancedRouteRefresh" })
  // RFC 6793 §3: the capability carries our real AS.
  if (c.asn4) caps.push({ _tag: "FourOctetAs", asn: config.localAs })
  const gr = c.gracefulRestart
  if (gr !== undefined) {
    const families = gr.families ?? c.families.map((family) => ({ family, forwarding: false }))
    caps.push({
      _tag: "GracefulRestart",
      flags: (gr.restarting ? Capability.RestartFlag.Restart : 0) | (gr.notification ? Capability.RestartFlag.Notification : 0),
      restartTime: gr.restartTime & 0xfff,
      families: families.map((f) => ({
        afi: Family.afiOf(f.family),
        safi: Family.safiOf(f.family),
        flags: f.forwarding ? Capability.ForwardingFlag : 0
      }))
    })
  }
  const llgr = c.longLivedGracefulRestart
  if (llgr !== undefined) {
    caps.push({
      _tag: "LongLivedGracefulRestart",
      families: llgr.families.map((f) => ({
        afi: Family.afiOf(f.family),
        safi: Family.safiOf(f.family),
        flags: f.forwarding ? Capability.ForwardingFlag : 0,
        staleTime: f.staleTime & 0xffffff
      }))
    })
  }
  if (c.addPath.length > 0) {
    caps.push({
      _tag: "AddPath",
      families: c.addPath.map((a) => ({ afi: Family.afiOf(a.family), safi: Family.safiOf(a.family), mode: addPathCode[a.mode] }))
    })
  }
  if (c.extendedNextHop.length > 0) {
    caps.push({
      _tag: "ExtendedNextHop",
      entries: c.extendedNextHop.map((f) => ({ afi: Family.afiOf(f), safi: Family.safiOf(f), nextHopAfi: Family.Afi.Ipv6 }))
    })
  }
  if (c.extendedMessage) caps.push({ _tag: "ExtendedMessage" })
  if (c.fqdn !== undefined) caps.push({ _tag: "Fqdn", hostname: c.fqdn.hostname, domain: c.fqdn.domain })
  return caps
}

/** The OPEN we send (My AS is AS_TRANS when our AS needs 4 octets, RFC 6793 §4.1). */
export const localOpen = (config: Config): Message.Open =>
  Open.make({ asn: config.localAs, holdTime: config.holdTime, bgpId: config.bgpId, capabilities: localCapabilities(config) })

// ---------------------------------------------------------------------------
// Checks of the peer's OPEN (RFC 4271 §6.2; the version is the codec's)

const u16 = (n: number): Uint8Array => Uint8Array.of((n >>> 8) & 0xff, n & 0xff)
const u32 = (n: number): Uint8Array => Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)

const reject = (subcode: number, detail: string, data?: Uint8Array): OpenRejection => ({
  _tag: "OpenRejection",
  notification: Notification.make(Notification.ErrorCode.Open, subcode, data),
  detail
})

/** RFC 4271 §6.2 subcodes (this module sends BadPeerAs, BadBgpIdentifier and UnacceptableHoldTime): wire's table. */
export const OpenSubcode = Notification.OpenSubcode

/**
 * The peer's real AS, or a 2/2 rejection. Data is the offending field: the
 * 2-octet My AS, or the 4-octet AS of the capability.
 */
const peerAsOf = (config: Config, peer: Message.Open): number | OpenRejection => {
  // RFC 7607 §3: AS 0 in My AS is Bad Peer AS.
  if (peer.myAs === 0) return reject(OpenSubcode.BadPeerAs, "peer announced AS 0", u16(0))
  const cap = Open.capability(peer, "FourOctetAs")
  if (cap !== undefined) {
    // RFC 7607 §3: AS 0 in the 4-octet AS capability is Bad Peer AS too.
    if (cap.asn === 0) return reject(OpenSubcode.BadPeerAs, "peer announced AS 0 in its 4-octet AS capability", u32(0))
    // RFC 6793 §4.1: My AS is the real AS when it fits in 2 octets, AS_TRANS otherwise.
    const expected = cap.asn > 0xffff ? Open.AS_TRANS : cap.asn
    if (peer.myAs !== expected) {
      return reject(
        OpenSubcode.BadPeerAs,
        `peer's My AS ${peer.myAs} disagrees with its 4-octet AS ${cap.asn} (expected ${expected})`,
        u16(peer.myAs)
      )
    }
    if (cap.asn !== config.peerAs) {
      return reject(OpenSubcode.BadPeerAs, `peer announced AS ${cap.asn}, expected ${config.peerAs}`, u32(cap.asn))
    }
    return cap.asn
  }
  // RFC 4271 §6.2: the Autonomous System field must be the AS configured for the peer.
  if (peer.myAs !== config.peerAs) {
    const why =
      peer.myAs === Open.AS_TRANS ? " (AS_TRANS without a 4-octet AS capability)" : ""
    return reject(OpenSubcode.BadPeerAs, `peer announced AS ${peer.myAs}${why}, expected ${config.peerAs}`, u16(peer.myAs))
  }
  return peer.myAs
}

/**
 * Check the peer's OPEN in RFC 4271 §6.2 order (AS, hold time, identifier);
 * the peer's real AS when it passes.
 */
export const check = (config: Config, peer: Message.Open): number | OpenRejection => {
  const peerAs = peerAsOf(config, peer)
  if (typeof peerAs !== "number") return peerAs
  // RFC 4271 §6.2: a Hold Time of one or two seconds MUST be rejected.
  if (peer.holdTime === 1 || peer.holdTime === 2) {
    return reject(OpenSubcode.UnacceptableHoldTime, `peer proposed a hold time of ${peer.holdTime} s`, u16(peer.holdTime))
  }
  const id = peer.bgpId >>> 0
  // RFC 6286 §2.2: the identifier must be non-zero.
  if (id === 0) return reject(OpenSubcode.BadBgpIdentifier, "peer's BGP identifier is 0", u32(0))
  // RFC 6286 §2.2: an internal peer must not use our identifier.
  if (peerAs === config.localAs && id === config.bgpId >>> 0) {
    return reject(OpenSubcode.BadBgpIdentifier, `iBGP peer uses our BGP identifier ${Text.numberToIpv4(id)}`, u32(id))
  }
  return peerAs
}

// ---------------------------------------------------------------------------
// Negotiation

/** RFC 4271 §4.2: the smaller of both hold times; 0 turns hold timer and keepalives off. */
export const holdTime = (config: Pick<Config, "holdTime">, peerHoldTime: number): number =>
  Math.min(config.holdTime, peerHoldTime)

/**
 * RFC 4271 §10: keepalive a third of the hold time unless configured; a
 * configured value never exceeds the hold time, nor a third of it when the
 * peer asked for a shorter hold time than ours.
 */
export const keepaliveTime = (config: Pick<Config, "holdTime" | "keepaliveTime">, negotiatedHold: number): number => {
  if (negotiatedHold === 0) return 0
  const third = Math.max(1, Math.floor(negotiatedHold / 3))
  const configured = config.keepaliveTime
  if (configured === undefined || configured <= 0) return third
  return Math.max(1, Math.min(configured, negotiatedHold < config.holdTime ? third : negotiatedHold))
}

/** RFC 9687 §3: the configured SendHoldTime when it exceeds the hold time, else max(8 minutes, 2 × hold time). */
export const sendHoldTime = (config: Pick<Config, "sendHoldTime">, negotiatedHold: number): number =>
  negotiatedHold === 0 ? 0 : config.sendHoldTime > negotiatedHold ? config.sendHoldTime : Math.max(480, 2 * negotiatedHold)

/** RFC 4760 §8: the families an OPEN announces; IPv4 unicast for a speaker without MP capabilities. */
export const families = (open: Message.Open): ReadonlySet<FamilyKey> => {
  const mp = Open.capabilities(open, "Multiprotocol")
  return mp.length === 0 ? new Set([Family.Ipv4Unicast]) : new Set(mp.map((c) => Family.key(c.afi, c.safi)))
}

const intersect = <A>(a: ReadonlySet<A>, b: ReadonlySet<A>): Set<A> => new Set([...a].filter((x) => b.has(x)))

const gracefulRestartInfo = (open: Message.Open): GracefulRestartInfo | undefined => {
  const cap = Open.capability(open, "GracefulRestart")
  if (cap === undefined) return undefined
  return {
    restarting: (cap.flags & Capability.RestartFlag.Restart) !== 0,
    notification: (cap.flags & Capability.RestartFlag.Notification) !== 0,
    restartTime: cap.restartTime,
    families: new Map(cap.families.map((f) => [Family.key(f.afi, f.safi), (f.flags & Capability.ForwardingFlag) !== 0]))
  }
}

const longLivedInfo = (open: Message.Open): LongLivedInfo | undefined => {
  const cap = Open.capability(open, "LongLivedGracefulRestart")
  if (cap === undefined) return undefined
  return new Map(
    cap.families.map((f) => [Family.key(f.afi, f.safi), { staleTime: f.staleTime, forwarding: (f.flags & Capability.ForwardingFlag) !== 0 }])
  )
}

/**
 * RFC 7911 §4: family → Send/Receive from every ADD-PATH capability (a later
 * entry for the same family wins); values other than 1–3 are ignored.
 */
const addPathModes = (open: Message.Open): Map<FamilyKey, number> => {
  const modes = new Map<FamilyKey, number>()
  for (const cap of Open.capabilities(open, "AddPath")) {
    for (const f of cap.families) {
      if (f.mode >= 1 && f.mode <= 3) modes.set(Family.key(f.afi, f.safi), f.mode)
    }
  }
  return modes
}

/** RFC 8950 §3: IPv4 families for which an IPv6 next hop is announced. */
const extendedNextHopFamilies = (open: Message.Open): Set<FamilyKey> => {
  const out = new Set<FamilyKey>()
  for (const cap of Open.capabilities(open, "ExtendedNextHop")) {
    for (const e of cap.entries) {
      if (e.afi === Family.Afi.Ipv4 && e.nextHopAfi === Family.Afi.Ipv6 && e.safi <= 0xff) out.add(Family.key(e.afi, e.safi))
    }
  }
  return out
}

const has = (open: Message.Open, tag: CapabilityTypes.Capability["_tag"]): boolean => Open.capability(open, tag) !== undefined

/** Check the peer's OPEN and negotiate the session with it; a rejection is the NOTIFICATION to send. */
export const negotiate = (config: Config, peerOpen: Message.Open): Negotiated | OpenRejection => {
  const peerAs = check(config, peerOpen)
  if (typeof peerAs !== "number") return peerAs
  const local = localOpen(config)
  const hold = holdTime(config, peerOpen.holdTime)
  const ebgp = !isInternal({ localAs: config.localAs, peerAs })
  const asn4 = has(local, "FourOctetAs") && has(peerOpen, "FourOctetAs")
  const common = intersect(families(local), families(peerOpen))

  // RFC 7911 §4: we receive path ids where we said receive and the peer said send, and send where the reverse holds.
  const localModes = addPathModes(local)
  const peerModes = addPathModes(peerOpen)
  const addPathReceive = new Set<FamilyKey>()
  const addPathSend = new Set<FamilyKey>()
  for (const [family, mine] of localModes) {
    const theirs = peerModes.get(family)
    if (theirs === undefined || !common.has(family)) continue
    if (mine & Capability.AddPathMode.Receive && theirs & Capability.AddPathMode.Send) addPathReceive.add(family)
    if (mine & Capability.AddPathMode.Send && theirs & Capability.AddPathMode.Receive) addPathSend.add(family)
  }

  // RFC 8950 §4: we accept IPv6 next hops where we announced it; we send them only where the peer did too.
  const enheLocal = intersect(extendedNextHopFamilies(local), common)
  const enheReceive = enheLocal
  const enheSend = intersect(enheLocal, extendedNextHopFamilies(peerOpen))

  const localGr = gracefulRestartInfo(local)
  const peerGr = gracefulRestartInfo(peerOpen)
  const gracefulRestart: GracefulRestart | undefined =
    localGr !== undefined && peerGr !== undefined
      ? {
          local: localGr,
          peer: peerGr,
          // RFC 8538 §2: the N bit counts only when both sent it.
          notification: localGr.notification && peerGr.notification,
          families: intersect(new Set(peerGr.families.keys()), common)
        }
      : undefined
  const localLl = longLivedInfo(local)
  const peerLl = longLivedInfo(peerOpen)
  const longLivedGracefulRestart: LongLivedGracefulRestart | undefined =
    localLl !== undefined && peerLl !== undefined && gracefulRestart !== undefined
      ? { local: localLl, peer: peerLl, families: intersect(new Set(peerLl.keys()), common) }
      : undefined

  // RFC 8654 §3: extended messages only when both announced the capability.
  const extendedMessage = has(local, "ExtendedMessage") && has(peerOpen, "ExtendedMessage")
  const fqdnCap = Open.capability(peerOpen, "Fqdn")
  const enforce = ebgp && config.enforceFirstAs
  const rx: Context.Context = Context.make({
    asn4,
    addPath: addPathReceive,
    extendedMessage,
    ebgp,
    extendedNextHop: enheReceive,
    ...(enforce ? { peerAs } : {})
  })
  const tx: Context.Context = Context.make({ asn4, addPath: addPathSend, extendedMessage, ebgp, extendedNextHop: enheSend })
  return {
    _tag: "Negotiated",
    localAs: config.localAs,
    peerAs,
    localId: config.bgpId >>> 0,
    peerId: peerOpen.bgpId >>> 0,
    ebgp,
    holdTime: hold,
    keepaliveTime: keepaliveTime(config, hold),
    sendHoldTime: sendHoldTime(config, hold),
    asn4,
    families: common,
    routeRefresh: has(local, "RouteRefresh") && has(peerOpen, "RouteRefresh"),
    // RFC 7313 §3: enhanced route refresh needs both sides' capability.
    enhancedRouteRefresh: has(local, "EnhancedRouteRefresh") && has(peerOpen, "EnhancedRouteRefresh"),
    extendedMessage,
    gracefulRestart,
    peerGracefulRestart: peerGr,
    longLivedGracefulRestart,
    addPath: { receive: addPathReceive, send: addPathSend },
    extendedNextHop: { receive: enheReceive, send: enheSend },
    fqdn: fqdnCap === undefined ? undefined : { hostname: fqdnCap.hostname, domain: fqdnCap.domain },
    rx,
    tx,
    localOpen: local,
    peerOpen
  }
}

export const isRejection = (u: Negotiated | OpenRejection): u is OpenRejection => u._tag === "OpenRejection"
