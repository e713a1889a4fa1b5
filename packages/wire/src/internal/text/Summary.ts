/**
 * One line per attribute set, for logs and `routes` output: only the attributes
 * present, in wire order, e.g.
 * `origin igp, as-path 65001 {65002,65003}, next-hop 10.0.0.1, local-pref 100, communities [65000:100 no-export]`.
 */
import type { Attributes } from "../../Attributes.js"
import { formatNextHop, numberToIpv4 } from "./Address.js"
import { formatAsPath, formatOrigin } from "./AsPath.js"
import { formatCommunities, formatExtendedCommunities, formatLargeCommunities } from "./Community.js"

const list = (xs: ReadonlyArray<string>): string => `[${xs.join(" ")}]`

/**
 * `nextHop` is the MP_REACH_NLRI next hop, for routes of other families than
 * IPv4 unicast; the NEXT_HOP attribute is used when it is absent.
 */
export const formatAttributes = (a: Attributes, nextHop?: Uint8Array): string => {
  const out: Array<string> = []
  if (a.origin !== undefined) out.push(`origin ${formatOrigin(a.origin)}`)
  if (a.asPath !== undefined) {
    const p = formatAsPath(a.asPath)
    out.push(p.length > 0 ? `as-path ${p}` : "as-path empty")
  }
  const nh = nextHop ?? a.nextHop
  if (nh !== undefined) out.push(`next-hop ${formatNextHop(nh)}`)
  if (a.med !== undefined) out.push(`med ${a.med}`)
  if (a.localPref !== undefined) out.push(`local-pref ${a.localPref}`)
  if (a.atomicAggregate === true) out.push("atomic-aggregate")
  if (a.aggregator !== undefined) out.push(`aggregator ${a.aggregator.asn} ${numberToIpv4(a.aggregator.address)}`)
  if (a.communities !== undefined) out.push(`communities ${list(formatCommunities(a.communities))}`)
  if (a.originatorId !== undefined) out.push(`originator-id ${numberToIpv4(a.originatorId)}`)
  if (a.clusterList !== undefined) out.push(`cluster-list ${list(Array.from(a.clusterList, numberToIpv4))}`)
  if (a.extendedCommunities !== undefined) {
    out.push(`ext-communities ${list(formatExtendedCommunities(a.extendedCommunities))}`)
  }
  if (a.as4Path !== undefined) out.push(`as4-path ${formatAsPath(a.as4Path)}`)
  if (a.as4Aggregator !== undefined) {
    out.push(`as4-aggregator ${a.as4Aggregator.asn} ${numberToIpv4(a.as4Aggregator.address)}`)
  }
  if (a.ipv6ExtendedCommunities !== undefined) {
    out.push(`ipv6-ext-communities ${a.ipv6ExtendedCommunities.length / 20}`)
  }
  if (a.largeCommunities !== undefined) out.push(`large-communities ${list(formatLargeCommunities(a.largeCommunities))}`)
  if (a.otc !== undefined) out.push(`otc ${a.otc}`)
  if (a.unknown !== undefined && a.unknown.length > 0) out.push(`unknown ${a.unknown.length}`)
  return out.length > 0 ? out.join(", ") : "no attributes"
}
