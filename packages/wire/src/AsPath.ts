/**
 * AS_PATH helpers: path length for best-path selection, the leftmost AS, the
 * RFC 6793 merge of AS4_PATH into AS_PATH, and a text form.
 *
 * Encoding note (RFC 6793 §4.2.2): on a 2-octet session the codec writes AS_TRANS
 * for every AS number above 65535 in AS_PATH and AGGREGATOR. It does not build
 * AS4_PATH / AS4_AGGREGATOR itself: a caller sending such a path to an OLD speaker
 * supplies them in `Attributes` (§4.2.2: only when some AS number does not fit 2 octets).
 * On a 4-octet session they are never written (§4.1).
 */
import type { Aggregator, AsPath, AsPathSegment, Attributes } from "./Attributes.js"
import { SegmentType } from "./Attributes.js"

/** RFC 6793: AS_TRANS, the reserved 2-octet stand-in for an AS number that needs 4 octets. */
export const AS_TRANS = 23456

/** A path of one AS_SEQUENCE (the empty path for no AS numbers). */
export const asSequence = (asns: ReadonlyArray<number>): AsPath =>
  asns.length === 0 ? [] : [{ type: SegmentType.AsSequence, asns: asns.slice() }]

const isConfed = (s: AsPathSegment): boolean =>
  s.type === SegmentType.ConfedSequence || s.type === SegmentType.ConfedSet

/** Length contributed by one segment (RFC 4271 §9.1.2.2 a; RFC 5065 §5.3: confederation segments count 0). */
const segmentLength = (s: AsPathSegment): number =>
  s.type === SegmentType.AsSequence ? s.asns.length : s.type === SegmentType.AsSet ? (s.asns.length > 0 ? 1 : 0) : 0

/** Path length for best-path selection: AS_SET counts 1, confederation segments 0 (RFC 4271 §9.1.2.2, RFC 5065). */
export const length = (path: AsPath): number => {
  let n = 0
  for (let i = 0; i < path.length; i++) n += segmentLength(path[i]!)
  return n
}

/**
 * The leftmost AS, when the path starts with a non-empty AS_SEQUENCE (RFC 4271 §5.1.2:
 * what an external peer prepends); undefined otherwise (empty path, AS_SET or confederation first).
 */
export const firstAs = (path: AsPath): number | undefined => {
  const s = path[0]
  return s !== undefined && s.type === SegmentType.AsSequence && s.asns.length > 0 ? s.asns[0] : undefined
}

/** True when `asn` appears anywhere in the path (loop detection, RFC 4271 §9.1.2). */
export const includes = (path: AsPath, asn: number): boolean => {
  for (let i = 0; i < path.length; i++) if (path[i]!.asns.includes(asn)) return true
  return false
}

/**
 * Merge AS4_PATH into AS_PATH (RFC 6793 §4.2.3). When AS_PATH counts fewer AS numbers
 * than AS4_PATH (§9.1.2.2 counting), AS4_PATH is ignored and AS_PATH returned as is.
 * Otherwise the leading AS numbers of AS_PATH that AS4_PATH lacks are taken (an AS_SET
 * whole, an AS_SEQUENCE possibly cut; confederation segments when leading or adjacent to
 * a taken segment) and put in front of AS4_PATH. A taken AS_SEQUENCE that meets a leading
 * AS_SEQUENCE of AS4_PATH is joined with it, as the original path had one segment there.
 */
export const reconstruct = (asPath: AsPath, as4Path: AsPath): AsPath => {
  const n = length(asPath)
  const m = length(as4Path)
  if (n < m) return asPath
  let need = n - m
  const out: Array<AsPathSegment> = []
  let prevTaken = false
  for (let i = 0; i < asPath.length; i++) {
    const s = asPath[i]!
    if (isConfed(s)) {
      if (i !== 0 && !prevTaken) break
      out.push(s)
      prevTaken = true
      continue
    }
    if (need === 0) break
    const count = segmentLength(s)
    if (count <= need) {
      out.push(s)
      need -= count
      prevTaken = true
    } else {
      // Only an AS_SEQUENCE counts more than 1: take its leading part and stop.
      out.push({ type: s.type, asns: s.asns.slice(0, need) })
      need = 0
      break
    }
  }
  const last = out[out.length - 1]
  const head = as4Path[0]
  if (last !== undefined && head !== undefined && last.type === SegmentType.AsSequence && head.type === SegmentType.AsSequence) {
    out[out.length - 1] = { type: SegmentType.AsSequence, asns: last.asns.concat(head.asns) }
    for (let i = 1; i < as4Path.length; i++) out.push(as4Path[i]!)
  } else {
    for (let i = 0; i < as4Path.length; i++) out.push(as4Path[i]!)
  }
  return out
}

/**
 * The attributes as a NEW speaker sees them (RFC 6793 §4.2.3): AS4_PATH merged into
 * AS_PATH and AS4_AGGREGATOR in place of an AGGREGATOR carrying AS_TRANS; both AS4
 * attributes removed. When both AGGREGATOR and AS4_AGGREGATOR arrived and AGGREGATOR
 * names a real 2-octet AS, AS4_AGGREGATOR and AS4_PATH are both ignored (§4.2.3: an OLD
 * speaker aggregated after AS4_PATH was formed, so AS4_PATH is stale); without an
 * AS4_AGGREGATOR that rule does not apply and AS4_PATH is merged.
 */
export const applyAs4 = (attributes: Attributes): Attributes => {
  const { as4Path, as4Aggregator, ...rest } = attributes
  if (as4Path === undefined && as4Aggregator === undefined) return attributes
  const aggregator: Aggregator | undefined = rest.aggregator
  // RFC 6793 §4.2.3: only "if both the AGGREGATOR and the AS4_AGGREGATOR attributes are received".
  if (aggregator !== undefined && as4Aggregator !== undefined && aggregator.asn !== AS_TRANS) return rest
  const out: { -readonly [K in keyof Attributes]: Attributes[K] } = rest
  if (aggregator !== undefined && as4Aggregator !== undefined) out.aggregator = as4Aggregator
  if (as4Path !== undefined && rest.asPath !== undefined) out.asPath = reconstruct(rest.asPath, as4Path)
  return out
}
