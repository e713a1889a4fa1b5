/**
 * IP address text <-> bytes and the Linux `sockaddr_in` / `sockaddr_in6`
 * layouts the libc calls take. Pure; no DNS: BGP peers are addresses.
 */
import { AF_INET, AF_INET6 } from "./Libc.js"

export interface Ip {
  readonly family: 4 | 6
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array
  /** IPv6 zone ("eth0" or "3" in "fe80::1%eth0"), for link-local peers. */
  readonly zone?: string
}

const parse4 = (s: string): Uint8Array | undefined => {
  const parts = s.split(".")
  if (parts.length !== 4) return undefined
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]
    // Decimal only, no leading zeros: "010" is octal to some parsers, so refuse it.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    out[i] = n
  }
  return out
}

const parse6 = (s: string): Uint8Array | undefined => {
  const halves = s.split("::")
  if (halves.length > 2) return undefined
  // Groups of one side of "::"; an embedded IPv4 address may end the last one.
  const words = (h: string, last: boolean): Array<number> | undefined => {
    if (h === "") return []
    const gs = h.split(":")
    const out: Array<number> = []
    for (let i = 0; i < gs.length; i++) {
      const g = gs[i]
      if (last && i === gs.length - 1 && g.includes(".")) {
        const v4 = parse4(g)
        if (v4 === undefined) return undefined
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3])
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16))
      } else {
        return undefined
      }
    }
    return out
  }
  let all: Array<number>
  if (halves.length === 1) {
    const w = words(s, true)
    if (w === undefined || w.length !== 8) return undefined
    all = w
  } else {
    const head = words(halves[0], false)
    const tail = words(halves[1], true)
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined
    all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8
    out[2 * i + 1] = all[i] & 0xff
  }
  return out
}

/** Parses "192.0.2.1", "2001:db8::1", "fe80::1%eth0"; undefined for anything else (names included). */
export const parse = (text: string): Ip | undefined => {
  const v4 = parse4(text)
  if (v4 !== undefined) return { family: 4, bytes: v4 }
  const pct = text.indexOf("%")
  const addr = pct < 0 ? text : text.slice(0, pct)
  const zone = pct < 0 ? undefined : text.slice(pct + 1)
  if (zone !== undefined && !/^[A-Za-z0-9_.:-]{1,15}$/.test(zone)) return undefined
  const v6 = parse6(addr)
  if (v6 === undefined) return undefined
  return zone === undefined ? { family: 6, bytes: v6 } : { family: 6, bytes: v6, zone }
}

const isMapped = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

/** The IPv4-mapped IPv6 form (::ffff:a.b.c.d), as a dual-stack socket sees IPv4 peers. */
export const mapped = (v4: Uint8Array): Uint8Array => {
  const out = new Uint8Array(16)
  out[10] = 0xff
  out[11] = 0xff
  out.set(v4, 12)
  return out
}

/** RFC 5952 text; IPv4-mapped addresses come out as plain IPv4, the form peers are configured with. */
export const format = (bytes: Uint8Array): string => {
  if (bytes.length === 4) return bytes.join(".")
  if (isMapped(bytes)) return bytes.subarray(12).join(".")
  const words: Array<number> = []
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i] << 8) | bytes[2 * i + 1])
  // RFC 5952 §4.2.2-4.2.3: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (ws: Array<number>) => ws.map((w) => w.toString(16)).join(":")
  if (bestStart < 0) return hex(words)
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`
}

/** Canonical text of an address (so "2001:DB8:0::1" and "2001:db8::1" name the same peer), or undefined. */
export const canonical = (text: string): string | undefined => {
  const ip = parse(text)
  if (ip === undefined) return undefined
  const base = format(ip.bytes)
  return ip.zone === undefined ? base : `${base}%${ip.zone}`
}

/** `sockaddr_in` (16 bytes) or `sockaddr_in6` (28 bytes) for a socket of `family`; IPv4 on IPv6 goes mapped. */
export const encode = (socketFamily: 4 | 6, ip: Ip, port: number, scopeId = 0): Uint8Array => {
  if (socketFamily === 4) {
    const sa = new Uint8Array(16)
    const v = new DataView(sa.buffer)
    v.setUint16(0, AF_INET, true)
    v.setUint16(2, port, false)
    sa.set(ip.bytes, 4)
    return sa
  }
  const sa = new Uint8Array(28)
  const v = new DataView(sa.buffer)
  v.setUint16(0, AF_INET6, true)
  v.setUint16(2, port, false)
  // flowinfo (4..8) stays 0
  sa.set(ip.family === 4 ? mapped(ip.bytes) : ip.bytes, 8)
  v.setUint32(24, scopeId, true)
  return sa
}

export interface Decoded {
  readonly address: string
  readonly port: number
}

/** Address and port out of a `sockaddr_in` / `sockaddr_in6`; undefined for other families. */
export const decode = (sa: Uint8Array): Decoded | undefined => {
  if (sa.length < 2) return undefined
  const v = new DataView(sa.buffer, sa.byteOffset, sa.byteLength)
  const family = v.getUint16(0, true)
  if (family === AF_INET && sa.length >= 8) return { address: format(sa.subarray(4, 8)), port: v.getUint16(2, false) }
  if (family === AF_INET6 && sa.length >= 24) return { address: format(sa.subarray(8, 24)), port: v.getUint16(2, false) }
  return undefined
}

/** "192.0.2.1:179", "[2001:db8::1]:179": the form TransportError addresses use. */
export const endpointText = (address: string, port: number): string =>
  address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`
