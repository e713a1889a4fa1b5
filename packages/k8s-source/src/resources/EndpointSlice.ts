/** discovery.k8s.io/v1 EndpointSlice: which nodes host ready/serving endpoints of a Service. */
import { Schema } from "effect"
import { opt, Port, withDefault } from "../internal/Fields.js"
import { ObjectMeta } from "./ObjectMeta.js"
import { Protocol } from "./Service.js"

/** Label that ties a slice to its Service (`kubernetes.io/service-name`). */
export const ServiceNameLabel = "kubernetes.io/service-name"

/**
 * Conditions stay optional as in the API: a missing `ready` means "ready", a missing `serving` means "same as
 * ready", a missing `terminating` means "not terminating" (see `isReady`/`isServing`/`isTerminating`).
 */
export const EndpointConditions = Schema.Struct({
  ready: opt(Schema.Boolean),
  serving: opt(Schema.Boolean),
  terminating: opt(Schema.Boolean)
})
export type EndpointConditions = typeof EndpointConditions.Type

export const Endpoint = Schema.Struct({
  addresses: Schema.Array(Schema.String),
  conditions: withDefault(EndpointConditions, () => ({})),
  hostname: opt(Schema.String),
  nodeName: opt(Schema.String),
  zone: opt(Schema.String)
})
export type Endpoint = typeof Endpoint.Type

export const EndpointPort = Schema.Struct({
  name: opt(Schema.String),
  protocol: withDefault(Protocol, () => "TCP" as const),
  port: opt(Port),
  appProtocol: opt(Schema.String)
})

export const EndpointSlice = Schema.Struct({
  apiVersion: opt(Schema.String),
  kind: opt(Schema.String),
  metadata: ObjectMeta,
  addressType: Schema.Literal("IPv4", "IPv6", "FQDN"),
  endpoints: withDefault(Schema.Array(Endpoint), () => []),
  ports: withDefault(Schema.Array(EndpointPort), () => [])
})
export type EndpointSlice = typeof EndpointSlice.Type

export const isReady = (e: Endpoint): boolean => e.conditions.ready ?? true
export const isServing = (e: Endpoint): boolean => e.conditions.serving ?? isReady(e)
export const isTerminating = (e: Endpoint): boolean => e.conditions.terminating ?? false

/** The owning Service's name, from the `kubernetes.io/service-name` label. */
export const serviceName = (s: EndpointSlice): string | undefined => s.metadata.labels?.[ServiceNameLabel]
