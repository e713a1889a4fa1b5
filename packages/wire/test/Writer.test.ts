import { describe, expect, test } from "bun:test"
import { Context, Message, Writer } from "@kbgp/wire"

describe("Writer (public)", () => {
  test("writeHeader + raw body + finishMessage frames a message that decode reads", () => {
    const w = Writer.make(8)
    const at = Message.writeHeader(w, Message.MessageType.Notification)
    w.u8(6)
    w.u8(2)
    w.raw(Uint8Array.of(2, 0x68, 0x69))
    expect(Message.finishMessage(w, at)).toBe(24)
    const msg = Message.decode(w.finish(), Context.make())
    expect(msg).toEqual({ _tag: "Notification", code: 6, subcode: 2, data: Uint8Array.of(2, 0x68, 0x69) })
  })

  test("a length can be patched to lie: the decoder answers with the NOTIFICATION, it does not throw", () => {
    const w = Writer.make()
    const at = Message.writeHeader(w, Message.MessageType.Keepalive)
    Message.finishMessage(w, at)
    w.patch16(at + 16, 18)
    const out = Message.decode(w.finish(), Context.make())
    expect(out._tag).toBe("WireError")
    if (out._tag === "WireError") expect([out.code, out.subcode, Array.from(out.data)]).toEqual([1, 2, [0, 18]])
  })
})
