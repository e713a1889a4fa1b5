/**
 * Text forms for humans, configs and CLIs: addresses, prefixes, ASNs, communities,
 * AS paths, ORIGIN, and a one-line attribute summary. Never used by the codec.
 *
 * Conventions shared by every parser:
 * - the result is `Either<A, TextError>` (never a throw), usable in plain code
 *   (`Either.isRight`) and in Effect code (`yield* Text.parsePrefix(s)`);
 * - surrounding whitespace is ignored, inner whitespace is not (except between
 *   AS path members);
 * - numbers are plain decimals without leading zeros ("010" is refused rather
 *   than read as 10 or as octal 8).
 *
 * Decisions worth knowing:
 * - a bare address parsed as a prefix is its host route (/32 or /128);
 * - host bits after the prefix length are an error naming the prefix that was
 *   probably meant, unless `{ strict: false }`, which clears them;
 * - IPv6 prints per RFC 5952, IPv4-mapped addresses as "::ffff:192.0.2.1";
 * - ASNs print asplain; asdot "1.10" is accepted on input;
 * - AS paths print as `65001 {65002,65003} (65010 65011) [65020,65021]`: sets
 *   (unordered) comma separated, sequences space separated; input accepts
 *   either separator inside brackets;
 * - well-known communities print by name; input also takes Cilium's and FRR's
 *   aliases ("planned-shut", "local-as", "internet") and a 32-bit decimal;
 * - a 4-octet-AS extended community whose AS fits 2 octets prints as
 *   "rt:65000L:100" so that it parses back to the same type.
 */
export { TextError, type TextErrorReason, type Parsed } from "./internal/text/TextError.js"
export {
  type Address,
  type Prefix,
  type PrefixOptions,
  type PrefixesOptions,
  parseAddress,
  formatAddress,
  formatNextHop,
  ipv4ToNumber,
  numberToIpv4,
  parsePrefix,
  formatPrefix,
  formatEntry,
  formatEntryWithPath,
  formatPrefixes,
  prefixesFromText
} from "./internal/text/Address.js"
export { parseAsn, formatAsn, parseAsPath, formatAsPath, parseOrigin, formatOrigin, formatOriginShort } from "./internal/text/AsPath.js"
export {
  WellKnownCommunity,
  wellKnownNames,
  parseCommunity,
  formatCommunity,
  formatCommunities,
  communitiesFromText,
  type LargeCommunity,
  parseLargeCommunity,
  formatLargeCommunity,
  formatLargeCommunities,
  largeCommunitiesFromText,
  ExtendedType,
  ExtendedSubtype,
  parseExtendedCommunity,
  formatExtendedCommunity,
  formatExtendedCommunities,
  extendedCommunitiesFromText
} from "./internal/text/Community.js"
export { formatAttributes } from "./internal/text/Summary.js"
