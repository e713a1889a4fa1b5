/** Test helpers: running scoped effects, counting fds, free ports, child probes and network namespaces. */
import { Effect, type Scope } from "effect"
import { readdirSync } from "node:fs"
import * as net from "node:net"
import { join } from "node:path"
import type { Op, Result } from "./probe.js"

export const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> =>
  Effect.runPromise(Effect.scoped(effect))

export const fdCount = (): number => readdirSync("/proc/self/fd").length

/** Waits (up to 2 s) until this process has at most `n` open fds; returns the count seen last. */
export const fdsSettle = async (n: number): Promise<number> => {
  const until = Date.now() + 2000
  let c = fdCount()
  while (c > n && Date.now() < until) {
    await Bun.sleep(10)
    c = fdCount()
  }
  return c
}

/** A port nothing listens on right now (bound and released). */
export const freePort = (address: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen({ host: address, port: 0 }, () => {
      const a = s.address()
      const port = typeof a === "object" && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })

const sh = (argv: ReadonlyArray<string>): string => {
  const r = Bun.spawnSync([...argv], { stdout: "pipe", stderr: "pipe" })
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString()}`)
  return r.stdout.toString()
}

export const hasCommand = (name: string): boolean => Bun.which(name) !== null

/** A fresh network namespace with loopback up; `remove` deletes it. */
export const netns = (name: string, setup: ReadonlyArray<ReadonlyArray<string>> = []) => {
  if (sh(["ip", "netns", "list"]).split("\n").some((l) => l.split(" ")[0] === name)) sh(["ip", "netns", "del", name])
  sh(["ip", "netns", "add", name])
  const remove = () => sh(["ip", "netns", "del", name])
  try {
    sh(["ip", "-n", name, "link", "set", "lo", "up"])
    for (const cmd of setup) sh(["ip", "-n", name, ...cmd])
  } catch (e) {
    remove()
    throw e
  }
  return { name, remove }
}

/** Runs `ops` in a child Bun process behind `prefix` (e.g. `ip netns exec NS`, `setpriv ...`). */
export const probe = async (prefix: ReadonlyArray<string>, ops: ReadonlyArray<Op>): Promise<Array<Result>> => {
  const script = join(import.meta.dir, "probe.ts")
  const proc = Bun.spawn([...prefix, process.execPath, script, JSON.stringify(ops)], {
    cwd: join(import.meta.dir, "..", ".."),
    env: { ...process.env, HOME: "/tmp", BUN_INSTALL_CACHE_DIR: "/tmp/kbgp-probe-cache" },
    stdout: "pipe",
    stderr: "pipe"
  })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0) throw new Error(`probe exited with ${code}: ${err}`)
  return JSON.parse(out)
}
