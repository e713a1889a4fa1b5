/**
 * `bun run bench:wire` — codec throughput on a realistic stream, printed, never asserted.
 *
 * 1. In process, one core: encode (packUpdates) and decode (Framer + Message.decode)
 *    1,000,000 IPv4 prefixes /24–/32 over ~1,000 attribute sets in full-size UPDATEs,
 *    and 100,000 IPv6 prefixes over ~100 sets (MP_REACH_NLRI).
 * 2. Side by side (when installed): the same IPv4 stream sent over a loopback TCP
 *    session to gobgpd and to BIRD, timed until each reports every prefix received.
 *    Those figures include each daemon's RIB work, so they bound decode from above;
 *    the kbgp line for that row is our decode through a real socket, no RIB.
 */
import { Afi } from "../src/Family.js"
import * as Context from "../src/Context.js"
import * as Pack from "../src/Pack.js"
import * as Framer from "../src/Framer.js"
import * as Message from "../src/Message.js"
import { groups, type Group } from "./workload.js"
import { compareWithPeers } from "./peers.js"

const ctx = Context.make({ asn4: true, ebgp: true })
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const encodeAll = (gs: ReadonlyArray<Group>): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (const g of gs) {
    const msgs = Pack.packUpdates(g.attributes, { afi: g.afi, safi: g.safi, nextHop: g.nextHop, prefixes: g.prefixes }, ctx)
    for (const m of msgs) out.push(m)
  }
  return out
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Frame and decode a stream delivered in 64 KiB chunks, as a socket would; returns prefixes seen. */
const decodeStream = (stream: Uint8Array): number => {
  const framer = Framer.make()
  let prefixes = 0
  for (let o = 0; o < stream.length; o += 65536) {
    framer.push(stream.subarray(o, Math.min(o + 65536, stream.length)))
    for (;;) {
      const f = framer.next()
      if (f === undefined) break
      if (f._tag === "WireError") throw new Error(`framing failed: ${f.detail}`)
      const m = Message.decodeFrame(f, ctx)
      if (m._tag === "WireError") throw new Error(`decode failed: ${m.detail}`)
      if (m._tag === "Update") {
        prefixes += m.nlri.count
        if (m.mpReach !== undefined && !(m.mpReach.nlri instanceof Uint8Array)) prefixes += m.mpReach.nlri.count
      }
    }
  }
  return prefixes
}

const best = (f: () => void): number => {
  let min = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const t = Bun.nanoseconds()
    f()
    min = Math.min(min, Bun.nanoseconds() - t)
  }
  return min / 1e9
}

const fmt = (n: number, digits = 2): string => n.toLocaleString("en-US", { maximumFractionDigits: digits })

interface Row {
  readonly name: string
  readonly prefixes: number
  readonly bytes: number
  readonly encode: number
  readonly decode: number
  readonly messages: number
}

const measure = (name: string, gs: ReadonlyArray<Group>): Row => {
  const prefixes = gs.reduce((n, g) => n + g.prefixes.count, 0)
  let msgs: Array<Uint8Array> = []
  const encode = best(() => {
    msgs = encodeAll(gs)
  })
  const stream = concat(msgs)
  let seen = 0
  const decode = best(() => {
    seen = decodeStream(stream)
  })
  if (seen !== prefixes) throw new Error(`${name}: decoded ${seen} prefixes, expected ${prefixes}`)
  return { name, prefixes, bytes: stream.length, encode, decode, messages: msgs.length }
}

const v4 = groups(Afi.Ipv4, 1_000_000, 1_000, 0x5eed)
const v6 = groups(Afi.Ipv6, 100_000, 100, 0xbeef)
const rows = [measure("IPv4 1,000,000 /24–/32, 1,000 attr sets", v4), measure("IPv6 100,000 /32–/64, 100 attr sets", v6)]

console.log(`\n@kbgp/wire codec — best of ${ROUNDS} rounds, one core, Bun ${Bun.version}\n`)
console.log(
  ["stream", "messages", "MB", "encode prefixes/s", "encode MB/s", "decode prefixes/s", "decode MB/s"].join(" | ")
)
for (const r of rows) {
  const mb = r.bytes / 1e6
  console.log(
    [r.name, fmt(r.messages, 0), fmt(mb), fmt(r.prefixes / r.encode, 0), fmt(mb / r.encode, 1), fmt(r.prefixes / r.decode, 0), fmt(mb / r.decode, 1)].join(" | ")
  )
}
console.log(`peak RSS: ${fmt(process.resourceUsage().maxRSS / 1024, 1)} MiB (workload, messages and stream included)`)

if (process.env.BENCH_PEERS !== "0") await compareWithPeers(concat(encodeAll(v4)), v4.reduce((n, g) => n + g.prefixes.count, 0))
