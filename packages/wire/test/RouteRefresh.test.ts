import { describe, expect, test } from "bun:test"
import fc from "fast-check"
import * as Context from "../src/Context.js"
import { Writer } from "../src/internal/Writer.js"
import type { RouteRefresh as RouteRefreshMessage } from "../src/Message.js"
import * as RouteRefresh from "../src/RouteRefresh.js"
import * as WireError from "../src/WireError.js"
import * as Arb from "./arbitraries/Messages.js"

const ctx = Context.defaults
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, "").match(/../g) ?? [], (b) => parseInt(b, 16))

const encodeBody = (m: RouteRefreshMessage): Uint8Array => {
  const w = new Writer(8)
  RouteRefresh.encodeBody(w, m, ctx)
  return w.finish()
}

describe("ROUTE-REFRESH codec", () => {
  test("decode(encode(m)) equals m and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(Arb.routeRefreshMessage, (m) => {
        const bytes = encodeBody(m)
        expect(bytes.length).toBe(4)
        const back = RouteRefresh.decodeBody(bytes, 0, 4, ctx)
        expect(back).toEqual(m)
        expect(encodeBody(back as RouteRefreshMessage)).toEqual(bytes)
      }),
      { numRuns: 300 }
    )
  })

  test("the body is AFI, subtype, SAFI (RFC 7313 §3.2)", () => {
    expect(RouteRefresh.decodeBody(hex("0002 01 01"), 0, 4, ctx)).toEqual(
      RouteRefresh.make(2, 1, RouteRefresh.Subtype.BeginningOfRouteRefresh)
    )
    expect(encodeBody(RouteRefresh.make(1, 1))).toEqual(hex("0001 00 01"))
    expect(encodeBody(RouteRefresh.make(1, 1, RouteRefresh.Subtype.EndOfRouteRefresh))).toEqual(hex("0001 02 01"))
  })

  test("unknown subtypes are kept (the receiver ignores them, RFC 7313 §5)", () => {
    expect(RouteRefresh.decodeBody(hex("0001 07 01"), 0, 4, ctx)).toEqual(RouteRefresh.make(1, 1, 7))
  })

  for (const body of ["0001 00", "0001 01 01 00", ""]) {
    test(`a ${hex(body).length}-byte body is 7/1 Invalid Message Length with the complete message as data`, () => {
      const b = hex(body)
      const r = RouteRefresh.decodeBody(b, 0, b.length, ctx)
      expect(WireError.isWireError(r)).toBe(true)
      const e = r as WireError.WireError
      expect([e.code, e.subcode]).toEqual([7, 1])
      const whole = new Uint8Array(19 + b.length)
      whole.fill(0xff, 0, 16)
      whole[17] = 19 + b.length
      whole[18] = 5
      whole.set(b, 19)
      expect(e.data).toEqual(whole)
    })
  }
})
