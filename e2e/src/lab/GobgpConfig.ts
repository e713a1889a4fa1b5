/**
 * gobgpd configuration as data, rendered to its TOML file. Covers what the lab
 * needs: global AS and router id, neighbors with timers, graceful restart and
 * per-family ADD-PATH, and an optional "export only these prefixes" policy.
 */

export type AfiSafiName = "ipv4-unicast" | "ipv6-unicast"

export interface AfiSafi {
  readonly name: AfiSafiName
  /** RFC 4724 per-family flag (needs the neighbor's graceful restart on). */
  readonly gracefulRestart?: boolean
  /** RFC 9494 long-lived stale time in seconds (needs `gracefulRestart.longLived`). */
  readonly longLivedRestartTime?: number
  /** RFC 7911: receive path ids, and how many paths to send (0 = none). */
  readonly addPaths?: { readonly receive?: boolean; readonly sendMax?: number }
}

export interface Neighbor {
  readonly address: string
  readonly peerAs: number
  readonly localAddress?: string
  /** Wait for the peer to connect instead of connecting out. */
  readonly passive?: boolean
  readonly holdTime?: number
  readonly keepaliveInterval?: number
  readonly connectRetry?: number
  readonly gracefulRestart?: {
    readonly restartTime: number
    /** RFC 8538 N bit. */
    readonly notification?: boolean
    readonly longLived?: boolean
  }
  readonly afiSafis: ReadonlyArray<AfiSafi>
}

/** Prefix ranges ("198.51.100.0/24", "24..32"); one family per set, as gobgpd requires. */
export interface PrefixSet {
  readonly name: string
  readonly prefixes: ReadonlyArray<{ readonly prefix: string; readonly lengths: string }>
}

export interface GobgpConfig {
  readonly as: number
  readonly routerId: string
  readonly port?: number
  readonly listenAddresses?: ReadonlyArray<string>
  readonly neighbors: ReadonlyArray<Neighbor>
  /** When set, gobgpd exports only routes within these sets (global export policy, default reject). */
  readonly exportOnly?: ReadonlyArray<PrefixSet>
  /** Neighbors whose routes are all rejected on import (global import policy); they never reach gobgpd's RIB. */
  readonly rejectFrom?: ReadonlyArray<string>
}

const q = (s: string): string => JSON.stringify(s)

const renderNeighbor = (n: Neighbor): Array<string> => {
  const out = [
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = ${q(n.address)}`,
    `    peer-as = ${n.peerAs}`
  ]
  if (n.localAddress !== undefined || n.passive !== undefined) {
    out.push("  [neighbors.transport.config]")
    if (n.localAddress !== undefined) out.push(`    local-address = ${q(n.localAddress)}`)
    if (n.passive !== undefined) out.push(`    passive-mode = ${n.passive}`)
  }
  if (n.holdTime !== undefined || n.keepaliveInterval !== undefined || n.connectRetry !== undefined) {
    out.push("  [neighbors.timers.config]")
    if (n.holdTime !== undefined) out.push(`    hold-time = ${n.holdTime}`)
    if (n.keepaliveInterval !== undefined) out.push(`    keepalive-interval = ${n.keepaliveInterval}`)
    if (n.connectRetry !== undefined) out.push(`    connect-retry = ${n.connectRetry}`)
  }
  if (n.gracefulRestart !== undefined) {
    out.push(
      "  [neighbors.graceful-restart.config]",
      "    enabled = true",
      `    restart-time = ${n.gracefulRestart.restartTime}`,
      `    notification-enabled = ${n.gracefulRestart.notification ?? false}`,
      `    long-lived-enabled = ${n.gracefulRestart.longLived ?? false}`
    )
  }
  for (const a of n.afiSafis) {
    out.push("  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]", `      afi-safi-name = ${q(a.name)}`)
    if (a.gracefulRestart !== undefined) {
      out.push("    [neighbors.afi-safis.mp-graceful-restart.config]", `      enabled = ${a.gracefulRestart}`)
    }
    if (a.longLivedRestartTime !== undefined) {
      out.push(
        "    [neighbors.afi-safis.long-lived-graceful-restart.config]",
        "      enabled = true",
        `      restart-time = ${a.longLivedRestartTime}`
      )
    }
    if (a.addPaths !== undefined) {
      out.push(
        "    [neighbors.afi-safis.add-paths.config]",
        `      receive = ${a.addPaths.receive ?? false}`,
        `      send-max = ${a.addPaths.sendMax ?? 0}`
      )
    }
  }
  return out
}

const renderExportOnly = (sets: ReadonlyArray<PrefixSet>): Array<string> => {
  const out: Array<string> = []
  for (const s of sets) {
    out.push("[[defined-sets.prefix-sets]]", `  prefix-set-name = ${q(s.name)}`)
    for (const p of s.prefixes) {
      out.push(
        "  [[defined-sets.prefix-sets.prefix-list]]",
        `    ip-prefix = ${q(p.prefix)}`,
        `    masklength-range = ${q(p.lengths)}`
      )
    }
  }
  out.push("[[policy-definitions]]", '  name = "export-only"')
  for (const s of sets) {
    out.push(
      "  [[policy-definitions.statements]]",
      `    name = ${q(`accept-${s.name}`)}`,
      "    [policy-definitions.statements.conditions.match-prefix-set]",
      `      prefix-set = ${q(s.name)}`,
      '      match-set-options = "any"',
      "    [policy-definitions.statements.actions]",
      '      route-disposition = "accept-route"'
    )
  }
  return out
}

const renderRejectFrom = (neighbors: ReadonlyArray<string>): Array<string> => [
  "[[defined-sets.neighbor-sets]]",
  '  neighbor-set-name = "reject-from"',
  `  neighbor-info-list = [${neighbors.map(q).join(", ")}]`,
  "[[policy-definitions]]",
  '  name = "reject-from"',
  "  [[policy-definitions.statements]]",
  '    name = "reject-from"',
  "    [policy-definitions.statements.conditions.match-neighbor-set]",
  '      neighbor-set = "reject-from"',
  '      match-set-options = "any"',
  "    [policy-definitions.statements.actions]",
  '      route-disposition = "reject-route"'
]

export const render = (c: GobgpConfig): string => {
  const out = [
    "[global.config]",
    `  as = ${c.as}`,
    `  router-id = ${q(c.routerId)}`,
    `  port = ${c.port ?? 179}`
  ]
  if (c.listenAddresses !== undefined) out.push(`  local-address-list = [${c.listenAddresses.map(q).join(", ")}]`)
  if (c.exportOnly !== undefined || c.rejectFrom !== undefined) {
    out.push("[global.apply-policy.config]")
    if (c.exportOnly !== undefined) out.push('  export-policy-list = ["export-only"]', '  default-export-policy = "reject-route"')
    if (c.rejectFrom !== undefined) out.push('  import-policy-list = ["reject-from"]', '  default-import-policy = "accept-route"')
  }
  for (const n of c.neighbors) out.push(...renderNeighbor(n))
  if (c.exportOnly !== undefined) out.push(...renderExportOnly(c.exportOnly))
  if (c.rejectFrom !== undefined) out.push(...renderRejectFrom(c.rejectFrom))
  return `${out.join("\n")}\n`
}
