import { describe, expect, test } from "bun:test"
import { Duration, Effect, Either, Stream } from "effect"
import * as ClusterSnapshot from "../src/ClusterSnapshot.js"
import { makePublisher, settle } from "../src/ClusterSource.js"
import * as Kinds from "../src/Kinds.js"
import { advance, collect, runTest, settleFibers } from "./helpers.js"

const withNodes = (synced: boolean, ...names: Array<string>) =>
  ClusterSnapshot.fromObjects(
    { Node: names.map((name) => Either.getOrThrow(Kinds.decodeObject("Node", { metadata: { name } }))) },
    synced
  )

const nodeNames = (s: ClusterSnapshot.ClusterSnapshot) => [...s.nodes.keys()].join(",")

describe("makePublisher", () => {
  test("starts with the empty unsynced snapshot and publishes the first synced snapshot at once", () =>
    runTest(
      Effect.gen(function* () {
        const p = yield* makePublisher({ debounce: "250 millis" })
        const seen = yield* collect(p.snapshots)
        expect((yield* seen.items).map((s) => s.synced)).toEqual([false])
        yield* p.publish(withNodes(true, "a"))
        yield* settleFibers
        expect((yield* seen.items).map(nodeNames)).toEqual(["", "a"])
      })
    ))

  test("a burst of changes within the debounce is published once, with the last state", () =>
    runTest(
      Effect.gen(function* () {
        const p = yield* makePublisher({ debounce: "250 millis", maxDelay: "5 seconds" })
        yield* p.publish(withNodes(true, "a"))
        const seen = yield* collect(p.snapshots)
        for (const [i, names] of [["a", "b"], ["a", "b", "c"], ["a", "c"]].entries()) {
          yield* p.publish(withNodes(true, ...names))
          yield* advance(Duration.millis(100 + i))
        }
        expect((yield* seen.items).map(nodeNames)).toEqual(["a"])
        yield* advance("250 millis")
        expect((yield* seen.items).map(nodeNames)).toEqual(["a", "a,c"])
        yield* advance("10 seconds")
        expect((yield* seen.items)).toHaveLength(2)
      })
    ))

  test("a change back to the published state emits nothing", () =>
    runTest(
      Effect.gen(function* () {
        const p = yield* makePublisher({ debounce: "250 millis" })
        yield* p.publish(withNodes(true, "a"))
        const seen = yield* collect(p.snapshots)
        yield* p.publish(withNodes(true, "a", "b"))
        yield* advance("100 millis")
        yield* p.publish(withNodes(true, "a"))
        yield* advance("1 second")
        yield* p.publish(withNodes(true, "a"))
        yield* advance("1 second")
        expect((yield* seen.items).map(nodeNames)).toEqual(["a"])
        expect(nodeNames(yield* p.current)).toBe("a")
      })
    ))

  test("constant churn is published after maxDelay anyway", () =>
    runTest(
      Effect.gen(function* () {
        const p = yield* makePublisher({ debounce: "250 millis", maxDelay: "1 second" })
        yield* p.publish(withNodes(true, "start"))
        const seen = yield* collect(p.snapshots)
        for (let i = 0; i < 12; i++) {
          yield* p.publish(withNodes(true, `n${i}`))
          yield* advance("100 millis")
        }
        // 1.2 s of changes every 100 ms: never quiet for 250 ms, published once at the 1 s bound.
        const names = (yield* seen.items).map(nodeNames)
        expect(names).toEqual(["start", "n9"])
      })
    ))

  test("settle feeds a raw stream through the same debounce", () =>
    runTest(
      Effect.gen(function* () {
        const raw = Stream.make(withNodes(false, "a"), withNodes(false, "a", "b"), withNodes(true, "a", "b"))
        const s = yield* settle(raw, { debounce: "50 millis" })
        yield* settleFibers
        expect(nodeNames(yield* s.current)).toBe("a,b")
        expect((yield* s.current).synced).toBe(true)
      })
    ))
})
