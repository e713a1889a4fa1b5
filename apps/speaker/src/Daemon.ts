/**
 * `bun run speaker --config FILE`: the speaker as a process.
 *
 * start: validate the file (invalid: exit 2, nothing started), make the
 * speaker, serve status (port taken: exit 1, no session started yet), apply;
 * then until SIGTERM/SIGINT: reload on SIGHUP and on file
 * changes (only the differences are applied; a bad file is logged and the
 * running config stays); on SIGTERM/SIGINT: stop with graceful restart where it
 * was negotiated (routers keep our routes while we restart) and Cease 6/2 with
 * a reason elsewhere, then exit 0. A second signal during the stop exits at once.
 */
import { Data, Deferred, Duration, Effect, Fiber, Queue, Stream, type Scope } from "effect"
import type { Transport } from "@kbgp/fsm"
import { Speaker } from "@kbgp/speaker"
import type { HostPort } from "./Cli.js"
import * as Config from "./Config.js"
import * as Events from "./Events.js"
import { exit } from "./internal/Exit.js"
import * as Reload from "./Reload.js"
import * as Status from "./Status.js"
import * as StatusServer from "./StatusServer.js"

export interface Options {
  readonly config: string
  readonly status: HostPort | undefined
  readonly restarting: boolean
  readonly watch: boolean
  /** Quiet time after a file change before reloading. Default 300 ms. */
  readonly debounce?: Duration.DurationInput
  /** How long the stop may take before the process gives up waiting. Default 15 s. */
  readonly stopTimeout?: Duration.DurationInput
  /** Speaker options beyond `restarting` (tests shorten timers). */
  readonly speaker?: Omit<Speaker.Options, "restarting">
  /** How to make the speaker; default `Speaker.make` (tests pass a fake). */
  readonly makeSpeaker?: (options: Speaker.Options) => Effect.Effect<Speaker.Speaker, never, Transport.Transport | Scope.Scope>
}

/** The speaker could not start: an invalid config (exit 2) or something the host refused (exit 1). */
export class StartError extends Data.TaggedError("StartError")<{
  readonly exitCode: 1 | 2
  readonly message: string
}> {}

export type Signal = "SIGTERM" | "SIGINT" | "SIGHUP"

/** Signals as a queue for the lifetime of the scope (handlers removed on close). */
export const signals = (names: ReadonlyArray<Signal>): Effect.Effect<Queue.Dequeue<Signal>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const q = yield* Queue.unbounded<Signal>()
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        const handlers = names.map((n) => {
          const h = () => Queue.unsafeOffer(q, n)
          process.on(n, h)
          return [n, h] as const
        })
        return handlers
      }),
      (handlers) => Effect.sync(() => handlers.forEach(([n, h]) => process.off(n, h)))
    )
    return q
  })

/** Run until a stop signal; the exit code is 0 after a clean stop. */
export const run = (options: Options): Effect.Effect<void, StartError, Transport.Transport | Scope.Scope> =>
  Effect.gen(function* () {
    // Signals first: a SIGTERM during start-up must still stop cleanly.
    const sigs = yield* signals(["SIGTERM", "SIGINT", "SIGHUP"])
    // Signal handlers do not keep a process alive: with no listener, no status endpoint and
    // no timer pending, the event loop would drain and the process exit 0 while "running".
    yield* Effect.acquireRelease(
      Effect.sync(() => setInterval(() => {}, 1 << 30)),
      (t) => Effect.sync(() => clearInterval(t))
    )

    // Validate before anything binds a port: a wrong file is exit 2 with nothing started.
    const checked = yield* Effect.either(Config.load(options.config))
    if (checked._tag === "Left") {
      yield* Effect.logError("the config is not valid").pipe(
        Effect.annotateLogs({ file: options.config, problems: Reload.problemLines(checked.left) })
      )
      return yield* new StartError({ exitCode: 2, message: checked.left.message })
    }

    const speaker = yield* (options.makeSpeaker ?? Speaker.make)({ ...options.speaker, restarting: options.restarting })
    const events = yield* speaker.subscribe
    yield* Effect.forkScoped(Stream.runForEach(Stream.fromQueue(events), Events.log))
    const reloads = yield* Status.makeReloads(options.config)

    // Status before sessions: a taken status port fails the start before any peer is contacted.
    if (options.status !== undefined) {
      const server = yield* StatusServer.make(speaker, options.status, reloads).pipe(
        Effect.mapError((e) => new StartError({ exitCode: 1, message: e.message }))
      )
      yield* Effect.logInfo("status endpoint listening").pipe(Effect.annotateLogs({ url: server.url }))
    }

    const reloader = yield* Reload.make(options.config, speaker.apply, reloads)
    const started = yield* reloader.reload("start")
    if (started._tag === "Failed") {
      yield* speaker.stop({ reason: "kbgp speaker could not start" })
      return yield* new StartError({ exitCode: started.exitCode, message: started.message })
    }
    const desired = yield* speaker.desired

    const changes = options.watch ? yield* Reload.watch(options.config, options.debounce) : undefined
    const watcher = changes !== undefined ? yield* Effect.forkScoped(Stream.runForEach(changes, () => reloader.reload("file"))) : undefined

    const listener = yield* speaker.listener
    yield* Effect.logInfo("speaker running").pipe(
      Effect.annotateLogs({
        routerId: desired?.routerId,
        localAs: desired?.localAs,
        peers: desired?.peers.length,
        ...(listener !== undefined ? { listener: StatusServer.formatHostPort({ host: listener.address, port: listener.port }) } : {}),
        restarting: options.restarting,
        pid: process.pid
      })
    )


    const stop = yield* Deferred.make<Signal>()
    const loop = yield* Effect.forkScoped(
      Effect.forever(
        Effect.flatMap(Queue.take(sigs), (s) =>
          s === "SIGHUP"
            ? Effect.asVoid(Effect.zipRight(Effect.logInfo("SIGHUP: reloading the config"), reloader.reload("signal")))
            : Effect.asVoid(Deferred.succeed(stop, s))
        )
      )
    )
    const signal = yield* Deferred.await(stop)
    // No reload may start once stopping (it would fail against a stopped speaker).
    yield* Fiber.interrupt(loop)
    if (watcher !== undefined) yield* Fiber.interrupt(watcher)

    // A second stop signal while stopping: give up waiting.
    yield* Effect.forkScoped(
      Effect.flatMap(Queue.take(sigs), (s) =>
        s === "SIGHUP" ? Effect.void : Effect.zipRight(Effect.logWarning(`${s} again: exiting without waiting`), Effect.sync(() => exit(1)))
      ).pipe(Effect.forever)
    )
    yield* Effect.logInfo(`${signal}: stopping`).pipe(Effect.annotateLogs({ gracefulRestart: "where negotiated" }))
    const stopped = yield* speaker
      .stop({ gracefulRestart: true, reason: `kbgp speaker stopping (${signal})` })
      .pipe(Effect.timeoutOption(options.stopTimeout ?? Duration.seconds(15)))
    if (stopped._tag === "None") yield* Effect.logWarning("stop took too long; exiting anyway")
    yield* Effect.logInfo("stopped")
  })
