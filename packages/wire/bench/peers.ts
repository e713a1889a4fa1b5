/**
 * Side-by-side ingest: the same UPDATE stream sent over a loopback TCP session to
 * kbgp's decoder, to gobgpd and to BIRD, each timed from the first UPDATE byte to
 * "every prefix received". gobgpd and BIRD also build their RIBs, so their rows
 * measure decode + RIB; kbgp's row is decode only (the RIB is a later package).
 * Daemons that are not installed are reported as skipped. Only loopback addresses
 * are used; every process started here is stopped by PID.
 */
import * as net from "node:net"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Context from "../src/Context.js"
import * as Framer from "../src/Framer.js"
import * as Message from "../src/Message.js"
import * as Open from "../src/Open.js"

const ctx = Context.make({ asn4: true, ebgp: true })
const LOCAL_AS = 65001
const PEER_AS = 65000

/** Polling a daemon's CLI costs CPU it would otherwise spend ingesting: poll gently. */
const POLL_MS = 200

const which = (cmd: string): string | undefined => Bun.which(cmd) ?? undefined

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

const openMessage = (bgpId: number): Uint8Array =>
  Message.encode(
    Open.make({
      asn: LOCAL_AS,
      holdTime: 240,
      bgpId,
      capabilities: [
        { _tag: "Multiprotocol", afi: 1, safi: 1 },
        { _tag: "RouteRefresh" },
        { _tag: "FourOctetAs", asn: LOCAL_AS }
      ]
    }),
    ctx
  )

/** Write a large buffer in 64 KiB slices, honouring backpressure. */
const writeAll = async (sock: net.Socket, bytes: Uint8Array): Promise<void> => {
  for (let o = 0; o < bytes.length; o += 65536) {
    const ok = sock.write(bytes.subarray(o, Math.min(o + 65536, bytes.length)))
    if (!ok) await new Promise<void>((r) => sock.once("drain", () => r()))
  }
}

/**
 * Connect from `localAddress` to `port`, exchange OPEN/KEEPALIVE, then send the
 * stream. Resolves with the time the first UPDATE byte was written; keeps the
 * session alive with KEEPALIVEs until `close()`.
 */
const session = async (localAddress: string, port: number) => {
  const sock = net.connect({ host: "127.0.0.1", port, localAddress })
  const framer = Framer.make()
  let gotOpen = false
  let gotKeepalive = false
  let failure: string | undefined
  sock.on("data", (chunk: Buffer) => {
    framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
    for (;;) {
      const f = framer.next()
      if (f === undefined) break
      if (f._tag === "WireError") {
        failure = f.detail
        break
      }
      const m = Message.decodeFrame(f, ctx)
      if (m._tag === "Open") {
        gotOpen = true
        sock.write(Message.encode(Message.keepalive, ctx))
      } else if (m._tag === "Keepalive") gotKeepalive = true
      else if (m._tag === "Notification") failure = `peer sent NOTIFICATION ${m.code}/${m.subcode}`
    }
  })
  sock.on("error", (e) => (failure = e.message))
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", () => resolve())
    sock.once("error", reject)
  })
  sock.write(openMessage(0x7f000002))
  const deadline = Date.now() + 15_000
  while (!(gotOpen && gotKeepalive)) {
    if (failure !== undefined) throw new Error(failure)
    if (Date.now() > deadline) throw new Error("no OPEN/KEEPALIVE from peer within 15 s")
    await sleep(5)
  }
  const keepalive = setInterval(() => sock.write(Message.encode(Message.keepalive, ctx)), 20_000)
  return {
    send: async (stream: Uint8Array): Promise<number> => {
      const t0 = performance.now()
      await writeAll(sock, stream)
      return t0
    },
    failure: () => failure,
    close: () => {
      clearInterval(keepalive)
      sock.destroy()
    }
  }
}

/** Poll `count()` until it reaches `expected`; returns the finish time or undefined on timeout. */
const waitFor = async (count: () => Promise<number>, expected: number, timeoutMs: number): Promise<number | undefined> => {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if ((await count().catch(() => 0)) >= expected) return performance.now()
    await sleep(POLL_MS)
  }
  return undefined
}

const run = async (cmd: Array<string>): Promise<string> => {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" })
  const out = await new Response(p.stdout).text()
  await p.exited
  return out
}

interface Result {
  readonly name: string
  readonly seconds: number | undefined
  readonly note: string
}

const kbgpRow = async (stream: Uint8Array, expected: number): Promise<Result> => {
  let seen = 0
  let done: (t: number) => void = () => {}
  const finished = new Promise<number>((r) => (done = r))
  const server = net.createServer((sock) => {
    const framer = Framer.make()
    sock.on("data", (chunk: Buffer) => {
      framer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))
      for (;;) {
        const f = framer.next()
        if (f === undefined || f._tag === "WireError") break
        const m = Message.decodeFrame(f, ctx)
        if (m._tag === "Update") {
          seen += m.nlri.count
          if (seen >= expected) done(performance.now())
        }
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
  const port = (server.address() as net.AddressInfo).port
  const sock = net.connect({ host: "127.0.0.1", port })
  await new Promise<void>((r) => sock.once("connect", () => r()))
  const t0 = performance.now()
  await writeAll(sock, stream)
  const t1 = await finished
  sock.destroy()
  server.close()
  return { name: "kbgp @kbgp/wire (Framer + decode, no RIB)", seconds: (t1 - t0) / 1000, note: "same process, loopback TCP" }
}

/** One daemon under test: how to start it listening on `port` for a peer at `peerAddress`, and how to count its prefixes. */
interface Daemon {
  readonly name: string
  readonly binaries: ReadonlyArray<string>
  readonly peerAddress: string
  readonly start: (dir: string, port: number, bin: ReadonlyArray<string>) => { readonly argv: Array<string>; readonly count: () => Promise<number>; readonly via: string }
}

const daemonRow = async (d: Daemon, stream: Uint8Array, expected: number): Promise<Result> => {
  const bin = d.binaries.map(which)
  if (bin.some((b) => b === undefined)) return { name: d.name, seconds: undefined, note: `skipped: ${d.binaries.join("/")} not installed` }
  const dir = mkdtempSync(join(tmpdir(), "kbgp-bench-"))
  const port = 20000 + Math.floor(Math.random() * 20000)
  const { argv, count, via } = d.start(dir, port, bin as Array<string>)
  const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" })
  try {
    await sleep(1000)
    const s = await session(d.peerAddress, port)
    const t0 = await s.send(stream)
    const t1 = await waitFor(count, expected, 300_000)
    s.close()
    return t1 === undefined
      ? { name: d.name, seconds: undefined, note: `timed out (${s.failure() ?? "no error"})` }
      : { name: d.name, seconds: (t1 - t0) / 1000, note: `polled via ${via} every ${POLL_MS} ms` }
  } catch (e) {
    return { name: d.name, seconds: undefined, note: `failed: ${(e as Error).message}` }
  } finally {
    proc.kill()
    await proc.exited
    rmSync(dir, { recursive: true, force: true })
  }
}

const gobgpd: Daemon = {
  name: "gobgpd (decode + adj-RIB-in)",
  binaries: ["gobgpd", "gobgp"],
  peerAddress: "127.0.0.3",
  start: (dir, port, [daemon, cli]) => {
    const api = String(port + 1)
    writeFileSync(
      join(dir, "gobgpd.toml"),
      `[global.config]\n  as = ${PEER_AS}\n  router-id = "127.0.0.1"\n  port = ${port}\n  local-address-list = ["127.0.0.1"]\n` +
        `[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "127.0.0.3"\n    peer-as = ${LOCAL_AS}\n` +
        `  [neighbors.transport.config]\n    passive-mode = true\n` +
        `  [neighbors.timers.config]\n    hold-time = 240\n`
    )
    return {
      argv: [daemon!, "-f", join(dir, "gobgpd.toml"), "--api-hosts", `127.0.0.1:${api}`, "--pprof-disable", "-l", "warn"],
      via: "gobgp CLI",
      count: async () => {
        const out = await run([cli!, "-u", "127.0.0.1", "-p", api, "neighbor", "127.0.0.3", "-j"])
        const j = JSON.parse(out) as { afi_safis?: Array<{ state?: { received?: number } }> }
        return (j.afi_safis ?? []).reduce((n, f) => n + (f.state?.received ?? 0), 0)
      }
    }
  }
}

const bird: Daemon = {
  name: "BIRD 2 (decode + table import)",
  binaries: ["bird", "birdc"],
  peerAddress: "127.0.0.4",
  start: (dir, port, [daemon, cli]) => {
    const ctl = join(dir, "bird.ctl")
    writeFileSync(
      join(dir, "bird.conf"),
      `router id 127.0.0.1;\nprotocol device {}\n` +
        `protocol bgp bench {\n  local 127.0.0.1 port ${port} as ${PEER_AS};\n  neighbor 127.0.0.4 as ${LOCAL_AS};\n  passive on;\n  multihop;\n  hold time 240;\n` +
        `  ipv4 { import all; export none; gateway recursive; igp table master4; };\n}\n`
    )
    return {
      argv: [daemon!, "-f", "-c", join(dir, "bird.conf"), "-s", ctl, "-P", join(dir, "bird.pid")],
      via: "birdc",
      count: async () => {
        const m = /Routes:\s+(\d+) imported/.exec(await run([cli!, "-s", ctl, "show", "protocols", "all", "bench"]))
        return m === null ? 0 : Number(m[1])
      }
    }
  }
}

export const compareWithPeers = async (stream: Uint8Array, expected: number): Promise<void> => {
  const rows = [await kbgpRow(stream, expected), await daemonRow(gobgpd, stream, expected), await daemonRow(bird, stream, expected)]
  console.log(`\nSide by side: ${expected.toLocaleString("en-US")} IPv4 prefixes (${(stream.length / 1e6).toFixed(2)} MB of UPDATEs) over loopback TCP\n`)
  console.log(["receiver", "seconds", "prefixes/s", "note"].join(" | "))
  for (const r of rows) {
    const rate = r.seconds === undefined ? "—" : Math.round(expected / r.seconds).toLocaleString("en-US")
    console.log([r.name, r.seconds === undefined ? "—" : r.seconds.toFixed(3), rate, r.note].join(" | "))
  }
}
