// Round trips of every codec over generated values, in text and binary, and their agreement.
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import {
  type AnyTypeCodec,
  codecForOid,
  dateToDateText,
  dateToTimestampText,
  dateTextToDate,
  formatInterval,
  inferOid,
  knownCodecForOid,
  microsToTimestampText,
  Oid,
  parseInterval,
  PgTypes,
  timestampTextToDate,
  timestampTextToMicros,
  TypeDecodeError,
  TypeEncodeError
} from "../src/types/index.js"

const NUM_RUNS = 300
const w = new Writer(16)

/** Encodes in binary between junk bytes, so decoders must honour start/end. */
const binaryRoundTrip = (codec: AnyTypeCodec, value: unknown): unknown => {
  w.reset()
  w.int32(0x5a5a5a5a)
  const start = w.length
  codec.encodeBinary(w, value)
  const end = w.length
  w.int32(0xa5a5a5a5)
  const bytes = Buffer.from(w.view())
  const decoded = codec.decodeBinary(bytes, start, end)
  bytes.fill(0xee) // decoded values must not be views of the input
  return decoded
}

const textRoundTrip = (codec: AnyTypeCodec, value: unknown): unknown => codec.decodeText(codec.encodeText(value))

/** For canonical values: both round trips give the value back, and text and binary agree. */
const roundTrips = <A>(name: string, arb: fc.Arbitrary<A>, numRuns = NUM_RUNS): void => {
  const codec = PgTypes[name as keyof typeof PgTypes] as AnyTypeCodec
  it(`${name}: text and binary round trips`, () => {
    fc.assert(
      fc.property(arb, (v) => {
        expect(textRoundTrip(codec, v)).toEqual(v)
        expect(binaryRoundTrip(codec, v)).toEqual(v)
      }),
      { numRuns }
    )
  })
  const arrayCodec = codecForOid(codec.oid === Oid.unknown ? 0 : (codec.arrayOid || -1))
  if (codec.arrayOid !== 0) {
    it(`${name}[]: text and binary round trips, NULL elements, 2-D arrays`, () => {
      const oneD = fc.array(fc.option(arb, { nil: null }), { maxLength: 8 })
      const twoD = fc
        .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
        .chain(([rows, cols]) =>
          fc.array(fc.array(fc.option(arb, { nil: null }), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows })
        )
      fc.assert(
        fc.property(fc.oneof(oneD, twoD), (v) => {
          expect(textRoundTrip(arrayCodec, v)).toEqual(v)
          expect(binaryRoundTrip(arrayCodec, v)).toEqual(v)
        }),
        { numRuns: Math.ceil(numRuns / 3) }
      )
    })
  }
}

// ---- arbitraries of canonical values (PostgreSQL's own output form) ----

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((d) => d.join(""))

const numericArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("NaN", "Infinity", "-Infinity", "0", "0.0000", "1", "-1", "10000", "9999.9999", "0.0001") },
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.boolean(), fc.oneof(fc.constant("0"), fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 60)).map(([a, b]) => `${a}${b}`)), fc.option(digits(1, 40)))
      .map(([negative, int, frac]) => {
        const body = frac === null ? int : `${int}.${frac}`
        const zero = /^[0.]*$/.test(body)
        return negative && !zero ? `-${body}` : body
      })
  }
)

const pad = (n: number, width: number): string => String(n).padStart(width, "0")
const leap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
const monthDays = (y: number, m: number): number => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!

/** Astronomical year, month, day within [4714-11-24 BC, maxYear-12-31]. */
const ymdArb = (maxYear: number) =>
  fc
    .tuple(
      fc.oneof(fc.integer({ min: -4712, max: maxYear }), fc.integer({ min: 1900, max: 2100 }), fc.constantFrom(-4713, 0, 1, maxYear)),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 31 })
    )
    .map(([y, m, d]) => {
      const day = Math.min(d, monthDays(y, m))
      if (y === -4713 && (m < 11 || (m === 11 && day < 24))) return [-4713, 11, 24 + (day % 7)] as const
      return [y, m, day] as const
    })

const ymdText = ([y, m, d]: readonly [number, number, number]): string => `${pad(y > 0 ? y : 1 - y, 4)}-${pad(m, 2)}-${pad(d, 2)}`
const bc = (y: number): string => (y <= 0 ? " BC" : "")

const fraction = (us: number): string => (us === 0 ? "" : "." + pad(us, 6).replace(/0+$/, ""))
const timeArb = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999999 }))).map(([h, m, s, us]) => `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${fraction(us)}`) },
  { weight: 1, arbitrary: fc.constant("24:00:00") }
)
const zoneArb = fc.integer({ min: -(15 * 3600 + 59 * 60 + 59), max: 15 * 3600 + 59 * 60 + 59 }).map((secs) => {
  const a = Math.abs(secs)
  const h = Math.floor(a / 3600)
  const m = Math.floor((a % 3600) / 60)
  const s = a % 60
  return (secs < 0 ? "-" : "+") + pad(h, 2) + (m || s ? ":" + pad(m, 2) : "") + (s ? ":" + pad(s, 2) : "")
})

const dateArb = fc.oneof(
  { weight: 20, arbitrary: ymdArb(5874897).map((d) => ymdText(d) + bc(d[0])) },
  { weight: 1, arbitrary: fc.constantFrom("infinity", "-infinity") }
)
const timeOfDayArb = timeArb.filter((t) => t !== "24:00:00")
const timestampArb = (suffix: string) =>
  fc.oneof(
    { weight: 20, arbitrary: fc.tuple(ymdArb(294276), timeOfDayArb).map(([d, t]) => `${ymdText(d)} ${t}${suffix}${bc(d[0])}`) },
    { weight: 1, arbitrary: fc.constantFrom("infinity", "-infinity") }
  )

const int32 = fc.integer({ min: -2147483648, max: 2147483647 })
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
const intervalFieldsArb = fc.record({
  months: fc.oneof(int32, fc.integer({ min: -30, max: 30 })),
  days: fc.oneof(int32, fc.integer({ min: -40, max: 40 })),
  microseconds: fc.oneof(int64, fc.bigInt({ min: -(10n ** 11n), max: 10n ** 11n }), fc.constant(0n))
})

/** The first JS Date PostgreSQL can store (4714-11-24 BC; JS dates reach further back). */
const PG_MIN_DATE = new Date(Date.UTC(-4713, 10, 24))

const textArb = fc.string({ unit: "grapheme", maxLength: 30 })

describe("scalar codecs", () => {
  roundTrips("bool", fc.boolean())
  roundTrips("int2", fc.integer({ min: -32768, max: 32767 }))
  roundTrips("int4", int32)
  roundTrips("int8", int64)
  roundTrips("oid", fc.integer({ min: 0, max: 4294967295 }))
  roundTrips("float4", fc.float())
  roundTrips("float8", fc.double())
  roundTrips("numeric", numericArb)
  roundTrips("text", textArb)
  roundTrips("varchar", textArb)
  roundTrips("bpchar", textArb)
  roundTrips("name", textArb)
  roundTrips("char", fc.oneof(fc.constant(""), fc.integer({ min: 1, max: 127 }).map((c) => String.fromCharCode(c)), fc.integer({ min: 128, max: 255 }).map((b) => "\\" + b.toString(8))))
  roundTrips("bytea", fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array(b)))
  roundTrips("uuid", fc.uuid())
  roundTrips("json", fc.json())
  roundTrips("jsonb", fc.json())
  roundTrips("date", dateArb)
  roundTrips("time", timeArb)
  roundTrips("timetz", fc.tuple(timeArb, zoneArb).map(([t, z]) => t + z))
  roundTrips("timestamp", timestampArb(""))
  roundTrips("timestamptz", timestampArb("+00"))
  roundTrips("interval", intervalFieldsArb.map(formatInterval))
})

describe("text and binary agree on non-canonical inputs", () => {
  const agree = (codec: AnyTypeCodec, v: unknown): void => {
    expect(textRoundTrip(codec, v)).toEqual(binaryRoundTrip(codec, v))
  }
  it("numeric from numbers, bigints and exponent syntax", () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.bigInt(), fc.tuple(fc.integer(), fc.integer({ min: -40, max: 40 })).map(([m, e]) => `${m}e${e}`)), (v) =>
        agree(PgTypes.numeric, v)
      ),
      { numRuns: NUM_RUNS }
    )
  })
  it("date, timestamp and timestamptz from JS Dates", () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true, min: PG_MIN_DATE }), (d) => {
        agree(PgTypes.date, d)
        agree(PgTypes.timestamp, d)
        agree(PgTypes.timestamptz, d)
        expect(timestampTextToDate(PgTypes.timestamptz.encodeText(d)).getTime()).toBe(d.getTime())
        expect(timestampTextToDate(dateToTimestampText(d)).getTime()).toBe(d.getTime())
        expect(dateTextToDate(dateToDateText(d)).getTime()).toBe(Math.floor(d.getTime() / 86400000) * 86400000)
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("timestamptz given with any zone is stored and shown in UTC", () => {
    fc.assert(
      fc.property(ymdArb(9999).filter((d) => d[0] > -4713), timeOfDayArb, zoneArb, (d, t, z) => {
        const text = `${ymdText(d)} ${t}${z}${bc(d[0])}`
        const value = PgTypes.timestamptz.decodeText(text)
        expect(value).toMatch(/\+00( BC)?$/)
        expect(binaryRoundTrip(PgTypes.timestamptz as AnyTypeCodec, text)).toBe(value)
        // The instant is unchanged: local time minus the offset.
        const sign = z[0] === "-" ? -1 : 1
        const [zh, zm = "0", zs = "0"] = z.slice(1).split(":")
        const offsetUs = BigInt(sign * (Number(zh) * 3600 + Number(zm) * 60 + Number(zs))) * 1000000n
        expect(timestampTextToMicros(value)).toBe(timestampTextToMicros(`${ymdText(d)} ${t}${bc(d[0])}`) - offsetUs)
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("interval fields survive text: parseInterval(formatInterval(x)) = x", () => {
    fc.assert(
      fc.property(intervalFieldsArb, (iv) => {
        expect(parseInterval(formatInterval(iv))).toEqual(iv)
        agree(PgTypes.interval, iv)
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("interval ISO 8601 and postgres forms give the same fields", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -100000, max: 100000 }), (mo, d, s) => {
        expect(parseInterval(`P${mo}M${d}DT${s}S`)).toEqual(parseInterval(`${mo} mons ${d} days ${s} seconds`))
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("microseconds and timestamp text convert both ways", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -211813488000000000n, max: 9223371331199999999n }), (us) => {
        expect(timestampTextToMicros(microsToTimestampText(us))).toBe(us)
        expect(timestampTextToMicros(microsToTimestampText(us, false))).toBe(us)
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("uuid in any accepted spelling", () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), fc.boolean(), (u, upper, braces) => {
        let s = upper ? u.toUpperCase() : u
        if (braces) s = `{${s}}`
        expect(PgTypes.uuid.decodeText(s)).toBe(u)
        expect(binaryRoundTrip(PgTypes.uuid as AnyTypeCodec, s)).toBe(u)
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("bytea in the escape format", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const escaped = Array.from(bytes, (b) => (b === 92 ? "\\\\" : b >= 32 && b < 127 ? String.fromCharCode(b) : "\\" + b.toString(8).padStart(3, "0"))).join("")
        expect(PgTypes.bytea.decodeText(escaped)).toEqual(new Uint8Array(bytes))
      }),
      { numRuns: NUM_RUNS }
    )
  })
  it("array text with arbitrary spacing, quoting and case of NULL", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer(), { nil: null }), { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom("", " ", "\t", "\n "), { minLength: 20, maxLength: 20 }), (values, spaces) => {
        const sp = (i: number) => spaces[i % spaces.length]!
        const text = `${sp(0)}{${values.map((v, i) => `${sp(i + 1)}${v === null ? (i % 2 ? "null" : "NULL") : i % 2 ? `"${v}"` : v}${sp(i + 2)}`).join(",")}}${sp(3)}`
        expect(PgTypes._int4.decodeText(text)).toEqual(values)
      }),
      { numRuns: NUM_RUNS }
    )
  })
})

describe("array text format details", () => {
  it("quotes what array_out quotes and nothing else", () => {
    expect(PgTypes._text.encodeText(["a", "", "NULL", "null", "a b", 'q"', "b\\s", "{", "}", ",", "x;y", null])).toBe(
      '{a,"","NULL","null","a b","q\\"","b\\\\s","{","}",",",x;y,NULL}'
    )
    expect(PgTypes._bytea.encodeText([new Uint8Array([1, 255])])).toBe('{"\\\\x01ff"}')
    expect(PgTypes._int4.encodeText([])).toBe("{}")
    expect(PgTypes._int4.encodeText([[1, 2], [3, null]])).toBe("{{1,2},{3,NULL}}")
  })
  it("uses the element type's delimiter (box is ';')", () => {
    const boxes = codecForOid(Oid._box)
    expect(boxes.decodeText("{(1,1),(0,0);(2,2),(1,1)}")).toEqual(["(1,1),(0,0)", "(2,2),(1,1)"])
    expect(boxes.encodeText(["(1,1),(0,0)", "(2,2),(1,1)"])).toBe("{(1,1),(0,0);(2,2),(1,1)}")
  })
  it("decodes 3-D arrays and rejects ragged ones", () => {
    expect(PgTypes._int4.decodeText("{{{1,2}},{{3,4}}}")).toEqual([[[1, 2]], [[3, 4]]])
    expect(binaryRoundTrip(PgTypes._int4 as AnyTypeCodec, [[[1, 2]], [[3, null]]])).toEqual([[[1, 2]], [[3, null]]])
    expect(() => PgTypes._int4.encodeText([[1, 2], [3]])).toThrow(TypeEncodeError)
    expect(() => PgTypes._int4.encodeText([1, [2]])).toThrow(TypeEncodeError)
    expect(PgTypes._int4.encodeText([[], []])).toBe("{}")
  })
})

describe("registry", () => {
  it("has a real codec for every promised type and its array", () => {
    const names = ["bool", "int2", "int4", "int8", "oid", "float4", "float8", "numeric", "text", "varchar", "bpchar", "name", "bytea", "uuid", "json", "jsonb", "date", "time", "timetz", "timestamp", "timestamptz", "interval"] as const
    for (const n of names) {
      expect(knownCodecForOid(Oid[n])?.name).toBe(n)
      expect(knownCodecForOid(Oid[`_${n}`])?.name).toBe(`_${n}`)
      expect(codecForOid(Oid[n]).arrayOid).toBe(Oid[`_${n}`])
    }
  })
  it("passes unknown types through as text", () => {
    const c = codecForOid(999999)
    expect(c.decodeText("anything")).toBe("anything")
    expect(c.encodeText(42)).toBe("42")
    expect(codecForOid(Oid.int4range).decodeText("[1,5)")).toBe("[1,5)")
    expect(codecForOid(Oid._int4range).decodeText('{"[1,5)",NULL}')).toEqual(["[1,5)", null])
    expect(codecForOid(Oid.unknown).decodeText("x")).toBe("x")
    expect(knownCodecForOid(Oid.int4range)).toBeUndefined()
  })
  it("infers a type for JS values", () => {
    expect(inferOid(true)).toBe(Oid.bool)
    expect(inferOid(1)).toBe(Oid.int4)
    expect(inferOid(2 ** 31)).toBe(Oid.int8)
    expect(inferOid(2 ** 60)).toBe(Oid.float8)
    expect(inferOid(1.5)).toBe(Oid.float8)
    expect(inferOid(1n)).toBe(Oid.int8)
    expect(inferOid("s")).toBe(Oid.text)
    expect(inferOid(new Uint8Array(1))).toBe(Oid.bytea)
    expect(inferOid(new Date())).toBe(Oid.timestamptz)
    expect(inferOid({ months: 1, days: 0, microseconds: 0n })).toBe(Oid.interval)
    expect(inferOid({ a: 1 })).toBe(Oid.jsonb)
    expect(inferOid(null)).toBe(Oid.unknown)
    expect(inferOid(undefined)).toBe(Oid.unknown)
    expect(inferOid([1, 2])).toBe(Oid._int4)
    expect(inferOid([null, 1, 2.5])).toBe(Oid._float8)
    expect(inferOid([1, 2n ** 40n])).toBe(Oid._int8)
    expect(inferOid([[true], [null]])).toBe(Oid._bool)
    expect(inferOid([])).toBe(Oid._text)
    expect(inferOid([null])).toBe(Oid._text)
    expect(inferOid(["a"])).toBe(Oid._text)
  })
  it("every inferred type's codec encodes the value", () => {
    const anyValue = fc.oneof(
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: false }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      textArb,
      fc.uint8Array().map((b) => new Uint8Array(b)),
      fc.date({ noInvalidDate: true, min: PG_MIN_DATE }),
      fc.array(fc.option(fc.integer(), { nil: null })),
      fc.array(fc.double()),
      fc.array(textArb)
    )
    fc.assert(
      fc.property(anyValue, (v) => {
        const codec = codecForOid(inferOid(v))
        expect(textRoundTrip(codec, v)).toEqual(binaryRoundTrip(codec, v))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})

describe("JS Date helpers", () => {
  it("refuse infinity and values outside the JS Date range with TypeDecodeError", () => {
    expect(() => timestampTextToDate("infinity")).toThrow(TypeDecodeError)
    expect(() => timestampTextToDate("280000-01-01 00:00:00")).toThrow(TypeDecodeError)
    expect(timestampTextToDate("2024-02-29 12:00:00.123456+00").toISOString()).toBe("2024-02-29T12:00:00.123Z")
    expect(dateToTimestampText(new Date("2024-02-29T12:00:00.123Z"))).toBe("2024-02-29 12:00:00.123+00")
    expect(dateToDateText(new Date("2024-02-29T23:59:59Z"))).toBe("2024-02-29")
    expect(dateTextToDate("2024-02-29").toISOString()).toBe("2024-02-29T00:00:00.000Z")
  })
})
