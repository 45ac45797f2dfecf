// Bad input to the type codecs gives TypeDecodeError / TypeEncodeError, never a RangeError,
// TypeError or a hang, whatever the bytes or text.
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import { type AnyTypeCodec, codecForOid, Oid, PgTypes, TypeDecodeError, TypeEncodeError } from "../src/types/index.js"

const allCodecs = Object.values(PgTypes) as ReadonlyArray<AnyTypeCodec>

const decodeError = (f: () => unknown): TypeDecodeError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(TypeDecodeError)
    return e as TypeDecodeError
  }
  throw new Error("expected a TypeDecodeError, got a value")
}

const encodeError = (f: () => unknown): TypeEncodeError => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(TypeEncodeError)
    return e as TypeEncodeError
  }
  throw new Error("expected a TypeEncodeError, got a value")
}

const bin = (codec: AnyTypeCodec, hex: string): unknown => {
  const b = Buffer.from(hex.replace(/\s/g, ""), "hex")
  return codec.decodeBinary(b, 0, b.length)
}

describe("binary values of the wrong length", () => {
  const fixed: ReadonlyArray<readonly [AnyTypeCodec, number]> = [
    [PgTypes.bool, 1],
    [PgTypes.char, 1],
    [PgTypes.int2, 2],
    [PgTypes.int4, 4],
    [PgTypes.oid, 4],
    [PgTypes.float4, 4],
    [PgTypes.date, 4],
    [PgTypes.int8, 8],
    [PgTypes.float8, 8],
    [PgTypes.time, 8],
    [PgTypes.timestamp, 8],
    [PgTypes.timestamptz, 8],
    [PgTypes.timetz, 12],
    [PgTypes.uuid, 16],
    [PgTypes.interval, 16]
  ]
  for (const [codec, size] of fixed) {
    it(`${codec.name} needs exactly ${size} bytes`, () => {
      const buf = new Uint8Array(40)
      for (let n = 0; n <= 20; n++) {
        if (n === size) continue
        const e = decodeError(() => codec.decodeBinary(buf, 3, 3 + n))
        expect(e.format).toBe("binary")
        expect(e.sqlState).toBe("22P03")
        expect(e.typeName).toBe(codec.name)
      }
    })
  }
})

describe("malformed text", () => {
  const cases: ReadonlyArray<readonly [AnyTypeCodec, string, string]> = [
    [PgTypes.int4, "abc", "22P02"],
    [PgTypes.int4, "99999999999999999999999", "22003"],
    [PgTypes.int2, "40000", "22003"],
    [PgTypes.int8, "1.5", "22P02"],
    [PgTypes.oid, "", "22P02"],
    [PgTypes.bool, "maybe", "22P02"],
    [PgTypes.float8, "1.2.3", "22P02"],
    [PgTypes.numeric, "12abc", "22P02"],
    [PgTypes.numeric, "1e99999999999", "22003"],
    [PgTypes.uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1z", "22P02"],
    [PgTypes.uuid, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "22P02"],
    [PgTypes.date, "2023-02-29", "22008"],
    [PgTypes.date, "yesterday", "22007"],
    [PgTypes.date, "99999999999-01-01", "22008"],
    [PgTypes.time, "12:00:00 BC", "22007"],
    [PgTypes.timestamp, "2024-01-01 10:00:00 XYZ", "22007"],
    [PgTypes.timestamptz, "2024-01-01 10:00:00+99", "22009"],
    [PgTypes.interval, "1 parsec", "22007"],
    [PgTypes.interval, "99999999999 days", "22015"],
    [PgTypes.interval, "P1Q", "22007"],
    [PgTypes.bytea, "\\x1", "22023"],
    [PgTypes.bytea, "\\q", "22P02"],
    [PgTypes._int4, "{1,2", "22P02"],
    [PgTypes._int4, "{1,abc}", "22P02"],
    [PgTypes._int4, "{{{{{{{1}}}}}}}", "22P02"],
    [PgTypes._text, '{"unterminated}', "22P02"],
    [PgTypes._text, "{a}junk", "22P02"]
  ]
  for (const [codec, text, sqlState] of cases) {
    it(`${codec.name} ${JSON.stringify(text)} → ${sqlState}`, () => {
      const e = decodeError(() => codec.decodeText(text))
      expect(e.format).toBe("text")
      expect(e.sqlState).toBe(sqlState)
    })
  }
})

describe("malformed binary", () => {
  it("numeric: digit count against length, bad sign, digit past 9999, scale past 16383", () => {
    decodeError(() => bin(PgTypes.numeric, "0002 0000 0000 0000 0001"))
    decodeError(() => bin(PgTypes.numeric, "0000 0000 1234 0000"))
    decodeError(() => bin(PgTypes.numeric, "0001 0000 0000 0000 2710"))
    decodeError(() => bin(PgTypes.numeric, "0000 0000 0000 4000"))
    decodeError(() => bin(PgTypes.numeric, "0000 00"))
    // 65535 digits announced, none present: rejected before reading.
    decodeError(() => bin(PgTypes.numeric, "ffff 0000 0000 0000"))
  })
  it("numeric: digits past dscale are truncated like numeric_recv; leading zero digits are tolerated", () => {
    expect(bin(PgTypes.numeric, "0002 0000 0000 0001 0001 1388")).toBe("1.5")
    expect(bin(PgTypes.numeric, "0002 0000 4000 0000 0001 1388")).toBe("-1")
    expect(bin(PgTypes.numeric, "0001 ffff 4000 0000 1388")).toBe("0")
    expect(bin(PgTypes.numeric, "0002 0001 0000 0000 0000 0007")).toBe("7")
  })
  it("dates and timestamps out of range", () => {
    decodeError(() => bin(PgTypes.date, "7fff fff0"))
    decodeError(() => bin(PgTypes.date, "8000 0010"))
    decodeError(() => bin(PgTypes.timestamp, "7fff ffff ffff fff0"))
    decodeError(() => bin(PgTypes.timestamptz, "8000 0000 0000 0010"))
    decodeError(() => bin(PgTypes.time, "0000 0014 1dd7 6001"))
    decodeError(() => bin(PgTypes.time, "ffff ffff ffff ffff"))
    decodeError(() => bin(PgTypes.timetz, "0000 0000 0000 0000 0001 0000"))
  })
  it("jsonb with another version byte, text with invalid UTF-8", () => {
    decodeError(() => bin(PgTypes.jsonb, "02 7b7d"))
    decodeError(() => bin(PgTypes.jsonb, ""))
    expect(decodeError(() => bin(PgTypes.text, "c328")).sqlState).toBe("22021")
    expect(decodeError(() => bin(PgTypes.json, "ff")).sqlState).toBe("22021")
    // A real U+FFFD is fine.
    expect(bin(PgTypes.text, "efbfbd")).toBe("\ufffd")
  })
  it("arrays: dimensions past the end, huge counts, bad flags, wrong element type, element lengths, trailing bytes", () => {
    const int4s = PgTypes._int4 as AnyTypeCodec
    // ndim 6 but no dimension bytes.
    decodeError(() => bin(int4s, "00000006 00000000 00000017"))
    // ndim 1, size 1e9 with no elements.
    decodeError(() => bin(int4s, "00000001 00000000 00000017 3b9aca00 00000001"))
    // 2 dims of 65536 each: product checked against the bytes left.
    decodeError(() => bin(int4s, "00000002 00000000 00000017 00010000 00000001 00010000 00000001 00000004 00000001"))
    decodeError(() => bin(int4s, "00000007 00000000 00000017"))
    decodeError(() => bin(int4s, "ffffffff 00000000 00000017"))
    decodeError(() => bin(int4s, "00000001 00000002 00000017 00000001 00000001 00000004 00000001"))
    expect(decodeError(() => bin(int4s, "00000001 00000000 00000019 00000001 00000001 00000004 00000001")).sqlState).toBe("42804")
    decodeError(() => bin(int4s, "00000001 00000000 00000017 ffffffff 00000001"))
    decodeError(() => bin(int4s, "00000001 00000000 00000017 00000001 00000001 00000008 00000001"))
    decodeError(() => bin(int4s, "00000001 00000000 00000017 00000001 00000001 fffffffe 00000001"))
    decodeError(() => bin(int4s, "00000001 00000000 00000017 00000001 00000001 00000004 00000001 00"))
    decodeError(() => bin(int4s, "00000001 00000000 00000017 00000001 00000001 00000003 000001"))
    decodeError(() => bin(int4s, "00000001 00000000 00000017 00000001 7fffffff 00000004 00000001"))
    decodeError(() => bin(int4s, "00000000 00000000 00000017 00"))
    decodeError(() => bin(int4s, "0000000100"))
    // Empty arrays: ndim 0, or a zero-length dimension.
    expect(bin(int4s, "00000000 00000000 00000017")).toEqual([])
    expect(bin(int4s, "00000001 00000000 00000017 00000000 00000001")).toEqual([])
  })
})

describe("encoders refuse values they cannot represent", () => {
  it("with TypeEncodeError", () => {
    encodeError(() => PgTypes.int4.encodeText(2 ** 31))
    encodeError(() => PgTypes.int4.encodeText(1.5))
    encodeError(() => PgTypes.int4.encodeText("1" as never))
    encodeError(() => PgTypes.int2.encodeText(40000n))
    encodeError(() => PgTypes.int8.encodeText(2 ** 60))
    encodeError(() => PgTypes.int8.encodeText(2n ** 63n))
    encodeError(() => PgTypes.oid.encodeText(-1))
    encodeError(() => PgTypes.float4.encodeText(1e39))
    encodeError(() => PgTypes.bool.encodeText(1 as never))
    encodeError(() => PgTypes.numeric.encodeText("1.2.3"))
    encodeError(() => PgTypes.text.encodeText(5 as never))
    encodeError(() => PgTypes.bytea.encodeText("abc" as never))
    encodeError(() => PgTypes.uuid.encodeText("nope"))
    encodeError(() => PgTypes.date.encodeText(new Date(NaN)))
    encodeError(() => PgTypes.date.encodeText("2024-02-30"))
    encodeError(() => PgTypes.timestamptz.encodeText(new Date(Date.UTC(-5000, 0, 1))))
    encodeError(() => PgTypes.interval.encodeText({ months: 1.5, days: 0, microseconds: 0n }))
    encodeError(() => PgTypes.interval.encodeText("soon"))
    encodeError(() => PgTypes.json.encodeText(undefined))
    encodeError(() => PgTypes.jsonb.encodeText({ big: 1n }))
    encodeError(() => PgTypes._int4.encodeText(5 as never))
    encodeError(() => PgTypes._int4.encodeText([[[[[[[1]]]]]]]))
    const w = new Writer(8)
    encodeError(() => PgTypes._int4.encodeBinary(w, [1, "x" as never]))
  })
})

describe("fuzz: any bytes, any text", () => {
  const codecs = [...allCodecs, codecForOid(Oid._int4range), codecForOid(123456)]
  it("decodeBinary returns a value or throws TypeDecodeError", () => {
    fc.assert(
      fc.property(fc.constantFrom(...codecs), fc.uint8Array({ maxLength: 48 }), fc.nat(4), fc.nat(4), (codec, bytes, cutStart, cutEnd) => {
        const start = Math.min(cutStart, bytes.length)
        const end = Math.max(start, bytes.length - cutEnd)
        try {
          codec.decodeBinary(bytes, start, end)
        } catch (e) {
          expect(e).toBeInstanceOf(TypeDecodeError)
        }
      }),
      { numRuns: 5000 }
    )
  })
  it("array decodeBinary on mutated valid arrays", () => {
    const w = new Writer(64)
    fc.assert(
      fc.property(
        fc.constantFrom(PgTypes._int4, PgTypes._text, PgTypes._numeric, PgTypes._timestamptz, PgTypes._interval) as fc.Arbitrary<AnyTypeCodec>,
        fc.array(fc.nat(64), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(255), { minLength: 1, maxLength: 4 }),
        (codec, positions, values) => {
          w.reset()
          const sample = codec.name === "_int4" ? [1, null, 3] : codec.name === "_text" ? ["a", null] : codec.name === "_numeric" ? ["1.5", null] : codec.name === "_interval" ? ["1 day", null] : ["2024-01-01 00:00:00+00", null]
          codec.encodeBinary(w, sample)
          const bytes = Buffer.from(w.view())
          positions.forEach((p, i) => {
            if (p < bytes.length) bytes[p] = values[i % values.length]!
          })
          try {
            codec.decodeBinary(bytes, 0, bytes.length)
          } catch (e) {
            expect(e).toBeInstanceOf(TypeDecodeError)
          }
        }
      ),
      { numRuns: 3000 }
    )
  })
  it("decodeText returns a value or throws TypeDecodeError", () => {
    const pieces = fc.constantFrom("{", "}", ",", '"', "\\", " ", "NULL", "1", "-", ".", ":", "e", "+", "P", "T", "Y", "M", "D", "H", "S", "day", "ago", "BC", "[", "]", "=", "x", "0", "9", "2024-02-29", "12:00", "\u00e9", "inf", "NaN")
    const text = fc.oneof(fc.string({ maxLength: 24 }), fc.array(pieces, { maxLength: 12 }).map((p) => p.join("")))
    fc.assert(
      fc.property(fc.constantFrom(...codecs), text, (codec, s) => {
        try {
          codec.decodeText(s)
        } catch (e) {
          expect(e).toBeInstanceOf(TypeDecodeError)
        }
      }),
      { numRuns: 10000 }
    )
  })
  it("encoders given values of any JS type return text or throw TypeEncodeError", () => {
    const w = new Writer(8)
    fc.assert(
      fc.property(fc.constantFrom(...codecs), fc.anything({ withBigInt: true, withDate: true, withTypedArray: true, withNullPrototype: true }), (codec, v) => {
        for (const run of [() => codec.encodeText(v), () => codec.encodeBinary(w.reset(), v)]) {
          try {
            run()
          } catch (e) {
            expect(e).toBeInstanceOf(TypeEncodeError)
          }
        }
      }),
      { numRuns: 3000 }
    )
  })
})
