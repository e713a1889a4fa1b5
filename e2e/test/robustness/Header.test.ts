/**
 * RFC 4271 §6.1 message header errors (marker, length, type) and messages out
 * of place, against `bun run speaker`: NOTIFICATION code, subcode and data.
 */
import * as Cases from "../../src/evil/Cases.js"
import { runTable } from "./Table.js"

runTable("header", Cases.header)
