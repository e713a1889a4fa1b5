// scratch (not committed): profile kbgp advertising N to a BIRD collector
import { Effect } from "effect"
import * as Lab from "../src/lab/Lab.js"
import * as Process from "../src/lab/Process.js"
import * as Shell from "../src/lab/Shell.js"
import * as SpeakerProcess from "../src/lab/SpeakerProcess.js"
import * as Measure from "./Measure.js"
import * as Workload from "./Workload.js"
const n = Number(process.argv[2] ?? 1000000)
const mode = process.argv[3] ?? "A"
await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
  const lab = yield* Lab.make("bprof")
  const peer = mode === "A"
    ? { name: "collector", address: lab.bird.v4, asn: Lab.BIRD_AS, localAddress: lab.kbgp.v4, holdTime: 90, connectRetryTime: 1 }
    : { name: "feeder", address: lab.bird.v4, asn: Lab.BIRD_AS, localAddress: lab.kbgp.v4, holdTime: 90, connectRetryTime: 1, import: "accept" }
  const cfg = `${lab.dir}/k.yaml`
  yield* Effect.promise(() => Bun.write(cfg, SpeakerProcess.render({ routerId: lab.kbgp.v4, localAs: Lab.KBGP_AS, peers: [peer], ...(mode === "A" ? { routes: Workload.speakerRoutes(n) } : {}) })))
  const p = yield* Process.spawn({ name: "kbgp", logFile: `${lab.dir}/k.log`, argv: Shell.inNs(lab.kbgpNs.name, [process.execPath, "--cpu-prof", "--cpu-prof-dir=/tmp/bench-scratch/prof", `${import.meta.dir}/../../apps/speaker/src/main.ts`, "run", "--config", cfg, "--status", "127.0.0.1:7199", "--no-watch"]), stopGrace: "20 seconds" })
  yield* Effect.sleep("2 seconds")
  const far = { ...Lab.birdPeer(lab, { family: "ipv4", name: "contender", holdTime: 90, passive: mode === "A", connectRetryTime: 1, ...(mode === "B" ? { export: "all" as const } : {}) }) }
  const bird = yield* Lab.startBird(lab, { routerId: lab.bird.v4, preamble: Measure.birdTimeFormat, ...(mode === "B" ? { statics: [Workload.birdStatic(n)] } : {}), bgp: [far] }, "far")
  const count = mode === "A" ? Measure.birdImported(bird, "contender") : Effect.succeed(0)
  if (mode === "A") {
    const r = yield* Measure.run({ observer: bird, protocol: "contender", count, n, pid: p.pid, timeout: "120 seconds", what: "prof" })
    console.log(r)
  } else { yield* Effect.sleep("25 seconds") }
  yield* Process.stop(p, "SIGTERM", "20 seconds")
})))
