// COPY data captured from PostgreSQL 15 by scripts/capture-copy.mjs:
// - copy-golden.json + copy-*.bin: our encoders write PostgreSQL's exact COPY TO bytes
//   (text, CSV, binary; several option sets) from the cells' text/send output, and from
//   JS values through the type codecs; our parsers read PostgreSQL's bytes back to the same
//   cells at every split point (small captures) or in random chunkings (large ones);
// - copy-inputs.json: our parsers accept what PostgreSQL's COPY FROM accepts, with the
//   same rows, and reject what it rejects, with its SQLSTATE, message and line, however
//   the input is chunked;
// - copy-statements.json: parseCopyStatement accepts and refuses the statements PostgreSQL does.
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import {
  CopyEncoder,
  CopyFormatError,
  CopyOptionsError,
  type CopyOptions,
  makeCopyParser,
  parseCopyStatement
} from "../src/copy/index.js"
import { codecForOid } from "../src/types/index.js"

type Cell = null | [text: string, sendHex: string]
interface Column {
  readonly name: string
  readonly oid: number
  readonly type: string
}
interface Capture {
  readonly name: string
  readonly sql: string
  readonly options: CopyOptions
  readonly columns?: ReadonlyArray<string>
  readonly file: string
}
interface Golden {
  readonly columns: ReadonlyArray<Column>
  readonly rows: ReadonlyArray<ReadonlyArray<Cell>>
  readonly captures: ReadonlyArray<Capture>
  readonly big: {
    readonly columns: ReadonlyArray<Column>
    readonly rows: ReadonlyArray<ReadonlyArray<Cell>>
    readonly captures: ReadonlyArray<Capture>
  }
}
interface PgError {
  readonly code: string
  readonly message: string
  readonly where?: string
}
interface InputCase {
  readonly name: string
  readonly sql: string
  readonly options: CopyOptions
  readonly columns: ReadonlyArray<string>
  readonly input: string
  readonly result: { readonly rows: Array<Array<string | null>> } | { readonly error: PgError }
  readonly difference?: string
}
interface StatementCase {
  readonly sql: string
  readonly result: { readonly ok: true } | { readonly error: PgError }
}

const here = path.dirname(fileURLToPath(import.meta.url))
const goldenDir = path.join(here, "golden")
const readJson = <A>(name: string): A => JSON.parse(fs.readFileSync(path.join(goldenDir, name), "utf8"))
const golden = readJson<Golden>("copy-golden.json")
const inputs = readJson<{ cases: ReadonlyArray<InputCase> }>("copy-inputs.json").cases
const statements = readJson<{ statements: ReadonlyArray<StatementCase> }>("copy-statements.json").statements
const bytesOf = (file: string): Buffer => fs.readFileSync(path.join(goldenDir, file))

// ---- chunkings ----

/** Deterministic xorshift, so a failure names a reproducible chunking. */
const rng = (seed: number) => () => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 2 ** 32
}

const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    out.push(bytes.subarray(from, cut))
    from = cut
  }
  return out
}

const randomChunkings = (bytes: Uint8Array, count: number, seed: number): Array<Array<Uint8Array>> => {
  const next = rng(seed)
  return Array.from({ length: count }, () => {
    const cuts: Array<number> = []
    let at = 0
    for (;;) {
      at += 1 + Math.floor(next() * next() * 200)
      if (at >= bytes.length) break
      cuts.push(at)
    }
    return splitAt(bytes, cuts)
  })
}

const everySplit = (bytes: Uint8Array): Array<Array<Uint8Array>> =>
  Array.from({ length: bytes.length + 1 }, (_, k) => splitAt(bytes, [k]))

const bytewise = (bytes: Uint8Array): Array<Uint8Array> => Array.from(bytes, (_, k) => bytes.subarray(k, k + 1))

type Outcome = { rows: Array<Array<string | null>> } | { error: CopyFormatError }

/** Runs a parser over chunks, draining rows after each push, as a server would. Rows are normalized to strings (binary: hex). */
const parseChunks = (options: CopyOptions, chunks: ReadonlyArray<Uint8Array>, names?: ReadonlyArray<string>, hex = true): Outcome => {
  const parser = makeCopyParser(options, names === undefined ? undefined : { names })
  const rows: Array<Array<string | null>> = []
  const norm = (row: ReadonlyArray<string | Uint8Array | null>) =>
    row.map((f) => (f === null || typeof f === "string" ? f : Buffer.from(f).toString(hex ? "hex" : "utf8")))
  try {
    for (const chunk of chunks) {
      parser.push(chunk)
      for (let row = parser.next(); row !== undefined; row = parser.next()) rows.push(norm(row))
    }
    for (const row of parser.end()) rows.push(norm(row))
    return { rows }
  } catch (e) {
    if (e instanceof CopyFormatError) return { error: e }
    throw e
  }
}

const describeOutcome = (o: Outcome) => ("error" in o ? { error: [o.error.sqlState, o.error.reason, o.error.line] } : o)

// ---- COPY TO output ----

const expectedRows = (rows: ReadonlyArray<ReadonlyArray<Cell>>, capture: Capture, all: ReadonlyArray<Column>) => {
  const indexes = capture.columns?.map((n) => all.findIndex((c) => c.name === n)) ?? all.map((_, i) => i)
  const binary = capture.options.format === "binary"
  return rows.map((r) => indexes.map((i) => (r[i] === null ? null : binary ? r[i]![1] : r[i]![0])))
}

const namesOf = (capture: Capture, all: ReadonlyArray<Column>) => capture.columns ?? all.map((c) => c.name)

const encodeFields = (capture: Capture, all: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<string | null>>): Buffer => {
  const encoder = new CopyEncoder(capture.options, { names: namesOf(capture, all) })
  const w = new Writer(256)
  encoder.writeHeader(w)
  const binary = capture.options.format === "binary"
  for (const row of rows) encoder.writeRow(w, binary ? row.map((f) => (f === null ? null : Buffer.from(f, "hex"))) : row)
  encoder.writeTrailer(w)
  return w.take()
}

const encodeValues = (capture: Capture, all: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<Cell>>): Buffer => {
  const names = namesOf(capture, all)
  const columns = names.map((n) => all.find((c) => c.name === n)!)
  const encoder = new CopyEncoder(capture.options, { names, oids: columns.map((c) => c.oid) })
  const w = new Writer(256)
  encoder.writeHeader(w)
  for (const r of rows) {
    const values = columns.map((c) => {
      const cell = r[all.indexOf(c)]!
      return cell === null ? null : codecForOid(c.oid).decodeText(cell[0])
    })
    encoder.writeValues(w, values)
  }
  encoder.writeTrailer(w)
  return w.take()
}

const checkCapture = (capture: Capture, all: ReadonlyArray<Column>, cells: ReadonlyArray<ReadonlyArray<Cell>>, small: boolean) => {
  describe(`${capture.name}: ${capture.sql.length > 90 ? capture.sql.slice(0, 90) + "…" : capture.sql}`, () => {
    const bytes = bytesOf(capture.file)
    const rows = expectedRows(cells, capture, all)
    const names = namesOf(capture, all)

    it("our encoder writes PostgreSQL's bytes from the cells' text / send output", () => {
      expect(encodeFields(capture, all, rows).equals(bytes)).toBe(true)
    })

    it("our encoder writes PostgreSQL's bytes from JS values through the type codecs", () => {
      expect(encodeValues(capture, all, cells).equals(bytes)).toBe(true)
    })

    it("our parser reads PostgreSQL's bytes back to the cells", () => {
      expect(parseChunks(capture.options, [bytes], names)).toEqual({ rows })
    })

    if (small) {
      it("at every split point, and byte by byte", () => {
        for (const chunks of everySplit(bytes)) expect(parseChunks(capture.options, chunks, names)).toEqual({ rows })
        expect(parseChunks(capture.options, bytewise(bytes), names)).toEqual({ rows })
      })
    } else {
      it("in random chunkings", () => {
        for (const chunks of randomChunkings(bytes, 20, 0x9e3779b9)) {
          expect(parseChunks(capture.options, chunks, names)).toEqual({ rows })
        }
      })
    }
  })
}

describe("COPY TO output of PostgreSQL 15", () => {
  it("covers text, CSV and binary, and every column kind", () => {
    expect(new Set(golden.captures.map((c) => c.options.format))).toEqual(new Set(["text", "csv", "binary"]))
    expect(golden.columns.map((c) => c.type)).toEqual(
      expect.arrayContaining(["text", "bytea", "numeric", "date", "timestamptz", "_text", "_int4", "jsonb"])
    )
    const texts = golden.rows.map((r) => r[1]?.[0])
    for (const nasty of ["\t", "\n", "\r", "\\", '"', ",", "\\.", "\\N", "", "✓"]) {
      expect(texts.some((t) => t?.includes(nasty)), JSON.stringify(nasty)).toBe(true)
    }
    expect(golden.rows.some((r) => r[1] === null)).toBe(true)
  })
  for (const capture of golden.captures) checkCapture(capture, golden.columns, golden.rows, true)
  for (const capture of golden.big.captures) checkCapture(capture, golden.big.columns, golden.big.rows, false)
})

// ---- COPY FROM input ----

const lineOf = (where: string | undefined): number => {
  const m = where === undefined ? null : /line (\d+)/.exec(where)
  return m === null ? 0 : Number(m[1])
}

describe("COPY FROM input, as PostgreSQL 15 reads it", () => {
  it("covers every format, accepted and refused input", () => {
    for (const format of ["text", "csv", "binary"]) {
      const cases = inputs.filter((c) => c.options.format === format)
      expect(cases.filter((c) => "rows" in c.result).length).toBeGreaterThan(5)
      expect(cases.filter((c) => "error" in c.result).length).toBeGreaterThan(5)
    }
  })

  for (const c of inputs) {
    it(`${c.name}${"error" in c.result ? ` → ${c.result.error.code} ${c.result.error.message}` : ""}`, () => {
      const input = Buffer.from(c.input, "base64")
      const expected: unknown =
        "rows" in c.result
          ? { rows: c.result.rows }
          : { error: [c.result.error.code, c.result.error.message, lineOf(c.result.error.where)] }
      const run = (chunks: ReadonlyArray<Uint8Array>) => describeOutcome(parseChunks(c.options, chunks, c.columns, false))
      if (c.difference !== undefined) {
        // binary-no-trailer: PostgreSQL accepts it, we require the trailer.
        expect(expected).toEqual({ rows: [["a", "b", "c"]] })
        expect(run([input])).toEqual({ error: ["22P04", "unexpected EOF in COPY data: missing the file trailer (int16 -1)", 1] })
        return
      }
      expect(run([input])).toEqual(expected)
      for (const chunks of everySplit(input)) expect(run(chunks)).toEqual(expected)
      expect(run(bytewise(input))).toEqual(expected)
    })
  }
})

// ---- statements ----

// Where we knowingly differ from PostgreSQL 15, and why.
const statementDifferences: Record<string, { readonly ours: "ok" | string; readonly why: string }> = {
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_QUOTE (c))": {
    ours: "42P10",
    why: "PostgreSQL knows the table has no column c (42703); we only see that c is not in the column list"
  },
  "COPY opt_t (a, b) FROM STDIN (FORMAT csv, FORCE_NOT_NULL *)": {
    ours: "ok",
    why: "FORCE_NOT_NULL * is PostgreSQL 17 syntax; we accept it"
  },
  "COPY opt_t FROM STDIN (ENCODING 'LATIN1')": {
    ours: "0A000",
    why: "our parsers and encoders read and write UTF-8 only"
  }
}

// Errors PostgreSQL raises after accepting the statement: reading the (empty) data, or FREEZE on an old table.
const afterParse = new Set(["22P04", "55000"])

describe("parseCopyStatement against PostgreSQL 15", () => {
  for (const s of statements) {
    const pg = "ok" in s.result ? "ok" : afterParse.has(s.result.error.code) ? "ok" : s.result.error.code
    const difference = statementDifferences[s.sql]
    it(`${s.sql} → ${pg}${difference ? ` (ours: ${difference.ours}: ${difference.why})` : ""}`, () => {
      let ours: string
      let error: CopyOptionsError | undefined
      try {
        const parsed = parseCopyStatement(s.sql)
        expect(parsed).toBeDefined()
        ours = "ok"
      } catch (e) {
        if (!(e instanceof CopyOptionsError)) throw e
        error = e
        ours = e.sqlState
      }
      if (difference !== undefined) {
        expect(ours).toBe(difference.ours)
        expect(pg).not.toBe(difference.ours)
        return
      }
      expect(ours).toBe(pg)
      if (error !== undefined && "error" in s.result) expect(error.reason).toBe(s.result.error.message)
    })
  }
})
