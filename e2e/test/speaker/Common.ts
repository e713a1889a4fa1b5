/**
 * Shared pieces of the `bun run speaker` scenarios: the daemon's config facing the lab's
 * BIRD, and BIRD-side probes (its table from kbgp, the protocol's "since" time).
 */
import { type Duration, Effect, Option } from "effect"
import * as Bird from "../../src/lab/Bird.js"
import * as Lab from "../../src/lab/Lab.js"
import type * as LabError from "../../src/lab/LabError.js"
import * as Poll from "../../src/lab/Poll.js"
import type * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"

export interface PeerOptions {
  readonly family: "ipv4" | "ipv6"
  /** iBGP: kbgp in BIRD's AS. */
  readonly internal?: boolean
  readonly gracefulRestart?: SpeakerProcess.PeerConfig["gracefulRestart"]
}

/** kbgp's peer facing BIRD: connects from its lab address, lab-short hold and retry times. */
export const birdPeer = (lab: Lab.Lab, o: PeerOptions): SpeakerProcess.PeerConfig => {
  const v6 = o.family === "ipv6"
  return {
    name: "bird",
    address: v6 ? lab.bird.v6 : lab.bird.v4,
    asn: Lab.BIRD_AS,
    localAddress: v6 ? lab.kbgp.v6 : lab.kbgp.v4,
    holdTime: 9,
    connectRetryTime: 2,
    ...(o.gracefulRestart !== undefined ? { gracefulRestart: o.gracefulRestart } : {})
  }
}

/** A daemon config with one peer (BIRD) and these routes. */
export const config = (
  lab: Lab.Lab,
  peer: PeerOptions,
  routes: ReadonlyArray<SpeakerProcess.RouteConfig>
): SpeakerProcess.Config => ({
  routerId: lab.kbgp.v4,
  localAs: peer.internal ? Lab.BIRD_AS : Lab.KBGP_AS,
  peers: [birdPeer(lab, peer)],
  routes
})

/** BIRD's routes from protocol `proto`, by prefix, once `ok` holds for them. */
export const birdTableWhen = (
  bird: Bird.Bird,
  proto: string,
  ok: (routes: ReadonlyMap<string, Bird.Route>) => boolean,
  what: string,
  timeout: Duration.DurationInput = "15 seconds"
): Effect.Effect<ReadonlyMap<string, Bird.Route>, LabError.LabError> =>
  Poll.until(
    Effect.map(Bird.routesFrom(bird, proto), (routes) => {
      const byPrefix = new Map(routes.map((r) => [r.prefix, r]))
      return ok(byPrefix) ? Option.some(byPrefix) : Option.none()
    }),
    { what: `BIRD ${proto}: ${what}`, timeout, interval: "100 millis" }
  )

/** BIRD's routes from `proto` once it holds exactly `prefixes`. */
export const birdTableExactly = (
  bird: Bird.Bird,
  proto: string,
  prefixes: ReadonlyArray<string>,
  timeout: Duration.DurationInput = "15 seconds"
): Effect.Effect<ReadonlyMap<string, Bird.Route>, LabError.LabError> =>
  birdTableWhen(
    bird,
    proto,
    (m) => m.size === prefixes.length && prefixes.every((p) => m.has(p)),
    `exactly ${prefixes.length} prefixes (${prefixes.slice(0, 4).join(", ")}${prefixes.length > 4 ? ", ..." : ""})`,
    timeout
  )

/**
 * The "Since" column of `show protocols NAME`: when the protocol last changed state. It stays
 * the same as long as the session is not reset.
 */
export const since = (bird: Bird.Bird, proto: string): Effect.Effect<string, LabError.LabError> =>
  Effect.map(Bird.protocolLine(bird, proto), (line) => line.split(/\s{2,}/)[4] ?? line)
