/**
 * Session profiles for the fuzzer: an FSM config for our side, the peer's OPEN
 * (the OPEN a mirrored config would send), and the FSM states a case may start
 * in. A profile is plain data, so a corpus file names it in a `# profile: NAME`
 * comment line and the replay test rebuilds exactly the same states.
 */
import { Family } from "@kbgp/wire"
import type { Context } from "@kbgp/wire"
import { Config, Event, Fsm, Negotiation, State } from "@kbgp/fsm"

export interface Profile {
  readonly name: string
  readonly localAs: number
  readonly peerAs: number
  /** RFC 6793 on both sides. */
  readonly asn4: boolean
  /** RFC 8654 on both sides. */
  readonly extendedMessage: boolean
  /** RFC 7911: families with path ids in both directions. */
  readonly addPath: ReadonlyArray<number>
  /** RFC 4760 families on both sides. */
  readonly families: ReadonlyArray<number>
  /** RFC 8950: IPv4 unicast with IPv6 next hops. */
  readonly extendedNextHop: boolean
  /** RFC 4724 with the RFC 8538 N bit (Hard Reset wrapping) on both sides. */
  readonly gracefulRestart: boolean
  /** DelayOpen (RFC 4271 §8.1.1) on our side. */
  readonly delayOpen: boolean
}

const V4 = Family.Ipv4Unicast
const V6 = Family.Ipv6Unicast

export const profiles: ReadonlyArray<Profile> = [
  { name: "ebgp-asn4", localAs: 65001, peerAs: 65002, asn4: true, extendedMessage: false, addPath: [], families: [V4], extendedNextHop: false, gracefulRestart: false, delayOpen: false },
  { name: "ebgp-asn2", localAs: 65001, peerAs: 65002, asn4: false, extendedMessage: false, addPath: [], families: [V4, V6], extendedNextHop: false, gracefulRestart: false, delayOpen: false },
  { name: "ibgp-ext-addpath", localAs: 4200000001, peerAs: 4200000001, asn4: true, extendedMessage: true, addPath: [V4, V6], families: [V4, V6], extendedNextHop: true, gracefulRestart: true, delayOpen: false },
  { name: "ebgp-ext-v6", localAs: 64512, peerAs: 4200000002, asn4: true, extendedMessage: true, addPath: [], families: [V4, V6], extendedNextHop: true, gracefulRestart: true, delayOpen: true }
]

/** States a case may start in: every state that reads messages from a connection. */
export const startStates = ["Connect", "Active", "DelayOpen", "OpenSent", "OpenConfirm", "Established"] as const
export type StartState = (typeof startStates)[number]

export const LOCAL_ID = 0x0a000001
export const PEER_ID = 0x0a000002

const configFor = (p: Profile, side: "local" | "peer"): Config.Config =>
  Config.make({
    localAs: side === "local" ? p.localAs : p.peerAs,
    peerAs: side === "local" ? p.peerAs : p.localAs,
    bgpId: side === "local" ? LOCAL_ID : PEER_ID,
    holdTime: 9,
    ...(p.delayOpen && side === "local" ? { delayOpenTime: 5 } : {}),
    capabilities: {
      families: p.families,
      asn4: p.asn4,
      extendedMessage: p.extendedMessage,
      addPath: p.addPath.map((family) => ({ family, mode: "both" as const })),
      extendedNextHop: p.extendedNextHop ? [V4] : [],
      ...(p.gracefulRestart ? { gracefulRestart: { restartTime: 120, restarting: false, notification: true } } : {})
    }
  })

export interface Built {
  readonly profile: Profile
  readonly config: Config.Config
  /** The OPEN the peer sends (our config mirrored). */
  readonly peerOpen: ReturnType<typeof Negotiation.localOpen>
  readonly states: Readonly<Record<StartState, State.State>>
  /** The decode context once negotiated (what the peer sends us). */
  readonly rx: Context.Context
}

export const build = (p: Profile): Built => {
  const config = configFor(p, "local")
  const peerOpen = Negotiation.localOpen(configFor(p, "peer"))
  const reach = (events: ReadonlyArray<Event.Event>, from = State.initial(7)): State.State => Fsm.run(config, from, events)[0]
  const connect = reach([Event.of("ManualStart")])
  const active = reach([Event.of("ManualStart_with_PassiveTcpEstablishment")])
  // With DelayOpen the connection waits in Connect for the peer's OPEN; without it, it goes to OpenSent.
  const afterConnect = reach([Event.of("Tcp_CR_Acked")], connect)
  const openSent = afterConnect.delayOpenRunning ? reach([Event.of("DelayOpenTimer_Expires")], afterConnect) : afterConnect
  const openConfirm = reach([{ _tag: "BGPOpen", open: peerOpen }], openSent)
  const established = reach([Event.of("KeepAliveMsg")], openConfirm)
  if (established.name !== "Established" || established.negotiated === undefined) {
    throw new Error(`fuzz profile ${p.name} does not reach Established (${established.name})`)
  }
  return {
    profile: p,
    config,
    peerOpen,
    states: { Connect: connect, Active: active, DelayOpen: afterConnect, OpenSent: openSent, OpenConfirm: openConfirm, Established: established },
    rx: established.negotiated.rx
  }
}
