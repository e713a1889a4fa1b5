/**
 * Graceful restart decisions, both roles, as pure functions of what the
 * session negotiated: RFC 4724 (GR), RFC 8538 (the N bit: NOTIFICATIONs other
 * than Hard Reset keep routes too) and RFC 9494 (long-lived GR). The timers
 * and the route marking live in the peer; the rules live here.
 */
import type { Action, Config as FsmConfig, Negotiation } from "@kbgp/fsm"
import { Family, Notification } from "@kbgp/wire"
import type { Family as FamilyTypes } from "@kbgp/wire"
import type { GracefulRestartConfig } from "../DesiredState.js"

type FamilyKey = FamilyTypes.FamilyKey

export const defaults = {
  restartTime: 120,
  notification: true,
  forwarding: true,
  staleRoutesTime: 360
} as const

/** The settings of a peer's `gracefulRestart`, defaults filled; undefined when GR is off. */
export interface Settings {
  readonly restartTime: number
  readonly notification: boolean
  readonly forwarding: boolean
  readonly longLivedStaleTime: number | undefined
  readonly staleRoutesTime: number
}

export const settings = (config: GracefulRestartConfig | undefined): Settings | undefined =>
  config === undefined || config.enabled === false
    ? undefined
    : {
        restartTime: Math.min(config.restartTime ?? defaults.restartTime, 0xfff),
        notification: config.notification ?? defaults.notification,
        forwarding: config.forwarding ?? defaults.forwarding,
        longLivedStaleTime: config.longLivedStaleTime === undefined ? undefined : Math.min(config.longLivedStaleTime, 0xffffff),
        staleRoutesTime: config.staleRoutesTime ?? defaults.staleRoutesTime
      }

/**
 * Our capabilities as restarting speaker (RFC 4724 §3): the R bit while we
 * come back from a graceful stop, the F bit per family when our forwarding
 * state survived it, and RFC 9494's stale time per family.
 */
export const capabilities = (
  s: Settings | undefined,
  families: ReadonlyArray<FamilyKey>,
  restarting: boolean
): Pick<FsmConfig.LocalCapabilities, "gracefulRestart" | "longLivedGracefulRestart"> => {
  if (s === undefined) return {}
  const gracefulRestart: FsmConfig.GracefulRestartConfig = {
    restartTime: s.restartTime,
    restarting,
    notification: s.notification,
    families: families.map((family) => ({ family, forwarding: s.forwarding }))
  }
  if (s.longLivedStaleTime === undefined) return { gracefulRestart }
  return {
    gracefulRestart,
    longLivedGracefulRestart: {
      families: families.map((family) => ({ family, staleTime: s.longLivedStaleTime!, forwarding: s.forwarding }))
    }
  }
}

/**
 * Helper role: the families whose routes from the peer we keep as stale after
 * the session ended this way; empty when they are to be flushed now.
 */
export const retainedFamilies = (negotiated: Negotiation.Negotiated | undefined, reason: Action.DownReason): ReadonlySet<FamilyKey> => {
  const gr = negotiated?.gracefulRestart
  if (gr === undefined) return new Set()
  switch (reason._tag) {
    // RFC 4724 §4.2: the TCP session ended without a NOTIFICATION.
    case "ConnectionLost":
      return gr.families
    // RFC 8538 §3: with the N bit both ways, any NOTIFICATION but a Hard Reset (6/9) is handled as a restart.
    case "NotificationSent":
    case "NotificationReceived":
      return gr.notification && !isHardReset(reason.notification) ? gr.families : new Set()
  }
}

const isHardReset = (n: { readonly code: number; readonly subcode: number }): boolean =>
  n.code === Notification.ErrorCode.Cease && n.subcode === Notification.CeaseSubcode.HardReset

/** RFC 4724 §4.2: how long (s) the peer's routes stay stale while it restarts: its Restart Time. */
export const restartTime = (negotiated: Negotiation.Negotiated): number => negotiated.gracefulRestart?.peer.restartTime ?? 0

/**
 * RFC 9494 §4.2: the families whose stale routes become long-lived stale when
 * the restart time ends, with how long (s): the peer's stale time, capped by
 * ours when we configured one ("a locally configured lower value").
 */
export const longLivedFamilies = (
  negotiated: Negotiation.Negotiated,
  localMax: number | undefined
): ReadonlyMap<FamilyKey, number> => {
  const ll = negotiated.longLivedGracefulRestart
  const out = new Map<FamilyKey, number>()
  if (ll === undefined) return out
  for (const f of ll.families) {
    const t = ll.peer.get(f)?.staleTime ?? 0
    const time = localMax === undefined ? t : Math.min(t, localMax)
    if (time > 0) out.set(f, time)
  }
  return out
}

/**
 * RFC 4724 §4.2: on the new session, stale routes of a family are removed at
 * once when the peer's new capability lacks the family or its F bit (or has
 * no GR capability at all). RFC 9494 §4.2 applies the same rule to the F bit
 * of its LLGR capability for families already long-lived stale.
 */
export const flushOnReconnect = (
  negotiated: Negotiation.Negotiated,
  family: FamilyKey,
  longLived: boolean
): boolean => {
  if (longLived) {
    const ll = negotiated.longLivedGracefulRestart?.peer.get(family)
    if (ll !== undefined) return !ll.forwarding
  }
  const peer = negotiated.peerGracefulRestart
  if (peer === undefined) return true
  return peer.families.get(family) !== true
}

/** RFC 9494 §4.1 well-known communities (also in `@kbgp/rib`'s AttrSet). */
export const LLGR_STALE = 0xffff0006
export const NO_LLGR = 0xffff0007

export const familyName = (f: FamilyKey): string => Family.format(f)
