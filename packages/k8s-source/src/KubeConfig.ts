/**
 * Where the Kubernetes API is and how to talk to it: in-cluster service account, a kubeconfig file, or none.
 *
 * Lookup order in `auto` mode (the one controller-runtime uses): an explicit `--kubeconfig` path, then
 * `$KUBECONFIG`, then the in-cluster service account (when `KUBERNETES_SERVICE_HOST` is set), then
 * `~/.kube/config`; nothing found means "no cluster" (`Option.none`).
 *
 * `$KUBECONFIG` may list several files separated by `:`; they are merged the way kubectl does for the parts used
 * here: the first file that names a cluster, user or context wins, and the first non-empty `current-context` wins.
 * Relative paths inside a kubeconfig are relative to that file's directory.
 *
 * `insecure-skip-tls-verify: true` is honoured only with the explicit `allowInsecure` opt-in; otherwise it is a
 * Config error, so a copied kubeconfig never silently turns verification off.
 */
import { FileSystem } from "@effect/platform"
import { Config, Effect, Encoding, Either, Option, ParseResult, Schema } from "effect"
import * as NodePath from "node:path"
import * as Yaml from "yaml"
import { KubeError } from "./KubeError.js"

/** The bearer token: fixed, or a file that is re-read because the kubelet rotates it. */
export type TokenSource =
  | { readonly _tag: "Static"; readonly token: string }
  | { readonly _tag: "File"; readonly path: string }

export interface TlsConfig {
  /** PEM bundle of trusted CAs; `undefined` means the system store. */
  readonly ca: string | undefined
  /** PEM client certificate and key, for certificate authentication. */
  readonly cert: string | undefined
  readonly key: string | undefined
  readonly insecureSkipTlsVerify: boolean
  readonly serverName: string | undefined
}

export interface KubeConfig {
  /** Base URL without a trailing slash, e.g. `https://10.0.0.1:443`. May carry a path prefix. */
  readonly server: string
  /** Where this came from, for logs: `in-cluster` or `kubeconfig /path (context ctx)`. */
  readonly origin: string
  /** Default namespace (the context's, or the service account's). */
  readonly namespace: string
  readonly token: TokenSource | undefined
  readonly tls: TlsConfig
}

export type Mode = "auto" | "in-cluster" | "kubeconfig" | "none"

export interface Options {
  readonly mode: Mode
  /** `--kubeconfig`: an explicit kubeconfig path (takes precedence over `$KUBECONFIG`). */
  readonly kubeconfig: string | undefined
  /** `--context`: overrides the kubeconfig's current-context. */
  readonly context: string | undefined
  /** Explicit opt-in to honour `insecure-skip-tls-verify`. */
  readonly allowInsecure: boolean
  /** Directory of the projected service-account token, CA and namespace. */
  readonly serviceAccountDir: string
}

export const defaults: Options = {
  mode: "auto",
  kubeconfig: undefined,
  context: undefined,
  allowInsecure: false,
  serviceAccountDir: "/var/run/secrets/kubernetes.io/serviceaccount"
}

/** The environment this module reads, through Effect `Config` so tests can provide it. */
const Env = Config.all({
  kubeconfig: Config.option(Config.string("KUBECONFIG")),
  home: Config.option(Config.string("HOME")),
  serviceHost: Config.option(Config.string("KUBERNETES_SERVICE_HOST")),
  servicePort: Config.option(Config.string("KUBERNETES_SERVICE_PORT"))
})

const configError = (target: string, detail: string, cause?: unknown) =>
  new KubeError({ reason: "Config", target, detail, ...(cause === undefined ? {} : { cause }) })

const readText = (fs: FileSystem.FileSystem, path: string, what: string) =>
  fs.readFileString(path).pipe(
    Effect.mapError((cause) => configError(path, `cannot read ${what}: ${cause.message}`, cause))
  )

// ---------------------------------------------------------------------------------------------------------
// In-cluster

/** The in-cluster configuration: `KUBERNETES_SERVICE_HOST/PORT`, the token file (re-read), the CA bundle. */
export const inCluster = (
  options: Partial<Options> = {}
): Effect.Effect<KubeConfig, KubeError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const dir = options.serviceAccountDir ?? defaults.serviceAccountDir
    const env = yield* Env.pipe(Effect.mapError((e) => configError("environment", String(e))))
    const fs = yield* FileSystem.FileSystem
    if (Option.isNone(env.serviceHost)) {
      return yield* configError("KUBERNETES_SERVICE_HOST", "not set: not running inside a cluster")
    }
    const host = env.serviceHost.value
    const port = Option.getOrElse(env.servicePort, () => "443")
    const tokenPath = NodePath.join(dir, "token")
    const tokenExists = yield* fs.exists(tokenPath).pipe(Effect.orElseSucceed(() => false))
    if (!tokenExists) return yield* configError(tokenPath, "service-account token file is missing")
    const caPath = NodePath.join(dir, "ca.crt")
    const ca = yield* readText(fs, caPath, "the service-account CA bundle")
    const namespace = yield* fs.readFileString(NodePath.join(dir, "namespace")).pipe(
      Effect.map((s) => s.trim()),
      Effect.orElseSucceed(() => "default")
    )
    return {
      server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
      origin: "in-cluster",
      namespace: namespace === "" ? "default" : namespace,
      token: { _tag: "File", path: tokenPath },
      tls: { ca, cert: undefined, key: undefined, insecureSkipTlsVerify: false, serverName: undefined }
    } satisfies KubeConfig
  })

// ---------------------------------------------------------------------------------------------------------
// kubeconfig

const Opt = <S extends Schema.Schema.Any>(s: S) => Schema.optional(Schema.NullOr(s))

const NamedCluster = Schema.Struct({
  name: Schema.String,
  cluster: Schema.Struct({
    server: Schema.String,
    "certificate-authority": Opt(Schema.String),
    "certificate-authority-data": Opt(Schema.String),
    "insecure-skip-tls-verify": Opt(Schema.Boolean),
    "tls-server-name": Opt(Schema.String),
    "proxy-url": Opt(Schema.String)
  })
})

const NamedUser = Schema.Struct({
  name: Schema.String,
  user: Schema.NullOr(Schema.Struct({
    token: Opt(Schema.String),
    tokenFile: Opt(Schema.String),
    "client-certificate": Opt(Schema.String),
    "client-certificate-data": Opt(Schema.String),
    "client-key": Opt(Schema.String),
    "client-key-data": Opt(Schema.String),
    username: Opt(Schema.String),
    exec: Opt(Schema.Unknown),
    "auth-provider": Opt(Schema.Unknown)
  }))
})

const NamedContext = Schema.Struct({
  name: Schema.String,
  context: Schema.Struct({
    cluster: Schema.String,
    user: Opt(Schema.String),
    namespace: Opt(Schema.String)
  })
})

/** The parts of a kubeconfig file kbgp reads (unknown fields are ignored). */
export const KubeconfigFile = Schema.Struct({
  clusters: Opt(Schema.Array(NamedCluster)),
  users: Opt(Schema.Array(NamedUser)),
  contexts: Opt(Schema.Array(NamedContext)),
  "current-context": Opt(Schema.String)
})
export type KubeconfigFile = typeof KubeconfigFile.Type

/** Parses one kubeconfig document; the error names the file and the offending field. */
export const parseKubeconfig = (text: string, path: string): Either.Either<KubeconfigFile, KubeError> => {
  let doc: unknown
  try {
    doc = Yaml.parse(text)
  } catch (cause) {
    return Either.left(configError(path, `not valid YAML: ${cause instanceof Error ? cause.message : String(cause)}`))
  }
  return Schema.decodeUnknownEither(KubeconfigFile)(doc ?? {}).pipe(
    Either.mapLeft((e) => configError(path, `not a valid kubeconfig: ${ParseResult.TreeFormatter.formatErrorSync(e)}`))
  )
}

interface Located<A> {
  readonly value: A
  /** Directory of the file it came from, for relative paths. */
  readonly dir: string
  readonly path: string
}

/** kubectl's merge for the fields used here: the first definition of a name wins. */
const mergeByName = <A extends { readonly name: string }>(
  files: ReadonlyArray<{ readonly path: string; readonly items: ReadonlyArray<A> | null | undefined }>
): Map<string, Located<A>> => {
  const out = new Map<string, Located<A>>()
  for (const f of files) {
    for (const item of f.items ?? []) {
      if (!out.has(item.name)) out.set(item.name, { value: item, dir: NodePath.dirname(f.path), path: f.path })
    }
  }
  return out
}

const decodeData = (data: string, target: string, field: string) =>
  Encoding.decodeBase64String(data.trim()).pipe(
    Either.mapLeft(() => configError(target, `${field} is not valid base64`))
  )

/** Reads inline `*-data` (base64) or a file path (relative to the kubeconfig), whichever is given. */
const material = (
  fs: FileSystem.FileSystem,
  target: string,
  field: string,
  data: string | null | undefined,
  file: string | null | undefined,
  dir: string
): Effect.Effect<string | undefined, KubeError> => {
  if (data != null && data !== "") return decodeData(data, target, `${field}-data`)
  if (file != null && file !== "") return readText(fs, NodePath.resolve(dir, file), field)
  return Effect.succeed(undefined)
}

/**
 * Builds the configuration from already-parsed kubeconfig files (in `$KUBECONFIG` order), selecting
 * `options.context` or the current context.
 */
export const fromKubeconfigFiles = (
  files: ReadonlyArray<{ readonly path: string; readonly file: KubeconfigFile }>,
  options: Partial<Options> = {}
): Effect.Effect<KubeConfig, KubeError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const where = files.map((f) => f.path).join(":")
    const clusters = mergeByName(files.map((f) => ({ path: f.path, items: f.file.clusters })))
    const users = mergeByName(files.map((f) => ({ path: f.path, items: f.file.users })))
    const contexts = mergeByName(files.map((f) => ({ path: f.path, items: f.file.contexts })))
    const contextName = options.context ??
      files.map((f) => f.file["current-context"]).find((c) => c != null && c !== "")
    if (contextName == null) return yield* configError(where, "no current-context is set and none was given")
    const ctx = contexts.get(contextName)
    if (ctx === undefined) return yield* configError(where, `context "${contextName}" is not defined`)
    const clusterName = ctx.value.context.cluster
    const cluster = clusters.get(clusterName)
    if (cluster === undefined) {
      return yield* configError(ctx.path, `context "${contextName}" names cluster "${clusterName}", which is not defined`)
    }
    const c = cluster.value.cluster
    const insecure = c["insecure-skip-tls-verify"] === true
    if (insecure && !(options.allowInsecure ?? defaults.allowInsecure)) {
      return yield* configError(
        cluster.path,
        `cluster "${clusterName}" sets insecure-skip-tls-verify; TLS verification is only skipped with the explicit allowInsecure opt-in`
      )
    }
    if (c["proxy-url"] != null && c["proxy-url"] !== "") {
      return yield* configError(cluster.path, `cluster "${clusterName}": proxy-url is not supported`)
    }
    let url: URL
    try {
      url = new URL(c.server)
    } catch {
      return yield* configError(cluster.path, `cluster "${clusterName}": server "${c.server}" is not a URL`)
    }
    const clusterTarget = `${cluster.path} cluster "${clusterName}"`
    const ca = insecure ? undefined : yield* material(
      fs,
      clusterTarget,
      "certificate-authority",
      c["certificate-authority-data"],
      c["certificate-authority"],
      cluster.dir
    )

    const userName = ctx.value.context.user
    const user = userName == null || userName === "" ? undefined : users.get(userName)
    if (userName != null && userName !== "" && user === undefined) {
      return yield* configError(ctx.path, `context "${contextName}" names user "${userName}", which is not defined`)
    }
    const u = user?.value.user ?? undefined
    const userTarget = `${user?.path ?? where} user "${userName ?? ""}"`
    if (u?.exec != null) return yield* configError(userTarget, "exec credential plugins are not supported")
    if (u?.["auth-provider"] != null) return yield* configError(userTarget, "auth-provider plugins are not supported")
    if (u?.username != null && u.token == null && u.tokenFile == null) {
      return yield* configError(userTarget, "basic authentication is not supported (removed in Kubernetes 1.19)")
    }
    const dir = user?.dir ?? "."
    const cert = u === undefined ? undefined : yield* material(
      fs,
      userTarget,
      "client-certificate",
      u["client-certificate-data"],
      u["client-certificate"],
      dir
    )
    const key = u === undefined ? undefined : yield* material(
      fs,
      userTarget,
      "client-key",
      u["client-key-data"],
      u["client-key"],
      dir
    )
    if ((cert === undefined) !== (key === undefined)) {
      return yield* configError(userTarget, "a client certificate needs both the certificate and the key")
    }
    const token: TokenSource | undefined = u?.token != null && u.token !== ""
      ? { _tag: "Static", token: u.token }
      : u?.tokenFile != null && u.tokenFile !== ""
      ? { _tag: "File", path: NodePath.resolve(dir, u.tokenFile) }
      : undefined
    const namespace = ctx.value.context.namespace
    return {
      server: url.toString().replace(/\/+$/, ""),
      origin: `kubeconfig ${where} (context ${contextName})`,
      namespace: namespace == null || namespace === "" ? "default" : namespace,
      token,
      tls: {
        ca,
        cert,
        key,
        insecureSkipTlsVerify: insecure,
        serverName: c["tls-server-name"] ?? undefined
      }
    } satisfies KubeConfig
  })

/** Reads and merges kubeconfig files (missing files in a `$KUBECONFIG` list are skipped, as kubectl does). */
export const fromKubeconfigPaths = (
  paths: ReadonlyArray<string>,
  options: Partial<Options> = {}
): Effect.Effect<KubeConfig, KubeError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const files: Array<{ path: string; file: KubeconfigFile }> = []
    for (const path of paths) {
      const exists = yield* fs.exists(path).pipe(Effect.orElseSucceed(() => false))
      if (!exists && paths.length > 1) continue
      const text = yield* readText(fs, path, "kubeconfig")
      files.push({ path, file: yield* parseKubeconfig(text, path) })
    }
    if (files.length === 0) return yield* configError(paths.join(":"), "none of these kubeconfig files exists")
    return yield* fromKubeconfigFiles(files, options)
  })

/**
 * Resolves the configuration for the given mode. `none`, or `auto` with nothing found, gives `Option.none()`.
 */
export const resolve = (
  options: Partial<Options> = {}
): Effect.Effect<Option.Option<KubeConfig>, KubeError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const mode = options.mode ?? defaults.mode
    if (mode === "none") return Option.none()
    if (mode === "in-cluster") return Option.some(yield* inCluster(options))
    const env = yield* Env.pipe(Effect.mapError((e) => configError("environment", String(e))))
    const fs = yield* FileSystem.FileSystem
    const envPaths = Option.match(env.kubeconfig, {
      onNone: () => [],
      onSome: (v) => v.split(NodePath.delimiter).filter((p) => p !== "")
    })
    const homePath = Option.map(env.home, (h) => NodePath.join(h, ".kube", "config"))
    const homeExists = Option.isSome(homePath)
      ? yield* fs.exists(homePath.value).pipe(Effect.orElseSucceed(() => false))
      : false
    if (options.kubeconfig !== undefined) {
      return Option.some(yield* fromKubeconfigPaths([options.kubeconfig], options))
    }
    if (envPaths.length > 0) return Option.some(yield* fromKubeconfigPaths(envPaths, options))
    if (mode === "auto" && Option.isSome(env.serviceHost)) return Option.some(yield* inCluster(options))
    if (Option.isSome(homePath) && homeExists) return Option.some(yield* fromKubeconfigPaths([homePath.value], options))
    if (mode === "kubeconfig") {
      return yield* configError("kubeconfig", "no --kubeconfig, no $KUBECONFIG and no ~/.kube/config")
    }
    return Option.none()
  })
