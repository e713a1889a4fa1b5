/**
 * Replays every file of `packages/wire/test/corpus/` through the fuzz target (Framer, decode,
 * the FSM's transition, and what the driver does with the results): fuzz findings
 * stay fixed, and the hand-written seeds pin their outcome. A file is comment
 * lines (`# key: value`) and hex lines (one stream); the keys it reads:
 * `profile` (a `fuzz/Profile.ts` name, default ebgp-asn4), `start` (FSM state,
 * default Established), `splits` (chunk offsets), `text`, and for seeds `expect`:
 * the first frame's outcome, a message tag or `error CODE/SUBCODE`.
 *
 * It lives in e2e (type-checked with e2e/tsconfig.json, beside fuzz/), not in the
 * wire package next to its corpus: it drives @kbgp/fsm, which depends on wire.
 */
import { describe, expect, test } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Framer, Message, WireError } from "@kbgp/wire"
import * as Profile from "../../fuzz/Profile.js"
import * as Target from "../../fuzz/Target.js"

const dir = join(import.meta.dir, "..", "..", "..", "packages", "wire", "test", "corpus")
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".hex"))
  .sort()

interface Entry {
  readonly meta: ReadonlyMap<string, string>
  readonly bytes: Uint8Array
}

const parse = (text: string): Entry => {
  const meta = new Map<string, string>()
  let hex = ""
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line.startsWith("#")) {
      const m = /^#\s*([a-z-]+):\s?(.*)$/.exec(line)
      if (m !== null && !meta.has(m[1]!)) meta.set(m[1]!, m[2]!.trim())
    } else hex += line.replace(/\s+/g, "")
  }
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error("corpus file: hex lines hold an odd number of digits or non-hex characters")
  return { meta, bytes: Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)) }
}

const built = new Map(Profile.profiles.map((p) => [p.name, Profile.build(p)]))

/** The first frame's outcome, in the corpus files' words. */
const firstOutcome = (bytes: Uint8Array, b: Profile.Built, start: Profile.StartState): string => {
  const state = b.states[start]
  const f = Framer.make({ extendedMessage: state.negotiated?.extendedMessage ?? false })
  f.push(bytes)
  const frame = f.next()
  if (frame === undefined) return "incomplete"
  const m = frame._tag === "WireError" ? frame : Message.decodeFrame(frame, state.negotiated?.rx ?? b.rx)
  return WireError.isWireError(m) ? `error ${m.code}/${m.subcode}` : m._tag
}

describe("fuzz corpus (packages/wire/test/corpus): every file replays without an exception", () => {
  test("the corpus is not empty", () => {
    expect(files.length).toBeGreaterThan(0)
  })
  for (const file of files) {
    test(file, () => {
      const { meta, bytes } = parse(readFileSync(join(dir, file), "utf8"))
      const b = built.get(meta.get("profile") ?? "ebgp-asn4")
      if (b === undefined) throw new Error(`${file}: unknown profile ${meta.get("profile")}`)
      const start = (meta.get("start") ?? "Established") as Profile.StartState
      if (!Profile.startStates.includes(start)) throw new Error(`${file}: unknown start state ${start}`)
      const splits = (meta.get("splits") ?? "")
        .split(",")
        .filter((s) => s.trim() !== "")
        .map(Number)
      const text = meta.get("text") !== "false"
      // The whole stream at once, and as recorded: the same outcome, and no exception either way.
      const whole = Target.run({ built: b, start, bytes, splits: [], text })
      const chunked = Target.run({ built: b, start, bytes, splits, text })
      expect(chunked).toEqual(whole)
      const expected = meta.get("expect")
      if (expected !== undefined) expect(firstOutcome(bytes, b, start)).toBe(expected)
      const finalState = meta.get("final")
      if (finalState !== undefined) expect(whole.finalState).toBe(finalState as typeof whole.finalState)
    })
  }
})
