/**
 * Field helpers shared by the resource schemas.
 *
 * Kubernetes JSON and hand-written YAML both carry `null` where a field is absent (a YAML key whose children
 * are all commented out decodes to `null`), so every optional field accepts `null` and treats it as missing.
 * Unknown fields are ignored by `Schema.Struct` (its default `onExcessProperty: "ignore"`), never rejected.
 */
import { ParseResult, Schema } from "effect"
import { isIP } from "node:net"

/** Optional field: absent, `undefined`-free (`exactOptionalPropertyTypes`), `null` means absent. */
export const opt = <S extends Schema.Schema.All>(schema: S) =>
  Schema.optionalWith(schema, { exact: true, nullable: true })

/** Optional field with the CRD's default: absent or `null` decodes to `value()`. */
export const withDefault = <S extends Schema.Schema.All>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { nullable: true, default: value })

/** A JSON integer. */
export const Int = Schema.Int

/** An autonomous system number: 0..2^32-1 (the CRDs say int64 with these bounds). */
export const Asn = Schema.Int.pipe(Schema.between(0, 4294967295))

/** A TCP/UDP port number. */
export const Port = Schema.Int.pipe(Schema.between(0, 65535))

/** `map[string]string` (labels, annotations, selectors). */
export const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/** Kubernetes IntOrString (e.g. `targetPort: 8080` or `targetPort: http`). */
export const IntOrString = Schema.Union(Schema.Int, Schema.String)

/** Optional object field whose absence means "all of its own defaults" (Kubernetes defaulting of nested structs). */
export const defaultStruct = <A, I>(schema: Schema.Schema<A, I>) =>
  Schema.optionalWith(schema, { nullable: true, default: () => Schema.decodeUnknownSync(schema)({}) })

// ---------------------------------------------------------------------------------------------------------------
// Addresses, checked where Cilium's CRDs (or the API server) check them, so a typo in a manifest is reported at
// its field instead of surfacing later as a route that is never announced.

const ipVersion = (s: string, zone: boolean): number => (!zone && s.includes("%") ? 0 : isIP(s))

/** `192.168.1.1/32` → 4, `fd00::/64` → 6, anything else → 0. */
export const cidrVersion = (s: string): number => {
  const slash = s.indexOf("/")
  if (slash < 0 || slash !== s.lastIndexOf("/")) return 0
  const version = ipVersion(s.slice(0, slash), false)
  const bits = s.slice(slash + 1)
  if (version === 0 || !/^(0|[1-9][0-9]{0,2})$/.test(bits)) return 0
  return Number(bits) <= (version === 4 ? 32 : 128) ? version : 0
}

const addressFilter = (ok: (s: string) => boolean, expected: string) =>
  Schema.filter<typeof Schema.String>((s) => ok(s) || `expected ${expected}, got ${JSON.stringify(s)}`)

/** An IPv4 or IPv6 address (no zone). */
export const Ip = Schema.String.pipe(addressFilter((s) => ipVersion(s, false) !== 0, "an IP address such as 192.168.1.1"))

/** An IP address or `""` (Kubernetes' way of writing "not set" for some string fields). */
export const IpOrEmpty = Schema.String.pipe(
  addressFilter((s) => s === "" || ipVersion(s, false) !== 0, "an IP address such as 192.168.1.1")
)

/** An IP address, optionally with an IPv6 zone (`fe80::1%eth0`), as Cilium's v2 address patterns allow. */
export const IpWithZone = Schema.String.pipe(
  addressFilter((s) => ipVersion(s, true) !== 0, "an IP address such as 192.168.1.1 (an IPv6 zone like %eth0 is allowed)")
)

/** An IPv4 address (BGP router IDs). */
export const Ipv4 = Schema.String.pipe(addressFilter((s) => ipVersion(s, false) === 4, "an IPv4 address such as 10.0.0.1"))

/** A CIDR (`format: cidr`): address and prefix length. */
export const Cidr = Schema.String.pipe(addressFilter((s) => cidrVersion(s) !== 0, "a CIDR such as 192.168.1.1/32 or fd00::/64"))

/** An IP address or a CIDR (Cilium's policy `CIDR` type and kbgp's short forms accept both). */
export const IpOrCidr = Schema.String.pipe(
  addressFilter((s) => ipVersion(s, false) !== 0 || cidrVersion(s) !== 0, "an IP address or a CIDR such as 10.0.1.0/24")
)

// Go structs whose CIDR field has no `omitempty` write `""` for "not set" (a pool block given as a range, a
// policy rule given as a CIDR group); objects written by such clients must still decode.

/** `Cidr`, or `""` for "not set". */
export const CidrOrEmpty = Schema.String.pipe(
  addressFilter((s) => s === "" || cidrVersion(s) !== 0, "a CIDR such as 192.168.1.1/32 or fd00::/64")
)

/** `IpOrCidr`, or `""` for "not set". */
export const IpOrCidrOrEmpty = Schema.String.pipe(
  addressFilter(
    (s) => s === "" || ipVersion(s, false) !== 0 || cidrVersion(s) !== 0,
    "an IP address or a CIDR such as 10.0.1.0/24"
  )
)

/**
 * YAML reads an unquoted address that ends in `:` (`::`, `fd00::`) as a one-entry mapping (`{":": null}`,
 * `{"fd00:": null}`) — and the seed guide writes `- ::` — so that shape is turned back into the text it was
 * written as before `target` checks it. Encoding always gives the plain string.
 */
const YamlText = Schema.transformOrFail(Schema.Unknown, Schema.String, {
  strict: true,
  decode: (u, _, ast) => {
    if (typeof u === "string") return ParseResult.succeed(u)
    if (typeof u === "object" && u !== null && !Array.isArray(u)) {
      const entries = Object.entries(u)
      if (entries.length === 1 && entries[0]![1] === null) return ParseResult.succeed(`${entries[0]![0]}:`)
    }
    return ParseResult.fail(new ParseResult.Type(ast, u, `Expected an IP address (a string), actual ${JSON.stringify(u)}`))
  },
  encode: ParseResult.succeed
})

/** `target` (an address check on strings), also accepting the mapping YAML makes of an unquoted `fd00::`. */
export const yamlAddress = (target: Schema.Schema<string>): Schema.Schema<string, unknown> =>
  Schema.compose(YamlText, target)
