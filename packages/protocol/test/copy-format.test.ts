// The COPY format API piece by piece: statement parsing, option defaults, exact encoder
// output for the tricky values, value conversion through codecs, the end-of-data marker,
// FORCE_* options, and the Stream helpers' error channel.
import { Cause, Chunk, Effect, Exit, Option, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Writer } from "../src/buffer/Writer.js"
import {
  CopyBinaryParser,
  CopyCsvParser,
  CopyEncodeError,
  CopyEncoder,
  CopyFormatError,
  CopyOptionsError,
  CopyTextParser,
  decodeCopyStream,
  decodeCopyValues,
  encodeCopyCsvRow,
  encodeCopyTextRow,
  encodeCopyTextValues,
  encodeCopyValuesStream,
  parseCopyRows,
  parseCopyStatement,
  resolveCopyOptions
} from "../src/copy/index.js"
import { Oid, TypeEncodeError } from "../src/types/index.js"

const bytes = (s: string) => Buffer.from(s, "utf8")
const written = (f: (w: Writer) => void): string => {
  const w = new Writer(8)
  f(w)
  return w.take().toString("utf8")
}

describe("parseCopyStatement", () => {
  it("is undefined for other statements and for files and programs", () => {
    for (const sql of [
      "SELECT 1",
      "copyright",
      "  -- copy\nSELECT 'COPY t FROM STDIN'",
      "COPY t TO '/tmp/x'",
      "COPY t FROM '/tmp/x' (FORMAT xml)",
      "COPY t FROM PROGRAM 'cat'",
      "COPY (SELECT 1) TO PROGRAM 'cat'"
    ]) {
      expect(parseCopyStatement(sql), sql).toBeUndefined()
    }
  })

  it("reads tables, schemas, quoted names and column lists", () => {
    expect(parseCopyStatement('COPY "My Schema"."T" (a, "B c") FROM STDIN')).toEqual({
      direction: "from",
      source: "stdin",
      schema: "My Schema",
      table: "T",
      columns: ["a", "B c"],
      options: { format: "text" }
    })
    expect(parseCopyStatement("copy db.Public.Items to stdout")).toEqual({
      direction: "to",
      source: "stdout",
      schema: "public",
      table: "items",
      options: { format: "text" }
    })
  })

  it("keeps the query of COPY (query) TO STDOUT as written", () => {
    const sql = "COPY (SELECT ')' AS a, $q$ ) $q$, \"x)\" /* ) */ FROM t WHERE (b > 1)) TO STDOUT WITH (FORMAT csv)"
    expect(parseCopyStatement(sql)).toEqual({
      direction: "to",
      source: "stdout",
      query: "SELECT ')' AS a, $q$ ) $q$, \"x)\" /* ) */ FROM t WHERE (b > 1)",
      options: { format: "csv" }
    })
  })

  it("maps both option syntaxes to the same options", () => {
    const modern = parseCopyStatement(
      "COPY t (a, b) TO STDOUT WITH (FORMAT csv, HEADER, DELIMITER E'\\t', NULL '', QUOTE '''', ESCAPE '\\', FORCE_QUOTE (a, b), ENCODING 'UTF8')"
    )
    const legacy = parseCopyStatement(
      "COPY t (a, b) TO STDOUT WITH CSV HEADER DELIMITER AS E'\\011' NULL AS '' QUOTE AS '''' ESCAPE AS '\\' FORCE QUOTE a, b ENCODING 'UTF8'"
    )
    expect(modern?.options).toEqual({
      format: "csv",
      header: true,
      delimiter: "\t",
      null: "",
      quote: "'",
      escape: "\\",
      forceQuote: ["a", "b"],
      encoding: "UTF8"
    })
    expect(legacy?.options).toEqual(modern?.options)
    expect(parseCopyStatement("COPY BINARY t FROM STDIN")?.options).toEqual({ format: "binary" })
    expect(parseCopyStatement("COPY t FROM STDIN USING DELIMITERS '|' WITH NULL AS 'x'")?.options).toEqual({
      format: "text",
      delimiter: "|",
      null: "x"
    })
    expect(parseCopyStatement("COPY t FROM STDIN (FORMAT csv, HEADER MATCH, FREEZE 1, FORCE_NULL (a), FORCE_NOT_NULL *)")?.options).toEqual({
      format: "csv",
      header: "match",
      freeze: true,
      forceNull: ["a"],
      forceNotNull: "*"
    })
  })

  it("keeps the WHERE condition of COPY FROM", () => {
    expect(parseCopyStatement("COPY t FROM STDIN (FORMAT csv) WHERE a > 1 AND b = ';' ;")?.where).toBe("a > 1 AND b = ';'")
  })

  it("refuses malformed statements with PostgreSQL's SQLSTATE", () => {
    const code = (sql: string) => {
      try {
        parseCopyStatement(sql)
        return "ok"
      } catch (e) {
        expect(e).toBeInstanceOf(CopyOptionsError)
        return (e as CopyOptionsError).sqlState
      }
    }
    expect(code("COPY t FROM STDIN (DELIMITER 'x")).toBe("42601")
    expect(code("COPY t FROM STDIN (DELIMITER ',') extra")).toBe("42601")
    expect(code("COPY t (a) TO STDOUT (FORMAT csv, FORCE_QUOTE (b))")).toBe("42P10")
    expect(code('COPY "" FROM STDIN')).toBe("42601")
    expect(code("COPY t FROM STDIN; COPY u FROM STDIN")).toBe("42601")
  })
})

describe("resolveCopyOptions", () => {
  it("fills PostgreSQL's defaults per format", () => {
    expect(resolveCopyOptions({ format: "text" })).toMatchObject({ delimiter: "\t", null: "\\N", header: false })
    expect(resolveCopyOptions({ format: "csv" })).toMatchObject({ delimiter: ",", null: "", quote: '"', escape: '"' })
    expect(resolveCopyOptions({ format: "csv", quote: "'" }).escape).toBe("'")
  })

  it("checks direction-specific options only when given a direction", () => {
    expect(() => resolveCopyOptions({ format: "csv", forceQuote: "*" })).not.toThrow()
    expect(() => resolveCopyOptions({ format: "csv", forceQuote: "*" }, "from")).toThrow(CopyOptionsError)
    expect(() => resolveCopyOptions({ format: "csv", header: "match" }, "to")).toThrow(CopyOptionsError)
    expect(() => resolveCopyOptions({ format: "text", encoding: "latin1" })).toThrow(CopyOptionsError)
  })
})

describe("encoders: PostgreSQL's escaping", () => {
  it("text: backslash, delimiter and \\b \\f \\n \\r \\t \\v escaped; other control characters raw", () => {
    expect(written((w) => encodeCopyTextRow(w, ["a\tb", "c\\d", null, "e\nf\r\x01\b\f\v\x7f", "é😀", ""]))).toBe(
      "a\\tb\tc\\\\d\t\\N\te\\nf\\r\x01\\b\\f\\v\x7f\té😀\t\n"
    )
    expect(written((w) => encodeCopyTextRow(w, ["a|b", "x\x01y"], resolveCopyOptions({ format: "text", delimiter: "|" })))).toBe(
      "a\\|b|x\x01y\n"
    )
    // A control-character delimiter without a letter escape is written as backslash + itself.
    expect(written((w) => encodeCopyTextRow(w, ["a\x01b", "c"], resolveCopyOptions({ format: "text", delimiter: "\x01" })))).toBe(
      "a\\\x01b\x01c\n"
    )
  })

  it("CSV: quotes only what needs it, and values equal to the NULL string", () => {
    const o = resolveCopyOptions({ format: "csv", null: "NULL" })
    expect(written((w) => encodeCopyCsvRow(w, ["", null, "a,b", 'q"q', "x\ny", "plain", "NULL", "\\.", "c\rd"], o))).toBe(
      ',NULL,"a,b","q""q","x\ny",plain,"NULL",\\.,"c\rd"\n'
    )
    expect(written((w) => encodeCopyCsvRow(w, ["", null]))).toBe('"",\n')
    expect(written((w) => encodeCopyCsvRow(w, ["\\."]))).toBe('"\\."\n')
    const escaped = resolveCopyOptions({ format: "csv", escape: "\\" })
    expect(written((w) => encodeCopyCsvRow(w, ['a"b\\c', "d\\e"], escaped))).toBe('"a\\"b\\\\c",d\\e\n')
  })

  it("CSV: FORCE_QUOTE by name or *, never for NULL", () => {
    const byName = new CopyEncoder({ format: "csv", forceQuote: ["b"] }, { names: ["a", "b"] })
    expect(written((w) => (byName.writeRow(w, ["x", "y"]), byName.writeRow(w, ["x", null])))).toBe('x,"y"\nx,\n')
    const all = new CopyEncoder({ format: "csv", forceQuote: "*" })
    expect(written((w) => all.writeRow(w, ["x", "", null]))).toBe('"x","",\n')
    expect(() => new CopyEncoder({ format: "csv", forceQuote: ["c"] }, { names: ["a"] })).toThrow(CopyOptionsError)
  })

  it("HEADER lines, escaped like data", () => {
    const text = new CopyEncoder({ format: "text", header: true }, { names: ["a\tb", "c"] })
    expect(written((w) => text.writeHeader(w))).toBe("a\\tb\tc\n")
    const csv = new CopyEncoder({ format: "csv", header: "match" }, { names: ["a,b", "c"] })
    expect(written((w) => csv.writeHeader(w))).toBe('"a,b",c\n')
    expect(() => new CopyEncoder({ format: "csv", header: true })).toThrow(CopyOptionsError)
  })

  it("refuses rows it cannot write, leaving the writer as it was", () => {
    const w = new Writer(8)
    w.string("kept")
    const text = new CopyEncoder({ format: "text" }, { count: 2 })
    expect(() => text.writeRow(w, ["ok", "nul\0"])).toThrow(CopyEncodeError)
    expect(() => text.writeRow(w, ["one"])).toThrow(CopyEncodeError)
    expect(() => text.writeRow(w, ["a", Buffer.from("b")])).toThrow(CopyEncodeError)
    expect(() => new CopyEncoder({ format: "csv" }).writeRow(w, ["a\0"])).toThrow(CopyEncodeError)
    const binary = new CopyEncoder({ format: "binary" }, { oids: [Oid.int4, Oid.int4] })
    expect(() => binary.writeRow(w, ["text", null])).toThrow(CopyEncodeError)
    expect(() => binary.writeValues(w, [1, 2 ** 40])).toThrow(TypeEncodeError)
    expect(w.take().toString()).toBe("kept")
  })
})

describe("JS values through the type codecs", () => {
  it("writeValues infers types without OIDs and uses the column types with them", () => {
    const inferred = new CopyEncoder({ format: "text" })
    expect(written((w) => inferred.writeValues(w, [1, "x", true, null, 2n, undefined, [1, null]]))).toBe("1\tx\tt\t\\N\t2\t\\N\t{1,NULL}\n")
    const typed = new CopyEncoder({ format: "binary" }, { oids: [Oid.int2, Oid.text, Oid.bool] })
    const w = new Writer(8)
    typed.writeValues(w, [7, "é", null])
    expect(w.take().toString("hex")).toBe("0003" + "00000002" + "0007" + "00000002" + "c3a9" + "ffffffff")
  })

  it("decodeCopyValues reads text and binary fields", () => {
    expect(decodeCopyValues(["12", "t", null, "{1,2}"], [Oid.int4, Oid.bool, Oid.text, Oid._int4])).toEqual([12, true, null, [1, 2]])
    const [row] = parseCopyRows({ format: "binary" }, [
      (() => {
        const w = new Writer(8)
        const e = new CopyEncoder({ format: "binary" }, { oids: [Oid.int8, Oid.float8] })
        e.writeHeader(w)
        e.writeValues(w, [5n, 0.5])
        e.writeTrailer(w)
        return w.take()
      })()
    ])
    expect(decodeCopyValues(row!, [Oid.int8, Oid.float8])).toEqual([5n, 0.5])
    expect(() => decodeCopyValues(["1"], [Oid.int4, Oid.int4], 7)).toThrow(
      expect.objectContaining({ _tag: "CopyFormatError", line: 7, reason: "missing data for column 2" })
    )
    expect(encodeCopyTextValues([1, null, "a"], [Oid.float8, Oid.int4, Oid.text])).toEqual(["1", null, "a"])
  })
})

describe("parsers", () => {
  it("text: rows before `\\.` are kept; what follows is ignored", () => {
    const p = new CopyTextParser()
    p.push(bytes("a\tb\n\\.\n"))
    p.push(bytes("garbage \\x\n"))
    expect([...p]).toEqual([["a", "b"]])
    expect(p.finished).toBe(true)
    p.push(bytes("more"))
    expect(p.end()).toEqual([])
  })

  it("CSV: FORCE_NOT_NULL * and FORCE_NULL * (PostgreSQL 17)", () => {
    expect(parseCopyRows({ format: "csv", forceNotNull: "*" }, [bytes(',"",x\n')])).toEqual([["", "", "x"]])
    expect(parseCopyRows({ format: "csv", forceNull: "*" }, [bytes(',"",x\n')])).toEqual([[null, null, "x"]])
    expect(parseCopyRows({ format: "csv", null: "N", forceNotNull: ["b"] }, [bytes("N,N\n")], { names: ["a", "b"] })).toEqual([[null, "N"]])
  })

  it("the format's parser ignores the other direction's options", () => {
    const p = new CopyCsvParser({ forceQuote: "*" })
    p.push(bytes('"a",b\n'))
    expect(p.next()).toEqual(["a", "b"])
  })

  it("binary fields are views into the pushed chunk, which the parser never writes into", () => {
    const w = new Writer(8)
    const e = new CopyEncoder({ format: "binary" })
    e.writeHeader(w)
    e.writeRow(w, [Buffer.from("abc")])
    e.writeTrailer(w)
    const data = w.take()
    const p = new CopyBinaryParser()
    p.push(data.subarray(0, 30))
    const row = p.next()!
    p.push(data.subarray(30))
    expect(p.end()).toEqual([])
    expect(Buffer.from(row[0]!).toString()).toBe("abc")
    expect(row[0]!.buffer).toBe(data.buffer)
  })
})

describe("Stream helpers", () => {
  const run = <A, E>(s: Stream.Stream<A, E>) => Effect.runSyncExit(Stream.runCollect(s))

  it("decodeCopyStream fails with CopyFormatError in the error channel", () => {
    const exit = run(Stream.make(bytes("a\tb\n"), bytes("c\n")).pipe(decodeCopyStream({ format: "text" }, { count: 2 })))
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const failure = Cause.failureOption(exit.cause)
      expect(Option.isSome(failure) && failure.value).toBeInstanceOf(CopyFormatError)
      expect(Option.isSome(failure) && (failure.value as CopyFormatError).line).toBe(2)
    }
  })

  it("decodeCopyStream fails with CopyOptionsError for invalid options", () => {
    const exit = run(Stream.make(bytes("x\n")).pipe(decodeCopyStream({ format: "text", quote: "'" })))
    expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(CopyOptionsError)
  })

  it("decodeCopyStream consumes and ignores the input after `\\.`", () => {
    let pulled = 0
    const input = Stream.make(bytes("a\n\\.\n"), bytes("ignored\n"), bytes("\\xx")).pipe(Stream.tap(() => Effect.sync(() => pulled++)))
    const exit = run(input.pipe(decodeCopyStream({ format: "text" })))
    expect(Exit.isSuccess(exit) && Chunk.toReadonlyArray(exit.value)).toEqual([["a"]])
    expect(pulled).toBe(3)
  })

  it("encodeCopyValuesStream writes header, rows and trailer, cutting large chunks", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [i, "v".repeat(50)])
    const exit = run(Stream.fromIterable(rows).pipe(encodeCopyValuesStream({ format: "csv", header: true }, { names: ["n", "s"], oids: [Oid.int4, Oid.text] })))
    expect(Exit.isSuccess(exit)).toBe(true)
    if (Exit.isSuccess(exit)) {
      const chunks = Chunk.toReadonlyArray(exit.value)
      expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(70 * 1024)
      const text = Buffer.concat(chunks).toString()
      expect(text.startsWith("n,s\n0,vvv")).toBe(true)
      expect(text.split("\n").length).toBe(5002)
    }
    const failed = run(Stream.make([1, "x"]).pipe(encodeCopyValuesStream({ format: "binary" }, { oids: [Oid.int2, Oid.int2] })))
    expect(Exit.isFailure(failed) && Cause.failureOption(failed.cause).pipe(Option.getOrUndefined)).toBeInstanceOf(TypeEncodeError)
  })
})
