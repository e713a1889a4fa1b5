import { describe, expect, test } from "bun:test"
import { Context, Pack, Message, Text, Update } from "@kbgp/wire"
import { AttrSet, Core, Diff, Peer, Policy } from "../src/index.js"
import { LOCAL_AS, asns, attrs, ip, key, lines, pfx, pfx6, sentTo, setup, v4, v6 } from "./support/Fixtures.js"

describe("diffs", () => {
  test("a new route is added to Loc-RIB and announced to every other up peer", () => {
    const { core, a } = setup()
    const d = core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    expect(lines(d)).toEqual([
      "ipv4-unicast + 192.0.2.0/24",
      "peer 2 ipv4-unicast > 192.0.2.0/24",
      "peer 3 ipv4-unicast > 192.0.2.0/24",
      "peer 4 ipv4-unicast > 192.0.2.0/24"
    ])
    expect(core.best(v4, key("192.0.2.0/24"))?.peer).toBe(a)
  })

  test("re-announcing the same route changes nothing and returns an empty diff", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24", "198.51.100.0/24"), attrs({ med: 5 }))
    const again = core.announce(a, v4, pfx("198.51.100.0/24", "192.0.2.0/24"), attrs({ med: 5 }))
    expect(Diff.isEmpty(again)).toBe(true)
  })

  test("new attributes for a route change it in Loc-RIB and re-announce it", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    const d = core.announce(a, v4, pfx("192.0.2.0/24"), attrs({}, [65001, 64999]))
    expect(lines(d)).toEqual([
      "ipv4-unicast ~ 192.0.2.0/24",
      "peer 2 ipv4-unicast > 192.0.2.0/24",
      "peer 3 ipv4-unicast > 192.0.2.0/24",
      "peer 4 ipv4-unicast > 192.0.2.0/24"
    ])
  })

  test("a change that export removes anyway (an eBGP MED) changes Loc-RIB but sends nothing to eBGP peers", () => {
    const { core, a, i } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ med: 1 }))
    const d = core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ med: 2 }))
    expect(lines(d)).toEqual(["ipv4-unicast ~ 192.0.2.0/24", `peer ${i} ipv4-unicast > 192.0.2.0/24`])
  })

  test("withdrawing removes the route and withdraws it; withdrawing an unknown route is an empty diff", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    expect(lines(core.withdraw(a, v4, pfx("192.0.2.0/24")))).toEqual([
      "ipv4-unicast - 192.0.2.0/24",
      "peer 2 ipv4-unicast < 192.0.2.0/24",
      "peer 3 ipv4-unicast < 192.0.2.0/24",
      "peer 4 ipv4-unicast < 192.0.2.0/24"
    ])
    expect(Diff.isEmpty(core.withdraw(a, v4, pfx("192.0.2.0/24", "10.0.0.0/8")))).toBe(true)
    expect(core.memory().prefixes).toBe(0)
  })

  test("a better route from another peer changes the best; the new source does not get its own route back", () => {
    const { core, a, b, c, i } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs({}, [65001, 1, 2]))
    const d = core.announce(b, v4, pfx("192.0.2.0/24"), attrs({ nextHop: ip("10.0.0.2") }, [65002]))
    expect(core.best(v4, key("192.0.2.0/24"))?.peer).toBe(b)
    // a now gets b's route; b's own route is withdrawn from b (it had a's before); c and i see the new path.
    expect(lines(d)).toEqual([
      "ipv4-unicast ~ 192.0.2.0/24",
      `peer ${a} ipv4-unicast > 192.0.2.0/24`,
      `peer ${b} ipv4-unicast < 192.0.2.0/24`,
      `peer ${c} ipv4-unicast > 192.0.2.0/24`,
      `peer ${i} ipv4-unicast > 192.0.2.0/24`
    ])
  })

  test("a batch coalesces: announce then withdraw is nothing, two announcements are one", () => {
    const { core, a } = setup()
    expect(
      Diff.isEmpty(
        core.batch(() => {
          core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
          core.withdraw(a, v4, pfx("192.0.2.0/24"))
        })
      )
    ).toBe(true)
    const d = core.batch(() => {
      expect(Diff.isEmpty(core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ med: 1 })))).toBe(true)
      core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ med: 2 }))
    })
    expect(Diff.summary(d)).toEqual({ added: 1, changed: 0, removed: 0, announced: 3, withdrawn: 0 })
    expect(d.locRib[0]!.added[0]!.attributes.attributes.med).toBe(2)
  })

  test("diff groups share attribute sets: one group per distinct set", () => {
    const { core, a } = setup()
    const d = core.batch(() => {
      core.announce(a, v4, pfx("192.0.2.0/24", "192.0.3.0/24"), attrs({ med: 1 }))
      core.announce(a, v4, pfx("198.51.100.0/24"), attrs({ med: 2 }))
    })
    expect(d.locRib[0]!.added.map((g) => g.prefixes.count).sort()).toEqual([1, 2])
  })
})

describe("export rules", () => {
  test("to an eBGP peer: local AS prepended, next hop self, no LOCAL_PREF, no MED learned from another AS (RFC 4271 §5.1)", () => {
    const { core, a, c } = setup()
    const d = core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ med: 7, localPref: 300, communities: Uint32Array.of(1) }))
    const sent = sentTo(d, c)!
    expect(asns(sent)).toEqual([LOCAL_AS, 65001])
    expect(Text.formatAddress(sent.nextHop!)).toBe("10.0.0.254")
    expect(sent.localPref).toBeUndefined()
    expect(sent.med).toBeUndefined()
    expect(Array.from(sent.communities!)).toEqual([1])
  })

  test("a MED learned over iBGP is not sent to eBGP; export policy's MED and a local route's MED are (RFC 4271 §5.1.4)", () => {
    const { core, i, c } = setup()
    const d = core.announce(i, v4, pfx("192.0.2.0/24"), attrs({ med: 50, localPref: 100 }, [65200]))
    expect(sentTo(d, c)?.med).toBeUndefined()
    expect(asns(sentTo(d, c))).toEqual([LOCAL_AS, 65200])
    const local = core.announce(Peer.LOCAL, v4, pfx("198.51.100.0/24"), { origin: 0, med: 9 })
    expect(sentTo(local, c)?.med).toBe(9)
    const setByPolicy = core.configurePeer(c, {
      ...core.peerConfig(c)!,
      exportPolicy: Policy.make([Policy.rule({ local: false }, Policy.setMed(20), Policy.accept)], "accept")
    })
    expect(core.advertised(c, v4, key("192.0.2.0/24"))?.attributes.med).toBe(20)
    expect(core.advertised(c, v4, key("198.51.100.0/24"))?.attributes.med).toBe(9)
    expect(Diff.isEmpty(setByPolicy)).toBe(false)
  })

  test("to an iBGP peer: AS path and next hop unchanged, MED kept, LOCAL_PREF set (RFC 4271 §5.1.5)", () => {
    const { core, a, i } = setup()
    const sent = sentTo(core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ med: 7 })), i)!
    expect(asns(sent)).toEqual([65001])
    expect(Text.formatAddress(sent.nextHop!)).toBe("10.0.0.1")
    expect(sent.med).toBe(7)
    expect(sent.localPref).toBe(100)
  })

  test("a route learned over iBGP is not sent to another iBGP peer (RFC 4271 §9.2)", () => {
    const { core, i, c } = setup()
    const i2 = core.addPeer({ address: ip("10.0.0.5"), asn: LOCAL_AS, nextHopSelf: { ipv4: ip("10.0.0.254") } })
    core.peerUp(i2, { routerId: 5, families: [v4] })
    const d = core.announce(i, v4, pfx("192.0.2.0/24"), attrs({ localPref: 100 }, [65009]))
    expect(d.adjRibOut.map((x) => x.peer).sort()).toEqual([1, 2, c].sort())
  })

  test("NO_EXPORT stays inside the AS, NO_ADVERTISE goes nowhere (RFC 1997); local routes carry them out", () => {
    const { core, a, b, c, i } = setup()
    const noExport = core.announce(a, v4, pfx("192.0.2.0/24"), attrs({ communities: Uint32Array.of(AttrSet.Community.NoExport) }))
    expect(noExport.adjRibOut.map((x) => x.peer)).toEqual([i])
    const noAdv = core.announce(a, v4, pfx("192.0.3.0/24"), attrs({ communities: Uint32Array.of(AttrSet.Community.NoAdvertise) }))
    expect(noAdv.adjRibOut).toEqual([])
    const local = core.announce(Peer.LOCAL, v4, pfx("203.0.113.0/24"), attrs({ communities: Uint32Array.of(AttrSet.Community.NoExport) }, []))
    expect(local.adjRibOut.map((x) => x.peer)).toEqual([a, b, c, i])
  })

  test("local routes: next hop self when they name none, their own next hop when they do", () => {
    const { core, c } = setup()
    const noHop = core.announce(Peer.LOCAL, v4, pfx("203.0.113.0/24"), { origin: 0, asPath: [] })
    expect(Text.formatAddress(sentTo(noHop, c)!.nextHop!)).toBe("10.0.0.254")
    expect(asns(sentTo(noHop, c))).toEqual([LOCAL_AS])
    const own = core.announce(Peer.LOCAL, v4, pfx("203.0.113.1/32"), { origin: 0, asPath: [], nextHop: ip("192.0.2.77") })
    expect(Text.formatAddress(sentTo(own, c)!.nextHop!)).toBe("192.0.2.77")
  })

  test("a route is not sent when the peer has no next-hop-self address for the family", () => {
    const { core } = setup()
    const bare = core.addPeer({ address: ip("10.0.0.9"), asn: 65009 })
    core.peerUp(bare, { routerId: 9, families: [v4] })
    const d = core.announce(Peer.LOCAL, v4, pfx("203.0.113.0/24"), { origin: 0, asPath: [] })
    expect(d.adjRibOut.some((x) => x.peer === bare)).toBe(false)
  })

  test("export policy: reject by prefix, prepend and communities, explicit next hop", () => {
    const { core, a } = setup()
    const x = core.addPeer({
      address: ip("10.0.0.8"),
      asn: 65008,
      nextHopSelf: { ipv4: ip("10.0.0.254") },
      exportPolicy: Policy.make(
        [
          Policy.rule({ prefixes: [Policy.prefix("192.0.2.0/24", { le: 32 })] }, Policy.reject),
          Policy.rule({}, Policy.prependAsPath(2), Policy.addCommunities(0xfde80001), Policy.setNextHop(ip("10.9.9.9")), Policy.accept)
        ],
        "reject"
      )
    })
    core.peerUp(x, { routerId: 8, families: [v4] })
    const d = core.announce(a, v4, pfx("192.0.2.128/25", "198.51.100.0/24"), attrs())
    const out = d.adjRibOut.find((o) => o.peer === x)!
    expect(Text.formatPrefixes(out.announced[0]!.prefixes)).toEqual(["198.51.100.0/24"])
    const sent = out.announced[0]!.attributes.attributes
    // Policy prepends first; the eBGP rule then puts the local AS in front.
    expect(asns(sent)).toEqual([LOCAL_AS, LOCAL_AS, LOCAL_AS, 65001])
    expect(Text.formatAddress(sent.nextHop!)).toBe("10.9.9.9")
    expect(Array.from(sent.communities!)).toEqual([0xfde80001])
  })

  test("IPv6 routes carry the IPv6 next-hop-self", () => {
    const { core, a, c } = setup()
    const d = core.announce(a, v6, pfx6("2001:db8:1::/48"), attrs({ nextHop: ip("2001:db8::1") }))
    expect(Text.formatAddress(sentTo(d, c, v6)!.nextHop!)).toBe("2001:db8::fe")
  })

  test("route refresh: the Adj-RIB-Out iterator gives back exactly what was announced, grouped by attribute set", () => {
    const { core, a, c } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24", "192.0.3.0/24"), attrs())
    core.announce(a, v4, pfx("198.51.100.0/24"), attrs({}, [65001, 7]))
    const groups = [...core.adjRibOut(c, v4)]
    expect(groups.length).toBe(2)
    expect(groups.flatMap((g) => Text.formatPrefixes(g.prefixes)).sort()).toEqual(["192.0.2.0/24", "192.0.3.0/24", "198.51.100.0/24"])
    const ctx = Context.make({ asn4: true, ebgp: true })
    const msgs = groups.flatMap((g) => Pack.packUpdates(g.attributes.attributes, { afi: 1, safi: 1, prefixes: g.prefixes }, ctx))
    expect(msgs.length).toBe(2)
    expect(core.advertised(c, v4, key("192.0.3.0/24"))).toBe(groups.find((g) => g.prefixes.count === 2)!.attributes)
    expect(core.stats(c).families[0]!.advertised).toBe(3)
  })
})

describe("import", () => {
  test("by default routes are kept in Adj-RIB-In and counted but not installed", () => {
    const { core } = setup()
    const learner = core.addPeer({ address: ip("10.0.0.7"), asn: 65007 })
    const d = core.announce(learner, v4, pfx("192.0.2.0/24", "192.0.3.0/24"), attrs({}, [65007]))
    expect(Diff.isEmpty(d)).toBe(true)
    expect(core.locRibSize(v4)).toBe(0)
    expect(core.stats(learner).families[0]).toMatchObject({ received: 2, accepted: 2, best: 0 })
    expect([...core.adjRibIn(learner, v4)].length).toBe(2)
    // Switching installation on takes effect without a re-announcement.
    const on = core.configurePeer(learner, { address: ip("10.0.0.7"), asn: 65007, install: true })
    expect(Diff.summary(on).added).toBe(2)
  })

  test("import policy: rejected routes stay in pre-policy Adj-RIB-In only; modifications show in post-policy", () => {
    const { core } = setup()
    const p = core.addPeer({
      address: ip("10.0.0.7"),
      asn: 65007,
      install: true,
      importPolicy: Policy.make(
        [
          Policy.rule({ prefixes: [Policy.prefix("10.0.0.0/8", { le: 32 })] }, Policy.reject),
          Policy.rule({ communities: [0xfde80064] }, Policy.setLocalPref(200))
        ],
        "accept"
      )
    })
    core.announce(p, v4, pfx("10.1.0.0/16", "192.0.2.0/24"), attrs({ communities: Uint32Array.of(0xfde80064) }, [65007]))
    expect([...core.adjRibIn(p, v4, "pre")].map((r) => Text.formatPrefix({ afi: 1, ...r.prefix })).sort()).toEqual(["10.1.0.0/16", "192.0.2.0/24"])
    const post = [...core.adjRibIn(p, v4, "post")]
    expect(post.map((r) => r.attributes.attributes.localPref)).toEqual([200])
    expect(core.best(v4, key("192.0.2.0/24"))!.attributes.attributes.localPref).toBe(200)
    expect(core.stats(p).families[0]).toMatchObject({ received: 2, accepted: 1, best: 1 })
  })

  test("an import policy changed inside a batch is re-run, not served from the old policy's cached results", () => {
    // No peer is up, so nothing was ever exported: the import cache must be forgotten on its own account.
    const core = Core.make({ localAs: LOCAL_AS, routerId: 1 })
    const config: Peer.PeerConfig = { address: ip("10.0.0.7"), asn: 65007, install: true }
    const p = core.addPeer({ ...config, importPolicy: Policy.make([Policy.rule({}, Policy.setLocalPref(200))], "accept") })
    core.batch(() => {
      core.announce(p, v4, pfx("192.0.2.0/24"), attrs({}, [65007]))
      core.configurePeer(p, { ...config, importPolicy: Policy.make([Policy.rule({}, Policy.setLocalPref(300))], "accept") })
    })
    expect(core.best(v4, key("192.0.2.0/24"))!.attributes.attributes.localPref).toBe(300)
  })

  test("import and export caches stay exact when a rule matches on what an earlier rule changed", () => {
    const { core, c } = setup()
    const tag = 0xfde80001
    const p = core.addPeer({
      address: ip("10.0.0.7"),
      asn: 65007,
      install: true,
      importPolicy: Policy.make(
        [Policy.rule({ prefixes: [Policy.prefix("10.0.0.0/8", { le: 32 })] }, Policy.addCommunities(tag)), Policy.rule({ communities: [tag] }, Policy.setLocalPref(300))],
        "accept"
      )
    })
    core.configurePeer(c, {
      ...core.peerConfig(c)!,
      exportPolicy: Policy.make(
        [Policy.rule({ prefixes: [Policy.prefix("10.2.0.0/16")] }, Policy.removeCommunities(tag)), Policy.rule({ communities: [tag] }, Policy.reject)],
        "accept"
      )
    })
    // One attribute set for all three prefixes: only the ones in 10/8 are tagged, and only 10.2/16 is untagged again.
    core.announce(p, v4, pfx("10.1.0.0/16", "10.2.0.0/16", "192.0.2.0/24"), attrs({}, [65007]))
    expect(core.best(v4, key("10.1.0.0/16"))!.attributes.attributes.localPref).toBe(300)
    expect(core.best(v4, key("10.2.0.0/16"))!.attributes.attributes.localPref).toBe(300)
    expect(core.best(v4, key("192.0.2.0/24"))!.attributes.attributes.localPref).toBeUndefined()
    expect(core.advertised(c, v4, key("10.1.0.0/16"))).toBeUndefined()
    expect(core.advertised(c, v4, key("10.2.0.0/16"))?.attributes.communities).toBeUndefined()
    expect(core.advertised(c, v4, key("192.0.2.0/24"))).toBeDefined()
  })

  test("an import policy that does not read the prefix is traced once per attribute set, not per prefix, and leaks nothing", () => {
    const { core } = setup()
    let reads = 0
    const match: Policy.Match = {
      get communities() {
        reads++
        return [7]
      }
    }
    const p = core.addPeer({ address: ip("10.0.0.7"), asn: 65007, install: true, importPolicy: Policy.make([Policy.rule(match, Policy.setLocalPref(300))], "accept") })
    const sets = core.memory().attributeSets
    const many = Array.from({ length: 200 }, (_, k) => `10.${k}.0.0/16`)
    reads = 0
    core.batch(() => {
      core.announce(p, v4, pfx(...many.slice(0, 100)), attrs({ communities: Uint32Array.of(7) }, [65007]))
      core.announce(p, v4, pfx(...many.slice(100)), attrs({}, [65007]))
    })
    expect(reads).toBeLessThan(10)
    expect(core.best(v4, key("10.1.0.0/16"))!.attributes.attributes.localPref).toBe(300)
    expect(core.best(v4, key("10.101.0.0/16"))!.attributes.attributes.localPref).toBeUndefined()
    core.withdrawAll(p)
    expect(core.memory()).toMatchObject({ attributeSets: sets, paths: 0 })
  })

  test("changing the import policy re-runs it over pre-policy Adj-RIB-In (no route refresh needed)", () => {
    const { core, c } = setup()
    const config: Peer.PeerConfig = { address: ip("10.0.0.7"), asn: 65007, install: true }
    const p = core.addPeer(config)
    core.announce(p, v4, pfx("192.0.2.0/24"), attrs({}, [65007]))
    const d = core.configurePeer(p, { ...config, importPolicy: Policy.rejectAll })
    expect(lines(d)).toContain("ipv4-unicast - 192.0.2.0/24")
    expect(lines(d)).toContain(`peer ${c} ipv4-unicast < 192.0.2.0/24`)
    expect(core.stats(p).families[0]).toMatchObject({ received: 1, accepted: 0 })
  })

  test("applyUpdate: IPv4 NLRI with withdrawals, and IPv6 in MP_REACH with its next hop", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("203.0.113.0/24"), attrs())
    const u = Update.make({
      withdrawn: pfx("203.0.113.0/24"),
      attributes: attrs(),
      nlri: pfx("192.0.2.0/24"),
      mpReach: { afi: 2, safi: 1, nextHop: ip("2001:db8::1"), nlri: pfx6("2001:db8:1::/48") }
    })
    const d = core.applyUpdate(a, u)
    expect(lines(d).filter((l) => !l.startsWith("peer"))).toEqual([
      "ipv4-unicast + 192.0.2.0/24",
      "ipv4-unicast - 203.0.113.0/24",
      "ipv6-unicast + 2001:db8:1::/48"
    ])
    expect(Text.formatAddress(core.best(v6, key("2001:db8:1::/48"))!.attributes.attributes.nextHop!)).toBe("2001:db8::1")
  })

  test("applyUpdate: a treat-as-withdraw UPDATE withdraws its NLRI (RFC 7606 §2)", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    const u: Message.Update = { ...Update.make({ attributes: attrs(), nlri: pfx("192.0.2.0/24") }), treatAsWithdraw: true }
    expect(lines(core.applyUpdate(a, u))).toContain("ipv4-unicast - 192.0.2.0/24")
  })

  test("applyUpdate: AS4_PATH is merged before the path is used (RFC 6793 §4.2.3)", () => {
    const { core, a } = setup()
    const u = Update.make({
      attributes: { ...attrs({}, [65001, 23456]), as4Path: [{ type: 2, asns: [4200000001] }] },
      nlri: pfx("192.0.2.0/24")
    })
    core.applyUpdate(a, u)
    const best = core.best(v4, key("192.0.2.0/24"))!
    expect(asns(best.attributes.attributes)).toEqual([65001, 4200000001])
    expect(best.attributes.attributes.as4Path).toBeUndefined()
  })

  test("applyUpdate round trip: what Pack encodes and Message decodes ends up in Loc-RIB", () => {
    const { core, a } = setup()
    const ctx = Context.make({ asn4: true, ebgp: true, peerAs: 65001 })
    const prefixes = pfx("192.0.2.0/24", "198.51.100.0/25", "203.0.113.7/32")
    for (const m of Pack.packUpdates(attrs(), { afi: 1, safi: 1, prefixes }, ctx)) {
      const u = Message.decode(m, ctx)
      if (u._tag !== "Update") throw new Error("not an UPDATE")
      core.applyUpdate(a, u)
    }
    expect(core.locRibSize(v4)).toBe(3)
  })
})

describe("ADD-PATH", () => {
  test("the path id is part of the Adj-RIB-In key: two paths of one prefix from one peer coexist", () => {
    const { core, a, c } = setup()
    const withIds = (id: number) => pfx(`192.0.2.0/24 (path ${id})`)
    core.announce(a, v4, withIds(1), attrs({}, [65001, 1, 2]))
    core.announce(a, v4, withIds(2), attrs({}, [65001]))
    expect(core.paths(v4, key("192.0.2.0/24")).map((r) => r.pathId)).toEqual([2, 1])
    expect(core.stats(a).families[0]!.received).toBe(2)
    // Withdrawing path 2 leaves path 1, which becomes best.
    const d = core.withdraw(a, v4, withIds(2))
    expect(core.best(v4, key("192.0.2.0/24"))!.pathId).toBe(1)
    expect(Diff.summary(d).changed).toBe(1)
    expect(asns(sentTo(d, c))).toEqual([LOCAL_AS, 65001, 1, 2])
  })
})

describe("graceful restart", () => {
  test("stale routes lose to fresh ones; a re-announcement makes a route fresh; sweep removes the rest", () => {
    const { core, a, b } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24", "198.51.100.0/24"), attrs())
    core.announce(b, v4, pfx("192.0.2.0/24"), attrs({ nextHop: ip("10.0.0.2") }, [65002, 1, 2, 3]))
    expect(core.best(v4, key("192.0.2.0/24"))!.peer).toBe(a)
    core.peerDown(a, { keepRoutes: true })
    const marked = core.markStale(a)
    // b's longer path now beats a's stale one.
    expect(core.best(v4, key("192.0.2.0/24"))!.peer).toBe(b)
    expect(lines(marked).filter((l) => !l.startsWith("peer"))).toEqual(["ipv4-unicast ~ 192.0.2.0/24"])
    expect(core.stats(a).families[0]!.stale).toBe(2)
    // a comes back and re-sends one of the two routes.
    core.peerUp(a, { routerId: 1, families: [v4] })
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    expect(core.best(v4, key("192.0.2.0/24"))!.peer).toBe(a)
    expect(core.stats(a).families[0]!.stale).toBe(1)
    const swept = core.sweepStale(a)
    expect(lines(swept).filter((l) => !l.startsWith("peer"))).toEqual(["ipv4-unicast - 198.51.100.0/24"])
    expect(core.stats(a).families[0]).toMatchObject({ received: 1, stale: 0 })
  })

  test("marking stale when nothing changes the best sends nothing", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    expect(Diff.isEmpty(core.markStale(a))).toBe(true)
    expect(core.best(v4, key("192.0.2.0/24"))!.stale).toBe(true)
  })

  test("LLGR: NO_LLGR routes go, the others become least preferred and reach only LLGR peers with LLGR_STALE (RFC 9494 §4.3)", () => {
    const { core, a, b, c, i } = setup()
    const l = core.addPeer({ address: ip("10.0.0.6"), asn: 65006, nextHopSelf: { ipv4: ip("10.0.0.254") } })
    core.peerUp(l, { routerId: 6, families: [v4], llgr: true })
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    core.announce(a, v4, pfx("198.51.100.0/24"), attrs({ communities: Uint32Array.of(AttrSet.Community.NoLlgr) }))
    core.peerDown(a, { keepRoutes: true })
    const d = core.markStale(a, { llgr: true })
    expect(lines(d)).toEqual([
      "ipv4-unicast - 198.51.100.0/24",
      "ipv4-unicast ~ 192.0.2.0/24",
      `peer ${b} ipv4-unicast < 192.0.2.0/24`,
      `peer ${b} ipv4-unicast < 198.51.100.0/24`,
      `peer ${c} ipv4-unicast < 192.0.2.0/24`,
      `peer ${c} ipv4-unicast < 198.51.100.0/24`,
      `peer ${i} ipv4-unicast < 192.0.2.0/24`,
      `peer ${i} ipv4-unicast < 198.51.100.0/24`,
      `peer ${l} ipv4-unicast < 198.51.100.0/24`,
      `peer ${l} ipv4-unicast > 192.0.2.0/24`
    ].sort())
    expect(AttrSet.hasCommunity(sentTo(d, l)!, AttrSet.Community.LlgrStale)).toBe(true)
    expect(core.best(v4, key("192.0.2.0/24"))!.llgrStale).toBe(true)
  })
})

describe("max-prefix", () => {
  const limitFor = (limit: number, more: Partial<Peer.MaxPrefix> = {}): Peer.PeerConfig => ({
    address: ip("10.0.0.7"),
    asn: 65007,
    maxPrefix: [{ family: v4, limit, ...more }]
  })

  test("a warning at 75% (once), then exceeded above the limit with a teardown request", () => {
    const { core } = setup()
    const p = core.addPeer(limitFor(4))
    expect(core.announce(p, v4, pfx("10.0.0.0/24", "10.0.1.0/24"), attrs()).alerts).toEqual([])
    const warn = core.announce(p, v4, pfx("10.0.2.0/24"), attrs()).alerts
    expect(warn).toMatchObject([{ level: "warning", count: 3, teardown: false, peer: p, family: v4 }])
    expect(core.announce(p, v4, pfx("10.0.3.0/24"), attrs()).alerts).toEqual([])
    const over = core.announce(p, v4, pfx("10.0.4.0/24"), attrs()).alerts
    expect(over).toMatchObject([{ level: "exceeded", count: 5, teardown: true }])
  })

  test("warningOnly never asks for a teardown; counting accepted routes ignores rejected ones", () => {
    const { core } = setup()
    const p = core.addPeer({ ...limitFor(1, { warningOnly: true, count: "accepted" }), importPolicy: Policy.make([Policy.rule({ prefixes: [Policy.prefix("10.0.0.0/24")] }, Policy.reject)], "accept") })
    expect(core.announce(p, v4, pfx("10.0.0.0/24", "10.0.1.0/24"), attrs()).alerts).toMatchObject([{ level: "warning", count: 1 }])
    expect(core.announce(p, v4, pfx("10.0.2.0/24"), attrs()).alerts).toMatchObject([{ level: "exceeded", count: 2, teardown: false }])
  })
})

describe("local routes and replace", () => {
  test("replace makes the local table exactly the desired routes, and is idempotent", () => {
    const { core, c } = setup()
    const desired: Array<Core.RouteInput> = [
      { attributes: { origin: 0, asPath: [] }, prefixes: pfx("203.0.113.10/32", "203.0.113.11/32") },
      { attributes: { origin: 0, asPath: [], communities: Uint32Array.of(1) }, prefixes: pfx("203.0.113.12/32") }
    ]
    expect(Diff.summary(core.replace(Peer.LOCAL, v4, desired)).added).toBe(3)
    expect(Diff.isEmpty(core.replace(Peer.LOCAL, v4, desired))).toBe(true)
    const d = core.replace(Peer.LOCAL, v4, [desired[0]!])
    expect(lines(d)).toEqual(["ipv4-unicast - 203.0.113.12/32", `peer ${c} ipv4-unicast < 203.0.113.12/32`, "peer 1 ipv4-unicast < 203.0.113.12/32", "peer 2 ipv4-unicast < 203.0.113.12/32", "peer 4 ipv4-unicast < 203.0.113.12/32"].sort())
  })

  test("a local route wins over a learned one by the normal rules, or first with preferLocal", () => {
    const normal = setup()
    normal.core.announce(normal.a, v4, pfx("192.0.2.0/24"), attrs({ localPref: 200 }))
    normal.core.announce(Peer.LOCAL, v4, pfx("192.0.2.0/24"), { origin: 0, asPath: [] })
    // The learned route has no LOCAL_PREF from eBGP in practice; here it carries 200 and wins.
    expect(normal.core.best(v4, key("192.0.2.0/24"))!.peer).toBe(normal.a)
    const pref = setup({ bestPath: { preferLocal: true } })
    pref.core.announce(pref.a, v4, pfx("192.0.2.0/24"), attrs({ localPref: 200 }))
    pref.core.announce(Peer.LOCAL, v4, pfx("192.0.2.0/24"), { origin: 0, asPath: [] })
    expect(pref.core.best(v4, key("192.0.2.0/24"))!.peer).toBe(Peer.LOCAL)
  })
})

describe("bad input", () => {
  test("a replace whose second block is of the wrong family throws and changes nothing; a retry announces", () => {
    const { core, c } = setup()
    const good = { attributes: { origin: 0 as const }, prefixes: pfx("192.0.2.0/24") }
    expect(() => core.replace(Peer.LOCAL, v4, [good, { attributes: { origin: 0 }, prefixes: pfx6("2001:db8::/32") }])).toThrow(RangeError)
    expect(core.advertised(c, v4, key("192.0.2.0/24"))).toBeUndefined()
    expect([...core.adjRibIn(Peer.LOCAL, v4)]).toEqual([])
    expect(lines(core.replace(Peer.LOCAL, v4, [good]))).toContain(`peer ${c} ipv4-unicast > 192.0.2.0/24`)
  })

  test("announce, withdraw and applyUpdate check every block first: a wrong family or a too long prefix changes nothing", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    // Read as IPv4, the IPv6 block's bytes would withdraw 32.1.13.184/32 and others: refused instead.
    expect(() => core.withdraw(a, v4, pfx6("2001:db8::/32"))).toThrow(RangeError)
    const long = { ...pfx("198.51.100.0/24"), lengths: Uint8Array.of(33) }
    expect(() => core.announce(a, v4, long, attrs())).toThrow(RangeError)
    // The IPv4 withdrawal would go first; the IPv6 MP_REACH_NLRI carrying an IPv4 block is refused before it.
    const update = Update.make({
      withdrawn: pfx("192.0.2.0/24"),
      mpReach: { afi: 2, safi: 1, nextHop: ip("2001:db8::1"), nlri: pfx("203.0.113.0/24") }
    })
    expect(() => core.applyUpdate(a, update)).toThrow(RangeError)
    expect(core.best(v4, key("192.0.2.0/24"))?.peer).toBe(a)
    expect(core.memory().prefixes).toBe(1)
  })

  test("a batch whose own code throws after changes leaves them for the next operation's diff, not lost", () => {
    const { core, c } = setup()
    expect(() =>
      core.batch(() => {
        core.announce(Peer.LOCAL, v4, pfx("192.0.2.0/24"), { origin: 0 })
        throw new Error("the caller's bug")
      })
    ).toThrow("the caller's bug")
    const next = core.announce(Peer.LOCAL, v4, pfx("198.51.100.0/24"), { origin: 0 })
    expect(lines(next)).toContain(`peer ${c} ipv4-unicast > 192.0.2.0/24`)
    expect(lines(next)).toContain(`peer ${c} ipv4-unicast > 198.51.100.0/24`)
    expect(core.advertised(c, v4, key("192.0.2.0/24"))).toBeDefined()
  })
})

describe("peer configuration", () => {
  test("addPeer and configurePeer refuse a policy evaluation would choke on, naming the field, and change nothing", () => {
    const { core, a, c } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    const bad = Policy.make([Policy.rule({}), Policy.rule({}, Policy.prependAsPath(2 ** 32))], "accept")
    expect(() => core.addPeer({ address: ip("10.0.0.9"), asn: 65009, importPolicy: bad })).toThrow("importPolicy.rules[1].actions[0].count")
    expect(() => core.configurePeer(c, { ...core.peerConfig(c)!, exportPolicy: bad })).toThrow("exportPolicy.rules[1].actions[0].count")
    expect(core.peers()).toEqual([0, 1, 2, 3, 4])
    expect(core.peerConfig(c)!.exportPolicy).toBeUndefined()
    expect(asns(core.advertised(c, v4, key("192.0.2.0/24"))?.attributes)).toEqual([LOCAL_AS, 65001])
  })
})

describe("peers", () => {
  test("peerUp announces the whole table to the new peer; peerDown without keepRoutes withdraws its routes", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24", "198.51.100.0/24"), attrs())
    const late = core.addPeer({ address: ip("10.0.0.9"), asn: 65009, nextHopSelf: { ipv4: ip("10.0.0.254") } })
    const up = core.peerUp(late, { routerId: 9, families: [v4] })
    expect(lines(up)).toEqual([`peer ${late} ipv4-unicast > 192.0.2.0/24`, `peer ${late} ipv4-unicast > 198.51.100.0/24`])
    const down = core.peerDown(a)
    expect(Diff.summary(down)).toMatchObject({ removed: 2 })
    expect(core.stats(a).families[0]!.received).toBe(0)
  })

  test("the peer's BGP identifier from its session takes part in best path", () => {
    const { core, a, b } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs({}, [65009]))
    core.announce(b, v4, pfx("192.0.2.0/24"), attrs({}, [65009]))
    expect(core.best(v4, key("192.0.2.0/24"))!.peer).toBe(a) // router id 1 < 2
    core.peerUp(a, { routerId: 99, families: [v4] })
    expect(core.best(v4, key("192.0.2.0/24"))!.peer).toBe(b)
  })

  test("removePeer withdraws its routes and forgets it", () => {
    const { core, a } = setup()
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    expect(Diff.summary(core.removePeer(a)).removed).toBe(1)
    expect(core.peers()).not.toContain(a)
    expect(() => core.announce(a, v4, pfx("192.0.2.0/24"), attrs())).toThrow(RangeError)
  })

  test("next-hop reachability: unreachable routes are not installed; refreshNextHops re-evaluates", () => {
    let reachable = false
    const { core, a } = setup({ bestPath: { nextHopReachable: () => reachable } })
    core.announce(a, v4, pfx("192.0.2.0/24"), attrs())
    expect(core.best(v4, key("192.0.2.0/24"))).toBeUndefined()
    reachable = true
    expect(Diff.summary(core.refreshNextHops()).added).toBe(1)
  })
})

describe("reconfiguration", () => {
  test("a source peer turning from eBGP to iBGP re-exports its routes by the iBGP rules", () => {
    const { core, i } = setup()
    const config: Peer.PeerConfig = { address: ip("10.0.0.7"), asn: 65007, install: true, nextHopSelf: { ipv4: ip("10.0.0.254") } }
    const p = core.addPeer(config)
    core.announce(p, v4, pfx("192.0.2.0/24"), attrs({ localPref: 100 }, [65009]))
    expect(core.advertised(i, v4, key("192.0.2.0/24"))).toBeDefined()
    const d = core.configurePeer(p, { ...config, asn: LOCAL_AS })
    // Now iBGP-learned: no longer sent to the iBGP peer; Loc-RIB itself did not change.
    expect(d.locRib).toEqual([])
    expect(lines(d)).toContain(`peer ${i} ipv4-unicast < 192.0.2.0/24`)
    expect(core.advertised(i, v4, key("192.0.2.0/24"))).toBeUndefined()
  })
})

describe("next-hop hooks", () => {
  test("the IGP cost hook decides between otherwise equal routes, asked once per attribute set", () => {
    let calls = 0
    const cost = (_f: number, nh: Uint8Array) => {
      calls++
      return nh[3] === 1 ? 20 : 10
    }
    const { core, a, b } = setup({ bestPath: { igpCost: cost } })
    core.announce(a, v4, pfx("192.0.2.0/24", "192.0.3.0/24"), attrs({ nextHop: ip("10.0.0.1") }, [65009]))
    core.announce(b, v4, pfx("192.0.2.0/24", "192.0.3.0/24"), attrs({ nextHop: ip("10.0.0.2") }, [65009]))
    expect(core.best(v4, key("192.0.2.0/24"))!.peer).toBe(b)
    expect(calls).toBe(2)
  })
})
