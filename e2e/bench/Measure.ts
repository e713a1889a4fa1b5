/**
 * One timed run: from the moment BIRD on the far side (the collector in A, the feeder in
 * B) reports the session Established — its own millisecond timestamp, so every
 * contender is timed by the same clock — until the contender's side counts all N
 * prefixes; then the contender's peak RSS (VmHWM) from /proc.
 */
import { Duration, Effect, Option } from "effect"
import * as Bird from "../src/lab/Bird.js"
import * as LabError from "../src/lab/LabError.js"
import * as Poll from "../src/lab/Poll.js"

export interface Result {
  /** Established → all N present, in seconds. */
  readonly seconds: number
  /** VmHWM of the measured process, in KiB. */
  readonly peakRssKiB: number | undefined
}

/**
 * BIRD's config line that puts milliseconds into `show protocols` "Since" (the
 * collector and feeder need it for `establishedAt`).
 */
export const birdTimeFormat = "timeformat protocol iso long ms;"

/** When BIRD's protocol `name` last changed state (`Bird.Protocol.since`, with `birdTimeFormat`), in ms since the epoch. */
export const since = (bird: Bird.Bird, name: string): Effect.Effect<number | undefined, LabError.LabError> =>
  Effect.map(Bird.protocol(bird, name), (p) => {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)$/.exec(p.since ?? "")
    return m === null ? undefined : new Date(`${m[1]}T${m[2]}`).getTime()
  })

/** The "Routes: N imported" count of BIRD's protocol `name` (0 while it is down). */
export const birdImported = (bird: Bird.Bird, name: string): Effect.Effect<number, LabError.LabError> =>
  Effect.map(Bird.protocol(bird, name), (p) => Number(/(\d+) imported/.exec(p.fields.get("Routes") ?? "")?.[1] ?? 0))

/** Peak resident set size (VmHWM) of process `pid`, in KiB; undefined once it has gone. */
export const peakRss = (pid: number): Effect.Effect<number | undefined> =>
  Effect.promise(async () => {
    const text = await Bun.file(`/proc/${pid}/status`).text().catch(() => "")
    const m = /^VmHWM:\s+(\d+) kB/m.exec(text)
    return m === null ? undefined : Number(m[1])
  })

/** Waits until BIRD's protocol `name` is not Established (the previous contender's session is gone). */
export const waitDown = (bird: Bird.Bird, name: string): Effect.Effect<void, LabError.LabError> =>
  Effect.asVoid(Bird.waitProtocol(bird, name, (p) => p.bgpState !== "Established", { what: "session down", timeout: "20 seconds" }))

export interface Options {
  /** BIRD on the far side and its protocol facing the contender. */
  readonly observer: Bird.Bird
  readonly protocol: string
  /** How many of the N prefixes the contender's side (A: the collector) has now. */
  readonly count: Effect.Effect<number, LabError.LabError>
  readonly n: number
  /** The process whose peak RSS is reported. */
  readonly pid: number
  /**
   * Run on every poll: `birdc show status` on every BIRD that exports the table (the
   * feeder, or BIRD as the speaker). BIRD 2.0.12 was seen to sit ~3 s on a large export in
   * this lab unless a command arrives on its control socket; poking it gives BIRD its best time.
   */
  readonly pokes?: ReadonlyArray<Effect.Effect<unknown, LabError.LabError>>
  readonly interval?: Duration.DurationInput
  readonly timeout: Duration.DurationInput
  readonly what: string
}

export const run = (o: Options): Effect.Effect<Result, LabError.LabError> =>
  Effect.gen(function* () {
    const poke = Effect.forEach(o.pokes ?? [], (p) => Effect.ignore(p), { discard: true })
    yield* Bird.waitProtocol(o.observer, o.protocol, (p) => p.bgpState === "Established", {
      what: `${o.what}: Established`,
      timeout: "60 seconds"
    }).pipe(Effect.tap(() => poke))
    const seen = Date.now()
    const establishedAt = (yield* since(o.observer, o.protocol)) ?? seen
    let last = 0
    const doneAt = yield* Poll.until(
      Effect.gen(function* () {
        yield* poke
        last = yield* o.count
        return last >= o.n ? Option.some(Date.now()) : Option.none()
      }),
      { timeout: o.timeout, interval: o.interval ?? "100 millis", what: `${o.what}: all ${o.n} prefixes` }
    ).pipe(Effect.mapError((e) => LabError.make(e.reason, `${e.detail} (${last} of ${o.n} after ${Duration.format(o.timeout)})`)))
    return { seconds: (doneAt - establishedAt) / 1000, peakRssKiB: yield* peakRss(o.pid) }
  })
