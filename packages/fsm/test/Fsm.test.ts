import { describe, expect, test } from "bun:test"
import { Family, Notification } from "@kbgp/wire"
import * as Event from "../src/Event.js"
import * as Fsm from "../src/Fsm.js"
import * as State from "../src/State.js"
import { config, ev, notif, open, peerOpen, reach, states, step, update, wireError } from "./support/FsmFixtures.js"

const cfg = config()
const s = states(cfg)

describe("Idle", () => {
  test("ManualStart starts the ConnectRetry timer, connects and goes to Connect with the counter at zero", () => {
    const r = step(cfg, s.idle, ev("ManualStart"))
    expect(r.state.name).toBe("Connect")
    expect(r.state.connectRetryCounter).toBe(0)
    expect(r.state.start).toEqual({ passive: false, damp: true })
    expect(r.actions).toEqual(["StartTimer ConnectRetry 120000", "Connect"])
  })

  test("AutomaticStart behaves like ManualStart", () => {
    const r = step(cfg, s.idle, ev("AutomaticStart"))
    expect(r.state.name).toBe("Connect")
    expect(r.actions).toEqual(["StartTimer ConnectRetry 120000", "Connect"])
  })

  test("a PassiveTcpEstablishment start listens in Active without connecting", () => {
    for (const tag of ["ManualStart_with_PassiveTcpEstablishment", "AutomaticStart_with_PassiveTcpEstablishment"] as const) {
      const r = step(cfg, s.idle, ev(tag))
      expect(r.state.name).toBe("Active")
      expect(r.actions).toEqual(["StartTimer ConnectRetry 120000"])
    }
  })

  test("a DampPeerOscillations start turns damping on even when the config has it off", () => {
    const noDamp = config({ dampPeerOscillations: false })
    expect(step(noDamp, s.idle, ev("AutomaticStart")).state.start).toEqual({ passive: false, damp: false })
    expect(step(noDamp, s.idle, ev("AutomaticStart_with_DampPeerOscillations")).state.start).toEqual({ passive: false, damp: true })
    const r = step(noDamp, s.idle, ev("AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment"))
    expect(r.state).toMatchObject({ name: "Active", start: { passive: true, damp: true } })
  })

  test("a listen-only (passive) config starts in Active with no ConnectRetry timer", () => {
    const passive = config({ passive: true })
    const r = step(passive, s.idle, ev("ManualStart"))
    expect(r.state.name).toBe("Active")
    expect(r.actions).toEqual([])
  })

  test("ManualStop and AutomaticStop are ignored when stopped", () => {
    for (const e of [ev("ManualStop"), ev("AutomaticStop")]) {
      const r = step(cfg, s.idle, e)
      expect(r.state).toEqual(s.idle)
      expect(r.actions).toEqual([])
    }
  })

  test("other events leave a stopped Idle unchanged", () => {
    for (const e of [ev("ConnectRetryTimer_Expires"), ev("HoldTimer_Expires"), ev("KeepAliveMsg"), ev("IdleHoldTimer_Expires"), open(), notif(6, 2)]) {
      const r = step(cfg, s.idle, e)
      expect(r.state).toEqual(s.idle)
      expect(r.actions).toEqual([])
    }
  })

  test("a connection that completes in Idle is refused", () => {
    expect(step(cfg, s.idle, ev("TcpConnectionConfirmed")).actions).toEqual(["DropConnection"])
    expect(step(cfg, s.idle, ev("Tcp_CR_Acked")).actions).toEqual(["DropConnection"])
  })

  test("IdleHoldTimer_Expires restarts a failed session the way it was started, keeping the counter", () => {
    const failed = reach(cfg, [ev("HoldTimer_Expires")], s.openSent)
    expect(failed).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 1 })
    const r = step(cfg, failed, ev("IdleHoldTimer_Expires"))
    expect(r.state).toMatchObject({ name: "Connect", connectRetryCounter: 1, failures: 1 })
    expect(r.actions).toEqual(["StopTimer IdleHold", "StartTimer ConnectRetry 120000", "Connect"])

    const passiveFailed = reach(cfg, [ev("TcpConnectionConfirmed"), ev("HoldTimer_Expires")], s.active)
    expect(step(cfg, passiveFailed, ev("IdleHoldTimer_Expires")).state.name).toBe("Active")
  })

  test("an automatic start during the idle hold waits for it; a manual start goes now and forgets failures", () => {
    const failed = reach(cfg, [ev("HoldTimer_Expires")], s.openSent)
    const auto = step(cfg, failed, ev("AutomaticStart"))
    expect(auto.state.name).toBe("Idle")
    expect(auto.actions).toEqual([])
    const manual = step(cfg, failed, ev("ManualStart"))
    expect(manual.state).toMatchObject({ name: "Connect", failures: 0, connectRetryCounter: 0 })
    expect(manual.actions).toEqual(["StopTimer IdleHold", "StartTimer ConnectRetry 120000", "Connect"])
  })

  test("ManualStop during the idle hold cancels the restart", () => {
    const failed = reach(cfg, [ev("HoldTimer_Expires")], s.openSent)
    const r = step(cfg, failed, ev("ManualStop"))
    expect(r.state).toMatchObject({ name: "Idle", start: undefined, connectRetryCounter: 0 })
    expect(r.actions).toEqual(["StopTimer IdleHold"])
    expect(step(cfg, r.state, ev("IdleHoldTimer_Expires")).state.name).toBe("Idle")
  })
})

describe("Connect", () => {
  test("the outgoing connection completing sends OPEN with a 4-minute hold timer and goes to OpenSent", () => {
    const r = step(cfg, s.connect, ev("Tcp_CR_Acked"))
    expect(r.state.name).toBe("OpenSent")
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "SendOpen as=65001 hold=90", "StartTimer Hold 240000"])
  })

  test("an incoming connection being confirmed does the same", () => {
    const r = step(cfg, s.connect, ev("TcpConnectionConfirmed"))
    expect(r.state.name).toBe("OpenSent")
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "SendOpen as=65001 hold=90", "StartTimer Hold 240000"])
  })

  test("ConnectRetryTimer_Expires drops the attempt, restarts the timer and connects again", () => {
    const r = step(cfg, s.connect, ev("ConnectRetryTimer_Expires"))
    expect(r.state.name).toBe("Connect")
    expect(r.actions).toEqual(["DropConnection", "StartTimer ConnectRetry 120000", "Connect"])
  })

  test("a failed connect goes to Idle and restarts after the initial idle hold without counting a failure", () => {
    const r = step(cfg, s.connect, ev("TcpConnectionFails"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 0, failures: 0 })
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "DropConnection", "ReleaseResources", "StartTimer IdleHold 5000"])
  })

  test("ManualStop drops the attempt, zeroes the counter and stays Idle", () => {
    const r = step(cfg, s.connect, ev("ManualStop"))
    expect(r.state).toMatchObject({ name: "Idle", start: undefined, connectRetryCounter: 0 })
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "DropConnection", "ReleaseResources"])
  })

  test("start events are ignored", () => {
    for (const tag of ["ManualStart", "AutomaticStart", "ManualStart_with_PassiveTcpEstablishment"] as const) {
      const r = step(cfg, s.connect, ev(tag))
      expect(r.state).toEqual(s.connect)
      expect(r.actions).toEqual([])
    }
  })

  test("TcpConnection_Valid and Tcp_CR_Invalid leave Connect as it is", () => {
    expect(step(cfg, s.connect, ev("TcpConnection_Valid")).actions).toEqual([])
    expect(step(cfg, s.connect, ev("Tcp_CR_Invalid")).state).toEqual(s.connect)
  })

  test("any other event (a hold timer, a KEEPALIVE, an AutomaticStop) goes to Idle and counts", () => {
    for (const e of [ev("HoldTimer_Expires"), ev("KeepAliveMsg"), ev("AutomaticStop"), notif(6, 2)]) {
      const r = step(cfg, s.connect, e)
      expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 1 })
      expect(r.actions).toEqual(["StopTimer ConnectRetry", "DropConnection", "ReleaseResources", "StartTimer IdleHold 5000"])
    }
  })
})

describe("Connect and Active with DelayOpen", () => {
  const delayed = config({ delayOpenTime: 5 })
  const connectWait = reach(delayed, [ev("ManualStart"), ev("Tcp_CR_Acked")])
  const activeWait = reach(delayed, [ev("ManualStart_with_PassiveTcpEstablishment"), ev("TcpConnectionConfirmed")])

  test("a completed connection starts the DelayOpen timer instead of sending OPEN", () => {
    expect(connectWait).toMatchObject({ name: "Connect", delayOpenRunning: true })
    expect(activeWait).toMatchObject({ name: "Active", delayOpenRunning: true })
    const r = step(delayed, reach(delayed, [ev("ManualStart")]), ev("Tcp_CR_Acked"))
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "StartTimer DelayOpen 5000"])
  })

  test("DelayOpenTimer_Expires sends OPEN and goes to OpenSent", () => {
    for (const from of [connectWait, activeWait]) {
      const r = step(delayed, from, ev("DelayOpenTimer_Expires"))
      expect(r.state).toMatchObject({ name: "OpenSent", delayOpenRunning: false })
      expect(r.actions).toEqual(["StopTimer ConnectRetry", "SendOpen as=65001 hold=90", "StartTimer Hold 240000"])
    }
  })

  test("an OPEN while DelayOpen runs is answered with OPEN and KEEPALIVE and goes to OpenConfirm", () => {
    for (const from of [connectWait, activeWait]) {
      const r = step(delayed, from, open())
      expect(r.state.name).toBe("OpenConfirm")
      expect(r.state.negotiated?.holdTime).toBe(90)
      expect(r.actions).toEqual([
        "StopTimer ConnectRetry",
        "StopTimer DelayOpen",
        "SendOpen as=65001 hold=90",
        "SendKeepalive",
        "StartTimer Keepalive 30000",
        "StartTimer Hold 90000"
      ])
    }
  })

  test("a bad OPEN while DelayOpen runs sends its NOTIFICATION (without our OPEN) and goes to Idle", () => {
    const r = step(delayed, connectWait, open(peerOpen({ asn: 65099 })))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
    expect(r.actions[0]).toBe("SendNotification 2/2 [0,0,254,75]")
    expect(r.actions).not.toContain("SendOpen as=65001 hold=90")
  })

  test("the connection failing in Connect while DelayOpen runs goes to Active and retries later", () => {
    const r = step(delayed, connectWait, ev("TcpConnectionFails"))
    expect(r.state).toMatchObject({ name: "Active", delayOpenRunning: false, connectRetryCounter: 0 })
    expect(r.actions).toEqual(["StopTimer DelayOpen", "DropConnection", "StartTimer ConnectRetry 120000"])
  })

  test("a version-error NOTIFICATION while DelayOpen runs goes to Idle without counting", () => {
    const r = step(delayed, connectWait, { _tag: "NotifMsgVerErr", notification: Notification.make(2, 1, Uint8Array.of(0, 4)) })
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 0 })
  })

  test("ManualStop with a DelayOpen connection sends a Cease first", () => {
    const r = step(delayed, activeWait, ev("ManualStop"))
    expect(r.actions[0]).toBe("SendNotification 6/2")
    expect(r.state).toMatchObject({ name: "Idle", start: undefined })
  })

  test("a stale DelayOpen expiry without a connection is ignored", () => {
    const connect = reach(delayed, [ev("ManualStart")])
    expect(step(delayed, connect, ev("DelayOpenTimer_Expires")).state).toEqual(connect)
  })
})

describe("Active", () => {
  test("ConnectRetryTimer_Expires restarts the timer, connects and goes to Connect", () => {
    const r = step(cfg, s.active, ev("ConnectRetryTimer_Expires"))
    expect(r.state.name).toBe("Connect")
    expect(r.actions).toEqual(["StartTimer ConnectRetry 120000", "Connect"])
  })

  test("a listen-only config never connects on ConnectRetryTimer_Expires", () => {
    const passive = config({ passive: true })
    const active = reach(passive, [ev("ManualStart")])
    const r = step(passive, active, ev("ConnectRetryTimer_Expires"))
    expect(r.state.name).toBe("Active")
    expect(r.actions).toEqual([])
  })

  test("an incoming connection sends OPEN and goes to OpenSent", () => {
    const r = step(cfg, s.active, ev("TcpConnectionConfirmed"))
    expect(r.state.name).toBe("OpenSent")
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "SendOpen as=65001 hold=90", "StartTimer Hold 240000"])
  })

  test("TcpConnectionFails goes to Idle, counts and damps", () => {
    const r = step(cfg, s.active, ev("TcpConnectionFails"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 1 })
  })

  test("ManualStop releases everything and stays Idle", () => {
    const r = step(cfg, s.active, ev("ManualStop"))
    expect(r.state).toMatchObject({ name: "Idle", start: undefined, connectRetryCounter: 0 })
    expect(r.actions).toEqual(["StopTimer ConnectRetry", "DropConnection", "ReleaseResources"])
  })

  test("an OPEN without a DelayOpen connection goes to Idle and counts", () => {
    const r = step(cfg, s.active, open())
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
  })
})

describe("OpenSent", () => {
  test("a valid OPEN sends KEEPALIVE, arms keepalive (hold/3) and the negotiated hold timer, goes to OpenConfirm", () => {
    const r = step(cfg, s.openSent, open())
    expect(r.state.name).toBe("OpenConfirm")
    expect(r.state.negotiated).toMatchObject({ peerAs: 65002, peerId: 0x0a000002, holdTime: 90, keepaliveTime: 30, ebgp: true })
    expect(r.actions).toEqual(["SendKeepalive", "StartTimer Keepalive 30000", "StartTimer Hold 90000"])
  })

  test("an OPEN with hold time 0 stops the hold timer and starts no keepalives", () => {
    const r = step(cfg, s.openSent, open(peerOpen({ holdTime: 0 })))
    expect(r.state.negotiated?.holdTime).toBe(0)
    expect(r.actions).toEqual(["SendKeepalive", "StopTimer Keepalive", "StopTimer Hold"])
  })

  test("an OPEN from the wrong AS sends 2/2 Bad Peer AS and goes to Idle", () => {
    const r = step(cfg, s.openSent, open(peerOpen({ asn: 65003 })))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 1 })
    expect(r.actions).toEqual([
      "SendNotification 2/2 [0,0,253,235]",
      "StopTimer Hold",
      "DropConnection",
      "ReleaseResources",
      "SessionDown NotificationSent",
      "StartTimer IdleHold 5000"
    ])
  })

  test("an OPEN with a hold time of 2 s sends 2/6 Unacceptable Hold Time", () => {
    expect(step(cfg, s.openSent, open(peerOpen({ holdTime: 2 }))).actions[0]).toBe("SendNotification 2/6 [0,2]")
  })

  test("HoldTimer_Expires sends 4/0 and goes to Idle", () => {
    const r = step(cfg, s.openSent, ev("HoldTimer_Expires"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
    expect(r.actions[0]).toBe("SendNotification 4/0")
  })

  test("the connection failing closes it, restarts ConnectRetry and listens in Active", () => {
    const r = step(cfg, s.openSent, ev("TcpConnectionFails"))
    expect(r.state.name).toBe("Active")
    expect(r.actions).toEqual([
      "StopTimer Hold",
      "DropConnection",
      "ReleaseResources",
      "SessionDown ConnectionLost",
      "StartTimer ConnectRetry 120000"
    ])
  })

  test("a second connection is left to collision processing", () => {
    for (const tag of ["TcpConnection_Valid", "Tcp_CR_Acked", "TcpConnectionConfirmed", "Tcp_CR_Invalid"] as const) {
      const r = step(cfg, s.openSent, ev(tag))
      expect(r.state).toEqual(s.openSent)
      expect(r.actions).toEqual([])
    }
  })

  test("an unexpected KEEPALIVE, UPDATE or ROUTE-REFRESH sends FSM Error 5/1 with the message type as data (RFC 6608 §4)", () => {
    const cases: Array<[Event.Event, string]> = [
      [ev("KeepAliveMsg"), "SendNotification 5/1 [4]"],
      [{ _tag: "UpdateMsg", update }, "SendNotification 5/1 [2]"],
      [{ _tag: "UpdateMsgErr", error: wireError(3, 1) }, "SendNotification 5/1 [2]"],
      [{ _tag: "RouteRefreshMsg", message: { _tag: "RouteRefresh", afi: 1, safi: 1, subtype: 0 } }, "SendNotification 5/1 [5]"],
      [{ _tag: "BGPOpen_with_DelayOpenTimer_running", open: peerOpen() }, "SendNotification 5/1 [1]"]
    ]
    for (const [e, sent] of cases) {
      const r = step(cfg, s.openSent, e)
      expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
      expect(r.actions[0]).toBe(sent)
    }
  })

  test("a timer that does not run in OpenSent expiring is an FSM Error 5/0 Unspecified, not an unexpected message", () => {
    for (const tag of ["ConnectRetryTimer_Expires", "KeepaliveTimer_Expires", "DelayOpenTimer_Expires", "IdleHoldTimer_Expires"] as const) {
      const r = step(cfg, s.openSent, ev(tag))
      expect(r.state.name).toBe("Idle")
      expect(r.actions[0]).toBe("SendNotification 5/0")
    }
  })

  test("a NOTIFICATION from the peer closes without answering it", () => {
    const r = step(cfg, s.openSent, notif(2, 2))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
    expect(r.actions).toEqual(["StopTimer Hold", "DropConnection", "ReleaseResources", "SessionDown NotificationReceived", "StartTimer IdleHold 5000"])
  })

  test("a version-error NOTIFICATION goes to Idle without counting", () => {
    const r = step(cfg, s.openSent, notif(2, 1, Uint8Array.of(0, 3)))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 0 })
    expect(r.actions).not.toContain("SendNotification 5/1")
  })

  test("a header or OPEN decode error sends that error's NOTIFICATION", () => {
    expect(step(cfg, s.openSent, { _tag: "BGPHeaderErr", error: wireError(1, 2, Uint8Array.of(0, 5)) }).actions[0]).toBe(
      "SendNotification 1/2 [0,5]"
    )
    expect(step(cfg, s.openSent, { _tag: "BGPOpenMsgErr", error: wireError(2, 1, Uint8Array.of(0, 4)) }).actions[0]).toBe(
      "SendNotification 2/1 [0,4]"
    )
  })

  test("OpenCollisionDump sends Cease 6/7 and goes to Idle", () => {
    const r = step(cfg, s.openSent, ev("OpenCollisionDump"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 0 })
    expect(r.actions[0]).toBe("SendNotification 6/7")
  })

  test("ManualStop sends Cease 6/2, zeroes the counter and stays Idle", () => {
    const r = step(cfg, s.openSent, ev("ManualStop"))
    expect(r.state).toMatchObject({ name: "Idle", start: undefined, connectRetryCounter: 0 })
    expect(r.actions).toEqual(["SendNotification 6/2", "StopTimer Hold", "DropConnection", "ReleaseResources", "SessionDown NotificationSent"])
  })

  test("start events are ignored", () => {
    expect(step(cfg, s.openSent, ev("ManualStart")).state).toEqual(s.openSent)
  })
})

describe("OpenConfirm", () => {
  test("a KEEPALIVE restarts the hold timer, arms send hold and Stable, and reports the session Established", () => {
    const [next, actions] = Fsm.transition(cfg, s.openConfirm, ev("KeepAliveMsg"))
    expect(next.name).toBe("Established")
    expect(actions.map((a) => (a._tag === "StartTimer" ? `${a.timer} ${a.millis}` : a._tag))).toEqual([
      "Hold 90000",
      "SendHold 480000",
      "Stable 300000",
      "SessionEstablished"
    ])
    const established = actions.find((a) => a._tag === "SessionEstablished")
    expect(established?._tag === "SessionEstablished" && established.negotiated).toBe(s.openConfirm.negotiated!)
  })

  test("KeepaliveTimer_Expires sends a KEEPALIVE and restarts the timer", () => {
    const r = step(cfg, s.openConfirm, ev("KeepaliveTimer_Expires"))
    expect(r.state).toEqual(s.openConfirm)
    expect(r.actions).toEqual(["SendKeepalive", "StartTimer Keepalive 30000"])
  })

  test("HoldTimer_Expires sends 4/0 and goes to Idle", () => {
    const r = step(cfg, s.openConfirm, ev("HoldTimer_Expires"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, negotiated: undefined })
    expect(r.actions).toEqual([
      "SendNotification 4/0",
      "StopTimer Hold",
      "StopTimer Keepalive",
      "DropConnection",
      "ReleaseResources",
      "SessionDown NotificationSent",
      "StartTimer IdleHold 5000"
    ])
  })

  test("a NOTIFICATION or a lost connection goes to Idle and counts, sending nothing", () => {
    for (const [e, reason] of [
      [notif(6, 4), "NotificationReceived"],
      [ev("TcpConnectionFails"), "ConnectionLost"]
    ] as const) {
      const r = step(cfg, s.openConfirm, e)
      expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
      expect(r.actions.some((a) => a.startsWith("SendNotification"))).toBe(false)
      expect(r.actions).toContain(`SessionDown ${reason}`)
    }
  })

  test("an UPDATE, a ROUTE-REFRESH or a second OPEN sends FSM Error 5/2 with the message type (RFC 6608 §4); a stray timer 5/0", () => {
    const cases: Array<[Event.Event, string]> = [
      [{ _tag: "UpdateMsg", update }, "SendNotification 5/2 [2]"],
      [{ _tag: "RouteRefreshMsg", message: { _tag: "RouteRefresh", afi: 1, safi: 1, subtype: 0 } }, "SendNotification 5/2 [5]"],
      [open(), "SendNotification 5/2 [1]"],
      [ev("ConnectRetryTimer_Expires"), "SendNotification 5/0"]
    ]
    for (const [e, sent] of cases) {
      const r = step(cfg, s.openConfirm, e)
      expect(r.state.name).toBe("Idle")
      expect(r.actions[0]).toBe(sent)
    }
  })

  test("OpenCollisionDump sends Cease 6/7", () => {
    expect(step(cfg, s.openConfirm, ev("OpenCollisionDump")).actions[0]).toBe("SendNotification 6/7")
  })

  test("ManualStop sends Cease with the shutdown communication given", () => {
    const stop: Event.Event = { _tag: "ManualStop", notification: Notification.shutdown(2, "maintenance") }
    const [next, actions] = Fsm.transition(cfg, s.openConfirm, stop)
    expect(next).toMatchObject({ name: "Idle", start: undefined })
    const sent = actions[0]
    expect(sent?._tag === "SendNotification" && Notification.shutdownCommunication(sent.notification)?.text).toBe("maintenance")
  })
})

describe("Established", () => {
  test("an UPDATE is delivered and restarts the hold timer", () => {
    const [next, actions] = Fsm.transition(cfg, s.established, { _tag: "UpdateMsg", update })
    expect(next.name).toBe("Established")
    expect(actions).toEqual([{ _tag: "DeliverUpdate", update }, { _tag: "StartTimer", timer: "Hold", millis: 90000 }])
  })

  test("a KEEPALIVE restarts the hold timer", () => {
    expect(step(cfg, s.established, ev("KeepAliveMsg")).actions).toEqual(["StartTimer Hold 90000"])
  })

  test("with hold time 0 a KEEPALIVE restarts nothing and the keepalive timer sends nothing", () => {
    const zero = reach(cfg, [ev("ManualStart"), ev("Tcp_CR_Acked"), open(peerOpen({ holdTime: 0 })), ev("KeepAliveMsg")])
    expect(zero.name).toBe("Established")
    expect(step(cfg, zero, ev("KeepAliveMsg")).actions).toEqual([])
    expect(step(cfg, zero, ev("KeepaliveTimer_Expires")).actions).toEqual([])
  })

  test("KeepaliveTimer_Expires sends a KEEPALIVE and restarts the timer", () => {
    expect(step(cfg, s.established, ev("KeepaliveTimer_Expires")).actions).toEqual(["SendKeepalive", "StartTimer Keepalive 30000"])
  })

  test("HoldTimer_Expires sends 4/0, reports the session down with what was negotiated, and restarts later", () => {
    const r = step(cfg, s.established, ev("HoldTimer_Expires"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 1 })
    expect(r.actions).toEqual([
      "SendNotification 4/0",
      "StopTimer Hold",
      "StopTimer Keepalive",
      "StopTimer SendHold",
      "StopTimer Stable",
      "DropConnection",
      "ReleaseResources",
      "SessionDown NotificationSent (was established)",
      "StartTimer IdleHold 5000"
    ])
  })

  test("SendHoldTimer_Expires sends 8/0 and drops the session (RFC 9687)", () => {
    const r = step(cfg, s.established, ev("SendHoldTimer_Expires"))
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
    expect(r.actions[0]).toBe("SendNotification 8/0")
    expect(r.actions).toContain("DropConnection")
  })

  test("an UPDATE error sends its NOTIFICATION and goes to Idle", () => {
    const r = step(cfg, s.established, { _tag: "UpdateMsgErr", error: wireError(3, 1) })
    expect(r.state.name).toBe("Idle")
    expect(r.actions[0]).toBe("SendNotification 3/1")
    expect(r.actions).toContain("SessionDown NotificationSent (was established)")
  })

  test("a header error sends the header error, not an FSM error (RFC 4271 §6.1)", () => {
    expect(step(cfg, s.established, { _tag: "BGPHeaderErr", error: wireError(1, 3, Uint8Array.of(9)) }).actions[0]).toBe(
      "SendNotification 1/3 [9]"
    )
  })

  test("a NOTIFICATION or a lost connection goes to Idle without sending anything", () => {
    for (const e of [notif(6, 2), ev("TcpConnectionFails"), { _tag: "NotifMsgVerErr", notification: Notification.make(2, 1) } as const]) {
      const r = step(cfg, s.established, e)
      expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1 })
      expect(r.actions.some((a) => a.startsWith("SendNotification"))).toBe(false)
    }
  })

  test("an OPEN or a malformed OPEN sends FSM Error 5/3 with type 1 (RFC 6608 §4); a ConnectRetry/DelayOpen/IdleHold expiry 5/0", () => {
    const cases: Array<[Event.Event, string]> = [
      [open(), "SendNotification 5/3 [1]"],
      [{ _tag: "BGPOpenMsgErr", error: wireError(2, 0) }, "SendNotification 5/3 [1]"],
      [ev("ConnectRetryTimer_Expires"), "SendNotification 5/0"],
      [ev("DelayOpenTimer_Expires"), "SendNotification 5/0"],
      [ev("IdleHoldTimer_Expires"), "SendNotification 5/0"]
    ]
    for (const [e, sent] of cases) {
      const r = step(cfg, s.established, e)
      expect(r.state.name).toBe("Idle")
      expect(r.actions[0]).toBe(sent)
    }
  })

  test("a ROUTE-REFRESH for a negotiated family is delivered; one for another family is ignored", () => {
    const v4 = { _tag: "RouteRefresh", afi: Family.Afi.Ipv4, safi: Family.Safi.Unicast, subtype: 0 } as const
    const v6 = { ...v4, afi: Family.Afi.Ipv6 }
    expect(step(cfg, s.established, { _tag: "RouteRefreshMsg", message: v4 }).actions).toEqual([
      "DeliverRouteRefresh",
      "StartTimer Hold 90000"
    ])
    expect(step(cfg, s.established, { _tag: "RouteRefreshMsg", message: v6 }).actions).toEqual(["StartTimer Hold 90000"])
    expect(step(cfg, s.established, { _tag: "RouteRefreshMsg", message: { ...v4, subtype: 7 } }).actions).toEqual([
      "StartTimer Hold 90000"
    ])
  })

  test("ManualStop sends Cease 6/2 and stays Idle", () => {
    const r = step(cfg, s.established, ev("ManualStop"))
    expect(r.state).toMatchObject({ name: "Idle", start: undefined, connectRetryCounter: 0 })
    expect(r.actions[0]).toBe("SendNotification 6/2")
    expect(r.actions).not.toContain("StartTimer IdleHold 5000")
  })

  test("the max-prefix hook sends Cease 6/1 with the RFC 4486 data and restarts after the idle hold", () => {
    const r = step(cfg, s.established, Event.maxPrefixesExceeded(1, 1, 1000))
    expect(r.actions[0]).toBe("SendNotification 6/1 [0,1,1,0,0,3,232]")
    expect(r.state).toMatchObject({ name: "Idle", connectRetryCounter: 1, failures: 1 })
    expect(r.actions.at(-1)).toBe("StartTimer IdleHold 5000")
  })

  test("with the RFC 8538 N bit negotiated, an administrative Cease goes out as a Hard Reset", () => {
    const gr = config({ capabilities: { gracefulRestart: { restartTime: 120, restarting: false, notification: true } } })
    const grOpen = peerOpen({
      capabilities: [
        { _tag: "FourOctetAs", asn: 65002 },
        { _tag: "GracefulRestart", flags: 0x4, restartTime: 90, families: [{ afi: 1, safi: 1, flags: 0x80 }] }
      ]
    })
    const est = reach(gr, [ev("ManualStart"), ev("Tcp_CR_Acked"), open(grOpen), ev("KeepAliveMsg")])
    expect(est.negotiated?.gracefulRestart?.notification).toBe(true)
    expect(step(gr, est, ev("ManualStop")).actions[0]).toBe("SendNotification 6/9 [6,2]")
    expect(step(gr, est, Event.maxPrefixesExceeded(1, 1, 10)).actions[0]).toBe("SendNotification 6/9 [6,1,0,1,1,0,0,0,10]")
    // Hold timer expiry is not wrapped: the peer keeps our routes as stale (RFC 8538 §3).
    expect(step(gr, est, ev("HoldTimer_Expires")).actions[0]).toBe("SendNotification 4/0")
  })

  test("when only the peer sent the N bit, an administrative Cease goes out plain (RFC 8538 §2: both must announce it)", () => {
    const gr = config({ capabilities: { gracefulRestart: { restartTime: 120, restarting: false, notification: false } } })
    const grOpen = peerOpen({
      capabilities: [
        { _tag: "FourOctetAs", asn: 65002 },
        { _tag: "GracefulRestart", flags: 0x4, restartTime: 90, families: [{ afi: 1, safi: 1, flags: 0x80 }] }
      ]
    })
    const est = reach(gr, [ev("ManualStart"), ev("Tcp_CR_Acked"), open(grOpen), ev("KeepAliveMsg")])
    expect(est.negotiated?.gracefulRestart?.peer.notification).toBe(true)
    expect(step(gr, est, ev("ManualStop")).actions[0]).toBe("SendNotification 6/2")
    expect(step(gr, est, Event.maxPrefixesExceeded(1, 1, 10)).actions[0]).toBe("SendNotification 6/1 [0,1,1,0,0,0,10]")
  })

  test("OpenCollisionDump (the caller's CollisionDetectEstablishedState decision) sends Cease 6/7", () => {
    const r = step(cfg, s.established, ev("OpenCollisionDump"))
    expect(r.actions[0]).toBe("SendNotification 6/7")
    expect(r.state.name).toBe("Idle")
  })

  test("start events and a second connection are ignored", () => {
    for (const tag of ["ManualStart", "AutomaticStart", "TcpConnectionConfirmed", "Tcp_CR_Acked", "TcpConnection_Valid"] as const) {
      const r = step(cfg, s.established, ev(tag))
      expect(r.state).toEqual(s.established)
      expect(r.actions).toEqual([])
    }
  })
})

describe("idle-hold backoff", () => {
  const flap = (c: ReturnType<typeof config>, from: State.State): State.State =>
    reach(c, [ev("IdleHoldTimer_Expires"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg"), ev("HoldTimer_Expires")], from)

  const idleHoldOf = (c: ReturnType<typeof config>, state: State.State, event: Event.Event): number | undefined => {
    const [, actions] = Fsm.transition(c, state, event)
    const a = actions.find((x) => x._tag === "StartTimer" && x.timer === "IdleHold")
    return a?._tag === "StartTimer" ? a.millis : undefined
  }

  test("the idle hold doubles on each consecutive failure up to the cap", () => {
    const c = config({ idleHoldTime: 5, idleHoldTimeMax: 30 })
    let state = reach(c, [ev("ManualStart"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg")])
    const holds: Array<number | undefined> = []
    for (let i = 0; i < 5; i++) {
      holds.push(idleHoldOf(c, state, ev("HoldTimer_Expires")))
      state = reach(c, [ev("HoldTimer_Expires"), ev("IdleHoldTimer_Expires"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg")], state)
    }
    expect(holds).toEqual([5000, 10000, 20000, 30000, 30000])
  })

  test("a session that stays Established for the Stable time resets the backoff", () => {
    const c = config()
    let state = reach(c, [ev("ManualStart"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg"), ev("HoldTimer_Expires")])
    state = flap(c, state)
    expect(state.failures).toBe(2)
    state = reach(c, [ev("IdleHoldTimer_Expires"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg"), ev("StableTimer_Expires")], state)
    expect(state).toMatchObject({ name: "Established", failures: 0 })
    expect(idleHoldOf(c, state, ev("HoldTimer_Expires"))).toBe(5000)
  })

  test("without damping the idle hold stays at its initial value", () => {
    const c = config({ dampPeerOscillations: false })
    let state = reach(c, [ev("ManualStart"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg"), ev("HoldTimer_Expires")])
    state = flap(c, flap(c, state))
    expect(state.failures).toBe(3)
    const established = reach(c, [ev("IdleHoldTimer_Expires"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg")], state)
    expect(idleHoldOf(c, established, ev("HoldTimer_Expires"))).toBe(5000)
  })

  test("jitter keeps ConnectRetry, Keepalive and IdleHold within 75–100 % of their values and is deterministic per seed", () => {
    const c = config({ jitter: true })
    const millis = (seed: number): Array<number> =>
      Fsm.run(c, State.initial(seed), [ev("ManualStart"), ev("Tcp_CR_Acked"), open(), ev("KeepAliveMsg"), ev("HoldTimer_Expires")])[1]
        .filter((a) => a._tag === "StartTimer" && a.timer !== "Hold" && a.timer !== "SendHold" && a.timer !== "Stable")
        .map((a) => (a._tag === "StartTimer" ? a.millis : 0))
    for (let seed = 1; seed < 50; seed++) {
      const [connectRetry, keepalive, idleHold] = millis(seed)
      expect(connectRetry).toBeGreaterThanOrEqual(90000)
      expect(connectRetry).toBeLessThanOrEqual(120000)
      expect(keepalive).toBeGreaterThanOrEqual(22500)
      expect(keepalive).toBeLessThanOrEqual(30000)
      expect(idleHold).toBeGreaterThanOrEqual(3750)
      expect(idleHold).toBeLessThanOrEqual(5000)
      expect(millis(seed)).toEqual([connectRetry!, keepalive!, idleHold!])
    }
    expect(millis(1)).not.toEqual(millis(2))
  })
})
