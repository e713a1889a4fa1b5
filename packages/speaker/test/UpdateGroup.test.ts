import { describe, expect, test } from "bun:test"
import { MemoryTransport } from "@kbgp/fsm"
import { Interner, Policy } from "@kbgp/rib"
import { Effect } from "effect"
import { Context as WireContext, Family, Message, Text, Update } from "@kbgp/wire"
import * as LocalRoutes from "../src/internal/LocalRoutes.js"
import { UpdateGroup } from "../src/internal/UpdateGroup.js"
import * as Groups from "../src/internal/UpdateGroup.js"
import type { DesiredState } from "../src/DesiredState.js"
import { advance, desired, established, type Router, router, run, settle, speaker, until, updates } from "./helpers/SpeakerHarness.js"

const peerConfig = (i: number, extra: Partial<DesiredState["peers"][number]> = {}): DesiredState["peers"][number] => ({
  address: `10.0.1.${i}`,
  asn: 65100 + i,
  passive: true,
  ...extra
})

const nlriOf = (u: Message.Update): Array<string> => Text.formatPrefixes(u.nlri)

describe("update groups", () => {
  test("advertising to 20 peers with the same export policy packs once; a peer with another policy gets its own group", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const n = 20
        const policy = Policy.make([Policy.rule({}, Policy.addCommunities(0xfde80001))], "accept")
        const peers = Array.from({ length: n }, (_, i) => peerConfig(i + 1))
        peers.push(peerConfig(99, { exportPolicy: policy }))
        yield* s.speaker.apply(desired(peers))
        const routers: Array<Router> = []
        for (const p of peers) routers.push(yield* router(net, { address: p.address, asn: p.asn }))
        for (const r of routers) yield* established(r)
        yield* advance(60)
        const groupsBefore = (yield* s.speaker.counters).updateGroups
        expect(groupsBefore).toBe(2)

        const before = (yield* s.speaker.counters).encodes
        yield* s.speaker.apply(desired(peers, [{ prefix: "192.0.2.0/24", communities: ["65001:7"] }]))
        yield* advance(60)
        yield* until("every router has the route", () => routers.every((r) => r.table.has("192.0.2.0/24")))
        const after = yield* s.speaker.counters
        // One packUpdates for the 20 peers in the shared group, one for the peer with its own policy.
        expect(after.encodes - before).toBe(2)
        expect(Text.formatCommunities(routers[0]!.table.get("192.0.2.0/24")!.communities!)).toEqual(["65001:7"])
        expect(Text.formatCommunities(routers[n]!.table.get("192.0.2.0/24")!.communities!)).toEqual(["65001:7", "65000:1"])
        const statuses = yield* s.speaker.peers
        const ids = new Set(statuses.map((p) => p.updateGroup))
        expect(ids.size).toBe(2)
      })
    ))

  test("changes within the coalescing window go out together, packed into one UPDATE per attribute set", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net, { coalesce: "50 millis" })
        const peers = [peerConfig(1)]
        yield* s.speaker.apply(desired(peers))
        const r = yield* router(net, { address: "10.0.1.1", asn: 65101 })
        yield* established(r)
        yield* advance(60)
        const start = updates(r).length
        const routes: Array<string> = []
        for (let i = 0; i < 5; i++) {
          routes.push(`192.0.2.${i * 8}/29`)
          yield* s.speaker.apply(desired(peers, [{ prefixes: [...routes] }]))
          yield* advance(5)
        }
        // 25 ms in: nothing sent yet.
        expect(updates(r).length).toBe(start)
        yield* advance(30)
        yield* until("the batch", () => r.table.size === 5)
        const batch = updates(r).slice(start)
        expect(batch.length).toBe(1)
        expect(nlriOf(batch[0]!).sort()).toEqual([...routes].sort())
      })
    ))

  test("a new session gets the whole table, then End-of-RIB", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const prefixes = Array.from({ length: 600 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`)
        yield* s.speaker.apply(desired([peerConfig(1)], [{ prefixes, med: 5 }, { prefix: "192.0.2.0/24" }]))
        const r = yield* router(net, { address: "10.0.1.1", asn: 65101, fsm: { capabilities: { extendedMessage: false } } })
        yield* established(r)
        yield* advance(60)
        yield* until("End-of-RIB", () => r.endOfRibs() === 1)
        const us = updates(r)
        expect(Update.isEndOfRib(us[us.length - 1]!)).toBe(Family.Ipv4Unicast)
        expect(us.slice(0, -1).every((u) => Update.isEndOfRib(u) === undefined)).toBe(true)
        expect(r.table.size).toBe(601)
        // 600 /24s do not fit one 4096-byte UPDATE: full messages, as few as the limit allows.
        expect(us.length - 1).toBe(2)
      })
    ))

  test("a withdrawal goes out promptly, without waiting for the coalescing window", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net, { coalesce: "5 seconds" })
        const peers = [peerConfig(1)]
        yield* s.speaker.apply(desired(peers, [{ prefixes: ["192.0.2.0/24", "198.51.100.0/24"] }]))
        const r = yield* router(net, { address: "10.0.1.1", asn: 65101 })
        yield* established(r)
        yield* advance(5_000)
        yield* until("table", () => r.table.size === 2)
        yield* s.speaker.apply(desired(peers, [{ prefixes: ["192.0.2.0/24"] }]))
        yield* advance(0)
        yield* until("withdrawal", () => r.table.size === 1)
        const last = updates(r).at(-1)!
        expect(Text.formatPrefixes(last.withdrawn)).toEqual(["198.51.100.0/24"])
      })
    ))

  test("a group flush sends the delta to members, the table and End-of-RIB to joiners, the difference to movers", () => {
    const interner = Interner.make()
    const stats: Groups.Stats = { encodes: 0, encodedMessages: 0 }
    const table = (prefixes: Array<string>, med?: number) => {
      const t = LocalRoutes.compile([{ prefixes, ...(med === undefined ? {} : { med }) }], LocalRoutes.empty)
      if (!("scopes" in t)) throw t
      return t
    }
    let local = table(["192.0.2.0/24", "198.51.100.0/24"])
    const spec: Groups.Spec = {
      tx: WireContext.defaults,
      ebgp: true,
      localAs: 65001,
      families: [Family.Ipv4Unicast],
      scopes: [LocalRoutes.ALL],
      exportPolicy: undefined,
      selfV4: Uint8Array.of(10, 0, 0, 1),
      selfV6: undefined
    }
    const g = new UpdateGroup<string>(1, spec, interner, stats)
    g.build(local)
    g.join("a")
    const first = g.flush()
    expect(first.map((d) => [d.member, d.endOfRib])).toEqual([["a", [Family.Ipv4Unicast]]])
    expect(first[0]!.messages.length).toBe(1)
    const snapshot = g.snapshot()

    // A change: members get only it.
    const next = table(["192.0.2.0/24"])
    for (const c of LocalRoutes.diff(local, next)) g.recompute(next, c.family, c.key)
    local = next
    g.join("b")
    g.moveIn("c", snapshot)
    const out = g.flush()
    const by = new Map(out.map((d) => [d.member, d]))
    expect(by.get("a")!.endOfRib).toEqual([])
    expect(by.get("b")!.endOfRib).toEqual([Family.Ipv4Unicast])
    // The member and the mover need the same withdrawal: one packWithdrawals each, the same bytes.
    expect(by.get("a")!.messages).toEqual(by.get("c")!.messages)
    expect(g.advertisedCount(Family.Ipv4Unicast)).toBe(1)
    expect([...g.members].sort()).toEqual(["a", "b", "c"])
    expect(g.flush()).toEqual([])
    g.dispose()
    expect(interner.size).toBe(0)
  })

  test("the group key separates peers by encoding, policy and scope", () => {
    const base: Groups.Spec = {
      tx: WireContext.defaults,
      ebgp: true,
      localAs: 65001,
      families: [Family.Ipv4Unicast],
      scopes: [LocalRoutes.ALL],
      exportPolicy: undefined,
      selfV4: Uint8Array.of(10, 0, 0, 1),
      selfV6: undefined
    }
    expect(Groups.key(base)).toBe(Groups.key({ ...base, selfV4: Uint8Array.of(10, 0, 0, 1) }))
    expect(Groups.key(base)).not.toBe(Groups.key({ ...base, tx: WireContext.make({ asn4: false }) }))
    expect(Groups.key(base)).not.toBe(Groups.key({ ...base, ebgp: false }))
    expect(Groups.key(base)).not.toBe(Groups.key({ ...base, exportPolicy: Policy.rejectAll }))
    expect(Groups.key(base)).not.toBe(Groups.key({ ...base, scopes: [LocalRoutes.ALL, LocalRoutes.scopeOf(["x"])] }))
    expect(Groups.key(base)).not.toBe(Groups.key({ ...base, selfV4: Uint8Array.of(10, 0, 0, 2) }))
  })

  test("routes for named peers go only to them", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const peers = [peerConfig(1, { name: "one" }), peerConfig(2, { name: "two" })]
        yield* s.speaker.apply(desired(peers, [{ prefix: "192.0.2.0/24" }, { prefix: "198.51.100.0/24", peers: ["two"] }]))
        const r1 = yield* router(net, { address: "10.0.1.1", asn: 65101 })
        const r2 = yield* router(net, { address: "10.0.1.2", asn: 65102 })
        yield* established(r1)
        yield* established(r2)
        yield* advance(60)
        yield* settle
        yield* until("tables", () => r1.endOfRibs() === 1 && r2.endOfRibs() === 1)
        expect([...r1.table.keys()]).toEqual(["192.0.2.0/24"])
        expect([...r2.table.keys()].sort()).toEqual(["192.0.2.0/24", "198.51.100.0/24"])
      })
    ))

  test("one route entry with an IPv4 and an IPv6 prefix is exported per family: each gets its own next hop", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const families: Array<"ipv4-unicast" | "ipv6-unicast"> = ["ipv4-unicast", "ipv6-unicast"]
        const v6 = Text.parseAddress("2001:db8::1")
        if (v6._tag === "Left") throw v6.left
        // IPv6 routes get an IPv6 next hop from the policy; IPv4 routes keep "self" (10.0.0.1).
        const policy = Policy.make([Policy.rule({ families: [Family.Ipv6Unicast] }, Policy.setNextHop(v6.right.bytes))], "accept")
        const peers = [peerConfig(1, { families }), peerConfig(2, { families, exportPolicy: policy })]
        const routes = [{ prefixes: ["192.0.2.0/24", "2001:db8::/48"] }]
        yield* s.speaker.apply(desired(peers, routes))
        const fsm = { capabilities: { families: [Family.Ipv4Unicast, Family.Ipv6Unicast] } }
        const r1 = yield* router(net, { address: "10.0.1.1", asn: 65101, fsm })
        const r2 = yield* router(net, { address: "10.0.1.2", asn: 65102, fsm })
        yield* established(r1)
        yield* established(r2)
        yield* advance(60)
        yield* until("End-of-RIB for both families", () => r1.endOfRibs() === 2 && r2.endOfRibs() === 2)
        // No IPv6 address toward r1, so no "self" for IPv6: only the IPv4 prefix goes.
        expect([...r1.table.keys()]).toEqual(["192.0.2.0/24"])
        expect(Text.formatAddress(r1.table.get("192.0.2.0/24")!.nextHop!)).toBe("10.0.0.1")
        expect([...r2.table.keys()].sort()).toEqual(["192.0.2.0/24", "2001:db8::/48"])
        expect(Text.formatAddress(r2.table.get("192.0.2.0/24")!.nextHop!)).toBe("10.0.0.1")
        expect(Text.formatAddress(r2.table.get("2001:db8::/48")!.nextHop!)).toBe("2001:db8::1")
      })
    ))

  test("a route whose next hop does not fit its family, or that cannot be encoded, is reported and not sent; the others go out", () =>
    run(
      Effect.gen(function* () {
        const net = yield* MemoryTransport.make()
        const s = yield* speaker(net)
        const v6 = Text.parseAddress("2001:db8::1")
        if (v6._tag === "Left") throw v6.left
        // An IPv6 next hop on IPv4 routes tagged 65000:9.
        const policy = Policy.make([Policy.rule({ communities: [0xfde80009] }, Policy.setNextHop(v6.right.bytes))], "accept")
        const peers = [peerConfig(1, { name: "one", exportPolicy: policy })]
        // 1100 communities do not fit a 4096-byte UPDATE.
        const huge = Array.from({ length: 1100 }, (_, i) => `65001:${i}`)
        const routes = [
          { prefix: "192.0.2.0/24", communities: ["65000:9"] },
          { prefix: "198.51.100.0/24" },
          { prefix: "203.0.113.0/24", communities: huge }
        ]
        yield* s.speaker.apply(desired(peers, routes))
        const r = yield* router(net, { address: "10.0.1.1", asn: 65101, fsm: { capabilities: { extendedMessage: false } } })
        yield* established(r)
        yield* advance(60)
        yield* until("End-of-RIB", () => r.endOfRibs() === 1)
        expect([...r.table.keys()]).toEqual(["198.51.100.0/24"])
        const notSent = () => s.events.flatMap((e) => (e._tag === "RoutesNotSent" ? [e] : []))
        yield* until("reports", () => notSent().length === 2)
        const [nh, big] = [...notSent()].sort((a, b) => a.reason.localeCompare(b.reason))
        expect(nh).toMatchObject({ peers: ["one"], family: "ipv4-unicast", prefixes: ["192.0.2.0/24"] })
        expect(nh!.reason).toBe("an IPv6 next hop (2001:db8::1) for ipv4-unicast routes")
        expect(big).toMatchObject({ peers: ["one"], family: "ipv4-unicast", prefixes: ["203.0.113.0/24"] })
        expect(big!.reason).toStartWith("cannot be encoded")
        const status = (yield* s.speaker.peers)[0]!
        expect(status.families[0]).toMatchObject({ advertised: 2, notSent: 1 })
        const advertised = yield* s.speaker.routes({ peer: "one", direction: "advertised" })
        expect(advertised.map((x) => x.prefix)).not.toContain("192.0.2.0/24")

        // Later changes still go out, and a route that becomes unsendable is withdrawn and reported.
        const later = [{ prefix: "192.0.2.0/24" }, { prefix: "198.51.100.0/24", communities: ["65000:9"] }]
        yield* s.speaker.apply(desired(peers, later))
        yield* advance(60)
        yield* until("the change", () => r.table.has("192.0.2.0/24") && !r.table.has("198.51.100.0/24"))
        yield* until("the new report", () => notSent().length === 3)
        expect(notSent()[2]).toMatchObject({ peers: ["one"], prefixes: ["198.51.100.0/24"] })
      })
    ))
})
