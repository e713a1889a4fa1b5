import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as Capability from "../src/Capability.js"
import * as Context from "../src/Context.js"
import * as Family from "../src/Family.js"
import { Writer } from "../src/internal/Writer.js"
import * as Message from "../src/Message.js"
import * as Notification from "../src/Notification.js"
import * as Open from "../src/Open.js"
import * as Update from "../src/Update.js"
import * as WireError from "../src/WireError.js"
import * as Arb from "./arbitraries/Messages.js"

const ctx = Context.defaults
const extended = Context.make({ extendedMessage: true })

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16))
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
const MARKER = "ff".repeat(16)

/** A header with `length` and `type`, followed by `body`. */
const frame = (length: number, type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const m = new Uint8Array(19 + body.length)
  m.fill(0xff, 0, 16)
  m[16] = length >>> 8
  m[17] = length & 0xff
  m[18] = type
  m.set(body, 19)
  return m
}
/** A message whose length field is right for its size. */
const message = (type: number, bodyLength: number): Uint8Array => frame(19 + bodyLength, type, new Uint8Array(bodyLength))

const expectError = (r: unknown, code: number, subcode: number, data?: Uint8Array): WireError.WireError => {
  expect(WireError.isWireError(r)).toBe(true)
  const e = r as WireError.WireError
  expect([e.code, e.subcode]).toEqual([code, subcode])
  if (data !== undefined) expect(toHex(e.data)).toBe(toHex(data))
  return e
}

/**
 * A decode result is a Message or a WireError with every field defined: no
 * undefined properties (except Prefixes' `pathIds`, undefined by design), no NaN.
 */
const expectWellFormed = (r: unknown): void => {
  const walk = (v: unknown, path: string): void => {
    if (typeof v === "number") {
      if (!Number.isInteger(v)) throw new Error(`${path} is ${v}`)
      return
    }
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined && k !== "pathIds") throw new Error(`${path}.${k} is undefined`)
      walk(x, `${path}.${k}`)
    }
  }
  if (WireError.isWireError(r)) {
    expect(Number.isInteger(r.code) && Number.isInteger(r.subcode)).toBe(true)
    expect(r.data).toBeInstanceOf(Uint8Array)
    expect(typeof r.detail).toBe("string")
    return
  }
  expect(["Open", "Update", "Notification", "Keepalive", "RouteRefresh"]).toContain((r as Message.Message)._tag)
  walk(r, "message")
}

/** Sessions to round-trip in: a plain one, and a 2-octet iBGP one with ADD-PATH and extended messages. */
const sessions: ReadonlyArray<readonly [string, Context.Context]> = [
  ["a default session", ctx],
  [
    "a 2-octet iBGP session with ADD-PATH and extended messages",
    Context.make({
      asn4: false,
      ebgp: false,
      extendedMessage: true,
      addPath: new Set([Family.Ipv4Unicast, Family.Ipv6Unicast]),
      extendedNextHop: new Set([Family.Ipv4Unicast])
    })
  ]
]

/** Any message that fits the default session's 4096 bytes (large attribute sets are skipped). */
const anyMessage: fc.Arbitrary<Message.Message> = Arb.message(ctx).filter((m) => fits(m, ctx))
const fits = (m: Message.Message, c: Context.Context): boolean => {
  try {
    Message.encode(m, c)
    return true
  } catch {
    return false
  }
}

describe("Message round trips", () => {
  for (const [name, session] of sessions) {
    const arb = Arb.message(session).filter((m) => fits(m, session))

    test(`decode(encode(m)) equals m for every message type in ${name}`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          expect(Message.decode(Message.encode(m, session), session)).toEqual(m)
        }),
        { numRuns: 400 }
      )
    })

    test(`encode(decode(b)) equals b for canonical bytes in ${name}`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const bytes = Message.encode(m, session)
          const back = Message.decode(bytes, session) as Message.Message
          expect(toHex(Message.encode(back, session))).toBe(toHex(bytes))
        }),
        { numRuns: 400 }
      )
    })
  }

  test("a KEEPALIVE is the 19-byte header alone", () => {
    const bytes = Message.encode(Message.keepalive, ctx)
    expect(toHex(bytes)).toBe(`${MARKER}001304`)
    expect(Message.decode(bytes, ctx)).toEqual({ _tag: "Keepalive" })
  })

  test("golden OPEN: AS 65001, hold 90, id 10.0.0.1, MP IPv4 unicast, route refresh, 4-octet AS", () => {
    const bytes = hex(`${MARKER} 002d 01 04 fde9 005a 0a000001 10 02 0e 01040001 0001 0200 4104 0000fde9`)
    const open = Open.make({
      asn: 65001,
      holdTime: 90,
      bgpId: 0x0a000001,
      capabilities: [{ _tag: "Multiprotocol", afi: 1, safi: 1 }, { _tag: "RouteRefresh" }, { _tag: "FourOctetAs", asn: 65001 }]
    })
    expect(Message.decode(bytes, ctx)).toEqual(open)
    expect(toHex(Message.encode(open, ctx))).toBe(toHex(bytes))
  })

  test("golden NOTIFICATION: Cease / Administrative Shutdown with a communication", () => {
    const bytes = hex(`${MARKER} 0019 03 06 02 03 627965`)
    expect(Message.decode(bytes, ctx)).toEqual(Notification.shutdown(2, "bye"))
    expect(toHex(Message.encode(Notification.shutdown(2, "bye"), ctx))).toBe(toHex(bytes))
  })

  test("write appends several messages to one writer", () => {
    const w = new Writer(8)
    const a = Message.write(w, Message.keepalive, ctx)
    const b = Message.write(w, Notification.make(4, 0), ctx)
    expect([a, b]).toEqual([19, 21])
    expect(toHex(w.finish())).toBe(`${MARKER}001304${MARKER}0015030400`)
  })

  test("typeOf gives the RFC 4271 type numbers", () => {
    expect(Message.typeOf(Open.make({ asn: 1, holdTime: 0, bgpId: 1 }))).toBe(1)
    expect(Message.typeOf(Update.make())).toBe(2)
    expect(Message.typeOf(Notification.make(6, 0))).toBe(3)
    expect(Message.typeOf(Message.keepalive)).toBe(4)
    expect(Message.typeOf({ _tag: "RouteRefresh", afi: 1, safi: 1, subtype: 0 })).toBe(5)
  })
})

describe("Message header helpers", () => {
  test("writeHeader reserves a marker, length and type; finishMessage patches the length", () => {
    const w = new Writer(4)
    w.u8(0xaa)
    const at = Message.writeHeader(w, 2)
    expect(at).toBe(1)
    w.u16(0)
    w.u16(0)
    expect(Message.finishMessage(w, at)).toBe(23)
    expect(toHex(w.finish())).toBe(`aa${MARKER}0017020000 0000`.replace(" ", ""))
  })

  test("finishMessage refuses a message over 65535 bytes", () => {
    const w = new Writer()
    const at = Message.writeHeader(w, 2)
    w.raw(new Uint8Array(65535))
    expect(() => Message.finishMessage(w, at)).toThrow(RangeError)
  })
})

describe("Message header errors (RFC 4271 §6.1)", () => {
  test("a marker that is not all ones is 1/1 Connection Not Synchronized", () => {
    const m = Message.encode(Message.keepalive, ctx)
    m[7] = 0xfe
    const e = expectError(Message.decode(m, ctx), 1, 1, new Uint8Array(0))
    expect(e.reason).toBe("Header")
  })

  test("a length under 19 is 1/2 Bad Message Length with the length field as data", () => {
    expectError(Message.decode(frame(18, 4), ctx), 1, 2, hex("0012"))
  })

  test("a length over 4096 is 1/2 without extended messages", () => {
    expectError(Message.decode(message(2, 4096 - 19 + 1), ctx), 1, 2, hex("1001"))
  })

  test("an UPDATE over 4096 is accepted by the header check with extended messages (RFC 8654)", () => {
    const m = message(2, 5000)
    expect(Message.checkHeader(m, 0, true)).toBeUndefined()
    expect(Message.checkHeader(m, 0, false)?.subcode).toBe(2)
  })

  test("an OPEN over 4096 is 1/2 even with extended messages (RFC 8654 §4)", () => {
    expectError(Message.decode(message(1, 5000), extended), 1, 2, hex("139b"))
  })

  test("a KEEPALIVE over 4096 is 1/2 even with extended messages", () => {
    expectError(Message.decode(message(4, 5000), extended), 1, 2, hex("139b"))
  })

  test("a NOTIFICATION and a ROUTE-REFRESH may exceed 4096 with extended messages", () => {
    expect(Message.checkHeader(message(3, 5000), 0, true)).toBeUndefined()
    expect(Message.checkHeader(message(5, 5000), 0, true)).toBeUndefined()
  })

  test("an unknown type is 1/3 Bad Message Type with the type as data", () => {
    expectError(Message.decode(message(6, 0), ctx), 1, 3, hex("06"))
    expectError(Message.decode(message(0, 4), ctx), 1, 3, hex("00"))
    expectError(Message.decode(message(255, 10), ctx), 1, 3, hex("ff"))
  })

  test("an OPEN shorter than 29 is 1/2", () => {
    expectError(Message.decode(message(1, 9), ctx), 1, 2, hex("001c"))
  })

  test("an UPDATE shorter than 23 is 1/2", () => {
    expectError(Message.decode(message(2, 3), ctx), 1, 2, hex("0016"))
  })

  test("a NOTIFICATION shorter than 21 is 1/2", () => {
    expectError(Message.decode(message(3, 1), ctx), 1, 2, hex("0014"))
  })

  test("a KEEPALIVE longer than 19 is 1/2", () => {
    expectError(Message.decode(message(4, 1), ctx), 1, 2, hex("0014"))
  })

  test("a ROUTE-REFRESH of 24 bytes is 7/1 Invalid Message Length with the complete message as data (RFC 7313 §5)", () => {
    const m = frame(24, 5, hex("0001 00 01 00"))
    const e = expectError(Message.decode(m, ctx), 7, 1, m)
    expect(e.reason).toBe("RouteRefresh")
  })

  test("a ROUTE-REFRESH of 22 bytes is 7/1 with the complete message", () => {
    const m = frame(22, 5, hex("0001 00"))
    expectError(Message.decode(m, ctx), 7, 1, m)
  })

  test("a length field that disagrees with the bytes given is 1/2", () => {
    const m = Message.encode(Message.keepalive, ctx)
    const longer = new Uint8Array(20)
    longer.set(m)
    expectError(Message.decode(longer, ctx), 1, 2, hex("0013"))
    const open = Message.encode(Open.make({ asn: 1, holdTime: 0, bgpId: 1 }), ctx)
    expectError(Message.decode(open.subarray(0, 28), ctx), 1, 2)
  })

  test("fewer than 19 bytes is 1/2", () => {
    expectError(Message.decode(hex(MARKER), ctx), 1, 2)
    expectError(Message.decode(new Uint8Array(0), ctx), 1, 2)
  })

  test("decodeBody with an unknown type is 1/3", () => {
    expectError(Message.decodeBody(9, new Uint8Array(4), 0, 4, ctx), 1, 3, hex("09"))
  })

  test("decodeBody of a KEEPALIVE with a body is 1/2 with the implied length", () => {
    expectError(Message.decodeBody(4, new Uint8Array(2), 0, 2, ctx), 1, 2, hex("0015"))
  })
})

describe("Message size limits on encode", () => {
  test("a message over the limit is a RangeError and leaves the writer unchanged", () => {
    const big = Notification.make(6, 0, new Uint8Array(4096 - 21 + 1))
    expect(() => Message.encode(big, ctx)).toThrow(RangeError)
    const w = new Writer()
    Message.write(w, Message.keepalive, ctx)
    expect(() => Message.write(w, big, ctx)).toThrow(RangeError)
    expect(w.offset).toBe(19)
  })

  test("exactly 4096 bytes is allowed", () => {
    expect(Message.encode(Notification.make(6, 0, new Uint8Array(4096 - 21)), ctx).length).toBe(4096)
  })

  test("with extended messages a NOTIFICATION may exceed 4096 but an OPEN may not", () => {
    expect(Message.encode(Notification.make(6, 0, new Uint8Array(5000)), extended).length).toBe(5021)
    const caps = Array.from({ length: 17 }, (_, i) => ({ _tag: "Unknown" as const, code: 200 + i, value: new Uint8Array(250) }))
    const open = Open.make({ asn: 1, holdTime: 0, bgpId: 1, capabilities: caps })
    expect(() => Message.encode(open, extended)).toThrow(RangeError)
  })
})

describe("Message decoding never throws", () => {
  test("random bytes decode to a message or an error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, ext) => {
        expectWellFormed(Message.decode(bytes, ext ? extended : ctx))
      }),
      { numRuns: 1000 }
    )
  })

  test("random bodies behind a valid header decode to a message or an error", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 120 }), (type, body) => {
        const m = frame(19 + body.length, type, body)
        expectWellFormed(Message.decode(m, ctx))
        expectWellFormed(Message.decodeBody(type, m, 19, m.length, ctx))
      }),
      { numRuns: 2000 }
    )
  })

  test("mutated valid messages decode to a message or an error", () => {
    fc.assert(
      fc.property(
        anyMessage,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (m, edits, fixLength) => {
          const bytes = Message.encode(m, ctx)
          // Mutate after the marker half the time, so the body decoders see the damage.
          for (const [at, v] of edits) bytes[fixLength ? 19 + (at % Math.max(1, bytes.length - 19)) : at % bytes.length] = v
          expectWellFormed(Message.decode(bytes, ctx))
        }
      ),
      { numRuns: 1000 }
    )
  })

  test("truncated valid messages with a patched length decode to a message or an error", () => {
    fc.assert(
      fc.property(anyMessage, fc.nat(), (m, cut) => {
        const bytes = Message.encode(m, ctx)
        const n = 19 + (cut % Math.max(1, bytes.length - 19))
        const t = bytes.slice(0, n)
        t[16] = n >>> 8
        t[17] = n & 0xff
        expectWellFormed(Message.decode(t, ctx))
      }),
      { numRuns: 1000 }
    )
  })
})

describe("Message golden vectors captured from BIRD 2.0.12 and GoBGP 3.10.0", () => {
  const dir = join(import.meta.dir, "golden")
  const lines = (file: string): Array<Uint8Array> =>
    readFileSync(join(dir, file), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(hex)
  const one = (file: string): Message.Message => {
    const [bytes] = lines(file)
    const m = Message.decode(bytes!, ctx)
    if (WireError.isWireError(m)) throw m
    return m
  }
  const files = [
    ...readdirSync(dir),
    ...readdirSync(join(dir, "extra")).map((f) => `extra/${f}`)
  ].filter((f) => /(open|notification|route-refresh|keepalive).*\.hex$/.test(f))

  test("there are OPEN, NOTIFICATION, ROUTE-REFRESH and KEEPALIVE captures", () => {
    expect(files.filter((f) => f.includes("open")).length).toBeGreaterThanOrEqual(6)
    expect(files.some((f) => f.includes("notification"))).toBe(true)
    expect(files.some((f) => f.includes("route-refresh"))).toBe(true)
  })

  for (const file of files) {
    test(`${file}: every message decodes and re-encodes to the captured bytes`, () => {
      for (const bytes of lines(file)) {
        const m = Message.decode(bytes, ctx)
        expectWellFormed(m)
        if (WireError.isWireError(m)) throw m
        expect(toHex(Message.encode(m, ctx))).toBe(toHex(bytes))
      }
    })
  }

  test("BIRD's OPEN: 4-octet AS 65001, Role kept as an unknown capability, empty LLGR, FQDN hostname", () => {
    const open = one("bird-open.hex") as Message.Open
    expect([Open.asn(open), open.holdTime, open.bgpId]).toEqual([65001, 90, 0xc0000201])
    expect(Open.capability(open, "Unknown")).toEqual({ _tag: "Unknown", code: 9, value: Uint8Array.of(0) })
    expect(Open.capability(open, "LongLivedGracefulRestart")).toEqual({ _tag: "LongLivedGracefulRestart", families: [] })
    expect(Open.capability(open, "Fqdn")).toEqual({ _tag: "Fqdn", hostname: "bird-golden", domain: "" })
    expect(Open.capability(open, "AddPath")?.families).toEqual([{ afi: 1, safi: 1, mode: 3 }])
  })

  test("BIRD's OPEN with LLGR: per-family stale times and Extended Next Hop", () => {
    const open = one("extra/bird-open-llgr.hex") as Message.Open
    expect(Open.capability(open, "LongLivedGracefulRestart")?.families).toEqual([
      { afi: 1, safi: 1, flags: 0, staleTime: 3600 },
      { afi: 2, safi: 1, flags: 0, staleTime: 3600 }
    ])
    expect(Open.capability(open, "ExtendedNextHop")?.entries).toEqual([{ afi: 1, safi: 1, nextHopAfi: 2 }])
    expect(Open.capability(open, "ExtendedMessage")).toEqual({ _tag: "ExtendedMessage" })
  })

  test("GoBGP's OPEN with LLGR: GR for IPv4 only, LLGR stale time 3600, ADD-PATH send/receive", () => {
    const open = one("extra/gobgp-open-llgr.hex") as Message.Open
    expect(Open.capability(open, "GracefulRestart")).toEqual({
      _tag: "GracefulRestart",
      flags: 0,
      restartTime: 120,
      families: [{ afi: 1, safi: 1, flags: 0 }]
    })
    expect(Open.capability(open, "LongLivedGracefulRestart")?.families).toEqual([{ afi: 1, safi: 1, flags: 0, staleTime: 3600 }])
    expect(Open.capability(open, "AddPath")?.families).toEqual([{ afi: 1, safi: 1, mode: 3 }])
  })

  test("GoBGP's OPEN: graceful restart with the N bit (RFC 8538) and restart time 120", () => {
    const open = one("gobgp-open.hex") as Message.Open
    const gr = Open.capability(open, "GracefulRestart")!
    expect([gr.flags, gr.restartTime]).toEqual([Capability.RestartFlag.Notification, 120])
    expect(Open.capability(open, "Fqdn")?.hostname).toBe("gobgp-golden")
  })

  test("shutdown communications from both daemons decode as text", () => {
    expect(Notification.shutdownCommunication(one("bird-notification.hex") as Message.Notification)).toEqual({
      text: "maintenance window"
    })
    expect(Notification.shutdownCommunication(one("gobgp-ibgp-notification.hex") as Message.Notification)).toEqual({
      text: "gobgp maintenance"
    })
    const bare = one("gobgp-as2-notification.hex") as Message.Notification
    expect(Notification.describe(bare.code, bare.subcode)).toBe("Cease / Administrative Shutdown")
    expect(Notification.shutdownCommunication(bare)).toBeUndefined()
  })

  test("BIRD's route refresh requests (subtype 0) for IPv4 and IPv6 unicast", () => {
    expect(lines("bird-route-refresh.hex").map((b) => Message.decode(b, ctx))).toEqual([
      { _tag: "RouteRefresh", afi: 1, safi: 1, subtype: 0 },
      { _tag: "RouteRefresh", afi: 2, safi: 1, subtype: 0 }
    ])
  })
})

describe("a decode error can always be sent: its data fits a 4096-byte NOTIFICATION (found by bun run fuzz)", () => {
  const frame = (type: number, body: Uint8Array): Uint8Array => {
    const m = new Uint8Array(19 + body.length)
    m.fill(0xff, 0, 16)
    m[16] = m.length >>> 8
    m[17] = m.length & 0xff
    m[18] = type
    m.set(body, 19)
    return m
  }

  test("a 4093-byte ROUTE-REFRESH: 7/1 with the message's first 4075 bytes as data (RFC 7313 §5's complete message does not fit)", () => {
    const body = new Uint8Array(4093 - 19)
    body.set([0, 1, 0, 1])
    const bytes = frame(Message.MessageType.RouteRefresh, body)
    const e = Message.decode(bytes, ctx)
    if (!WireError.isWireError(e)) throw new Error("expected a WireError")
    expect([e.code, e.subcode]).toEqual([7, 1])
    expect(e.data.length).toBe(WireError.MAX_DATA)
    expect(e.data).toEqual(bytes.subarray(0, WireError.MAX_DATA))
    expect(Message.encode(Notification.fromError(e), ctx).length).toBe(4096)
  })

  test("an RFC 8654 UPDATE with a malformed 10,000-byte MP_UNREACH_NLRI: 3/9 with the attribute's first 4075 bytes", () => {
    const value = new Uint8Array(10_000)
    value.set([0, 2, 1]) // IPv6 unicast
    for (let o = 3; o + 17 <= value.length - 1; o += 17) value[o] = 128 // /128 prefixes, all zero
    value[value.length - 1] = 200 // a prefix length past 128: the attribute is malformed (RFC 7606 §5.3)
    const attribute = new Uint8Array(4 + value.length)
    attribute.set([0x90, 15, value.length >>> 8, value.length & 0xff])
    attribute.set(value, 4)
    const body = new Uint8Array(4 + attribute.length)
    body.set([0, 0, attribute.length >>> 8, attribute.length & 0xff])
    body.set(attribute, 4)
    const e = Message.decode(frame(Message.MessageType.Update, body), extended)
    if (!WireError.isWireError(e)) throw new Error("expected a WireError")
    expect([e.code, e.subcode]).toEqual([3, 9])
    expect(e.data).toEqual(attribute.subarray(0, WireError.MAX_DATA))
    expect(Message.encode(Notification.fromError(e), ctx).length).toBe(4096)
  })

  test("WireError.make cuts any longer data, so every error encodes as a NOTIFICATION in the pre-OPEN context", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), (n) => {
        const e = WireError.make("Update", 3, 1, "test", new Uint8Array(n))
        expect(e.data.length).toBe(Math.min(n, WireError.MAX_DATA))
        expect(() => Message.encode(Notification.fromError(e), ctx)).not.toThrow()
      }),
      { numRuns: 200 }
    )
  })
})
