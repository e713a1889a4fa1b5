/**
 * Config reloads: read and validate the file, and only when it is good hand it
 * to `apply` (the speaker changes only what differs: a route change never
 * resets a session, a peer change resets only that peer). A file that does not
 * parse or validate, or that `apply` refuses, is logged and the running config
 * stays. Triggers: SIGHUP (always re-applies: password files may have changed)
 * and file changes (skipped when the text did not change).
 */
import { Duration, Effect, Queue, Ref, type Scope, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { Speaker } from "@kbgp/speaker"
import * as Config from "./Config.js"
import type { ConfigError } from "./ConfigError.js"
import type { ReloadsRef } from "./Status.js"

export type Apply = Speaker.Speaker["apply"]

export type Trigger = "start" | "signal" | "file"

export type Outcome =
  | { readonly _tag: "Applied"; readonly result: Speaker.ApplyResult }
  /** The file did not change, or applying it changed nothing. */
  | { readonly _tag: "Unchanged" }
  /** Logged and counted; `exitCode` says what it would mean at start-up (2: the config, 1: the host). */
  | { readonly _tag: "Failed"; readonly exitCode: 1 | 2; readonly message: string }

export interface Reloader {
  /** Load, validate and apply now; never fails, nor dies (failures and defects are logged and counted). */
  readonly reload: (trigger: Trigger) => Effect.Effect<Outcome>
}

/** One line per problem for the log, e.g. `peers[1].asn: expected an AS number ... (line 12)`. */
export const problemLines = (e: ConfigError): Array<string> =>
  e.problems.map((p) => `${p.path}: ${p.message}${p.line !== undefined ? ` (line ${p.line})` : ""}`)

/** A one-line account of what `apply` changed. */
export const summary = (r: Speaker.ApplyResult): Record<string, unknown> => ({
  peersAdded: r.peersAdded,
  peersRemoved: r.peersRemoved,
  peersReset: r.peersReset.map((p) => `${p.peer} (${p.changed.join(", ")})`),
  peersUpdated: r.peersUpdated,
  routesAdded: r.routesAdded,
  routesWithdrawn: r.routesWithdrawn,
  routesChanged: r.routesChanged,
  listenerChanged: r.listenerChanged
})

const unchangedResult = (r: Speaker.ApplyResult): boolean =>
  r.peersAdded.length === 0 &&
  r.peersRemoved.length === 0 &&
  r.peersReset.length === 0 &&
  r.peersUpdated.length === 0 &&
  r.routesAdded === 0 &&
  r.routesWithdrawn === 0 &&
  r.routesChanged === 0 &&
  !r.listenerChanged

export const make = (file: string, apply: Apply, reloads: ReloadsRef): Effect.Effect<Reloader> =>
  Effect.gen(function* () {
    const lastText = yield* Ref.make<string | undefined>(undefined)
    // One reload at a time: a burst of signals and file events never interleaves two applies.
    const lock = yield* Effect.makeSemaphore(1)
    const fail = (exitCode: 1 | 2, message: string, detail: string, fields: Record<string, unknown>) =>
      Effect.zipRight(
        Effect.logError(message).pipe(Effect.annotateLogs(fields)),
        Ref.update(reloads, (r) => ({ ...r, failed: r.failed + 1, lastError: `${message}: ${detail}` }))
      ).pipe(Effect.as<Outcome>({ _tag: "Failed", exitCode, message: `${message}: ${detail}` }))

    const reload = (trigger: Trigger) =>
      Effect.gen(function* () {
        let text: string
        try {
          text = fs.readFileSync(file, "utf8")
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e)
          return yield* fail(2, trigger === "start" ? "cannot read the config" : "cannot read the config; the running one stays", why, { file, error: why })
        }
        if (trigger === "file" && (yield* Ref.get(lastText)) === text) return { _tag: "Unchanged" } as const
        const parsed = Config.parse(text, { file })
        if (parsed._tag === "Left") {
          return yield* fail(
            2,
            trigger === "start" ? "the config is not valid" : "the new config is not valid; the running one stays",
            parsed.left.message,
            { file, problems: problemLines(parsed.left) }
          )
        }
        for (const w of parsed.right.warnings) {
          yield* Effect.logWarning(`config: ${w.path}: ${w.message}`).pipe(Effect.annotateLogs({ file, ...(w.line !== undefined ? { line: w.line } : {}) }))
        }
        const result = yield* Effect.either(apply(parsed.right.desired))
        if (result._tag === "Left") {
          const e = result.left
          return yield* fail(
            e.reason === "Config" ? 2 : 1,
            trigger === "start" ? "the speaker refused the config" : "the speaker refused the new config; the running one stays",
            e.message,
            { file, reason: e.reason, ...(e.path !== "" ? { field: e.path } : {}), error: e.detail }
          )
        }
        yield* Ref.set(lastText, text)
        yield* Ref.update(reloads, (r) => ({ ...r, applied: r.applied + 1, lastAppliedAt: Date.now() }))
        const same = unchangedResult(result.right)
        yield* Effect.logInfo(trigger === "start" ? "config applied" : same ? "config reloaded: nothing changed" : "config reloaded").pipe(
          Effect.annotateLogs({ file, trigger, ...summary(result.right) })
        )
        return same && trigger !== "start" ? ({ _tag: "Unchanged" } as const) : ({ _tag: "Applied", result: result.right } as const)
      }).pipe(
        // A defect (a bug in parsing or in the speaker) must not escape either: the loop that runs reloads also
        // waits for SIGTERM. It is logged with its stack and counted like any failed reload.
        Effect.catchAllDefect((defect) =>
          fail(
            1,
            trigger === "start" ? "applying the config failed unexpectedly" : "reloading the config failed unexpectedly; the running one stays",
            defect instanceof Error ? defect.message : String(defect),
            { file, trigger, ...(defect instanceof Error && defect.stack !== undefined ? { stack: defect.stack } : {}) }
          )
        ),
        lock.withPermits(1)
      )

    return { reload }
  })

/**
 * Changes to `file`, debounced: editors write in several steps, and Kubernetes
 * swaps a ConfigMap's files through a `..data` symlink, so the directory is
 * watched (a watch on the file itself would follow the old inode). The watch
 * is in place when this effect returns (no change is missed after it), and
 * closes with the scope.
 */
export const watch = (file: string, debounce: Duration.DurationInput = Duration.millis(300)): Effect.Effect<Stream.Stream<void>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = path.dirname(path.resolve(file))
    const base = path.basename(file)
    const events = yield* Queue.sliding<void>(1)
    const watcher = yield* Effect.acquireRelease(
      Effect.sync(() => {
        try {
          const w = fs.watch(dir, (_event, name) => {
            if (name === null || name === base || name.startsWith("..")) Queue.unsafeOffer(events, undefined)
          })
          // A watch that breaks (directory removed) goes quiet: SIGHUP still works.
          w.on("error", () => w.close())
          return w
        } catch {
          return undefined
        }
      }),
      (w) => Effect.sync(() => w?.close())
    )
    if (watcher === undefined) yield* Effect.logWarning("cannot watch the config's directory; reload with SIGHUP").pipe(Effect.annotateLogs({ file }))
    return Stream.fromQueue(events).pipe(Stream.debounce(debounce))
  })
