/**
 * Shared pieces of the `bun run speaker` scenarios: the daemon's config facing the lab's BIRD.
 */
import * as Lab from "../../src/lab/Lab.js"
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
