/**
 * fast-check arbitraries for OPEN (with every capability), NOTIFICATION,
 * ROUTE-REFRESH and KEEPALIVE, and UPDATE built from the attribute and prefix
 * arbitraries, producing values that encode canonically and decode back equal
 * (tests only).
 */
import fc from "fast-check"
import type * as Capability from "../../src/Capability.js"
import { CapabilityCode } from "../../src/Capability.js"
import type { Context } from "../../src/Context.js"
import { Afi, Ipv4Unicast } from "../../src/Family.js"
import type * as Message from "../../src/Message.js"
import * as Update from "../../src/Update.js"
import { attributes, mpReach, mpUnreach } from "./Attributes.js"
import { prefixes } from "./Prefixes.js"

const u8 = fc.integer({ min: 0, max: 0xff })
const u16 = fc.integer({ min: 0, max: 0xffff })
const u32 = fc.integer({ min: 0, max: 0xffffffff })

const utf8Length = (s: string): number => new TextEncoder().encode(s).length
/** Any Unicode text (no lone surrogates, so it survives UTF-8) of at most `max` UTF-8 bytes. */
export const utf8Text = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: "binary", maxLength: max }).filter((s) => utf8Length(s) <= max)

export const multiprotocol: fc.Arbitrary<Capability.Multiprotocol> = fc.record({
  _tag: fc.constant("Multiprotocol" as const),
  afi: u16,
  safi: u8
})
export const routeRefresh: fc.Arbitrary<Capability.RouteRefresh> = fc.constant({ _tag: "RouteRefresh" as const })
export const enhancedRouteRefresh: fc.Arbitrary<Capability.EnhancedRouteRefresh> = fc.constant({
  _tag: "EnhancedRouteRefresh" as const
})
export const extendedMessage: fc.Arbitrary<Capability.ExtendedMessage> = fc.constant({ _tag: "ExtendedMessage" as const })
export const fourOctetAs: fc.Arbitrary<Capability.FourOctetAs> = fc.record({
  _tag: fc.constant("FourOctetAs" as const),
  asn: u32
})
export const gracefulRestart: fc.Arbitrary<Capability.GracefulRestart> = fc.record({
  _tag: fc.constant("GracefulRestart" as const),
  flags: fc.integer({ min: 0, max: 15 }),
  restartTime: fc.integer({ min: 0, max: 4095 }),
  // (255 - 2) / 4 families fit in one capability.
  families: fc.array(fc.record({ afi: u16, safi: u8, flags: u8 }), { maxLength: 63 })
})
export const longLivedGracefulRestart: fc.Arbitrary<Capability.LongLivedGracefulRestart> = fc.record({
  _tag: fc.constant("LongLivedGracefulRestart" as const),
  families: fc.array(fc.record({ afi: u16, safi: u8, flags: u8, staleTime: fc.integer({ min: 0, max: 0xffffff }) }), {
    maxLength: 36
  })
})
export const addPath: fc.Arbitrary<Capability.AddPath> = fc.record({
  _tag: fc.constant("AddPath" as const),
  families: fc.array(fc.record({ afi: u16, safi: u8, mode: u8 }), { maxLength: 63 })
})
export const extendedNextHop: fc.Arbitrary<Capability.ExtendedNextHop> = fc.record({
  _tag: fc.constant("ExtendedNextHop" as const),
  entries: fc.array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 42 })
})
export const fqdn: fc.Arbitrary<Capability.Fqdn> = fc.record({
  _tag: fc.constant("Fqdn" as const),
  hostname: utf8Text(120),
  domain: utf8Text(120)
})
const knownCodes = new Set<number>(Object.values(CapabilityCode))
export const unknown: fc.Arbitrary<Capability.Unknown> = fc.record({
  _tag: fc.constant("Unknown" as const),
  code: u8.filter((c) => !knownCodes.has(c)),
  value: fc.uint8Array({ maxLength: 255 })
})

export const capability: fc.Arbitrary<Capability.Capability> = fc.oneof(
  multiprotocol,
  routeRefresh,
  enhancedRouteRefresh,
  extendedMessage,
  fourOctetAs,
  gracefulRestart,
  longLivedGracefulRestart,
  addPath,
  extendedNextHop,
  fqdn,
  unknown
)

/**
 * An OPEN (version 4). Up to 14 capabilities of at most 257 bytes each stay
 * under the 4096-byte limit; lists past 253 bytes exercise the RFC 9072 layout.
 */
export const open: fc.Arbitrary<Message.Open> = fc.record({
  _tag: fc.constant("Open" as const),
  version: fc.constant(4),
  myAs: u16,
  holdTime: u16,
  bgpId: u32,
  capabilities: fc.array(capability, { maxLength: 14 })
})

export const notification: fc.Arbitrary<Message.Notification> = fc.record({
  _tag: fc.constant("Notification" as const),
  code: u8,
  subcode: u8,
  data: fc.uint8Array({ maxLength: 300 })
})

export const routeRefreshMessage: fc.Arbitrary<Message.RouteRefresh> = fc.record({
  _tag: fc.constant("RouteRefresh" as const),
  afi: u16,
  safi: u8,
  subtype: u8
})

export const keepalive: fc.Arbitrary<Message.Keepalive> = fc.constant({ _tag: "Keepalive" as const })

/** Every message type except UPDATE (whose arbitraries live with the UPDATE tests). */
export const nonUpdate: fc.Arbitrary<Message.Message> = fc.oneof(open, notification, routeRefreshMessage, keepalive)

/**
 * A canonical UPDATE for `ctx` (path ids where `ctx.addPath` says so). When it
 * announces anything, the mandatory attributes are filled in, so decoding adds
 * no RFC 7606 treat-as-withdraw. Large attribute sets can exceed 4096 bytes:
 * encode with `extendedMessage` on, or expect the RangeError.
 */
export const update = (ctx: Context): fc.Arbitrary<Message.Update> => {
  const addPath = ctx.addPath.has(Ipv4Unicast)
  return fc
    .record(
      {
        withdrawn: prefixes(Afi.Ipv4, addPath, { maxLength: 20 }),
        attributes: attributes({ asn4: ctx.asn4, ebgp: ctx.ebgp }),
        nlri: prefixes(Afi.Ipv4, addPath, { maxLength: 20 }),
        mpReach: mpReach(ctx),
        mpUnreach: mpUnreach(ctx)
      },
      { requiredKeys: ["withdrawn", "attributes", "nlri"] }
    )
    .map((parts) => {
      const u = Update.make(parts)
      if (!Update.hasReachability(u)) return u
      const a = parts.attributes
      return Update.make({
        ...parts,
        attributes: {
          ...a,
          origin: a.origin ?? 0,
          asPath: a.asPath ?? [{ type: 2, asns: [65001] }],
          ...(parts.nlri.count > 0 ? { nextHop: a.nextHop ?? Uint8Array.of(192, 0, 2, 1) } : {})
        }
      })
    })
}

/** A message of any type, UPDATEs canonical for `ctx`. */
export const message = (ctx: Context): fc.Arbitrary<Message.Message> => fc.oneof(nonUpdate, update(ctx))
