/**
 * A fake Kubernetes API server for tests (Bun.serve on 127.0.0.1, random port), implementing the subset kbgp
 * uses with the real semantics:
 *
 * - one global resourceVersion counter; every write bumps it; a write that changes nothing is a no-op;
 * - list with `limit`/`continue` served from a consistent snapshot, whose token expires (410) on compaction;
 * - watch streams of JSON lines (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), from a resourceVersion out of a bounded
 *   event history, or from "now" with synthetic ADDED events; an expired resourceVersion gets an ERROR event
 *   with code 410 (what the watch cache sends), or an HTTP 410 when `goneAs: "status"`;
 * - create (POST), replace (PUT) with optimistic concurrency (409 on a stale resourceVersion), the `status`
 *   subresource (a main PUT keeps the stored status, a status PUT changes only the status), delete;
 * - bearer-token check (401), optional TLS, optionally requiring a client certificate.
 *
 * Test controls: cut streams mid-event, compact the history, stall streams, an outage (503 or refused
 * connections), raw malformed lines, a kind that 404s (CRD not installed), a hook before each write.
 */
import type { Server } from "bun"

export interface KindDef {
  readonly group: string
  readonly version: string
  readonly plural: string
  readonly kind: string
  readonly namespaced: boolean
  /** Whether `/status` is a subresource (then a main PUT cannot change status). */
  readonly statusSubresource: boolean
}

export const kinds = {
  service: { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true, statusSubresource: true },
  node: { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false, statusSubresource: true },
  secret: { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true, statusSubresource: false },
  endpointSlice: {
    group: "discovery.k8s.io",
    version: "v1",
    plural: "endpointslices",
    kind: "EndpointSlice",
    namespaced: true,
    statusSubresource: false
  },
  lease: {
    group: "coordination.k8s.io",
    version: "v1",
    plural: "leases",
    kind: "Lease",
    namespaced: true,
    statusSubresource: false
  }
} as const satisfies Record<string, KindDef>

export interface TlsOptions {
  readonly cert: string
  readonly key: string
  /** CA that client certificates must chain to; with `requireClientCert` the handshake demands one. */
  readonly ca?: string
  readonly requireClientCert?: boolean
}

export interface Options {
  /** Accepted bearer tokens; `undefined` accepts any request (e.g. client-certificate mode). */
  readonly tokens?: ReadonlyArray<string>
  readonly tls?: TlsOptions
  /** Events kept for watch resumption; older resourceVersions are answered with 410. */
  readonly historyLimit?: number
  /** Send a BOOKMARK to each watcher that asked for them this often (0: only on `sendBookmarks()`). */
  readonly bookmarkIntervalMs?: number
  readonly kinds?: ReadonlyArray<KindDef>
  /** How a watch from an expired resourceVersion is answered. */
  readonly goneAs?: "event" | "status"
}

export type K8sObject = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } }

interface Event {
  readonly rv: number
  readonly kind: string
  readonly type: "ADDED" | "MODIFIED" | "DELETED"
  readonly object: K8sObject
}

interface Watcher {
  readonly kind: string
  readonly namespace: string | undefined
  readonly controller: ReadableStreamDefaultController<Uint8Array>
  readonly bookmarks: boolean
  cutNext: boolean
  stalled: boolean
  closed: boolean
  timer: ReturnType<typeof setTimeout> | undefined
}

interface Snapshot {
  readonly rv: number
  readonly items: Array<K8sObject>
}

export interface LoggedRequest {
  readonly method: string
  readonly path: string
  readonly query: Record<string, string>
  /** The bearer token presented, if any. */
  readonly token: string | undefined
}

const encoder = new TextEncoder()

export const kindKey = (k: Pick<KindDef, "group" | "version" | "plural">): string => `${k.group}/${k.version}/${k.plural}`

const objectKey = (namespace: string | undefined, name: string) => namespace === undefined ? name : `${namespace}/${name}`

/** Key-order independent JSON, for "did anything change" checks. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
      : v)

const status = (code: number, reason: string, message: string) =>
  Response.json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }, { status: code })

const withoutMeta = (o: K8sObject): unknown => {
  const { metadata, ...rest } = o
  const { resourceVersion: _rv, generation: _g, ...meta } = metadata
  return { ...rest, metadata: meta }
}

export class FakeApiServer {
  private server: Server<undefined>
  private readonly tls: Bun.TLSOptions | undefined
  private boundPort = 0
  private rv = 1000
  private compactedRv = 0
  private history: Array<Event> = []
  private readonly defs = new Map<string, KindDef>()
  private readonly stores = new Map<string, Map<string, K8sObject>>()
  private readonly watchers = new Set<Watcher>()
  private readonly snapshots = new Map<number, Snapshot>()
  private nextSnapshot = 1
  private tokens: ReadonlySet<string> | undefined
  private outageMode: "503" | "refuse" | undefined
  private bookmarkTimer: ReturnType<typeof setInterval> | undefined
  private beforeWriteHook: ((req: LoggedRequest) => void) | undefined
  private beforeRequestHook: ((req: LoggedRequest) => void) | undefined
  private readonly historyLimit: number
  private readonly goneAs: "event" | "status"
  /** Every request received, in order (cleared by `clearRequests`). */
  readonly requests: Array<LoggedRequest> = []

  private constructor(options: Options) {
    this.tokens = options.tokens === undefined ? undefined : new Set(options.tokens)
    this.historyLimit = options.historyLimit ?? 1000
    this.goneAs = options.goneAs ?? "event"
    for (const k of options.kinds ?? Object.values(kinds)) this.addKind(k)
    const tls = options.tls === undefined ? undefined : {
      cert: options.tls.cert,
      key: options.tls.key,
      ...(options.tls.ca === undefined ? {} : { ca: options.tls.ca }),
      ...(options.tls.requireClientCert === true ? { requestCert: true, rejectUnauthorized: true } : {})
    }
    this.tls = tls
    this.server = this.serve(0)
    this.boundPort = this.server.port ?? 0
    const every = options.bookmarkIntervalMs ?? 0
    if (every > 0) this.bookmarkTimer = setInterval(() => this.sendBookmarks(), every)
  }

  private serve(port: number): Server<undefined> {
    return Bun.serve({
      hostname: "127.0.0.1",
      port,
      // Watches are long-lived and may be silent on purpose: never close idle connections.
      idleTimeout: 0,
      ...(this.tls === undefined ? {} : { tls: this.tls }),
      fetch: (req) => this.handle(req)
    })
  }

  static start(options: Options = {}): FakeApiServer {
    return new FakeApiServer(options)
  }

  get port(): number {
    return this.boundPort
  }

  get url(): string {
    return `${this.tls === undefined ? "http" : "https"}://127.0.0.1:${this.port}`
  }

  get resourceVersion(): string {
    return String(this.rv)
  }

  stop(): void {
    if (this.bookmarkTimer !== undefined) clearInterval(this.bookmarkTimer)
    this.closeWatchers(() => true)
    void this.server.stop(true)
  }

  // -------------------------------------------------------------------------------------------------------
  // Object store, as a test sees it

  addKind(def: KindDef): void {
    const key = kindKey(def)
    this.defs.set(key, def)
    if (!this.stores.has(key)) this.stores.set(key, new Map())
  }

  /** The kind disappears (CRD uninstalled): its objects are gone, requests 404, open watches end. */
  removeKind(def: Pick<KindDef, "group" | "version" | "plural">): void {
    const key = kindKey(def)
    this.defs.delete(key)
    this.stores.delete(key)
    this.closeWatchers((w) => w.kind === key)
  }

  /** Current objects of a kind, sorted by namespace/name. */
  objects(def: Pick<KindDef, "group" | "version" | "plural">): Array<K8sObject> {
    const store = this.stores.get(kindKey(def))
    if (store === undefined) return []
    return [...store.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, o]) => structuredClone(o))
  }

  get(def: Pick<KindDef, "group" | "version" | "plural">, namespace: string | undefined, name: string): K8sObject | undefined {
    const o = this.stores.get(kindKey(def))?.get(objectKey(namespace, name))
    return o === undefined ? undefined : structuredClone(o)
  }

  /**
   * Creates or replaces an object exactly as given (status included), as another client would. Any JSON with
   * `metadata.name` is accepted, so tests can store objects that kbgp's schemas reject.
   */
  apply(
    def: KindDef,
    object: { metadata: { name: string; namespace?: string } & Record<string, unknown> } & Record<string, unknown>
  ): K8sObject {
    const key = kindKey(def)
    const store = this.stores.get(key)
    if (store === undefined) throw new Error(`kind ${key} is not served`)
    const namespace = def.namespaced ? object.metadata.namespace ?? "default" : undefined
    const oKey = objectKey(namespace, object.metadata.name)
    const old = store.get(oKey)
    const next = this.stamp(def, structuredClone(object) as K8sObject, old, namespace)
    if (old !== undefined && canonical(withoutMeta(old)) === canonical(withoutMeta(next))) return structuredClone(old)
    return this.commit(key, store, oKey, next, old === undefined ? "ADDED" : "MODIFIED")
  }

  remove(def: KindDef, namespace: string | undefined, name: string): boolean {
    const key = kindKey(def)
    const store = this.stores.get(key)
    const oKey = objectKey(def.namespaced ? namespace ?? "default" : undefined, name)
    const old = store?.get(oKey)
    if (store === undefined || old === undefined) return false
    this.rv += 1
    store.delete(oKey)
    const gone = structuredClone(old)
    gone.metadata.resourceVersion = String(this.rv)
    this.record({ rv: this.rv, kind: key, type: "DELETED", object: gone })
    return true
  }

  // -------------------------------------------------------------------------------------------------------
  // Test controls

  setTokens(tokens: ReadonlyArray<string> | undefined): void {
    this.tokens = tokens === undefined ? undefined : new Set(tokens)
  }

  /** Forgets all history: any resourceVersion older than now is expired (410) for watches and continue tokens. */
  compact(): void {
    this.compactedRv = this.rv
    this.history = []
    for (const [id, snap] of this.snapshots) if (snap.rv < this.compactedRv) this.snapshots.delete(id)
  }

  /**
   * Breaks open watch streams in the middle of a JSON line. `"now"`: half of a bookmark line, then the end.
   * `"next-event"`: the next real event each watcher would get is cut in half, then the stream ends (so
   * that event is lost with the connection and must come back on resume).
   */
  dropWatches(mode: "now" | "next-event" = "now", which: (kind: string) => boolean = () => true): void {
    for (const w of this.watchers) {
      if (!which(w.kind)) continue
      if (mode === "next-event") {
        w.cutNext = true
        continue
      }
      const line = JSON.stringify({ type: "BOOKMARK", object: { metadata: { resourceVersion: String(this.rv) } } })
      this.cut(w, line)
    }
  }

  /** Open watch streams stop sending anything but stay open (new watches are served normally). */
  stallWatches(): void {
    for (const w of this.watchers) w.stalled = true
  }

  /** `"503"`: every request fails with 503 and watches end; `"refuse"`: the port stops accepting connections. */
  startOutage(mode: "503" | "refuse"): void {
    this.outageMode = mode
    this.closeWatchers(() => true)
    if (mode === "refuse") void this.server.stop(true)
  }

  endOutage(): void {
    if (this.outageMode === "refuse") this.server = this.serve(this.port)
    this.outageMode = undefined
  }

  /** Sends a raw line (e.g. malformed JSON) to every open watch of a kind. */
  sendRaw(def: Pick<KindDef, "group" | "version" | "plural">, line: string): void {
    const key = kindKey(def)
    for (const w of this.watchers) if (w.kind === key) this.write(w, line)
  }

  sendBookmarks(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue
      const def = this.defs.get(w.kind)
      this.write(
        w,
        JSON.stringify({
          type: "BOOKMARK",
          object: {
            kind: def?.kind,
            apiVersion: def === undefined ? undefined : apiVersion(def),
            metadata: { resourceVersion: String(this.rv) }
          }
        })
      )
    }
  }

  /** Runs before every write request is processed (e.g. to make a concurrent change and provoke a 409). */
  beforeWrite(hook: ((req: LoggedRequest) => void) | undefined): void {
    this.beforeWriteHook = hook
  }

  /** Runs before every request is processed, after it is logged (e.g. to compact between list pages). */
  beforeRequest(hook: ((req: LoggedRequest) => void) | undefined): void {
    this.beforeRequestHook = hook
  }

  openWatches(def?: Pick<KindDef, "group" | "version" | "plural">): number {
    let n = 0
    for (const w of this.watchers) if (def === undefined || w.kind === kindKey(def)) n++
    return n
  }

  clearRequests(): void {
    this.requests.length = 0
  }

  // -------------------------------------------------------------------------------------------------------
  // Internals

  private stamp(def: KindDef, next: K8sObject, old: K8sObject | undefined, namespace: string | undefined): K8sObject {
    next.apiVersion = apiVersion(def)
    next.kind = def.kind
    const meta = next.metadata
    if (namespace !== undefined) meta.namespace = namespace
    else delete meta.namespace
    meta.uid = old?.metadata.uid ?? crypto.randomUUID()
    meta.creationTimestamp = old?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z")
    const specChanged = old === undefined || canonical(old.spec) !== canonical(next.spec)
    const generation = typeof old?.metadata.generation === "number" ? old.metadata.generation : 0
    meta.generation = specChanged ? generation + 1 : generation
    return next
  }

  private commit(
    key: string,
    store: Map<string, K8sObject>,
    oKey: string,
    next: K8sObject,
    type: "ADDED" | "MODIFIED"
  ): K8sObject {
    this.rv += 1
    next.metadata.resourceVersion = String(this.rv)
    store.set(oKey, next)
    this.record({ rv: this.rv, kind: key, type, object: structuredClone(next) })
    return structuredClone(next)
  }

  private record(event: Event): void {
    this.history.push(event)
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()
      if (dropped !== undefined) this.compactedRv = dropped.rv
    }
    const line = JSON.stringify({ type: event.type, object: event.object })
    for (const w of this.watchers) {
      if (w.kind !== event.kind) continue
      if (w.namespace !== undefined && event.object.metadata.namespace !== w.namespace) continue
      if (w.cutNext) this.cut(w, line)
      else this.write(w, line)
    }
  }

  private write(w: Watcher, line: string): void {
    if (w.closed || w.stalled) return
    try {
      w.controller.enqueue(encoder.encode(`${line}\n`))
    } catch {
      this.close(w)
    }
  }

  private cut(w: Watcher, line: string): void {
    if (w.closed) return
    try {
      w.controller.enqueue(encoder.encode(line.slice(0, Math.max(1, Math.floor(line.length / 2)))))
    } catch {
      // already gone
    }
    this.close(w)
  }

  private close(w: Watcher): void {
    if (w.closed) return
    w.closed = true
    if (w.timer !== undefined) clearTimeout(w.timer)
    this.watchers.delete(w)
    try {
      w.controller.close()
    } catch {
      // the client went away first
    }
  }

  private closeWatchers(which: (w: Watcher) => boolean): void {
    for (const w of [...this.watchers]) if (which(w)) this.close(w)
  }

  private handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url)
    const query = Object.fromEntries(url.searchParams.entries())
    const auth = req.headers.get("authorization") ?? ""
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : undefined
    const logged: LoggedRequest = { method: req.method, path: url.pathname, query, token }
    this.requests.push(logged)
    this.beforeRequestHook?.(logged)
    if (this.outageMode !== undefined) return status(503, "ServiceUnavailable", "the API server is unavailable")
    if (this.tokens !== undefined && (token === undefined || !this.tokens.has(token))) {
      return status(401, "Unauthorized", "Unauthorized")
    }
    const route = this.route(url.pathname)
    if (route === undefined) return status(404, "NotFound", "the server could not find the requested resource")
    const { def, namespace, name, subresource } = route
    if (req.method !== "GET") this.beforeWriteHook?.(logged)
    if (name === undefined) {
      if (req.method === "GET") {
        return query.watch === "true" || query.watch === "1"
          ? this.watch(def, namespace, query)
          : this.list(def, namespace, query)
      }
      if (req.method === "POST") return this.withBody(req, (body) => this.create(def, namespace, body))
      return status(405, "MethodNotAllowed", `${req.method} is not supported on a collection`)
    }
    if (subresource !== undefined && (subresource !== "status" || !def.statusSubresource)) {
      return status(404, "NotFound", `no subresource ${subresource}`)
    }
    const store = this.stores.get(kindKey(def)) ?? new Map<string, K8sObject>()
    const oKey = objectKey(namespace, name)
    const what = `${def.plural}${def.group === "" ? "" : `.${def.group}`} "${name}"`
    switch (req.method) {
      case "GET": {
        const o = store.get(oKey)
        return o === undefined ? status(404, "NotFound", `${what} not found`) : Response.json(o)
      }
      case "PUT":
        return this.withBody(req, (body) => this.update(def, namespace, name, body, subresource === "status"))
      case "DELETE": {
        const o = store.get(oKey)
        if (o === undefined) return status(404, "NotFound", `${what} not found`)
        this.remove(def, namespace, name)
        return Response.json(o)
      }
      default:
        return status(405, "MethodNotAllowed", `${req.method} is not supported`)
    }
  }

  private withBody(req: Request, f: (body: K8sObject) => Response): Promise<Response> {
    return req.json().then(
      (body: unknown) => {
        if (typeof body !== "object" || body === null || typeof (body as { metadata?: unknown }).metadata !== "object") {
          return status(400, "BadRequest", "the body must be an object with metadata")
        }
        return f(body as K8sObject)
      },
      () => status(400, "BadRequest", "the body is not JSON")
    )
  }

  private route(
    path: string
  ): { def: KindDef; namespace: string | undefined; name: string | undefined; subresource: string | undefined } | undefined {
    const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent)
    let group: string
    let rest: Array<string>
    if (parts[0] === "api" && parts.length >= 3) {
      group = ""
      rest = parts.slice(1)
    } else if (parts[0] === "apis" && parts.length >= 4) {
      group = parts[1] ?? ""
      rest = parts.slice(2)
    } else {
      return undefined
    }
    const version = rest[0] ?? ""
    let namespace: string | undefined
    let tail = rest.slice(1)
    if (tail[0] === "namespaces" && tail.length >= 3) {
      namespace = tail[1]
      tail = tail.slice(2)
    }
    const def = this.defs.get(kindKey({ group, version, plural: tail[0] ?? "" }))
    if (def === undefined) return undefined
    if (!def.namespaced && namespace !== undefined) return undefined
    return { def, namespace, name: tail[1], subresource: tail[2] }
  }

  private list(def: KindDef, namespace: string | undefined, query: Record<string, string>): Response {
    const limit = query.limit === undefined ? 0 : Number(query.limit)
    let snapshot: Snapshot
    let id: number
    let offset = 0
    if (query.continue !== undefined && query.continue !== "") {
      let token: { id: number; offset: number }
      try {
        token = JSON.parse(atob(query.continue)) as { id: number; offset: number }
      } catch {
        return status(400, "BadRequest", "invalid continue token")
      }
      const found = this.snapshots.get(token.id)
      if (found === undefined || found.rv < this.compactedRv) {
        return status(
          410,
          "Expired",
          "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter."
        )
      }
      snapshot = found
      id = token.id
      offset = token.offset
    } else {
      const items = this.objects(def).filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      snapshot = { rv: this.rv, items }
      id = this.nextSnapshot++
    }
    const end = limit > 0 ? offset + limit : snapshot.items.length
    const items = snapshot.items.slice(offset, end)
    const more = end < snapshot.items.length
    if (more) this.snapshots.set(id, snapshot)
    else this.snapshots.delete(id)
    return Response.json({
      kind: `${def.kind}List`,
      apiVersion: apiVersion(def),
      metadata: {
        resourceVersion: String(snapshot.rv),
        ...(more ? { continue: btoa(JSON.stringify({ id, offset: end })), remainingItemCount: snapshot.items.length - end } : {})
      },
      items
    })
  }

  private watch(def: KindDef, namespace: string | undefined, query: Record<string, string>): Response {
    const key = kindKey(def)
    const from = query.resourceVersion
    const inNs = (o: K8sObject) => namespace === undefined || o.metadata.namespace === namespace
    let replay: Array<string>
    if (from === undefined || from === "" || from === "0") {
      replay = this.objects(def).filter(inNs).map((o) => JSON.stringify({ type: "ADDED", object: o }))
    } else {
      const rv = Number(from)
      if (!Number.isFinite(rv) || rv < this.compactedRv) {
        const message = `too old resource version: ${from} (${this.compactedRv})`
        if (this.goneAs === "status") return status(410, "Expired", message)
        const line = JSON.stringify({
          type: "ERROR",
          object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Expired", code: 410 }
        })
        return new Response(`${line}\n`, { headers: { "content-type": "application/json" } })
      }
      replay = this.history.filter((e) => e.kind === key && e.rv > rv && inNs(e.object)).map((e) =>
        JSON.stringify({ type: e.type, object: e.object })
      )
    }
    const timeoutSeconds = query.timeoutSeconds === undefined ? 0 : Number(query.timeoutSeconds)
    const bookmarks = query.allowWatchBookmarks === "true"
    let watcher: Watcher | undefined
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const w: Watcher = {
          kind: key,
          namespace,
          controller,
          bookmarks,
          cutNext: false,
          stalled: false,
          closed: false,
          timer: undefined
        }
        watcher = w
        this.watchers.add(w)
        // The API server flushes the 200 headers at once; Bun.serve sends them only with the first body bytes.
        // A blank line (whitespace between JSON values, which stream decoders skip) gets them out.
        controller.enqueue(encoder.encode("\n"))
        for (const line of replay) this.write(w, line)
        if (timeoutSeconds > 0) w.timer = setTimeout(() => this.close(w), timeoutSeconds * 1000)
      },
      cancel: () => {
        // The client went away: forget the watcher without touching its controller.
        if (watcher === undefined) return
        watcher.closed = true
        if (watcher.timer !== undefined) clearTimeout(watcher.timer)
        this.watchers.delete(watcher)
      }
    })
    return new Response(stream, { headers: { "content-type": "application/json", "transfer-encoding": "chunked" } })
  }

  private create(def: KindDef, namespace: string | undefined, body: K8sObject): Response {
    const key = kindKey(def)
    const store = this.stores.get(key)
    if (store === undefined) return status(404, "NotFound", "the server could not find the requested resource")
    if (typeof body.metadata.name !== "string" || body.metadata.name === "") {
      return status(422, "Invalid", "metadata.name: Required value")
    }
    const ns = def.namespaced ? namespace ?? (body.metadata.namespace as string | undefined) ?? "default" : undefined
    const oKey = objectKey(ns, body.metadata.name)
    if (store.has(oKey)) {
      return status(409, "AlreadyExists", `${def.plural} "${body.metadata.name}" already exists`)
    }
    const next = this.stamp(def, structuredClone(body), undefined, ns)
    if (def.statusSubresource) delete next.status
    return Response.json(this.commit(key, store, oKey, next, "ADDED"), { status: 201 })
  }

  private update(
    def: KindDef,
    namespace: string | undefined,
    name: string,
    body: K8sObject,
    statusOnly: boolean
  ): Response {
    const key = kindKey(def)
    const store = this.stores.get(key)
    const oKey = objectKey(namespace, name)
    const old = store?.get(oKey)
    if (store === undefined || old === undefined) return status(404, "NotFound", `${def.plural} "${name}" not found`)
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      return status(400, "BadRequest", "the name of the object does not match the name in the URL")
    }
    const given = body.metadata.resourceVersion
    if (given !== undefined && given !== "" && given !== old.metadata.resourceVersion) {
      return status(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${def.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`
      )
    }
    let next: K8sObject
    if (statusOnly) {
      next = structuredClone(old)
      if (body.status === undefined) delete next.status
      else next.status = structuredClone(body.status)
    } else {
      next = this.stamp(def, { ...structuredClone(body), metadata: { ...structuredClone(body.metadata), name } }, old, namespace)
      if (def.statusSubresource) {
        if (old.status === undefined) delete next.status
        else next.status = structuredClone(old.status)
      }
    }
    if (canonical(withoutMeta(old)) === canonical(withoutMeta(next))) return Response.json(old)
    return Response.json(this.commit(key, store, oKey, next, "MODIFIED"))
  }
}

const apiVersion = (def: Pick<KindDef, "group" | "version">) => def.group === "" ? def.version : `${def.group}/${def.version}`
