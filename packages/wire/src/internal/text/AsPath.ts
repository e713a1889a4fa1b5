/**
 * AS numbers, AS paths and ORIGIN as text.
 *
 * AS path text, as GoBGP prints it: AS_SEQUENCE members space separated, AS_SET in
 * braces with commas "{1,2}", AS_CONFED_SEQUENCE in parentheses "(65001 65002)",
 * AS_CONFED_SET in brackets with commas "[65003,65004]" (the same text as
 * `AsPath.format`). Commas mark the unordered segments; on input, spaces also
 * separate inside any brackets (BIRD prints "{1 2}"). Plain ASNs next to each
 * other are one AS_SEQUENCE, so adjacent sequence segments print and parse back as one.
 */
import { Either } from "effect"
import { Origin, SegmentType, type AsPath, type AsPathSegment } from "../../Attributes.js"
import { decimal, U16_MAX, U32_MAX } from "./Numbers.js"
import { fail, type Parsed } from "./TextError.js"

/** The ASN of `s`, or why it is not one. */
const asnOf = (s: string): number | string => {
  const dot = s.indexOf(".")
  if (dot < 0) return decimal(s, U32_MAX, "AS number")
  // RFC 5396 §2: asdot "high.low" is high * 65536 + low (asdot+ "0.low" included).
  const hi = decimal(s.slice(0, dot), U16_MAX, "asdot high part")
  if (typeof hi === "string") return hi
  const lo = decimal(s.slice(dot + 1), U16_MAX, "asdot low part")
  if (typeof lo === "string") return lo
  return hi * 65536 + lo
}

/** "65000", "4200000000" (asplain) or "1.10" (asdot, RFC 5396 §2) to a 32-bit ASN. */
export const parseAsn = (text: string): Parsed<number> => {
  const r = asnOf(text.trim())
  return typeof r === "string" ? fail("Asn", text, r) : Either.right(r)
}

/** Always asplain: RFC 5396 §3 makes the plain decimal value the one textual form. */
export const formatAsn = (asn: number): string => String(asn)

const OPEN: Record<string, SegmentType> = { "{": SegmentType.AsSet, "(": SegmentType.ConfedSequence, "[": SegmentType.ConfedSet }
const CLOSE: Record<SegmentType, string> = { 1: "}", 2: "", 3: ")", 4: "]" }

const formatSegment = (s: AsPathSegment): string => {
  switch (s.type) {
    case SegmentType.AsSequence:
      return s.asns.join(" ")
    case SegmentType.AsSet:
      return `{${s.asns.join(",")}}`
    case SegmentType.ConfedSequence:
      return `(${s.asns.join(" ")})`
    case SegmentType.ConfedSet:
      return `[${s.asns.join(",")}]`
  }
}

/** The path as one line; the empty path is "". */
export const formatAsPath = (path: AsPath): string => {
  const parts: Array<string> = []
  for (const s of path) {
    const t = formatSegment(s)
    if (t.length > 0) parts.push(t)
  }
  return parts.join(" ")
}

// RFC 4271 §4.3: the segment length is one octet, so a segment holds at most 255 ASNs.
const MAX_SEGMENT = 255

const segmentName: Record<SegmentType, string> = { 1: "AS_SET", 2: "AS_SEQUENCE", 3: "AS_CONFED_SEQUENCE", 4: "AS_CONFED_SET" }

/**
 * The text of `formatAsPath` back to segments. A sequence (plain or confed) longer
 * than 255 ASNs is split into several segments, as it must be on the wire; a set
 * cannot be split without changing its meaning, so a longer set is an error.
 */
export const parseAsPath = (text: string): Parsed<AsPath> => {
  const s = text
  const out: Array<AsPathSegment> = []
  let seq: Array<number> = []
  let open: SegmentType | undefined
  let inner: Array<number> = []
  const push = (type: SegmentType, asns: Array<number>): void => {
    if (asns.length === 0) {
      out.push({ type, asns })
      return
    }
    for (let i = 0; i < asns.length; i += MAX_SEGMENT) out.push({ type, asns: asns.slice(i, i + MAX_SEGMENT) })
  }
  const flushSeq = (): void => {
    if (seq.length > 0) push(SegmentType.AsSequence, seq)
    seq = []
  }
  let i = 0
  while (i < s.length) {
    const c = s[i]!
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++
      continue
    }
    if (c === ",") {
      if (open === undefined) return fail("AsPath", text, `a comma at offset ${i} outside {}, () or []; separate sequence ASNs by spaces`)
      i++
      continue
    }
    const opened = OPEN[c]
    if (opened !== undefined) {
      if (open !== undefined) return fail("AsPath", text, `"${c}" at offset ${i} opens a segment inside another; segments do not nest`)
      flushSeq()
      open = opened
      inner = []
      i++
      continue
    }
    if (c === "}" || c === ")" || c === "]") {
      if (open === undefined || CLOSE[open] !== c) {
        return fail("AsPath", text, `"${c}" at offset ${i} closes ${open === undefined ? "nothing" : `a segment opened with a different bracket (expected "${CLOSE[open]}")`}`)
      }
      if ((open === SegmentType.AsSet || open === SegmentType.ConfedSet) && inner.length > MAX_SEGMENT) {
        return fail("AsPath", text, `an ${segmentName[open]} holds at most ${MAX_SEGMENT} ASNs, this one has ${inner.length}`)
      }
      push(open, inner)
      open = undefined
      i++
      continue
    }
    let j = i
    while (j < s.length && !" \t\n\r,{}()[]".includes(s[j]!)) j++
    const token = s.slice(i, j)
    const asn = asnOf(token)
    if (typeof asn === "string") return fail("AsPath", text, `at offset ${i}: ${asn}`)
    if (open === undefined) seq.push(asn)
    else inner.push(asn)
    i = j
  }
  if (open !== undefined) return fail("AsPath", text, `the segment opened with "${Object.keys(OPEN).find((k) => OPEN[k] === open)}" is not closed`)
  flushSeq()
  return Either.right(out)
}

const ORIGINS: ReadonlyArray<readonly [Origin, string, string]> = [
  [Origin.Igp, "igp", "i"],
  [Origin.Egp, "egp", "e"],
  [Origin.Incomplete, "incomplete", "?"]
]

/** "igp", "egp", "incomplete" (RFC 4271 §5.1.1). */
export const formatOrigin = (o: Origin): string => ORIGINS[o]?.[1] ?? `origin-${o}`

/** "i", "e", "?" as routers print them in route tables. */
export const formatOriginShort = (o: Origin): string => ORIGINS[o]?.[2] ?? "?"

/** Long or short names, any case. */
export const parseOrigin = (text: string): Parsed<Origin> => {
  const s = text.trim().toLowerCase()
  for (const [o, long, short] of ORIGINS) if (s === long || s === short) return Either.right(o)
  return fail("Origin", text, `expected igp, egp or incomplete (or i, e, ?)`)
}
