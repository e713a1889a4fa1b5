/**
 * `metav1.LabelSelector`: `matchLabels` AND every `matchExpressions` requirement.
 *
 * Semantics follow Kubernetes' `LabelSelectorAsSelector`: an empty selector (`{}`) matches every object.
 * A *missing* selector means different things per field (Cilium: "all nodes" for `nodeSelector`, "nothing"
 * for some advertisement selectors), so that choice stays with the caller: `matches` takes a present selector.
 */
import { Schema } from "effect"
import { opt, StringMap } from "./internal/Fields.js"

export const Operator = Schema.Literal("In", "NotIn", "Exists", "DoesNotExist")
export type Operator = typeof Operator.Type

export const Requirement = Schema.Struct({
  key: Schema.String.pipe(Schema.minLength(1)),
  operator: Operator,
  values: opt(Schema.Array(Schema.String))
}).pipe(
  // Same validation as the API server (apimachinery ValidateLabelSelectorRequirement).
  Schema.filter((r) => {
    const n = r.values?.length ?? 0
    if ((r.operator === "In" || r.operator === "NotIn") && n === 0) {
      return `operator ${r.operator} needs a non-empty values list`
    }
    if ((r.operator === "Exists" || r.operator === "DoesNotExist") && n > 0) {
      return `operator ${r.operator} takes no values`
    }
    return true
  })
)
export type Requirement = typeof Requirement.Type

export const LabelSelector = Schema.Struct({
  matchLabels: opt(StringMap),
  matchExpressions: opt(Schema.Array(Requirement))
})
export type LabelSelector = typeof LabelSelector.Type

export type Labels = Readonly<Record<string, string>>

const has = (labels: Labels, key: string): boolean => Object.prototype.hasOwnProperty.call(labels, key)

export const matchesRequirement = (req: Requirement, labels: Labels): boolean => {
  const present = has(labels, req.key)
  switch (req.operator) {
    case "In":
      return present && (req.values ?? []).includes(labels[req.key]!)
    case "NotIn":
      return !present || !(req.values ?? []).includes(labels[req.key]!)
    case "Exists":
      return present
    case "DoesNotExist":
      return !present
  }
}

/** True when `labels` satisfy every `matchLabels` pair and every expression. `{}` matches everything. */
export const matches = (selector: LabelSelector, labels: Labels | undefined): boolean => {
  const l = labels ?? {}
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(l, k) || l[k] !== v) return false
  }
  for (const req of selector.matchExpressions ?? []) {
    if (!matchesRequirement(req, l)) return false
  }
  return true
}

/** True for `{}` (and selectors whose lists are empty): matches everything. */
export const isEmpty = (selector: LabelSelector): boolean =>
  Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0

/** `kubectl`-style text, e.g. `app=nginx,tier in (a,b),!legacy`, for logs and `explain`. */
export const format = (selector: LabelSelector): string => {
  const parts: Array<string> = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const r of selector.matchExpressions ?? []) {
    const vs = (r.values ?? []).join(",")
    parts.push(
      r.operator === "In"
        ? `${r.key} in (${vs})`
        : r.operator === "NotIn"
        ? `${r.key} notin (${vs})`
        : r.operator === "Exists"
        ? r.key
        : `!${r.key}`
    )
  }
  return parts.length === 0 ? "<all>" : parts.join(",")
}
