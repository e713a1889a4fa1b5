import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { type Capability, Family, Notification } from "@kbgp/wire"
import type { TimerName } from "../src/Action.js"
import type * as Config from "../src/Config.js"
import * as Event from "../src/Event.js"
import * as Fsm from "../src/Fsm.js"
import * as State from "../src/State.js"
import { config, LOCAL_ID, PEER_AS, PEER_ID, peerOpen, update, wireError } from "./support/FsmFixtures.js"

const simpleTags: ReadonlyArray<Event.Simple["_tag"]> = [
  "ManualStart",
  "ManualStop",
  "AutomaticStart",
  "ManualStart_with_PassiveTcpEstablishment",
  "AutomaticStart_with_PassiveTcpEstablishment",
  "AutomaticStart_with_DampPeerOscillations",
  "AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment",
  "AutomaticStop",
  "ConnectRetryTimer_Expires",
  "HoldTimer_Expires",
  "KeepaliveTimer_Expires",
  "DelayOpenTimer_Expires",
  "IdleHoldTimer_Expires",
  "SendHoldTimer_Expires",
  "StableTimer_Expires",
  "TcpConnection_Valid",
  "Tcp_CR_Invalid",
  "Tcp_CR_Acked",
  "TcpConnectionConfirmed",
  "TcpConnectionFails",
  "OpenCollisionDump",
  "KeepAliveMsg"
]

const afi = fc.constantFrom(1, 2, 25, 0xffff)
const safi = fc.constantFrom(1, 2, 4, 128, 255)
const flags = fc.integer({ min: 0, max: 255 })

/** Any capability the codec can carry, with values in and out of range, so negotiation sees odd OPENs too. */
const arbCapability: fc.Arbitrary<Capability.Capability> = fc.oneof(
  fc.record({ afi, safi }).map((f): Capability.Capability => ({ _tag: "Multiprotocol", ...f })),
  fc.constantFrom<Capability.Capability>({ _tag: "RouteRefresh" }, { _tag: "EnhancedRouteRefresh" }, { _tag: "ExtendedMessage" }),
  fc.constantFrom(PEER_AS, 4200000001, 0, 23456).map((asn): Capability.Capability => ({ _tag: "FourOctetAs", asn })),
  fc
    .record({
      flags: fc.integer({ min: 0, max: 15 }),
      restartTime: fc.integer({ min: 0, max: 4095 }),
      families: fc.array(fc.record({ afi, safi, flags }), { maxLength: 3 })
    })
    .map((g): Capability.Capability => ({ _tag: "GracefulRestart", ...g })),
  fc
    .array(fc.record({ afi, safi, flags, staleTime: fc.integer({ min: 0, max: 0xffffff }) }), { maxLength: 3 })
    .map((families): Capability.Capability => ({ _tag: "LongLivedGracefulRestart", families })),
  fc
    .array(fc.record({ afi, safi, mode: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 })
    .map((families): Capability.Capability => ({ _tag: "AddPath", families })),
  fc
    .array(fc.record({ afi, safi: fc.integer({ min: 0, max: 0xffff }), nextHopAfi: afi }), { maxLength: 3 })
    .map((entries): Capability.Capability => ({ _tag: "ExtendedNextHop", entries })),
  fc.record({ hostname: fc.string({ maxLength: 8 }), domain: fc.string({ maxLength: 8 }) }).map((f): Capability.Capability => ({ _tag: "Fqdn", ...f })),
  fc
    .record({ code: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 4 }) })
    .map((u): Capability.Capability => ({ _tag: "Unknown", ...u }))
)

const arbOpen = fc
  .record({
    asn: fc.constantFrom(PEER_AS, PEER_AS, PEER_AS, 65099, 0, 4200000001),
    holdTime: fc.constantFrom(90, 90, 0, 1, 2, 3, 65535),
    bgpId: fc.constantFrom(PEER_ID, PEER_ID, 0, LOCAL_ID, 0xffffffff),
    // Mostly the usual capabilities (so sessions come up), sometimes any list.
    capabilities: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      { arbitrary: fc.array(arbCapability, { maxLength: 8 }), weight: 1 }
    )
  })
  .map(({ capabilities, ...f }) => peerOpen(capabilities === undefined ? f : { ...f, capabilities }))

const arbNotification = fc
  .record({ code: fc.integer({ min: 0, max: 9 }), subcode: fc.integer({ min: 0, max: 12 }), data: fc.uint8Array({ maxLength: 8 }) })
  .map(({ code, subcode, data }) => Notification.make(code, subcode, data))

const arbError = fc.record({ code: fc.integer({ min: 1, max: 7 }), subcode: fc.integer({ min: 0, max: 11 }) }).map(({ code, subcode }) => wireError(code, subcode))

const arbEvent: fc.Arbitrary<Event.Event> = fc.oneof(
  { arbitrary: fc.constantFrom(...simpleTags).map((tag) => Event.of(tag) as Event.Event), weight: 10 },
  // The happy path, weighted so that random runs regularly reach Established.
  { arbitrary: fc.constantFrom<Event.Event>(Event.of("ManualStart"), Event.of("Tcp_CR_Acked"), Event.of("KeepAliveMsg")), weight: 4 },
  { arbitrary: arbOpen.map((open): Event.Event => ({ _tag: "BGPOpen", open })), weight: 4 },
  { arbitrary: arbOpen.map((open): Event.Event => ({ _tag: "BGPOpen_with_DelayOpenTimer_running", open })), weight: 1 },
  { arbitrary: arbNotification.map((notification): Event.Event => ({ _tag: "NotifMsg", notification })), weight: 1 },
  { arbitrary: arbNotification.map((notification): Event.Event => ({ _tag: "NotifMsgVerErr", notification })), weight: 1 },
  { arbitrary: fc.constant<Event.Event>({ _tag: "UpdateMsg", update }), weight: 2 },
  {
    arbitrary: fc
      .record({ afi: fc.constantFrom(1, 2), safi: fc.constantFrom(1, 2), subtype: fc.integer({ min: 0, max: 3 }) })
      .map((m): Event.Event => ({ _tag: "RouteRefreshMsg", message: { _tag: "RouteRefresh", ...m } })),
    weight: 1
  },
  {
    arbitrary: fc
      .tuple(fc.constantFrom("BGPHeaderErr", "BGPOpenMsgErr", "UpdateMsgErr") as fc.Arbitrary<"BGPHeaderErr" | "BGPOpenMsgErr" | "UpdateMsgErr">, arbError)
      .map(([_tag, error]): Event.Event => ({ _tag, error })),
    weight: 1
  },
  { arbitrary: fc.option(arbNotification, { nil: undefined }).map((n): Event.Event => (n === undefined ? { _tag: "ManualStop" } : { _tag: "ManualStop", notification: n })), weight: 1 },
  { arbitrary: fc.constant<Event.Event>(Event.maxPrefixesExceeded(1, 1, 100)), weight: 1 }
)

/**
 * Sequences built from chunks: mostly single random events, sometimes a
 * prefix of the start → connect → OPEN → KEEPALIVE run, so that random events
 * regularly hit every state, Established included.
 */
const happyPath: ReadonlyArray<Event.Event> = [
  Event.of("ManualStart"),
  Event.of("Tcp_CR_Acked"),
  { _tag: "BGPOpen", open: peerOpen() },
  Event.of("KeepAliveMsg")
]
const arbEvents: fc.Arbitrary<Array<Event.Event>> = fc
  .array(
    fc.oneof(
      { arbitrary: arbEvent.map((e) => [e]), weight: 8 },
      // Prefixes of the happy path leave the FSM in Connect, OpenSent, OpenConfirm or Established for the next random event.
      { arbitrary: fc.integer({ min: 1, max: happyPath.length }).map((n) => happyPath.slice(0, n)), weight: 3 }
    ),
    { maxLength: 40, size: "max" }
  )
  .map((chunks) => chunks.flat())

const arbConfig: fc.Arbitrary<Config.Config> = fc
  .record({
    delayOpenTime: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    passive: fc.boolean(),
    dampPeerOscillations: fc.boolean(),
    holdTime: fc.constantFrom(0, 3, 90),
    jitter: fc.boolean(),
    collisionDetectEstablishedState: fc.boolean(),
    gr: fc.boolean(),
    addPath: fc.constantFrom<ReadonlyArray<"receive" | "send" | "both">>([], ["receive"], ["both"])
  })
  .map(({ delayOpenTime, gr, addPath, ...rest }) =>
    config({
      ...rest,
      ...(delayOpenTime === undefined ? {} : { delayOpenTime }),
      capabilities: {
        families: [Family.Ipv4Unicast, Family.Ipv6Unicast],
        addPath: addPath.map((mode) => ({ family: Family.Ipv4Unicast, mode })),
        extendedNextHop: gr ? [Family.Ipv4Unicast] : [],
        ...(gr ? { gracefulRestart: { restartTime: 120, restarting: false, notification: true } } : {})
      }
    })
  )

/** Timers each state may have running (per the StartTimer/StopTimer actions so far). */
const allowed: Record<State.Name, ReadonlySet<TimerName>> = {
  Idle: new Set(["IdleHold"]),
  Connect: new Set(["ConnectRetry", "DelayOpen"]),
  Active: new Set(["ConnectRetry", "DelayOpen"]),
  OpenSent: new Set(["Hold"]),
  OpenConfirm: new Set(["Hold", "Keepalive"]),
  Established: new Set(["Hold", "Keepalive", "SendHold", "Stable"])
}

const expiredTimer = (event: Event.Event): TimerName | undefined => {
  const m = /^(.*)Timer_Expires$/.exec(event._tag)
  return m === null ? undefined : (m[1] as TimerName)
}

/** Feed the events, checking every step; returns whether Established was ever reached. */
const check = (cfg: Config.Config, seed: number, events: ReadonlyArray<Event.Event>): boolean => {
  let state = State.initial(seed)
  const running = new Set<TimerName>()
  let reached = false
  for (const event of events) {
    const [next, actions] = Fsm.transition(cfg, state, event)
    // Established only from OpenConfirm on a KEEPALIVE, and SessionEstablished exactly then.
    const entered = next.name === "Established" && state.name !== "Established"
    if (entered) {
      expect(state.name).toBe("OpenConfirm")
      expect(event._tag).toBe("KeepAliveMsg")
      reached = true
    }
    expect(actions.some((a) => a._tag === "SessionEstablished")).toBe(entered)
    // SessionDown only when a connection that reached OpenSent is given up.
    if (actions.some((a) => a._tag === "SessionDown")) {
      expect(["OpenSent", "OpenConfirm", "Established"]).toContain(state.name)
      expect(["Idle", "Active"]).toContain(next.name)
    }
    // Every NOTIFICATION is followed by dropping the connection.
    const sentAt = actions.findIndex((a) => a._tag === "SendNotification")
    if (sentAt >= 0) expect(actions.slice(sentAt).some((a) => a._tag === "DropConnection")).toBe(true)
    // State invariants.
    expect(next.negotiated !== undefined).toBe(next.name === "OpenConfirm" || next.name === "Established")
    if (next.delayOpenRunning) expect(["Connect", "Active"]).toContain(next.name)
    if (event._tag === "ManualStop") expect(next.start).toBeUndefined()
    expect(next.connectRetryCounter).toBeGreaterThanOrEqual(0)
    expect(next.failures).toBeGreaterThanOrEqual(0)
    // Timers: model them from the actions; a fired timer is no longer running.
    const fired = expiredTimer(event)
    if (fired !== undefined) running.delete(fired)
    for (const a of actions) {
      if (a._tag === "StartTimer") {
        expect(Number.isInteger(a.millis) && a.millis > 0).toBe(true)
        running.add(a.timer)
      } else if (a._tag === "StopTimer") running.delete(a.timer)
    }
    for (const t of running) expect(allowed[next.name].has(t)).toBe(true)
    // A started session in Idle always has its restart armed; a stopped one runs nothing.
    if (next.name === "Idle") expect(running.has("IdleHold")).toBe(next.start !== undefined)
    state = next
  }
  return reached
}

describe("random event sequences", () => {
  test("never throw, reach Established only from OpenConfirm on KEEPALIVE, and keep timers consistent with the state", () => {
    fc.assert(
      fc.property(arbConfig, fc.integer(), arbEvents, (cfg, seed, events) => {
        check(cfg, seed, events)
      }),
      { numRuns: 1000 }
    )
  })

  test("the generator regularly reaches Established, so the property above exercises it", () => {
    const samples = fc.sample(fc.tuple(arbConfig, fc.integer(), arbEvents), { numRuns: 300, seed: 4271 })
    const reached = samples.filter(([cfg, seed, events]) => check(cfg, seed, events)).length
    expect(reached).toBeGreaterThan(100)
  })
})

describe("purity of the core", () => {
  const core = ["Action", "Backoff", "Collision", "Config", "Event", "Fsm", "Negotiation", "State"]

  test("the core modules import only @kbgp/wire and each other, and name no clock, random source or timer", async () => {
    for (const name of core) {
      const source = await Bun.file(`${import.meta.dir}/../src/${name}.ts`).text()
      const imports = [...source.matchAll(/from "([^"]+)"/g)].map((m) => m[1])
      for (const from of imports) expect(from === "@kbgp/wire" || core.some((c) => from === `./${c}.js`)).toBe(true)
      expect(source).not.toMatch(/Math\.random|Date\.now|new Date|performance\.now|setTimeout|setInterval|process\./)
    }
  })

  test("transition runs with Math.random, Date.now and performance.now unavailable", () => {
    // Drawn before the stubs go in: fast-check itself may read the clock.
    const samples = fc.sample(fc.tuple(arbConfig, fc.integer(), arbEvents), { numRuns: 200, seed: 6608 })
    const saved = { random: Math.random, now: Date.now, perf: performance.now }
    const forbidden = (what: string) => () => {
      throw new Error(`the pure core called ${what}`)
    }
    let established = 0
    Math.random = forbidden("Math.random")
    Date.now = forbidden("Date.now")
    performance.now = forbidden("performance.now")
    try {
      for (const [cfg, seed, events] of samples) {
        const [last] = Fsm.run(cfg, State.initial(seed), events)
        if (last.negotiated !== undefined) established++
      }
    } finally {
      Math.random = saved.random
      Date.now = saved.now
      performance.now = saved.perf
    }
    // The samples negotiated sessions, so Negotiation ran too.
    expect(established).toBeGreaterThan(0)
  })
})
