/**
 * An immutable view of everything kbgp reads from the cluster: one store per kind, keyed `namespace/name`
 * (namespaced kinds) or `name` (cluster-scoped), plus `synced` — false until every kind has been read once.
 *
 * Snapshots share unchanged stores and objects with their predecessors, so `equals` and `diff` are cheap when
 * little changed (identity first, structure second; `metadata.resourceVersion` is ignored).
 */
import type { KindName, TypeOf } from "./Kinds.js"
import { keyOf as keyOfKind, names } from "./Kinds.js"
import { objectEqual } from "./internal/DeepEqual.js"
import type { CiliumBGPPeeringPolicy } from "./resources/CiliumBGPPeeringPolicy.js"
import type {
  CiliumBGPAdvertisement,
  CiliumBGPClusterConfig,
  CiliumBGPNodeConfig,
  CiliumBGPNodeConfigOverride,
  CiliumBGPPeerConfig
} from "./resources/CiliumBGPv2.js"
import type { CiliumConfig } from "./resources/CiliumConfig.js"
import type { CiliumEgressGatewayPolicy } from "./resources/CiliumEgressGatewayPolicy.js"
import type { CiliumLoadBalancerIPPool } from "./resources/CiliumLoadBalancerIPPool.js"
import type { CiliumNetworkPolicy } from "./resources/CiliumNetworkPolicy.js"
import type { CiliumNode } from "./resources/CiliumNode.js"
import type { EndpointSlice } from "./resources/EndpointSlice.js"
import type { Lease } from "./resources/Lease.js"
import type { Node } from "./resources/Node.js"
import type { Secret } from "./resources/Secret.js"
import type { Service } from "./resources/Service.js"

/** Objects of one kind by key (`namespace/name` or `name`). */
export type Store<A> = ReadonlyMap<string, A>

/** One store per kind. */
export type Stores = { readonly [K in KindName]: Store<TypeOf<K>> }

const EMPTY: ReadonlyMap<string, never> = new Map<string, never>()

export class ClusterSnapshot {
  private constructor(
    /** False until every kind has been listed (or read from disk) once. */
    readonly synced: boolean,
    readonly stores: Stores
  ) {}

  /** @internal use `fromStores` */
  static make(synced: boolean, stores: Stores): ClusterSnapshot {
    return new ClusterSnapshot(synced, stores)
  }

  /** The store of `kind`. */
  store<K extends KindName>(kind: K): Store<TypeOf<K>> {
    return this.stores[kind]
  }

  /** One object by kind and key (`namespace/name` or `name`). */
  get<K extends KindName>(kind: K, key: string): TypeOf<K> | undefined {
    return this.stores[kind].get(key)
  }

  get services(): Store<Service> {
    return this.stores.Service
  }
  get endpointSlices(): Store<EndpointSlice> {
    return this.stores.EndpointSlice
  }
  get nodes(): Store<Node> {
    return this.stores.Node
  }
  get secrets(): Store<Secret> {
    return this.stores.Secret
  }
  get leases(): Store<Lease> {
    return this.stores.Lease
  }
  get ciliumNodes(): Store<CiliumNode> {
    return this.stores.CiliumNode
  }
  /** CiliumBGPPeeringPolicy, including those written as the seed's `CiliumBGPPeerPolicy`. */
  get bgpPeeringPolicies(): Store<CiliumBGPPeeringPolicy> {
    return this.stores.CiliumBGPPeeringPolicy
  }
  get bgpClusterConfigs(): Store<CiliumBGPClusterConfig> {
    return this.stores.CiliumBGPClusterConfig
  }
  get bgpPeerConfigs(): Store<CiliumBGPPeerConfig> {
    return this.stores.CiliumBGPPeerConfig
  }
  get bgpAdvertisements(): Store<CiliumBGPAdvertisement> {
    return this.stores.CiliumBGPAdvertisement
  }
  get bgpNodeConfigOverrides(): Store<CiliumBGPNodeConfigOverride> {
    return this.stores.CiliumBGPNodeConfigOverride
  }
  get bgpNodeConfigs(): Store<CiliumBGPNodeConfig> {
    return this.stores.CiliumBGPNodeConfig
  }
  get loadBalancerIPPools(): Store<CiliumLoadBalancerIPPool> {
    return this.stores.CiliumLoadBalancerIPPool
  }
  get egressGatewayPolicies(): Store<CiliumEgressGatewayPolicy> {
    return this.stores.CiliumEgressGatewayPolicy
  }
  get networkPolicies(): Store<CiliumNetworkPolicy> {
    return this.stores.CiliumNetworkPolicy
  }
  /** Seed 004's agent-level `CiliumConfig` (manifests only). */
  get ciliumConfigs(): Store<CiliumConfig> {
    return this.stores.CiliumConfig
  }

  /** Object count per kind (kinds with none left out), for logs and the CLI. */
  counts(): Partial<Record<KindName, number>> {
    const out: Partial<Record<KindName, number>> = {}
    for (const k of names) {
      const n = this.stores[k].size
      if (n > 0) out[k] = n
    }
    return out
  }
}

const emptyStores = (): Stores => {
  const s: Partial<Record<KindName, Store<unknown>>> = {}
  for (const k of names) s[k] = EMPTY
  return s as Stores
}

/** No objects, not synced: what a source holds before its first read. */
export const empty: ClusterSnapshot = ClusterSnapshot.make(false, emptyStores())

/** A snapshot from the given stores; kinds left out are empty. The maps are kept as they are (not copied). */
export const fromStores = (stores: Partial<Stores>, synced: boolean): ClusterSnapshot =>
  ClusterSnapshot.make(synced, { ...emptyStores(), ...stores })

/** A snapshot from lists of objects: `fromObjects({ Service: [svc] }, true)`. Keys come from metadata. */
export const fromObjects = (
  objects: { readonly [K in KindName]?: ReadonlyArray<TypeOf<K>> },
  synced: boolean
): ClusterSnapshot => {
  const stores: Partial<Record<KindName, Store<unknown>>> = {}
  for (const k of names) {
    const list = objects[k] as ReadonlyArray<{ metadata: { name: string; namespace?: string } }> | undefined
    if (list === undefined) continue
    stores[k] = new Map(list.map((o) => [keyOfKind(k, o), o]))
  }
  return fromStores(stores as Partial<Stores>, synced)
}

/** Same snapshot with another `synced` flag. */
export const withSynced = (s: ClusterSnapshot, synced: boolean): ClusterSnapshot =>
  s.synced === synced ? s : ClusterSnapshot.make(synced, s.stores)

/** Same snapshot with one store replaced. */
export const withStore = <K extends KindName>(s: ClusterSnapshot, kind: K, store: Store<TypeOf<K>>): ClusterSnapshot =>
  ClusterSnapshot.make(s.synced, { ...s.stores, [kind]: store })

const storeEqual = (a: Store<unknown>, b: Store<unknown>): boolean => {
  if (a === b) return true
  if (a.size !== b.size) return false
  for (const [k, v] of a) {
    if (!b.has(k)) return false
    if (!objectEqual(v, b.get(k))) return false
  }
  return true
}

/** True when both snapshots hold the same objects (ignoring resourceVersion) and the same `synced`. */
export const equals = (a: ClusterSnapshot, b: ClusterSnapshot): boolean => {
  if (a === b) return true
  if (a.synced !== b.synced) return false
  for (const k of names) if (!storeEqual(a.stores[k], b.stores[k])) return false
  return true
}

export interface KindDiff {
  readonly added: ReadonlyArray<string>
  readonly updated: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
}

export interface SnapshotDiff {
  readonly syncedChanged: boolean
  /** Only kinds with changes. */
  readonly kinds: Partial<Record<KindName, KindDiff>>
}

/** What changed from `before` to `after`, per kind and key. */
export const diff = (before: ClusterSnapshot, after: ClusterSnapshot): SnapshotDiff => {
  const kinds: Partial<Record<KindName, KindDiff>> = {}
  for (const k of names) {
    const a: Store<unknown> = before.stores[k]
    const b: Store<unknown> = after.stores[k]
    if (a === b) continue
    const added: Array<string> = []
    const updated: Array<string> = []
    const removed: Array<string> = []
    for (const [key, v] of b) {
      if (!a.has(key)) added.push(key)
      else if (!objectEqual(a.get(key), v)) updated.push(key)
    }
    for (const key of a.keys()) if (!b.has(key)) removed.push(key)
    if (added.length + updated.length + removed.length > 0) kinds[k] = { added, updated, removed }
  }
  return { syncedChanged: before.synced !== after.synced, kinds }
}

export const isEmptyDiff = (d: SnapshotDiff): boolean => !d.syncedChanged && Object.keys(d.kinds).length === 0

/** One-line summary, e.g. `Service +1 ~2 -0, Node +3`, for logs. */
export const formatDiff = (d: SnapshotDiff): string => {
  const parts = Object.entries(d.kinds).map(
    ([k, v]) => `${k} +${v.added.length} ~${v.updated.length} -${v.removed.length}`
  )
  if (d.syncedChanged) parts.unshift("synced changed")
  return parts.length === 0 ? "no changes" : parts.join(", ")
}
