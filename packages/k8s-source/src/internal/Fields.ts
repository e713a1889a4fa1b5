/**
 * Field helpers shared by the resource schemas.
 *
 * Kubernetes JSON and hand-written YAML both carry `null` where a field is absent (a YAML key whose children
 * are all commented out decodes to `null`), so every optional field accepts `null` and treats it as missing.
 * Unknown fields are ignored by `Schema.Struct` (its default `onExcessProperty: "ignore"`), never rejected.
 */
import { ParseResult, Schema } from "effect"

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

/**
 * An IP address written as a plain YAML scalar. YAML reads an unquoted address that ends in `:` (`::`, `fd00::`)
 * as a one-entry mapping (`{":": null}`, `{"fd00:": null}`) — and the seed guide writes `- ::` — so that shape
 * is turned back into the address it was written as.
 */
export const IpAddress = Schema.Union(
  Schema.String,
  Schema.transformOrFail(Schema.Record({ key: Schema.String, value: Schema.Null }), Schema.String, {
    strict: true,
    decode: (rec, _, ast) => {
      const keys = Object.keys(rec)
      return keys.length === 1
        ? ParseResult.succeed(`${keys[0]}:`)
        : ParseResult.fail(new ParseResult.Type(ast, rec, "expected an IP address"))
    },
    encode: (s) => ParseResult.succeed({ [s.slice(0, -1)]: null })
  })
)
