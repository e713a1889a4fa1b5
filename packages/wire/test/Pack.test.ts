import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import type { Attributes } from "../src/Attributes.js"
import * as Context from "../src/Context.js"
import { Afi, Ipv4Unicast, Ipv6Unicast, Safi, addressWidth, key } from "../src/Family.js"
import * as Message from "../src/Message.js"
import * as Pack from "../src/Pack.js"
import * as Prefixes from "../src/Prefixes.js"
import * as Update from "../src/Update.js"
import * as WireError from "../src/WireError.js"
import { attributesByteLength } from "../src/internal/PathAttributes.js"
import * as Arb from "./arbitraries/Attributes.js"
import { ipv4, ipv6 } from "./arbitraries/Prefixes.js"

/** `n` distinct large communities (RFC 8092 §3: a receiver drops repeats, so sizes must not rely on them). */
const distinctLarge = (n: number): Uint32Array => Uint32Array.from({ length: 3 * n }, (_, i) => (i % 3 === 2 ? Math.floor(i / 3) : 65000))

// ---------------------------------------------------------------------------
// Helpers

/** A block of `count` pseudo-random prefixes from `seed` (fast for thousands, unlike per-prefix arbitraries). */
const randomBlock = (afi: number, count: number, seed: number, withPathIds: boolean): Prefixes.Prefixes => {
  let s = seed >>> 0 || 1
  const next = (): number => {
    // xorshift32
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return s >>> 0
  }
  const w = addressWidth(afi)
  const b = new Prefixes.Builder(afi, Math.max(count, 1), withPathIds)
  const addr = new Uint8Array(w)
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < w; k += 4) {
      const v = next()
      addr[k] = v >>> 24
      addr[k + 1] = v >>> 16
      addr[k + 2] = v >>> 8
      addr[k + 3] = v
    }
    // Mostly realistic lengths, sometimes anything.
    const r = next()
    const len = r % 4 === 0 ? r % (w * 8 + 1) : afi === Afi.Ipv4 ? 16 + (r % 17) : 32 + (r % 33)
    b.pushBytes(len, addr, 0, next())
  }
  return b.done()
}

const expectUpdate = (bytes: Uint8Array, ctx: Context.Context): Message.Update => {
  const m = Message.decode(bytes, ctx)
  if (WireError.isWireError(m)) throw new Error(`packed message does not decode: ${m.message}`)
  if (m._tag !== "Update") throw new Error(`packed message is a ${m._tag}`)
  return m
}

/** Which of {withdrawn, NLRI, MP_REACH, MP_UNREACH} a message carries (RFC 7606 §5.1 wants exactly one). */
const kinds = (u: Message.Update): Array<string> => {
  const k: Array<string> = []
  if (u.withdrawn.count > 0) k.push("withdrawn")
  if (u.nlri.count > 0) k.push("nlri")
  if (u.mpReach !== undefined) k.push("mpReach")
  if (u.mpUnreach !== undefined) k.push("mpUnreach")
  return k
}

/** The prefixes a decoded message carries, whichever field they are in. */
const carried = (u: Message.Update): Prefixes.Prefixes => {
  const p = u.nlri.count > 0 ? u.nlri : u.withdrawn.count > 0 ? u.withdrawn : (u.mpReach?.nlri ?? u.mpUnreach?.withdrawn)
  if (p === undefined || p instanceof Uint8Array) throw new Error("no prefixes in a packed message")
  return p
}

/** Offset of the first path attribute's type code in a whole message. */
const firstAttributeCode = (m: Uint8Array): number => {
  const withdrawnLength = (m[19]! << 8) | m[20]!
  return m[19 + 2 + withdrawnLength + 2 + 1]!
}

/** Bytes the message would grow by with one more prefix of `size` NLRI bytes (an MP length octet may widen). */
const growth = (m: Uint8Array, u: Message.Update, size: number): number => {
  if (u.mpReach === undefined && u.mpUnreach === undefined) return size
  const at = 19 + 4 + ((m[19]! << 8) | m[20]!)
  const extended = (m[at]! & 0x10) !== 0
  const value = extended ? (m[at + 2]! << 8) | m[at + 3]! : m[at + 2]!
  return size + (!extended && value + size > 255 ? 1 : 0)
}

interface Checked {
  readonly updates: Array<Message.Update>
}

/**
 * The packing invariants: each message within the limit with a valid header, one kind
 * per UPDATE, MP attribute first, canonical bytes, all prefixes present once in order,
 * and no message that could have taken the next prefix.
 */
const checkPacked = (
  messages: Array<Uint8Array>,
  prefixes: Prefixes.Prefixes,
  ctx: Context.Context,
  family: number,
  kind: "nlri" | "withdrawn" | "mpReach" | "mpUnreach"
): Checked => {
  if (prefixes.count === 0) {
    expect(messages).toEqual([])
    return { updates: [] }
  }
  const max = Context.maxMessageLength(ctx, 2)
  const addPath = ctx.addPath.has(family)
  const updates = messages.map((m) => expectUpdate(m, ctx))
  messages.forEach((m, i) => {
    const u = updates[i]!
    expect(m.length).toBeLessThanOrEqual(max)
    expect(Array.from(m.subarray(0, 16))).toEqual(new Array<number>(16).fill(0xff))
    expect((m[16]! << 8) | m[17]!).toBe(m.length)
    expect(m[18]).toBe(2)
    expect(kinds(u)).toEqual([kind])
    if (kind === "mpReach") expect(firstAttributeCode(m)).toBe(14)
    if (kind === "mpUnreach") expect(firstAttributeCode(m)).toBe(15)
    // Canonical: the codec writes the same bytes for the decoded message.
    expect(Message.encode(u, ctx)).toEqual(m)
    expect(carried(u).count).toBeGreaterThan(0)
  })
  // Every prefix exactly once, in order (path ids only where ADD-PATH is negotiated).
  const joined = Prefixes.concat(prefixes.afi, updates.map(carried))
  const want = { ...prefixes, pathIds: addPath ? (prefixes.pathIds ?? new Uint32Array(prefixes.count)) : undefined }
  expect(Prefixes.equals(joined, want)).toBe(true)
  // Minimal: greedy in order, so each message but the last was too full for the next prefix.
  let index = 0
  messages.forEach((m, i) => {
    index += carried(updates[i]!).count
    if (i < messages.length - 1) {
      const size = Prefixes.encodedSize(prefixes.lengths[index]!, addPath)
      expect(m.length + growth(m, updates[i]!, size)).toBeGreaterThan(max)
    }
  })
  expect(index).toBe(prefixes.count)
  return { updates }
}

const contexts = [
  { name: "4096-byte messages", ctx: Context.make({ ebgp: true }) },
  { name: "extended messages (65535)", ctx: Context.make({ ebgp: true, extendedMessage: true }) }
] as const

const baseAttributes: Attributes = {
  origin: 0,
  asPath: [{ type: 2, asns: [65000, 65001] }],
  communities: Uint32Array.of(0xfde80001)
}
const NH4 = Uint8Array.of(192, 0, 2, 1)
const NH6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
const NH6_LL = new Uint8Array(32).fill(0xfe)

// ---------------------------------------------------------------------------

describe("packUpdates", () => {
  for (const { name, ctx } of contexts) {
    test(`IPv4 unicast: NEXT_HOP + NLRI field, full and minimal messages (${name})`, () => {
      const p = randomBlock(Afi.Ipv4, 5000, 1, false)
      const messages = Pack.packUpdates(baseAttributes, { afi: 1, safi: 1, nextHop: NH4, prefixes: p }, ctx)
      const { updates } = checkPacked(messages, p, ctx, Ipv4Unicast, "nlri")
      for (const u of updates) expect(u.attributes).toEqual({ ...baseAttributes, nextHop: NH4 })
    })

    test(`IPv6 unicast: MP_REACH_NLRI first, no NEXT_HOP attribute (${name})`, () => {
      const p = randomBlock(Afi.Ipv6, 5000, 2, false)
      const messages = Pack.packUpdates({ ...baseAttributes, nextHop: NH4 }, { afi: 2, safi: 1, nextHop: NH6, prefixes: p }, ctx)
      const { updates } = checkPacked(messages, p, ctx, Ipv6Unicast, "mpReach")
      for (const u of updates) {
        expect(u.attributes).toEqual(baseAttributes)
        expect(u.mpReach?.nextHop).toEqual(NH6)
      }
    })

    test(`IPv4 unicast withdrawals use the Withdrawn Routes field (${name})`, () => {
      const p = randomBlock(Afi.Ipv4, 5000, 3, false)
      checkPacked(Pack.packWithdrawals(1, 1, p, ctx), p, ctx, Ipv4Unicast, "withdrawn")
    })

    test(`IPv6 withdrawals use MP_UNREACH_NLRI (${name})`, () => {
      const p = randomBlock(Afi.Ipv6, 5000, 4, false)
      checkPacked(Pack.packWithdrawals(2, 1, p, ctx), p, ctx, Ipv6Unicast, "mpUnreach")
    })
  }

  test("random attribute sets, families, sizes and ADD-PATH keep every packing invariant", () => {
    const families = [
      [1, 1],
      [1, 2],
      [2, 1],
      [2, 2]
    ] as const
    fc.assert(
      fc.property(
        fc.record({
          family: fc.constantFrom(...families),
          extendedMessage: fc.boolean(),
          asn4: fc.boolean(),
          addPath: fc.boolean(),
          idsInBlock: fc.boolean(),
          count: fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 500, max: 4000 })),
          seed: fc.integer(),
          longNextHop: fc.boolean()
        }),
        fc.boolean().chain((asn4) => Arb.attributes({ asn4, ebgp: true }).map((a) => [asn4, a] as const)),
        (c, [asn4, attributes]) => {
          const [afi, safi] = c.family
          const family = key(afi, safi)
          const ctx = Context.make({
            asn4,
            ebgp: true,
            extendedMessage: c.extendedMessage,
            addPath: c.addPath ? new Set([family]) : new Set()
          })
          fc.pre(attributesByteLength(attributes, ctx) < 3000)
          const p = randomBlock(afi, c.count, c.seed, c.idsInBlock)
          const nextHop = afi === Afi.Ipv4 ? NH4 : c.longNextHop ? NH6_LL : NH6
          const messages = Pack.packUpdates(attributes, { afi, safi, nextHop, prefixes: p }, ctx)
          const kind = afi === Afi.Ipv4 && safi === Safi.Unicast ? "nlri" : "mpReach"
          checkPacked(messages, p, ctx, family, kind)
          checkPacked(Pack.packWithdrawals(afi, safi, p, ctx), p, ctx, family, kind === "nlri" ? "withdrawn" : "mpUnreach")
        }
      ),
      { numRuns: 60 }
    )
  })

  test("ADD-PATH path ids are packed when negotiated for the family", () => {
    const ctx = Context.make({ addPath: new Set([Ipv4Unicast]) })
    const p = Prefixes.fromEntries(Afi.Ipv4, [{ address: Uint8Array.of(10, 0, 0, 0), length: 8, pathId: 42 }], true)
    const [m] = Pack.packUpdates(baseAttributes, { afi: 1, safi: 1, nextHop: NH4, prefixes: p }, ctx)
    expect(Array.from(m!.subarray(m!.length - 6))).toEqual([0, 0, 0, 42, 8, 10])
    expect(Prefixes.toEntries(expectUpdate(m!, ctx).nlri)).toEqual([{ address: Uint8Array.of(10, 0, 0, 0), length: 8, pathId: 42 }])
  })

  test("the message count is the arithmetic minimum for equal-size prefixes", () => {
    const ctx = Context.make()
    const p = ipv4(...Array.from({ length: 3000 }, (_, i) => `10.${i >>> 8}.${i & 255}.0/24`))
    const messages = Pack.packUpdates(baseAttributes, { afi: 1, safi: 1, nextHop: NH4, prefixes: p }, ctx)
    const attrBytes = attributesByteLength({ ...baseAttributes, nextHop: NH4 }, ctx)
    const perMessage = Math.floor((4096 - 23 - attrBytes) / 4)
    expect(messages.length).toBe(Math.ceil(3000 / perMessage))
    expect(messages[0]!.length).toBe(23 + attrBytes + 4 * perMessage)
  })

  test("IPv4 routes with an IPv6 next hop go in MP_REACH_NLRI when extended next hop is negotiated (RFC 8950)", () => {
    const ctx = Context.make({ extendedNextHop: new Set([Ipv4Unicast]) })
    const p = ipv4("10.0.0.0/8", "192.168.0.0/16")
    const messages = Pack.packUpdates(baseAttributes, { afi: 1, safi: 1, nextHop: NH6, prefixes: p }, ctx)
    const { updates } = checkPacked(messages, p, ctx, Ipv4Unicast, "mpReach")
    expect(updates[0]!.mpReach).toMatchObject({ afi: 1, safi: 1, nextHop: NH6 })
  })

  test("an IPv6 next hop for IPv4 routes without extended next hop is a caller error", () => {
    expect(() => Pack.packUpdates(baseAttributes, { afi: 1, safi: 1, nextHop: NH6, prefixes: ipv4("10.0.0.0/8") }, Context.make())).toThrow(
      RangeError
    )
  })

  test("an IPv4 next hop for IPv6 routes is a caller error", () => {
    expect(() => Pack.packUpdates(baseAttributes, { afi: 2, safi: 1, nextHop: NH4, prefixes: ipv6("2001:db8::/32") }, Context.make())).toThrow(
      RangeError
    )
  })

  test("attributes too large to leave room for a prefix are a caller error", () => {
    const huge: Attributes = { ...baseAttributes, largeCommunities: distinctLarge(340) }
    expect(attributesByteLength(huge, Context.make())).toBeGreaterThan(4096 - 23)
    expect(() => Pack.packUpdates(huge, { afi: 1, safi: 1, nextHop: NH4, prefixes: ipv4("10.0.0.0/8") }, Context.make())).toThrow(RangeError)
  })

  test("an MP_REACH_NLRI value of at most 255 bytes takes a one-byte length, and the byte saved holds NLRI", () => {
    const ctx = Context.make()
    // About 3844 bytes of other attributes leave about 205 bytes for IPv6 NLRI.
    const big: Attributes = { ...baseAttributes, largeCommunities: distinctLarge(318) }
    const p = randomBlock(Afi.Ipv6, 300, 7, false)
    const messages = Pack.packUpdates(big, { afi: 2, safi: 1, nextHop: NH6, prefixes: p }, ctx)
    checkPacked(messages, p, ctx, Ipv6Unicast, "mpReach")
    expect(messages.length).toBeGreaterThan(2)
    for (const m of messages) expect(m[23]).toBe(0x80) // Optional, no Extended Length
    expect(messages[0]!.length).toBeGreaterThanOrEqual(4096 - 20)
  })

  test("prefixes of another AFI than the family's are a caller error", () => {
    expect(() => Pack.packUpdates(baseAttributes, { afi: 2, safi: 1, nextHop: NH6, prefixes: ipv4("10.0.0.0/8") }, Context.make())).toThrow(
      RangeError
    )
    expect(() => Pack.packWithdrawals(1, 1, ipv6("2001:db8::/32"), Context.make())).toThrow(RangeError)
  })

  test("no prefixes, no messages", () => {
    expect(Pack.packUpdates(baseAttributes, { afi: 1, safi: 1, nextHop: NH4, prefixes: Prefixes.empty(Afi.Ipv4) }, Context.make())).toEqual([])
    expect(Pack.packWithdrawals(2, 1, Prefixes.empty(Afi.Ipv6), Context.make())).toEqual([])
  })
})

describe("endOfRib (RFC 4724 §2)", () => {
  test("IPv4 unicast End-of-RIB is the 23-byte empty UPDATE", () => {
    const m = Pack.endOfRib(1, 1, Context.make())
    expect(Array.from(m)).toEqual([...new Array<number>(16).fill(0xff), 0, 23, 2, 0, 0, 0, 0])
    expect(Update.isEndOfRib(expectUpdate(m, Context.make()))).toBe(Ipv4Unicast)
  })

  test("IPv6 unicast End-of-RIB is an UPDATE with only an empty MP_UNREACH_NLRI", () => {
    const m = Pack.endOfRib(2, 1, Context.make())
    expect(Array.from(m)).toEqual([...new Array<number>(16).fill(0xff), 0, 29, 2, 0, 0, 0, 6, 0x80, 15, 3, 0, 2, 1])
    expect(Update.isEndOfRib(expectUpdate(m, Context.make()))).toBe(Ipv6Unicast)
  })
})
