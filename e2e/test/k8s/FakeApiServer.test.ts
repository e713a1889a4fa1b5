/** The fake API server's own semantics, checked over plain HTTP (the tests of kbgp rely on them). */
import { afterEach, describe, expect, test } from "bun:test"
import { FakeApiServer, kinds } from "../../src/fakeApiServer/FakeApiServer.js"

let server: FakeApiServer | undefined
afterEach(() => {
  server?.stop()
  server = undefined
})

const start = () => {
  server = FakeApiServer.start({ tokens: ["t"] })
  return server
}

const auth = { authorization: "Bearer t" }
const get = (s: FakeApiServer, path: string) => fetch(`${s.url}${path}`, { headers: auth })
interface Obj {
  readonly metadata: { readonly name: string; readonly resourceVersion: string; readonly generation: number }
  readonly spec: unknown
  readonly status: { readonly loadBalancer: { readonly ingress?: unknown } }
}
interface ListBody {
  readonly metadata: { readonly resourceVersion: string; readonly continue?: string }
  readonly items: Array<Obj>
}
interface Event {
  readonly type: string
  readonly object: { readonly metadata: { readonly name?: string; readonly resourceVersion?: string }; readonly code?: number }
}
const json = async <T = Obj>(r: Response) => (await r.json()) as T
const put = (s: FakeApiServer, path: string, body: unknown) =>
  fetch(`${s.url}${path}`, { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) })

/** Reads complete lines from a watch response until `n` non-empty lines arrived. */
const readLines = async (r: Response, n: number) => {
  const reader = r.body!.getReader()
  const decoder = new TextDecoder()
  let text = ""
  while (text.split("\n").filter((l) => l.trim() !== "").length < n || !text.endsWith("\n")) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value)
  }
  await reader.cancel()
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Event)
}

const svc = (name: string) => ({ metadata: { name, namespace: "default" }, spec: { ports: [{ port: 80 }] } })

describe("FakeApiServer", () => {
  test("requests without a valid bearer token get 401; unknown kinds get 404", async () => {
    const s = start()
    expect((await fetch(`${s.url}/api/v1/services`)).status).toBe(401)
    expect((await get(s, "/apis/cilium.io/v2/ciliumnodes")).status).toBe(404)
  })

  test("pages come from one consistent snapshot at the first page's resourceVersion", async () => {
    const s = start()
    for (const n of ["a", "b", "c"]) s.apply(kinds.service, svc(n))
    const rv = s.resourceVersion
    const p1 = await json<ListBody>(await get(s, "/api/v1/services?limit=2"))
    s.apply(kinds.service, svc("d"))
    s.remove(kinds.service, "default", "c")
    const p2 = await json<ListBody>(
      await get(s, `/api/v1/services?limit=2&continue=${encodeURIComponent(p1.metadata.continue ?? "")}`)
    )
    expect(p1.metadata.resourceVersion).toBe(rv)
    expect(p2.metadata.resourceVersion).toBe(rv)
    expect([...p1.items, ...p2.items].map((o) => o.metadata.name)).toEqual(["a", "b", "c"])
    expect(p2.metadata.continue).toBeUndefined()
  })

  test("a continue token older than a compaction is 410 Expired", async () => {
    const s = start()
    for (const n of ["a", "b", "c"]) s.apply(kinds.service, svc(n))
    const p1 = await json<ListBody>(await get(s, "/api/v1/services?limit=1"))
    s.apply(kinds.service, svc("d"))
    s.compact()
    const r = await get(s, `/api/v1/services?limit=1&continue=${encodeURIComponent(p1.metadata.continue ?? "")}`)
    expect(r.status).toBe(410)
    expect((await json<{ reason: string }>(r)).reason).toBe("Expired")
  })

  test("PUT with a stale resourceVersion is 409; status and main resource are written separately", async () => {
    const s = start()
    const created = s.apply(kinds.service, { ...svc("a"), status: { loadBalancer: { ingress: [{ ip: "1.1.1.1" }] } } })
    const path = "/api/v1/namespaces/default/services/a"
    // The main resource cannot change status.
    const r1 = await put(s, path, { ...created, spec: { ports: [{ port: 81 }] }, status: { loadBalancer: {} } })
    expect(r1.status).toBe(200)
    const o1 = await json(r1)
    expect(o1.status).toEqual({ loadBalancer: { ingress: [{ ip: "1.1.1.1" }] } })
    expect(Number(o1.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion))
    expect(o1.metadata.generation).toBe(2)
    // The stale version is refused.
    const stale = await put(s, `${path}/status`, { ...created, status: {} })
    expect(stale.status).toBe(409)
    // The status subresource changes only the status.
    const r2 = await put(s, `${path}/status`, { ...o1, spec: { ports: [] }, status: { loadBalancer: { ingress: [{ ip: "2.2.2.2" }] } } })
    const o2 = await json(r2)
    expect(o2.spec).toEqual({ ports: [{ port: 81 }] })
    expect(o2.status.loadBalancer.ingress).toEqual([{ ip: "2.2.2.2" }])
    expect(o2.metadata.generation).toBe(2)
    // Writing the same again changes nothing, not even the resourceVersion.
    const o3 = await json(await put(s, `${path}/status`, o2))
    expect(o3.metadata.resourceVersion).toBe(o2.metadata.resourceVersion)
  })

  test("a watch replays history after its resourceVersion, sends live events, and 410s an expired one", async () => {
    const s = start()
    s.apply(kinds.service, svc("a"))
    const from = s.resourceVersion
    s.apply(kinds.service, svc("b"))
    s.remove(kinds.service, "default", "a")
    const w = await get(s, `/api/v1/services?watch=true&resourceVersion=${from}&allowWatchBookmarks=true`)
    expect(w.status).toBe(200)
    const pending = readLines(w, 4)
    await Bun.sleep(20)
    s.apply(kinds.service, svc("c"))
    s.sendBookmarks()
    const events = await pending
    expect(events.map((e) => `${e.type} ${e.object.metadata.name ?? ""}`.trim())).toEqual([
      "ADDED b",
      "DELETED a",
      "ADDED c",
      "BOOKMARK"
    ])
    expect(events[3]!.object.metadata.resourceVersion).toBe(s.resourceVersion)
    s.compact()
    s.apply(kinds.service, svc("d"))
    const gone = await readLines(await get(s, `/api/v1/services?watch=true&resourceVersion=${from}`), 1)
    expect(gone[0]!.type).toBe("ERROR")
    expect(gone[0]!.object.code).toBe(410)
  })

  test("a watch without a resourceVersion starts with the current objects as ADDED", async () => {
    const s = start()
    s.apply(kinds.service, svc("a"))
    s.apply(kinds.service, svc("b"))
    const events = await readLines(await get(s, "/api/v1/services?watch=1"), 2)
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED a", "ADDED b"])
  })
})
