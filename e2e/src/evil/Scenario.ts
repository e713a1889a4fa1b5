/**
 * The robustness scenario harness: one `bun run speaker` daemon on loopback, a
 * well-behaved peer ("good", 127.0.0.2, which announces a route and keeps its
 * session up with KEEPALIVEs), and one evil peer address per case
 * (127.0.1.N), so that a session reset in one case (and the idle-hold backoff
 * after it) never touches the next. A case is data: what the evil peer sends
 * and the exact outcome the RFCs require; `runCase` plays it and returns the
 * list of mismatches (empty when the speaker behaved).
 *
 * The speaker originates routes and does not transit (packages/speaker
 * README), so what it made of an UPDATE is read from its Adj-RIB-In through the
 * status API (/v1/routes?peer=…&direction=received). Order is the proof: after
 * the malformed message the peer announces a second prefix validly, and once
 * that one is in the Adj-RIB-In the malformed message has been handled.
 */
import { Effect, Option, type Scope } from "effect"
import { type Message, type Prefixes, Text } from "@kbgp/wire"
import * as Poll from "../lab/Poll.js"
import * as SpeakerProcess from "../lab/SpeakerProcess.js"
import * as Craft from "./Craft.js"
import { EvilPeer } from "./EvilPeer.js"
import * as LocalSpeaker from "./LocalSpeaker.js"

export const LOCAL_AS = 65001
export const GOOD_AS = 65002
export const EVIL_AS = 65100
export const GOOD_ADDRESS = "127.0.0.2"
export const GOOD_PREFIX = "100.64.0.0/24"
export const HOLD_TIME = 9

export type Category = "rfc7606" | "parser-killers" | "header" | "open-fsm" | "flow"

export interface SessionOptions {
  /** Same AS as the speaker (default false: eBGP from EVIL_AS). */
  readonly ibgp?: boolean
  /** Announce the 4-octet AS capability (default true). */
  readonly asn4?: boolean
  /** Announce RFC 8654 extended messages (default true; the speaker announces it too). */
  readonly extendedMessage?: boolean
  /** Leave this peer out of the daemon's config: its connection comes from an unknown address. */
  readonly unconfigured?: boolean
  /** Extra settings for this peer in the daemon's config (e.g. sendHoldTime). */
  readonly peerConfig?: Readonly<Record<string, unknown>>
}

/** What the case's peer gets to build its bytes with. */
export interface CaseContext {
  readonly asn: number
  readonly asn4: boolean
  /** The prefix announced (validly) before the malformed message, and used in it. */
  readonly prefix: string
  /** A second prefix, announced validly after the malformed message to show the session still works. */
  readonly followUp: string
  /** Valid ORIGIN, AS_PATH, NEXT_HOP for this session. */
  readonly base: () => Array<Uint8Array>
  /** An UPDATE for `prefix`: the base attributes with `changes` applied (type code → attribute, or null to drop it), then `extra`. */
  readonly updateWith: (changes: ReadonlyArray<readonly [number, Uint8Array | null]>, extra?: ReadonlyArray<Uint8Array>) => Uint8Array
}

export type Outcome =
  /** RFC 7606 treat-as-withdraw: the session stays up, the route is withdrawn from the Adj-RIB-In. */
  | { readonly kind: "withdraw" }
  /** The session stays up and the route is kept; `check` looks at it as /v1/routes shows the Adj-RIB-In. */
  | {
      readonly kind: "keep"
      readonly what: string
      readonly check?: (route: SpeakerProcess.RouteRow) => string | undefined
    }
  /** Session reset: a NOTIFICATION with exactly this code, subcode and data, then the connection closes. */
  | {
      readonly kind: "reset"
      readonly code: number
      readonly subcode: number
      /** The exact data; or `dataOf`, computed from the case's context (e.g. the attribute as sent). Neither: not checked. */
      readonly data?: Uint8Array
      readonly dataOf?: (c: CaseContext) => Uint8Array
    }
  /** "open" phase: the (odd but valid) OPEN is accepted, the session reaches Established and carries a route. */
  | { readonly kind: "session-up" }
  /** The evil peer's NOTIFICATION ends the session: no NOTIFICATION back (RFC 4271 §6.4), the speaker records it. */
  | { readonly kind: "received-notification"; readonly code: number; readonly subcode: number; readonly shutdown?: string }

export interface Case {
  readonly name: string
  readonly category: Category
  /** The rule, e.g. "RFC 7606 §7.1". */
  readonly rfc: string
  readonly session?: SessionOptions
  /** "open": the peer's OPEN itself is the malformed message (no handshake). Default "established". */
  readonly phase?: "open" | "established"
  readonly send: (c: CaseContext) => Uint8Array | ReadonlyArray<Uint8Array>
  readonly expect: Outcome
}

export const evilAddress = (index: number): string => `127.0.1.${index + 1}`
export const evilName = (index: number): string => `evil-${index + 1}`
const casePrefix = (index: number) => `10.${index + 1}.0.0/24`
const followUpPrefix = (index: number) => `10.${index + 1}.1.0/24`

const peerAs = (s: SessionOptions | undefined) => (s?.ibgp === true ? LOCAL_AS : EVIL_AS)

/** The daemon's config: the good peer and one passive peer per case. */
export const config = (
  port: number,
  cases: ReadonlyArray<Pick<Case, "session">>,
  routes: ReadonlyArray<SpeakerProcess.RouteConfig> = []
): SpeakerProcess.Config => ({
  routerId: "127.0.0.1",
  localAs: LOCAL_AS,
  listener: { address: "127.0.0.1", port },
  peers: [
    { name: "good", address: GOOD_ADDRESS, asn: GOOD_AS, passive: true, holdTime: HOLD_TIME, export: "accept" },
    ...cases.flatMap((c, i) =>
      c.session?.unconfigured === true
        ? []
        : [{ name: evilName(i), address: evilAddress(i), asn: peerAs(c.session), passive: true, holdTime: HOLD_TIME, ...(c.session?.peerConfig ?? {}) }]
    )
  ],
  routes: [{ prefix: "198.51.100.1/32", nextHop: "192.0.2.1" }, ...routes]
})

export interface Env {
  readonly sp: SpeakerProcess.SpeakerProcess
  readonly port: number
  readonly good: EvilPeer
  /** The good peer's session as the speaker saw it when the file started. */
  readonly goodEstablishedAt: number
  readonly goodEstablishedCount: number
}

/** Run an Effect from promise code (the status client fails with LabError). */
export const run = <A>(eff: Effect.Effect<A, unknown>): Promise<A> => Effect.runPromise(eff as Effect.Effect<A, never>)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const hasPrefix = (p: Prefixes.Prefixes | undefined, prefix: string) => p !== undefined && Text.formatPrefixes(p).includes(prefix)

/** An UPDATE that announces `prefix` (NLRI field or MP_REACH_NLRI) and is not treat-as-withdraw. */
export const announces = (prefix: string) => (m: Message.Message): m is Message.Update =>
  m._tag === "Update" &&
  !m.treatAsWithdraw &&
  (hasPrefix(m.nlri, prefix) || (m.mpReach !== undefined && !(m.mpReach.nlri instanceof Uint8Array) && hasPrefix(m.mpReach.nlri, prefix)))

/** An UPDATE that withdraws `prefix`. */
export const withdraws = (prefix: string) => (m: Message.Message): m is Message.Update =>
  m._tag === "Update" &&
  (hasPrefix(m.withdrawn, prefix) ||
    (m.mpUnreach !== undefined && !(m.mpUnreach.withdrawn instanceof Uint8Array) && hasPrefix(m.mpUnreach.withdrawn, prefix)))

/** Starts the daemon (in `scope`), connects the good peer and waits until its route is in the speaker's RIB. */
export const setup = (
  cases: ReadonlyArray<Pick<Case, "session">>,
  routes: ReadonlyArray<SpeakerProcess.RouteConfig> = []
): Effect.Effect<Env, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const port = yield* Effect.promise(LocalSpeaker.freePort)
    const sp = yield* LocalSpeaker.start(config(port, cases, routes))
    const good = yield* Effect.promise(() => EvilPeer.connect({ host: "127.0.0.1", port, localAddress: GOOD_ADDRESS }))
    yield* Effect.addFinalizer(() => Effect.sync(() => good.destroy()))
    yield* Effect.promise(() => good.handshake({ asn: GOOD_AS, bgpId: GOOD_ADDRESS, holdTime: HOLD_TIME }))
    good.keepalives(3000)
    yield* Effect.promise(() =>
      good.send(Craft.update({ attributes: [Craft.Attr.origin(0), Craft.Attr.asPath([Craft.seq(GOOD_AS)]), Craft.Attr.nextHop("192.0.2.2")], nlri: Craft.prefixes(GOOD_PREFIX) }))
    )
    yield* Poll.until(
      Effect.map(SpeakerProcess.routes(sp, { peer: "good", direction: "received" }), (rs) =>
        rs.some((r) => r.prefix === GOOD_PREFIX) ? Option.some(true) : Option.none()
      ),
      { what: `the good peer's ${GOOD_PREFIX} in the speaker's Adj-RIB-In`, timeout: "5 seconds", interval: "50 millis" }
    )
    const g = yield* SpeakerProcess.peer(sp, "good")
    return {
      sp,
      port,
      good,
      goodEstablishedAt: Number(g.establishedAt),
      goodEstablishedCount: g.establishedCount
    }
  })

/** What must hold after every case: the daemon runs, the good peer's session and route are untouched. */
export const checkBystanders = async (env: Env): Promise<Array<string>> => {
  const problems: Array<string> = []
  if (!env.sp.process.running() || !LocalSpeaker.alive(env.sp.process.pid)) {
    problems.push(`the speaker process is gone:\n${(await run(SpeakerProcess.lines(env.sp))).slice(-20).map((l) => JSON.stringify(l)).join("\n")}`)
    return problems
  }
  if (env.good.closed) problems.push("the good peer's connection was closed")
  if (env.good.messages().some((m) => m._tag === "Notification")) problems.push(`the good peer got a NOTIFICATION: ${env.good.describe()}`)
  // KEEPALIVEs keep flowing to the good peer (every third of the 9 s hold time).
  const lastKeepalive = env.good.received.findLast((r) => "message" in r && r.message._tag === "Keepalive")?.at ?? 0
  if (Date.now() - lastKeepalive > HOLD_TIME * 1000) problems.push(`no KEEPALIVE reached the good peer for ${Date.now() - lastKeepalive} ms`)
  const g = await run(SpeakerProcess.peer(env.sp, "good"))
  if (g.state !== "Established") problems.push(`the good peer is ${g.state}`)
  if (g.establishedCount !== env.goodEstablishedCount || Number(g.establishedAt) !== env.goodEstablishedAt) {
    problems.push(`the good peer's session was re-established (count ${env.goodEstablishedCount} → ${g.establishedCount})`)
  }
  const rs = await run(SpeakerProcess.routes(env.sp, { peer: "good", direction: "received" }))
  if (!rs.some((r) => r.prefix === GOOD_PREFIX)) problems.push(`the good peer's route ${GOOD_PREFIX} is gone`)
  return problems
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

const receivedRoute = async (env: Env, index: number, prefix: string) => {
  const rs = await run(SpeakerProcess.routes(env.sp, { peer: evilName(index), direction: "received" }))
  return rs.find((r) => r.prefix === prefix)
}

/** Poll the peer's Adj-RIB-In until `prefix` is there (or, with `present` false, gone); false on timeout. */
export const waitRoute = (env: Env, index: number, prefix: string, present = true, ms = 5000): Promise<boolean> =>
  Effect.runPromise(
    Poll.until(
      Effect.map(SpeakerProcess.routes(env.sp, { peer: evilName(index), direction: "received" }), (rs) =>
        rs.some((r) => r.prefix === prefix) === present ? Option.some(true) : Option.none()
      ),
      { what: `${prefix} ${present ? "in" : "gone from"} ${evilName(index)}'s Adj-RIB-In`, timeout: `${ms} millis`, interval: "20 millis" }
    ).pipe(Effect.orElseSucceed(() => false))
  )

export const contextFor = (c: Pick<Case, "session">, index: number): CaseContext => {
  const asn = peerAs(c.session)
  const asn4 = c.session?.asn4 ?? true
  const prefix = casePrefix(index)
  const base = () => [Craft.Attr.origin(0), Craft.Attr.asPath([Craft.seq(asn)], asn4), Craft.Attr.nextHop("192.0.2.99")]
  return {
    asn,
    asn4,
    prefix,
    followUp: followUpPrefix(index),
    base,
    updateWith: (changes, extra = []) => {
      const attrs: Array<Uint8Array> = []
      const replaced = new Set<number>()
      for (const a of base()) {
        const code = a[1]!
        const change = changes.find(([c]) => c === code)
        if (change === undefined) attrs.push(a)
        else {
          replaced.add(code)
          if (change[1] !== null) attrs.push(change[1])
        }
      }
      for (const [code, a] of changes) if (!replaced.has(code) && a !== null) attrs.push(a)
      return Craft.update({ attributes: [...attrs, ...extra], nlri: Craft.prefixes(prefix) })
    }
  }
}

export const capabilitiesFor = (c: Pick<Case, "session">, asn: number): Array<Uint8Array> => [
  Craft.Cap.multiprotocol(1, 1),
  Craft.Cap.routeRefresh(),
  ...(c.session?.asn4 === false ? [] : [Craft.Cap.fourOctetAs(asn)]),
  ...(c.session?.extendedMessage === false ? [] : [Craft.Cap.extendedMessage()])
]

export interface Connected {
  readonly peer: EvilPeer
  readonly ctx: CaseContext
}

/** Connect case `index`'s evil peer, do the handshake, announce its prefix and wait until the good peer has it. */
export const establish = async (env: Env, c: Pick<Case, "session">, index: number): Promise<Connected> => {
  const ctx = contextFor(c, index)
  const peer = await EvilPeer.connect({ host: "127.0.0.1", port: env.port, localAddress: evilAddress(index) })
  await peer.handshake({ asn: ctx.asn, bgpId: evilAddress(index), holdTime: HOLD_TIME, capabilities: capabilitiesFor(c, ctx.asn) })
  peer.keepalives(3000)
  await peer.send(Craft.update({ attributes: ctx.base(), nlri: Craft.prefixes(ctx.prefix) }))
  if (!(await waitRoute(env, index, ctx.prefix))) throw new Error(`the valid announcement of ${ctx.prefix} never reached the Adj-RIB-In`)
  return { peer, ctx }
}

/** Play one case; the mismatches with the expected outcome (empty: passed). */
export const runCase = async (env: Env, c: Case, index: number): Promise<Array<string>> => {
  const problems: Array<string> = []
  let peer: EvilPeer | undefined
  try {
    let ctx: CaseContext
    if (c.phase === "open") {
      ctx = contextFor(c, index)
      peer = await EvilPeer.connect({ host: "127.0.0.1", port: env.port, localAddress: evilAddress(index) })
    } else {
      const connected = await establish(env, c, index)
      peer = connected.peer
      ctx = connected.ctx
    }
    const evilMark = peer.received.length
    const payload = c.send(ctx)
    await peer.send(...(payload instanceof Uint8Array ? [payload] : payload))
    const e = c.expect
    switch (e.kind) {
      case "session-up": {
        await peer.waitFor((m) => m._tag === "Open", 5000, evilMark)
        await peer.send(Craft.keepalive())
        await peer.waitFor((m) => m._tag === "Keepalive", 5000, evilMark)
        await peer.send(Craft.update({ attributes: ctx.base(), nlri: Craft.prefixes(ctx.prefix) }))
        if (!(await waitRoute(env, index, ctx.prefix))) problems.push(`the announcement of ${ctx.prefix} never reached the Adj-RIB-In`)
        if (peer.messages(evilMark).some((m) => m._tag === "Notification")) problems.push(`unexpected NOTIFICATION: ${peer.describe()}`)
        break
      }
      case "withdraw":
      case "keep": {
        // The follow-up shows the session read on past the malformed message (and that it was handled).
        await peer.send(Craft.update({ attributes: ctx.base(), nlri: Craft.prefixes(ctx.followUp) }))
        if (!(await waitRoute(env, index, ctx.followUp))) {
          problems.push(`a valid UPDATE after the malformed one was not accepted; the peer received ${peer.describe()}`)
        }
        const notification = peer.messages(evilMark).find((m) => m._tag === "Notification")
        if (notification !== undefined) problems.push(`unexpected NOTIFICATION: ${peer.describe()}`)
        if (peer.closed) problems.push(`the session was closed: ${peer.describe()}`)
        const route = await receivedRoute(env, index, ctx.prefix)
        if (e.kind === "withdraw" && route !== undefined) problems.push(`${ctx.prefix} is still in the Adj-RIB-In: ${JSON.stringify(route)}`)
        if (e.kind === "keep") {
          if (route === undefined) problems.push(`${ctx.prefix} should be kept (${e.what}) but is not in the Adj-RIB-In`)
          else {
            const p = e.check?.(route)
            if (p !== undefined) problems.push(`${e.what}: ${p} (route: ${JSON.stringify(route)})`)
          }
        }
        break
      }
      case "reset": {
        const n = await peer.notification(5000).catch((err: unknown) => {
          problems.push(`expected NOTIFICATION ${e.code}/${e.subcode}: ${String(err)}`)
          return undefined
        })
        if (n !== undefined) {
          if (n.code !== e.code || n.subcode !== e.subcode) problems.push(`NOTIFICATION ${n.code}/${n.subcode}, expected ${e.code}/${e.subcode}`)
          const data = e.data ?? e.dataOf?.(ctx)
          if (data !== undefined && hex(n.data) !== hex(data)) problems.push(`NOTIFICATION data ${hex(n.data)}, expected ${hex(data)}`)
        }
        if (!(await peer.closesWithin(3000))) problems.push("the connection stayed open after the NOTIFICATION")
        if (c.phase !== "open" && !(await waitRoute(env, index, ctx.prefix, false, 3000))) {
          problems.push(`the reset session's route ${ctx.prefix} is still in the Adj-RIB-In`)
        }
        break
      }
      case "received-notification": {
        if (!(await peer.closesWithin(3000))) problems.push("the speaker kept the connection open after our NOTIFICATION")
        const answer = peer.messages(evilMark).find((m) => m._tag === "Notification")
        if (answer !== undefined) problems.push(`the speaker answered a NOTIFICATION with one (RFC 4271 §6.4 forbids): ${peer.describe()}`)
        const p = await run(SpeakerProcess.peer(env.sp, evilName(index)))
        const last = p.lastError
        if (last?.kind !== "received" || last.code !== e.code || last.subcode !== e.subcode) {
          problems.push(`lastError ${JSON.stringify(last)}, expected received ${e.code}/${e.subcode}`)
        } else if (e.shutdown !== undefined && last.shutdown !== e.shutdown) {
          problems.push(`shutdown communication ${JSON.stringify(last.shutdown)}, expected ${JSON.stringify(e.shutdown)}`)
        }
        if (!(await waitRoute(env, index, ctx.prefix, false, 3000))) problems.push(`the closed session's route ${ctx.prefix} is still in the Adj-RIB-In`)
        break
      }
    }
  } catch (err) {
    problems.push(`case aborted: ${err instanceof Error ? err.message : String(err)}${peer !== undefined ? `; evil peer received ${peer.describe()}` : ""}`)
  } finally {
    peer?.destroy()
  }
  problems.push(...(await checkBystanders(env)))
  return problems
}

export { sleep }
