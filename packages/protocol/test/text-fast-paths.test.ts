import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  type Bind,
  DATA_ROW_TEXT_SLICE_MAX,
  MessageEncodeError,
  MessageFramer,
  ProtocolDecodeError,
  Writer,
  decodeBackendMessage,
  decodeDataRowText,
  decodeFrontendMessage,
  encodeBind,
  encodeBindText,
  encodeDataRow
} from "../src/index.js"

const utf8 = new TextDecoder()

/** The general path: decodeDataRow's views, each decoded by TextDecoder (non-fatal). */
const generalDecode = (buf: Uint8Array, start: number, end: number): Array<string | null> => {
  const m = decodeBackendMessage(0x44, buf, start, end)
  if (m._tag !== "DataRow") throw new Error(`decoded ${m._tag}`)
  return m.values.map((v) => (v === null ? null : utf8.decode(v)))
}

/** A DataRow body (no type byte or length) of `values`, inside `pad` bytes of junk either side. */
const dataRowBody = (values: ReadonlyArray<Uint8Array | null>, pad: number): { buf: Buffer; start: number; end: number } => {
  const w = new Writer(64)
  encodeDataRow(w, { _tag: "DataRow", values })
  const message = w.take()
  const buf = Buffer.alloc(message.length - 5 + 2 * pad, 0xee)
  message.copy(buf, pad, 5)
  return { buf, start: pad, end: pad + message.length - 5 }
}

const encode = (s: string): Uint8Array => Buffer.from(s, "utf8")

// Strings of every kind: ASCII, any code point, lone surrogates (UTF-16 units), long ones.
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.fullUnicodeString({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ minLength: 200, maxLength: 1500 }),
  fc.constant("")
)
// Field bytes: valid UTF-8 of a string, or arbitrary bytes (invalid UTF-8 too).
const fieldBytes = fc.oneof(
  { weight: 4, arbitrary: text.map(encode) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant(null) }
)

describe("decodeDataRowText", () => {
  it("gives what decodeDataRow + UTF-8 decoding give, for any row", () => {
    fc.assert(
      fc.property(fc.array(fieldBytes, { maxLength: 12 }), fc.nat(8), (values, pad) => {
        const { buf, start, end } = dataRowBody(values, pad)
        expect(decodeDataRowText(buf, start, end)).toEqual(generalDecode(buf, start, end))
      }),
      { numRuns: 2000 }
    )
  })

  it("gives the strings a row was written from (ASCII, non-ASCII, NULL, empty, long)", () => {
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null }), { maxLength: 12 }), (strings) => {
        const { buf, start, end } = dataRowBody(strings.map((s) => (s === null ? null : encode(s))), 0)
        const expected = strings.map((s) => (s === null ? null : Buffer.from(s, "utf8").toString("utf8")))
        expect(decodeDataRowText(buf, start, end)).toEqual(expected)
      }),
      { numRuns: 1000 }
    )
  })

  it("decodes rows on both sides of the row-string size bound, ASCII and not", () => {
    for (const size of [DATA_ROW_TEXT_SLICE_MAX - 20, DATA_ROW_TEXT_SLICE_MAX - 6, DATA_ROW_TEXT_SLICE_MAX + 1, 5 * DATA_ROW_TEXT_SLICE_MAX]) {
      for (const tail of ["", "é", "\u{1F600}"]) {
        const strings = ["a".repeat(size) + tail, null, "", "42", tail]
        const { buf, start, end } = dataRowBody(strings.map((s) => (s === null ? null : encode(s))), 3)
        expect(decodeDataRowText(buf, start, end)).toEqual(strings)
      }
    }
  })

  it("reuses the given array, truncating or extending it to the column count", () => {
    const out: Array<string | null> = ["stale", "stale", "stale", "stale"]
    const two = dataRowBody([encode("x"), null], 0)
    expect(decodeDataRowText(two.buf, two.start, two.end, out)).toBe(out)
    expect(out).toEqual(["x", null])
    const three = dataRowBody([encode("a"), encode("ü"), encode("")], 0)
    expect(decodeDataRowText(three.buf, three.start, three.end, out)).toBe(out)
    expect(out).toEqual(["a", "ü", ""])
  })

  it("reads a body in a plain Uint8Array (a message the framer joined across chunks)", () => {
    const { buf, start, end } = dataRowBody([encode("split"), encode("ß"), null], 2)
    const plain = new Uint8Array(buf.length + 10).subarray(5, 5 + buf.length)
    plain.set(buf)
    expect(decodeDataRowText(plain, start, end)).toEqual(["split", "ß", null])

    const w = new Writer()
    encodeDataRow(w, { _tag: "DataRow", values: [encode("across"), encode("chunks")] })
    const bytes = w.take()
    const f = new MessageFramer()
    f.push(bytes.subarray(0, 9))
    f.push(bytes.subarray(9))
    expect(f.next()).toBe(true)
    expect(decodeDataRowText(f.buffer, f.start, f.end)).toEqual(["across", "chunks"])
  })

  it("fails with ProtocolDecodeError exactly when the general decoder does, for any bytes", () => {
    // Bytes shaped like a DataRow (small counts and lengths, -1, other negatives), plus noise.
    const int32 = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))
    const part = fc.oneof(
      int32.map((n) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])),
      fc.integer({ min: 0, max: 6 }).map((n) => Buffer.from([0, n])),
      fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b))
    )
    fc.assert(
      fc.property(fc.array(part, { maxLength: 10 }), (parts) => {
        const buf = Buffer.concat(parts)
        let general: Array<string | null> | ProtocolDecodeError
        try {
          general = generalDecode(buf, 0, buf.length)
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolDecodeError)
          general = e as ProtocolDecodeError
        }
        let fast: Array<string | null> | unknown
        try {
          fast = decodeDataRowText(buf, 0, buf.length)
        } catch (e) {
          fast = e
        }
        if (general instanceof ProtocolDecodeError) {
          expect(fast).toBeInstanceOf(ProtocolDecodeError)
          expect((fast as ProtocolDecodeError).messageName).toBe("DataRow")
        } else {
          expect(fast).toEqual(general)
        }
      }),
      { numRuns: 3000 }
    )
  })

  it("rejects every truncation of a valid row, and a range outside the buffer", () => {
    const { buf, start, end } = dataRowBody([encode("abc"), null, encode("é")], 0)
    for (let cut = start; cut < end; cut++) {
      expect(() => decodeDataRowText(buf, start, cut)).toThrow(ProtocolDecodeError)
    }
    expect(() => decodeDataRowText(buf, start, end + 1)).toThrow(ProtocolDecodeError)
    expect(() => decodeDataRowText(buf, -1, end)).toThrow(ProtocolDecodeError)
    expect(() => decodeDataRowText(buf, end, start)).toThrow(ProtocolDecodeError)
    expect(() => decodeDataRowText(new Uint8Array(0), 0, 0)).toThrow(ProtocolDecodeError)
  })
})

describe("encodeBindText", () => {
  const generalBind = (w: Writer, portal: string, statement: string, params: ReadonlyArray<string | null>, resultFormats: ReadonlyArray<number>): void =>
    encodeBind(w, {
      _tag: "Bind",
      portal,
      statement,
      paramFormats: [],
      params: params.map((p) => (p === null ? null : Buffer.from(p, "utf8"))),
      resultFormats
    })

  const name = fc.oneof(fc.constant(""), fc.string({ maxLength: 10 }).map((s) => s.replace(/\0/g, "")), fc.fullUnicodeString({ maxLength: 6 }).map((s) => s.replace(/\0/g, "")))
  const formats = fc.array(fc.constantFrom(0, 1), { maxLength: 4 })

  it("writes the same bytes as encodeBind with UTF-8 encoded parameters", () => {
    fc.assert(
      fc.property(name, name, fc.array(fc.option(text, { nil: null }), { maxLength: 10 }), formats, fc.nat(100), (portal, statement, params, resultFormats, before) => {
        const general = new Writer(16)
        generalBind(general, portal, statement, params, resultFormats)
        // A small writer that already holds bytes: the lengths patched must be relative to the parameter.
        const fast = new Writer(8)
        fast.bytes(Buffer.alloc(before, 7))
        encodeBindText(fast, portal, statement, params, resultFormats)
        expect(fast.view().subarray(before)).toEqual(general.view())
      }),
      { numRuns: 2000 }
    )
  })

  it("decodes back to the parameters' UTF-8 (non-ASCII, NULL, empty)", () => {
    const params = ["42", null, "", "héllo wörld", "\u{1F418}", "x".repeat(300)]
    const w = new Writer()
    encodeBindText(w, "p1", "s1", params, [1])
    const f = new MessageFramer({ untypedFirst: false })
    f.push(w.take())
    expect(f.next()).toBe(true)
    const m = decodeFrontendMessage(f.type, f.buffer, f.start, f.end) as Bind
    expect(m).toMatchObject({ _tag: "Bind", portal: "p1", statement: "s1", paramFormats: [], resultFormats: [1] })
    expect(m.params.map((p) => (p === null ? null : Buffer.from(p).toString("utf8")))).toEqual(params)
  })

  it("refuses more than 65535 parameters or result formats with MessageEncodeError, writing nothing", () => {
    const w = new Writer()
    expect(() => encodeBindText(w, "", "", new Array<string | null>(65536).fill("1"), [])).toThrow(MessageEncodeError)
    expect(() => encodeBindText(w, "", "", [], new Array<number>(65536).fill(0))).toThrow(MessageEncodeError)
    expect(w.length).toBe(0)
    encodeBindText(w, "", "", new Array<string | null>(65535).fill(null), [])
    expect(w.length).toBe(1 + 4 + 1 + 1 + 2 + 2 + 65535 * 4 + 2)
  })
})
