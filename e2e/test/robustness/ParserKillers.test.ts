/**
 * Inputs that crashed or confused other BGP implementations (lying OPEN and
 * capability lengths, RFC 9072 abuse, FQDN, short NEXT_HOP, truncated IPv6
 * extended communities, UPDATE length underflow, 2100-AS paths, malformed
 * shutdown communications, attribute 29/40 garbage, OTC lengths), each with the
 * outcome the RFCs require, against `bun run speaker`.
 */
import * as Cases from "../../src/evil/Cases.js"
import { runTable } from "./Table.js"

runTable("parser-killers", Cases.parserKillers)
