/** Address families (RFC 4760): AFI and SAFI numbers, and a compact key for sets and maps. */

export const Afi = { Ipv4: 1, Ipv6: 2 } as const
export type Afi = number

export const Safi = { Unicast: 1, Multicast: 2 } as const
export type Safi = number

/** `afi << 8 | safi`: one number per family, cheap to put in a Set or a Map. */
export type FamilyKey = number

export const key = (afi: Afi, safi: Safi): FamilyKey => (afi << 8) | safi
export const afiOf = (k: FamilyKey): Afi => k >>> 8
export const safiOf = (k: FamilyKey): Safi => k & 0xff

export const Ipv4Unicast: FamilyKey = key(Afi.Ipv4, Safi.Unicast)
export const Ipv6Unicast: FamilyKey = key(Afi.Ipv6, Safi.Unicast)

/** Address width in bytes for the AFIs whose prefixes this codec parses; 0 for others. */
export const addressWidth = (afi: Afi): number => (afi === Afi.Ipv4 ? 4 : afi === Afi.Ipv6 ? 16 : 0)

/** True for the families whose NLRI this codec decodes into `Prefixes` (IPv4/IPv6 unicast and multicast). */
export const isPrefixFamily = (afi: Afi, safi: Safi): boolean =>
  (afi === Afi.Ipv4 || afi === Afi.Ipv6) && (safi === Safi.Unicast || safi === Safi.Multicast)

export const format = (k: FamilyKey): string => {
  const afi = afiOf(k)
  const safi = safiOf(k)
  const a = afi === Afi.Ipv4 ? "ipv4" : afi === Afi.Ipv6 ? "ipv6" : `afi${afi}`
  const s = safi === Safi.Unicast ? "unicast" : safi === Safi.Multicast ? "multicast" : `safi${safi}`
  return `${a}-${s}`
}
