import { Either } from "effect"
import { Family, Text, type Attributes, type Prefixes } from "@kbgp/wire"
import { Core, Diff, type Peer } from "../../src/index.js"

export const v4 = Family.Ipv4Unicast
export const v6 = Family.Ipv6Unicast

export const pfx = (...texts: ReadonlyArray<string>): Prefixes.Prefixes => Either.getOrThrow(Text.prefixesFromText(texts))
export const pfx6 = (...texts: ReadonlyArray<string>): Prefixes.Prefixes =>
  Either.getOrThrow(Text.prefixesFromText(texts, { afi: Family.Afi.Ipv6 }))
export const ip = (s: string): Uint8Array => Either.getOrThrow(Text.parseAddress(s)).bytes
export const key = (s: string): { readonly address: Uint8Array; readonly length: number } => {
  const p = Either.getOrThrow(Text.parsePrefix(s))
  return { address: p.address, length: p.length }
}

export const attrs = (over: Partial<Attributes.Attributes> = {}, path: ReadonlyArray<number> = [65001]): Attributes.Attributes => ({
  origin: 0,
  asPath: path.length === 0 ? [] : [{ type: 2, asns: path }],
  nextHop: ip("10.0.0.1"),
  ...over
})

export const LOCAL_AS = 65000

/**
 * A RIB with:
 * - `a`, `b`: eBGP peers (AS 65001, 65002) whose routes are installed;
 * - `c`: an eBGP peer (AS 65003) that is up and receives routes;
 * - `i`: an iBGP peer (AS 65000) that is up and receives routes.
 */
export const setup = (options: Partial<Core.Options> = {}) => {
  const core = Core.make({ localAs: LOCAL_AS, routerId: 0x0a0000fe, ...options })
  const nextHopSelf: Peer.NextHopSelf = { ipv4: ip("10.0.0.254"), ipv6: ip("2001:db8::fe") }
  const a = core.addPeer({ address: ip("10.0.0.1"), asn: 65001, install: true, nextHopSelf })
  const b = core.addPeer({ address: ip("10.0.0.2"), asn: 65002, install: true, nextHopSelf })
  const c = core.addPeer({ address: ip("10.0.0.3"), asn: 65003, nextHopSelf })
  const i = core.addPeer({ address: ip("10.0.0.4"), asn: LOCAL_AS, install: true, nextHopSelf })
  core.peerUp(c, { routerId: 3, families: [v4, v6] })
  core.peerUp(i, { routerId: 4, families: [v4, v6] })
  core.peerUp(a, { routerId: 1, families: [v4, v6] })
  core.peerUp(b, { routerId: 2, families: [v4, v6] })
  return { core, a, b, c, i }
}

/** Diff lines, sorted, for order-independent comparison. */
export const lines = (d: Diff.Diff): Array<string> => Diff.lines(d).sort()

/** The attribute set announced to `peer` for the only group in the diff. */
export const sentTo = (d: Diff.Diff, peer: Peer.PeerId, family: Family.FamilyKey = v4): Attributes.Attributes | undefined => {
  const c = d.adjRibOut.find((x) => x.peer === peer && x.family === family)
  return c?.announced[0]?.attributes.attributes
}

export const asns = (a: Attributes.Attributes | undefined): Array<number> => (a?.asPath ?? []).flatMap((s) => s.asns)
