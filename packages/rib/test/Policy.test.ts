import { describe, expect, test } from "bun:test"
import type { Attributes } from "@kbgp/wire"
import { Peer, Policy } from "../src/index.js"
import { attrs, ip, key, v4, v6 } from "./support/Fixtures.js"

const subject = (prefix: string, a: Attributes.Attributes = attrs(), over: Partial<Policy.Subject> = {}): Policy.Subject => ({
  family: prefix.includes(":") ? v6 : v4,
  ...key(prefix),
  attributes: a,
  peer: 1,
  peerAddress: ip("10.0.0.1"),
  peerAs: 65001,
  ...over
})

const env: Policy.Environment = { localAs: 65000, nextHopSelf: ip("10.0.0.254") }
const matches = (m: Policy.Match, s: Policy.Subject): boolean => Policy.matches(m, s)

describe("policy matching", () => {
  test("a prefix without ge/le matches only itself", () => {
    const m = { prefixes: [Policy.prefix("10.0.0.0/8")] }
    expect(matches(m, subject("10.0.0.0/8"))).toBe(true)
    expect(matches(m, subject("10.1.0.0/16"))).toBe(false)
    expect(matches(m, subject("11.0.0.0/8"))).toBe(false)
  })

  test("ge/le ranges: le alone starts at the prefix length, ge alone runs to the address width", () => {
    const le = { prefixes: [Policy.prefix("10.0.0.0/8", { le: 24 })] }
    expect(matches(le, subject("10.0.0.0/8"))).toBe(true)
    expect(matches(le, subject("10.20.30.0/24"))).toBe(true)
    expect(matches(le, subject("10.20.30.0/25"))).toBe(false)
    const ge = { prefixes: [Policy.prefix("10.0.0.0/8", { ge: 30 })] }
    expect(matches(ge, subject("10.0.0.0/24"))).toBe(false)
    expect(matches(ge, subject("10.0.0.4/30"))).toBe(true)
    expect(matches(ge, subject("10.0.0.4/32"))).toBe(true)
    const both = { prefixes: [Policy.prefix("192.0.2.0/23", { ge: 24, le: 24 })] }
    expect(matches(both, subject("192.0.3.0/24"))).toBe(true)
    expect(matches(both, subject("192.0.4.0/24"))).toBe(false)
  })

  test("prefix ranges work on odd bit boundaries and for IPv6, and never match across families", () => {
    const odd = { prefixes: [Policy.prefix("10.128.0.0/9", { le: 32 })] }
    expect(matches(odd, subject("10.200.0.0/16"))).toBe(true)
    expect(matches(odd, subject("10.100.0.0/16"))).toBe(false)
    const six = { prefixes: [Policy.prefix("2001:db8::/32", { le: 64 })] }
    expect(matches(six, subject("2001:db8:1::/48"))).toBe(true)
    expect(matches(six, subject("10.0.0.0/8"))).toBe(false)
  })

  test("Policy.prefix refuses ranges that cannot match", () => {
    expect(() => Policy.prefix("10.0.0.0/8", { ge: 4 })).toThrow(RangeError)
    expect(() => Policy.prefix("10.0.0.0/8", { le: 33 })).toThrow(RangeError)
    expect(() => Policy.prefix("10.0.0.0/8", { ge: 20, le: 16 })).toThrow(RangeError)
    expect(() => Policy.prefix("10.0.0.1/8")).toThrow(RangeError)
  })

  test("communities and large communities match when any listed one is present", () => {
    const a = attrs({ communities: Uint32Array.of(0xfde80001, 0xfde80002), largeCommunities: Uint32Array.of(65000, 1, 2) })
    expect(matches({ communities: [0xfde80002, 5] }, subject("10.0.0.0/8", a))).toBe(true)
    expect(matches({ communities: [5] }, subject("10.0.0.0/8", a))).toBe(false)
    expect(matches({ largeCommunities: [[65000, 1, 2]] }, subject("10.0.0.0/8", a))).toBe(true)
    expect(matches({ largeCommunities: [[65000, 1, 3]] }, subject("10.0.0.0/8", a))).toBe(false)
    expect(matches({ communities: [1] }, subject("10.0.0.0/8", attrs()))).toBe(false)
  })

  test("AS path: contains, first AS, origin AS and length bounds", () => {
    const s = subject("10.0.0.0/8", attrs({}, [65001, 64600, 64700]))
    expect(matches({ asPath: { contains: 64600 } }, s)).toBe(true)
    expect(matches({ asPath: { contains: 1 } }, s)).toBe(false)
    expect(matches({ asPath: { firstAs: 65001 } }, s)).toBe(true)
    expect(matches({ asPath: { originAs: 64700 } }, s)).toBe(true)
    expect(matches({ asPath: { originAs: 65001 } }, s)).toBe(false)
    expect(matches({ asPath: { minLength: 3, maxLength: 3 } }, s)).toBe(true)
    expect(matches({ asPath: { maxLength: 2 } }, s)).toBe(false)
    // An AS_SET at the end has no single origin AS.
    const set = subject("10.0.0.0/8", attrs({ asPath: [{ type: 2, asns: [65001] }, { type: 1, asns: [1, 2] }] }))
    expect(matches({ asPath: { originAs: 1 } }, set)).toBe(false)
  })

  test("peer address and AS, family and locality", () => {
    const s = subject("10.0.0.0/8")
    expect(matches({ peerAddresses: [ip("10.0.0.1")] }, s)).toBe(true)
    expect(matches({ peerAddresses: [ip("10.0.0.2")] }, s)).toBe(false)
    expect(matches({ peerAsns: [65001, 65002] }, s)).toBe(true)
    expect(matches({ families: [v6] }, s)).toBe(false)
    expect(matches({ local: false }, s)).toBe(true)
    expect(matches({ local: true }, subject("10.0.0.0/8", attrs(), { peer: Peer.LOCAL }))).toBe(true)
  })

  test("all fields of a match must hold", () => {
    const s = subject("10.0.0.0/8", attrs({ communities: Uint32Array.of(7) }))
    expect(matches({ communities: [7], peerAsns: [65001] }, s)).toBe(true)
    expect(matches({ communities: [7], peerAsns: [65002] }, s)).toBe(false)
    expect(matches({}, s)).toBe(true)
  })
})

describe("policy evaluation", () => {
  test("rules run in order and the first terminal action wins", () => {
    const p = Policy.make([
      Policy.rule({ communities: [1] }, Policy.setLocalPref(300)),
      Policy.rule({ communities: [1] }, Policy.accept),
      Policy.rule({}, Policy.reject)
    ])
    const r = Policy.evaluate(p, subject("10.0.0.0/8", attrs({ communities: Uint32Array.of(1) })), env)
    expect(r).toMatchObject({ accept: true, attributes: { localPref: 300 } })
    expect(Policy.evaluate(p, subject("10.0.0.0/8"), env).accept).toBe(false)
  })

  test("the default action decides when no terminal action fires, keeping modifications", () => {
    const p = Policy.make([Policy.rule({}, Policy.setMed(9))], "accept")
    expect(Policy.evaluate(p, subject("10.0.0.0/8"), env)).toMatchObject({ accept: true, attributes: { med: 9 } })
    expect(Policy.evaluate({ ...p, defaultAction: "reject" }, subject("10.0.0.0/8"), env).accept).toBe(false)
  })

  test("a later rule matches the route as earlier rules changed it (communities, large communities, AS path)", () => {
    const tagged = Policy.make([Policy.rule({}, Policy.addCommunities(0xfde80001)), Policy.rule({ communities: [0xfde80001] }, Policy.reject)], "accept")
    expect(Policy.evaluate(tagged, subject("10.0.0.0/8"), env).accept).toBe(false)
    const cleaned = Policy.make([Policy.rule({}, Policy.removeCommunities(1)), Policy.rule({ communities: [1] }, Policy.reject)], "accept")
    expect(Policy.evaluate(cleaned, subject("10.0.0.0/8", attrs({ communities: Uint32Array.of(1) })), env).accept).toBe(true)
    const large = Policy.make([Policy.rule({}, Policy.addLargeCommunities([1, 2, 3])), Policy.rule({ largeCommunities: [[1, 2, 3]] }, Policy.reject)], "accept")
    expect(Policy.evaluate(large, subject("10.0.0.0/8"), env).accept).toBe(false)
    // The prepend without an AS uses the environment's local AS, also while tracing.
    const longer = Policy.make([
      Policy.rule({}, Policy.prependAsPath(3)),
      Policy.rule({ asPath: { minLength: 4, firstAs: 65000 } }, Policy.setMed(4), Policy.accept)
    ])
    const r = Policy.evaluate(longer, subject("10.0.0.0/8"), env)
    expect(r).toMatchObject({ accept: true, attributes: { med: 4 } })
    expect(Policy.trace(longer, subject("10.0.0.0/8"), env)).toEqual({ rules: [0, 1], accept: true })
  })

  test("actions after a terminal action in the same rule do not run", () => {
    const p = Policy.make([Policy.rule({}, Policy.accept, Policy.setMed(1))])
    const r = Policy.evaluate(p, subject("10.0.0.0/8"), env)
    expect(r.accept && r.attributes.med).toBeUndefined()
  })

  test("an accepted route without modifications keeps its attribute object", () => {
    const a = attrs()
    const r = Policy.evaluate(Policy.acceptAll, subject("10.0.0.0/8", a), env)
    expect(r.accept && r.attributes).toBe(a)
  })

  test("community actions: add (no duplicates), remove, set (empty removes the attribute)", () => {
    const a = attrs({ communities: Uint32Array.of(1, 2) })
    const run = (...actions: Array<Policy.Action>) => {
      const r = Policy.evaluate(Policy.make([Policy.rule({}, ...actions, Policy.accept)]), subject("10.0.0.0/8", a), env)
      return r.accept ? r.attributes.communities : "rejected"
    }
    expect(Array.from(run(Policy.addCommunities(2, 3)) as Uint32Array)).toEqual([1, 2, 3])
    expect(Array.from(run(Policy.removeCommunities(1)) as Uint32Array)).toEqual([2])
    expect(run(Policy.removeCommunities(1, 2))).toBeUndefined()
    expect(Array.from(run(Policy.setCommunities(9)) as Uint32Array)).toEqual([9])
    expect(run(Policy.setCommunities())).toBeUndefined()
  })

  test("large community actions: add, remove, set", () => {
    const a = attrs({ largeCommunities: Uint32Array.of(1, 2, 3) })
    const run = (action: Policy.Action) => {
      const r = Policy.evaluate(Policy.make([Policy.rule({}, action, Policy.accept)]), subject("10.0.0.0/8", a), env)
      return r.accept && r.attributes.largeCommunities !== undefined ? Array.from(r.attributes.largeCommunities) : undefined
    }
    expect(run(Policy.addLargeCommunities([4, 5, 6]))).toEqual([1, 2, 3, 4, 5, 6])
    expect(run(Policy.addLargeCommunities([1, 2, 3]))).toEqual([1, 2, 3])
    expect(run(Policy.removeLargeCommunities([1, 2, 3]))).toBeUndefined()
    expect(run(Policy.setLargeCommunities([7, 8, 9]))).toEqual([7, 8, 9])
  })

  test("AS-path prepend: the local AS by default, or a given AS, into the leading AS_SEQUENCE", () => {
    const run = (action: Policy.Action, a = attrs()) => {
      const r = Policy.evaluate(Policy.make([Policy.rule({}, action, Policy.accept)]), subject("10.0.0.0/8", a), env)
      return r.accept ? r.attributes.asPath : undefined
    }
    expect(run(Policy.prependAsPath(2))).toEqual([{ type: 2, asns: [65000, 65000, 65001] }])
    expect(run(Policy.prependAsPath(1, 64512))).toEqual([{ type: 2, asns: [64512, 65001] }])
    expect(run(Policy.prependAsPath(1), attrs({}, []))).toEqual([{ type: 2, asns: [65000] }])
    expect(run(Policy.prependAsPath(1), attrs({ asPath: [{ type: 1, asns: [1, 2] }] }))).toEqual([
      { type: 2, asns: [65000] },
      { type: 1, asns: [1, 2] }
    ])
  })

  test("a prepend that overflows a segment starts new ones of at most 255 AS numbers", () => {
    const path = Policy.prepend([{ type: 2, asns: new Array(250).fill(1) }], 65000, 10)
    expect(path.map((s) => s.asns.length)).toEqual([10, 250])
  })

  test("next hop self and explicit next hop set the next hop and say so", () => {
    const self = Policy.evaluate(Policy.make([Policy.rule({}, Policy.nextHopSelf, Policy.accept)]), subject("10.0.0.0/8"), env)
    expect(self).toMatchObject({ accept: true, nextHopSet: true, attributes: { nextHop: ip("10.0.0.254") } })
    const explicit = Policy.evaluate(Policy.make([Policy.rule({}, Policy.setNextHop(ip("192.0.2.1")), Policy.accept)]), subject("10.0.0.0/8"), env)
    expect(explicit).toMatchObject({ nextHopSet: true, attributes: { nextHop: ip("192.0.2.1") } })
    const plain = Policy.evaluate(Policy.acceptAll, subject("10.0.0.0/8"), env)
    expect(plain).toMatchObject({ nextHopSet: false })
  })

  test("set local-pref and MED", () => {
    const p = Policy.make([Policy.rule({}, Policy.setLocalPref(250), Policy.setMed(40), Policy.accept)])
    expect(Policy.evaluate(p, subject("10.0.0.0/8"), env)).toMatchObject({ attributes: { localPref: 250, med: 40 } })
  })

  test("trace names the rules that fired, so results can be cached per attribute set and trace", () => {
    const p = Policy.make([
      Policy.rule({ communities: [1] }, Policy.setMed(1)),
      Policy.rule({ prefixes: [Policy.prefix("10.0.0.0/8", { le: 32 })] }, Policy.accept)
    ])
    expect(Policy.trace(p, subject("10.1.0.0/16", attrs({ communities: Uint32Array.of(1) })), env)).toEqual({ rules: [0, 1], accept: true })
    expect(Policy.trace(p, subject("11.0.0.0/8"), env)).toEqual({ rules: [], accept: false })
    expect(Policy.readsPrefix(p.rules[1]!.match)).toBe(true)
  })
})

describe("policy validation", () => {
  const problems = (p: Policy.Policy) => Policy.validate(p).map((x) => x.path)
  const one = (...actions: ReadonlyArray<Policy.Action>) => Policy.make([Policy.rule({}, ...actions)])

  test("a valid policy has no problems", () => {
    const p = Policy.make([
      Policy.rule(
        { prefixes: [Policy.prefix("10.0.0.0/8", { ge: 16, le: 24 })], communities: [0xfde80001], largeCommunities: [[65000, 1, 2]], asPath: { minLength: 1, maxLength: 3 } },
        Policy.setLocalPref(4294967295),
        Policy.setMed(0),
        Policy.prependAsPath(255, 4200000000),
        Policy.setNextHop(new Uint8Array(32)),
        Policy.accept
      )
    ])
    expect(Policy.validate(p)).toEqual([])
    expect(Policy.validate(Policy.acceptAll)).toEqual([])
  })

  test("invalid values name their field, relative to the policy", () => {
    expect(problems(one(Policy.setMed(-1)))).toEqual(["rules[0].actions[0].value"])
    expect(problems(one(Policy.setLocalPref(2 ** 32)))).toEqual(["rules[0].actions[0].value"])
    expect(problems(Policy.make([Policy.rule({}), Policy.rule({}, Policy.accept, Policy.prependAsPath(2 ** 32))]))).toEqual(["rules[1].actions[1].count"])
    expect(problems(one(Policy.prependAsPath(0)))).toEqual(["rules[0].actions[0].count"])
    expect(problems(one(Policy.prependAsPath(2, 0)))).toEqual(["rules[0].actions[0].asn"])
    expect(problems(one(Policy.setNextHop(new Uint8Array(5))))).toEqual(["rules[0].actions[0].nextHop"])
    expect(problems(one(Policy.addCommunities(1, 1.5)))).toEqual(["rules[0].actions[0].values[1]"])
    expect(problems(one(Policy.setLargeCommunities([1, 2, -3])))).toEqual(["rules[0].actions[0].values[0]"])
    expect(problems(one({ _tag: "Nope" } as unknown as Policy.Action))).toEqual(["rules[0].actions[0]._tag"])
    expect(problems({ rules: [], defaultAction: "maybe" as "accept" })).toEqual(["defaultAction"])
  })

  test("matches: prefix ranges that cannot match, bad AS numbers, addresses, families", () => {
    const m = (match: Policy.Match) => problems(Policy.make([Policy.rule(match, Policy.accept)]))
    const base = { address: Uint8Array.of(10, 0, 0, 0), length: 8 }
    expect(m({ prefixes: [base, { ...base, ge: 4 }] })).toEqual(["rules[0].match.prefixes[1].ge"])
    expect(m({ prefixes: [{ ...base, ge: 24, le: 16 }] })).toEqual(["rules[0].match.prefixes[0].le"])
    expect(m({ prefixes: [{ ...base, le: 33 }] })).toEqual(["rules[0].match.prefixes[0].le"])
    expect(m({ prefixes: [{ ...base, length: 33 }] })).toEqual(["rules[0].match.prefixes[0].length"])
    expect(m({ prefixes: [{ address: Uint8Array.of(10, 1, 0, 0), length: 8 }] })).toEqual(["rules[0].match.prefixes[0].address"])
    expect(m({ prefixes: [{ address: Uint8Array.of(10, 0, 0), length: 8 }] })).toEqual(["rules[0].match.prefixes[0].address"])
    expect(m({ asPath: { contains: -1, minLength: 3, maxLength: 2 } })).toEqual(["rules[0].match.asPath.contains", "rules[0].match.asPath.maxLength"])
    expect(m({ peerAsns: [65000, 2 ** 32], peerAddresses: [new Uint8Array(6)] })).toEqual(["rules[0].match.peerAddresses[0]", "rules[0].match.peerAsns[1]"])
    expect(m({ families: [v4, 12345], communities: [NaN] })).toEqual(["rules[0].match.families[1]", "rules[0].match.communities[0]"])
  })
})
