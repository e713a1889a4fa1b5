/**
 * The `Rib` service: one `Core` behind a lock, publishing every non-empty `Diff` on a
 * PubSub in the order the operations ran. Mutations go through the service (or `update`);
 * queries may read the core directly between operations (`query`).
 */
import { Context, Effect, Layer, PubSub, type Queue, type Scope, Stream } from "effect"
import type { Attributes, Family, Message, Prefixes } from "@kbgp/wire"
import * as Core from "./Core.js"
import * as Diff from "./Diff.js"
import type { PeerConfig, PeerId, PeerSession } from "./Peer.js"

export interface Service {
  /** The core, for reads. Do not mutate it outside `update`: diffs would not be published. */
  readonly core: Core.Core
  /** Run `f` on the core under the lock and publish the diff it returns (when not empty). */
  readonly update: (f: (core: Core.Core) => Diff.Diff) => Effect.Effect<Diff.Diff>
  /** Run several operations as one coalesced diff (`Core.batch`) and publish it. */
  readonly batch: (f: (core: Core.Core) => void) => Effect.Effect<Diff.Diff>
  /** Read under the lock (never sees half an operation). */
  readonly query: <A>(f: (core: Core.Core) => A) => Effect.Effect<A>
  /** Diffs published from the moment the stream starts running. */
  readonly changes: Stream.Stream<Diff.Diff>
  /** A subscription that starts now (no diff published after this returns is missed), for the scope. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<Diff.Diff>, never, Scope.Scope>

  readonly addPeer: (config: PeerConfig) => Effect.Effect<PeerId>
  readonly configurePeer: (peer: PeerId, config: PeerConfig) => Effect.Effect<Diff.Diff>
  readonly removePeer: (peer: PeerId) => Effect.Effect<Diff.Diff>
  readonly peerUp: (peer: PeerId, session: PeerSession) => Effect.Effect<Diff.Diff>
  readonly peerDown: (peer: PeerId, options?: { readonly keepRoutes?: boolean }) => Effect.Effect<Diff.Diff>
  readonly applyUpdate: (peer: PeerId, update: Message.Update) => Effect.Effect<Diff.Diff>
  readonly announce: (
    peer: PeerId,
    family: Family.FamilyKey,
    prefixes: Prefixes.Prefixes,
    attributes: Attributes.Attributes
  ) => Effect.Effect<Diff.Diff>
  readonly withdraw: (peer: PeerId, family: Family.FamilyKey, prefixes: Prefixes.Prefixes) => Effect.Effect<Diff.Diff>
  readonly replace: (peer: PeerId, family: Family.FamilyKey, routes: ReadonlyArray<Core.RouteInput>) => Effect.Effect<Diff.Diff>
  readonly markStale: (
    peer: PeerId,
    options?: { readonly families?: ReadonlyArray<Family.FamilyKey>; readonly llgr?: boolean }
  ) => Effect.Effect<Diff.Diff>
  readonly sweepStale: (peer: PeerId, families?: ReadonlyArray<Family.FamilyKey>) => Effect.Effect<Diff.Diff>
}

export class Rib extends Context.Tag("@kbgp/rib/Rib")<Rib, Service>() {}

/** A `Rib` over a new core; the PubSub is shut down with the scope. */
export const make = (options: Core.Options): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const core = Core.make(options)
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<Diff.Diff>(), PubSub.shutdown)
    const lock = yield* Effect.makeSemaphore(1)

    const update = (f: (core: Core.Core) => Diff.Diff): Effect.Effect<Diff.Diff> =>
      lock.withPermits(1)(
        Effect.suspend(() => {
          const d = f(core)
          return Diff.isEmpty(d) ? Effect.succeed(d) : Effect.as(PubSub.publish(hub, d), d)
        })
      )

    const query = <A>(f: (core: Core.Core) => A): Effect.Effect<A> => lock.withPermits(1)(Effect.sync(() => f(core)))

    return {
      core,
      update,
      batch: (f) => update((c) => c.batch(() => f(c))),
      query,
      changes: Stream.fromPubSub(hub),
      subscribe: PubSub.subscribe(hub),
      addPeer: (config) => query((c) => c.addPeer(config)),
      configurePeer: (peer, config) => update((c) => c.configurePeer(peer, config)),
      removePeer: (peer) => update((c) => c.removePeer(peer)),
      peerUp: (peer, session) => update((c) => c.peerUp(peer, session)),
      peerDown: (peer, o) => update((c) => c.peerDown(peer, o)),
      applyUpdate: (peer, u) => update((c) => c.applyUpdate(peer, u)),
      announce: (peer, family, prefixes, attributes) => update((c) => c.announce(peer, family, prefixes, attributes)),
      withdraw: (peer, family, prefixes) => update((c) => c.withdraw(peer, family, prefixes)),
      replace: (peer, family, routes) => update((c) => c.replace(peer, family, routes)),
      markStale: (peer, o) => update((c) => c.markStale(peer, o)),
      sweepStale: (peer, families) => update((c) => c.sweepStale(peer, families))
    } satisfies Service
  })

export const layer = (options: Core.Options): Layer.Layer<Rib> => Layer.scoped(Rib, make(options))
