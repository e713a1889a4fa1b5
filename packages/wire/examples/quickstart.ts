/**
 * The README example, kept runnable: `bun examples/quickstart.ts`. A test runs it.
 * Announce two prefixes with communities, put the bytes through a Framer as a
 * socket would deliver them, and decode them back.
 */
import { Either } from "effect"
import { Context, Framer, Message, Pack, Text } from "@kbgp/wire"

// The session both sides negotiated: 4-octet AS, eBGP, no ADD-PATH, 4096-byte messages.
const ctx = Context.make({ asn4: true, ebgp: true, peerAs: 64512 })

const prefixes = Either.getOrThrow(Text.prefixesFromText(["192.0.2.10/32", "198.51.100.0/24"]))
const messages = Pack.packUpdates(
  {
    origin: 0,
    asPath: [{ type: 2, asns: [64512] }],
    nextHop: Either.getOrThrow(Text.parseAddress("10.0.0.1")).bytes,
    communities: Either.getOrThrow(Text.communitiesFromText(["64512:100", "no-export"]))
  },
  { afi: 1, safi: 1, prefixes },
  ctx
)

const framer = Framer.make()
for (const m of messages) framer.push(m)
for (let f = framer.next(); f !== undefined; f = framer.next()) {
  if (f._tag === "WireError") throw f // a header error: send Notification.fromError(f) and close
  const msg = Message.decodeFrame(f, ctx)
  if (msg._tag === "WireError") throw msg // a session-reset error: it *is* the NOTIFICATION to send
  if (msg._tag === "Update") {
    console.log(Text.formatPrefixes(msg.nlri).join(" "), "|", Text.formatAttributes(msg.attributes))
  }
}
// 192.0.2.10/32 198.51.100.0/24 | origin igp, as-path 64512, next-hop 10.0.0.1, communities [64512:100 no-export]
