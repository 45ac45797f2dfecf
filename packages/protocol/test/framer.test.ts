import { describe, expect, it } from "@effect/vitest"
import { MessageFramer, ProtocolDecodeError, UNTYPED, Writer } from "../src/index.js"

const frames = (f: MessageFramer) => {
  const out: Array<[number, string]> = []
  while (f.next()) out.push([f.type, Buffer.from(f.buffer.subarray(f.start, f.end)).toString("hex")])
  return out
}

const sample = () => {
  const w = new Writer(8)
  let at = w.beginMessage(UNTYPED)
  w.int32(196608).cstring("user").cstring("u").int8(0)
  w.endMessage(at)
  for (let i = 0; i < 5; i++) {
    at = w.beginMessage(0x51)
    w.cstring(`select ${i}`)
    w.endMessage(at)
  }
  at = w.beginMessage(0x53)
  w.endMessage(at)
  return w.take()
}

describe("MessageFramer", () => {
  it("decodes the same at every split point and with every chunk size", () => {
    const bytes = sample()
    const whole = new MessageFramer({ untypedFirst: true })
    whole.push(bytes)
    const expected = frames(whole)
    expect(expected.length).toBe(7)
    for (let size = 1; size <= bytes.length; size++) {
      const f = new MessageFramer({ untypedFirst: true })
      const got: Array<[number, string]> = []
      for (let i = 0; i < bytes.length; i += size) {
        f.push(bytes.subarray(i, i + size))
        got.push(...frames(f))
      }
      expect(got).toEqual(expected)
    }
  })

  it("never rewrites a chunk it handed a view of", () => {
    const bytes = sample()
    const copy = Buffer.from(bytes)
    const f = new MessageFramer({ untypedFirst: true })
    for (let i = 0; i < bytes.length; i += 7) f.push(bytes.subarray(i, i + 7))
    frames(f)
    expect(Buffer.compare(bytes, copy)).toBe(0)
  })

  it("rejects a length below 4 and over the limit without allocating it", () => {
    const f = new MessageFramer({ maxMessageSize: 100 })
    f.push(Uint8Array.of(0x51, 0, 0, 0, 3))
    expect(() => f.next()).toThrow(ProtocolDecodeError)
    const g = new MessageFramer({ untypedFirst: true })
    g.push(Uint8Array.of(0x7f, 0xff, 0xff, 0xff))
    expect(() => g.next()).toThrow(/exceeds the limit of 10000/)
  })
})
