/**
 * The registry of every kind kbgp reads: where it is served (group, versions, plural, scope) and its schema.
 *
 * - `name` is the store key in `ClusterSnapshot` and the canonical Kubernetes `kind`.
 * - `versions` lists the served versions kbgp understands, preferred first. The API source watches the first
 *   one the server has (a 404 on list means "try the next one, or none of this kind"); manifests may use any.
 *   The same fields are read from every listed version.
 * - `aliases` are other `kind` spellings accepted in manifests only, stored under `name`:
 *   `CiliumBGPPeerPolicy` (the seed guide's spelling) is a `CiliumBGPPeeringPolicy`. No cluster serves it.
 * - `watch: false` kinds exist only as manifests (no CRD in a real cluster): `CiliumConfig` (seed 004).
 */
import { Data, Either, ParseResult, Schema } from "effect"
import { CiliumBGPPeeringPolicy } from "./resources/CiliumBGPPeeringPolicy.js"
import {
  CiliumBGPAdvertisement,
  CiliumBGPClusterConfig,
  CiliumBGPNodeConfig,
  CiliumBGPNodeConfigOverride,
  CiliumBGPPeerConfig
} from "./resources/CiliumBGPv2.js"
import { CiliumConfig } from "./resources/CiliumConfig.js"
import { CiliumEgressGatewayPolicy } from "./resources/CiliumEgressGatewayPolicy.js"
import { CiliumLoadBalancerIPPool } from "./resources/CiliumLoadBalancerIPPool.js"
import { CiliumNetworkPolicy } from "./resources/CiliumNetworkPolicy.js"
import { CiliumNode } from "./resources/CiliumNode.js"
import { EndpointSlice } from "./resources/EndpointSlice.js"
import { Lease } from "./resources/Lease.js"
import { Node } from "./resources/Node.js"
import { Secret } from "./resources/Secret.js"
import { Service } from "./resources/Service.js"

export interface KindDef<Name extends string, A, I> {
  readonly name: Name
  /** API group, `""` for core. */
  readonly group: string
  /** Preferred served version (`versions[0]`). */
  readonly version: string
  /** `group/version` (or `v1` for core) of the preferred version. */
  readonly apiVersion: string
  /** Every accepted version, preferred first. */
  readonly versions: ReadonlyArray<string>
  readonly plural: string
  readonly namespaced: boolean
  /** Other `kind` names accepted in manifests, stored under `name`. */
  readonly aliases: ReadonlyArray<string>
  /** Whether the API source watches it (false: manifests only). */
  readonly watch: boolean
  /** Whether the kind has a `/status` subresource kbgp may write. */
  readonly statusSubresource: boolean
  readonly schema: Schema.Schema<A, I>
}

const def = <const Name extends string, A, I>(d: {
  readonly name: Name
  readonly group: string
  readonly versions: readonly [string, ...Array<string>]
  readonly plural: string
  readonly namespaced: boolean
  readonly aliases?: ReadonlyArray<string>
  readonly watch?: boolean
  readonly statusSubresource?: boolean
  readonly schema: Schema.Schema<A, I>
}): KindDef<Name, A, I> => ({
  name: d.name,
  group: d.group,
  version: d.versions[0],
  apiVersion: d.group === "" ? d.versions[0] : `${d.group}/${d.versions[0]}`,
  versions: d.versions,
  plural: d.plural,
  namespaced: d.namespaced,
  aliases: d.aliases ?? [],
  watch: d.watch ?? true,
  statusSubresource: d.statusSubresource ?? false,
  schema: d.schema
})

/** Every kind, by name. Iteration order is the order below (stable, used for display). */
export const Kinds = {
  Service: def({
    name: "Service",
    group: "",
    versions: ["v1"],
    plural: "services",
    namespaced: true,
    statusSubresource: true,
    schema: Service
  }),
  EndpointSlice: def({
    name: "EndpointSlice",
    group: "discovery.k8s.io",
    versions: ["v1"],
    plural: "endpointslices",
    namespaced: true,
    schema: EndpointSlice
  }),
  Node: def({ name: "Node", group: "", versions: ["v1"], plural: "nodes", namespaced: false, schema: Node }),
  Secret: def({ name: "Secret", group: "", versions: ["v1"], plural: "secrets", namespaced: true, schema: Secret }),
  Lease: def({
    name: "Lease",
    group: "coordination.k8s.io",
    versions: ["v1"],
    plural: "leases",
    namespaced: true,
    schema: Lease
  }),
  CiliumNode: def({
    name: "CiliumNode",
    group: "cilium.io",
    versions: ["v2"],
    plural: "ciliumnodes",
    namespaced: false,
    schema: CiliumNode
  }),
  CiliumBGPPeeringPolicy: def({
    name: "CiliumBGPPeeringPolicy",
    group: "cilium.io",
    versions: ["v2alpha1"],
    plural: "ciliumbgppeeringpolicies",
    namespaced: false,
    aliases: ["CiliumBGPPeerPolicy"],
    schema: CiliumBGPPeeringPolicy
  }),
  CiliumBGPClusterConfig: def({
    name: "CiliumBGPClusterConfig",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumbgpclusterconfigs",
    namespaced: false,
    statusSubresource: true,
    schema: CiliumBGPClusterConfig
  }),
  CiliumBGPPeerConfig: def({
    name: "CiliumBGPPeerConfig",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumbgppeerconfigs",
    namespaced: false,
    statusSubresource: true,
    schema: CiliumBGPPeerConfig
  }),
  CiliumBGPAdvertisement: def({
    name: "CiliumBGPAdvertisement",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumbgpadvertisements",
    namespaced: false,
    schema: CiliumBGPAdvertisement
  }),
  CiliumBGPNodeConfigOverride: def({
    name: "CiliumBGPNodeConfigOverride",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumbgpnodeconfigoverrides",
    namespaced: false,
    schema: CiliumBGPNodeConfigOverride
  }),
  CiliumBGPNodeConfig: def({
    name: "CiliumBGPNodeConfig",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumbgpnodeconfigs",
    namespaced: false,
    statusSubresource: true,
    schema: CiliumBGPNodeConfig
  }),
  CiliumLoadBalancerIPPool: def({
    name: "CiliumLoadBalancerIPPool",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumloadbalancerippools",
    namespaced: false,
    statusSubresource: true,
    schema: CiliumLoadBalancerIPPool
  }),
  CiliumEgressGatewayPolicy: def({
    name: "CiliumEgressGatewayPolicy",
    group: "cilium.io",
    versions: ["v2", "v2alpha1"],
    plural: "ciliumegressgatewaypolicies",
    namespaced: false,
    schema: CiliumEgressGatewayPolicy
  }),
  CiliumNetworkPolicy: def({
    name: "CiliumNetworkPolicy",
    group: "cilium.io",
    versions: ["v2"],
    plural: "ciliumnetworkpolicies",
    namespaced: true,
    schema: CiliumNetworkPolicy
  }),
  CiliumConfig: def({
    name: "CiliumConfig",
    group: "cilium.io",
    versions: ["v2alpha1"],
    plural: "ciliumconfigs",
    namespaced: false,
    watch: false,
    schema: CiliumConfig
  })
} as const

export type Registry = typeof Kinds
export type KindName = keyof Registry

/** The decoded type of a kind: `TypeOf<"Service">` is `Service`. */
export type TypeOf<K extends KindName> = Schema.Schema.Type<Registry[K]["schema"]>
/** The JSON (encoded) type of a kind. */
export type EncodedOf<K extends KindName> = Schema.Schema.Encoded<Registry[K]["schema"]>

/** A kind's definition, with its own types. */
export type KindOf<K extends KindName> = Registry[K]

export const names: ReadonlyArray<KindName> = Object.keys(Kinds) as Array<KindName>

export const all: ReadonlyArray<Registry[KindName]> = names.map((n) => Kinds[n])

export const get = <K extends KindName>(name: K): Registry[K] => Kinds[name]

export const isKindName = (s: string): s is KindName => Object.prototype.hasOwnProperty.call(Kinds, s)

/** Splits `apiVersion` into group and version: `v1` → `["", "v1"]`, `cilium.io/v2` → `["cilium.io", "v2"]`. */
export const parseApiVersion = (apiVersion: string): { readonly group: string; readonly version: string } => {
  const i = apiVersion.lastIndexOf("/")
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) }
}

export type ResolveResult =
  | { readonly _tag: "Found"; readonly kind: KindName }
  /** The kind is known but not under this apiVersion (e.g. `cilium.io/v2` CiliumBGPPeeringPolicy). */
  | { readonly _tag: "WrongVersion"; readonly kind: KindName; readonly expected: ReadonlyArray<string> }
  | { readonly _tag: "Unknown" }

/** Finds the registry entry for a manifest's `apiVersion` and `kind` (aliases included). */
export const resolve = (apiVersion: string, kind: string): ResolveResult => {
  const { group, version } = parseApiVersion(apiVersion)
  for (const name of names) {
    const d = Kinds[name]
    if (d.name !== kind && !d.aliases.includes(kind)) continue
    if (d.group === group && d.versions.includes(version)) return { _tag: "Found", kind: name }
    return {
      _tag: "WrongVersion",
      kind: name,
      expected: d.versions.map((v) => (d.group === "" ? v : `${d.group}/${v}`))
    }
  }
  return { _tag: "Unknown" }
}

/** Store key: `namespace/name` for namespaced kinds, `name` otherwise. */
export const objectKey = (namespaced: boolean, namespace: string | undefined, name: string): string =>
  namespaced ? `${namespace ?? "default"}/${name}` : name

/** The store key of a decoded object of `kind`. */
export const keyOf = <K extends KindName>(
  kind: K,
  obj: { readonly metadata: { readonly name: string; readonly namespace?: string } }
): string => objectKey(Kinds[kind].namespaced, obj.metadata.namespace, obj.metadata.name)

// ---------------------------------------------------------------------------------------------------------------
// Decoding

export interface DecodeIssue {
  /** Field path, e.g. `spec.ports[0].port`. */
  readonly path: string
  /** The same path as keys and indexes (`["spec", "ports", 0, "port"]`), e.g. to find the field in a YAML file. */
  readonly at: ReadonlyArray<string | number>
  readonly message: string
}

/** An object that did not match its kind's schema. The object is skipped; watches and other objects go on. */
export class ObjectDecodeError extends Data.TaggedError("ObjectDecodeError")<{
  readonly reason: "NotAnObject" | "Schema"
  readonly kind: string
  /** `namespace/name` or `name` when the object carries them, else undefined. */
  readonly object: string | undefined
  readonly issues: ReadonlyArray<DecodeIssue>
}> {
  override get message(): string {
    const what = this.object === undefined ? this.kind : `${this.kind} ${this.object}`
    const detail = this.issues.map((i) => (i.path === "" ? i.message : `${i.path}: ${i.message}`)).join("; ")
    return `${what}: ${detail}`
  }
}

/** `["spec", "ports", 0, "port"]` → `spec.ports[0].port`. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`
    else out += out === "" ? String(p) : `.${String(p)}`
  }
  return out
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const describeObject = (namespaced: boolean, json: unknown): string | undefined => {
  if (!isRecord(json) || !isRecord(json["metadata"])) return undefined
  const name = json["metadata"]["name"]
  const ns = json["metadata"]["namespace"]
  if (typeof name !== "string") return undefined
  return namespaced && typeof ns === "string" ? `${ns}/${name}` : name
}

const decoders = new Map<KindName, (u: unknown) => Either.Either<unknown, ParseResult.ParseError>>()
const decoderFor = (kind: KindName) => {
  let d = decoders.get(kind)
  if (d === undefined) {
    d = Schema.decodeUnknownEither(Kinds[kind].schema as Schema.Schema<unknown, unknown>, { errors: "all" })
    decoders.set(kind, d)
  }
  return d
}

/**
 * The issues worth showing. An optional field is `value | null | undefined` and an enum is a union of literals,
 * so one wrong value yields an issue per union member, and "Expected null" / "Expected undefined" at every
 * enclosing field. Keep only issues no other issue lies under, and merge the union members' expectations at
 * one path into one line: `Expected "ClusterIP" | "NodePort" | …, actual "Loadbalancer"`.
 */
const leafIssues = (raw: ReadonlyArray<ParseResult.ArrayFormatterIssue>): ReadonlyArray<DecodeIssue> => {
  const under = (outer: ReadonlyArray<PropertyKey>, inner: ReadonlyArray<PropertyKey>) =>
    inner.length > outer.length && outer.every((k, i) => inner[i] === k)
  const kept = raw.filter((i) => !raw.some((j) => under(i.path, j.path)))
  const byPath = new Map<string, Array<string>>()
  const segments = new Map<string, ReadonlyArray<string | number>>()
  for (const i of kept) {
    const path = formatPath(i.path)
    const list = byPath.get(path) ?? []
    if (!list.includes(i.message)) list.push(i.message)
    byPath.set(path, list)
    segments.set(path, i.path.map((k) => (typeof k === "number" ? k : String(k))))
  }
  const out: Array<DecodeIssue> = []
  for (const [path, all] of byPath) {
    const at = segments.get(path) ?? []
    // `null` is accepted wherever a field is optional: say what was expected instead.
    const informative = all.filter((m) => !/^Expected (null|undefined), actual /s.test(m))
    const messages = informative.length > 0 ? informative : all
    const parsed = messages.map((m) => /^Expected (.*), actual (.*)$/s.exec(m))
    if (messages.length > 1 && parsed.every((m) => m !== null) && new Set(parsed.map((m) => m![2])).size === 1) {
      const expected = parsed.map((m) => m![1]!).filter((e) => e !== "null" && e !== "undefined")
      out.push({ path, at, message: `Expected ${expected.join(" | ")}, actual ${parsed[0]![2]}` })
    } else {
      for (const message of messages) out.push({ path, at, message })
    }
  }
  return out
}

/** Decodes one object of `kind` (unknown fields ignored), or says which object and which fields are wrong. */
export const decodeObject = <K extends KindName>(kind: K, json: unknown): Either.Either<TypeOf<K>, ObjectDecodeError> => {
  const d = Kinds[kind]
  if (!isRecord(json)) {
    return Either.left(
      new ObjectDecodeError({
        reason: "NotAnObject",
        kind,
        object: undefined,
        issues: [{ path: "", at: [], message: `expected an object, got ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}` }]
      })
    )
  }
  const result = decoderFor(kind)(json)
  if (Either.isRight(result)) return Either.right(result.right as TypeOf<K>)
  const issues = leafIssues(ParseResult.ArrayFormatter.formatErrorSync(result.left))
  return Either.left(
    new ObjectDecodeError({ reason: "Schema", kind, object: describeObject(d.namespaced, json), issues })
  )
}

/** Encodes a decoded object back to JSON (for writes and for showing objects). */
export const encodeObject = <K extends KindName>(kind: K, value: TypeOf<K>): EncodedOf<K> =>
  Schema.encodeSync(Kinds[kind].schema as Schema.Schema<unknown, unknown>)(value) as EncodedOf<K>
