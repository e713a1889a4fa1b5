/**
 * Splits a byte stream into complete newline-terminated lines (a watch body is one JSON object per line).
 * A trailing piece without its newline is never returned: when the stream ends there, the connection was cut
 * mid-event, and the event will be seen again after resuming from the last complete one.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder()
  private pending = ""

  push(bytes: Uint8Array): Array<string> {
    const text = this.pending + this.decoder.decode(bytes, { stream: true })
    const lines = text.split("\n")
    this.pending = lines.pop() ?? ""
    return lines.map((l) => l.trim()).filter((l) => l !== "")
  }

  /** Characters buffered after the last newline (a partial line). */
  get remainder(): string {
    return this.pending
  }
}
