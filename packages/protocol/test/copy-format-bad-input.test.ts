// Bad COPY data: every failure is a typed CopyFormatError (never a RangeError/TypeError or a
// hang), wherever the input is cut; fuzzed and mutated input only ever parses or fails typed;
// the parsers keep no more than the row in progress.
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import {
  CopyBinaryParser,
  CopyCsvParser,
  CopyEncoder,
  CopyFormatError,
  type CopyOptions,
  CopyOptionsError,
  CopyTextParser,
  makeCopyParser,
  MAX_COPY_BINARY_FIELD
} from "../src/copy/index.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const capture = (name: string) => fs.readFileSync(path.join(here, "golden", `copy-${name}.bin`))

type Outcome = { rows: number } | { error: CopyFormatError }

/** Parses chunks, draining after each push; returns the row count or the typed error. Anything else is thrown. */
const run = (options: CopyOptions, chunks: ReadonlyArray<Uint8Array>, columns?: { count?: number; names?: ReadonlyArray<string> }): Outcome => {
  const parser = makeCopyParser(options, columns)
  let rows = 0
  try {
    for (const chunk of chunks) {
      parser.push(chunk)
      while (parser.next() !== undefined) rows++
    }
    rows += parser.end().length
    return { rows }
  } catch (e) {
    if (e instanceof CopyFormatError) return { error: e }
    throw e
  }
}

const failure = (options: CopyOptions, input: Uint8Array | string, columns?: { count?: number; names?: ReadonlyArray<string> }) => {
  const bytes = typeof input === "string" ? Buffer.from(input, "latin1") : input
  const outcome = run(options, [bytes], columns)
  if (!("error" in outcome)) throw new Error(`expected a CopyFormatError, parsed ${outcome.rows} rows`)
  const e = outcome.error
  expect(e._tag).toBe("CopyFormatError")
  // The same error however the input is cut.
  for (let k = 0; k <= bytes.length; k++) {
    const split = run(options, [bytes.subarray(0, k), bytes.subarray(k)], columns)
    expect("error" in split && [split.error.reason, split.error.line, split.error.sqlState]).toEqual([e.reason, e.line, e.sqlState])
  }
  return e
}

const binaryHeader = () => Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0", "latin1")
const int32 = (v: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(v)
  return b
}
const int16 = (v: number) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(v)
  return b
}

describe("text format: bad input", () => {
  it("invalid UTF-8, also when the bad byte arrives in a later chunk", () => {
    const e = failure({ format: "text" }, Buffer.from([0x61, 0x09, 0xe2, 0x9c, 0x0a]))
    expect([e.sqlState, e.reason, e.line]).toEqual(["22021", 'invalid byte sequence for encoding "UTF8": 0xe2 0x9c 0x0a', 1])
  })

  it("escapes that de-escape to NUL or to invalid UTF-8", () => {
    expect(failure({ format: "text" }, "ok\n\\000\n").line).toBe(2)
    expect(failure({ format: "text" }, "\\xe2\\x9c\n").reason).toBe('invalid byte sequence for encoding "UTF8": 0xe2 0x9c')
    expect(failure({ format: "text" }, "\\355\\240\\200\n").sqlState).toBe("22021") // a UTF-16 surrogate
  })

  it("wrong column counts, by count or by names", () => {
    expect(failure({ format: "text" }, "a\tb\tc\n", { count: 2 }).reason).toBe("extra data after last expected column")
    expect(failure({ format: "text" }, "a\n", { count: 2 }).reason).toBe("missing data for column 2")
    expect(failure({ format: "text" }, "a\n", { names: ["x", "y"] }).reason).toBe('missing data for column "y"')
    expect(failure({ format: "text" }, "\n\nx\n", { count: 0 }).line).toBe(3)
  })

  it("line terminators that change style, and corrupt end markers", () => {
    expect(failure({ format: "text" }, "a\rb\r\nc\n").reason).toBe("literal newline found in data")
    expect(failure({ format: "text" }, "a\nb\\.c\n").reason).toBe("end-of-copy marker corrupt")
    expect(failure({ format: "text" }, "a\r\\.\n").reason).toBe("end-of-copy marker does not match previous newline style")
  })

  it("HEADER MATCH against the wrong names", () => {
    expect(failure({ format: "text", header: "match" }, "a\tb\n", { names: ["a", "c"] }).reason).toBe(
      'column name mismatch in header line field 2: got "b", expected "c"'
    )
  })
})

describe("CSV: bad input", () => {
  it("an unterminated quoted field, at the end or before it", () => {
    expect(failure({ format: "csv" }, 'a,"b\n\nc').reason).toBe("unterminated CSV quoted field")
    expect(failure({ format: "csv" }, '"').reason).toBe("unterminated CSV quoted field")
  })

  it("reports the line where PostgreSQL does, counting newlines inside quotes", () => {
    const e = failure({ format: "csv" }, 'a,b\n"x\ny\nz",1\nonly\n', { count: 2 })
    expect([e.reason, e.line]).toEqual(["missing data for column 2", 5])
  })

  it("bare carriage returns and newlines of the other style", () => {
    expect(failure({ format: "csv" }, "a,b\r\nc\rd\r\n").reason).toBe("unquoted carriage return found in data")
    expect(failure({ format: "csv" }, "a,b\rc\nd\r").reason).toBe("unquoted newline found in data")
  })
})

describe("binary: bad input", () => {
  const valid = capture("binary")

  it("every truncation of a valid stream fails typed at end()", () => {
    for (let k = 0; k < valid.length; k++) {
      const outcome = run({ format: "binary" }, [valid.subarray(0, k)])
      expect("error" in outcome, `prefix of ${k} bytes`).toBe(true)
    }
    expect(run({ format: "binary" }, [valid])).toEqual({ rows: 16 })
  })

  it("a bad signature fails as soon as its first wrong byte arrives", () => {
    const parser = new CopyBinaryParser()
    parser.push(Buffer.from("PGX"))
    expect(() => parser.next()).toThrow(CopyFormatError)
  })

  it("field lengths past the data or out of range", () => {
    const tooLong = Buffer.concat([binaryHeader(), int16(1), int32(MAX_COPY_BINARY_FIELD + 1), Buffer.from("x")])
    const parser = new CopyBinaryParser()
    parser.push(tooLong)
    // Refused at once, without waiting for a gigabyte that will never come.
    expect(() => parser.next()).toThrow(expect.objectContaining({ _tag: "CopyFormatError", reason: "invalid field size" }))
    const past = Buffer.concat([binaryHeader(), int16(1), int32(1000), Buffer.from("short"), int16(-1)])
    expect(failure({ format: "binary" }, past).reason).toBe("unexpected EOF in COPY data")
    const negativeCount = Buffer.concat([binaryHeader(), int16(-2), int16(-1)])
    expect(failure({ format: "binary" }, negativeCount).reason).toBe("row field count is -2, expected a count >= 0")
  })

  it("data after the trailer, in a later chunk", () => {
    const parser = new CopyBinaryParser()
    parser.push(Buffer.concat([binaryHeader(), int16(-1)]))
    expect(parser.next()).toBeUndefined()
    expect(parser.finished).toBe(true)
    parser.push(Buffer.from([0]))
    expect(() => parser.next()).toThrow(expect.objectContaining({ reason: "received copy data after EOF marker" }))
  })

  it("a header extension split over many chunks is skipped", () => {
    const ext = Buffer.alloc(1000, 7)
    const bytes = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0\0\0\0\0", "latin1"), int32(ext.length), ext, int16(0), int16(-1)])
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, k) => bytes.subarray(k * 7, k * 7 + 7))
    expect(run({ format: "binary" }, chunks)).toEqual({ rows: 1 })
    expect("error" in run({ format: "binary" }, [bytes.subarray(0, 500)])).toBe(true)
  })
})

describe("API misuse is typed too", () => {
  it("push after end(), options PostgreSQL refuses, HEADER MATCH without names", () => {
    const p = new CopyTextParser()
    p.end()
    expect(() => p.push(Buffer.from("x\n"))).toThrow(CopyFormatError)
    expect(() => new CopyCsvParser({ delimiter: '"' })).toThrow(CopyOptionsError)
    expect(() => new CopyTextParser({ header: "match" })).toThrow(CopyOptionsError)
    expect(() => makeCopyParser({ format: "xml" as "text" })).toThrow(CopyOptionsError)
    expect(() => new CopyCsvParser({ forceNull: ["nope"] }, { names: ["a"] })).toThrow(
      expect.objectContaining({ sqlState: "42P10", reason: 'FORCE_NULL column "nope" not referenced by COPY' })
    )
  })
})

describe("fuzzing", () => {
  const formats: ReadonlyArray<CopyOptions> = [
    { format: "text" },
    { format: "text", header: true, delimiter: ",", null: "" },
    { format: "csv" },
    { format: "csv", header: true, escape: "\\", quote: "'" },
    { format: "binary" }
  ]

  const cut = (bytes: Uint8Array, at: ReadonlyArray<number>) => {
    const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b)
    const out: Array<Uint8Array> = []
    let from = 0
    for (const p of [...points, bytes.length]) {
      out.push(bytes.subarray(from, p))
      from = p
    }
    return out
  }

  it("random bytes parse or fail with CopyFormatError, however chunked", () => {
    const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(9, 10, 13, 92, 46, 34, 44, 0xff, 0))
    fc.assert(
      fc.property(
        fc.constantFrom(...formats),
        fc.array(byte, { maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        (options, bytes, at, count) => {
          const input = Uint8Array.from(bytes)
          const columns = count === undefined ? undefined : { count }
          const whole = run(options, [input], columns)
          // Chunking never changes the outcome.
          const chunked = run(options, cut(input, at), columns)
          const key = (o: Outcome) => ("error" in o ? [o.error.reason, o.error.line] : o.rows)
          expect(key(chunked)).toEqual(key(whole))
        }
      ),
      { numRuns: 1500 }
    )
  })

  it("PostgreSQL's captures with one byte changed parse or fail typed", () => {
    const cases: ReadonlyArray<[CopyOptions, Buffer]> = [
      [{ format: "text" }, capture("text")],
      [{ format: "csv", header: true }, capture("csv-header")],
      [{ format: "binary" }, capture("binary")]
    ]
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.nat(), fc.integer({ min: 0, max: 255 }), ([options, bytes], at, v) => {
        const mutated = Buffer.from(bytes)
        mutated[at % mutated.length] = v
        run(options, [mutated])
        run(options, cut(mutated, [at, at * 7, at * 13]))
      }),
      { numRuns: 1500 }
    )
  })
})

describe("memory", () => {
  const rowsFor = (n: number) =>
    Array.from({ length: n }, (_, i) => [String(i), "x".repeat(i % 300), i % 5 === 0 ? null : `a\tb\n"c",${i}`])

  for (const options of [{ format: "text" }, { format: "csv" }, { format: "binary" }] as const) {
    it(`${options.format}: after draining, only the row in progress is kept`, () => {
      const encoder = new CopyEncoder(options, { count: 3 })
      const w = new Writer()
      encoder.writeHeader(w)
      let longest = 0
      for (const row of rowsFor(3000)) {
        const before = w.length
        if (options.format === "binary") encoder.writeRow(w, row.map((f) => (f === null ? null : Buffer.from(f))))
        else encoder.writeRow(w, row)
        longest = Math.max(longest, w.length - before)
      }
      encoder.writeTrailer(w)
      const bytes = w.take()
      const parser = makeCopyParser(options, { count: 3 })
      let rows = 0
      let maxPending = 0
      for (let at = 0; at < bytes.length; at += 1000) {
        parser.push(bytes.subarray(at, at + 1000))
        while (parser.next() !== undefined) rows++
        maxPending = Math.max(maxPending, parser.pendingBytes)
      }
      rows += parser.end().length
      expect(rows).toBe(3000)
      expect(bytes.length).toBeGreaterThan(400_000)
      // The header (binary: 19 bytes) may wait for the first row; nothing else accumulates.
      expect(maxPending).toBeLessThan(longest + 20)
    })
  }

  it("one large row in many small chunks", () => {
    const big = "y".repeat(2_000_000)
    const w = new Writer()
    const encoder = new CopyEncoder({ format: "csv" })
    encoder.writeRow(w, [big, "z"])
    const bytes = w.take()
    const parser = new CopyCsvParser()
    let row: Array<string | null> | undefined
    for (let at = 0; at < bytes.length; at += 4096) {
      parser.push(bytes.subarray(at, at + 4096))
      row = parser.next() ?? row
    }
    expect(row).toEqual([big, "z"])
  })
})
