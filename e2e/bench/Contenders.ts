/**
 * The six runs of `bun run bench:peer`, each in its own Scope (every daemon it starts
 * is stopped by PID when it ends). The contender always runs in the lab's kbgp
 * namespace (192.0.2.1, AS 65002), BIRD's collector or feeder in the bird namespace
 * (192.0.2.2, AS 65001).
 *
 * (A) the contender holds the table first (kbgp: `split` in its config; gobgpd: MRT
 *     injected; BIRD: static routes, loaded), then the collector starts (passive) and
 *     the contender connects; timed until the collector has imported all N.
 * (B) one feeder BIRD holds the table (static routes, loaded before any run) and exports
 *     it to each receiver in turn; timed until the receiver has all N in its RIB
 *     (kbgp: `import: accept`, so Loc-RIB and best path run as in BIRD and gobgpd).
 */
import { Effect, Option, type Scope } from "effect"
import * as Bird from "../src/lab/Bird.js"
import type * as BirdConfig from "../src/lab/BirdConfig.js"
import * as Gobgp from "../src/lab/Gobgp.js"
import * as Lab from "../src/lab/Lab.js"
import * as LabError from "../src/lab/LabError.js"
import * as Poll from "../src/lab/Poll.js"
import * as Shell from "../src/lab/Shell.js"
import * as SpeakerProcess from "../src/lab/SpeakerProcess.js"
import * as Measure from "./Measure.js"
import * as Workload from "./Workload.js"

export type Contender = "kbgp" | "gobgpd" | "bird"

export interface Run extends Measure.Result {
  /** Set-up time worth a note, not counted (how long gobgpd's MRT injection took). */
  readonly setup?: { readonly what: string; readonly seconds: number }
}

/** Generous: gobgpd needs minutes for a million prefixes on these machines. */
const TIMEOUT = { kbgp: "300 seconds", gobgpd: "900 seconds", bird: "300 seconds" } as const
/**
 * Poll intervals of the receiver in B (in A the collector, a BIRD, is polled every 100 ms).
 * gobgp's CLI is a Go program talking gRPC: polling it often would slow gobgpd down.
 */
const INTERVAL = { kbgp: "100 millis", gobgpd: "500 millis", bird: "100 millis" } as const
const COLLECTOR_INTERVAL = "100 millis"

const HOLD = 90 // long enough that a busy daemon never misses a KEEPALIVE

const mkdir = (dir: string) => Shell.run(["mkdir", "-p", dir])

/** gobgpd in kbgp's namespace, peering with BIRD over IPv4 (its working directory is `dir`). */
const startGobgp = (lab: Lab.Lab, dir: string) =>
  Effect.zipRight(
    mkdir(dir),
    Gobgp.start({
      ns: lab.kbgpNs,
      dir,
      config: {
        as: Lab.KBGP_AS,
        routerId: lab.kbgp.v4,
        neighbors: [{ address: lab.bird.v4, peerAs: Lab.BIRD_AS, localAddress: lab.kbgp.v4, holdTime: HOLD, connectRetry: 1, afiSafis: [{ name: "ipv4-unicast" }] }]
      }
    })
  )

/** Waits until BIRD's static protocol has all N routes in its table (polling also wakes BIRD, see Measure.pokes). */
const waitLoaded = (bird: Bird.Bird, name: string, n: number): Effect.Effect<void, LabError.LabError> =>
  Effect.asVoid(
    Poll.until(Effect.map(Measure.birdImported(bird, name), (c) => (c >= n ? Option.some(c) : Option.none())), {
      timeout: "300 seconds",
      interval: "100 millis",
      what: `BIRD static table of ${n} routes loaded`
    })
  )

/** The BGP protocol of BIRD in the kbgp namespace (as speaker or receiver), facing BIRD in the bird namespace. */
const birdContender = (lab: Lab.Lab, role: "speaker" | "receiver"): BirdConfig.BgpProtocol => ({
  name: "peer",
  localAddress: lab.kbgp.v4,
  localAs: Lab.KBGP_AS,
  neighborAddress: lab.bird.v4,
  neighborAs: Lab.BIRD_AS,
  holdTime: HOLD,
  connectDelayTime: 0,
  connectRetryTime: 1,
  errorWaitTime: [1, 2],
  channels: [{ afi: "ipv4", import: role === "receiver" ? "all" : "none", export: role === "speaker" ? "all" : "none" }]
})

/** BIRD in the bird namespace facing the contender: the collector (A, passive) or the feeder (B). */
const farSide = (lab: Lab.Lab, role: "collector" | "feeder"): BirdConfig.BgpProtocol => ({
  ...Lab.birdPeer(lab, { family: "ipv4", name: "contender", holdTime: HOLD, passive: role === "collector", connectRetryTime: 1, ...(role === "feeder" ? { export: "all" as const } : {}) }),
  debug: ["states"]
})

/** BIRD as the contender, in the kbgp namespace (`Lab.startBird` starts BIRD in the bird namespace). */
const startBirdContender = (lab: Lab.Lab, name: string, config: BirdConfig.BirdConfig): Effect.Effect<Bird.Bird, LabError.LabError, Scope.Scope> =>
  Effect.tap(Bird.start({ ns: lab.kbgpNs, dir: lab.dir, config, name }), (b) => Effect.sync(() => lab.logFiles.push(b.process.logFile)))

const ribDestinations = (g: Gobgp.Gobgp) =>
  Effect.map(Gobgp.cli(g, "global", "rib", "summary", "-a", "ipv4"), (out) => Number(/Destination:\s*(\d+)/.exec(out)?.[1] ?? 0))

/**
 * `gobgp mrt inject global FILE`, then waits until gobgpd's RIB holds all N. The CLI can
 * exit before the last paths it queued reach gobgpd (10,000 injected → ~9,500 present),
 * so the file ends with `MRT_PADDING` repeats of the first prefixes: what is lost is a
 * repeat (the same path again is no change).
 */
const injectMrt = (g: Gobgp.Gobgp, file: string, n: number): Effect.Effect<void, LabError.LabError> =>
  Effect.gen(function* () {
    yield* Gobgp.cli(g, "mrt", "inject", "global", file)
    let last = -1
    while (true) {
      const count = yield* ribDestinations(g)
      if (count >= n) return
      if (count === last) return yield* Effect.fail(LabError.make("Command", `gobgpd's RIB holds ${count} of the ${n} injected routes`))
      last = count
      yield* Effect.sleep("1 second")
    }
  })

export const MRT_PADDING = 20_000

// ---------------------------------------------------------------------------
// (A) advertise

const startCollector = (lab: Lab.Lab, run: string): Effect.Effect<Bird.Bird, LabError.LabError, Scope.Scope> =>
  Lab.startBird(lab, { routerId: lab.bird.v4, preamble: Measure.birdTimeFormat, bgp: [farSide(lab, "collector")] }, `collector-${run}`)

const collectorCount = (collector: Bird.Bird) => Measure.birdImported(collector, "contender")

export const advertise = (lab: Lab.Lab, who: Contender, n: number): Effect.Effect<Run, LabError.LabError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const what = `(A) ${who} advertising ${n}`
      if (who === "kbgp") {
        const sp = yield* SpeakerProcess.start(
          SpeakerProcess.inLab(lab),
          {
            routerId: lab.kbgp.v4,
            localAs: Lab.KBGP_AS,
            peers: [{ name: "collector", address: lab.bird.v4, asn: Lab.BIRD_AS, localAddress: lab.kbgp.v4, holdTime: HOLD, connectRetryTime: 1 }],
            routes: Workload.speakerRoutes(n)
          },
          { name: "kbgp-a", logLevel: "info", timeout: "120 seconds" }
        )
        const collector = yield* startCollector(lab, "kbgp")
        return yield* Measure.run({
          observer: collector, protocol: "contender", count: collectorCount(collector), n, pid: sp.process.pid,
          timeout: TIMEOUT.kbgp, interval: COLLECTOR_INTERVAL, what
        })
      }
      if (who === "gobgpd") {
        const dir = `${lab.dir}/gobgpd-a`
        const g = yield* startGobgp(lab, dir)
        const file = `${dir}/table.mrt`
        yield* Effect.promise(() => Bun.write(file, Workload.mrt(n, { peerId: lab.kbgp.v4, peerAs: Lab.KBGP_AS, nextHop: lab.kbgp.v4, padding: Math.min(n, MRT_PADDING) })))
        const t0 = Date.now()
        yield* injectMrt(g, file, n)
        const setup = { what: "MRT injection into gobgpd's RIB", seconds: (Date.now() - t0) / 1000 }
        const collector = yield* startCollector(lab, "gobgpd")
        const r = yield* Measure.run({
          observer: collector, protocol: "contender", count: collectorCount(collector), n, pid: g.process.pid,
          timeout: TIMEOUT.gobgpd, interval: COLLECTOR_INTERVAL, what
        })
        return { ...r, setup }
      }
      const speaker = yield* startBirdContender(lab, "bird-a", {
        routerId: lab.kbgp.v4,
        statics: [Workload.birdStatic(n, "prefixes")],
        bgp: [birdContender(lab, "speaker")]
      })
      yield* waitLoaded(speaker, "prefixes", n)
      const collector = yield* startCollector(lab, "bird")
      return yield* Measure.run({
        observer: collector, protocol: "contender", count: collectorCount(collector), n, pid: speaker.process.pid,
        pokes: [Bird.birdc(speaker, "show", "status")], timeout: TIMEOUT.bird, interval: COLLECTOR_INTERVAL, what
      })
    })
  )

// ---------------------------------------------------------------------------
// (B) receive

export interface Feeder {
  readonly bird: Bird.Bird
  readonly n: number
}

/** The feeder BIRD with the table loaded; it lives as long as the scope (all of part B). */
export const startFeeder = (lab: Lab.Lab, n: number): Effect.Effect<Feeder, LabError.LabError, Scope.Scope> =>
  Effect.gen(function* () {
    const bird = yield* Lab.startBird(
      lab,
      { routerId: lab.bird.v4, preamble: Measure.birdTimeFormat, statics: [Workload.birdStatic(n, "prefixes")], bgp: [farSide(lab, "feeder")] },
      "feeder"
    )
    yield* waitLoaded(bird, "prefixes", n)
    return { bird, n }
  })

const receiverCount = {
  kbgp: (sp: SpeakerProcess.SpeakerProcess) =>
    Effect.map(SpeakerProcess.peer(sp, "feeder"), (p) => p.families.find((f) => f.family === "ipv4-unicast")?.accepted ?? 0),
  gobgpd: (g: Gobgp.Gobgp, address: string) =>
    Effect.flatMap(Gobgp.cli(g, "-j", "neighbor", address), (out) =>
      Effect.try({
        try: () => {
          const doc = JSON.parse(out) as { afi_safis?: ReadonlyArray<{ state?: { accepted?: number } }> }
          return (doc.afi_safis ?? []).reduce((sum, a) => sum + (a.state?.accepted ?? 0), 0)
        },
        // A busy gobgpd can answer with an error text: not yet.
        catch: () => LabError.make("Command", `gobgp neighbor ${address}: not JSON: ${out.slice(0, 200)}`)
      })
    )
}

export const receive = (lab: Lab.Lab, who: Contender, feeder: Feeder): Effect.Effect<Run, LabError.LabError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const n = feeder.n
      const what = `(B) ${who} receiving ${n}`
      yield* Measure.waitDown(feeder.bird, "contender")
      const common = {
        observer: feeder.bird, protocol: "contender", n, pokes: [Bird.birdc(feeder.bird, "show", "status")], what
      }
      if (who === "kbgp") {
        const sp = yield* SpeakerProcess.start(
          SpeakerProcess.inLab(lab),
          {
            routerId: lab.kbgp.v4,
            localAs: Lab.KBGP_AS,
            peers: [{ name: "feeder", address: lab.bird.v4, asn: Lab.BIRD_AS, localAddress: lab.kbgp.v4, holdTime: HOLD, connectRetryTime: 1, import: "accept" }]
          },
          { name: "kbgp-b", logLevel: "info", timeout: "60 seconds" }
        )
        return yield* Measure.run({ ...common, count: receiverCount.kbgp(sp), pid: sp.process.pid, timeout: TIMEOUT.kbgp, interval: INTERVAL.kbgp })
      }
      if (who === "gobgpd") {
        const dir = `${lab.dir}/gobgpd-b`
        const g = yield* startGobgp(lab, dir)
        return yield* Measure.run({ ...common, count: receiverCount.gobgpd(g, lab.bird.v4), pid: g.process.pid, timeout: TIMEOUT.gobgpd, interval: INTERVAL.gobgpd })
      }
      const receiver = yield* startBirdContender(lab, "bird-b", { routerId: lab.kbgp.v4, bgp: [birdContender(lab, "receiver")] })
      return yield* Measure.run({
        ...common, count: Measure.birdImported(receiver, "peer"), pid: receiver.process.pid, timeout: TIMEOUT.bird, interval: INTERVAL.bird
      })
    })
  )
