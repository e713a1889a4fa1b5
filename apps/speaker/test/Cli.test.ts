import { describe, expect, test } from "bun:test"
import { Either } from "effect"
import * as Cli from "../src/Cli.js"

const parse = (...argv: Array<string>): Cli.Command => {
  const r = Cli.parse(argv)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const error = (...argv: Array<string>): string => {
  const r = Cli.parse(argv)
  if (Either.isRight(r)) throw new Error(`expected a usage error for ${argv.join(" ")}`)
  return Cli.formatError(r.left)
}

describe("run", () => {
  test("flags alone mean run, with the documented defaults", () => {
    expect(parse("--config", "speaker.yaml")).toEqual({
      _tag: "Run",
      config: "speaker.yaml",
      status: { host: "127.0.0.1", port: 7179 },
      logLevel: "info",
      restarting: false,
      watch: true
    })
  })

  test("every flag, in both spellings", () => {
    expect(parse("run", "-c", "s.yaml", "--status=[::1]:9000", "--log-level", "debug", "--restarting", "--no-watch")).toEqual({
      _tag: "Run",
      config: "s.yaml",
      status: { host: "::1", port: 9000 },
      logLevel: "debug",
      restarting: true,
      watch: false
    })
  })

  test("the status endpoint binds every interface only when asked, and can be turned off", () => {
    expect(parse("--config", "s.yaml", "--status", "0.0.0.0:7179")).toMatchObject({ status: { host: "0.0.0.0", port: 7179 } })
    expect(parse("--config", "s.yaml", "--status", "off")).toMatchObject({ status: undefined })
  })

  test("usage errors say what is wrong and where help is", () => {
    expect(error("run")).toBe("error: --config FILE is required\nRun 'bun run speaker run --help' for usage.")
    expect(error("--config", "s.yaml", "--verbose")).toBe(
      "error: unknown flag --verbose for \"run\" (known: --config, --status, --log-level, --restarting, --no-watch, --help)\nRun 'bun run speaker run --help' for usage."
    )
    expect(error("--config")).toStartWith("error: --config needs a value")
    expect(error("--config", "a", "--config", "b")).toStartWith("error: --config is given twice")
    expect(error("--config", "s.yaml", "--status", "localhost")).toStartWith(
      'error: --status "localhost": expected ADDR:PORT, e.g. 127.0.0.1:7179 or [::1]:7179'
    )
    expect(error("--config", "s.yaml", "--status", "127.0.0.1:70000")).toStartWith('error: --status "127.0.0.1:70000": port 70000 is not 0..65535')
    expect(parse("--config", "s.yaml", "--status", "127.0.0.1:0")).toMatchObject({ status: { host: "127.0.0.1", port: 0 } }) // a free port
    expect(error("peers", "--status", "127.0.0.1:0")).toStartWith('error: --status "127.0.0.1:0": port 0 is not 1..65535') // nothing to ask there
    expect(error("--config", "s.yaml", "--log-level", "loud")).toStartWith('error: --log-level "loud": expected debug, info, warning, error')
    expect(error("--config", "s.yaml", "--restarting=yes")).toStartWith("error: --restarting takes no value")
    expect(error("--config", "s.yaml", "extra")).toStartWith('error: unexpected argument "extra"')
  })
})

describe("check, peers, routes", () => {
  test("check needs a config", () => {
    expect(parse("check", "--config", "s.yaml")).toEqual({ _tag: "Check", config: "s.yaml" })
    expect(error("check", "--status", "127.0.0.1:1")).toStartWith('error: unknown flag --status for "check"')
  })

  test("peers: status address and output format", () => {
    expect(parse("peers")).toEqual({ _tag: "Peers", status: { host: "127.0.0.1", port: 7179 }, output: "table" })
    expect(parse("peers", "-o", "json", "--status", "127.0.0.2:8000")).toEqual({ _tag: "Peers", status: { host: "127.0.0.2", port: 8000 }, output: "json" })
    expect(error("peers", "-o", "yaml")).toStartWith('error: -o "yaml": expected table or json')
  })

  test("routes: peer, direction, family (short names too) and limit", () => {
    expect(parse("routes", "--peer", "tor-a", "--direction", "advertised", "--family", "ipv6", "--limit", "10", "--output=json")).toEqual({
      _tag: "Routes",
      status: { host: "127.0.0.1", port: 7179 },
      output: "json",
      peer: "tor-a",
      direction: "advertised",
      family: "ipv6-unicast",
      limit: 10
    })
    expect(parse("routes")).toMatchObject({ peer: undefined, direction: undefined, family: undefined, limit: undefined })
    expect(error("routes", "--direction", "in")).toStartWith('error: --direction "in": expected received or advertised')
    expect(error("routes", "--family", "l2vpn-evpn")).toStartWith('error: --family "l2vpn-evpn": expected ipv4-unicast or ipv6-unicast')
    expect(error("routes", "--limit", "0")).toStartWith('error: --limit "0": expected a whole number ≥ 1')
  })
})

describe("help", () => {
  test("--help for the program and for every command", () => {
    expect(parse("--help")).toEqual({ _tag: "Help", text: Cli.help.main })
    expect(parse("help")).toEqual({ _tag: "Help", text: Cli.help.main })
    for (const c of ["run", "check", "peers", "routes"] as const) {
      expect(parse(c, "--help")).toEqual({ _tag: "Help", text: Cli.help[c] })
      expect(parse("help", c)).toEqual({ _tag: "Help", text: Cli.help[c] })
      expect(Cli.help[c]).toStartWith("Usage: bun run speaker")
    }
    // --help wins over other flags, even unknown ones.
    expect(parse("routes", "--bogus", "-h")).toEqual({ _tag: "Help", text: Cli.help.routes })
    expect(parse("--config", "x", "--help")).toEqual({ _tag: "Help", text: Cli.help.run })
  })

  test("the help texts document every flag the parser accepts", () => {
    const flagsOf = (text: string) => [...text.matchAll(/(--[a-z-]+)/g)].map((m) => m[1])
    expect(flagsOf(Cli.help.run)).toEqual(expect.arrayContaining(["--config", "--status", "--log-level", "--restarting", "--no-watch", "--help"]))
    expect(flagsOf(Cli.help.routes)).toEqual(expect.arrayContaining(["--peer", "--direction", "--family", "--limit", "--status", "--output", "--help"]))
    expect(flagsOf(Cli.help.peers)).toEqual(expect.arrayContaining(["--status", "--output", "--help"]))
  })

  test("no arguments, or an unknown command, is a usage error", () => {
    expect(error()).toStartWith("error: a command or --config is needed")
    expect(error("start")).toBe('error: unknown command "start": commands are run, check, peers, routes (see --help)')
    expect(error("help", "nothing")).toBe('error: no help for "nothing": commands are run, check, peers, routes')
  })
})
