import { describe, expect, test } from "bun:test"
import { Capability, Context, Family, Message, Open } from "@kbgp/wire"
import type { Message as MessageTypes } from "@kbgp/wire"
import * as Negotiation from "../src/Negotiation.js"
import { config, LOCAL_AS, LOCAL_ID, PEER_AS, PEER_ID, peerOpen } from "./support/FsmFixtures.js"

const v4u = Family.Ipv4Unicast
const v6u = Family.Ipv6Unicast
const mp = (afi: number, safi = 1): Capability.Capability => ({ _tag: "Multiprotocol", afi, safi })
const as4 = (asn = PEER_AS): Capability.Capability => ({ _tag: "FourOctetAs", asn })

const ok = (n: Negotiation.Negotiated | Negotiation.OpenRejection): Negotiation.Negotiated => {
  if (Negotiation.isRejection(n)) throw new Error(`unexpected rejection: ${n.detail}`)
  return n
}
const rejection = (n: Negotiation.Negotiated | Negotiation.OpenRejection): { code: number; subcode: number; data: Array<number> } => {
  if (!Negotiation.isRejection(n)) throw new Error("expected a rejection")
  return { code: n.notification.code, subcode: n.notification.subcode, data: [...n.notification.data] }
}
const negotiate = (o: MessageTypes.Open, c = config()) => Negotiation.negotiate(c, o)

describe("hold time and keepalive", () => {
  test("the negotiated hold time is the smaller of both, keepalive a third of it", () => {
    const n = ok(negotiate(peerOpen({ holdTime: 30 })))
    expect(n.holdTime).toBe(30)
    expect(n.keepaliveTime).toBe(10)
    expect(ok(negotiate(peerOpen({ holdTime: 240 }))).holdTime).toBe(90)
  })

  test("a hold time of 0 on either side disables hold timer, keepalives and the send hold timer", () => {
    const n = ok(negotiate(peerOpen({ holdTime: 0 })))
    expect([n.holdTime, n.keepaliveTime, n.sendHoldTime]).toEqual([0, 0, 0])
    expect(ok(negotiate(peerOpen(), config({ holdTime: 0 }))).holdTime).toBe(0)
  })

  test("hold times of 1 and 2 s are rejected with 2/6 carrying the offered value; 3 s is accepted", () => {
    expect(rejection(negotiate(peerOpen({ holdTime: 1 })))).toEqual({ code: 2, subcode: 6, data: [0, 1] })
    expect(rejection(negotiate(peerOpen({ holdTime: 2 })))).toEqual({ code: 2, subcode: 6, data: [0, 2] })
    const n = ok(negotiate(peerOpen({ holdTime: 3 })))
    expect([n.holdTime, n.keepaliveTime]).toEqual([3, 1])
  })

  test("a configured keepalive is used, never above the hold time", () => {
    expect(ok(negotiate(peerOpen(), config({ keepaliveTime: 10 }))).keepaliveTime).toBe(10)
    expect(ok(negotiate(peerOpen(), config({ holdTime: 9, keepaliveTime: 20 }))).keepaliveTime).toBe(9)
  })

  test("a configured keepalive yields to a third of a shorter hold time the peer asked for", () => {
    expect(ok(negotiate(peerOpen({ holdTime: 9 }), config({ keepaliveTime: 30 }))).keepaliveTime).toBe(3)
    expect(ok(negotiate(peerOpen({ holdTime: 9 }), config({ keepaliveTime: 2 }))).keepaliveTime).toBe(2)
  })

  test("send hold time defaults to max(8 min, 2 × hold); a configured value must exceed the hold time (RFC 9687)", () => {
    expect(ok(negotiate(peerOpen())).sendHoldTime).toBe(480)
    expect(ok(negotiate(peerOpen({ holdTime: 300 }), config({ holdTime: 300 }))).sendHoldTime).toBe(600)
    expect(ok(negotiate(peerOpen(), config({ sendHoldTime: 200 }))).sendHoldTime).toBe(200)
    expect(ok(negotiate(peerOpen(), config({ sendHoldTime: 60 }))).sendHoldTime).toBe(480)
  })
})

describe("peer AS", () => {
  test("a peer in another AS than configured gets 2/2 Bad Peer AS with its 4-octet AS as data", () => {
    expect(rejection(negotiate(peerOpen({ asn: 65010 })))).toEqual({ code: 2, subcode: 2, data: [0, 0, 0xfd, 0xf2] })
  })

  test("without the 4-octet capability the data is the 2-octet My AS", () => {
    const o = peerOpen({ asn: 65010, capabilities: [] })
    expect(rejection(negotiate(o))).toEqual({ code: 2, subcode: 2, data: [0xfd, 0xf2] })
  })

  test("AS 0 is Bad Peer AS, in My AS and in the capability (RFC 7607)", () => {
    expect(rejection(negotiate({ ...peerOpen({ capabilities: [] }), myAs: 0 }))).toEqual({ code: 2, subcode: 2, data: [0, 0] })
    const zeroCap = { ...peerOpen({ capabilities: [as4(0)] }), myAs: Open.AS_TRANS }
    expect(rejection(negotiate(zeroCap))).toEqual({ code: 2, subcode: 2, data: [0, 0, 0, 0] })
  })

  test("a 4-octet peer AS arrives as AS_TRANS plus the capability (RFC 6793)", () => {
    const o = peerOpen({ asn: 4200000001, capabilities: [as4(4200000001)] })
    expect(o.myAs).toBe(Open.AS_TRANS)
    const n = ok(negotiate(o, config({ peerAs: 4200000001 })))
    expect(n.peerAs).toBe(4200000001)
    expect(n.asn4).toBe(true)
    expect(n.rx.peerAs).toBe(4200000001)
  })

  test("AS_TRANS without the 4-octet capability is a Bad Peer AS", () => {
    const o = { ...peerOpen({ capabilities: [] }), myAs: Open.AS_TRANS }
    expect(rejection(negotiate(o, config({ peerAs: 4200000001 })))).toEqual({ code: 2, subcode: 2, data: [0x5b, 0xa0] })
  })

  test("My AS that disagrees with the 4-octet capability is a Bad Peer AS", () => {
    const small = { ...peerOpen({ capabilities: [as4(PEER_AS)] }), myAs: 65100 }
    expect(rejection(negotiate(small)).subcode).toBe(2)
    const big = { ...peerOpen({ capabilities: [as4(4200000001)] }), myAs: 65100 }
    expect(rejection(negotiate(big, config({ peerAs: 4200000001 }))).subcode).toBe(2)
  })

  test("our own 4-octet AS goes out as AS_TRANS with the real AS in the capability", () => {
    const open = Negotiation.localOpen(config({ localAs: 4200000002 }))
    expect(open.myAs).toBe(Open.AS_TRANS)
    expect(Open.asn(open)).toBe(4200000002)
  })
})

describe("BGP identifier", () => {
  test("identifier 0 is rejected with 2/3", () => {
    expect(rejection(negotiate(peerOpen({ bgpId: 0 })))).toEqual({ code: 2, subcode: 3, data: [0, 0, 0, 0] })
  })

  test("an iBGP peer with our identifier is rejected with 2/3 (RFC 6286 §2.2)", () => {
    const ibgp = config({ peerAs: LOCAL_AS })
    expect(rejection(negotiate(peerOpen({ asn: LOCAL_AS, bgpId: LOCAL_ID }), ibgp))).toEqual({ code: 2, subcode: 3, data: [10, 0, 0, 1] })
  })

  test("an eBGP peer may share our identifier (RFC 6286)", () => {
    expect(ok(negotiate(peerOpen({ bgpId: LOCAL_ID }))).peerId).toBe(LOCAL_ID)
  })

  test("identifiers above 2^31 are kept unsigned", () => {
    expect(ok(negotiate(peerOpen({ bgpId: 0xc0000201 }))).peerId).toBe(0xc0000201)
  })

  test("AS is checked before the hold time, the hold time before the identifier (RFC 4271 §6.2 order)", () => {
    expect(rejection(negotiate(peerOpen({ asn: 1, holdTime: 1, bgpId: 0 }))).subcode).toBe(2)
    expect(rejection(negotiate(peerOpen({ holdTime: 1, bgpId: 0 }))).subcode).toBe(6)
  })
})

describe("capabilities", () => {
  test("families are the intersection of both sides' multiprotocol capabilities", () => {
    const c = config({ capabilities: { families: [v4u, v6u] } })
    expect([...ok(negotiate(peerOpen({ capabilities: [as4(), mp(2), mp(1, 2)] }), c)).families]).toEqual([v6u])
    expect([...ok(negotiate(peerOpen({ capabilities: [as4(), mp(1), mp(2)] }), c)).families].sort()).toEqual([v4u, v6u])
  })

  test("IPv4 unicast is implied for a side that sends no multiprotocol capability (RFC 4760 §8)", () => {
    const c = config({ capabilities: { families: [v4u, v6u] } })
    expect([...ok(negotiate(peerOpen({ capabilities: [as4()] }), c)).families]).toEqual([v4u])
    expect([...ok(negotiate(peerOpen({ capabilities: [as4()] }), config({ capabilities: { families: [] } }))).families]).toEqual([v4u])
    expect([...ok(negotiate(peerOpen({ capabilities: [as4()] }), config({ capabilities: { families: [v6u] } }))).families]).toEqual([])
  })

  test("4-octet AS is on only when both announce it", () => {
    expect(ok(negotiate(peerOpen())).asn4).toBe(true)
    const n = ok(negotiate(peerOpen({ capabilities: [mp(1)] })))
    expect([n.asn4, n.rx.asn4, n.tx.asn4]).toEqual([false, false, false])
    expect(ok(negotiate(peerOpen(), config({ capabilities: { asn4: false } }))).asn4).toBe(false)
  })

  test("route refresh and enhanced route refresh need both sides", () => {
    const both = ok(negotiate(peerOpen({ capabilities: [as4(), { _tag: "RouteRefresh" }, { _tag: "EnhancedRouteRefresh" }] })))
    expect([both.routeRefresh, both.enhancedRouteRefresh]).toEqual([true, true])
    const none = ok(negotiate(peerOpen({ capabilities: [as4()] })))
    expect([none.routeRefresh, none.enhancedRouteRefresh]).toEqual([false, false])
    const off = ok(negotiate(peerOpen({ capabilities: [{ _tag: "RouteRefresh" }] }), config({ capabilities: { routeRefresh: false } })))
    expect(off.routeRefresh).toBe(false)
  })

  test("extended message needs both sides and sets both contexts (RFC 8654)", () => {
    const both = ok(negotiate(peerOpen({ capabilities: [as4(), { _tag: "ExtendedMessage" }] })))
    expect([both.extendedMessage, both.rx.extendedMessage, both.tx.extendedMessage]).toEqual([true, true, true])
    expect(ok(negotiate(peerOpen())).rx.extendedMessage).toBe(false)
  })

  test("graceful restart keeps both sides' flags, restart time and per-family forwarding state", () => {
    const c = config({
      capabilities: {
        families: [v4u, v6u],
        gracefulRestart: { restartTime: 120, restarting: true, notification: true, families: [{ family: v4u, forwarding: true }] }
      }
    })
    const o = peerOpen({
      capabilities: [
        as4(),
        mp(1),
        mp(2),
        {
          _tag: "GracefulRestart",
          flags: Capability.RestartFlag.Notification,
          restartTime: 90,
          families: [
            { afi: 1, safi: 1, flags: Capability.ForwardingFlag },
            { afi: 2, safi: 1, flags: 0 },
            { afi: 1, safi: 2, flags: 0 }
          ]
        }
      ]
    })
    const gr = ok(negotiate(o, c)).gracefulRestart
    expect(gr?.local).toEqual({ restarting: true, notification: true, restartTime: 120, families: new Map([[v4u, true]]) })
    expect(gr?.peer).toEqual({
      restarting: false,
      notification: true,
      restartTime: 90,
      families: new Map([
        [v4u, true],
        [v6u, false],
        [Family.key(1, 2), false]
      ])
    })
    expect(gr?.notification).toBe(true)
    expect([...(gr?.families ?? [])].sort()).toEqual([v4u, v6u])
  })

  test("the RFC 8538 N bit counts only when both send it", () => {
    const c = config({ capabilities: { gracefulRestart: { restartTime: 120, restarting: false, notification: false } } })
    const o = peerOpen({ capabilities: [as4(), { _tag: "GracefulRestart", flags: Capability.RestartFlag.Notification, restartTime: 90, families: [] }] })
    expect(ok(negotiate(o, c)).gracefulRestart?.notification).toBe(false)
  })

  test("the peer's graceful restart is kept even when we do not announce ours", () => {
    const o = peerOpen({ capabilities: [as4(), { _tag: "GracefulRestart", flags: Capability.RestartFlag.Restart, restartTime: 60, families: [] }] })
    const n = ok(negotiate(o))
    expect(n.gracefulRestart).toBeUndefined()
    expect(n.peerGracefulRestart?.restarting).toBe(true)
  })

  test("long-lived graceful restart needs both sides and graceful restart", () => {
    const llgr = { families: [{ family: v4u, staleTime: 3600, forwarding: false }] }
    const gr = { restartTime: 120, restarting: false, notification: false }
    const peerLl: Capability.Capability = { _tag: "LongLivedGracefulRestart", families: [{ afi: 1, safi: 1, flags: 0x80, staleTime: 7200 }] }
    const peerGr: Capability.Capability = { _tag: "GracefulRestart", flags: 0, restartTime: 90, families: [{ afi: 1, safi: 1, flags: 0 }] }
    const n = ok(negotiate(peerOpen({ capabilities: [as4(), peerGr, peerLl] }), config({ capabilities: { gracefulRestart: gr, longLivedGracefulRestart: llgr } })))
    expect(n.longLivedGracefulRestart?.peer.get(v4u)).toEqual({ staleTime: 7200, forwarding: true })
    expect([...(n.longLivedGracefulRestart?.families ?? [])]).toEqual([v4u])
    const withoutGr = ok(negotiate(peerOpen({ capabilities: [as4(), peerLl] }), config({ capabilities: { gracefulRestart: gr, longLivedGracefulRestart: llgr } })))
    expect(withoutGr.longLivedGracefulRestart).toBeUndefined()
  })

  describe("ADD-PATH (RFC 7911 §4)", () => {
    const addPath = (mode: number, afi = 1): Capability.Capability => ({ _tag: "AddPath", families: [{ afi, safi: 1, mode }] })
    const withLocal = (mode: "receive" | "send" | "both") => config({ capabilities: { addPath: [{ family: v4u, mode }] } })

    test("we receive path ids where we said receive and the peer said send", () => {
      const n = ok(negotiate(peerOpen({ capabilities: [as4(), addPath(2)] }), withLocal("receive")))
      expect([...n.addPath.receive, ...n.rx.addPath]).toEqual([v4u, v4u])
      expect([...n.addPath.send, ...n.tx.addPath]).toEqual([])
    })

    test("we send path ids where we said send and the peer said receive", () => {
      const n = ok(negotiate(peerOpen({ capabilities: [as4(), addPath(1)] }), withLocal("both")))
      expect([...n.tx.addPath]).toEqual([v4u])
      expect([...n.rx.addPath]).toEqual([])
    })

    test("both sides saying both gives path ids in both directions", () => {
      const n = ok(negotiate(peerOpen({ capabilities: [as4(), addPath(3)] }), withLocal("both")))
      expect([[...n.rx.addPath], [...n.tx.addPath]]).toEqual([[v4u], [v4u]])
    })

    test("matching directions that do not complement each other give nothing", () => {
      const n = ok(negotiate(peerOpen({ capabilities: [as4(), addPath(1)] }), withLocal("receive")))
      expect([[...n.rx.addPath], [...n.tx.addPath]]).toEqual([[], []])
    })

    test("invalid Send/Receive values and families not negotiated are ignored", () => {
      expect([...ok(negotiate(peerOpen({ capabilities: [as4(), addPath(7)] }), withLocal("both"))).rx.addPath]).toEqual([])
      const v6 = config({ capabilities: { families: [v4u, v6u], addPath: [{ family: v6u, mode: "both" }] } })
      expect([...ok(negotiate(peerOpen({ capabilities: [as4(), addPath(3, 2)] }), v6)).rx.addPath]).toEqual([])
    })
  })

  test("extended next hop: we accept where we announced it and send only where the peer did too (RFC 8950)", () => {
    const c = config({ capabilities: { extendedNextHop: [v4u] } })
    const peerEnhe: Capability.Capability = { _tag: "ExtendedNextHop", entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] }
    const both = ok(negotiate(peerOpen({ capabilities: [as4(), peerEnhe] }), c))
    expect([[...both.rx.extendedNextHop], [...both.tx.extendedNextHop]]).toEqual([[v4u], [v4u]])
    const onlyUs = ok(negotiate(peerOpen(), c))
    expect([[...onlyUs.rx.extendedNextHop], [...onlyUs.tx.extendedNextHop]]).toEqual([[v4u], []])
    expect([...ok(negotiate(peerOpen({ capabilities: [as4(), peerEnhe] }))).tx.extendedNextHop]).toEqual([])
  })

  test("the peer's FQDN is kept for information", () => {
    const n = ok(negotiate(peerOpen({ capabilities: [as4(), { _tag: "Fqdn", hostname: "tor1", domain: "dc.example" }] })))
    expect(n.fqdn).toEqual({ hostname: "tor1", domain: "dc.example" })
  })

  test("eBGP sets the peer AS for first-AS checks on receive; iBGP and enforceFirstAs off do not", () => {
    const e = ok(negotiate(peerOpen()))
    expect([e.ebgp, e.rx.ebgp, e.rx.peerAs, e.tx.peerAs]).toEqual([true, true, PEER_AS, undefined])
    const i = ok(negotiate(peerOpen({ asn: LOCAL_AS }), config({ peerAs: LOCAL_AS })))
    expect([i.ebgp, i.rx.ebgp, i.rx.peerAs]).toEqual([false, false, undefined])
    expect(ok(negotiate(peerOpen(), config({ enforceFirstAs: false }))).rx.peerAs).toBeUndefined()
  })

  test("the negotiated value keeps both OPENs and the identities", () => {
    const o = peerOpen()
    const n = ok(negotiate(o))
    expect(n.peerOpen).toBe(o)
    expect([n.localAs, n.localId, n.peerId]).toEqual([LOCAL_AS, LOCAL_ID, PEER_ID])
    expect(n.localOpen.holdTime).toBe(90)
  })
})

describe("our OPEN", () => {
  test("every configured capability survives an encode/decode round trip", () => {
    const c = config({
      capabilities: {
        families: [v4u, v6u],
        gracefulRestart: { restartTime: 120, restarting: false, notification: true },
        longLivedGracefulRestart: { families: [{ family: v6u, staleTime: 86400, forwarding: true }] },
        addPath: [
          { family: v4u, mode: "receive" },
          { family: v6u, mode: "both" }
        ],
        extendedNextHop: [v4u],
        fqdn: { hostname: "node-1", domain: "cluster.local" }
      }
    })
    const open = Negotiation.localOpen(c)
    const decoded = Message.decode(Message.encode(open, Context.defaults), Context.defaults)
    expect(decoded).toEqual(open)
    expect(open.capabilities.map((cap) => cap._tag)).toEqual([
      "Multiprotocol",
      "Multiprotocol",
      "RouteRefresh",
      "EnhancedRouteRefresh",
      "FourOctetAs",
      "GracefulRestart",
      "LongLivedGracefulRestart",
      "AddPath",
      "ExtendedNextHop",
      "ExtendedMessage",
      "Fqdn"
    ])
    const gr = Open.capability(open, "GracefulRestart")
    expect(gr).toEqual({
      _tag: "GracefulRestart",
      flags: Capability.RestartFlag.Notification,
      restartTime: 120,
      families: [
        { afi: 1, safi: 1, flags: 0 },
        { afi: 2, safi: 1, flags: 0 }
      ]
    })
  })

  test("negotiating our own OPEN against itself (as an iBGP mirror with another id) agrees on everything we offer", () => {
    const c = config({ peerAs: LOCAL_AS, capabilities: { families: [v4u, v6u], addPath: [{ family: v6u, mode: "both" }], extendedNextHop: [v4u] } })
    const mirror = { ...Negotiation.localOpen(c), bgpId: PEER_ID }
    const n = ok(Negotiation.negotiate(c, mirror))
    expect([...n.families].sort()).toEqual([v4u, v6u])
    expect([n.asn4, n.routeRefresh, n.enhancedRouteRefresh, n.extendedMessage]).toEqual([true, true, true, true])
    expect([[...n.rx.addPath], [...n.tx.addPath]]).toEqual([[v6u], [v6u]])
    expect([...n.tx.extendedNextHop]).toEqual([v4u])
  })
})
