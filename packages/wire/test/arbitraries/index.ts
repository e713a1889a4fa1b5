/**
 * fast-check arbitraries of the codec's values — prefixes, attributes, every
 * message and capability — for property tests of code built on it. Published
 * as `@kbgp/wire/arbitraries` (the importer provides fast-check).
 */
export * as Attributes from "./Attributes.js"
export * as Messages from "./Messages.js"
export * as Prefixes from "./Prefixes.js"
