/**
 * Readable tables for `peers` and `routes`: aligned columns, headers in
 * capitals, "-" for nothing, the last column unpadded (it may be long).
 */
import type { Introspection } from "@kbgp/speaker"
import type { RouteRow } from "./Status.js"

/** Rows of cells into aligned text, two spaces between columns. */
export const render = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)))
  return all
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd())
    .join("\n")
}

/** 93784 → "1d02h03m", 3723 → "1h02m03s", 45 → "45s". */
export const duration = (seconds: number): string => {
  const s = Math.max(0, Math.floor(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  const two = (n: number) => String(n).padStart(2, "0")
  if (d > 0) return `${d}d${two(h)}h${two(m)}m`
  if (h > 0) return `${h}h${two(m)}m${two(sec)}s`
  if (m > 0) return `${m}m${two(sec)}s`
  return `${sec}s`
}

const sum = (fs: ReadonlyArray<Introspection.FamilyCounters>, k: "received" | "accepted" | "advertised"): string =>
  String(fs.reduce((n, f) => n + f[k], 0))

const lastError = (e: Introspection.LastError | undefined): string => {
  if (e === undefined) return "-"
  const text = `${e.kind === "sent" ? "sent " : e.kind === "received" ? "received " : ""}${e.description}${e.shutdown !== undefined ? `: "${e.shutdown}"` : ""}`
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

const stateText = (p: Introspection.PeerStatus): string =>
  p.gracefulRestart !== "none" && p.state !== "Established" ? `${p.state} (GR ${p.gracefulRestart})` : p.state

export const peers = (ps: ReadonlyArray<Introspection.PeerStatus>): string => {
  if (ps.length === 0) return "no peers configured"
  return render(
    ["PEER", "ADDRESS", "AS", "STATE", "UPTIME", "RECEIVED", "ACCEPTED", "ADVERTISED", "LAST ERROR"],
    ps.map((p) => [
      p.name,
      p.address,
      String(p.asn),
      stateText(p),
      p.state === "Established" ? duration(p.uptime) : "-",
      sum(p.families, "received"),
      sum(p.families, "accepted"),
      sum(p.families, "advertised"),
      lastError(p.lastError)
    ])
  )
}

/** Every attribute but next hop and AS path, as `key value` pairs. */
export const attributes = (r: Introspection.RouteView): string => {
  const parts: Array<string> = []
  if (r.origin !== undefined) parts.push(`origin ${r.origin}`)
  if (r.med !== undefined) parts.push(`med ${r.med}`)
  if (r.localPref !== undefined) parts.push(`local-pref ${r.localPref}`)
  if (r.communities.length > 0) parts.push(`communities [${r.communities.join(" ")}]`)
  if (r.largeCommunities.length > 0) parts.push(`large-communities [${r.largeCommunities.join(" ")}]`)
  if (r.extendedCommunities.length > 0) parts.push(`ext-communities [${r.extendedCommunities.join(" ")}]`)
  if (r.atomicAggregate === true) parts.push("atomic-aggregate")
  if (r.aggregator !== undefined) parts.push(`aggregator ${r.aggregator}`)
  if (r.originatorId !== undefined) parts.push(`originator-id ${r.originatorId}`)
  if (r.clusterList !== undefined && r.clusterList.length > 0) parts.push(`cluster-list [${r.clusterList.join(" ")}]`)
  if (r.otc !== undefined) parts.push(`otc ${r.otc}`)
  for (const u of r.unknown ?? []) parts.push(`attr-${u.code} 0x${u.value}`)
  return parts.join(", ")
}

const flags = (r: RouteRow): string => {
  const f: Array<string> = []
  if (r.stale) f.push("stale")
  if (r.llgrStale) f.push("llgr-stale")
  if (!r.accepted) f.push("rejected")
  return f.length === 0 ? "-" : f.join(",")
}

export const routes = (rows: ReadonlyArray<RouteRow>): string => {
  if (rows.length === 0) return "no routes"
  return render(
    ["PEER", "DIRECTION", "FAMILY", "PREFIX", "NEXT HOP", "AS PATH", "FLAGS", "ATTRIBUTES"],
    rows.map((r) => [
      r.peer,
      r.direction,
      r.family,
      r.pathId !== undefined ? `${r.prefix} (path ${r.pathId})` : r.prefix,
      r.nextHop ?? "-",
      r.asPath === "" ? "-" : r.asPath,
      flags(r),
      attributes(r)
    ])
  )
}
