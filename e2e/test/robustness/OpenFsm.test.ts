/**
 * OPEN values (version, hold time, identifier, AS, capabilities, parameters),
 * connections from strangers and messages in the wrong FSM state (RFC 6608),
 * against `bun run speaker`: the NOTIFICATION each must get, or the session
 * they must not disturb.
 */
import * as Cases from "../../src/evil/Cases.js"
import { runTable } from "./Table.js"

runTable("open-fsm", Cases.openFsm)
