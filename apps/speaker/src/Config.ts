/**
 * The daemon's config file: YAML in, the speaker's `DesiredState` out, or a
 * `ConfigError` listing every problem with its field path, the expected form
 * and the line. The schema (internal/Schemas.ts) checks each field's form;
 * the rules below check what spans fields (a passive peer needs a listener,
 * a policy name must exist, ...) and read password files.
 */
import { Effect, Either, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { LineCounter, parseDocument } from "yaml"
import { Family, Text } from "@kbgp/wire"
import type { Policy } from "@kbgp/rib"
import { DesiredState } from "@kbgp/speaker"
import { ConfigError, type Problem } from "./ConfigError.js"
import { afiOfText } from "./internal/Fields.js"
import { flatten, formatPath, type Path } from "./internal/Issues.js"
import * as Policies from "./internal/Policies.js"
import * as S from "./internal/Schemas.js"

export type Desired = DesiredState.DesiredState

/** A usable config: the desired state, and warnings worth a log line (nothing wrong, maybe not meant). */
export interface Loaded {
  readonly desired: Desired
  readonly warnings: ReadonlyArray<Problem>
}

export interface ParseOptions {
  /** Shown in errors. */
  readonly file: string
  /** Where relative `passwordFile`s are; default the file's directory. */
  readonly baseDir?: string
  /** Reads a password file (tests replace it). Default: `fs.readFileSync(p, "utf8")`. */
  readonly readFile?: (p: string) => string
}

/** Defaults the daemon applies (the library has its own for what is left out). */
export const defaults = {
  listenerAddress: "::",
  port: 179
} as const

const MAX_MD5 = 80 // RFC 2385 keys are at most 80 bytes (TCP_MD5SIG_MAXKEYLEN)

/** Parse and validate config text; never throws. */
export const parse = (text: string, options: ParseOptions): Either.Either<Loaded, ConfigError> => {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const fail = (problems: ReadonlyArray<Problem>) => Either.left(new ConfigError({ file: options.file, problems }))
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => ({
        path: "(yaml)",
        message: e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, ""),
        line: lineCounter.linePos(e.pos[0]).line
      }))
    )
  }
  const lineOf = (p: Path): number | undefined => {
    // The deepest node the path reaches (a missing key points at its mapping; the root has no useful line).
    for (let n = p.length; n >= 1; n--) {
      const node = doc.getIn(p.slice(0, n), true) as { range?: [number, number, number] } | undefined
      if (node !== undefined && node !== null && typeof node === "object" && node.range !== undefined) {
        return lineCounter.linePos(node.range[0]).line
      }
    }
    return undefined
  }
  const problem = (p: Path, message: string): Problem => {
    const line = lineOf(p)
    return { path: formatPath(p), message, ...(line !== undefined ? { line } : {}) }
  }
  const value: unknown = withoutNulls(doc.toJS())
  if (value === null || value === undefined) {
    return fail([{ path: "(top level)", message: "the file is empty: expected at least routerId and localAs" }])
  }
  const decoded = Schema.decodeUnknownEither(S.File, { errors: "all", onExcessProperty: "error" })(value)
  if (Either.isLeft(decoded)) return fail(byLine(flatten(decoded.left.issue).map((i) => problem(i.path, i.message))))
  const problems: Array<Problem> = []
  const warnings: Array<Problem> = []
  const desired = build(decoded.right, options, (p, m) => problems.push(problem(p, m)), (p, m) => warnings.push(problem(p, m)))
  return problems.length > 0 ? fail(byLine(problems)) : Either.right({ desired, warnings: byLine(warnings) })
}

/** Read and parse a config file; a file that cannot be read is a `ConfigError` too. */
export const load = (file: string): Effect.Effect<Loaded, ConfigError> =>
  Effect.suspend(() => {
    let text: string
    try {
      text = fs.readFileSync(file, "utf8")
    } catch (e) {
      return Effect.fail(new ConfigError({ file, problems: [{ path: "(file)", message: `cannot read it: ${errorText(e)}` }] }))
    }
    return parse(text, { file })
  })

/**
 * A key with no value (\`routes:\` with every entry commented out) means the key
 * is absent, as most YAML-configured daemons read it; in lists a null stays
 * (and is reported).
 */
const withoutNulls = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.map(withoutNulls)
  if (typeof u !== "object" || u === null) return u
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(u)) if (v !== null) out[k] = withoutNulls(v)
  return out
}

/** In file order, so the list reads top to bottom (stable for problems without a line). */
const byLine = (ps: ReadonlyArray<Problem>): Array<Problem> =>
  ps
    .map((p, i) => [p, i] as const)
    .sort(([a, i], [b, j]) => (a.line ?? 0) - (b.line ?? 0) || i - j)
    .map(([p]) => p)

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

type Report = (p: Path, message: string) => void

/** Only the defined entries, so optional fields stay absent (exactOptionalPropertyTypes). */
const defined = <T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v
  return out as { [K in keyof T]: Exclude<T[K], undefined> }
}

const sameAddress = (a: string, b: string): boolean => {
  const strip = (s: string) => (s.includes("%") ? s.slice(0, s.indexOf("%")) : s)
  const x = Text.parseAddress(strip(a))
  const y = Text.parseAddress(strip(b))
  if (Either.isLeft(x) || Either.isLeft(y)) return a === b
  return Text.formatAddress(x.right.bytes) === Text.formatAddress(y.right.bytes) && a.includes("%") === b.includes("%")
}

const readPassword = (file: string, options: ParseOptions, at: Path, report: Report): string | undefined => {
  const full = path.resolve(options.baseDir ?? path.dirname(path.resolve(options.file)), file)
  let text: string
  try {
    text = (options.readFile ?? ((p) => fs.readFileSync(p, "utf8")))(full)
  } catch (e) {
    report(at, `cannot read ${full}: ${errorText(e)}`)
    return undefined
  }
  // A trailing newline is how editors and `echo` end files; it is never part of the key.
  const key = text.replace(/\r?\n$/, "")
  if (key.length === 0) {
    report(at, `${full} is empty`)
    return undefined
  }
  return key
}

const build = (file: S.File, options: ParseOptions, report: Report, warn: Report): Desired => {
  const refs: Array<Policies.PeerRef> = (file.peers ?? []).map((p) => ({ name: p.name ?? p.address, address: p.address, asn: p.asn }))
  const policies = Policies.buildNamed(file.policies ?? {}, refs, report)
  const peers = (file.peers ?? []).map((p, i) => buildPeer(p, ["peers", i], file, policies, refs, options, report))
  const names = new Map<string, number>()
  peers.forEach((p, i) => {
    const name = p.name ?? p.address
    const other = names.get(name)
    if (other !== undefined) {
      report(["peers", i, p.name !== undefined ? "name" : "address"], `${JSON.stringify(name)} is already peers[${other}]; give each peer its own ${p.name !== undefined ? "name" : "address (or a name)"}`)
    }
    names.set(name, i)
    const j = peers.findIndex((q, k) => k < i && sameAddress(q.address, p.address) && (q.port ?? 179) === (p.port ?? 179))
    if (j >= 0 && other === undefined) report(["peers", i, "address"], `the same address as peers[${j}]`)
  })
  const peerFamilies = new Set(peers.flatMap((p) => p.families ?? [familyOfAddress(p.address)]))
  const routes = (file.routes ?? []).map((r, i) => buildRoute(r, ["routes", i], peers, peerFamilies, report, warn))
  return {
    routerId: file.routerId,
    localAs: file.localAs,
    ...(file.listener !== undefined
      ? { listener: { address: file.listener.address ?? defaults.listenerAddress, port: file.listener.port ?? defaults.port } }
      : {}),
    peers,
    routes
  }
}

/** The length of a canonical prefix text (the schema has checked it). */
const prefixLength = (p: string): number => Number(p.slice(p.indexOf("/") + 1))

/** How many prefixes a route entry announces (`split` included). */
export const prefixCount = (r: DesiredState.Route): number => {
  const list = [...(r.prefix !== undefined ? [r.prefix] : []), ...(r.prefixes ?? [])]
  return r.split === undefined ? list.length : list.reduce((n, p) => n + 2 ** (r.split! - prefixLength(p)), 0)
}

const familyOfAddress = (address: string): DesiredState.FamilyName =>
  afiOfText(address) === Family.Afi.Ipv6 ? "ipv6-unicast" : "ipv4-unicast"

const buildPeer = (
  p: S.Peer,
  at: Path,
  file: S.File,
  policies: ReadonlyMap<string, Policy.Policy>,
  refs: ReadonlyArray<Policies.PeerRef>,
  options: ParseOptions,
  report: Report
): DesiredState.PeerConfig => {
  if (p.password !== undefined && p.passwordFile !== undefined) {
    report([...at, "passwordFile"], "give password or passwordFile, not both")
  }
  const md5Password = p.password ?? (p.passwordFile !== undefined ? readPassword(p.passwordFile, options, [...at, "passwordFile"], report) : undefined)
  if (md5Password !== undefined && new TextEncoder().encode(md5Password).length > MAX_MD5) {
    report([...at, p.password !== undefined ? "password" : "passwordFile"], `a TCP-MD5 key is at most ${MAX_MD5} bytes (RFC 2385)`)
  }
  const ttlSecurityHops = p.ttlSecurity === true ? 1 : p.ttlSecurity === false ? undefined : p.ttlSecurity
  if (ttlSecurityHops !== undefined && p.multihopTtl !== undefined) {
    // RFC 5082 §3: GTSM sends with TTL 255, so a multihop TTL would contradict it.
    report([...at, "ttlSecurity"], "ttlSecurity and multihopTtl exclude each other (TTL security always sends TTL 255); give the hop count to ttlSecurity")
  }
  const hold = p.holdTime ?? 90
  if (p.keepaliveTime !== undefined && hold > 0 && p.keepaliveTime >= hold) {
    report([...at, "keepaliveTime"], `must be less than the hold time (${hold}${p.holdTime === undefined ? ", the default" : ""}); a third of it is usual`)
  }
  if (p.sendHoldTime !== undefined && hold > 0 && p.sendHoldTime <= hold) {
    // RFC 9687 §3: the send hold time is meant to be longer than the hold time.
    report([...at, "sendHoldTime"], `must be more than the hold time (${hold}${p.holdTime === undefined ? ", the default" : ""})`)
  }
  if (p.passive === true && file.listener === undefined) {
    report([...at, "passive"], "a passive peer needs a listener: add `listener: { address: \"::\", port: 179 }` at the top level")
  }
  if (p.localAddress !== undefined && afiOfText(p.localAddress) !== afiOfText(p.address)) {
    report([...at, "localAddress"], `${p.localAddress} and the peer's ${p.address} are not of the same IP version`)
  }
  if (p.families !== undefined && p.families.length === 0) report([...at, "families"], "needs at least one family")
  const families = p.families ?? [familyOfAddress(p.address)]
  p.addPathReceive?.forEach((f, i) => {
    if (!families.includes(f)) report([...at, "addPathReceive", i], `${f} is not among the peer's families (${families.join(", ")})`)
  })
  const importPolicy = p.import !== undefined ? Policies.resolve(p.import, policies, [...at, "import"], refs, report) : undefined
  const exportPolicy = p.export !== undefined ? Policies.resolve(p.export, policies, [...at, "export"], refs, report) : undefined
  const gr = p.gracefulRestart
  const gracefulRestart: DesiredState.GracefulRestartConfig | undefined = gr === true ? {} : gr === false || gr === undefined ? undefined : defined({ ...gr })
  const mp = p.maxPrefix
  const maxPrefix: ReadonlyArray<DesiredState.MaxPrefixConfig> | undefined =
    mp === undefined ? undefined : typeof mp === "number" ? [{ limit: mp }] : "limit" in mp ? [defined({ ...mp })] : mp.map((m) => defined({ ...m }))
  return defined({
    name: p.name,
    address: p.address,
    asn: p.asn,
    port: p.port,
    localAddress: p.localAddress,
    passive: p.passive,
    md5Password,
    multihopTtl: p.multihopTtl,
    ttlSecurityHops,
    holdTime: p.holdTime,
    keepaliveTime: p.keepaliveTime,
    sendHoldTime: p.sendHoldTime,
    connectRetryTime: p.connectRetryTime,
    gracefulRestart,
    families: p.families === undefined ? undefined : [...new Set(p.families)],
    addPathReceive: p.addPathReceive === undefined ? undefined : [...new Set(p.addPathReceive)],
    maxPrefix,
    importPolicy,
    exportPolicy
  })
}

const buildRoute = (
  r: S.Route,
  at: Path,
  peers: ReadonlyArray<DesiredState.PeerConfig>,
  peerFamilies: ReadonlySet<string>,
  report: Report,
  warn: Report
): DesiredState.Route => {
  const prefixes = [...(r.prefix !== undefined ? [r.prefix] : []), ...(r.prefixes ?? [])]
  if (r.prefix === undefined && r.prefixes === undefined) report(at, "needs `prefix` or `prefixes`")
  prefixes.forEach((p, i) => {
    const where = r.prefix !== undefined && i === 0 ? [...at, "prefix"] : [...at, "prefixes", r.prefix !== undefined ? i - 1 : i]
    const v6 = afiOfText(p) === Family.Afi.Ipv6
    // An IPv6 route needs an IPv6 next hop (RFC 2545 §3). An IPv6 next hop for an IPv4 route (RFC 8950)
    // would need extended next hop, which the speaker does not negotiate: it refuses such a route at
    // apply, so `check` must refuse it too.
    if (r.nextHop !== undefined && r.nextHop !== "self" && (afiOfText(r.nextHop) === Family.Afi.Ipv6) !== v6) {
      report(
        [...at, "nextHop"],
        v6
          ? `${p} is IPv6: its next hop must be an IPv6 address or "self"`
          : `${p} is IPv4: its next hop must be an IPv4 address or "self" (IPv6 next hops for IPv4 routes, RFC 8950, are not supported)`
      )
    }
    if (!v6 && r.linkLocalNextHop !== undefined) report([...at, "linkLocalNextHop"], `${p} is IPv4: a link-local next hop is for IPv6 routes`)
    if (r.split !== undefined) {
      const issue = DesiredState.splitIssue(prefixLength(p), v6 ? 128 : 32, r.split)
      if (issue !== undefined) report([...at, "split"], `${issue} (${p})`)
    }
    const family = v6 ? "ipv6-unicast" : "ipv4-unicast"
    if (peers.length > 0 && !peerFamilies.has(family)) warn(where, `no peer carries ${family}: this route goes nowhere`)
  })
  if (r.linkLocalNextHop !== undefined && !/^fe[89ab]/i.test(r.linkLocalNextHop)) {
    report([...at, "linkLocalNextHop"], `${r.linkLocalNextHop} is not link-local (fe80::/10)`)
  }
  r.peers?.forEach((name, i) => {
    if (!peers.some((p) => (p.name ?? p.address) === name || sameAddress(p.address, name))) {
      report([...at, "peers", i], `no peer named ${JSON.stringify(name)} (peers are named by \`name\`, else by address)`)
    }
  })
  // Route.peers holds peer names (a name is the address unless set): map addresses given for named peers.
  const peerNames = r.peers?.map((name) => {
    const p = peers.find((q) => (q.name ?? q.address) === name) ?? peers.find((q) => sameAddress(q.address, name))
    return p === undefined ? name : (p.name ?? p.address)
  })
  return defined({
    prefix: r.prefix,
    prefixes: r.prefixes,
    split: r.split,
    nextHop: r.nextHop,
    linkLocalNextHop: r.linkLocalNextHop,
    origin: r.origin,
    asPath: r.asPath,
    asPathPrepend: r.asPathPrepend,
    med: r.med,
    localPref: r.localPref,
    communities: r.communities,
    largeCommunities: r.largeCommunities,
    extendedCommunities: r.extendedCommunities,
    peers: peerNames
  })
}
