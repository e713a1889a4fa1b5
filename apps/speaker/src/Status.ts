/**
 * What the status endpoint serves and the CLI reads: the speaker's own
 * introspection views (already JSON-ready, see `@kbgp/speaker` Introspection)
 * wrapped in small documents, plus the daemon's reload bookkeeping.
 */
import { Effect, Ref } from "effect"
import type { Introspection, Speaker } from "@kbgp/speaker"

/** The part of the speaker the status endpoint reads (a fake in tests). */
export type Source = Pick<Speaker.Speaker, "peers" | "routes" | "counters">

export type Direction = Introspection.Direction

/** `GET /v1/peers` */
export interface PeersDocument {
  readonly peers: ReadonlyArray<Introspection.PeerStatus>
}

/** One row of `GET /v1/routes`: the route and where it was seen. */
export type RouteRow = { readonly peer: string; readonly direction: Direction } & Introspection.RouteView

/** `GET /v1/routes` */
export interface RoutesDocument {
  readonly routes: ReadonlyArray<RouteRow>
}

/** The daemon's config reloads, for `/v1/speaker` and `/metrics`. */
export interface Reloads {
  readonly file: string
  /** Successful applies, the first one included. */
  readonly applied: number
  /** Reloads refused (invalid file, or `apply` failed); the running config stayed. */
  readonly failed: number
  /** ms since the epoch of the last successful apply. */
  readonly lastAppliedAt: number | undefined
  /** The last refusal, as logged. */
  readonly lastError: string | undefined
}

/** `GET /v1/speaker` */
export interface SpeakerDocument {
  readonly counters: Introspection.Counters
  readonly config: Reloads
}

export const initialReloads = (file: string): Reloads => ({
  file,
  applied: 0,
  failed: 0,
  lastAppliedAt: undefined,
  lastError: undefined
})

/** Reload bookkeeping shared by the reloader (writes) and the status server (reads). */
export type ReloadsRef = Ref.Ref<Reloads>

export const makeReloads = (file: string): Effect.Effect<ReloadsRef> => Ref.make(initialReloads(file))
