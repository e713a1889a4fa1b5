/**
 * Byte builders for the evil peer: BGP messages written field by field on
 * `@kbgp/wire`'s public `Writer`, so every length, flag and count can lie.
 * Nothing here validates: a builder writes exactly what it is told, and
 * overrides (`length`, `optLength`, …) replace the value that would be right.
 */
import { Attributes, Message, Writer } from "@kbgp/wire"

export const MessageType = Message.MessageType

/** Path attribute flags (RFC 4271 §4.3), as the codec names them. */
export const Flag = Attributes.AttrFlag
/** Well-known mandatory/discretionary: transitive only. */
export const WK = Flag.Transitive
/** Optional transitive. */
export const OT = Flag.Optional | Flag.Transitive
/** Optional non-transitive. */
export const ON = Flag.Optional

/** Attribute type codes: the codec's, and codes it does not implement, which the evil peer sends too. */
export const AttrCode = { ...Attributes.AttrType, PmsiTunnel: 22, Aigp: 26, BgpLs: 29, PrefixSid: 40 } as const

export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const w = Writer.make(parts.reduce((n, p) => n + p.length, 0) || 1)
  for (const p of parts) w.raw(p)
  return w.finish()
}

export const bytes = (...values: ReadonlyArray<number>): Uint8Array => Uint8Array.from(values)

export const repeat = (n: number, byte = 0): Uint8Array => new Uint8Array(n).fill(byte)

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

export const u16 = (v: number): Uint8Array => bytes(v >>> 8, v & 0xff)
export const u32 = (v: number): Uint8Array => bytes(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff)

/** Dotted IPv4 → 4 bytes. */
export const ipv4 = (text: string): Uint8Array => Uint8Array.from(text.split(".").map((o) => Number(o)))

/** Dotted IPv4 → unsigned 32-bit number. */
export const ipv4Number = (text: string): number => {
  const b = ipv4(text)
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
}

/** IPv6 text (full or with one `::`) → 16 bytes. */
export const ipv6 = (text: string): Uint8Array => {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined]
  const groups = (s: string | undefined) => (s === undefined || s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)))
  const h = groups(head)
  const t = groups(tail)
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t]
  const out = new Uint8Array(16)
  all.forEach((g, i) => {
    out[2 * i] = g >>> 8
    out[2 * i + 1] = g & 0xff
  })
  return out
}

// ---------------------------------------------------------------------------
// Messages

export interface MessageOptions {
  /** The length field to write instead of the real length. */
  readonly length?: number
  /** The 16-byte marker to write instead of all ones. */
  readonly marker?: Uint8Array
}

/** A whole message: header (marker, length, type) and `body`. */
export const message = (type: number, body: Uint8Array, options: MessageOptions = {}): Uint8Array => {
  const w = Writer.make(19 + body.length)
  const at = Message.writeHeader(w, type)
  w.raw(body)
  Message.finishMessage(w, at)
  if (options.length !== undefined) w.patch16(at + 16, options.length)
  if (options.marker !== undefined) w.bytes.set(options.marker.subarray(0, 16), at)
  return w.finish()
}

export const keepalive = (): Uint8Array => message(MessageType.Keepalive, new Uint8Array(0))

export const notification = (code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): Uint8Array =>
  message(MessageType.Notification, concat([bytes(code, subcode), data]))

export const routeRefresh = (afi = 1, safi = 1, subtype = 0): Uint8Array =>
  message(MessageType.RouteRefresh, concat([u16(afi), bytes(subtype, safi)]))

// --- OPEN (RFC 4271 §4.2, RFC 5492, RFC 9072) --------------------------------

/** One capability TLV; `length` lies about the value's length when given. */
export const capability = (code: number, value: Uint8Array = new Uint8Array(0), length?: number): Uint8Array =>
  concat([bytes(code, length ?? value.length), value])

export const Cap = {
  multiprotocol: (afi = 1, safi = 1) => capability(1, concat([u16(afi), bytes(0, safi)])),
  routeRefresh: () => capability(2),
  extendedMessage: () => capability(6),
  fourOctetAs: (asn: number) => capability(65, u32(asn)),
  /** FQDN (draft-walton-bgp-hostname-capability): hostname length, hostname, domain length, domain. */
  fqdn: (hostname: Uint8Array, domain: Uint8Array, hostLength = hostname.length, domainLength = domain.length) =>
    capability(73, concat([bytes(hostLength), hostname, bytes(domainLength), domain]))
} as const

/** One optional parameter in the classic layout (1-byte type, 1-byte length). */
export const param = (type: number, value: Uint8Array, length?: number): Uint8Array =>
  concat([bytes(type, length ?? value.length), value])

/** One optional parameter in the RFC 9072 extended layout (1-byte type, 2-byte length). */
export const paramExtended = (type: number, value: Uint8Array, length?: number): Uint8Array =>
  concat([bytes(type), u16(length ?? value.length), value])

export interface OpenFields {
  readonly asn: number
  readonly holdTime: number
  readonly bgpId: number
  readonly version?: number
  /** The optional parameters block as written (default: one Capabilities parameter holding `capabilities`). */
  readonly params?: Uint8Array
  readonly capabilities?: ReadonlyArray<Uint8Array>
  /** The Opt Parm Len octet to write instead of the real one. */
  readonly optLength?: number
  /** RFC 9072: write Non-Ext OP Len 255, Non-Ext OP Type 255 and a 2-byte Extended Opt. Parm. Length (`extLength` lies). */
  readonly extended?: boolean
  readonly extLength?: number
}

/** The capabilities a well-behaved peer of ours announces: IPv4 unicast, route refresh, 4-octet AS, extended message. */
export const defaultCapabilities = (asn: number, extendedMessage = true): Array<Uint8Array> => [
  Cap.multiprotocol(1, 1),
  Cap.routeRefresh(),
  Cap.fourOctetAs(asn),
  ...(extendedMessage ? [Cap.extendedMessage()] : [])
]

export const open = (f: OpenFields): Uint8Array => {
  const caps = f.capabilities ?? defaultCapabilities(f.asn)
  const params =
    f.params ?? (caps.length === 0 ? new Uint8Array(0) : f.extended ? paramExtended(2, concat(caps)) : param(2, concat(caps)))
  const head = concat([
    bytes(f.version ?? 4),
    u16(f.asn > 0xffff ? 23456 : f.asn),
    u16(f.holdTime),
    u32(f.bgpId)
  ])
  const body = f.extended
    ? concat([head, bytes(f.optLength ?? 255, 255), u16(f.extLength ?? params.length), params])
    : concat([head, bytes(f.optLength ?? params.length), params])
  return message(MessageType.Open, body)
}

// --- UPDATE (RFC 4271 §4.3) ----------------------------------------------------

/** NLRI encoding of prefixes given as text ("192.0.2.0/24", "2001:db8::/32"). */
export const prefixes = (...texts: ReadonlyArray<string>): Uint8Array =>
  concat(
    texts.map((t) => {
      const [addr, len] = t.split("/") as [string, string]
      const length = Number(len)
      const all = addr.includes(":") ? ipv6(addr) : ipv4(addr)
      return concat([bytes(length), all.subarray(0, (length + 7) >>> 3)])
    })
  )

export interface AttributeOptions {
  /** Length field to write instead of the value's length. */
  readonly length?: number
  /** Force the 2-byte Extended Length form (set automatically above 255 bytes). */
  readonly extended?: boolean
}

/** One path attribute: flags, type, length (1 or 2 bytes per the Extended Length flag), value. */
export const attribute = (flags: number, type: number, value: Uint8Array, options: AttributeOptions = {}): Uint8Array => {
  const extended = options.extended === true || (flags & Flag.ExtendedLength) !== 0 || value.length > 255
  const f = extended ? flags | Flag.ExtendedLength : flags
  const length = options.length ?? value.length
  return concat([bytes(f, type), extended ? u16(length) : bytes(length), value])
}

export interface AsPathSegment {
  readonly type: number
  readonly asns: ReadonlyArray<number>
  /** Segment length octet to write instead of the number of ASNs. */
  readonly count?: number
}

/** AS_PATH / AS4_PATH value: segments of 4-octet (default) or 2-octet ASNs. */
export const asPathValue = (segments: ReadonlyArray<AsPathSegment>, asn4 = true): Uint8Array =>
  concat(
    segments.map((s) => concat([bytes(s.type, s.count ?? s.asns.length), ...s.asns.map((a) => (asn4 ? u32(a) : u16(a)))]))
  )

export const seq = (...asns: ReadonlyArray<number>): AsPathSegment => ({ type: 2, asns })

/** Well-formed attributes with their proper flags. */
export const Attr = {
  origin: (value = 0) => attribute(WK, AttrCode.Origin, bytes(value)),
  asPath: (segments: ReadonlyArray<AsPathSegment>, asn4 = true) => attribute(WK, AttrCode.AsPath, asPathValue(segments, asn4)),
  nextHop: (address: string) => attribute(WK, AttrCode.NextHop, ipv4(address)),
  med: (v: number) => attribute(ON, AttrCode.Med, u32(v)),
  localPref: (v: number) => attribute(WK, AttrCode.LocalPref, u32(v)),
  atomicAggregate: () => attribute(WK, AttrCode.AtomicAggregate, new Uint8Array(0)),
  aggregator: (asn: number, address: string) => attribute(OT, AttrCode.Aggregator, concat([u32(asn), ipv4(address)])),
  communities: (...values: ReadonlyArray<number>) => attribute(OT, AttrCode.Communities, concat(values.map(u32))),
  originatorId: (address: string) => attribute(ON, AttrCode.OriginatorId, ipv4(address)),
  clusterList: (...addresses: ReadonlyArray<string>) => attribute(ON, AttrCode.ClusterList, concat(addresses.map(ipv4))),
  extendedCommunities: (...values: ReadonlyArray<Uint8Array>) => attribute(OT, AttrCode.ExtendedCommunities, concat(values)),
  largeCommunities: (...values: ReadonlyArray<readonly [number, number, number]>) =>
    attribute(OT, AttrCode.LargeCommunities, concat(values.map(([a, b, c]) => concat([u32(a), u32(b), u32(c)])))),
  otc: (asn: number) => attribute(OT, AttrCode.Otc, u32(asn)),
  /** MP_REACH_NLRI (RFC 4760 §3): AFI, SAFI, next-hop length (`nhLength` lies), next hop, reserved, NLRI. */
  mpReach: (afi: number, safi: number, nextHop: Uint8Array, nlri: Uint8Array, nhLength?: number) =>
    attribute(ON, AttrCode.MpReachNlri, concat([u16(afi), bytes(safi, nhLength ?? nextHop.length), nextHop, bytes(0), nlri])),
  mpUnreach: (afi: number, safi: number, withdrawn: Uint8Array) =>
    attribute(ON, AttrCode.MpUnreachNlri, concat([u16(afi), bytes(safi), withdrawn]))
} as const

export interface UpdateFields {
  /** Withdrawn Routes field (NLRI encoding). */
  readonly withdrawn?: Uint8Array
  /** Path attributes, already encoded, in the order to send. */
  readonly attributes?: ReadonlyArray<Uint8Array>
  /** NLRI field. */
  readonly nlri?: Uint8Array
  /** Withdrawn Routes Length to write instead of the real one. */
  readonly withdrawnLength?: number
  /** Total Path Attribute Length to write instead of the real one. */
  readonly attributesLength?: number
  /** Bytes appended after the NLRI field. */
  readonly trailing?: Uint8Array
  /** Header length to write instead of the real one. */
  readonly length?: number
}

export const updateBody = (u: UpdateFields): Uint8Array => {
  const withdrawn = u.withdrawn ?? new Uint8Array(0)
  const attrs = concat(u.attributes ?? [])
  return concat([
    u16(u.withdrawnLength ?? withdrawn.length),
    withdrawn,
    u16(u.attributesLength ?? attrs.length),
    attrs,
    u.nlri ?? new Uint8Array(0),
    u.trailing ?? new Uint8Array(0)
  ])
}

export const update = (u: UpdateFields): Uint8Array =>
  message(MessageType.Update, updateBody(u), u.length !== undefined ? { length: u.length } : {})

/** The attributes of a valid eBGP announcement from `asn` (ORIGIN IGP, AS_PATH `asn`, NEXT_HOP). */
export const baseAttributes = (asn: number, nextHop = "192.0.2.99"): Array<Uint8Array> => [
  Attr.origin(0),
  Attr.asPath([seq(asn)]),
  Attr.nextHop(nextHop)
]

/** A valid IPv4 announcement of `prefixList` from `asn`, with extra attributes appended. */
export const announce = (asn: number, prefixList: ReadonlyArray<string>, extra: ReadonlyArray<Uint8Array> = []): Uint8Array =>
  update({ attributes: [...baseAttributes(asn), ...extra], nlri: prefixes(...prefixList) })
