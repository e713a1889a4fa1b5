/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): sessions
 * by state, per-peer state, uptime, prefixes per family and direction,
 * messages by type and direction, session resets, and the speaker's counters.
 * Rendered from the same views as `/v1/peers`, so the two never disagree.
 */
import type { Introspection } from "@kbgp/speaker"
import type { Reloads } from "./Status.js"

/** RFC 4271 §8.2.2 states, so that every state has a series even at 0. */
const STATES = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"] as const

/** Prometheus label value escaping: backslash, double quote, newline. */
export const escapeLabel = (v: string): string => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")

const labels = (ls: Record<string, string>): string => {
  const parts = Object.entries(ls).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  return parts.length === 0 ? "" : `{${parts.join(",")}}`
}

class Writer {
  readonly lines: Array<string> = []
  family(name: string, type: "gauge" | "counter", help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
  }
  sample(name: string, ls: Record<string, string>, value: number): void {
    this.lines.push(`${name}${labels(ls)} ${Number.isFinite(value) ? value : 0}`)
  }
}

const MESSAGE_TYPES = ["open", "update", "notification", "keepalive", "routeRefresh"] as const
const MESSAGE_TYPE_LABEL: Record<(typeof MESSAGE_TYPES)[number], string> = {
  open: "open",
  update: "update",
  notification: "notification",
  keepalive: "keepalive",
  routeRefresh: "route_refresh"
}

/** Established sessions that went down since: every Established but the current one. */
export const resets = (p: Introspection.PeerStatus): number =>
  Math.max(0, p.establishedCount - (p.state === "Established" ? 1 : 0))

export const render = (
  peers: ReadonlyArray<Introspection.PeerStatus>,
  counters: Introspection.Counters,
  reloads: Reloads | undefined
): string => {
  const w = new Writer()
  w.family("kbgp_sessions", "gauge", "Configured peers by BGP session state.")
  for (const s of STATES) w.sample("kbgp_sessions", { state: s }, peers.filter((p) => p.state === s).length)

  w.family("kbgp_peer_up", "gauge", "1 when the session with the peer is Established, else 0.")
  for (const p of peers) w.sample("kbgp_peer_up", { peer: p.name, address: p.address, asn: String(p.asn) }, p.state === "Established" ? 1 : 0)

  w.family("kbgp_peer_state", "gauge", "1 for the peer's current session state.")
  for (const p of peers) w.sample("kbgp_peer_state", { peer: p.name, state: p.state }, 1)

  w.family("kbgp_peer_uptime_seconds", "gauge", "Seconds the session has been Established (0 when it is not).")
  for (const p of peers) w.sample("kbgp_peer_uptime_seconds", { peer: p.name }, p.uptime)

  w.family("kbgp_peer_prefixes", "gauge", "Prefixes per peer, family and direction (received: Adj-RIB-In; accepted: by import policy; advertised: Adj-RIB-Out; stale: kept by graceful restart).")
  for (const p of peers) {
    for (const f of p.families) {
      for (const d of ["received", "accepted", "advertised", "stale"] as const) {
        w.sample("kbgp_peer_prefixes", { peer: p.name, family: f.family, direction: d }, f[d])
      }
    }
  }

  w.family("kbgp_peer_messages_total", "counter", "BGP messages per peer, direction and type.")
  for (const p of peers) {
    for (const d of ["received", "sent"] as const) {
      for (const t of MESSAGE_TYPES) w.sample("kbgp_peer_messages_total", { peer: p.name, direction: d, type: MESSAGE_TYPE_LABEL[t] }, p.messages[d][t])
    }
  }

  w.family("kbgp_peer_established_total", "counter", "Times the session reached Established.")
  for (const p of peers) w.sample("kbgp_peer_established_total", { peer: p.name }, p.establishedCount)

  w.family("kbgp_peer_resets_total", "counter", "Times an Established session went down.")
  for (const p of peers) w.sample("kbgp_peer_resets_total", { peer: p.name }, resets(p))

  w.family("kbgp_local_routes", "gauge", "Prefixes this speaker originates (from the config), per family.")
  for (const [family, n] of Object.entries(counters.localRoutes)) w.sample("kbgp_local_routes", { family }, n)

  w.family("kbgp_update_groups", "gauge", "Update groups (peers sharing encoded UPDATEs).")
  w.sample("kbgp_update_groups", {}, counters.updateGroups)
  w.family("kbgp_encodes_total", "counter", "UPDATE encodings (one per update group, however many peers share it).")
  w.sample("kbgp_encodes_total", {}, counters.encodes)
  w.family("kbgp_encoded_messages_total", "counter", "UPDATE messages those encodings produced.")
  w.sample("kbgp_encoded_messages_total", {}, counters.encodedMessages)
  w.family("kbgp_rejected_connections_total", "counter", "Inbound connections from unknown addresses refused with Cease 6/5.")
  w.sample("kbgp_rejected_connections_total", {}, counters.rejectedConnections)
  w.family("kbgp_applies_total", "counter", "Desired states applied to the speaker.")
  w.sample("kbgp_applies_total", {}, counters.applies)

  if (reloads !== undefined) {
    w.family("kbgp_config_reloads_total", "counter", "Config loads by result (failed: the running config stayed).")
    w.sample("kbgp_config_reloads_total", { result: "applied" }, reloads.applied)
    w.sample("kbgp_config_reloads_total", { result: "failed" }, reloads.failed)
    w.family("kbgp_config_last_applied_timestamp_seconds", "gauge", "When the config was last applied (Unix time).")
    w.sample("kbgp_config_last_applied_timestamp_seconds", {}, reloads.lastAppliedAt === undefined ? 0 : reloads.lastAppliedAt / 1000)
  }
  return `${w.lines.join("\n")}\n`
}
