import { describe, expect, test } from "bun:test"
import { Effect, Logger } from "effect"
import * as Events from "../src/Events.js"
import * as Log from "../src/Log.js"
import * as Metrics from "../src/Metrics.js"
import type { RouteRow } from "../src/Status.js"
import * as Table from "../src/Table.js"
import { counters } from "./helpers/FakeSpeaker.js"
import { advertised, received, torA, torB } from "./helpers/Peers.js"

const rows: ReadonlyArray<RouteRow> = [
  ...received.map((r) => ({ peer: "tor-a", direction: "received" as const, ...r })),
  ...advertised.map((r) => ({ peer: "tor-a", direction: "advertised" as const, ...r }))
]

describe("tables", () => {
  test("peers: aligned columns, uptime, prefix sums, last error with its shutdown text", () => {
    expect(Table.peers([torA, torB])).toBe(
      [
        "PEER   ADDRESS       AS     STATE                   UPTIME    RECEIVED  ACCEPTED  ADVERTISED  LAST ERROR",
        'tor-a  192.0.2.254   65000  Established             1h02m03s  3         2         4           received Cease / Administrative Shutdown: "maintenance"',
        "tor-b  2001:db8::fe  65000  Active (GR restarting)  -         4         0         0           -"
      ].join("\n")
    )
    expect(Table.peers([])).toBe("no peers configured")
  })

  test("routes: prefix, next hop, AS path, flags and every other attribute", () => {
    expect(Table.routes(rows)).toBe(
      [
        "PEER   DIRECTION   FAMILY        PREFIX                NEXT HOP     AS PATH                    FLAGS     ATTRIBUTES",
        "tor-a  received    ipv4-unicast  0.0.0.0/0             192.0.2.254  65000                      -         origin igp, local-pref 200, communities [65000:1]",
        "tor-a  received    ipv4-unicast  10.9.0.0/16           192.0.2.254  65000 65100 {65200,65201}  rejected  origin igp, med 7",
        "tor-a  advertised  ipv4-unicast  198.51.100.10/32      192.0.2.1    65001                      -         origin igp, communities [no-export 65001:100], large-communities [65001:1:10], ext-communities [rt:65001:20]",
        "tor-a  advertised  ipv6-unicast  2001:db8:100::10/128  2001:db8::1  65001 65010                -         origin incomplete"
      ].join("\n")
    )
    expect(Table.routes([])).toBe("no routes")
  })

  test("stale routes and ADD-PATH ids show in the table", () => {
    const row: RouteRow = { ...rows[0]!, pathId: 7, stale: true, llgrStale: true, asPath: "" }
    expect(Table.routes([row]).split("\n")[1]).toBe(
      "tor-a  received   ipv4-unicast  0.0.0.0/0 (path 7)  192.0.2.254  -        stale,llgr-stale  origin igp, local-pref 200, communities [65000:1]"
    )
  })

  test("durations", () => {
    expect([0, 45, 61, 3723, 93784].map(Table.duration)).toEqual(["0s", "45s", "1m01s", "1h02m03s", "1d02h03m"])
  })
})

describe("metrics", () => {
  const text = Metrics.render([torA, torB], counters, { file: "s.yaml", applied: 3, failed: 1, lastAppliedAt: 1_700_000_000_500, lastError: "x" })

  test("every family has HELP and TYPE, and every sample line is name{labels} value", () => {
    const lines = text.trimEnd().split("\n")
    const declared = new Set(lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]))
    for (const l of lines.filter((x) => !x.startsWith("#"))) {
      expect(l).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/)
      expect(declared.has(l.split(/[{ ]/)[0]!)).toBe(true)
    }
    expect(text.endsWith("\n")).toBe(true)
  })

  test("sessions by state, prefixes per peer/family/direction, messages, resets", () => {
    expect(text).toContain('kbgp_sessions{state="Established"} 1\n')
    expect(text).toContain('kbgp_sessions{state="Active"} 1\n')
    expect(text).toContain('kbgp_sessions{state="Idle"} 0\n')
    expect(text).toContain('kbgp_peer_up{peer="tor-a",address="192.0.2.254",asn="65000"} 1\n')
    expect(text).toContain('kbgp_peer_prefixes{peer="tor-b",family="ipv6-unicast",direction="stale"} 4\n')
    expect(text).toContain('kbgp_peer_messages_total{peer="tor-a",direction="sent",type="notification"} 1\n')
    expect(text).toContain('kbgp_peer_resets_total{peer="tor-a"} 2\n') // established 3 times, up now
    expect(text).toContain("kbgp_config_last_applied_timestamp_seconds 1700000000.5\n")
  })

  test("label values are escaped", () => {
    expect(Metrics.escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
  })
})

describe("logs", () => {
  const capture = async (effect: Effect.Effect<void>): Promise<Array<Record<string, unknown>>> => {
    const lines: Array<string> = []
    await Effect.runPromise(effect.pipe(Effect.provide(Log.layer("debug", (l) => lines.push(l)))))
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  }

  test("one flat JSON object per line: time, level, msg, then annotations in name order", async () => {
    const lines: Array<string> = []
    await Effect.runPromise(
      Effect.logWarning("session down").pipe(Effect.annotateLogs({ peer: "tor-a", code: 6 }), Effect.provide(Log.layer("info", (l) => lines.push(l))))
    )
    expect(lines[0]).toMatch(/^\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"warn","msg":"session down","code":6,"peer":"tor-a"\}$/)
  })

  test("a cause is rendered; the level threshold filters", async () => {
    const lines = await capture(Effect.logError("boom", new Error("bad thing")))
    expect(lines[0]!.level).toBe("error")
    expect(String(lines[0]!.msg)).toStartWith("boom")
    const filtered: Array<string> = []
    await Effect.runPromise(
      Effect.all([Effect.logDebug("hidden"), Effect.logInfo("shown")]).pipe(Effect.provide(Log.layer("info", (l) => filtered.push(l))))
    )
    expect(filtered.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["shown"])
  })

  test("speaker events become lines with the peer annotated (session-level ones at debug: the session logs them itself)", async () => {
    const lines = await capture(
      Effect.all([
        Events.log({ _tag: "PeerDown", peer: "tor-a", reason: "hold timer expired", gracefulRestart: true }),
        Events.log({ _tag: "Notification", peer: "tor-b", direction: "received", code: 6, subcode: 2, description: "Cease / Administrative Shutdown", shutdown: "bye" }),
        Events.log({ _tag: "ConnectionRejected", remote: "203.0.113.9" }),
        Events.log({ _tag: "PeerReset", peer: "tor-a", changed: ["holdTime"] })
      ]).pipe(Effect.asVoid)
    )
    expect(lines.map(({ time: _t, ...rest }) => rest)).toEqual([
      { level: "debug", msg: "session down", peer: "tor-a", reason: "hold timer expired", routesKeptStale: true },
      { level: "debug", msg: "NOTIFICATION received: Cease / Administrative Shutdown", peer: "tor-b", code: 6, subcode: 2, shutdown: "bye" },
      { level: "warn", msg: "connection from an unknown address refused (Cease 6/5)", remote: "203.0.113.9" },
      { level: "warn", msg: "peer reset: session settings changed (Cease 6/6)", peer: "tor-a", changed: ["holdTime"] }
    ])
  })

  test("the JSON logger replaces Effect's default logger (no second, plain-text line)", () => {
    expect(Logger.defaultLogger).toBeDefined()
    const lines: Array<string> = []
    Effect.runSync(Effect.logInfo("once").pipe(Effect.provide(Log.layer("info", (l) => lines.push(l)))))
    expect(lines).toHaveLength(1)
  })
})
