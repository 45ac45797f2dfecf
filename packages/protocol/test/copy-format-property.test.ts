// Property tests: rows encoded by our COPY encoders parse back to the same rows, for every
// format and option combination, however the bytes are chunked; the Stream helpers agree
// with the plain parser and encoder.
import { Chunk, Effect, FastCheck as fc, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import {
  CopyEncoder,
  type CopyOptions,
  decodeCopyStream,
  encodeCopyStream,
  makeCopyParser
} from "../src/copy/index.js"

// Characters that matter to some format: delimiters, quotes, escapes, line breaks, the
// end-of-data marker's parts, NULL lookalikes, control characters, multi-byte UTF-8.
const nasty = ["\t", ",", ";", "|", '"', "'", "`", "\\", ".", "N", "\n", "\r", "\r\n", " ", "a", "A", "x", "0", "7", "\b", "\f", "\v", "\x01", "\x7f", "é", "✓", "日本", "😀", "\\.", "\\N", "NULL", '""']
const value = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...nasty), { maxLength: 8 }).map((parts) => parts.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => s.replace(/\0/g, "")) }
)

const rowsOf = <A>(field: fc.Arbitrary<A>) =>
  fc.integer({ min: 1, max: 5 }).chain((width) =>
    fc.tuple(
      fc.constant(width),
      fc.array(fc.array(fc.option(field, { nil: null, freq: 4 }), { minLength: width, maxLength: width }), { maxLength: 12 })
    )
  )

/** Cut points over a byte length, as fractions so they scale to whatever the encoding produced. */
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 })

const chunk = (bytes: Uint8Array, fractions: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p))
    from = p
  }
  return out
}

const namesFor = (width: number) => Array.from({ length: width }, (_, i) => `col ${i}\t"${i}"`)

const encode = (options: CopyOptions, names: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | Uint8Array | null>>) => {
  const encoder = new CopyEncoder(options, { names })
  const w = new Writer(64)
  encoder.writeHeader(w)
  for (const row of rows) encoder.writeRow(w, row)
  encoder.writeTrailer(w)
  return w.take()
}

const parse = (options: CopyOptions, names: ReadonlyArray<string>, chunks: ReadonlyArray<Uint8Array>) => {
  const parser = makeCopyParser(options, { names })
  const rows: Array<Array<string | Uint8Array | null>> = []
  for (const c of chunks) {
    parser.push(c)
    for (let row = parser.next(); row !== undefined; row = parser.next()) rows.push(row)
  }
  rows.push(...parser.end())
  return rows
}

const single = (chars: string) => fc.constantFrom(...chars.split(""))

const textOptions: fc.Arbitrary<CopyOptions> = fc
  .record({
    delimiter: single("\t,|; A\x01"),
    // The NULL string is written raw, so one with other backslash sequences (NULL '\.', or
    // '\x' before a hex-digit delimiter) reads back differently, in PostgreSQL too.
    null: fc.constantFrom("\\N", "", "NULL", "<null>", "-"),
    header: fc.constantFrom<boolean | "match">(false, true, "match")
  })
  .filter((o) => !o.null.includes(o.delimiter))
  .map((o) => ({ format: "text" as const, ...o }))

const csvOptions: fc.Arbitrary<CopyOptions> = fc
  .record({
    delimiter: single(",;|\ta"),
    quote: single("\"'`"),
    escape: fc.option(single("\"'`\\,"), { nil: undefined }),
    null: fc.constantFrom("", "NULL", "\\N", "x"),
    header: fc.constantFrom<boolean | "match">(false, true, "match"),
    forceQuote: fc.option(fc.constantFrom<"*" | ReadonlyArray<string>>("*", ["col 0\t\"0\""]), { nil: undefined })
  })
  .filter((o) => o.delimiter !== o.quote && !o.null.includes(o.delimiter) && !o.null.includes(o.quote))
  .map(({ escape, forceQuote, ...o }) => ({
    format: "csv" as const,
    ...o,
    ...(escape === undefined ? {} : { escape }),
    ...(forceQuote === undefined ? {} : { forceQuote })
  }))

describe("COPY round trips", () => {
  it("text: rows parse back, whatever the options and chunking", () => {
    fc.assert(
      fc.property(textOptions, rowsOf(value), cuts, (options, [width, rows], fractions) => {
        // In text format a value equal to the NULL string is written as it and reads as NULL,
        // in PostgreSQL too (only `\N`, whose backslash gets escaped, is unambiguous).
        const clean = rows.map((r) => r.map((v) => (v === options.null ? v + "_" : v)))
        const names = namesFor(width)
        const bytes = encode(options, names, clean)
        expect(parse(options, names, chunk(bytes, fractions))).toEqual(clean)
      }),
      { numRuns: 400 }
    )
  })

  it("CSV: rows parse back, whatever the options and chunking", () => {
    fc.assert(
      fc.property(csvOptions, rowsOf(value), cuts, (options, [width, rows], fractions) => {
        const names = namesFor(width)
        const bytes = encode(options, names, rows)
        expect(parse(options, names, chunk(bytes, fractions))).toEqual(rows)
      }),
      { numRuns: 400 }
    )
  })

  it("binary: rows parse back, whatever the chunking", () => {
    fc.assert(
      fc.property(rowsOf(fc.uint8Array({ maxLength: 40 })), cuts, ([width, rows], fractions) => {
        const names = namesFor(width)
        const bytes = encode({ format: "binary" }, names, rows)
        const back = parse({ format: "binary" }, names, chunk(bytes, fractions))
        expect(back.map((r) => r.map((f) => (f === null ? null : Buffer.from(f as Uint8Array).toString("hex"))))).toEqual(
          rows.map((r) => r.map((f) => (f === null ? null : Buffer.from(f).toString("hex"))))
        )
      }),
      { numRuns: 300 }
    )
  })

  it("text and CSV byte by byte", () => {
    fc.assert(
      fc.property(fc.oneof(textOptions, csvOptions), rowsOf(value), (options, [width, rows]) => {
        const clean = options.format === "text" ? rows.map((r) => r.map((v) => (v === options.null ? v + "_" : v))) : rows
        const names = namesFor(width)
        const bytes = encode(options, names, clean)
        expect(parse(options, names, Array.from(bytes, (_, k) => bytes.subarray(k, k + 1)))).toEqual(clean)
      }),
      { numRuns: 100 }
    )
  })

  it("Stream helpers: encodeCopyStream then decodeCopyStream, rechunked", () => {
    const format = fc.constantFrom<CopyOptions>({ format: "text" }, { format: "csv", header: true }, { format: "binary" })
    fc.assert(
      fc.property(format, rowsOf(value), fc.integer({ min: 1, max: 50 }), (options, [width, rows], size) => {
        const names = namesFor(width)
        const fields: ReadonlyArray<ReadonlyArray<string | Uint8Array | null>> =
          options.format === "binary" ? rows.map((r) => r.map((v) => (v === null ? null : Buffer.from(v)))) : rows
        const program = Stream.fromIterable(fields).pipe(
          encodeCopyStream(options, { names }),
          Stream.mapConcat((b) => Array.from({ length: Math.ceil(b.length / size) }, (_, k) => b.subarray(k * size, (k + 1) * size))),
          decodeCopyStream(options, { names }),
          Stream.runCollect
        )
        const back = Chunk.toReadonlyArray(Effect.runSync(program))
        const norm = (r: ReadonlyArray<string | Uint8Array | null>) => r.map((f) => (f === null || typeof f === "string" ? f : Buffer.from(f).toString("utf8")))
        expect(back.map(norm)).toEqual(fields.map(norm))
      }),
      { numRuns: 150 }
    )
  })
})
