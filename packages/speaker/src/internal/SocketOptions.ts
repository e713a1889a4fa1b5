/**
 * TTL / hop limit (eBGP multihop) and RFC 5082 minimum TTL (GTSM) on a socket
 * fd. An IPv6 socket also carries IPv4-mapped peers, whose packets follow the
 * IPv4 options, so both levels are set there.
 */
import * as Libc from "./Libc.js"

/** Outgoing TTL; `-1` restores the system default. */
export const setTtl = (fd: number, socketFamily: 4 | 6, ttl: number): Libc.Errno | undefined =>
  (socketFamily === 6 ? Libc.setInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_UNICAST_HOPS, ttl) : undefined) ??
  Libc.setInt(fd, Libc.IPPROTO_IP, Libc.IP_TTL, ttl)

/** RFC 5082 §3: drop received packets whose TTL is below `minTtl`; 0 turns the check off. */
export const setMinTtl = (fd: number, socketFamily: 4 | 6, minTtl: number): Libc.Errno | undefined =>
  (socketFamily === 6 ? Libc.setInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_MINHOPCOUNT, minTtl) : undefined) ??
  Libc.setInt(fd, Libc.IPPROTO_IP, Libc.IP_MINTTL, minTtl)

export interface Readback {
  readonly ttl: number
  readonly minTtl: number
}

/** The options as the kernel holds them, for the family's own level. */
export const read = (fd: number, socketFamily: 4 | 6): Readback | Libc.Errno => {
  const ttl =
    socketFamily === 6
      ? Libc.getInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_UNICAST_HOPS)
      : Libc.getInt(fd, Libc.IPPROTO_IP, Libc.IP_TTL)
  if (ttl instanceof Libc.Errno) return ttl
  const minTtl =
    socketFamily === 6
      ? Libc.getInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_MINHOPCOUNT)
      : Libc.getInt(fd, Libc.IPPROTO_IP, Libc.IP_MINTTL)
  if (minTtl instanceof Libc.Errno) return minTtl
  return { ttl, minTtl }
}
