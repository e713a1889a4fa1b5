import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Family, Text } from "@kbgp/wire"
import * as Config from "../src/Config.js"
import type { Problem } from "../src/ConfigError.js"

const EXAMPLE = path.join(import.meta.dir, "../examples/speaker.yaml")

const ok = (text: string, options: Partial<Config.ParseOptions> = {}): Config.Loaded => {
  const r = Config.parse(text, { file: "test.yaml", ...options })
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const problems = (text: string, options: Partial<Config.ParseOptions> = {}): ReadonlyArray<Problem> => {
  const r = Config.parse(text, { file: "test.yaml", ...options })
  if (Either.isRight(r)) throw new Error("expected the config to be rejected")
  return r.left.problems
}

/** "path: message" lines, as the daemon logs them. */
const lines = (text: string): Array<string> => problems(text).map((p) => `${p.path}: ${p.message}`)

const base = `routerId: 192.0.2.1
localAs: 65001
`

describe("the example config", () => {
  test("parses into the desired state the example describes", () => {
    const { desired, warnings } = ok(fs.readFileSync(EXAMPLE, "utf8"))
    expect(warnings).toEqual([])
    expect(desired.routerId).toBe("192.0.2.1")
    expect(desired.localAs).toBe(65001)
    expect(desired.listener).toEqual({ address: "::", port: 1179 })
    expect(desired.peers.map((p) => p.name)).toEqual(["tor-a", "tor-b", "route-reflector"])
    const [a, b, rr] = desired.peers
    expect(a).toMatchObject({
      address: "192.0.2.254",
      asn: 65000,
      localAddress: "192.0.2.1",
      md5Password: "s3cret",
      holdTime: 9,
      keepaliveTime: 3,
      gracefulRestart: { restartTime: 120, notification: true },
      families: ["ipv4-unicast", "ipv6-unicast"],
      maxPrefix: [{ limit: 1000, action: "restart", restartAfter: 60 }]
    })
    expect(b).toMatchObject({ passive: true, ttlSecurityHops: 1, gracefulRestart: {}, maxPrefix: [{ limit: 1000 }] })
    expect(rr).toMatchObject({ asn: 65001, port: 1179, multihopTtl: 3, connectRetryTime: 30, exportPolicy: { rules: [], defaultAction: "accept" } })
    expect(rr!.importPolicy).toBeUndefined() // the library's default: accept into Adj-RIB-In, install nothing
    expect(desired.routes).toHaveLength(3)
    expect(desired.routes[1]).toEqual({
      prefixes: ["198.51.100.20/32", "198.51.100.21/32"],
      nextHop: "self",
      origin: "igp",
      med: 50,
      localPref: 150,
      asPathPrepend: 2,
      extendedCommunities: ["rt:65001:20"]
    })
    expect(desired.routes[2]).toMatchObject({ prefix: "2001:db8:100::10/128", nextHop: "2001:db8::1", asPath: [65010], peers: ["tor-b"] })
  })

  test("policies become @kbgp/rib policies with values parsed by wire's Text", () => {
    const { desired } = ok(fs.readFileSync(EXAMPLE, "utf8"))
    const out = desired.peers[0]!.exportPolicy!
    expect(out.defaultAction).toBe("reject")
    expect(out.rules).toHaveLength(1)
    const rule = out.rules[0]!
    expect(rule.name).toBe("vips")
    expect(rule.match.local).toBe(true)
    expect(rule.match.prefixes!.map((p) => [Text.formatPrefix({ afi: p.address.length === 4 ? 1 : 2, address: p.address, length: p.length }), p.le])).toEqual([
      ["198.51.100.0/24", 32],
      ["2001:db8:100::/48", 128]
    ])
    expect(rule.actions).toEqual([{ _tag: "AddCommunities", values: [65001 * 65536 + 100] }, { _tag: "Accept" }])
    const inbound = desired.peers[0]!.importPolicy!
    expect(inbound.rules[0]!.match.peerAddresses).toEqual([Uint8Array.of(192, 0, 2, 254)]) // "tor-a" resolved to its address
    expect(inbound.rules[0]!.actions).toEqual([{ _tag: "SetLocalPref", value: 200 }, { _tag: "Accept" }])
    // Both peers name the same policy: one object, built once.
    expect(desired.peers[1]!.importPolicy).toBe(inbound)
  })
})

describe("field forms", () => {
  test("a minimal file is a speaker with no peers and no routes", () => {
    expect(ok(base).desired).toEqual({ routerId: "192.0.2.1", localAs: 65001, peers: [], routes: [] })
  })

  test("ASNs: asplain numbers, asdot in quotes, text", () => {
    const { desired } = ok(`${base}peers:
  - { address: 192.0.2.2, asn: 4200000000 }
  - { address: 192.0.2.3, asn: "1.10" }
  - { address: 192.0.2.4, asn: "65002" }
`)
    expect(desired.peers.map((p) => p.asn)).toEqual([4200000000, 65546, 65002])
  })

  test("a listener defaults to every interface on port 179", () => {
    expect(ok(`${base}listener: {}\n`).desired.listener).toEqual({ address: "::", port: 179 })
  })

  test("prefixes and next hops are kept in canonical text", () => {
    const { desired } = ok(`${base}routes:
  - { prefix: "2001:DB8:0::/48", nextHop: "2001:db8:0:0::1" }
  - { prefix: 192.0.2.7, nextHop: SELF }
`)
    expect(desired.routes).toEqual([
      { prefix: "2001:db8::/48", nextHop: "2001:db8::1" },
      { prefix: "192.0.2.7/32", nextHop: "self" }
    ])
  })

  test("split announces each prefix as its more-specifics; prefixCount counts them", () => {
    const { desired } = ok(`${base}routes:
  - { prefixes: [10.0.0.0/22, 10.1.0.0/24], split: 24 }
  - { prefix: "2001:db8::/46", split: 48 }
`)
    expect(desired.routes[0]).toEqual({ prefixes: ["10.0.0.0/22", "10.1.0.0/24"], split: 24 })
    expect(desired.routes.map(Config.prefixCount)).toEqual([5, 4])
  })

  test("a split shorter than a prefix, longer than its address or above 2^24 prefixes is refused with the field path", () => {
    expect(lines(`${base}routes:
  - { prefixes: [10.0.0.0/22, 10.0.0.0/25], split: 24 }
  - { prefix: 0.0.0.0/0, split: 32 }
  - { prefix: 10.0.0.0/8, split: 33 }
`)).toEqual([
      "routes[0].split: split 24 is shorter than the prefix length 25 (10.0.0.0/25)",
      "routes[1].split: split 32 makes 2^32 prefixes; at most 16777216 (2^24) per route entry (0.0.0.0/0)",
      "routes[2].split: split 33 is longer than an IPv4 address (32 bits) (10.0.0.0/8)"
    ])
  })

  test("ttlSecurity takes true or a hop count; gracefulRestart false is no capability", () => {
    const { desired } = ok(`${base}peers:
  - { address: 192.0.2.2, asn: 65002, ttlSecurity: 3, gracefulRestart: false }
  - { address: 192.0.2.3, asn: 65003, ttlSecurity: false, gracefulRestart: { restartTime: 300, longLivedStaleTime: 3600 } }
`)
    expect(desired.peers[0]).toEqual({ address: "192.0.2.2", asn: 65002, ttlSecurityHops: 3 })
    expect(desired.peers[1]).toEqual({ address: "192.0.2.3", asn: 65003, gracefulRestart: { restartTime: 300, longLivedStaleTime: 3600 } })
  })

  test("maxPrefix takes a count, a mapping or a list per family", () => {
    const { desired } = ok(`${base}peers:
  - { address: 192.0.2.2, asn: 65002, maxPrefix: 10 }
  - { address: 192.0.2.3, asn: 65003, maxPrefix: [{ family: ipv4, limit: 5, action: warn }, { family: ipv6-unicast, limit: 7 }] }
`)
    expect(desired.peers[0]!.maxPrefix).toEqual([{ limit: 10 }])
    expect(desired.peers[1]!.maxPrefix).toEqual([
      { family: "ipv4-unicast", limit: 5, action: "warn" },
      { family: "ipv6-unicast", limit: 7 }
    ])
  })

  test("passwordFile is read relative to the config file, without its trailing newline", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kbgp-config-"))
    try {
      fs.writeFileSync(path.join(dir, "peer.key"), "from-a-file\n")
      const { desired } = ok(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, passwordFile: peer.key }\n`, { file: path.join(dir, "speaker.yaml") })
      expect(desired.peers[0]!.md5Password).toBe("from-a-file")
    } finally {
      fs.rmSync(dir, { recursive: true })
    }
  })

  test("policies: prefix ranges in text and mapping form, community changes, prepend, next hop", () => {
    const { desired } = ok(`${base}peers:
  - address: 192.0.2.2
    asn: 65002
    export:
      rules:
        - match: { prefixes: ["10.0.0.0/8 ge 16 le 24", { prefix: 192.0.2.0/24, le: 32 }], communities: [no-export], families: [ipv4] }
          action: reject
        - set:
            med: 10
            communities: { set: [], add: ["65001:1"], remove: [65001:2] }
            largeCommunities: { add: ["65001:0:1"] }
            asPathPrepend: { count: 2, asn: 65009 }
            nextHop: self
          action: next
      default: accept
`)
    const p = desired.peers[0]!.exportPolicy!
    expect(p.defaultAction).toBe("accept")
    expect(p.rules[0]!.match).toEqual({
      families: [Family.Ipv4Unicast],
      prefixes: [
        { address: Uint8Array.of(10, 0, 0, 0), length: 8, ge: 16, le: 24 },
        { address: Uint8Array.of(192, 0, 2, 0), length: 24, le: 32 }
      ],
      communities: [0xffffff01]
    })
    expect(p.rules[0]!.actions).toEqual([{ _tag: "Reject" }])
    expect(p.rules[1]!.match).toEqual({})
    expect(p.rules[1]!.actions).toEqual([
      { _tag: "SetMed", value: 10 },
      { _tag: "SetCommunities", values: [] },
      { _tag: "RemoveCommunities", values: [65001 * 65536 + 2] },
      { _tag: "AddCommunities", values: [65001 * 65536 + 1] },
      { _tag: "AddLargeCommunities", values: [[65001, 0, 1]] },
      { _tag: "PrependAsPath", count: 2, asn: 65009 },
      { _tag: "NextHopSelf" }
    ])
  })

  test("a route for a family no peer carries is accepted with a warning", () => {
    const { warnings } = ok(`${base}peers: [{ address: 192.0.2.2, asn: 65002 }]\nroutes: [{ prefix: "2001:db8::/48" }]\n`)
    expect(warnings.map((w) => `${w.path}: ${w.message}`)).toEqual(["routes[0].prefix: no peer carries ipv6-unicast: this route goes nowhere"])
  })
})

describe("errors name the field, the expected form and what was given", () => {
  test("a wrong AS number", () => {
    const ps = problems(`${base}peers:
  - { address: 192.0.2.2, asn: 65002 }
  - { address: 192.0.2.3, asn: 65a }
`)
    expect(ps).toEqual([{ path: "peers[1].asn", message: 'expected an AS number 1..4294967295, got "65a"', line: 5 }])
  })

  test("AS 0, a number out of range, asdot left unquoted", () => {
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 0 }\n  - { address: 192.0.2.3, asn: 4294967296 }\n  - { address: 192.0.2.4, asn: 1.10 }\n`)).toEqual([
      "peers[0].asn: expected an AS number 1..4294967295, got 0",
      "peers[1].asn: expected an AS number 1..4294967295, got 4294967296",
      'peers[2].asn: expected an AS number 1..4294967295, got 1.1: write asdot in quotes, e.g. "1.10"'
    ])
  })

  test("a text form that wire's parser refuses carries its reason", () => {
    expect(lines(`${base}routes:
  - prefix: 10.0.0.1/24
    communities: ["65000:100:1"]
    largeCommunities: ["1:2"]
    extendedCommunities: ["xx:1:2"]
    nextHop: 300.1.1.1
`)).toEqual([
      'routes[0].prefix: expected a prefix like 192.0.2.0/24 or 2001:db8::/48, got "10.0.0.1/24": host bits are set after /24; did you mean 10.0.0.0/24?',
      'routes[0].communities[0]: expected a community like 65000:100, a 32-bit number or a well-known name (no-export, no-advertise, ...), got "65000:100:1": a community has two parts ASN:VALUE, this has 3 (three parts look like a large community, RFC 8092)',
      'routes[0].largeCommunities[0]: expected a large community like 65000:1:2, got "1:2": a large community has three parts GLOBAL:LOCAL1:LOCAL2, this has 2',
      'routes[0].extendedCommunities[0]: expected an extended community like rt:65000:100, soo:192.0.2.1:7 or 0x0002:00000000fde8, got "xx:1:2": expected rt:ADMIN:VALUE, soo:ADMIN:VALUE or 0xTTSS:<12 hex digits>',
      expect.stringMatching(/^routes\[0\]\.nextHop: expected "self" or an IP address, got "300\.1\.1\.1": not an IPv4 address/)
    ])
  })

  test("an unknown field suggests the one probably meant", () => {
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, hodlTime: 30 }\n`)).toEqual(['peers[0].hodlTime: unknown field; did you mean "holdTime"?'])
    expect(lines(`${base}colour: blue\n`)).toEqual(["colour: unknown field; known fields: routerId, localAs, listener, policies, peers, routes"])
  })

  test("a missing field says what it needs", () => {
    expect(lines(`routerId: 192.0.2.1\npeers:\n  - { asn: 65002 }\n`)).toEqual([
      "localAs: is required: an AS number 1..4294967295",
      "peers[0].address: is required: an IP address (the peer's)"
    ])
  })

  test("a value of the wrong kind: a list where a mapping goes, a string where a list goes", () => {
    expect(lines(`${base}listener: [1]\npeers: nobody\n`)).toEqual(["listener: expected a mapping, got a list", 'peers: expected a list, got "nobody"'])
  })

  test("a value that fits none of a field's forms names them all", () => {
    expect(lines(`${base}peers:\n  - address: 192.0.2.2\n    asn: 65002\n    gracefulRestart: "yes"\n    ttlSecurity: [1]\n`)).toEqual([
      'peers[0].gracefulRestart: expected true, false or a mapping { enabled, restartTime, notification, forwarding, longLivedStaleTime, staleRoutesTime }, got "yes"',
      "peers[0].ttlSecurity: expected true, false or a hop count 1..254, got a list"
    ])
  })

  test("inside a mapping form, the nested field is named", () => {
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, gracefulRestart: { restartTime: 5000 } }\n`)).toEqual([
      "peers[0].gracefulRestart.restartTime: expected seconds 0..4095, got 5000"
    ])
  })

  test("hold time 1 or 2 is refused (RFC 4271 §4.2)", () => {
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, holdTime: 2 }\n`)).toEqual([
      "peers[0].holdTime: expected a hold time in seconds: 0 or 3..65535, got 2"
    ])
  })

  test("sendHoldTime (RFC 9687) reaches the desired state and must be above the hold time", () => {
    const { desired } = ok(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, holdTime: 9, sendHoldTime: 20 }\n`)
    expect(desired.peers[0]?.sendHoldTime).toBe(20)
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, holdTime: 9, sendHoldTime: 9 }\n`)).toEqual([
      "peers[0].sendHoldTime: must be more than the hold time (9)"
    ])
  })

  test("addPathReceive (RFC 7911) reaches the desired state and names families of the peer", () => {
    const { desired } = ok(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, families: [ipv4, ipv6], addPathReceive: [ipv6] }\n`)
    expect(desired.peers[0]?.addPathReceive).toEqual(["ipv6-unicast"])
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, addPathReceive: [ipv6-unicast] }\n`)).toEqual([
      "peers[0].addPathReceive[0]: ipv6-unicast is not among the peer's families (ipv4-unicast)"
    ])
  })

  test("rules across fields point at the field to fix", () => {
    expect(lines(`${base}peers:
  - address: 192.0.2.2
    asn: 65002
    passive: true
    password: a
    passwordFile: b
    multihopTtl: 2
    ttlSecurity: true
    keepaliveTime: 90
    localAddress: "2001:db8::1"
    import: nope
  - { address: 192.0.2.2, asn: 65003 }
routes:
  - med: 5
  - { prefix: "2001:db8::/48", nextHop: 192.0.2.1, peers: [nobody] }
  - { prefix: 198.51.100.0/24, nextHop: "2001:db8::1" }
`)).toEqual([
      'peers[0].passive: a passive peer needs a listener: add `listener: { address: "::", port: 179 }` at the top level',
      "peers[0].passwordFile: give password or passwordFile, not both",
      "peers[0].ttlSecurity: ttlSecurity and multihopTtl exclude each other (TTL security always sends TTL 255); give the hop count to ttlSecurity",
      "peers[0].keepaliveTime: must be less than the hold time (90, the default); a third of it is usual",
      "peers[0].localAddress: 2001:db8::1 and the peer's 192.0.2.2 are not of the same IP version",
      'peers[0].import: no policy named "nope" (no `policies` are defined; or accept, reject)',
      'peers[1].address: "192.0.2.2" is already peers[0]; give each peer its own address (or a name)',
      "routes[0]: needs `prefix` or `prefixes`",
      'routes[1].nextHop: 2001:db8::/48 is IPv6: its next hop must be an IPv6 address or "self"',
      'routes[1].peers[0]: no peer named "nobody" (peers are named by `name`, else by address)',
      // `run` would refuse it (the speaker has no extended next hop), so `check` does too.
      'routes[2].nextHop: 198.51.100.0/24 is IPv4: its next hop must be an IPv4 address or "self" (IPv6 next hops for IPv4 routes, RFC 8950, are not supported)'
    ])
  })

  test("a password file that cannot be read", () => {
    const ps = problems(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, passwordFile: /nonexistent/kbgp.key }\n`)
    expect(ps).toHaveLength(1)
    expect(ps[0]!.path).toBe("peers[0].passwordFile")
    expect(ps[0]!.message).toStartWith("cannot read /nonexistent/kbgp.key: ")
  })

  test("an MD5 key over 80 bytes (RFC 2385)", () => {
    expect(lines(`${base}peers:\n  - { address: 192.0.2.2, asn: 65002, password: "${"x".repeat(81)}" }\n`)).toEqual([
      "peers[0].password: a TCP-MD5 key is at most 80 bytes (RFC 2385)"
    ])
  })

  test("bad policies: an unknown peer, a prefix range that does not fit", () => {
    expect(lines(`${base}policies:
  p:
    rules:
      - match: { peers: [ghost], prefixes: ["10.0.0.0/8 le 4"] }
`)).toEqual([
      'policies.p.rules[0].match.prefixes[0]: expected a prefix range like "10.0.0.0/8", "10.0.0.0/8 le 24" or { prefix, ge, le }, got "10.0.0.0/8 le 4": ge and le must be lengths 8..32'
    ])
    expect(lines(`${base}policies:\n  p:\n    rules:\n      - match: { peers: [ghost] }\n`)).toEqual([
      'policies.p.rules[0].match.peers[0]: no peer named "ghost", and not an address'
    ])
  })

  test("a policy's next hop must match the families of its IP version", () => {
    expect(lines(`${base}policies:
  p:
    rules:
      - set: { nextHop: "2001:db8::1" }
      - match: { families: [ipv4-unicast, ipv6-unicast] }
        set: { nextHop: 192.0.2.9 }
      - match: { families: [ipv4-unicast] }
        set: { nextHop: "2001:db8::1" }
      - match: { families: [ipv6-unicast] }
        set: { nextHop: "2001:db8::1" }
      - match: { families: [ipv4-unicast] }
        set: { nextHop: 192.0.2.9 }
      - set: { nextHop: self }
`)).toEqual([
      "policies.p.rules[0].set.nextHop: 2001:db8::1 is an IPv6 next hop: it fits only ipv6-unicast routes; add `families: [ipv6-unicast]` to the rule's match",
      "policies.p.rules[1].set.nextHop: 192.0.2.9 is an IPv4 next hop, but the rule also matches ipv6-unicast routes, which could not be sent with it; match only `families: [ipv4-unicast]` (and set the ipv6-unicast next hop in another rule)",
      "policies.p.rules[2].set.nextHop: 2001:db8::1 is an IPv6 next hop, but the rule matches only ipv4-unicast routes, which could not be sent with it"
    ])
  })

  test("every problem is reported at once, in file order, with its line", () => {
    const ps = problems(`routerId: 0.0.0.0
localAs: 65001
peers:
  - address: 192.0.2.2/32
    asn: x
routes:
  - { prefix: nope }
`)
    expect(ps.map((p) => [p.path, p.line])).toEqual([
      ["routerId", 1],
      ["peers[0].address", 4],
      ["peers[0].asn", 5],
      ["routes[0].prefix", 7]
    ])
    expect(ps[0]!.message).toBe('expected an IPv4 address (the BGP identifier), got "0.0.0.0": 0.0.0.0 is not a valid BGP identifier (RFC 6286 §2.1)')
  })

  test("YAML syntax errors and duplicate keys carry their line", () => {
    expect(problems(`${base}peers: [\n`)[0]).toMatchObject({ path: "(yaml)", line: 4 })
    expect(problems(`${base}localAs: 65002\n`)[0]).toMatchObject({ path: "(yaml)", message: expect.stringContaining("unique"), line: 3 })
  })

  test("an empty file", () => {
    expect(lines("")).toEqual(["(top level): the file is empty: expected at least routerId and localAs"])
  })

  test("the error message lists every problem under the file name", () => {
    const r = Config.parse(`${base}peers:\n  - { address: 192.0.2.3, asn: 65a }\n`, { file: "speaker.yaml" })
    expect(Either.isLeft(r) && r.left.message).toBe(
      'speaker.yaml: 1 problem\n  peers[0].asn: expected an AS number 1..4294967295, got "65a" (line 4)'
    )
  })
})
