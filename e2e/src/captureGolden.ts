/**
 * Captures golden BGP vectors from real peers: BIRD 2 and gobgpd in two network
 * namespaces joined by a veth pair, with three sessions: eBGP over IPv4 and iBGP
 * over IPv6 (both carrying IPv4 and IPv6 unicast), and eBGP over IPv4 where BIRD
 * plays a 2-octet-AS speaker (IPv4 only). dumpcap records port 179; the
 * TCP payloads are reassembled per direction, split into messages and written as
 * hex (one message per line) to packages/wire/test/golden/.
 *
 * Developer tool, needs root, bird, gobgpd and wireshark-common/tshark:
 *   bun run --cwd e2e capture:golden
 * Idempotent: leftover namespaces of an earlier run are removed first, and every
 * namespace and process is removed again on exit, on failure, and on Ctrl-C.
 */
import { BunRuntime } from "@effect/platform-bun"
import { Effect, Option } from "effect"
import * as Bird from "./lab/Bird.js"
import type { BirdConfig } from "./lab/BirdConfig.js"
import * as Capture from "./lab/Capture.js"
import * as Gobgp from "./lab/Gobgp.js"
import type { GobgpConfig } from "./lab/GobgpConfig.js"
import * as LabError from "./lab/LabError.js"
import * as Netns from "./lab/Netns.js"
import * as Poll from "./lab/Poll.js"
import * as Shell from "./lab/Shell.js"

const GOLDEN_DIR = new URL("../../packages/wire/test/golden/", import.meta.url).pathname
const WORK_DIR = "/tmp/kbgp-golden"

// Addresses: RFC 5737 / RFC 3849 documentation ranges, only inside our namespaces.
const BIRD_V4 = "192.0.2.1"
const GOBGP_V4 = "192.0.2.2"
const BIRD_V6 = "2001:db8::1"
const GOBGP_V6 = "2001:db8::2"
const BIRD_AS2_V4 = "192.0.2.3"
const GOBGP_AS2_V4 = "192.0.2.4"
// Locally administered MACs: fixed link-local addresses (fe80::ff:fe00:1 and ::2).
const BIRD_MAC = "02:00:00:00:00:01"
const GOBGP_MAC = "02:00:00:00:00:02"
const BIRD_AS = 65001
const GOBGP_AS = 65002
/** BIRD's AS on the session without the 4-octet AS capability. */
const BIRD_OLD_AS = 65003

/** Attribute sets for BIRD's static routes (BIRD filter statements). */
// MED goes in the export filters: BIRD sends it to eBGP peers only when the export filter set it.
const rich = [
  "bgp_origin = ORIGIN_IGP",
  "bgp_community.add((65001,100))",
  "bgp_community.add((65535,666))",
  "bgp_large_community.add((65001,1,2))",
  "bgp_ext_community.add((rt,65001,100))"
]
const longPath = [
  "bgp_origin = ORIGIN_INCOMPLETE",
  "bgp_path.prepend(4200000001)",
  "bgp_path.prepend(65010)",
  "bgp_large_community.add((4200000001,7,8))"
]
const egp = ["bgp_origin = ORIGIN_EGP", "bgp_community.add((65001,300))"]

const medFilter = "if (65001,100) ~ bgp_community then bgp_med = 50;"
const ebgpExport = { body: `if source != RTS_STATIC then reject;\n${medFilter}\naccept;` }
// Inside the AS: NO_EXPORT on our routes, ORIGINATOR_ID and CLUSTER_LIST on one of them (as a
// route reflector would add), and gobgpd's eBGP routes passed on with their AS_SET and AGGREGATOR.
const ibgpExport = {
  body: `if source = RTS_STATIC then {
  bgp_community.add((65535,65281));
  ${medFilter}
  if (65001,300) ~ bgp_community then { bgp_originator_id = 192.0.2.50; bgp_cluster_list.add(192.0.2.60); }
  accept;
}
if proto = "ebgp_gobgp" then accept;
reject;`
}

const ibgpExport6 = {
  body: `if source != RTS_STATIC then reject;
bgp_community.add((65535,65281));
${medFilter}
if (65001,300) ~ bgp_community then { bgp_originator_id = 192.0.2.50; bgp_cluster_list.add(192.0.2.60); }
accept;`
}

const birdConfig: BirdConfig = {
  routerId: BIRD_V4,
  hostname: "bird-golden",
  statics: [
    {
      name: "static4",
      afi: "ipv4",
      routes: [
        { prefix: "203.0.113.0/26", set: rich },
        { prefix: "203.0.113.64/26", set: rich },
        { prefix: "198.18.0.0/15", set: rich },
        { prefix: "203.0.113.128/25", set: longPath },
        { prefix: "198.19.255.1/32", set: egp }
      ]
    },
    {
      name: "static6",
      afi: "ipv6",
      routes: [
        { prefix: "2001:db8:1000::/36", set: rich },
        { prefix: "2001:db8:1100::/48", set: rich },
        { prefix: "2001:db8:1200::1/128", set: longPath },
        { prefix: "::/0", set: egp }
      ]
    },
    // Disabled mid-capture to make BIRD send withdrawals.
    { name: "withdraw4", afi: "ipv4", routes: [{ prefix: "203.0.113.192/26", set: ["bgp_origin = ORIGIN_IGP"] }] },
    { name: "withdraw6", afi: "ipv6", routes: [{ prefix: "2001:db8:1f00::/40", set: ["bgp_origin = ORIGIN_IGP"] }] }
  ],
  bgp: [
    {
      name: "ebgp_gobgp",
      localAddress: BIRD_V4,
      localAs: BIRD_AS,
      neighborAddress: GOBGP_V4,
      neighborAs: GOBGP_AS,
      holdTime: 90,
      keepaliveTime: 30,
      connectRetryTime: 2,
      gracefulRestart: true,
      extendedMessages: true,
      localRole: "provider",
      options: ["advertise hostname on"],
      channels: [
        { afi: "ipv4", import: "all", export: ebgpExport, addPaths: "on" },
        { afi: "ipv6", import: "all", export: ebgpExport, nextHopAddress: BIRD_V6 }
      ]
    },
    {
      name: "ibgp_gobgp",
      localAddress: BIRD_V6,
      localAs: GOBGP_AS,
      neighborAddress: GOBGP_V6,
      neighborAs: GOBGP_AS,
      holdTime: 60,
      keepaliveTime: 20,
      connectRetryTime: 2,
      gracefulRestart: true,
      longLivedStaleTime: 3600,
      channels: [
        { afi: "ipv4", import: "none", export: ibgpExport, nextHopAddress: BIRD_V4, extendedNextHop: true },
        // IPv6 static routes only: gobgpd's IPv6 routes have its own address as next hop, which BIRD
        // will not send back to it (it sends withdrawals instead, grouped differently on every run).
        { afi: "ipv6", import: "none", export: ibgpExport6, addPaths: "tx" }
      ]
    },
    {
      // An RFC 6793 "OLD" speaker: 2-octet AS_PATH, AS_TRANS and AS4_PATH on the wire.
      name: "as2_gobgp",
      localAddress: BIRD_AS2_V4,
      localAs: BIRD_OLD_AS,
      neighborAddress: GOBGP_AS2_V4,
      neighborAs: GOBGP_AS,
      holdTime: 90,
      keepaliveTime: 30,
      connectRetryTime: 2,
      options: ["enable as4 off"],
      channels: [{ afi: "ipv4", import: "all", export: { where: "source = RTS_STATIC" } }]
    }
  ]
}

const gobgpConfig: GobgpConfig = {
  as: GOBGP_AS,
  routerId: GOBGP_V4,
  neighbors: [
    {
      address: BIRD_V4,
      peerAs: BIRD_AS,
      localAddress: GOBGP_V4,
      passive: true,
      holdTime: 90,
      keepaliveInterval: 30,
      gracefulRestart: { restartTime: 120, notification: true },
      afiSafis: [
        { name: "ipv4-unicast", gracefulRestart: true, addPaths: { receive: true, sendMax: 4 } },
        { name: "ipv6-unicast", gracefulRestart: true }
      ]
    },
    {
      address: BIRD_V6,
      peerAs: GOBGP_AS,
      localAddress: GOBGP_V6,
      passive: true,
      holdTime: 60,
      keepaliveInterval: 20,
      gracefulRestart: { restartTime: 90, longLived: true },
      afiSafis: [
        { name: "ipv4-unicast", gracefulRestart: true, longLivedRestartTime: 3600 },
        { name: "ipv6-unicast", gracefulRestart: true, longLivedRestartTime: 3600, addPaths: { receive: true } }
      ]
    },
    {
      address: BIRD_AS2_V4,
      peerAs: BIRD_OLD_AS,
      localAddress: GOBGP_AS2_V4,
      passive: true,
      holdTime: 90,
      keepaliveInterval: 30,
      afiSafis: [{ name: "ipv4-unicast" }]
    }
  ],
  // Nothing from BIRD enters gobgpd's RIB and only its own routes leave it: no echo of BIRD's
  // routes and no best-path churn, so the exchange is the same on every run.
  rejectFrom: [BIRD_V4, BIRD_V6, BIRD_AS2_V4],
  exportOnly: [
    { name: "own4", prefixes: [{ prefix: "198.51.100.0/24", lengths: "24..32" }] },
    { name: "own6", prefixes: [{ prefix: "2001:db8:2000::/36", lengths: "36..128" }] }
  ]
}

/** gobgp `global rib` arguments for the routes gobgpd originates (on the wire gobgpd numbers ADD-PATH ids itself). */
const gobgpRoutes: ReadonlyArray<ReadonlyArray<string>> = [
  ["-a", "ipv4", "add", "198.51.100.0/25", "origin", "igp", "med", "20",
    "community", "65002:200,65002:201", "large-community", "65002:3:4"],
  ["-a", "ipv4", "add", "198.51.100.128/25", "origin", "incomplete",
    "aspath", "65010 {65011,65012}", "aggregator", "4200000010:192.0.2.100"],
  ["-a", "ipv4", "add", "198.51.100.192/26", "origin", "igp", "aspath", "4200000002 65020"],
  ["-a", "ipv4", "add", "198.51.100.255/32", "origin", "egp"],
  ["-a", "ipv6", "add", "2001:db8:2000::/48", "nexthop", GOBGP_V6, "origin", "igp", "med", "30",
    "community", "65002:600", "large-community", "65002:5:6"],
  ["-a", "ipv6", "add", "2001:db8:2001::/48", "nexthop", GOBGP_V6, "aspath", "4200000002"],
  ["-a", "ipv6", "add", "2001:db8:2fff::/48", "nexthop", GOBGP_V6]
]

// ---------------------------------------------------------------------------

const transcript: Array<string> = []
const note = (line: string): Effect.Effect<void> =>
  Effect.sync(() => {
    transcript.push(line)
    console.log(line)
  })

const pause = (ms: number, why: string): Effect.Effect<void> =>
  Effect.zipRight(note(`# wait ${ms} ms: ${why}`), Effect.sleep(`${ms} millis`))

const birdc = (bird: Bird.Bird, ...words: ReadonlyArray<string>) =>
  Effect.zipRight(note(`birdc -s bird.ctl '${words.join(" ")}'`), Bird.birdc(bird, ...words))

const gobgp = (g: Gobgp.Gobgp, ...args: ReadonlyArray<string>) =>
  Effect.zipRight(note(`gobgp ${args.map((w) => (w.includes(" ") ? JSON.stringify(w) : w)).join(" ")}`), Gobgp.cli(g, ...args))

/** Routes BIRD imported from a protocol (from `show route protocol X count`). */
const birdRouteCount = (bird: Bird.Bird, proto: string) =>
  Effect.map(Bird.birdc(bird, "show", "route", "protocol", proto, "count"), (out) => {
    // One line per table, then "Total: N of M routes ..." when there is more than one table.
    const m = /Total: (\d+) of/.exec(out) ?? /(\d+) of \d+ routes/.exec(out)
    return m === null ? 0 : Number(m[1])
  })

/** Prefixes gobgpd received from a neighbor in one family. */
const gobgpAdjIn = (g: Gobgp.Gobgp, neighbor: string, afi: "ipv4" | "ipv6") =>
  Effect.map(Gobgp.cli(g, "-j", "neighbor", neighbor, "adj-in", "-a", afi), (out) => {
    const parsed: unknown = JSON.parse(out)
    return parsed !== null && typeof parsed === "object" ? Object.keys(parsed).length : 0
  })

const waitFor = (what: string, probe: Effect.Effect<boolean, LabError.LabError>) =>
  Effect.zipRight(
    note(`# wait until ${what}`),
    Poll.until(Effect.map(probe, (ok) => (ok ? Option.some(undefined) : Option.none())), { timeout: "30 seconds", what })
  )

// ---------------------------------------------------------------------------

/** What a message is, for the file name (RFC 4271 §4, RFC 4724 §2 End-of-RIB, RFC 4760 §3/§4). */
const kind = (m: Uint8Array): string => {
  const type = m[18]
  if (type === 1) return "open"
  if (type === 3) return "notification"
  if (type === 4) return "keepalive"
  if (type === 5) return "route-refresh"
  if (type !== 2) return `type${type}`
  const wlen = (m[19]! << 8) | m[20]!
  const alen = (m[21 + wlen]! << 8) | m[22 + wlen]!
  const nlriLen = m.length - 23 - wlen - alen
  if (wlen === 0 && alen === 0) return "eor-v4"
  let o = 23 + wlen
  const end = o + alen
  let reach: { afi: number; len: number } | undefined
  let unreach: { afi: number; len: number } | undefined
  let count = 0
  while (o < end) {
    const flags = m[o]!
    const code = m[o + 1]!
    const ext = (flags & 0x10) !== 0
    const len = ext ? (m[o + 2]! << 8) | m[o + 3]! : m[o + 2]!
    const v = o + (ext ? 4 : 3)
    const afi = (m[v]! << 8) | m[v + 1]!
    if (code === 14) reach = { afi, len }
    if (code === 15) unreach = { afi, len }
    count++
    o = v + len
  }
  if (unreach !== undefined && count === 1 && unreach.len === 3) return `eor-v${unreach.afi === 2 ? 6 : 4}`
  if (reach !== undefined) return `update-v${reach.afi === 2 ? 6 : 4}`
  if (nlriLen > 0) return "update-v4"
  if (unreach !== undefined) return `withdraw-v${unreach.afi === 2 ? 6 : 4}`
  if (wlen > 0) return "withdraw-v4"
  return "update-other"
}

const speakers: Record<string, string> = {
  [BIRD_V4]: "bird",
  [GOBGP_V4]: "gobgp",
  [BIRD_V6]: "bird-ibgp",
  [GOBGP_V6]: "gobgp-ibgp",
  [BIRD_AS2_V4]: "bird-as2",
  [GOBGP_AS2_V4]: "gobgp-as2"
}

const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")

const writeGolden = (flows: ReadonlyArray<Capture.Flow>) =>
  Effect.gen(function* () {
    const files = new Map<string, Array<string>>()
    const add = (name: string, hex: string) => {
      const lines = files.get(name) ?? []
      if (!lines.includes(hex)) lines.push(hex)
      files.set(name, lines)
    }
    for (const f of flows) {
      const who = speakers[f.src]
      if (who === undefined) return yield* Effect.fail(LabError.make("Setup", `unexpected flow from ${f.src}`))
      for (const m of f.messages) {
        add(`${who}-${kind(m)}.hex`, toHex(m))
        // The whole direction, in order, duplicates included: input for framer tests.
        const all = files.get(`${who}-stream.hex`) ?? []
        all.push(toHex(m))
        files.set(`${who}-stream.hex`, all)
      }
    }
    yield* Shell.run(["sh", "-c", `rm -f ${GOLDEN_DIR}*.hex`])
    for (const [name, lines] of [...files.entries()].sort()) {
      yield* Effect.promise(() => Bun.write(`${GOLDEN_DIR}${name}`, `${lines.join("\n")}\n`))
      console.log(`  ${name}: ${lines.length} message(s)`)
    }
  })

// ---------------------------------------------------------------------------

const versions = Effect.gen(function* () {
  const lines: Array<string> = []
  for (const argv of [["bird", "--version"], ["gobgpd", "--version"], ["dumpcap", "--version"], ["uname", "-sr"]]) {
    const r = yield* Shell.exec(argv)
    lines.push(`${argv.join(" ")}: ${(r.stdout + r.stderr).split("\n").find((l) => l.trim() !== "")?.trim() ?? "?"}`)
  }
  return lines
})

const capture = Effect.scoped(
  Effect.gen(function* () {
    if (process.getuid?.() !== 0) {
      return yield* Effect.fail(LabError.make("Setup", "needs root (network namespaces, port 179)"))
    }
    yield* Shell.run(["rm", "-rf", WORK_DIR])
    yield* Shell.run(["mkdir", "-p", WORK_DIR, `${GOLDEN_DIR}capture`])

    const nsBird = yield* Netns.make("kbgp-gold-bird")
    const nsGobgp = yield* Netns.make("kbgp-gold-gobgp")
    yield* Netns.veth(
      { ns: nsBird, ifname: "gold-bird", mac: BIRD_MAC, addresses: [`${BIRD_V4}/29`, `${BIRD_AS2_V4}/29`, `${BIRD_V6}/64`] },
      { ns: nsGobgp, ifname: "gold-gobgp", mac: GOBGP_MAC, addresses: [`${GOBGP_V4}/29`, `${GOBGP_AS2_V4}/29`, `${GOBGP_V6}/64`] }
    )
    yield* note(
      `# namespaces ${nsBird.name} (veth gold-bird ${BIRD_MAC} ${BIRD_V4}/29 ${BIRD_AS2_V4}/29 ${BIRD_V6}/64), ` +
        `${nsGobgp.name} (veth gold-gobgp ${GOBGP_MAC} ${GOBGP_V4}/29 ${GOBGP_AS2_V4}/29 ${GOBGP_V6}/64)`
    )

    const cap = yield* Capture.start({
      ns: nsBird,
      ifname: "gold-bird",
      file: `${WORK_DIR}/bgp.pcapng`,
      logFile: `${WORK_DIR}/dumpcap.log`
    })
    yield* note(`ip netns exec ${nsBird.name} dumpcap -i gold-bird -f "tcp port 179" -w bgp.pcapng`)

    const g = yield* Gobgp.start({ ns: nsGobgp, dir: WORK_DIR, config: gobgpConfig, hostname: "gobgp-golden" })
    yield* note(
      `ip netns exec ${nsGobgp.name} unshare --uts sh -c "hostname gobgp-golden && exec gobgpd -f gobgpd.toml -t toml --api-hosts 127.0.0.1:50051 --pprof-disable --log-plain"`
    )
    for (const r of gobgpRoutes) yield* gobgp(g, "global", "rib", ...r)

    const bird = yield* Bird.start({ ns: nsBird, dir: WORK_DIR, config: birdConfig })
    yield* note(`ip netns exec ${nsBird.name} bird -f -c bird.conf -s bird.ctl`)

    yield* note("# wait until the three sessions are Established")
    yield* Bird.waitEstablished(bird, "ebgp_gobgp")
    yield* Bird.waitEstablished(bird, "ibgp_gobgp")
    yield* Bird.waitEstablished(bird, "as2_gobgp")
    yield* waitFor("BIRD imported gobgpd's 7 routes over eBGP", Effect.map(birdRouteCount(bird, "ebgp_gobgp"), (n) => n >= 7))
    yield* waitFor("BIRD imported gobgpd's 4 IPv4 routes over the 2-octet session", Effect.map(birdRouteCount(bird, "as2_gobgp"), (n) => n >= 4))
    yield* waitFor(
      "gobgpd received BIRD's routes on the three sessions",
      Effect.all([
        gobgpAdjIn(g, BIRD_V4, "ipv4"),
        gobgpAdjIn(g, BIRD_V4, "ipv6"),
        gobgpAdjIn(g, BIRD_V6, "ipv4"),
        gobgpAdjIn(g, BIRD_V6, "ipv6"),
        gobgpAdjIn(g, BIRD_AS2_V4, "ipv4")
      ]).pipe(Effect.map(([a, b, c, d, e]) => a >= 6 && b >= 5 && c >= 6 && d >= 5 && e >= 6))
    )
    yield* pause(2000, "End-of-RIB markers")

    yield* birdc(bird, "reload", "in", "ebgp_gobgp")
    yield* pause(1500, "gobgpd answers the ROUTE-REFRESH")

    yield* birdc(bird, "disable", "withdraw4")
    yield* birdc(bird, "disable", "withdraw6")
    yield* gobgp(g, "global", "rib", "-a", "ipv4", "del", "198.51.100.255/32")
    yield* gobgp(g, "global", "rib", "-a", "ipv6", "del", "2001:db8:2fff::/48")
    yield* pause(1500, "withdrawals")

    yield* gobgp(g, "neighbor", BIRD_V6, "shutdown", "--reason", "gobgp maintenance")
    // birdc joins its arguments into one command line: the message needs its quotes.
    yield* birdc(bird, "disable", "ebgp_gobgp", '"maintenance window"')
    yield* gobgp(g, "neighbor", BIRD_AS2_V4, "shutdown")
    yield* pause(1500, "NOTIFICATIONs")

    yield* Capture.finish(cap)
    const flows = yield* Capture.flows(cap.file)
    for (const f of flows) {
      yield* Effect.sync(() =>
        console.log(`flow ${f.stream}: ${f.src}:${f.srcPort} -> ${f.dst}:${f.dstPort}, ${f.bytes.length} bytes, ${f.messages.length} messages`)
      )
    }
    yield* writeGolden(flows)

    yield* Effect.promise(() => Bun.write(`${GOLDEN_DIR}capture/bird.conf`, Bun.file(bird.configFile)))
    yield* Effect.promise(() => Bun.write(`${GOLDEN_DIR}capture/gobgpd.toml`, Bun.file(g.configFile)))
    yield* Effect.promise(() => Bun.write(`${GOLDEN_DIR}capture/session.pcapng`, Bun.file(cap.file)))
    const v = yield* versions
    yield* Effect.promise(() =>
      Bun.write(
        `${GOLDEN_DIR}capture/transcript.txt`,
        [`# captured ${new Date().toISOString()}`, ...v.map((l) => `# ${l}`), ...transcript, ""].join("\n")
      )
    )
  })
)

const showLogs = Effect.gen(function* () {
  for (const name of ["bird.log", "gobgpd.log", "dumpcap.log"]) {
    const text = yield* Effect.promise(() => Bun.file(`${WORK_DIR}/${name}`).text().catch(() => "(none)"))
    console.error(`--- ${name} (last 40 lines)\n${text.split("\n").slice(-40).join("\n")}`)
  }
})

BunRuntime.runMain(capture.pipe(Effect.tapError(() => showLogs)))
