/**
 * The growable big-endian writer the codec encodes with, for code that writes
 * BGP bytes itself: `Pack`-style encoders, test tools and the e2e evil peer,
 * which must be able to put any bytes on the wire (lying lengths included).
 * Lengths are reserved with `mark` and filled in with `patch8`/`patch16`;
 * `Message.writeHeader`/`Message.finishMessage` frame a message in place.
 */
export { Writer } from "./internal/Writer.js"
import { Writer } from "./internal/Writer.js"

/** A writer with `capacity` bytes to start with (it grows as needed). */
export const make = (capacity = 4096): Writer => new Writer(capacity)
