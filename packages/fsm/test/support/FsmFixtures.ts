/** Shared fixtures for the pure FSM tests: a config, the peer's OPEN, states reached by real event sequences. */
import { Capability, Family, Notification, Open, Update, WireError } from "@kbgp/wire"
import type { Message } from "@kbgp/wire"
import type * as Action from "../../src/Action.js"
import * as Config from "../../src/Config.js"
import type * as Event from "../../src/Event.js"
import * as Fsm from "../../src/Fsm.js"
import * as State from "../../src/State.js"

export const LOCAL_AS = 65001
export const PEER_AS = 65002
export const LOCAL_ID = 0x0a000001
export const PEER_ID = 0x0a000002

/** Jitter off so timer durations are exact. */
export const config = (overrides: Partial<Parameters<typeof Config.make>[0]> = {}): Config.Config =>
  Config.make({ localAs: LOCAL_AS, bgpId: LOCAL_ID, peerAs: PEER_AS, jitter: false, ...overrides })

export const peerOpen = (
  fields: { asn?: number; holdTime?: number; bgpId?: number; capabilities?: ReadonlyArray<Capability.Capability> } = {}
): Message.Open =>
  Open.make({
    asn: fields.asn ?? PEER_AS,
    holdTime: fields.holdTime ?? 90,
    bgpId: fields.bgpId ?? PEER_ID,
    capabilities: fields.capabilities ?? [
      { _tag: "Multiprotocol", afi: Family.Afi.Ipv4, safi: Family.Safi.Unicast },
      { _tag: "RouteRefresh" },
      { _tag: "FourOctetAs", asn: fields.asn ?? PEER_AS }
    ]
  })

export const open = (o: Message.Open = peerOpen()): Event.Event => ({ _tag: "BGPOpen", open: o })
export const notif = (code: number, subcode: number, data?: Uint8Array): Event.Event => ({
  _tag: "NotifMsg",
  notification: Notification.make(code, subcode, data)
})
export const update: Message.Update = Update.endOfRib(Family.Afi.Ipv4, Family.Safi.Unicast)
export const wireError = (code: number, subcode: number, data?: Uint8Array): WireError.WireError =>
  WireError.make(code === 1 ? "Header" : code === 2 ? "Open" : "Update", code, subcode, "test error", data)

export const ev = (tag: Event.Simple["_tag"]): Event.Event => ({ _tag: tag }) as Event.Event

/** Run events from `from` (default: the initial state). */
export const reach = (cfg: Config.Config, events: ReadonlyArray<Event.Event>, from: State.State = State.initial(1)): State.State =>
  Fsm.run(cfg, from, events)[0]

export const states = (cfg: Config.Config) => {
  const idle = State.initial(1)
  const connect = reach(cfg, [ev("ManualStart")])
  const active = reach(cfg, [ev("ManualStart_with_PassiveTcpEstablishment")])
  const openSent = reach(cfg, [ev("Tcp_CR_Acked")], connect)
  const openConfirm = reach(cfg, [open()], openSent)
  const established = reach(cfg, [ev("KeepAliveMsg")], openConfirm)
  return { idle, connect, active, openSent, openConfirm, established }
}

/** One line per action, so expectations read like the RFC's bullet lists. */
export const show = (action: Action.Action): string => {
  switch (action._tag) {
    case "SendOpen":
      return `SendOpen as=${action.open.myAs} hold=${action.open.holdTime}`
    case "SendNotification": {
      const n = action.notification
      return `SendNotification ${n.code}/${n.subcode}${n.data.length > 0 ? ` [${[...n.data].join(",")}]` : ""}`
    }
    case "StartTimer":
      return `StartTimer ${action.timer} ${action.millis}`
    case "StopTimer":
      return `StopTimer ${action.timer}`
    case "SessionDown":
      return `SessionDown ${action.reason._tag}${action.negotiated === undefined ? "" : " (was established)"}`
    default:
      return action._tag
  }
}

export const step = (cfg: Config.Config, state: State.State, event: Event.Event): { state: State.State; actions: Array<string> } => {
  const [next, actions] = Fsm.transition(cfg, state, event)
  return { state: next, actions: actions.map(show) }
}
