/**
 * `bun run bench:rib`: the RIB at full-table scale, in process.
 *
 *  1. make 1,000,000 IPv4 routes over 1,000 attribute sets and encode them as UPDATEs (Pack.packUpdates);
 *  2. decode the UPDATEs (Message.decode), as a session would;
 *  3. ingest them into Adj-RIB-In + Loc-RIB with best path (Core.applyUpdate);
 *  4. bring up one export peer: compute its Adj-RIB-Out (Core.peerUp);
 *  5. pack that Adj-RIB-Out into UPDATEs grouped by attribute set (Pack.packUpdates);
 *  6. withdraw everything (the peer goes down).
 *
 * Then, in a fresh process that reads the encoded UPDATEs from a file, the receive path alone (decode +
 * ingest, one UPDATE at a time, as a session delivers them) with that process's peak RSS.
 *
 * Prints routes/s per stage, heap bytes per route and peak RSS. Figures are printed, never asserted.
 * `BENCH_ROUTES=n` changes the table size.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Family, Message, Pack } from "@kbgp/wire"
import { Core, Diff } from "../src/index.js"
import { ipv4Groups } from "./workload.js"

const N = Number(process.env["BENCH_ROUTES"] ?? 1_000_000)
const SETS = 1000
const fmt = (n: number): string => Math.round(n).toLocaleString("en-US")
const mb = (b: number): string => (b / 1048576).toFixed(1)
const heap = (): number => {
  Bun.gc(true)
  return process.memoryUsage().heapUsed
}
/**
 * Peak RSS of this address space: VmHWM from /proc (Linux). Not `resourceUsage().maxRSS`: Linux keeps that
 * across execve, so a child spawned by a big parent would report the parent's peak.
 */
const peakRss = (): number => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))
    if (m !== null) return Number(m[1]) * 1024
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024
}
const rssPeakMb = (): string => (peakRss() / 1048576).toFixed(0)

const rows: Array<[string, string, string]> = []
const stage = <A>(name: string, routes: number, f: () => A): A => {
  const t0 = performance.now()
  const r = f()
  const s = (performance.now() - t0) / 1000
  rows.push([name, `${s.toFixed(3)} s`, `${fmt(routes / s)} routes/s`])
  console.log(`${name.padEnd(52)} ${s.toFixed(3).padStart(7)} s  ${fmt(routes / s).padStart(12)} routes/s`)
  return r
}

const rx = Context.make({ asn4: true, ebgp: true, peerAs: 65001 })
const tx = Context.make({ asn4: true, ebgp: true, peerAs: 65002 })

/** Child mode: decode + ingest the stream in `BENCH_RECEIVE`, print one JSON line with the figures. */
const receiveChild = (file: string): void => {
  const stream = new Uint8Array(readFileSync(file))
  Bun.gc(true)
  const rssBefore = process.memoryUsage().rss
  const core = Core.make({ localAs: 65000, routerId: 0x0a000064 })
  const feeder = core.addPeer({ address: Uint8Array.of(10, 0, 0, 1), asn: 65001, install: true })
  const t0 = performance.now()
  for (let o = 0; o < stream.length; ) {
    const len = (stream[o + 16]! << 8) | stream[o + 17]!
    const u = Message.decode(stream.subarray(o, o + len), rx)
    if (u._tag === "Update") core.applyUpdate(feeder, u)
    o += len
  }
  const seconds = (performance.now() - t0) / 1000
  if (core.locRibSize(Family.Ipv4Unicast) !== N) throw new Error(`child Loc-RIB has ${core.locRibSize(Family.Ipv4Unicast)} routes`)
  console.log(JSON.stringify({ seconds, rssBefore, peak: peakRss() }))
}

if (process.env["BENCH_RECEIVE"] !== undefined) {
  receiveChild(process.env["BENCH_RECEIVE"])
  process.exit(0)
}

console.log(`@kbgp/rib bench: ${fmt(N)} IPv4 routes, ${SETS} attribute sets (bun ${Bun.version})`)
const groups = ipv4Groups(N, SETS)
const messages = stage("encode (Pack.packUpdates, workload)", N, () =>
  groups.flatMap((g) => Pack.packUpdates(g.attributes, { afi: 1, safi: 1, prefixes: g.prefixes }, rx))
)
const bytes = messages.reduce((n, m) => n + m.length, 0)
console.log(`  ${fmt(messages.length)} UPDATEs, ${mb(bytes)} MB`)

const updates = stage("decode (Message.decode)", N, () =>
  messages.map((m) => {
    const u = Message.decode(m, rx)
    if (u._tag !== "Update") throw new Error(`decode failed: ${u._tag === "WireError" ? u.detail : u._tag}`)
    return u
  })
)

const before = heap()
const core = Core.make({ localAs: 65000, routerId: 0x0a000064 })
const feeder = core.addPeer({ address: Uint8Array.of(10, 0, 0, 1), asn: 65001, install: true })
const collector = core.addPeer({
  address: Uint8Array.of(10, 0, 0, 2),
  asn: 65002,
  nextHopSelf: { ipv4: Uint8Array.of(10, 0, 0, 100) }
})

let locAdded = 0
stage("ingest: Adj-RIB-In + Loc-RIB + best path", N, () => {
  for (const u of updates) locAdded += Diff.summary(core.applyUpdate(feeder, u)).added
})
if (locAdded !== N || core.locRibSize(Family.Ipv4Unicast) !== N) throw new Error(`Loc-RIB has ${core.locRibSize(Family.Ipv4Unicast)} routes, expected ${N}`)
const after = heap()
const mem = core.memory()

// The receive figure the issue sets a target for: decode + RIB, one UPDATE at a time.
const core2 = Core.make({ localAs: 65000, routerId: 0x0a000064 })
const feeder2 = core2.addPeer({ address: Uint8Array.of(10, 0, 0, 1), asn: 65001, install: true })
stage("receive: decode + ingest, per UPDATE", N, () => {
  for (const m of messages) {
    const u = Message.decode(m, rx)
    if (u._tag === "Update") core2.applyUpdate(feeder2, u)
  }
})

const up = stage("export: Adj-RIB-Out for one eBGP peer", N, () =>
  core.peerUp(collector, { routerId: 0x0a000002, families: [Family.Ipv4Unicast] })
)
const announced = up.adjRibOut[0]?.announced ?? []
let outCount = 0
const out = stage("pack: Adj-RIB-Out → UPDATEs by attribute set", N, () => {
  const msgs: Array<Uint8Array> = []
  for (const g of announced) {
    outCount += g.prefixes.count
    for (const m of Pack.packUpdates(g.attributes.attributes, { afi: 1, safi: 1, prefixes: g.prefixes }, tx)) msgs.push(m)
  }
  return msgs
})
if (outCount !== N) throw new Error(`Adj-RIB-Out has ${outCount} routes, expected ${N}`)
console.log(`  ${fmt(out.length)} UPDATEs, ${mb(out.reduce((n, m) => n + m.length, 0))} MB, ${announced.length} attribute sets`)

stage("refresh: iterate Adj-RIB-Out (route refresh)", N, () => {
  let n = 0
  for (const g of core.adjRibOut(collector, Family.Ipv4Unicast)) n += g.prefixes.count
  return n
})

const down = stage("withdraw all: feeder down (Loc-RIB + Adj-RIB-Out)", N, () => core.peerDown(feeder))
const s = Diff.summary(down)
if (s.removed !== N || s.withdrawn !== N) throw new Error(`withdrawal diff has ${s.removed} / ${s.withdrawn} routes`)

// The receive path alone, in a fresh process: its peak RSS is what a speaker receiving a full table costs.
const dir = mkdtempSync(join(tmpdir(), "kbgp-rib-bench-"))
let child: { seconds: number; rssBefore: number; peak: number } | undefined
try {
  const file = join(dir, "updates.bin")
  const all = new Uint8Array(bytes)
  let at = 0
  for (const m of messages) {
    all.set(m, at)
    at += m.length
  }
  writeFileSync(file, all)
  const proc = Bun.spawnSync([process.execPath, import.meta.path], { env: { ...process.env, BENCH_RECEIVE: file }, stderr: "inherit" })
  child = JSON.parse(proc.stdout.toString().trim().split("\n").pop()!)
} finally {
  rmSync(dir, { recursive: true, force: true })
}

console.log("")
if (child !== undefined) {
  console.log(
    `receive (own process): ${child.seconds.toFixed(3)} s, ${fmt(N / child.seconds)} routes/s decode + RIB; ` +
      `peak RSS ${mb(child.peak)} MB (${mb(child.rssBefore)} MB before the first UPDATE; target < 400 MB)`
  )
}
console.log(`heap after ingest:  ${mb(after - before)} MB for ${fmt(N)} routes = ${((after - before) / N).toFixed(1)} bytes/route (Adj-RIB-In + Loc-RIB, ${mem.attributeSets} attribute sets)`)
console.log(`typed arrays:       ${mb(mem.tableBytes)} MB = ${(mem.tableBytes / N).toFixed(1)} bytes/route (capacity, incl. hash slots)`)
console.log(`peak RSS:           ${rssPeakMb()} MB (whole bench: workload, encoded and decoded UPDATEs, two RIBs)`)
