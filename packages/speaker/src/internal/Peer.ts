/**
 * A peer of the speaker: the validated settings of one `PeerConfig`, what its
 * `@kbgp/fsm` Session and its `@kbgp/rib` binding are made from, which
 * setting changes need a session reset, and the peer's mutable runtime record
 * (session, negotiated session, update group, graceful restart helper state,
 * counters). The speaker (`internal/SpeakerImpl.ts`) drives it.
 */
import type { Negotiation, Session, State } from "@kbgp/fsm"
import { Config as FsmConfig } from "@kbgp/fsm"
import type { Peer as RibPeer } from "@kbgp/rib"
import { Policy } from "@kbgp/rib"
import { Family, Text } from "@kbgp/wire"
import type { Family as FamilyTypes } from "@kbgp/wire"
import { Either, type FiberMap, type Queue, type Scope } from "effect"
import type { FamilyName, PeerConfig } from "../DesiredState.js"
import { familyNames, peerName } from "../DesiredState.js"
import * as GracefulRestart from "./GracefulRestart.js"
import type { HelperState, LastError } from "../Introspection.js"
import type { Options } from "../Speaker.js"
import * as SpeakerError from "../SpeakerError.js"
import type * as PeerTransport from "./PeerTransport.js"
import type { UpdateGroup } from "./UpdateGroup.js"

type FamilyKey = FamilyTypes.FamilyKey

export interface MaxPrefix {
  readonly family: FamilyKey
  readonly limit: number
  readonly action: "restart" | "warn"
  readonly restartAfter: number
}

/** A `PeerConfig`, checked, with defaults filled and texts parsed. */
export interface Settings {
  readonly name: string
  readonly address: string
  /** The address without a zone ("fe80::1" of "fe80::1%eth0"), for matching inbound connections. */
  readonly matchAddress: string
  readonly addressBytes: Uint8Array
  readonly asn: number
  readonly port: number
  readonly localAddress: string | undefined
  readonly localBytes: Uint8Array | undefined
  readonly passive: boolean
  readonly md5Password: string | undefined
  /** Outgoing TTL: the multihop TTL, or 255 with TTL security. */
  readonly ttl: number | undefined
  /** RFC 5082 minimum TTL of received packets. */
  readonly minTtl: number | undefined
  readonly holdTime: number
  readonly keepaliveTime: number | undefined
  /** RFC 9687 SendHoldTime; undefined: the FSM's default. */
  readonly sendHoldTime: number | undefined
  readonly connectRetryTime: number
  readonly gracefulRestart: GracefulRestart.Settings | undefined
  readonly families: ReadonlyArray<FamilyKey>
  /** Families with RFC 7911 ADD-PATH receive, a subset of `families`. */
  readonly addPathReceive: ReadonlyArray<FamilyKey>
  readonly maxPrefix: ReadonlyArray<MaxPrefix>
  readonly importPolicy: Policy.Policy | undefined
  readonly exportPolicy: Policy.Policy | undefined
}

const FAMILY_KEYS: Record<FamilyName, FamilyKey> = {
  "ipv4-unicast": Family.Ipv4Unicast,
  "ipv6-unicast": Family.Ipv6Unicast
}

export const familyKey = (name: FamilyName): FamilyKey => FAMILY_KEYS[name]

export const familyNameOf = (key: FamilyKey): FamilyName => (key === Family.Ipv6Unicast ? "ipv6-unicast" : "ipv4-unicast")

const isInt = (n: unknown, min: number, max: number): n is number =>
  typeof n === "number" && Number.isInteger(n) && n >= min && n <= max

const stripZone = (address: string): string => {
  const i = address.indexOf("%")
  return i < 0 ? address : address.slice(0, i)
}

/** Validate one peer (`path` is "peers[i]"). */
export const settings = (config: PeerConfig, path: string): Settings | SpeakerError.SpeakerError => {
  const fail = (field: string, detail: string) => SpeakerError.config(`${path}.${field}`, detail)
  if (typeof config.address !== "string") return fail("address", "expected an IP address")
  const matchAddress = stripZone(config.address.trim())
  const parsed = Text.parseAddress(matchAddress)
  if (Either.isLeft(parsed)) return fail("address", `expected an IP address: ${parsed.left.message}`)
  const name = peerName(config)
  if (typeof name !== "string" || name.length === 0) return fail("name", "expected a non-empty name")
  if (!isInt(config.asn, 1, 0xffffffff)) return fail("asn", "expected an AS number (1 to 4294967295)")
  const port = config.port ?? 179
  if (!isInt(port, 1, 65535)) return fail("port", "expected a TCP port (1 to 65535)")
  let localBytes: Uint8Array | undefined
  if (config.localAddress !== undefined) {
    const l = Text.parseAddress(stripZone(config.localAddress))
    if (Either.isLeft(l)) return fail("localAddress", `expected an IP address: ${l.left.message}`)
    if (l.right.afi !== parsed.right.afi) return fail("localAddress", "expected an address of the same family as the peer's")
    localBytes = l.right.bytes
  }
  if (config.md5Password !== undefined && new TextEncoder().encode(config.md5Password).length > 80) {
    return fail("md5Password", "expected at most 80 bytes (RFC 2385 keys on Linux)")
  }
  if (config.multihopTtl !== undefined && !isInt(config.multihopTtl, 1, 255)) return fail("multihopTtl", "expected 1 to 255")
  if (config.ttlSecurityHops !== undefined && !isInt(config.ttlSecurityHops, 1, 254)) return fail("ttlSecurityHops", "expected 1 to 254")
  const holdTime = config.holdTime ?? 90
  if (!isInt(holdTime, 0, 65535) || holdTime === 1 || holdTime === 2) return fail("holdTime", "expected 0, or 3 to 65535 seconds")
  if (config.keepaliveTime !== undefined && !isInt(config.keepaliveTime, 1, 65535)) return fail("keepaliveTime", "expected 1 to 65535 seconds")
  // RFC 9687 §3: the SendHoldTime is to be longer than the hold time (the FSM would ignore a shorter one).
  if (config.sendHoldTime !== undefined && (!isInt(config.sendHoldTime, 1, 65535) || (holdTime > 0 && config.sendHoldTime <= holdTime))) {
    return fail("sendHoldTime", `expected seconds above the hold time (${holdTime}), at most 65535`)
  }
  const connectRetryTime = config.connectRetryTime ?? 120
  if (!isInt(connectRetryTime, 1, 65535)) return fail("connectRetryTime", "expected 1 to 65535 seconds")
  const gr = config.gracefulRestart
  if (gr !== undefined) {
    if (gr.restartTime !== undefined && !isInt(gr.restartTime, 0, 4095)) return fail("gracefulRestart.restartTime", "expected 0 to 4095 seconds")
    if (gr.longLivedStaleTime !== undefined && !isInt(gr.longLivedStaleTime, 0, 0xffffff)) {
      return fail("gracefulRestart.longLivedStaleTime", "expected 0 to 16777215 seconds")
    }
    if (gr.staleRoutesTime !== undefined && !isInt(gr.staleRoutesTime, 1, 65535)) return fail("gracefulRestart.staleRoutesTime", "expected 1 to 65535 seconds")
  }
  const names = config.families ?? [parsed.right.afi === Family.Afi.Ipv4 ? "ipv4-unicast" : "ipv6-unicast"]
  if (names.length === 0) return fail("families", "expected at least one family")
  const families: Array<FamilyKey> = []
  for (let i = 0; i < names.length; i++) {
    const k = FAMILY_KEYS[names[i]!]
    if (k === undefined) return fail(`families[${i}]`, `expected one of ${familyNames.join(", ")}`)
    if (!families.includes(k)) families.push(k)
  }
  families.sort((a, b) => a - b)
  const addPathReceive: Array<FamilyKey> = []
  const addPathNames = config.addPathReceive ?? []
  for (let i = 0; i < addPathNames.length; i++) {
    const k = FAMILY_KEYS[addPathNames[i]!]
    if (k === undefined || !families.includes(k)) {
      return fail(`addPathReceive[${i}]`, `expected one of the peer's families (${families.map(familyNameOf).join(", ")})`)
    }
    if (!addPathReceive.includes(k)) addPathReceive.push(k)
  }
  addPathReceive.sort((a, b) => a - b)
  const maxPrefix: Array<MaxPrefix> = []
  const limits = config.maxPrefix ?? []
  for (let i = 0; i < limits.length; i++) {
    const m = limits[i]!
    if (!isInt(m.limit, 1, 0xffffffff)) return fail(`maxPrefix[${i}].limit`, "expected a positive number of prefixes")
    const action = m.action ?? "restart"
    if (action !== "restart" && action !== "warn") return fail(`maxPrefix[${i}].action`, 'expected "restart" or "warn"')
    const restartAfter = m.restartAfter ?? 60
    if (!isInt(restartAfter, 1, 0xffffffff)) return fail(`maxPrefix[${i}].restartAfter`, "expected seconds (1 and more)")
    if (m.family !== undefined && FAMILY_KEYS[m.family] === undefined) return fail(`maxPrefix[${i}].family`, `expected one of ${familyNames.join(", ")}`)
    for (const family of m.family === undefined ? families : [FAMILY_KEYS[m.family]]) {
      maxPrefix.push({ family, limit: m.limit, action, restartAfter })
    }
  }
  // Policies are data from outside: a bad value would throw (or wrap) deep inside the RIB, so it fails here.
  for (const field of ["importPolicy", "exportPolicy"] as const) {
    const policy = config[field]
    const problem = policy === undefined ? undefined : Policy.validate(policy)[0]
    if (problem !== undefined) return fail(problem.path === "" ? field : `${field}.${problem.path}`, problem.message)
  }
  const gtsm = config.ttlSecurityHops
  return {
    name,
    address: config.address.trim(),
    matchAddress,
    addressBytes: parsed.right.bytes,
    asn: config.asn,
    port,
    localAddress: config.localAddress,
    localBytes,
    passive: config.passive ?? false,
    md5Password: config.md5Password === "" ? undefined : config.md5Password,
    // RFC 5082 §3: with GTSM we send with TTL 255 and accept TTL ≥ 255 - (hops - 1).
    ttl: gtsm !== undefined ? 255 : config.multihopTtl,
    minTtl: gtsm !== undefined ? 256 - gtsm : undefined,
    holdTime,
    keepaliveTime: config.keepaliveTime,
    sendHoldTime: config.sendHoldTime,
    connectRetryTime,
    gracefulRestart: GracefulRestart.settings(gr),
    families,
    addPathReceive,
    maxPrefix,
    importPolicy: config.importPolicy,
    exportPolicy: config.exportPolicy
  }
}

/** Settings that live in the session (its Config): changing one resets it (Cease 6/6). */
const sessionFields = [
  "address",
  "asn",
  "port",
  "localAddress",
  "passive",
  "md5Password",
  "ttl",
  "minTtl",
  "holdTime",
  "keepaliveTime",
  "sendHoldTime",
  "connectRetryTime",
  "gracefulRestart",
  "families",
  "addPathReceive"
] as const satisfies ReadonlyArray<keyof Settings>

/** Names used in `PeerConfig` for the settings above. */
const fieldNames: Record<(typeof sessionFields)[number], string> = {
  address: "address",
  asn: "asn",
  port: "port",
  localAddress: "localAddress",
  passive: "passive",
  md5Password: "md5Password",
  ttl: "multihopTtl",
  minTtl: "ttlSecurityHops",
  holdTime: "holdTime",
  keepaliveTime: "keepaliveTime",
  sendHoldTime: "sendHoldTime",
  connectRetryTime: "connectRetryTime",
  gracefulRestart: "gracefulRestart",
  families: "families",
  addPathReceive: "addPathReceive"
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** The `PeerConfig` fields whose change needs a session reset. */
export const resetFields = (a: Settings, b: Settings): Array<string> => {
  const out = new Set<string>()
  for (const f of sessionFields) if (!same(a[f], b[f])) out.add(fieldNames[f])
  return [...out]
}

/** Whether settings that apply without a reset differ (policies, max-prefix). */
export const softChanged = (a: Settings, b: Settings): { readonly rib: boolean; readonly export: boolean } => {
  const hexed = (p: unknown) => JSON.stringify(p, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v))
  return {
    rib: hexed(a.importPolicy) !== hexed(b.importPolicy) || !same(a.maxPrefix, b.maxPrefix),
    export: hexed(a.exportPolicy) !== hexed(b.exportPolicy)
  }
}

/** What the speaker as a whole puts in every session. */
export interface Global {
  readonly routerId: number
  readonly localAs: number
}

/** The Session configuration of a peer. `restarting` sets the RFC 4724 R bit. */
export const sessionConfig = (s: Settings, g: Global, options: Options, restarting: boolean): Session.Config => {
  const o = options.session ?? {}
  const security = {
    ...(s.md5Password !== undefined ? { md5Password: s.md5Password } : {}),
    ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
    ...(s.minTtl !== undefined ? { minTtl: s.minTtl } : {})
  }
  return {
    peerAddress: s.address,
    peerPort: s.port,
    ...(s.localAddress !== undefined ? { localAddress: s.localAddress } : {}),
    mode: s.passive ? "passive" : "both",
    security,
    ...(o.connectTimeout !== undefined ? { connectTimeout: o.connectTimeout } : {}),
    ...(o.receiveBuffer !== undefined ? { receiveBuffer: o.receiveBuffer } : {}),
    autoStart: false,
    fsm: FsmConfig.make({
      localAs: g.localAs,
      bgpId: g.routerId,
      peerAs: s.asn,
      holdTime: s.holdTime,
      ...(s.keepaliveTime !== undefined ? { keepaliveTime: s.keepaliveTime } : {}),
      ...(s.sendHoldTime !== undefined ? { sendHoldTime: s.sendHoldTime } : {}),
      connectRetryTime: s.connectRetryTime,
      passive: s.passive,
      ...(o.idleHoldTime !== undefined ? { idleHoldTime: o.idleHoldTime } : {}),
      ...(o.jitter !== undefined ? { jitter: o.jitter } : {}),
      ...(o.dampPeerOscillations !== undefined ? { dampPeerOscillations: o.dampPeerOscillations } : {}),
      capabilities: {
        families: s.families,
        addPath: s.addPathReceive.map((family) => ({ family, mode: "receive" as const })),
        ...GracefulRestart.capabilities(s.gracefulRestart, s.families, restarting)
      }
    })
  }
}

/** The peer as `@kbgp/rib` sees it: Adj-RIB-In with import policy and max-prefix (the speaker does its own export). */
export const ribConfig = (s: Settings): RibPeer.PeerConfig => ({
  address: s.addressBytes,
  asn: s.asn,
  ...(s.importPolicy !== undefined ? { importPolicy: s.importPolicy } : {}),
  ...(s.maxPrefix.length > 0
    ? { maxPrefix: s.maxPrefix.map((m) => ({ family: m.family, limit: m.limit, warningOnly: m.action === "warn" })) }
    : {})
})

/** Security the listener needs for the peer's inbound connections, or undefined when none. */
export const listenerSecurity = (s: Settings) =>
  s.md5Password === undefined && s.ttl === undefined && s.minTtl === undefined
    ? undefined
    : {
        ...(s.md5Password !== undefined ? { md5Password: s.md5Password } : {}),
        ...(s.ttl !== undefined ? { ttl: s.ttl } : {}),
        ...(s.minTtl !== undefined ? { minTtl: s.minTtl } : {})
      }

/** Bytes queued for a peer by flushes and route refresh, sent by the peer's sender fiber. */
export interface Outgoing {
  /** Sent only while this is still the peer's session (the bytes are encoded for its `tx`). */
  readonly session: Negotiation.Negotiated
  readonly messages: ReadonlyArray<Uint8Array>
  readonly endOfRib: ReadonlyArray<FamilyKey>
}

/** The runtime record of one peer. */
export interface Peer {
  settings: Settings
  /** Position in the desired state's `peers`, for ordered listings. */
  index: number
  readonly ribId: RibPeer.PeerId
  readonly scope: Scope.CloseableScope
  readonly transport: PeerTransport.PeerTransport
  readonly outbox: Queue.Queue<Outgoing>
  /** Graceful restart, stale-route and max-prefix timers by name (running a name again restarts it). */
  readonly timers: FiberMap.FiberMap<string>
  /** An item is being sent (with `outbox` empty: everything queued went out). */
  sending: boolean
  session: Session.Handle | undefined
  sessionScope: Scope.CloseableScope | undefined
  /** The current session was made with the R bit (restarting speaker). */
  sessionRestarting: boolean
  /** The Established session, while it lasts. */
  current: Negotiation.Negotiated | undefined
  /** The last Established session (for graceful restart timers after it ended). */
  last: Negotiation.Negotiated | undefined
  state: State.Name
  establishedAt: number | undefined
  establishedCount: number
  lastError: LastError | undefined
  group: UpdateGroup<Peer> | undefined
  helper: HelperState
  /** Families whose routes are kept as stale (graceful restart helper). */
  readonly stale: Set<FamilyKey>
  /** Families whose stale routes are long-lived stale (RFC 9494). */
  readonly longLived: Set<FamilyKey>
  /** Families in an RFC 7313 refresh from the peer (between BoRR and EoRR). */
  readonly refreshing: Set<FamilyKey>
  /** Families whose max-prefix limit was reported in this session. */
  readonly maxPrefixReported: Set<FamilyKey>
  maxPrefixRestartAt: number | undefined
  removed: boolean
}
