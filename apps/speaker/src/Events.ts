/**
 * Speaker events as log lines: one line per event, the peer (by name) as an
 * annotation. Each session already logs its own state changes, NOTIFICATIONs,
 * Established and Down (annotated with "address:port"), so those events are
 * debug here (structured duplicates for whoever wants them); what only the
 * speaker knows — peers added, removed, reset by a config change, max-prefix,
 * graceful restart, stale routes, refused connections — is info or warning.
 */
import { Effect } from "effect"
import type { Speaker } from "@kbgp/speaker"

type Line = readonly ["debug" | "info" | "warning" | "error", string, Record<string, unknown>]

/** The level, message and fields of one event (exported for tests). */
export const line = (e: Speaker.SpeakerEvent): Line => {
  switch (e._tag) {
    case "PeerAdded":
      return ["info", "peer added", { peer: e.peer }]
    case "PeerRemoved":
      return ["info", "peer removed (Cease 6/3)", { peer: e.peer }]
    case "PeerReset":
      return ["warning", "peer reset: session settings changed (Cease 6/6)", { peer: e.peer, changed: e.changed }]
    case "PeerStateChanged":
      return ["debug", `state ${e.from} -> ${e.to}`, { peer: e.peer, from: e.from, to: e.to }]
    case "PeerEstablished":
      return [
        "debug",
        "session established",
        {
          peer: e.peer,
          peerAs: e.negotiated.peerAs,
          peerId: e.negotiated.peerId,
          holdTime: e.negotiated.holdTime,
          families: e.negotiated.families,
          gracefulRestart: e.negotiated.gracefulRestart !== undefined
        }
      ]
    case "PeerDown":
      return ["debug", "session down", { peer: e.peer, reason: e.reason, routesKeptStale: e.gracefulRestart }]
    case "Notification":
      return [
        "debug",
        `NOTIFICATION ${e.direction}: ${e.description}`,
        { peer: e.peer, code: e.code, subcode: e.subcode, ...(e.shutdown !== undefined ? { shutdown: e.shutdown } : {}) }
      ]
    case "EndOfRibReceived":
      return ["info", "End-of-RIB received", { peer: e.peer, family: e.family }]
    case "EndOfRibSent":
      return ["debug", "End-of-RIB sent", { peer: e.peer, family: e.family }]
    case "RouteRefreshReceived":
      return ["info", "route refresh requested", { peer: e.peer, family: e.family, subtype: e.subtype }]
    case "MaxPrefixExceeded":
      return ["warning", `max-prefix exceeded (${e.action})`, { peer: e.peer, family: e.family, limit: e.limit, count: e.count }]
    case "GracefulRestartChanged":
      return ["info", `graceful restart: ${e.state}`, { peer: e.peer }]
    case "StaleRoutesSwept":
      return ["info", "stale routes removed", { peer: e.peer, family: e.family, count: e.count, why: e.why }]
    case "RoutesNotSent":
      return [
        "warning",
        `${e.prefixes.length} route(s) not sent: ${e.reason}`,
        { peers: e.peers, updateGroup: e.updateGroup, family: e.family, prefixes: e.prefixes.length > 10 ? [...e.prefixes.slice(0, 10), "..."] : e.prefixes }
      ]
    case "ConnectionRejected":
      return ["warning", "connection from an unknown address refused (Cease 6/5)", { remote: e.remote }]
    case "Applied":
      return ["debug", "desired state applied", {}]
  }
}

export const log = (e: Speaker.SpeakerEvent): Effect.Effect<void> => {
  const [level, message, fields] = line(e)
  const eff =
    level === "debug"
      ? Effect.logDebug(message)
      : level === "info"
        ? Effect.logInfo(message)
        : level === "warning"
          ? Effect.logWarning(message)
          : Effect.logError(message)
  return eff.pipe(Effect.annotateLogs(fields))
}
