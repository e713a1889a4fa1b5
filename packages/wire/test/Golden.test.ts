/**
 * Golden vectors: BGP messages captured from BIRD 2.0.12 and gobgpd 3.10.0 talking
 * to each other (e2e/src/captureGolden.ts; how, and the negotiated sessions, in
 * golden/README.md). Each vector is decoded in the context its session negotiated,
 * its values are checked one by one, and it is encoded again: byte-identical where
 * our canonical form is the sender's, otherwise the difference is named and bounded.
 */
import { describe, expect, test } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import type { Aggregator } from "../src/Attributes.js"
import * as AsPath from "../src/AsPath.js"
import * as Context from "../src/Context.js"
import * as Family from "../src/Family.js"
import * as Framer from "../src/Framer.js"
import * as Message from "../src/Message.js"
import * as Notification from "../src/Notification.js"
import type { Prefixes } from "../src/Prefixes.js"
import * as Text from "../src/Text.js"
import * as Update from "../src/Update.js"
import * as WireError from "../src/WireError.js"

const DIR = join(import.meta.dir, "golden")

const fromHex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

/** The messages of a vector file, one hex line each. */
const lines = (file: string): Array<Uint8Array> =>
  readFileSync(join(DIR, file), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => fromHex(l.trim()))

const vectorFiles = readdirSync(DIR).filter((f) => f.endsWith(".hex") && !f.endsWith("-stream.hex"))
const streamFiles = readdirSync(DIR).filter((f) => f.endsWith("-stream.hex"))

// ---------------------------------------------------------------------------
// The negotiated context of each direction, from the two OPENs of each session.

const v4 = Family.Ipv4Unicast
const v6 = Family.Ipv6Unicast

/** Contexts by file-name prefix: who sent it, on which session. */
const contexts: ReadonlyArray<readonly [string, Context.Context]> = [
  // iBGP over IPv6, AS 65002: BIRD ADD-PATH send for IPv6 (gobgpd receives); Extended Next Hop for IPv4 both ways.
  ["bird-ibgp-", Context.make({ asn4: true, ebgp: false, addPath: new Set([v6]), extendedNextHop: new Set([v4]) })],
  ["gobgp-ibgp-", Context.make({ asn4: true, ebgp: false, addPath: new Set(), extendedNextHop: new Set([v4]) })],
  // eBGP over IPv4 where BIRD (AS 65003) has `enable as4 off`: 2-octet AS numbers both ways.
  ["bird-as2-", Context.make({ asn4: false, ebgp: true, peerAs: 65003 })],
  ["gobgp-as2-", Context.make({ asn4: false, ebgp: true, peerAs: 65002 })],
  // eBGP over IPv4, AS 65001 (BIRD) – AS 65002 (gobgpd): ADD-PATH both ways for IPv4; extended messages
  // only offered by BIRD, Extended Next Hop only by gobgpd, so neither is negotiated.
  ["bird-", Context.make({ asn4: true, ebgp: true, peerAs: 65001, addPath: new Set([v4]) })],
  ["gobgp-", Context.make({ asn4: true, ebgp: true, peerAs: 65002, addPath: new Set([v4]) })]
]

const contextOf = (file: string): Context.Context => {
  const hit = contexts.find(([prefix]) => file.startsWith(prefix))
  if (hit === undefined) throw new Error(`no session context for ${file}`)
  return hit[1]
}

const decode = (file: string, bytes: Uint8Array): Message.Message => {
  const m = Message.decode(bytes, contextOf(file))
  if (WireError.isWireError(m)) throw new Error(`${file}: ${m.message}\n${toHex(bytes)}`)
  return m
}

const decodeAll = (file: string): Array<Message.Message> => lines(file).map((b) => decode(file, b))

function only<T extends Message.Message["_tag"]>(file: string, tag: T): Extract<Message.Message, { _tag: T }> {
  const all = decodeAll(file)
  expect(all.length).toBe(1)
  const m = all[0]!
  expect(m._tag).toBe(tag)
  return m as Extract<Message.Message, { _tag: T }>
}

const updates = (file: string): Array<Message.Update> =>
  decodeAll(file).map((m) => {
    expect(m._tag).toBe("Update")
    return m as Message.Update
  })

// ---------------------------------------------------------------------------
// UPDATE values as text, so expectations read like the configs that produced them.

const entries = (p: Prefixes | Uint8Array): Array<string> | string =>
  p instanceof Uint8Array ? `raw ${toHex(p)}` : Array.from({ length: p.count }, (_, i) => Text.formatEntryWithPath(p, i))

const aggregatorText = (a: Aggregator): string => `${a.asn} ${Text.numberToIpv4(a.address)}`

interface Summary {
  readonly withdrawn?: Array<string> | string
  readonly nlri?: Array<string> | string
  readonly mpReach?: { readonly family: string; readonly nextHop: string; readonly nlri: Array<string> | string }
  readonly mpUnreach?: { readonly family: string; readonly withdrawn: Array<string> | string }
  readonly origin?: string
  readonly asPath?: string
  readonly nextHop?: string
  readonly med?: number
  readonly localPref?: number
  readonly aggregator?: string
  readonly communities?: Array<string>
  readonly originatorId?: string
  readonly clusterList?: Array<string>
  readonly extendedCommunities?: Array<string>
  readonly as4Path?: string
  readonly as4Aggregator?: string
  readonly largeCommunities?: Array<string>
  readonly otc?: number
  readonly unknown?: Array<string>
}

/** Every field the UPDATE carries, as text; absent fields are left out. */
const summarize = (u: Message.Update): Summary => {
  const a = u.attributes
  const s: { -readonly [K in keyof Summary]: Summary[K] } = {}
  if (u.withdrawn.count > 0) s.withdrawn = entries(u.withdrawn)
  if (u.nlri.count > 0) s.nlri = entries(u.nlri)
  if (u.mpReach !== undefined) {
    const r = u.mpReach
    s.mpReach = { family: Family.format(Family.key(r.afi, r.safi)), nextHop: Text.formatNextHop(r.nextHop), nlri: entries(r.nlri) }
  }
  if (u.mpUnreach !== undefined) {
    const r = u.mpUnreach
    s.mpUnreach = { family: Family.format(Family.key(r.afi, r.safi)), withdrawn: entries(r.withdrawn) }
  }
  if (a.origin !== undefined) s.origin = Text.formatOrigin(a.origin)
  if (a.asPath !== undefined) s.asPath = Text.formatAsPath(a.asPath)
  if (a.nextHop !== undefined) s.nextHop = Text.formatAddress(a.nextHop)
  if (a.med !== undefined) s.med = a.med
  if (a.localPref !== undefined) s.localPref = a.localPref
  if (a.aggregator !== undefined) s.aggregator = aggregatorText(a.aggregator)
  if (a.communities !== undefined) s.communities = Text.formatCommunities(a.communities)
  if (a.originatorId !== undefined) s.originatorId = Text.numberToIpv4(a.originatorId)
  if (a.clusterList !== undefined) s.clusterList = Array.from(a.clusterList, Text.numberToIpv4)
  if (a.extendedCommunities !== undefined) s.extendedCommunities = Text.formatExtendedCommunities(a.extendedCommunities)
  if (a.as4Path !== undefined) s.as4Path = Text.formatAsPath(a.as4Path)
  if (a.as4Aggregator !== undefined) s.as4Aggregator = aggregatorText(a.as4Aggregator)
  if (a.largeCommunities !== undefined) s.largeCommunities = Text.formatLargeCommunities(a.largeCommunities)
  if (a.otc !== undefined) s.otc = a.otc
  if (a.unknown !== undefined && a.unknown.length > 0) s.unknown = a.unknown.map((x) => `${x.code}/${x.flags}:${toHex(x.value)}`)
  return s
}

/** The summaries of a file's UPDATEs, which must be clean (no RFC 7606 findings). */
const summaries = (file: string): Array<Summary> =>
  updates(file).map((u) => {
    expect(u.issues).toEqual([])
    expect(u.treatAsWithdraw).toBe(false)
    return summarize(u)
  })

/** JSON with object keys sorted at every level, so equal values give equal text. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(",")}]`
    : v !== null && typeof v === "object"
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(",")}}`
      : JSON.stringify(v)

/** Same multiset of summaries (the order UPDATEs arrive in is the sender's business). */
const expectSummaries = (file: string, expected: ReadonlyArray<Summary>): void => {
  const key = (s: Summary): string => canonical(s)
  const sort = (xs: ReadonlyArray<Summary>) => [...xs].sort((x, y) => key(x).localeCompare(key(y)))
  expect(sort(summaries(file))).toEqual(sort(expected))
}

// ---------------------------------------------------------------------------
// OPEN

describe("golden OPEN", () => {
  test("BIRD eBGP: AS 65001, hold 90, id 192.0.2.1; extended message, BGP Role kept as unknown, empty LLGR, FQDN", () => {
    const open = only("bird-open.hex", "Open")
    expect([open.version, open.myAs, open.holdTime, Text.numberToIpv4(open.bgpId)]).toEqual([4, 65001, 90, "192.0.2.1"])
    expect(open.capabilities).toEqual([
      { _tag: "Multiprotocol", afi: 1, safi: 1 },
      { _tag: "Multiprotocol", afi: 2, safi: 1 },
      { _tag: "RouteRefresh" },
      { _tag: "ExtendedMessage" },
      // RFC 9234 BGP Role (code 9), value 0 = Provider: not interpreted, kept as received.
      { _tag: "Unknown", code: 9, value: Uint8Array.of(0) },
      { _tag: "GracefulRestart", flags: 0, restartTime: 120, families: [{ afi: 1, safi: 1, flags: 0 }, { afi: 2, safi: 1, flags: 0 }] },
      { _tag: "FourOctetAs", asn: 65001 },
      { _tag: "AddPath", families: [{ afi: 1, safi: 1, mode: 3 }] },
      { _tag: "EnhancedRouteRefresh" },
      // BIRD's default "long lived graceful restart aware": the capability with no families.
      { _tag: "LongLivedGracefulRestart", families: [] },
      { _tag: "Fqdn", hostname: "bird-golden", domain: "" }
    ])
  })

  test("gobgpd eBGP: AS 65002, hold 90, id 192.0.2.2; GR with the N bit, Extended Next Hop, ADD-PATH both", () => {
    const open = only("gobgp-open.hex", "Open")
    expect([open.version, open.myAs, open.holdTime, Text.numberToIpv4(open.bgpId)]).toEqual([4, 65002, 90, "192.0.2.2"])
    expect(open.capabilities).toEqual([
      { _tag: "RouteRefresh" },
      { _tag: "Fqdn", hostname: "gobgp-golden", domain: "" },
      { _tag: "Multiprotocol", afi: 1, safi: 1 },
      { _tag: "Multiprotocol", afi: 2, safi: 1 },
      { _tag: "FourOctetAs", asn: 65002 },
      { _tag: "GracefulRestart", flags: 0x4, restartTime: 120, families: [{ afi: 1, safi: 1, flags: 0 }, { afi: 2, safi: 1, flags: 0 }] },
      { _tag: "ExtendedNextHop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      { _tag: "AddPath", families: [{ afi: 1, safi: 1, mode: 3 }] }
    ])
  })

  test("BIRD iBGP: AS 65002, hold 60; Extended Next Hop, ADD-PATH send for IPv6, LLGR stale time 3600", () => {
    const open = only("bird-ibgp-open.hex", "Open")
    expect([open.myAs, open.holdTime, Text.numberToIpv4(open.bgpId)]).toEqual([65002, 60, "192.0.2.1"])
    expect(open.capabilities).toEqual([
      { _tag: "Multiprotocol", afi: 1, safi: 1 },
      { _tag: "Multiprotocol", afi: 2, safi: 1 },
      { _tag: "RouteRefresh" },
      { _tag: "ExtendedNextHop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      { _tag: "GracefulRestart", flags: 0, restartTime: 120, families: [{ afi: 1, safi: 1, flags: 0 }, { afi: 2, safi: 1, flags: 0 }] },
      { _tag: "FourOctetAs", asn: 65002 },
      { _tag: "AddPath", families: [{ afi: 2, safi: 1, mode: 2 }] },
      { _tag: "EnhancedRouteRefresh" },
      {
        _tag: "LongLivedGracefulRestart",
        families: [{ afi: 1, safi: 1, flags: 0, staleTime: 3600 }, { afi: 2, safi: 1, flags: 0, staleTime: 3600 }]
      }
    ])
  })

  test("gobgpd iBGP: hold 60, GR 90 s, LLGR 3600 s, Extended Next Hop, ADD-PATH receive for IPv6", () => {
    const open = only("gobgp-ibgp-open.hex", "Open")
    expect([open.myAs, open.holdTime, Text.numberToIpv4(open.bgpId)]).toEqual([65002, 60, "192.0.2.2"])
    expect(open.capabilities).toEqual([
      { _tag: "RouteRefresh" },
      { _tag: "Fqdn", hostname: "gobgp-golden", domain: "" },
      { _tag: "Multiprotocol", afi: 1, safi: 1 },
      { _tag: "Multiprotocol", afi: 2, safi: 1 },
      { _tag: "FourOctetAs", asn: 65002 },
      { _tag: "GracefulRestart", flags: 0, restartTime: 90, families: [{ afi: 1, safi: 1, flags: 0 }, { afi: 2, safi: 1, flags: 0 }] },
      {
        _tag: "LongLivedGracefulRestart",
        families: [{ afi: 1, safi: 1, flags: 0, staleTime: 3600 }, { afi: 2, safi: 1, flags: 0, staleTime: 3600 }]
      },
      { _tag: "ExtendedNextHop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      { _tag: "AddPath", families: [{ afi: 2, safi: 1, mode: 1 }] }
    ])
  })

  test("BIRD with `enable as4 off`: no 4-octet AS capability, GR helper only (no families), empty LLGR", () => {
    const open = only("bird-as2-open.hex", "Open")
    expect([open.myAs, open.holdTime, Text.numberToIpv4(open.bgpId)]).toEqual([65003, 90, "192.0.2.1"])
    expect(open.capabilities).toEqual([
      { _tag: "Multiprotocol", afi: 1, safi: 1 },
      { _tag: "RouteRefresh" },
      { _tag: "GracefulRestart", flags: 0, restartTime: 120, families: [] },
      { _tag: "EnhancedRouteRefresh" },
      { _tag: "LongLivedGracefulRestart", families: [] }
    ])
  })

  test("gobgpd towards the 2-octet peer still offers 4-octet AS (negotiation makes it 2-octet)", () => {
    const open = only("gobgp-as2-open.hex", "Open")
    expect([open.myAs, open.holdTime]).toEqual([65002, 90])
    expect(open.capabilities).toEqual([
      { _tag: "RouteRefresh" },
      { _tag: "Fqdn", hostname: "gobgp-golden", domain: "" },
      { _tag: "Multiprotocol", afi: 1, safi: 1 },
      { _tag: "FourOctetAs", asn: 65002 },
      { _tag: "ExtendedNextHop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] }
    ])
  })
})

// ---------------------------------------------------------------------------
// KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, End-of-RIB

describe("golden KEEPALIVE, NOTIFICATION, ROUTE-REFRESH", () => {
  test("every captured KEEPALIVE is the bare 19-byte header", () => {
    const files = vectorFiles.filter((f) => f.endsWith("-keepalive.hex"))
    expect(files.length).toBe(6)
    for (const f of files) {
      expect(only(f, "Keepalive")).toEqual({ _tag: "Keepalive" })
      expect(lines(f).map(toHex)).toEqual([`${"ff".repeat(16)}001304`])
    }
  })

  test("BIRD's `disable ... \"maintenance window\"` is Cease 6/2 with an RFC 9003 communication", () => {
    const n = only("bird-notification.hex", "Notification")
    expect([n.code, n.subcode]).toEqual([6, 2])
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "maintenance window" })
  })

  test("our shutdown NOTIFICATION for the same text is byte-identical to BIRD's", () => {
    const ours = Message.encode(Notification.shutdown(2, "maintenance window"), contextOf("bird-"))
    expect(toHex(ours)).toBe(toHex(lines("bird-notification.hex")[0]!))
  })

  test("gobgpd's `shutdown --reason` carries its communication; without a reason the data is empty", () => {
    const n = only("gobgp-ibgp-notification.hex", "Notification")
    expect([n.code, n.subcode]).toEqual([6, 2])
    expect(Notification.shutdownCommunication(n)).toEqual({ text: "gobgp maintenance" })
    const bare = only("gobgp-as2-notification.hex", "Notification")
    expect([bare.code, bare.subcode, bare.data.length]).toEqual([6, 2, 0])
  })

  test("BIRD's `reload in` sends plain ROUTE-REFRESH (subtype 0) for IPv4 and IPv6 unicast", () => {
    expect(decodeAll("bird-route-refresh.hex")).toEqual([
      { _tag: "RouteRefresh", afi: 1, safi: 1, subtype: 0 },
      { _tag: "RouteRefresh", afi: 2, safi: 1, subtype: 0 }
    ])
  })

  test("End-of-RIB markers: the empty UPDATE for IPv4, a bare MP_UNREACH_NLRI for IPv6", () => {
    const eors = vectorFiles.filter((f) => f.includes("-eor-"))
    // gobgpd sends no End-of-RIB where graceful restart was not negotiated (the 2-octet session).
    expect(eors.sort()).toEqual([
      "bird-as2-eor-v4.hex",
      "bird-eor-v4.hex",
      "bird-eor-v6.hex",
      "bird-ibgp-eor-v4.hex",
      "bird-ibgp-eor-v6.hex",
      "gobgp-eor-v4.hex",
      "gobgp-eor-v6.hex",
      "gobgp-ibgp-eor-v4.hex",
      "gobgp-ibgp-eor-v6.hex"
    ])
    for (const f of eors) {
      const u = only(f, "Update")
      expect(Update.isEndOfRib(u)).toBe(f.endsWith("-v4.hex") ? v4 : v6)
    }
  })
})

// ---------------------------------------------------------------------------
// UPDATE from BIRD

// Attribute sets of BIRD's static routes, as they arrive on eBGP (OTC added by `local role provider`).
const birdRich = (): Summary => ({
  origin: "igp",
  med: 50,
  communities: ["65001:100", "blackhole"],
  extendedCommunities: ["rt:65001:100"],
  largeCommunities: ["65001:1:2"]
})

describe("golden UPDATE from BIRD over eBGP (ADD-PATH on IPv4, OTC from role provider)", () => {
  test("IPv4 announcements in the NLRI field with path ids, NEXT_HOP 192.0.2.1, AS_PATH 65001", () => {
    expectSummaries("bird-update-v4.hex", [
      {
        nlri: ["198.18.0.0/15 (path 2)", "203.0.113.64/26 (path 2)", "203.0.113.0/26 (path 2)"],
        asPath: "65001",
        nextHop: "192.0.2.1",
        otc: 65001,
        ...birdRich()
      },
      {
        nlri: ["203.0.113.128/25 (path 2)"],
        origin: "incomplete",
        asPath: "65001 65010 4200000001",
        nextHop: "192.0.2.1",
        largeCommunities: ["4200000001:7:8"],
        otc: 65001
      },
      { nlri: ["198.19.255.1/32 (path 2)"], origin: "egp", asPath: "65001", nextHop: "192.0.2.1", communities: ["65001:300"], otc: 65001 },
      { nlri: ["203.0.113.192/26 (path 4)"], origin: "igp", asPath: "65001", nextHop: "192.0.2.1", otc: 65001 }
    ])
  })

  test("IPv6 announcements in MP_REACH_NLRI with a 32-byte next hop (global + link-local)", () => {
    const nextHop = "2001:db8::1 fe80::ff:fe00:1"
    const reach = (nlri: Array<string>) => ({ family: "ipv6-unicast", nextHop, nlri })
    expectSummaries("bird-update-v6.hex", [
      {
        mpReach: reach(["2001:db8:1000::/36", "2001:db8:1100::/48"]),
        asPath: "65001",
        otc: 65001,
        ...birdRich()
      },
      {
        mpReach: reach(["2001:db8:1200::1/128"]),
        origin: "incomplete",
        asPath: "65001 65010 4200000001",
        largeCommunities: ["4200000001:7:8"],
        otc: 65001
      },
      { mpReach: reach(["::/0"]), origin: "egp", asPath: "65001", communities: ["65001:300"], otc: 65001 },
      { mpReach: reach(["2001:db8:1f00::/40"]), origin: "igp", asPath: "65001", otc: 65001 }
    ])
  })

  test("withdrawals: the Withdrawn Routes field with a path id, MP_UNREACH_NLRI for IPv6", () => {
    expectSummaries("bird-withdraw-v4.hex", [{ withdrawn: ["203.0.113.192/26 (path 4)"] }])
    expectSummaries("bird-withdraw-v6.hex", [{ mpUnreach: { family: "ipv6-unicast", withdrawn: ["2001:db8:1f00::/40"] } }])
  })
})

describe("golden UPDATE from BIRD over iBGP (Extended Next Hop negotiated, ADD-PATH send for IPv6)", () => {
  const reach4 = (nextHop: string, nlri: Array<string>) => ({ family: "ipv4-unicast", nextHop, nlri })

  test("IPv4 in MP_REACH_NLRI with a 4-byte next hop; LOCAL_PREF, NO_EXPORT, ORIGINATOR_ID, CLUSTER_LIST", () => {
    expectSummaries("bird-ibgp-update-v4.hex", [
      {
        mpReach: reach4("192.0.2.1", ["198.18.0.0/15", "203.0.113.64/26", "203.0.113.0/26"]),
        origin: "igp",
        asPath: "",
        med: 50,
        localPref: 100,
        communities: ["65001:100", "blackhole", "no-export"],
        extendedCommunities: ["rt:65001:100"],
        largeCommunities: ["65001:1:2"]
      },
      {
        mpReach: reach4("192.0.2.1", ["198.19.255.1/32"]),
        origin: "egp",
        asPath: "",
        localPref: 100,
        communities: ["65001:300", "no-export"],
        originatorId: "192.0.2.50",
        clusterList: ["192.0.2.60"]
      },
      {
        mpReach: reach4("192.0.2.1", ["203.0.113.128/25"]),
        origin: "incomplete",
        asPath: "65010 4200000001",
        localPref: 100,
        communities: ["no-export"],
        largeCommunities: ["4200000001:7:8"]
      },
      { mpReach: reach4("192.0.2.1", ["203.0.113.192/26"]), origin: "igp", asPath: "", localPref: 100, communities: ["no-export"] },
      // gobgpd's eBGP routes passed on inside the AS, with its AS_SET and 4-octet AGGREGATOR.
      {
        mpReach: reach4("192.0.2.2", ["198.51.100.0/25"]),
        origin: "igp",
        asPath: "65002",
        med: 20,
        localPref: 100,
        communities: ["65002:200", "65002:201"],
        largeCommunities: ["65002:3:4"]
      },
      {
        mpReach: reach4("192.0.2.2", ["198.51.100.128/25"]),
        origin: "incomplete",
        asPath: "65002 65010 {65011,65012}",
        localPref: 100,
        aggregator: "4200000010 192.0.2.100"
      },
      { mpReach: reach4("192.0.2.2", ["198.51.100.192/26"]), origin: "igp", asPath: "65002 4200000002 65020", localPref: 100 },
      { mpReach: reach4("192.0.2.2", ["198.51.100.255/32"]), origin: "egp", asPath: "65002", localPref: 100 }
    ])
  })

  test("IPv6 with path ids and a 16-byte next hop", () => {
    const reach = (nlri: Array<string>) => ({ family: "ipv6-unicast", nextHop: "2001:db8::1", nlri })
    expectSummaries("bird-ibgp-update-v6.hex", [
      {
        mpReach: reach(["2001:db8:1000::/36 (path 3)", "2001:db8:1100::/48 (path 3)"]),
        origin: "igp",
        asPath: "",
        med: 50,
        localPref: 100,
        communities: ["65001:100", "blackhole", "no-export"],
        extendedCommunities: ["rt:65001:100"],
        largeCommunities: ["65001:1:2"]
      },
      {
        mpReach: reach(["::/0 (path 3)"]),
        origin: "egp",
        asPath: "",
        localPref: 100,
        communities: ["65001:300", "no-export"],
        originatorId: "192.0.2.50",
        clusterList: ["192.0.2.60"]
      },
      {
        mpReach: reach(["2001:db8:1200::1/128 (path 3)"]),
        origin: "incomplete",
        asPath: "65010 4200000001",
        localPref: 100,
        communities: ["no-export"],
        largeCommunities: ["4200000001:7:8"]
      },
      { mpReach: reach(["2001:db8:1f00::/40 (path 5)"]), origin: "igp", asPath: "", localPref: 100, communities: ["no-export"] }
    ])
  })

  test("withdrawals in MP_UNREACH_NLRI, IPv4 without and IPv6 with path ids", () => {
    const unreach = (family: string, withdrawn: Array<string>) => ({ mpUnreach: { family, withdrawn } })
    expectSummaries("bird-ibgp-withdraw-v4.hex", [
      unreach("ipv4-unicast", ["203.0.113.192/26"]),
      unreach("ipv4-unicast", ["198.51.100.255/32"])
    ])
    expectSummaries("bird-ibgp-withdraw-v6.hex", [unreach("ipv6-unicast", ["2001:db8:1f00::/40 (path 5)"])])
  })
})

describe("golden UPDATE from BIRD as a 2-octet (RFC 6793 OLD-session) speaker", () => {
  test("AS_TRANS in the 2-octet AS_PATH, the true path in AS4_PATH", () => {
    expectSummaries("bird-as2-update-v4.hex", [
      {
        nlri: ["198.18.0.0/15", "203.0.113.64/26", "203.0.113.0/26"],
        origin: "igp",
        asPath: "65003",
        nextHop: "192.0.2.3",
        communities: ["65001:100", "blackhole"],
        extendedCommunities: ["rt:65001:100"],
        largeCommunities: ["65001:1:2"]
      },
      {
        nlri: ["203.0.113.128/25"],
        origin: "incomplete",
        asPath: "65003 65010 23456",
        as4Path: "65003 65010 4200000001",
        nextHop: "192.0.2.3",
        largeCommunities: ["4200000001:7:8"]
      },
      { nlri: ["198.19.255.1/32"], origin: "egp", asPath: "65003", nextHop: "192.0.2.3", communities: ["65001:300"] },
      { nlri: ["203.0.113.192/26"], origin: "igp", asPath: "65003", nextHop: "192.0.2.3" }
    ])
    expectSummaries("bird-as2-withdraw-v4.hex", [{ withdrawn: ["203.0.113.192/26"] }])
  })

  test("merging AS4_PATH (RFC 6793 §4.2.3) restores the 4-octet path", () => {
    const u = updates("bird-as2-update-v4.hex").find((x) => x.attributes.as4Path !== undefined)!
    const merged = AsPath.applyAs4(u.attributes)
    expect(Text.formatAsPath(merged.asPath!)).toBe("65003 65010 4200000001")
    expect(merged.as4Path).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------
// UPDATE from gobgpd

describe("golden UPDATE from gobgpd over eBGP (ADD-PATH on IPv4)", () => {
  test("IPv4 with path id 1: communities, MED, AS_SET with a 4-octet AGGREGATOR, a 4-octet AS in the path", () => {
    expectSummaries("gobgp-update-v4.hex", [
      {
        nlri: ["198.51.100.0/25 (path 1)"],
        origin: "igp",
        asPath: "65002",
        nextHop: "192.0.2.2",
        med: 20,
        communities: ["65002:200", "65002:201"],
        largeCommunities: ["65002:3:4"]
      },
      {
        nlri: ["198.51.100.128/25 (path 1)"],
        origin: "incomplete",
        asPath: "65002 65010 {65011,65012}",
        nextHop: "192.0.2.2",
        aggregator: "4200000010 192.0.2.100"
      },
      { nlri: ["198.51.100.192/26 (path 1)"], origin: "igp", asPath: "65002 4200000002 65020", nextHop: "192.0.2.2" },
      { nlri: ["198.51.100.255/32 (path 1)"], origin: "egp", asPath: "65002", nextHop: "192.0.2.2" }
    ])
  })

  test("IPv6 in MP_REACH_NLRI with a 16-byte next hop", () => {
    const reach = (nlri: Array<string>) => ({ family: "ipv6-unicast", nextHop: "2001:db8::2", nlri })
    expectSummaries("gobgp-update-v6.hex", [
      {
        mpReach: reach(["2001:db8:2000::/48"]),
        origin: "igp",
        asPath: "65002",
        med: 30,
        communities: ["65002:600"],
        largeCommunities: ["65002:5:6"]
      },
      { mpReach: reach(["2001:db8:2001::/48"]), origin: "incomplete", asPath: "65002 4200000002" },
      { mpReach: reach(["2001:db8:2fff::/48"]), origin: "incomplete", asPath: "65002" }
    ])
  })

  test("withdrawals: the Withdrawn Routes field with path id 1, MP_UNREACH_NLRI for IPv6", () => {
    expectSummaries("gobgp-withdraw-v4.hex", [{ withdrawn: ["198.51.100.255/32 (path 1)"] }])
    expectSummaries("gobgp-withdraw-v6.hex", [{ mpUnreach: { family: "ipv6-unicast", withdrawn: ["2001:db8:2fff::/48"] } }])
  })
})

describe("golden UPDATE from gobgpd over iBGP (RFC 8950 next hop for IPv4)", () => {
  test("IPv4 NLRI in MP_REACH_NLRI with an IPv6 next hop; LOCAL_PREF 100; its own AS not prepended", () => {
    const reach4 = (nlri: Array<string>) => ({ family: "ipv4-unicast", nextHop: "2001:db8::2", nlri })
    expectSummaries("gobgp-ibgp-update-v4.hex", [
      {
        mpReach: reach4(["198.51.100.0/25"]),
        origin: "igp",
        asPath: "",
        med: 20,
        localPref: 100,
        communities: ["65002:200", "65002:201"],
        largeCommunities: ["65002:3:4"]
      },
      {
        mpReach: reach4(["198.51.100.128/25"]),
        origin: "incomplete",
        asPath: "65010 {65011,65012}",
        localPref: 100,
        aggregator: "4200000010 192.0.2.100"
      },
      { mpReach: reach4(["198.51.100.192/26"]), origin: "igp", asPath: "4200000002 65020", localPref: 100 },
      { mpReach: reach4(["198.51.100.255/32"]), origin: "egp", asPath: "", localPref: 100 }
    ])
  })

  test("IPv6 announcements and withdrawals", () => {
    const reach = (nlri: Array<string>) => ({ family: "ipv6-unicast", nextHop: "2001:db8::2", nlri })
    expectSummaries("gobgp-ibgp-update-v6.hex", [
      {
        mpReach: reach(["2001:db8:2000::/48"]),
        origin: "igp",
        asPath: "",
        med: 30,
        localPref: 100,
        communities: ["65002:600"],
        largeCommunities: ["65002:5:6"]
      },
      { mpReach: reach(["2001:db8:2001::/48"]), origin: "incomplete", asPath: "4200000002", localPref: 100 },
      { mpReach: reach(["2001:db8:2fff::/48"]), origin: "incomplete", asPath: "", localPref: 100 }
    ])
    expectSummaries("gobgp-ibgp-withdraw-v6.hex", [{ mpUnreach: { family: "ipv6-unicast", withdrawn: ["2001:db8:2fff::/48"] } }])
  })

  test("an IPv4 withdrawal goes in the Withdrawn Routes field, not in MP_UNREACH_NLRI", () => {
    expectSummaries("gobgp-ibgp-withdraw-v4.hex", [{ withdrawn: ["198.51.100.255/32"] }])
  })
})

describe("golden UPDATE from gobgpd to a 2-octet peer", () => {
  test("AS_TRANS in AS_PATH and AGGREGATOR, with AS4_PATH and AS4_AGGREGATOR", () => {
    expectSummaries("gobgp-as2-update-v4.hex", [
      {
        nlri: ["198.51.100.0/25"],
        origin: "igp",
        asPath: "65002",
        nextHop: "192.0.2.4",
        med: 20,
        communities: ["65002:200", "65002:201"],
        largeCommunities: ["65002:3:4"]
      },
      {
        nlri: ["198.51.100.128/25"],
        origin: "incomplete",
        asPath: "65002 65010 {65011,65012}",
        nextHop: "192.0.2.4",
        aggregator: "23456 192.0.2.100",
        as4Aggregator: "4200000010 192.0.2.100"
      },
      { nlri: ["198.51.100.192/26"], origin: "igp", asPath: "65002 23456 65020", as4Path: "65002 4200000002 65020", nextHop: "192.0.2.4" },
      { nlri: ["198.51.100.255/32"], origin: "egp", asPath: "65002", nextHop: "192.0.2.4" }
    ])
    expectSummaries("gobgp-as2-withdraw-v4.hex", [{ withdrawn: ["198.51.100.255/32"] }])
  })

  test("merging restores the 4-octet AS in the path and in the aggregator", () => {
    const merged = updates("gobgp-as2-update-v4.hex").map((u) => summarize({ ...u, attributes: AsPath.applyAs4(u.attributes) }))
    expect(merged.find((s) => s.as4Path !== undefined || s.as4Aggregator !== undefined)).toBeUndefined()
    expect(merged.map((s) => s.asPath).sort()).toEqual(["65002", "65002", "65002 4200000002 65020", "65002 65010 {65011,65012}"])
    expect(merged.map((s) => s.aggregator).filter((a) => a !== undefined)).toEqual(["4200000010 192.0.2.100"])
  })
})

// ---------------------------------------------------------------------------
// Re-encoding

/** One path attribute as raw parts, for comparing two encodings of the same UPDATE. */
interface RawAttribute {
  readonly flags: number
  readonly code: number
  readonly value: string
}

/** Splits an UPDATE into its withdrawn and NLRI bytes and its attributes in wire order. */
const rawUpdate = (m: Uint8Array): { withdrawn: string; attributes: Array<RawAttribute>; nlri: string } => {
  const wlen = (m[19]! << 8) | m[20]!
  const aAt = 23 + wlen
  const alen = (m[aAt - 2]! << 8) | m[aAt - 1]!
  const attributes: Array<RawAttribute> = []
  for (let o = aAt; o < aAt + alen; ) {
    const flags = m[o]!
    const ext = (flags & 0x10) !== 0
    const len = ext ? (m[o + 2]! << 8) | m[o + 3]! : m[o + 2]!
    const v = o + (ext ? 4 : 3)
    attributes.push({ flags, code: m[o + 1]!, value: toHex(m.subarray(v, v + len)) })
    o = v + len
  }
  return { withdrawn: toHex(m.subarray(21, 21 + wlen)), attributes, nlri: toHex(m.subarray(aAt + alen)) }
}

/**
 * How our encoding of a decoded vector relates to the captured bytes:
 * - "identical";
 * - "extended-length": the same attributes in the same order, but the sender set
 *   Extended Length on attributes under 256 bytes (BIRD does so for MP_REACH_NLRI
 *   and MP_UNREACH_NLRI); we set it only when the value needs it;
 * - "order": the same attributes (flags, code, value), in another order; we write
 *   MP_REACH/MP_UNREACH first, then ascending type codes (RFC 4271 §5 recommends
 *   ascending order, RFC 7606 §5.1 MP_REACH/MP_UNREACH first); gobgpd writes
 *   AGGREGATOR/AS4_AGGREGATOR before NEXT_HOP and MP_REACH_NLRI among the others.
 */
type Reencoding = "identical" | "extended-length" | "order"

const classify = (captured: Uint8Array, ours: Uint8Array): Reencoding | "different" => {
  if (toHex(captured) === toHex(ours)) return "identical"
  if (captured[18] !== 2 || ours[18] !== 2) return "different"
  const a = rawUpdate(captured)
  const b = rawUpdate(ours)
  if (a.withdrawn !== b.withdrawn || a.nlri !== b.nlri) return "different"
  const masked = (x: RawAttribute) => `${x.code}/${x.flags & ~0x10}/${x.value}`
  if (a.attributes.map(masked).join() === b.attributes.map(masked).join()) return "extended-length"
  const exact = (x: RawAttribute) => `${x.code}/${x.flags}/${x.value}`
  if (a.attributes.map(exact).sort().join() === b.attributes.map(exact).sort().join()) return "order"
  return "different"
}

/** What each file's messages are expected to be, re-encoded. */
const expectedReencoding = (file: string): ReadonlyArray<Reencoding> => {
  const update = /-(update|withdraw)-v[46]\.hex$/.test(file)
  if (!update) return ["identical"]
  // BIRD: MP_REACH/MP_UNREACH always with Extended Length; the IPv4 NLRI field needs neither.
  if (file.startsWith("bird-")) return file.endsWith("-v6.hex") || file.startsWith("bird-ibgp-") ? ["extended-length"] : ["identical"]
  // gobgpd: order differs where AGGREGATOR or MP_REACH_NLRI occur; plain IPv4 UPDATEs come out identical.
  return ["identical", "order"]
}

describe("golden vectors re-encoded", () => {
  for (const file of vectorFiles) {
    test(`${file}: our encoding is ${expectedReencoding(file).join(" or ")}, and a fixed point`, () => {
      const ctx = contextOf(file)
      for (const bytes of lines(file)) {
        const decoded = decode(file, bytes)
        const ours = Message.encode(decoded, ctx)
        const kind = classify(bytes, ours)
        const allowed: ReadonlyArray<string> = expectedReencoding(file)
        if (!allowed.includes(kind)) throw new Error(`${file}: re-encoding is ${kind}\n captured ${toHex(bytes)}\n ours     ${toHex(ours)}`)
        expect(allowed).toContain(kind)
        // Our bytes decode to the same value and encode to themselves.
        const again = Message.decode(ours, ctx)
        expect(again).toEqual(decoded)
        expect(toHex(Message.encode(again as Message.Message, ctx))).toBe(toHex(ours))
      }
    })
  }

  test("gobgpd's AGGREGATOR-before-NEXT_HOP UPDATE is reordered, attribute bytes unchanged", () => {
    const ctx = contextOf("gobgp-")
    const bytes = lines("gobgp-update-v4.hex").find((b) => rawUpdate(b).attributes.some((a) => a.code === 7))!
    expect(rawUpdate(bytes).attributes.map((a) => a.code)).toEqual([1, 2, 7, 3])
    const ours = Message.encode(decode("gobgp-update-v4.hex", bytes), ctx)
    expect(rawUpdate(ours).attributes.map((a) => a.code)).toEqual([1, 2, 3, 7])
    expect(classify(bytes, ours)).toBe("order")
  })

  test("BIRD's MP_REACH_NLRI carries Extended Length (0x90) for a 38-byte value; ours is 0x80", () => {
    const bytes = lines("bird-update-v6.hex").find((b) => rawUpdate(b).attributes[0]!.value.length === 38 * 2)!
    const mp = rawUpdate(bytes).attributes[0]!
    expect([mp.flags, mp.code]).toEqual([0x90, 14])
    const ours = rawUpdate(Message.encode(decode("bird-update-v6.hex", bytes), contextOf("bird-")))
    expect([ours.attributes[0]!.flags, ours.attributes[0]!.code, ours.attributes[0]!.value]).toEqual([0x80, 14, mp.value])
  })
})

// ---------------------------------------------------------------------------
// Whole streams through the Framer

describe("golden streams", () => {
  for (const file of streamFiles) {
    test(`${file}: split at odd chunk sizes, the Framer yields the captured messages, all clean`, () => {
      const messages = lines(file)
      const total = messages.reduce((n, m) => n + m.length, 0)
      const stream = new Uint8Array(total)
      let at = 0
      for (const m of messages) {
        stream.set(m, at)
        at += m.length
      }
      const framer = Framer.make()
      const frames: Array<string> = []
      // Chunk sizes 1, 7, 13, ... so frames straddle chunks in every way.
      for (let o = 0, k = 0; o < stream.length; k++) {
        const n = 1 + ((k * 6) % 97)
        framer.push(stream.slice(o, o + n))
        o += n
        for (let f = framer.next(); f !== undefined; f = framer.next()) {
          if (WireError.isWireError(f)) throw new Error(`${file}: ${f.message}`)
          frames.push(toHex(f.bytes))
          const m = Message.decodeFrame(f, contextOf(file))
          if (WireError.isWireError(m)) throw new Error(`${file}: ${m.message}`)
          if (m._tag === "Update") expect([m.issues, m.treatAsWithdraw]).toEqual([[], false])
        }
      }
      expect(frames).toEqual(messages.map(toHex))
    })
  }
})
