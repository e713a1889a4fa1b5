/** core/v1 Secret: TCP-MD5 passwords (`data.password`) referenced by peers' auth secrets. */
import { Schema } from "effect"
import { opt, StringMap } from "../internal/Fields.js"
import { ObjectMeta } from "./ObjectMeta.js"

export const Secret = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  type: opt(Schema.String),
  /** base64 in JSON/YAML, bytes here. */
  data: opt(Schema.Record({ key: Schema.String, value: Schema.Uint8ArrayFromBase64 })),
  /** Write-only convenience in the API; in manifests it overrides `data` key by key, as the API server does. */
  stringData: opt(StringMap)
})
export type Secret = typeof Secret.Type

/** The value of `key`, `stringData` winning over `data` as on the API server. */
export const value = (s: Secret, key: string): Uint8Array | undefined => {
  const str = s.stringData?.[key]
  if (str !== undefined) return new TextEncoder().encode(str)
  return s.data?.[key]
}
