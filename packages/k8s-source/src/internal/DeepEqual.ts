/**
 * Structural equality for decoded objects (plain objects, arrays, primitives, Uint8Array), used to decide
 * whether a snapshot really changed. `metadata.resourceVersion` is ignored: it changes on every write, also for
 * fields kbgp does not read, and downstream only cares about content.
 */
const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

export const deepEqual = (a: unknown, b: unknown, ignoreKey?: string): boolean => {
  if (a === b) return true
  if (!isObject(a) || !isObject(b)) return false
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], ignoreKey)) return false
    return true
  }
  const ka = Object.keys(a).filter((k) => k !== ignoreKey && a[k] !== undefined)
  const kb = Object.keys(b).filter((k) => k !== ignoreKey && b[k] !== undefined)
  if (ka.length !== kb.length) return false
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false
    if (!deepEqual(a[k], b[k], ignoreKey)) return false
  }
  return true
}

/** Equality of two decoded Kubernetes objects, ignoring `metadata.resourceVersion`. */
export const objectEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (!isObject(a) || !isObject(b)) return false
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const k of keys) {
    if (k === "metadata") {
      if (!deepEqual(a[k], b[k], "resourceVersion")) return false
    } else if (!deepEqual(a[k], b[k])) return false
  }
  return true
}
