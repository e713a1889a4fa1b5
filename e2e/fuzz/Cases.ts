/**
 * The seed pool (valid messages per session profile) and the case generator:
 * case `index` of a run with seed `seed` is always the same stream of one to four
 * messages, at least one of them mutated, cut into the same chunks and fed to
 * the FSM from the same state.
 */
import fc from "fast-check"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Family, Message, Notification, Open } from "@kbgp/wire"
import { Messages } from "@kbgp/wire/arbitraries"
import * as Mutate from "./Mutate.js"
import * as Profile from "./Profile.js"

export interface ProfileSeeds {
  readonly built: Profile.Built
  readonly opens: ReadonlyArray<Uint8Array>
  /** UPDATEs canonical for the profile's rx context. */
  readonly updates: ReadonlyArray<Uint8Array>
  /** KEEPALIVE, NOTIFICATION, ROUTE-REFRESH, and OPENs the profile's FSM rejects. */
  readonly others: ReadonlyArray<Uint8Array>
}

export interface Pool {
  readonly profiles: ReadonlyArray<ProfileSeeds>
  readonly attributes: Mutate.AttributePool
  readonly size: number
}

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16))

/** Every message of the golden vectors (real BIRD and GoBGP bytes). */
const golden = (): Array<Uint8Array> => {
  const dir = join(import.meta.dir, "..", "..", "packages", "wire", "test", "golden")
  const out: Array<Uint8Array> = []
  for (const d of [dir, join(dir, "extra")]) {
    for (const f of readdirSync(d)) {
      if (!f.endsWith(".hex") || f.includes("-stream")) continue
      for (const line of readFileSync(join(d, f), "utf8").split("\n")) if (/^[0-9a-f]+$/.test(line.trim())) out.push(hex(line.trim()))
    }
  }
  return out
}

const tryEncode = (m: Message.Message, ctx: Context.Context): Uint8Array | undefined => {
  try {
    return Message.encode(m, ctx)
  } catch {
    return undefined // larger than the context allows
  }
}

const defined = <T>(xs: ReadonlyArray<T | undefined>): Array<T> => xs.filter((x): x is T => x !== undefined)

export const makePool = (seed: number): Pool => {
  const goldenMessages = golden()
  const profiles = Profile.profiles.map((p, i): ProfileSeeds => {
    const built = Profile.build(p)
    const rx = built.rx
    const s = (seed + i * 7919) | 0
    const sampledOpens = fc.sample(Messages.open, { seed: s, numRuns: 40 })
    // OPENs the profile's FSM accepts as far as the peer AS, with random capabilities appended.
    const acceptedOpens = sampledOpens.map((o) =>
      tryEncode(
        Open.make({
          asn: p.peerAs,
          holdTime: o.holdTime % 2 === 0 ? 9 : o.holdTime,
          bgpId: o.bgpId === 0 ? Profile.PEER_ID : o.bgpId,
          capabilities: [...built.peerOpen.capabilities, ...o.capabilities.slice(0, 6)]
        }),
        Context.defaults
      )
    )
    const opens = [Message.encode(built.peerOpen, Context.defaults), ...defined(acceptedOpens)]
    const updates = defined(fc.sample(Messages.update(rx), { seed: s + 1, numRuns: 150 }).map((u) => tryEncode(u, rx)))
    const others = [
      Message.encode(Message.keepalive, rx),
      Message.encode(Notification.shutdown(2, "maintenance: back at 12:00 UTC ✓"), rx),
      Message.encode(Notification.hardReset(Notification.shutdown(4, "reset")), rx),
      Message.encode(Notification.maximumPrefixes(Family.Afi.Ipv4, Family.Safi.Unicast, 1000), rx),
      Message.encode(Notification.unsupportedCapability([{ _tag: "ExtendedMessage" }]), rx),
      ...defined(fc.sample(Messages.nonUpdate, { seed: s + 2, numRuns: 60 }).map((m) => tryEncode(m, rx))),
      ...goldenMessages
    ]
    return { built, opens, updates, others }
  })
  const attributes: Array<Uint8Array> = []
  for (const ps of profiles) for (const u of ps.updates) attributes.push(...Mutate.attributesOf(u, ps.built.rx))
  const size = profiles.reduce((n, ps) => n + ps.opens.length + ps.updates.length + ps.others.length, 0)
  return { profiles, attributes, size }
}

export interface Case {
  readonly profile: number
  readonly start: Profile.StartState
  readonly bytes: Uint8Array
  readonly splits: ReadonlyArray<number>
  readonly notes: ReadonlyArray<string>
  readonly text: boolean
}

const startWeights: ReadonlyArray<[Profile.StartState, number]> = [
  ["Established", 45],
  ["OpenSent", 20],
  ["OpenConfirm", 15],
  ["DelayOpen", 10],
  ["Connect", 5],
  ["Active", 5]
]

const pickStart = (rng: Mutate.Rng): Profile.StartState => {
  let r = rng.int(100)
  for (const [s, w] of startWeights) {
    if (r < w) return s
    r -= w
  }
  return "Established"
}

/** Case `index` of the run with `seed`. */
export const generate = (pool: Pool, seed: number, index: number): Case => {
  const rng = new Mutate.Rng(Mutate.caseSeed(seed, index))
  const profile = rng.int(pool.profiles.length)
  const ps = pool.profiles[profile]!
  const start = pickStart(rng)
  const count = rng.chance(0.6) ? 1 : 2 + rng.int(3)
  const messages: Array<Uint8Array> = []
  for (let i = 0; i < count; i++) {
    // Before the OPENs, the first message is usually an OPEN; then mostly UPDATEs.
    const wantsOpen = i === 0 && (start === "OpenSent" || start === "DelayOpen" || start === "Connect" || start === "Active")
    const src = wantsOpen && rng.chance(0.7) ? ps.opens : rng.chance(0.7) ? ps.updates : ps.others
    messages.push(rng.pick(src))
  }
  const notes: Array<string> = []
  const victims = 1 + (rng.chance(0.8) ? 0 : rng.int(count))
  const ctx = ps.built.rx
  for (let v = 0; v < victims; v++) {
    const i = rng.int(count)
    const m = Mutate.mutate(rng, messages[i]!, ctx, pool.attributes)
    messages[i] = m.bytes
    notes.push(`msg ${i}: ${m.notes.join(", ")}`)
  }
  let total = 0
  for (const m of messages) total += m.length
  const bytes = new Uint8Array(total)
  let o = 0
  for (const m of messages) {
    bytes.set(m, o)
    o += m.length
  }
  const splits: Array<number> = []
  const nSplits = rng.chance(0.5) ? 0 : 1 + rng.int(4)
  for (let i = 0; i < nSplits && total > 1; i++) splits.push(1 + rng.int(total - 1))
  splits.sort((a, b) => a - b)
  return { profile, start, bytes, splits, notes, text: rng.chance(0.1) }
}
