/**
 * The codec's side of the fuzz corpus (`test/corpus/`, written by `bun run fuzz`,
 * see the README's Fuzzing section): every file, under every kind of session,
 * frames to the same messages whole and a byte at a time, decodes to a message or
 * a `WireError` without throwing, and every decode error encodes as the
 * NOTIFICATION it stands for. `e2e/test/fuzz/` replays the same files through the
 * FSM as well.
 */
import { describe, expect, test } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Family, Framer, Message, Notification, WireError } from "@kbgp/wire"

const dir = join(import.meta.dir, "corpus")
const files = readdirSync(dir).filter((f) => f.endsWith(".hex")).sort()

/** The stream of a corpus file: its hex lines (comment lines start with `#`). */
const bytesOf = (text: string): Uint8Array => {
  const hex = text
    .split("\n")
    .filter((l) => !l.trim().startsWith("#"))
    .join("")
    .replace(/\s+/g, "")
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16))
}

const contexts: ReadonlyArray<Context.Context> = [false, true].flatMap((asn4) =>
  [false, true].flatMap((extendedMessage) =>
    [false, true].map((ebgp) =>
      Context.make({ asn4, extendedMessage, ebgp, addPath: ebgp ? new Set() : new Set([Family.Ipv4Unicast, Family.Ipv6Unicast]) })
    )
  )
)

/** Frames and decodes `chunks`; each outcome as text, so two runs compare. */
const replay = (chunks: ReadonlyArray<Uint8Array>, ctx: Context.Context): Array<string> => {
  const framer = Framer.make({ extendedMessage: ctx.extendedMessage })
  const out: Array<string> = []
  for (const chunk of chunks) {
    framer.push(chunk)
    for (let f = framer.next(); f !== undefined; f = framer.next()) {
      const m = f._tag === "WireError" ? f : Message.decodeFrame(f, ctx)
      if (WireError.isWireError(m)) {
        const notification = Message.encode(Notification.fromError(m), Context.defaults)
        expect(notification.length).toBeLessThanOrEqual(4096)
        out.push(`error ${m.code}/${m.subcode}`)
        if (f._tag === "WireError") return out // header errors end the stream
      } else out.push(m._tag)
    }
  }
  return out
}

describe("fuzz corpus: the codec never throws on it", () => {
  test("the corpus is not empty", () => expect(files.length).toBeGreaterThan(0))
  for (const file of files) {
    test(file, () => {
      const bytes = bytesOf(readFileSync(join(dir, file), "utf8"))
      for (const ctx of contexts) {
        const whole = replay([bytes], ctx)
        expect(replay(Array.from(bytes, (b) => Uint8Array.of(b)), ctx)).toEqual(whole)
      }
    })
  }
})
