/**
 * The cluster from a directory of manifests — kbgp's embedded default when there is no Kubernetes API.
 *
 * - Every `*.yaml`, `*.yml` and `*.json` file under `directory` (recursive; names starting with `.` are skipped,
 *   which also skips a ConfigMap mount's `..data`/`..<timestamp>` directories), multi-document (`---`), `List`
 *   kinds expanded. Documents are dispatched by apiVersion/kind to `Kinds`; other Kubernetes kinds (e.g. a
 *   Deployment next to its Service) are listed in `ignored`, not reported as problems.
 * - A file is applied as a whole: if any of its documents is broken (syntax, unknown cilium.io kind or a likely
 *   typo of a known kind, schema failure) the file's last good state stays in force — nothing, if it never had
 *   one — and each broken document is reported as a `ManifestError` (path, document index, line, reason) in
 *   `problems` and as a warning log line. The rest of the directory still loads.
 * - Re-read on every file-system event (recursive watch) and on a periodic rescan (fallback for file systems
 *   without events); `rescan` forces one. Snapshots are settled (`debounce`) and emitted only on real change.
 * - Status writes go to an in-memory overlay (`overlay`), merged into the snapshots the way the API server
 *   would show them: Service `status.loadBalancer.ingress`, and `status.conditions` of kinds that have them.
 */
import { FileSystem } from "@effect/platform"
import { Config, Context, Duration, Effect, Layer, Queue, Ref, Stream } from "effect"
import type { ConfigError, Scope } from "effect"
import * as ClusterSnapshot from "./ClusterSnapshot.js"
import type { ClusterSourceShape } from "./ClusterSource.js"
import { ClusterSource, makePublisher } from "./ClusterSource.js"
import { combine, parseFile } from "./internal/ManifestDocuments.js"
import type { IgnoredDocument, ManifestObject, ParsedFile } from "./internal/ManifestDocuments.js"
import type { KindName } from "./Kinds.js"
import { ManifestError } from "./ManifestError.js"
import type { Condition } from "./resources/ObjectMeta.js"
import type { Service } from "./resources/Service.js"
import type { MemoryStatusWriter, Overlay } from "./StatusWriter.js"
import { makeMemory, StatusWriter } from "./StatusWriter.js"

export type { IgnoredDocument } from "./internal/ManifestDocuments.js"

export interface Options {
  /** The manifest directory. */
  readonly directory: string
  /** Quiet time after the last change before a snapshot is emitted. */
  readonly debounce: Duration.DurationInput
  /** Longest a change waits under constant churn. */
  readonly maxDelay: Duration.DurationInput
  /** Periodic full rescan (fallback when file-system events are missed). */
  readonly rescanInterval: Duration.DurationInput
  /** Watch the directory for changes (false: periodic rescans only). */
  readonly watch: boolean
}

export const defaults = {
  debounce: Duration.millis(250),
  maxDelay: Duration.seconds(2),
  rescanInterval: Duration.seconds(5),
  watch: true
} satisfies Omit<Options, "directory">

/** The options from configuration (nest it, e.g. `Config.nested(ManifestSource.config, "manifests")`). */
export const config: Config.Config<Options> = Config.all({
  directory: Config.string("directory").pipe(
    Config.withDescription("Directory of Kubernetes manifests (YAML/JSON, searched recursively) to read the cluster from")
  ),
  debounce: Config.duration("debounce").pipe(
    Config.withDefault(defaults.debounce),
    Config.withDescription("Quiet time after a change before a new snapshot is emitted")
  ),
  maxDelay: Config.duration("maxDelay").pipe(
    Config.withDefault(defaults.maxDelay),
    Config.withDescription("Longest a change waits for quiet before it is emitted anyway")
  ),
  rescanInterval: Config.duration("rescanInterval").pipe(
    Config.withDefault(defaults.rescanInterval),
    Config.withDescription("Full rescan period, a fallback for file systems without change events")
  ),
  watch: Config.boolean("watch").pipe(
    Config.withDefault(defaults.watch),
    Config.withDescription("Watch the directory for changes (false: periodic rescans only)")
  )
})

export interface FileStatus {
  readonly path: string
  /** Objects in force from this file (its last good state). */
  readonly objects: number
  /** False when the current content is broken (the last good state is in force). */
  readonly ok: boolean
}

export interface ManifestSourceShape {
  readonly directory: string
  /** Broken documents and files, duplicates, and an unreadable directory; empty when all is well. */
  readonly problems: Effect.Effect<ReadonlyArray<ManifestError>>
  /** Documents of kinds kbgp does not read. */
  readonly ignored: Effect.Effect<ReadonlyArray<IgnoredDocument>>
  readonly files: Effect.Effect<ReadonlyArray<FileStatus>>
  /** Status written by kbgp (in memory; shown by the CLI). */
  readonly overlay: Effect.Effect<Overlay>
  /** Re-reads the directory now and returns when done. */
  readonly rescan: Effect.Effect<void>
}

export class ManifestSource extends Context.Tag("@kbgp/k8s-source/ManifestSource")<ManifestSource, ManifestSourceShape>() {}

const EXTENSIONS = [".yaml", ".yml", ".json"]
const MAX_DEPTH = 16

interface FileEntry {
  readonly text: string
  readonly parsed: ParsedFile
  /** The last good parse's objects (all documents valid), or none. */
  readonly good: ReadonlyArray<ManifestObject>
  readonly readProblem: ManifestError | undefined
}

interface State {
  readonly files: ReadonlyMap<string, FileEntry>
  readonly directoryProblem: ManifestError | undefined
  readonly duplicates: ReadonlyArray<ManifestError>
  /** Stores from the files, before the overlay. */
  readonly base: { readonly [K in KindName]?: ReadonlyMap<string, unknown> }
}

const join = (dir: string, name: string) => (dir.endsWith("/") ? dir + name : `${dir}/${name}`)

/** Files larger than this are reported, not read: a manifest directory holds small text files. */
const MAX_FILE_BYTES = 16 * 1024 * 1024

interface Listed {
  readonly path: string
  readonly size: number
}

/**
 * Manifest files under `dir`, sorted. Fails when `dir` or a subdirectory cannot be listed (the caller then keeps
 * the last good state, rather than dropping the objects of an unreadable subdirectory); entries that vanish
 * mid-scan are simply not there.
 */
const listFiles = (fs: FileSystem.FileSystem, dir: string) => {
  const readError = (path: string) => (e: { readonly message: string }) =>
    new ManifestError({ reason: "Read", path, document: undefined, line: undefined, detail: e.message })
  const walk = (d: string, depth: number): Effect.Effect<Array<Listed>, ManifestError> =>
    fs.readDirectory(d).pipe(
      Effect.mapError(readError(d)),
      Effect.flatMap((names) =>
        Effect.forEach(
          names.filter((n) => !n.startsWith(".")).sort(),
          (name) => {
            const path = join(d, name)
            return fs.stat(path).pipe(
              Effect.map((info) => ({ info, gone: false })),
              // Dangling symlink, or removed since the directory was read.
              Effect.catchAll(() => Effect.succeed({ info: undefined, gone: true })),
              Effect.flatMap(({ info, gone }): Effect.Effect<Array<Listed>, ManifestError> => {
                if (gone || info === undefined) return Effect.succeed([])
                if (info.type === "Directory") {
                  if (depth >= MAX_DEPTH) return Effect.succeed([])
                  return walk(path, depth + 1).pipe(
                    Effect.catchAll((e) =>
                      Effect.flatMap(Effect.orElseSucceed(fs.exists(path), () => true), (exists) =>
                        exists ? Effect.fail(e) : Effect.succeed([])
                      )
                    )
                  )
                }
                const lower = name.toLowerCase()
                return Effect.succeed(
                  info.type === "File" && EXTENSIONS.some((x) => lower.endsWith(x)) ? [{ path, size: Number(info.size) }] : []
                )
              })
            )
          },
          { concurrency: 1 }
        )
      ),
      Effect.map((nested) => nested.flat())
    )
  return walk(dir, 0)
}

const hasConditions = (u: unknown): u is { readonly status: { readonly conditions: ReadonlyArray<Condition> } } =>
  typeof u === "object" &&
  u !== null &&
  "status" in u &&
  typeof u.status === "object" &&
  u.status !== null &&
  "conditions" in u.status &&
  Array.isArray(u.status.conditions)

/** Base stores with the status overlay merged in, as the API server would show the objects after the writes. */
const applyOverlay = (
  base: State["base"],
  overlay: Overlay
): { [K in KindName]?: ReadonlyMap<string, unknown> } => {
  const out: { [K in KindName]?: ReadonlyMap<string, unknown> } = { ...base }
  if (overlay.serviceIngress.size > 0 && base.Service !== undefined) {
    const services = new Map(base.Service)
    for (const [key, ingress] of overlay.serviceIngress) {
      const svc = services.get(key) as Service | undefined
      if (svc === undefined) continue
      services.set(key, { ...svc, status: { ...svc.status, loadBalancer: { ...svc.status.loadBalancer, ingress } } })
    }
    out.Service = services
  }
  for (const [kind, byKey] of overlay.conditions) {
    const store = base[kind]
    if (store === undefined) continue
    const next = new Map(store)
    for (const [key, conditions] of byKey) {
      const obj = next.get(key)
      if (!hasConditions(obj)) continue
      // By type, as on the API server: conditions of other types (written in the manifest) stay.
      const written = new Map(conditions.map((c) => [c.type, c]))
      const merged = [
        ...obj.status.conditions.map((c) => written.get(c.type) ?? c),
        ...conditions.filter((c) => !obj.status.conditions.some((o) => o.type === c.type))
      ]
      next.set(key, { ...obj, status: { ...obj.status, conditions: merged } })
    }
    out[kind] = next
  }
  return out
}

const sameProblems = (a: ReadonlyArray<ManifestError>, b: ReadonlyArray<ManifestError>) =>
  a.length === b.length && a.every((p, i) => p.message === b[i]!.message)

/**
 * Builds the source in the current scope (watcher and rescans stop when it closes). Fails with a `Read`
 * ManifestError when `directory` cannot be listed at startup: a wrong path should stop the agent, not run it
 * with an empty cluster. Later read failures keep the last good state.
 */
export const make = (
  options: Partial<Omit<Options, "directory">> & Pick<Options, "directory">
): Effect.Effect<
  { readonly source: ClusterSourceShape; readonly manifests: ManifestSourceShape; readonly memory: MemoryStatusWriter },
  ManifestError,
  FileSystem.FileSystem | Scope.Scope
> =>
  Effect.gen(function* () {
    const opts: Options = { ...defaults, ...options }
    const fs = yield* FileSystem.FileSystem
    const directory = opts.directory
    const state = yield* Ref.make<State>({ files: new Map(), directoryProblem: undefined, duplicates: [], base: {} })
    const lock = yield* Effect.makeSemaphore(1)
    const publisher = yield* makePublisher({ debounce: opts.debounce, maxDelay: opts.maxDelay })

    const memory = yield* makeMemory({
      exists: (kind, key) => Effect.map(Ref.get(state), (s) => s.base[kind]?.has(key) ?? false)
    })

    const publish = Effect.gen(function* () {
      const s = yield* Ref.get(state)
      const overlay = yield* memory.overlay
      const stores = applyOverlay(s.base, overlay)
      yield* publisher.publish(ClusterSnapshot.fromStores(stores as Partial<ClusterSnapshot.Stores>, true))
    })

    const readOne = (path: string, size: number, previous: FileEntry | undefined) =>
      (size > MAX_FILE_BYTES
        ? Effect.fail<{ readonly message: string }>({ message: `file too large (${size} bytes; the limit is ${MAX_FILE_BYTES})` })
        : Effect.mapError(fs.readFileString(path), (e): { readonly message: string } => e)
      ).pipe(
        Effect.map((text): FileEntry => {
          if (previous !== undefined && previous.text === text) return { ...previous, readProblem: undefined }
          const parsed = parseFile(path, text)
          const good = parsed.problems.length === 0 ? parsed.objects : previous?.good ?? []
          return { text, parsed, good, readProblem: undefined }
        }),
        Effect.tap((entry) =>
          entry === previous || entry.parsed === previous?.parsed
            ? Effect.void
            : Effect.forEach(entry.parsed.problems, (p) =>
                Effect.logWarning(`manifest ${p.message}${previous?.good.length ? " (last good state kept)" : ""}`)
              )
        ),
        Effect.catchAll((e) => {
          const readProblem = new ManifestError({ reason: "Read", path, document: undefined, line: undefined, detail: e.message })
          return Effect.as(
            previous?.readProblem?.message === readProblem.message ? Effect.void : Effect.logWarning(`manifest ${readProblem.message}`),
            previous !== undefined
              ? { ...previous, readProblem }
              : { text: "", parsed: { objects: [], problems: [], ignored: [] }, good: [], readProblem }
          )
        })
      )

    const rescanNow = Effect.gen(function* () {
      const before = yield* Ref.get(state)
      const listed = yield* Effect.either(listFiles(fs, directory))
      if (listed._tag === "Left") {
        if (before.directoryProblem?.message !== listed.left.message) {
          yield* Effect.logWarning(`manifest ${listed.left.message} (last good state kept)`)
        }
        yield* Ref.set(state, { ...before, directoryProblem: listed.left })
        return
      }
      const files = new Map<string, FileEntry>()
      for (const { path, size } of listed.right) files.set(path, yield* readOne(path, size, before.files.get(path)))
      for (const path of before.files.keys()) {
        if (!files.has(path)) yield* Effect.logInfo(`manifest ${path} removed`)
      }
      const combined = combine([...files].map(([path, f]) => ({ path, objects: f.good })))
      if (!sameProblems(combined.duplicates, before.duplicates)) {
        yield* Effect.forEach(combined.duplicates, (p) => Effect.logWarning(`manifest ${p.message}`))
      }
      yield* Ref.set(state, { files, directoryProblem: undefined, duplicates: combined.duplicates, base: combined.stores })
      yield* memory.prune((kind, key) => combined.stores[kind]?.has(key) ?? false)
    })

    const rescan = lock.withPermits(1)(Effect.zipRight(rescanNow, publish))

    // Startup: the directory must be there.
    yield* listFiles(fs, directory)
    yield* rescan

    // Rescans on demand: file-system events and the periodic timer only signal; one rescan runs at a time.
    const trigger = yield* Queue.sliding<void>(1)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Queue.take(trigger), rescan)))
    // The first periodic rescan comes one interval after the initial read (which just happened).
    yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(Effect.sleep(Duration.decode(opts.rescanInterval)), Queue.offer(trigger, undefined)))
    )
    if (opts.watch) {
      // A watch that fails (unsupported file system) or ends (directory replaced) is restarted after a rescan
      // interval; the periodic rescan covers the gap. Warn once, not on every retry.
      const warned = yield* Ref.make(false)
      const interval = Duration.decode(opts.rescanInterval)
      const watchOnce = fs.watch(directory, { recursive: true }).pipe(
        Stream.runForEach(() => Queue.offer(trigger, undefined)),
        Effect.catchAll((e) =>
          Effect.flatMap(Ref.getAndSet(warned, true), (already) =>
            already
              ? Effect.void
              : Effect.logWarning(
                  `manifest watch on ${directory} failed: ${e.message}; rescanning every ${Duration.format(interval)}`
                )
          )
        )
      )
      yield* Effect.forkScoped(Effect.forever(Effect.zipRight(watchOnce, Effect.sleep(interval))))
    }
    // Status writes change what the snapshot shows. The stream starts with the overlay as it is when this fiber
    // subscribes, which may already include a write made before then: publish for that one too (an unchanged
    // snapshot is not emitted again), rather than drop it as "the initial value" and lose the write.
    yield* Effect.forkScoped(Stream.runForEach(memory.changes, () => lock.withPermits(1)(publish)))

    const problems = Effect.map(Ref.get(state), (s): ReadonlyArray<ManifestError> => [
      ...(s.directoryProblem !== undefined ? [s.directoryProblem] : []),
      ...[...s.files.values()].flatMap((f) => (f.readProblem !== undefined ? [f.readProblem] : f.parsed.problems)),
      ...s.duplicates
    ])

    const manifests: ManifestSourceShape = {
      directory,
      problems,
      ignored: Effect.map(Ref.get(state), (s) => [...s.files.values()].flatMap((f) => f.parsed.ignored)),
      files: Effect.map(Ref.get(state), (s) =>
        [...s.files].map(([path, f]) => ({
          path,
          objects: f.good.length,
          ok: f.readProblem === undefined && f.parsed.problems.length === 0
        }))
      ),
      overlay: memory.overlay,
      rescan
    }
    const source: ClusterSourceShape = { snapshots: publisher.snapshots, current: publisher.current, problems }
    return { source, manifests, memory }
  })

/** `layer` with options read from `config`. */
export const layerConfig = (
  cfg: Config.Config<Options> = config
): Layer.Layer<ClusterSource | StatusWriter | ManifestSource, ManifestError | ConfigError.ConfigError, FileSystem.FileSystem> =>
  Layer.unwrapEffect(Effect.map(cfg, (options) => layer(options)))

/** `ClusterSource`, `StatusWriter` (in-memory overlay) and `ManifestSource` from one directory. */
export const layer = (
  options: Partial<Omit<Options, "directory">> & Pick<Options, "directory">
): Layer.Layer<ClusterSource | StatusWriter | ManifestSource, ManifestError, FileSystem.FileSystem> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ manifests, memory, source }) =>
      Context.make(ClusterSource, source).pipe(
        Context.add(StatusWriter, memory.writer),
        Context.add(ManifestSource, manifests)
      )
    )
  )
