// A node advertises two service IPs to its top-of-rack router, learns nothing back, then withdraws one.
import { Either } from "effect"
import { Context, Family, Message, Pack, Text } from "@kbgp/wire"
import { Core, Diff, Peer, Policy } from "@kbgp/rib"

const ip = (s: string) => Either.getOrThrow(Text.parseAddress(s)).bytes
const prefixes = (...p: Array<string>) => Either.getOrThrow(Text.prefixesFromText(p))
const v4 = Family.Ipv4Unicast

const rib = Core.make({ localAs: 65000, routerId: Either.getOrThrow(Text.ipv4ToNumber("10.0.0.1")) })

// The ToR (eBGP): routes to it get next hop self; export policy tags service /32s with a large community.
const tor = rib.addPeer({
  address: ip("10.0.0.254"),
  asn: 65100,
  nextHopSelf: { ipv4: ip("10.0.0.1") },
  exportPolicy: Policy.make(
    [Policy.rule({ prefixes: [Policy.prefix("203.0.113.0/24", { ge: 32 })] }, Policy.addLargeCommunities([65000, 1, 0]), Policy.accept)],
    "reject"
  ),
  maxPrefix: [{ family: v4, limit: 1000 }]
})
rib.peerUp(tor, { routerId: Either.getOrThrow(Text.ipv4ToNumber("10.0.0.254")), families: [v4] })

// The desired state: locally originated routes, applied idempotently.
const services = { origin: 0 as const, asPath: [], communities: Either.getOrThrow(Text.communitiesFromText(["65000:100"])) }
const show = (d: Diff.Diff) => {
  for (const c of d.adjRibOut) {
    for (const g of c.announced) console.log(`announce ${Text.formatPrefixes(g.prefixes).join(" ")} | ${Text.formatAttributes(g.attributes.attributes)}`)
    if (c.withdrawn.count > 0) console.log(`withdraw ${Text.formatPrefixes(c.withdrawn).join(" ")}`)
  }
}
const first = rib.replace(Peer.LOCAL, v4, [{ attributes: services, prefixes: prefixes("203.0.113.10/32", "203.0.113.11/32") }])
show(first)

// Each Adj-RIB-Out group packs straight into UPDATEs for the session's context.
const ctx = Context.make({ asn4: true, ebgp: true, peerAs: 65100 })
const updates = first.adjRibOut[0]!.announced.flatMap((g) => Pack.packUpdates(g.attributes.attributes, { afi: 1, safi: 1, prefixes: g.prefixes }, ctx))
console.log(`${updates.length} UPDATE, ${updates[0]!.length} bytes`)

// The ToR sends a default route: counted in Adj-RIB-In, not installed (kbgp advertises, it does not learn).
const received = Message.decode(
  Pack.packUpdates({ origin: 0, asPath: [{ type: 2, asns: [65100] }], nextHop: ip("10.0.0.254") }, { afi: 1, safi: 1, prefixes: prefixes("0.0.0.0/0") }, ctx)[0]!,
  ctx
)
if (received._tag !== "Update") throw new Error("not an UPDATE")
const learned = rib.applyUpdate(tor, received)
const stats = rib.stats(tor).families.find((f) => f.family === v4)!
console.log(`from the ToR: received ${stats.received}, installed ${stats.best}, diff empty: ${Diff.isEmpty(learned)}`)

// The same desired state again changes nothing; dropping a service withdraws it.
console.log(`same desired state again, diff empty: ${Diff.isEmpty(rib.replace(Peer.LOCAL, v4, [{ attributes: services, prefixes: prefixes("203.0.113.10/32", "203.0.113.11/32") }]))}`)
show(rib.replace(Peer.LOCAL, v4, [{ attributes: services, prefixes: prefixes("203.0.113.10/32") }]))
