/**
 * Packet capture of BGP sessions: dumpcap on an interface inside a namespace,
 * then tshark to pull the TCP payloads back out, reassembled per connection and
 * direction and split into BGP messages at the 19-byte header.
 */
import { Effect, Option, type Scope } from "effect"
import * as LabError from "./LabError.js"
import type { Netns } from "./Netns.js"
import * as Poll from "./Poll.js"
import * as Process from "./Process.js"
import * as Shell from "./Shell.js"

export interface Capture {
  readonly process: Process.Process
  readonly file: string
}

/** Starts dumpcap on `ifname` in `ns` with a BPF filter; SIGINT (on `finish` or scope close) flushes the file. */
export const start = (opts: {
  readonly ns: Netns
  readonly ifname: string
  readonly file: string
  readonly logFile: string
  readonly filter?: string
}): Effect.Effect<Capture, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    yield* Shell.exec(["rm", "-f", opts.file])
    const process = yield* Process.spawn({
      name: "dumpcap",
      argv: Shell.inNs(opts.ns.name, ["dumpcap", "-i", opts.ifname, "-f", opts.filter ?? "tcp port 179", "-w", opts.file]),
      logFile: opts.logFile,
      stopSignal: "SIGINT"
    })
    // dumpcap says "Capturing on ..." once the interface is open; nothing before that is recorded.
    yield* Poll.until(
      Effect.zipRight(
        Process.ensureRunning(process),
        Effect.map(process.log(), (l) => (l.includes("Capturing on") ? Option.some(undefined) : Option.none()))
      ),
      { timeout: "10 seconds", what: "dumpcap ready" }
    )
    return { process, file: opts.file }
  })

/** Stops the capture and waits until the file is complete. */
export const finish = (c: Capture): Effect.Effect<void> => Process.stop(c.process, "SIGINT", "5 seconds")

/** One direction of one TCP connection, as a byte stream and as BGP messages. */
export interface Flow {
  readonly stream: number
  readonly src: string
  readonly srcPort: number
  readonly dst: string
  readonly dstPort: number
  readonly bytes: Uint8Array
  readonly messages: ReadonlyArray<Uint8Array>
}

const hexToBytes = (hex: string): Uint8Array => {
  const clean = hex.replace(/[^0-9a-fA-F]/g, "")
  const out = new Uint8Array(clean.length >>> 1)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

/**
 * Splits a reassembled BGP byte stream at message boundaries (RFC 4271 §4.1:
 * 16-byte all-ones marker, 2-byte length). A truncated last message is dropped.
 */
export const splitMessages = (bytes: Uint8Array): Array<Uint8Array> | string => {
  const out: Array<Uint8Array> = []
  let o = 0
  while (o + 19 <= bytes.length) {
    for (let i = 0; i < 16; i++) if (bytes[o + i] !== 0xff) return `bad marker at offset ${o}`
    const len = (bytes[o + 16]! << 8) | bytes[o + 17]!
    if (len < 19) return `bad length ${len} at offset ${o}`
    if (o + len > bytes.length) break
    out.push(bytes.slice(o, o + len))
    o += len
  }
  return out
}

interface Segment {
  readonly seq: number
  readonly payload: Uint8Array
}

/** Reads a capture file and returns every flow that carried payload, in order of first appearance. */
export const flows = (file: string): Effect.Effect<Array<Flow>, LabError.LabError> =>
  Effect.gen(function* () {
    const out = yield* Shell.run([
      "tshark", "-r", file, "-n", "-Y", "tcp.len > 0", "-T", "fields", "-E", "separator=\t",
      "-o", "tcp.relative_sequence_numbers:TRUE",
      "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
      "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.seq", "-e", "tcp.payload"
    ])
    const byKey = new Map<string, { head: Omit<Flow, "bytes" | "messages">; segments: Array<Segment> }>()
    for (const line of out.split("\n")) {
      if (line.trim() === "") continue
      const [stream, src4, src6, sport, dst4, dst6, dport, seq, payload] = line.split("\t")
      const key = `${stream}/${src4}${src6}:${sport}`
      let flow = byKey.get(key)
      if (flow === undefined) {
        flow = {
          head: {
            stream: Number(stream),
            src: src4 || src6 || "?",
            srcPort: Number(sport),
            dst: dst4 || dst6 || "?",
            dstPort: Number(dport)
          },
          segments: []
        }
        byKey.set(key, flow)
      }
      flow.segments.push({ seq: Number(seq), payload: hexToBytes(payload ?? "") })
    }
    const result: Array<Flow> = []
    for (const { head, segments } of byKey.values()) {
      // Order by sequence number; drop retransmitted bytes; a hole means the capture missed data.
      segments.sort((a, b) => a.seq - b.seq)
      const chunks: Array<Uint8Array> = []
      let next = segments[0]!.seq
      let total = 0
      for (const s of segments) {
        if (s.seq > next) {
          return yield* Effect.fail(
            LabError.make("Setup", `capture lost bytes ${next}..${s.seq} in ${head.src}:${head.srcPort} -> ${head.dst}:${head.dstPort}`)
          )
        }
        const skip = next - s.seq
        if (skip >= s.payload.length) continue
        const part = s.payload.subarray(skip)
        chunks.push(part)
        total += part.length
        next += part.length
      }
      const bytes = new Uint8Array(total)
      let o = 0
      for (const c of chunks) {
        bytes.set(c, o)
        o += c.length
      }
      const messages = splitMessages(bytes)
      if (typeof messages === "string") {
        return yield* Effect.fail(LabError.make("Setup", `${head.src}:${head.srcPort} -> ${head.dst}: ${messages}`))
      }
      result.push({ ...head, bytes, messages })
    }
    return result
  })
