/**
 * Network namespaces and veth pairs, created by name in a Scope and removed when
 * it closes. Names are the caller's and must be unique to the lab: a leftover
 * namespace of the same name (from a run that was killed) is cleaned up first,
 * including the processes still running inside it, which only an earlier lab run
 * can have started.
 */
import { type Duration, Effect, Option, type Scope } from "effect"
import * as Poll from "./Poll.js"
import * as Setns from "./internal/Setns.js"
import * as LabError from "./LabError.js"
import * as Shell from "./Shell.js"

export interface Netns {
  readonly name: string
}

/** Interface name and addresses (CIDR: "192.0.2.1/29", "2001:db8::1/64") for one end of a veth pair. */
export interface End {
  readonly ns: Netns
  readonly ifname: string
  readonly addresses: ReadonlyArray<string>
  /** Fixed MAC address, so the IPv6 link-local address (and any next hop that carries it) is the same on every run. */
  readonly mac?: string
}

export const exists = (name: string): Effect.Effect<boolean, LabError.LabError> =>
  Effect.map(Shell.run(["ip", "netns", "list"]), (out) => out.split("\n").some((l) => l.split(" ")[0] === name))

/** PIDs of the processes running inside namespace `name`. */
export const pids = (name: string): Effect.Effect<Array<number>, LabError.LabError> =>
  Effect.map(Shell.run(["ip", "netns", "pids", name]), (out) =>
    out
      .split(/\s+/)
      .filter((s) => s !== "")
      .map(Number)
  )

/** Kills the processes left in namespace `name` (by PID) and deletes it; no-op if absent. */
export const remove = (name: string): Effect.Effect<void, LabError.LabError> =>
  Effect.gen(function* () {
    if (!(yield* exists(name))) return
    for (const pid of yield* pids(name)) {
      yield* Effect.try(() => process.kill(pid, "SIGKILL")).pipe(Effect.ignore)
    }
    yield* Shell.run(["ip", "netns", "del", name])
  })

/**
 * Sets a kernel parameter inside namespace `name` (`key` as a /proc/sys path, e.g.
 * "net/ipv6/conf/all/accept_dad"), by writing the file from a shell in the namespace:
 * no dependency on procps's sysctl.
 */
export const sysctl = (name: string, key: string, value: string): Effect.Effect<void, LabError.LabError> =>
  Effect.asVoid(Shell.run(Shell.inNs(name, ["sh", "-c", 'printf %s "$1" > "/proc/sys/$2"', "sysctl", value, key])))

/** Creates namespace `name` with loopback up and IPv6 DAD off (addresses usable at once). */
export const make = (name: string): Effect.Effect<Netns, LabError.LabError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      yield* remove(name)
      yield* Shell.run(["ip", "netns", "add", name])
      yield* Shell.run(["ip", "-n", name, "link", "set", "lo", "up"])
      yield* sysctl(name, "net/ipv6/conf/all/accept_dad", "0")
      yield* sysctl(name, "net/ipv6/conf/default/accept_dad", "0")
      return { name }
    }),
    (ns) => remove(ns.name).pipe(Effect.orDie)
  )

const addAddresses = (end: End): Effect.Effect<void, LabError.LabError> =>
  Effect.forEach(
    end.addresses,
    (cidr) =>
      Shell.run([
        "ip", "-n", end.ns.name, "addr", "add", cidr, "dev", end.ifname,
        ...(cidr.includes(":") ? ["nodad"] : [])
      ]),
    { discard: true }
  )

const macOf = (end: End): Effect.Effect<string, LabError.LabError> =>
  end.mac !== undefined
    ? Effect.succeed(end.mac)
    : Effect.flatMap(Shell.run(["ip", "-n", end.ns.name, "-j", "link", "show", end.ifname]), (out) => {
        const parsed: unknown = JSON.parse(out)
        const mac = Array.isArray(parsed) ? (parsed[0] as { address?: unknown } | undefined)?.address : undefined
        return typeof mac === "string"
          ? Effect.succeed(mac)
          : Effect.fail(LabError.make("Setup", `no MAC address for ${end.ifname} in ${end.ns.name}`))
      })

/** Permanent neighbor entries on `from` for every address of `to`. */
const staticNeighbors = (from: End, to: End): Effect.Effect<void, LabError.LabError> =>
  Effect.flatMap(macOf(to), (mac) =>
    Effect.forEach(
      to.addresses,
      (cidr) =>
        Shell.run([
          "ip", "-n", from.ns.name, "neigh", "replace", cidr.split("/")[0]!, "lladdr", mac, "dev", from.ifname, "nud", "permanent"
        ]),
      { discard: true }
    )
  )

/** Joins two namespaces with a veth pair, addresses both ends and brings them up. */
export const veth = (a: End, b: End): Effect.Effect<void, LabError.LabError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const mac = (e: End) => (e.mac !== undefined ? ["address", e.mac] : [])
      yield* Shell.run([
        "ip", "link", "add", a.ifname, "netns", a.ns.name, ...mac(a), "type", "veth",
        "peer", "name", b.ifname, "netns", b.ns.name, ...mac(b)
      ])
      for (const end of [a, b]) {
        // The pair is born in the root namespace and inherits its DAD setting: without this the
        // link-local address stays tentative for ~1 s and the first IPv6 SYN waits for a retransmit.
        yield* sysctl(end.ns.name, `net/ipv6/conf/${end.ifname}/accept_dad`, "0")
        yield* addAddresses(end)
        yield* Shell.run(["ip", "-n", end.ns.name, "link", "set", end.ifname, "up"])
      }
      // Static neighbor entries: right after link-up, neighbor discovery can stall the first
      // packet for ~1 s (until the kernel's link watch marks the device ready); with these,
      // the first SYN goes out at once, in IPv4 and IPv6 alike.
      yield* staticNeighbors(a, b)
      yield* staticNeighbors(b, a)
    }),
    // Deleting one end removes the pair; it is gone anyway if the namespace went first.
    () => Shell.exec(["ip", "-n", a.ns.name, "link", "del", a.ifname]).pipe(Effect.ignore)
  )

/**
 * Moves the calling thread (Bun's JavaScript thread, which owns the event loop and
 * every socket it opens) into `ns` until the scope closes, then back to where it was.
 * Processes spawned meanwhile start there too. One namespace at a time per process:
 * `bun test` runs the files of one process one after another, so a file may hold it
 * from beforeAll to afterAll.
 */
export const enter = (ns: Netns): Effect.Effect<void, LabError.LabError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const back = Setns.current()
        if (Setns.enterNamed(ns.name) !== 0) {
          Setns.close(back)
          throw new Error("setns failed (needs CAP_SYS_ADMIN)")
        }
        return back
      },
      catch: (e) => LabError.make("Setup", `cannot enter namespace ${ns.name}: ${String(e)}`)
    }),
    (back) =>
      Effect.suspend(() => {
        const result = Setns.enterFd(back)
        Setns.close(back)
        // A defect, not something to ignore: the thread would stay in a namespace about to be deleted,
        // and every socket and process the rest of this file (or the next one) opens would land there.
        return result === 0
          ? Effect.void
          : Effect.dieMessage(`cannot return the test thread from namespace ${ns.name} to its previous one (setns returned ${result})`)
      })
  )

/**
 * Kernel SNMP counters of namespace `name` (`nstat -asz`: absolute values, history
 * untouched), e.g. TcpExtTCPMD5Failure or TcpExtTCPMinTTLDrop; missing ones read 0.
 */
export const counters = <K extends string>(
  name: string,
  keys: ReadonlyArray<K>
): Effect.Effect<Record<K, number>, LabError.LabError> =>
  Effect.map(Shell.run(Shell.inNs(name, ["nstat", "-asz", ...keys])), (out) => {
    const values = {} as Record<K, number>
    for (const k of keys) values[k] = 0
    for (const line of out.split("\n")) {
      const [k, v] = line.trim().split(/\s+/)
      if (k !== undefined && (keys as ReadonlyArray<string>).includes(k)) values[k as K] = Number(v)
    }
    return values
  })

/** Waits until kernel counter `key` of namespace `name` reaches `atLeast`; returns its value then. */
export const counterReaches = (
  name: string,
  key: string,
  atLeast: number,
  timeout: Duration.DurationInput = "20 seconds"
): Effect.Effect<number, LabError.LabError> =>
  Poll.until(
    Effect.map(counters(name, [key]), (c) => (c[key]! >= atLeast ? Option.some(c[key]!) : Option.none())),
    { what: `${key} ≥ ${atLeast} in ${name}`, timeout, interval: "100 millis" }
  )
