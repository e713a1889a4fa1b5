/**
 * A fake `Speaker` for the daemon's tests: it records every `apply` and `stop`,
 * answers introspection from what the test sets, and reports a plausible
 * `ApplyResult` (peers by name, prefixes by text), so reload logic, the status
 * endpoint and signal handling are tested without sessions.
 */
import { Effect, PubSub, Queue, Ref, Stream } from "effect"
import type { DesiredState, Introspection, Speaker } from "@kbgp/speaker"
import { SpeakerError } from "@kbgp/speaker"

export interface Recorded {
  readonly applies: Array<DesiredState.DesiredState>
  readonly stops: Array<Speaker.StopOptions | undefined>
}

export interface FakeSpeaker extends Speaker.Speaker {
  readonly recorded: Recorded
  readonly setPeers: (peers: ReadonlyArray<Introspection.PeerStatus>) => Effect.Effect<void>
  readonly setRoutes: (peer: string, direction: Introspection.Direction, routes: ReadonlyArray<Introspection.RouteView>) => Effect.Effect<void>
  /** The next `apply` fails with this error. */
  readonly failNextApply: (e: SpeakerError.SpeakerError) => Effect.Effect<void>
  readonly emit: (e: Speaker.SpeakerEvent) => Effect.Effect<void>
}

const prefixesOf = (d: DesiredState.DesiredState | undefined): Map<string, string> => {
  const out = new Map<string, string>()
  for (const r of d?.routes ?? []) {
    const { prefix, prefixes, ...attrs } = r
    for (const p of [...(prefix !== undefined ? [prefix] : []), ...(prefixes ?? [])]) out.set(p, JSON.stringify(attrs))
  }
  return out
}

const peerKey = (p: DesiredState.PeerConfig): string => JSON.stringify({ ...p, importPolicy: undefined, exportPolicy: undefined })

/** What a real speaker would report for going from `a` to `b` (enough for logs and tests). */
export const diff = (a: DesiredState.DesiredState | undefined, b: DesiredState.DesiredState): Speaker.ApplyResult => {
  const before = new Map((a?.peers ?? []).map((p) => [p.name ?? p.address, p]))
  const after = new Map(b.peers.map((p) => [p.name ?? p.address, p]))
  const pa = prefixesOf(a)
  const pb = prefixesOf(b)
  return {
    peersAdded: [...after.keys()].filter((k) => !before.has(k)),
    peersRemoved: [...before.keys()].filter((k) => !after.has(k)),
    peersReset: [...after.entries()]
      .filter(([k, p]) => before.has(k) && peerKey(before.get(k)!) !== peerKey(p))
      .map(([k]) => ({ peer: k, changed: ["settings"] })),
    peersUpdated: [],
    routesAdded: [...pb.keys()].filter((k) => !pa.has(k)).length,
    routesWithdrawn: [...pa.keys()].filter((k) => !pb.has(k)).length,
    routesChanged: [...pb.entries()].filter(([k, v]) => pa.has(k) && pa.get(k) !== v).length,
    listenerChanged: JSON.stringify(a?.listener) !== JSON.stringify(b.listener)
  }
}

export const counters: Introspection.Counters = {
  peers: 0,
  established: 0,
  localRoutes: { "ipv4-unicast": 0, "ipv6-unicast": 0 },
  updateGroups: 0,
  encodes: 0,
  encodedMessages: 0,
  rejectedConnections: 0,
  applies: 0
}

export const make = (): Effect.Effect<FakeSpeaker> =>
  Effect.gen(function* () {
    const recorded: Recorded = { applies: [], stops: [] }
    const desired = yield* Ref.make<DesiredState.DesiredState | undefined>(undefined)
    const peers = yield* Ref.make<ReadonlyArray<Introspection.PeerStatus>>([])
    const routes = yield* Ref.make(new Map<string, ReadonlyArray<Introspection.RouteView>>())
    const nextFailure = yield* Ref.make<SpeakerError.SpeakerError | undefined>(undefined)
    const events = yield* PubSub.unbounded<Speaker.SpeakerEvent>()
    const fake: FakeSpeaker = {
      recorded,
      apply: (d) =>
        Effect.gen(function* () {
          const failure = yield* Ref.getAndSet(nextFailure, undefined)
          if (failure !== undefined) return yield* Effect.fail(failure)
          recorded.applies.push(d)
          const result = diff(yield* Ref.get(desired), d)
          yield* Ref.set(desired, d)
          yield* PubSub.publish(events, { _tag: "Applied", result })
          return result
        }),
      desired: Ref.get(desired),
      peers: Ref.get(peers),
      peer: (name) => Effect.flatMap(Ref.get(peers), (ps) => {
        const p = ps.find((x) => x.name === name || x.address === name)
        return p !== undefined ? Effect.succeed(p) : Effect.fail(unknownPeer(name))
      }),
      routes: (q) =>
        Effect.gen(function* () {
          const ps = yield* Ref.get(peers)
          const p = ps.find((x) => x.name === q.peer || x.address === q.peer)
          if (p === undefined) return yield* Effect.fail(unknownPeer(q.peer))
          const all = (yield* Ref.get(routes)).get(`${p.name}/${q.direction}`) ?? []
          const rows = q.family === undefined ? all : all.filter((r) => r.family === q.family)
          return q.limit === undefined ? rows : rows.slice(0, q.limit)
        }),
      counters: Effect.map(Ref.get(peers), (ps) => ({
        ...counters,
        peers: ps.length,
        established: ps.filter((p) => p.state === "Established").length,
        applies: recorded.applies.length
      })),
      listener: Effect.map(Ref.get(desired), (d) =>
        d?.listener === undefined ? undefined : { address: d.listener.address, port: d.listener.port ?? 179 }
      ),
      events: Stream.fromPubSub(events),
      subscribe: PubSub.subscribe(events).pipe(Effect.map((q): Queue.Dequeue<Speaker.SpeakerEvent> => q)),
      stop: (options) => Effect.sync(() => void recorded.stops.push(options)),
      setPeers: (ps) => Ref.set(peers, ps),
      setRoutes: (peer, direction, rs) => Ref.update(routes, (m) => new Map(m).set(`${peer}/${direction}`, rs)),
      failNextApply: (e) => Ref.set(nextFailure, e),
      emit: (e) => Effect.asVoid(PubSub.publish(events, e))
    }
    return fake
  })

const unknownPeer = (name: string): SpeakerError.SpeakerError =>
  new SpeakerError.SpeakerError({ reason: "UnknownPeer", path: name, detail: `no peer ${name}` })

const zeroMessages: Introspection.MessageCounters = { total: 0, open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 }

/** A peer status with every field, for tests to override. */
export const peerStatus = (fields: Partial<Introspection.PeerStatus> & Pick<Introspection.PeerStatus, "name" | "address" | "asn">): Introspection.PeerStatus => ({
  port: 179,
  localAddress: undefined,
  passive: false,
  state: "Idle",
  uptime: 0,
  establishedAt: undefined,
  establishedCount: 0,
  negotiated: undefined,
  messages: { received: zeroMessages, sent: zeroMessages },
  families: [],
  lastError: undefined,
  gracefulRestart: "none",
  updateGroup: undefined,
  maxPrefixRestartAt: undefined,
  ...fields
})

/** A route view with every field, for tests to override. */
export const routeView = (fields: Partial<Introspection.RouteView> & Pick<Introspection.RouteView, "prefix">): Introspection.RouteView => ({
  family: fields.prefix.includes(":") ? "ipv6-unicast" : "ipv4-unicast",
  nextHop: undefined,
  origin: "igp",
  asPath: "",
  communities: [],
  largeCommunities: [],
  extendedCommunities: [],
  stale: false,
  llgrStale: false,
  accepted: true,
  ...fields
})
