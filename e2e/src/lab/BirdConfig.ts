/**
 * BIRD 2 configuration as data, rendered to bird.conf text. Covers what the lab
 * needs (static routes with BGP attributes, BGP sessions with per-channel options);
 * `options` lists are raw BIRD statements for anything else.
 */

/** A channel filter: everything, nothing, a `where` expression, or a filter body ending in accept/reject. */
export type Filter =
  | "all"
  | "none"
  | { readonly where: string }
  | { readonly body: string }

export interface StaticRoute {
  readonly prefix: string
  /** Route target: `blackhole` (default), `unreachable`, or `via <address>`. */
  readonly via?: string
  /** Filter statements run on the route, e.g. `bgp_med = 50`, `bgp_community.add((65001,100))`. */
  readonly set?: ReadonlyArray<string>
}

export interface StaticProtocol {
  readonly name: string
  readonly afi: "ipv4" | "ipv6"
  readonly routes: ReadonlyArray<StaticRoute>
  readonly disabled?: boolean
}

export interface BgpChannel {
  readonly afi: "ipv4" | "ipv6"
  readonly import: Filter
  readonly export: Filter
  /** RFC 7911 ADD-PATH: `tx`, `rx`, `on` (both), `off`. */
  readonly addPaths?: "tx" | "rx" | "on" | "off"
  /** Next hop to put in UPDATEs instead of the session address (needed for IPv6 over an IPv4 session). */
  readonly nextHopAddress?: string
  readonly nextHopSelf?: boolean
  /** RFC 8950 for an IPv4 channel. */
  readonly extendedNextHop?: boolean
  readonly options?: ReadonlyArray<string>
}

export interface BgpProtocol {
  readonly name: string
  readonly localAddress: string
  readonly localAs: number
  readonly neighborAddress: string
  readonly neighborAs: number
  readonly passive?: boolean
  readonly holdTime?: number
  readonly keepaliveTime?: number
  readonly connectRetryTime?: number
  /** RFC 4724. */
  readonly gracefulRestart?: boolean
  /** RFC 9494, with the long-lived stale time in seconds. */
  readonly longLivedStaleTime?: number
  /** RFC 8654. */
  readonly extendedMessages?: boolean
  /** RFC 9234 local role. */
  readonly localRole?: "provider" | "rs_server" | "rs_client" | "customer" | "peer"
  /** TCP-MD5 key (RFC 2385). */
  readonly password?: string
  /** RFC 5082 GTSM: send with TTL 255 and drop what arrives with less than 255 - hops. */
  readonly ttlSecurity?: boolean
  /** eBGP multihop with this TTL (BIRD's `multihop N`). */
  readonly multihop?: number
  /** Seconds between protocol start and the first outgoing connection (BIRD default 5). */
  readonly connectDelayTime?: number
  /** Back-off after an error before BIRD starts the protocol again: [min, max] seconds (BIRD default 60, 300). */
  readonly errorWaitTime?: readonly [number, number]
  /** Port the neighbor listens on (default 179). */
  readonly neighborPort?: number
  /** BIRD's protocol debug flags, written to its log (`debug { states, events };`), or `all`. */
  readonly debug?: "all" | ReadonlyArray<"states" | "routes" | "filters" | "interfaces" | "events" | "packets">
  readonly disabled?: boolean
  readonly channels: ReadonlyArray<BgpChannel>
  readonly options?: ReadonlyArray<string>
}

export interface BirdConfig {
  readonly routerId: string
  /** Host name sent in the FQDN capability by BGP protocols with `advertise hostname on`. */
  readonly hostname?: string
  readonly statics?: ReadonlyArray<StaticProtocol>
  readonly bgp: ReadonlyArray<BgpProtocol>
  /** Raw text placed before the protocols (named filters, functions, tables). */
  readonly preamble?: string
}

const filter = (kind: "import" | "export", f: Filter): string =>
  f === "all" || f === "none"
    ? `${kind} ${f};`
    : "where" in f
      ? `${kind} where ${f.where};`
      : `${kind} filter {\n      ${f.body.trim().split("\n").join("\n      ")}\n    };`

const renderStatic = (s: StaticProtocol): string => {
  const routes = s.routes.map((r) => {
    const target = r.via ?? "blackhole"
    const set = r.set !== undefined && r.set.length > 0 ? ` { ${r.set.map((x) => `${x};`).join(" ")} }` : ""
    return `  route ${r.prefix} ${target}${set};`
  })
  return [`protocol static ${s.name} {`, ...(s.disabled ? ["  disabled;"] : []), `  ${s.afi};`, ...routes, "}"].join("\n")
}

const renderChannel = (c: BgpChannel): string => {
  const lines = [filter("import", c.import), filter("export", c.export)]
  if (c.addPaths !== undefined) lines.push(`add paths ${c.addPaths};`)
  if (c.nextHopAddress !== undefined) lines.push(`next hop address ${c.nextHopAddress};`)
  if (c.nextHopSelf) lines.push("next hop self;")
  if (c.extendedNextHop !== undefined) lines.push(`extended next hop ${c.extendedNextHop ? "on" : "off"};`)
  lines.push(...(c.options ?? []).map((o) => `${o};`))
  return `  ${c.afi} {\n    ${lines.join("\n    ")}\n  };`
}

const renderBgp = (p: BgpProtocol): string => {
  const port = p.neighborPort !== undefined ? ` port ${p.neighborPort}` : ""
  const lines: Array<string> = [
    `local ${p.localAddress} as ${p.localAs};`,
    `neighbor ${p.neighborAddress}${port} as ${p.neighborAs};`
  ]
  if (p.disabled) lines.push("disabled;")
  if (p.passive) lines.push("passive on;")
  if (p.holdTime !== undefined) lines.push(`hold time ${p.holdTime};`)
  if (p.keepaliveTime !== undefined) lines.push(`keepalive time ${p.keepaliveTime};`)
  if (p.connectRetryTime !== undefined) lines.push(`connect retry time ${p.connectRetryTime};`)
  if (p.gracefulRestart !== undefined) lines.push(`graceful restart ${p.gracefulRestart ? "on" : "off"};`)
  if (p.longLivedStaleTime !== undefined) {
    lines.push("long lived graceful restart on;", `long lived stale time ${p.longLivedStaleTime};`)
  }
  if (p.extendedMessages !== undefined) lines.push(`enable extended messages ${p.extendedMessages ? "on" : "off"};`)
  if (p.localRole !== undefined) lines.push(`local role ${p.localRole};`)
  if (p.password !== undefined) lines.push(`password "${p.password}";`)
  if (p.ttlSecurity !== undefined) lines.push(`ttl security ${p.ttlSecurity ? "on" : "off"};`)
  if (p.multihop !== undefined) lines.push(`multihop ${p.multihop};`)
  if (p.connectDelayTime !== undefined) lines.push(`connect delay time ${p.connectDelayTime};`)
  if (p.errorWaitTime !== undefined) lines.push(`error wait time ${p.errorWaitTime[0]}, ${p.errorWaitTime[1]};`)
  if (p.debug !== undefined) lines.push(p.debug === "all" ? "debug all;" : `debug { ${p.debug.join(", ")} };`)
  lines.push(...(p.options ?? []).map((o) => `${o};`))
  return [`protocol bgp ${p.name} {`, ...lines.map((l) => `  ${l}`), ...p.channels.map(renderChannel), "}"].join("\n")
}

export const render = (c: BirdConfig): string =>
  [
    "log stderr all;",
    `router id ${c.routerId};`,
    ...(c.hostname !== undefined ? [`hostname "${c.hostname}";`] : []),
    "protocol device {}",
    ...(c.preamble !== undefined ? [c.preamble.trim()] : []),
    ...(c.statics ?? []).map(renderStatic),
    ...c.bgp.map(renderBgp),
    ""
  ].join("\n\n")
