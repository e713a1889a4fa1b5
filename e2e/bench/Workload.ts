/**
 * The table every contender advertises or receives: N IPv4 /24s, contiguous from
 * 16.0.0.0, one attribute set (origin IGP, the sender's AS, next hop the sender).
 * The same prefixes in the three forms the daemons read: CIDR blocks with `split: 24`
 * for kbgp's config, one static route per prefix for BIRD, and an MRT TABLE_DUMP_V2
 * file (RFC 6396) for `gobgp mrt inject global`.
 */
import type * as BirdConfig from "../src/lab/BirdConfig.js"

/** First address of the table: 16.0.0.0 (any /24 up to 223.255.255.0 keeps clear of multicast). */
const BASE = 0x10000000
const SPLIT = 24
/** Prefixes that fit between 16.0.0.0 and 224.0.0.0 as /24s. */
export const MAX_PREFIXES = (0xe0000000 - BASE) / 2 ** (32 - SPLIT)

const dotted = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`

/** Prefix `i` of the table. */
export const prefix = (i: number): string => `${dotted(BASE + i * 256)}/${SPLIT}`

/**
 * The table as aligned CIDR blocks, largest first, each to be split into /24s: one
 * block per 1-bit of N (1,000,000 = 7 blocks), so kbgp's config stays a few lines.
 */
export const blocks = (n: number): Array<string> => {
  const out: Array<string> = []
  let start = 0
  for (let bit = 31; bit >= 0; bit--) {
    const size = 2 ** bit
    if (Math.floor(n / size) % 2 === 1) {
      out.push(`${dotted(BASE + start * 256)}/${SPLIT - bit}`)
      start += size
    }
  }
  return out
}

/** kbgp's `routes:` entry for the table (docs/speaker.md, `split`). */
export const speakerRoutes = (n: number) => [{ prefixes: blocks(n), split: SPLIT }]

/** BIRD's static protocol holding the table (BIRD has no split form: one `route` line per prefix). */
export const birdStatic = (n: number, name = "prefixes"): BirdConfig.StaticProtocol => ({
  name,
  afi: "ipv4",
  routes: Array.from({ length: n }, (_, i) => ({ prefix: prefix(i) }))
})

// ---------------------------------------------------------------------------
// MRT TABLE_DUMP_V2 (RFC 6396 §4.3): one PEER_INDEX_TABLE, then a RIB_IPV4_UNICAST
// record per prefix with one entry, the attributes in their BGP encoding (AS numbers
// four octets wide, §4.3.4).

const TABLE_DUMP_V2 = 13
const PEER_INDEX_TABLE = 1
const RIB_IPV4_UNICAST = 2

const header = (out: DataView, at: number, subtype: number, length: number): number => {
  out.setUint32(at, 0) // timestamp: not used by the injector
  out.setUint16(at + 4, TABLE_DUMP_V2)
  out.setUint16(at + 6, subtype)
  out.setUint32(at + 8, length)
  return at + 12
}

/**
 * The table as MRT bytes, from a peer `peerId`/`peerAs` (kept as the MRT peer, as a
 * collector would have seen it) with next hop `nextHop`; the AS path is empty, so the
 * injecting daemon originates the routes like the other contenders. `padding` records
 * repeat the first prefixes after the table (see `Contenders.injectMrt`).
 */
export const mrt = (
  n: number,
  o: { readonly peerId: string; readonly peerAs: number; readonly nextHop: string; readonly padding?: number }
): Uint8Array => {
  const ip = (s: string) => s.split(".").map(Number)
  // ORIGIN IGP; AS_PATH empty; NEXT_HOP.
  const attrs = [0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, ...ip(o.nextHop)]
  const peerTable = 4 + 2 + 2 + (1 + 4 + 4 + 4)
  const rib = 4 + 1 + 3 + 2 + (2 + 4 + 2 + attrs.length)
  const records = n + (o.padding ?? 0)
  const bytes = new Uint8Array(12 + peerTable + records * (12 + rib))
  const view = new DataView(bytes.buffer)
  let at = header(view, 0, PEER_INDEX_TABLE, peerTable)
  bytes.set(ip(o.peerId), at) // collector BGP id
  at += 4
  view.setUint16(at, 0) // view name length
  view.setUint16(at + 2, 1) // peer count
  at += 4
  bytes[at++] = 0b10 // peer type: IPv4 address, 4-octet AS
  bytes.set(ip(o.peerId), at)
  bytes.set(ip(o.peerId), at + 4)
  view.setUint32(at + 8, o.peerAs)
  at += 12
  for (let i = 0; i < records; i++) {
    at = header(view, at, RIB_IPV4_UNICAST, rib)
    view.setUint32(at, i) // sequence number
    bytes[at + 4] = SPLIT
    const a = BASE + (i % n) * 256
    bytes[at + 5] = a >>> 24
    bytes[at + 6] = (a >>> 16) & 255
    bytes[at + 7] = (a >>> 8) & 255
    view.setUint16(at + 8, 1) // entry count
    view.setUint16(at + 10, 0) // peer index
    view.setUint32(at + 12, 0) // originated time
    view.setUint16(at + 16, attrs.length)
    bytes.set(attrs, at + 18)
    at += rib
  }
  return bytes
}
