import { describe, expect, test } from "bun:test"
import * as Collision from "../src/Collision.js"
import * as Fsm from "../src/Fsm.js"
import type * as State from "../src/State.js"
import { config, ev, LOCAL_AS, open, PEER_AS, peerOpen, reach } from "./support/FsmFixtures.js"

const local = (bgpId: number, asn = LOCAL_AS): Collision.Speaker => ({ bgpId, asn })
const remote = (bgpId: number, asn = PEER_AS): Collision.Speaker => ({ bgpId, asn })

describe("survivor (RFC 4271 §6.8)", () => {
  test("when our identifier is lower, the connection the peer opened survives", () => {
    expect(Collision.survivor(local(0x0a000001), remote(0x0a000002))).toBe("remote")
  })

  test("when our identifier is higher, the connection we opened survives", () => {
    expect(Collision.survivor(local(0x0a000002), remote(0x0a000001))).toBe("local")
  })

  test("identifiers compare as unsigned 32-bit numbers", () => {
    // 128.0.0.0 > 127.255.255.255 although it is negative as a signed 32-bit integer.
    expect(Collision.survivor(local(0x80000000 | 0), remote(0x7fffffff))).toBe("local")
    expect(Collision.survivor(local(0x7fffffff), remote(0xc0000001 | 0))).toBe("remote")
  })

  test("equal identifiers: the connection opened by the speaker with the larger AS survives (RFC 6286 §2.3)", () => {
    expect(Collision.survivor(local(1, 65010), remote(1, 65020))).toBe("remote")
    expect(Collision.survivor(local(1, 4200000000), remote(1, 65020))).toBe("local")
  })

  test("both sides reach the same verdict about the same pair of connections", () => {
    for (const [a, b] of [
      [1, 2],
      [0xffffffff, 5],
      [7, 7]
    ] as const) {
      const mine = Collision.survivor(local(a, 65001), remote(b, 65002))
      const theirs = Collision.survivor(local(b, 65002), remote(a, 65001))
      // The connection I opened is the one they received, so their verdict is the opposite label.
      expect(theirs).toBe(mine === "local" ? "remote" : "local")
    }
  })
})

describe("resolve", () => {
  const base = { local: local(0x0a000001), remote: remote(0x0a000002), collisionDetectEstablishedState: false }
  const against = (state: State.Name, initiator: Collision.Initiator, newInitiator: Collision.Initiator, detectEstablished = false) =>
    Collision.resolve({ ...base, collisionDetectEstablishedState: detectEstablished, newInitiator, existing: { state, initiator } })

  test("no collision is detected with a connection in Idle, Connect or Active", () => {
    for (const state of ["Idle", "Connect", "Active"] as const) expect(against(state, "local", "remote")).toBe("NoCollision")
  })

  test("against OpenConfirm the identifiers decide: a lower local id keeps the peer's connection", () => {
    expect(against("OpenConfirm", "local", "remote")).toBe("CloseExisting")
    expect(against("OpenConfirm", "remote", "local")).toBe("CloseNew")
  })

  test("OpenSent is compared too, since the new connection's OPEN names the peer", () => {
    expect(against("OpenSent", "local", "remote")).toBe("CloseExisting")
  })

  test("an Established connection wins unless CollisionDetectEstablishedState is set", () => {
    expect(against("Established", "local", "remote")).toBe("CloseNew")
    expect(against("Established", "local", "remote", true)).toBe("CloseExisting")
    expect(against("Established", "remote", "local", true)).toBe("CloseNew")
  })

  test("two connections opened the same way: the new one replaces the old", () => {
    expect(against("OpenConfirm", "remote", "remote")).toBe("CloseExisting")
  })
})

describe("OpenCollisionDump path", () => {
  test("both connections of one collision: exactly one reaches Established, the other sends Cease 6/7", () => {
    const cfg = config()
    // Our outgoing connection reached OpenConfirm; the peer's incoming one just got its OPEN.
    const outgoing = reach(cfg, [ev("ManualStart"), ev("Tcp_CR_Acked"), open()])
    const incoming = reach(cfg, [ev("ManualStart_with_PassiveTcpEstablishment"), ev("TcpConnectionConfirmed"), open()])
    const decision = Collision.resolve({
      local: { bgpId: cfg.bgpId, asn: cfg.localAs },
      remote: { bgpId: peerOpen().bgpId, asn: PEER_AS },
      newInitiator: "remote",
      existing: { state: outgoing.name, initiator: "local" },
      collisionDetectEstablishedState: cfg.collisionDetectEstablishedState
    })
    expect(decision).toBe("CloseExisting")
    const [lost, lostActions] = Fsm.transition(cfg, outgoing, ev("OpenCollisionDump"))
    const [won] = Fsm.transition(cfg, incoming, ev("KeepAliveMsg"))
    expect(lost.name).toBe("Idle")
    expect(lostActions[0]).toEqual({ _tag: "SendNotification", notification: { _tag: "Notification", code: 6, subcode: 7, data: new Uint8Array(0) } })
    expect(won.name).toBe("Established")
  })
})
