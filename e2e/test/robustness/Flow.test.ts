/**
 * Flow abuse against `bun run speaker`: a peer that stops reading (the
 * speaker's RFC 9687 send hold timer must end the session), a peer that
 * trickles one byte per second, a flood of 100,000 KEEPALIVEs and a burst of
 * 100,000 UPDATEs. After each: the session that should survive survives, the
 * daemon runs, the good peer is untouched, and after the heavy cases the
 * daemon's memory (VmRSS) comes back near its baseline. No timing asserts
 * beyond generous timeouts.
 */
import { describe, expect, test } from "bun:test"
import { Effect, Option } from "effect"
import * as Poll from "../../src/lab/Poll.js"
import * as SpeakerProcess from "../../src/lab/SpeakerProcess.js"
import * as Craft from "../../src/evil/Craft.js"
import * as LocalSpeaker from "../../src/evil/LocalSpeaker.js"
import * as Scenario from "../../src/evil/Scenario.js"
import { daemonForFile } from "./Table.js"

/** Peers by index: 0 stops reading (short send hold time), 1 trickles, 2 floods KEEPALIVEs, 3 and 4 burst UPDATEs. */
const SEND_HOLD = 5
const peers: ReadonlyArray<Pick<Scenario.Case, "session">> = [
  { session: { peerConfig: { holdTime: 3, sendHoldTime: SEND_HOLD } } },
  {},
  {},
  {},
  {}
]
/** 65,536 routes only the non-reading peer is sent, so that ROUTE-REFRESH requests fill its TCP window fast. */
const bulk: SpeakerProcess.RouteConfig = { prefix: "10.200.0.0/16", split: 32, nextHop: "192.0.2.1", peers: [Scenario.evilName(0)] }

const theEnv = daemonForFile(peers, [bulk])

const rssMiB = (e: Scenario.Env) => (LocalSpeaker.rssKiB(e.sp.process.pid) ?? 0) / 1024

/** Heavy cases may grow the heap; after the routes are gone it must come back within this many MiB of the baseline (generous). */
const MEMORY_SLACK_MIB = 200
/** A second identical burst may not leave the daemon much bigger than the first did. */
const LEAK_SLACK_MIB = 48

const settledRss = async (e: Scenario.Env): Promise<number> => {
  // The heap shrinks lazily: give the collector three seconds, and take the lowest reading.
  let rss = rssMiB(e)
  for (let i = 0; i < 12; i++) {
    await Scenario.sleep(250)
    rss = Math.min(rss, rssMiB(e))
  }
  return rss
}

describe("robustness flow", () => {
  test(`a peer that stops reading: the send hold timer (${SEND_HOLD} s) ends the session with 8/0 [RFC 9687 §3, §4]`, async () => {
    const e = theEnv()
    const { peer } = await Scenario.establish(e, peers[0]!, 0)
    const problems: Array<string> = []
    let pump: ReturnType<typeof setInterval> | undefined
    try {
      peer.keepalives(1000)
      peer.stopReading()
      const from = (await Scenario.run(SpeakerProcess.lines(e.sp))).length
      const started = Date.now()
      // Keep the speaker's hold timer fed, and keep asking for the whole table again.
      pump = setInterval(() => {
        if (!peer.closed) void peer.send(Craft.routeRefresh(1, 1))
      }, 100)
      const closed = await peer.closesWithin(40_000)
      clearInterval(pump)
      if (!closed) problems.push(`the session is still up ${Date.now() - started} ms after we stopped reading`)
      const line = await Scenario.run(
        SpeakerProcess.waitFor(e.sp, (l) => l.msg.includes("NOTIFICATION sent: 8/0"), { what: "8/0 sent", from, timeout: "5 seconds" })
      ).catch(() => undefined)
      if (line === undefined) problems.push("no 'NOTIFICATION sent: 8/0' line in the daemon's log")
      const status = await Scenario.run(SpeakerProcess.peer(e.sp, Scenario.evilName(0)))
      const last = status.lastError
      if (last?.kind !== "sent" || last.code !== 8 || last.subcode !== 0) problems.push(`lastError ${JSON.stringify(last)}, expected sent 8/0`)
    } finally {
      clearInterval(pump)
      peer.destroy()
    }
    problems.push(...(await Scenario.checkBystanders(e)))
    expect(problems).toEqual([])
  }, 60_000)

  test("a peer that trickles one byte per second: 5 bytes, then the rest; the UPDATE is accepted, the session stays up", async () => {
    const e = theEnv()
    const { peer, ctx } = await Scenario.establish(e, peers[1]!, 1)
    const problems: Array<string> = []
    try {
      const update = Craft.update({ attributes: ctx.base(), nlri: Craft.prefixes(ctx.followUp) })
      // No KEEPALIVE may land inside the trickled message; 5 s is well within the 9 s hold time.
      peer.stopKeepalives()
      const sent = await peer.trickle(update.subarray(0, 5), 1000)
      if (sent !== 5) problems.push(`only ${sent} bytes could be trickled`)
      await peer.send(update.subarray(5))
      if (!(await Scenario.waitRoute(e, 1, ctx.followUp))) problems.push(`the trickled UPDATE's ${ctx.followUp} never reached the Adj-RIB-In`)
      if (peer.closed || peer.messages().some((m) => m._tag === "Notification")) problems.push(`session ended: ${peer.describe()}`)
    } finally {
      peer.destroy()
    }
    problems.push(...(await Scenario.checkBystanders(e)))
    expect(problems).toEqual([])
  }, 30_000)

  test("a flood of 100,000 KEEPALIVEs: counted, the session stays up, a following UPDATE is accepted", async () => {
    const e = theEnv()
    const { peer, ctx } = await Scenario.establish(e, peers[2]!, 2)
    const problems: Array<string> = []
    try {
      const before = await Scenario.run(SpeakerProcess.peer(e.sp, Scenario.evilName(2)))
      const keepalive = Craft.keepalive()
      const flood = new Uint8Array(keepalive.length * 100_000)
      for (let i = 0; i < 100_000; i++) flood.set(keepalive, i * keepalive.length)
      await peer.send(flood, Craft.update({ attributes: ctx.base(), nlri: Craft.prefixes(ctx.followUp) }))
      if (!(await Scenario.waitRoute(e, 2, ctx.followUp, true, 30_000))) problems.push(`the UPDATE after the flood never reached the Adj-RIB-In`)
      const after = await Scenario.run(SpeakerProcess.peer(e.sp, Scenario.evilName(2)))
      const counted = after.messages.received.keepalive - before.messages.received.keepalive
      if (counted < 100_000) problems.push(`the speaker counted ${counted} KEEPALIVEs of the 100,000`)
      if (after.state !== "Established" || after.establishedCount !== before.establishedCount) problems.push(`the session was reset: ${after.state}`)
      if (peer.closed || peer.messages().some((m) => m._tag === "Notification")) problems.push(`session ended: ${peer.describe()}`)
    } finally {
      peer.destroy()
    }
    problems.push(...(await Scenario.checkBystanders(e)))
    expect(problems).toEqual([])
  }, 60_000)

  /** One burst on peer `index`: 100,000 UPDATEs, then the session is closed and its routes must be flushed. */
  const burstCycle = async (e: Scenario.Env, index: number, problems: Array<string>): Promise<{ peak: number; settled: number }> => {
    const { peer, ctx } = await Scenario.establish(e, peers[index]!, index)
    let peak = 0
    try {
      const one = Craft.update({ attributes: ctx.base(), nlri: Craft.bytes(32, 10, 64, 0, 0) })
      const burst = new Uint8Array(one.length * 100_000)
      // 10.64.0.0/32, 10.64.0.1/32, … : the last three NLRI bytes count up.
      for (let i = 0; i < 100_000; i++) {
        one[one.length - 3] = 64 + (i >>> 16)
        one[one.length - 2] = (i >>> 8) & 0xff
        one[one.length - 1] = i & 0xff
        burst.set(one, i * one.length)
      }
      await peer.send(burst, Craft.update({ attributes: ctx.base(), nlri: Craft.prefixes(ctx.followUp) }))
      if (!(await Scenario.waitRoute(e, index, ctx.followUp, true, 60_000))) problems.push("the UPDATE after the burst never reached the Adj-RIB-In")
      const status = await Scenario.run(SpeakerProcess.peer(e.sp, Scenario.evilName(index)))
      const received = status.families.find((f) => f.family === "ipv4-unicast")?.received ?? 0
      // 100,000 /32s from the burst, the case prefix and the follow-up.
      if (received !== 100_002) problems.push(`Adj-RIB-In holds ${received} routes, expected 100,002`)
      if (status.messages.received.update < 100_002) problems.push(`the speaker counted ${status.messages.received.update} UPDATEs`)
      if (peer.closed || peer.messages().some((m) => m._tag === "Notification")) problems.push(`session ended: ${peer.describe()}`)
      peak = rssMiB(e)
    } finally {
      peer.destroy()
    }
    // The session is gone: it must leave Established, and its 100,002 routes the Adj-RIB-In.
    let last = "no answer from /v1/peers"
    const flushed = await Scenario.run(
      Poll.until(
        Effect.map(SpeakerProcess.peer(e.sp, Scenario.evilName(index)), (p) => {
          const left = p.families.find((f) => f.family === "ipv4-unicast")?.received ?? 0
          last = `${p.state} with ${left} routes in the Adj-RIB-In`
          return left === 0 && p.state !== "Established" ? Option.some(true) : Option.none()
        }),
        { what: "the closed session flushed", timeout: "10 seconds", interval: "50 millis" }
      ).pipe(Effect.orElseSucceed(() => false))
    )
    if (!flushed) problems.push(`the closed session is still ${last}`)
    return { peak, settled: await settledRss(e) }
  }

  test("two bursts of 100,000 UPDATEs: all routes accepted, session up; after each the routes are flushed and memory does not ratchet up", async () => {
    const e = theEnv()
    const problems: Array<string> = []
    const baseline = rssMiB(e)
    const first = await burstCycle(e, 3, problems)
    const second = await burstCycle(e, 4, problems)
    console.log(
      `memory (VmRSS of the daemon, MiB): baseline ${baseline.toFixed(0)}; burst 1 peak ${first.peak.toFixed(0)}, settled ${first.settled.toFixed(0)}; burst 2 peak ${second.peak.toFixed(0)}, settled ${second.settled.toFixed(0)}`
    )
    // The allocator keeps its high-water mark, so "back near baseline" is judged generously, and a leak by the second
    // cycle: the same load again must not need much more memory than the first time.
    if (first.settled > baseline + MEMORY_SLACK_MIB) problems.push(`after burst 1 VmRSS ${first.settled.toFixed(0)} MiB, baseline ${baseline.toFixed(0)} (+${MEMORY_SLACK_MIB} allowed)`)
    if (second.settled > first.settled + LEAK_SLACK_MIB) problems.push(`after burst 2 VmRSS ${second.settled.toFixed(0)} MiB, after burst 1 ${first.settled.toFixed(0)} (+${LEAK_SLACK_MIB} allowed)`)
    problems.push(...(await Scenario.checkBystanders(e)))
    expect(problems).toEqual([])
  }, 110_000)
})
