/**
 * RFC 7606 against `bun run speaker`: every attribute's malformations (flags,
 * lengths, zero length, repeats, absence, values) and the message-structure
 * rules, each sent by an evil peer after a valid announcement, with the exact
 * outcome: route withdrawn, attribute discarded, or the NOTIFICATION (code,
 * subcode, data). After each: the daemon runs, the good peer's session and
 * route are untouched.
 */
import * as Cases from "../../src/evil/Cases.js"
import { runTable } from "./Table.js"

runTable("rfc7606", Cases.rfc7606)
