/**
 * Network namespaces and veth pairs, created by name in a Scope and removed when
 * it closes. Names are the caller's and must be unique to the lab: a leftover
 * namespace of the same name (from a run that was killed) is cleaned up first,
 * including the processes still running inside it, which only an earlier lab run
 * can have started.
 */
import { Effect, type Scope } from "effect"
import type * as LabError from "./LabError.js"
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
      yield* Effect.sync(() => process.kill(pid, "SIGKILL")).pipe(Effect.ignore)
    }
    yield* Shell.run(["ip", "netns", "del", name])
  })

/** Creates namespace `name` with loopback up and IPv6 DAD off (addresses usable at once). */
export const make = (name: string): Effect.Effect<Netns, LabError.LabError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      yield* remove(name)
      yield* Shell.run(["ip", "netns", "add", name])
      yield* Shell.run(["ip", "-n", name, "link", "set", "lo", "up"])
      yield* Shell.run(Shell.inNs(name, ["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0"]))
      yield* Shell.run(Shell.inNs(name, ["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"]))
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
        yield* addAddresses(end)
        yield* Shell.run(["ip", "-n", end.ns.name, "link", "set", end.ifname, "up"])
      }
    }),
    // Deleting one end removes the pair; it is gone anyway if the namespace went first.
    () => Shell.exec(["ip", "-n", a.ns.name, "link", "del", a.ifname]).pipe(Effect.ignore)
  )
