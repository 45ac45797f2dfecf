#!/usr/bin/env node
// Captures how a real PostgreSQL 15 reads and writes COPY data, for copy-format-golden.test.ts:
//   copy-golden.json + copy-<name>.bin: a table of nasty values (tabs, newlines, CR,
//     backslashes, quotes, commas, empty strings vs NULLs, unicode, control characters,
//     `\.` and `\N` lookalikes, bytea, numbers, dates, arrays, jsonb), each cell's text
//     output (a text-format SELECT through node-postgres, bytes as sent) and binary
//     output (the type's send function, `encode(typsend(col), 'hex')`), and the bytes of
//     `COPY ... TO STDOUT` in text, CSV and binary with several option sets, captured
//     from psql's stdout; plus a larger generated table in each format.
//   copy-inputs.json: COPY FROM STDIN inputs (sent as one CopyData by pg-copy-streams)
//     and what PostgreSQL made of them: the rows read back, or its error (SQLSTATE,
//     message, context line).
//   copy-statements.json: COPY statements and whether PostgreSQL accepts them (or its
//     error), for parseCopyStatement and the option checks.
// Session settings: client_encoding UTF8, TimeZone UTC, DateStyle ISO.
// Usage (as root, PostgreSQL 15 binaries installed): node packages/protocol/scripts/capture-copy.mjs
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import copyStreams from "pg-copy-streams"
import { PSQL, startPostgres } from "../../../test-support/postgres.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))
const goldenDir = path.join(here, "..", "test", "golden")
const SESSION_ENV = { PGCLIENTENCODING: "UTF8", PGTZ: "UTC", PGDATESTYLE: "ISO" }

// ---- the table of nasty values ----

const columns = [
  ["id", "int4"],
  ["t", "text"],
  ["vc", "varchar(40)"],
  ["n", "numeric"],
  ["f8", "float8"],
  ["i8", "int8"],
  ["b", "bool"],
  ["d", "date"],
  ["ts", "timestamp"],
  ["tstz", "timestamptz"],
  ["by", "bytea"],
  ["ta", "text[]"],
  ["ia", "int4[]"],
  ["j", "jsonb"],
  ["u", "uuid"],
  ["iv", "interval"]
]

// SQL expressions per column (standard_conforming_strings is on: '\' is a plain backslash).
const rows = [
  {
    t: "'hello world'", vc: "'abc'", n: "3.14", f8: "1.5", i8: "42", b: "true", d: "'2024-02-29'",
    ts: "'2024-02-29 13:45:00.5'", tstz: "'2024-02-29 13:45:00.5+02'", by: "'\\x00ff5c0a0d092c22'",
    ta: "ARRAY['a', 'b']", ia: "ARRAY[1, 2, 3]", j: `'{"a": 1, "b": [true, null]}'`,
    u: "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", iv: "'1 year 2 mons 3 days 04:05:06.789'"
  },
  { t: "E'tab\\there'", vc: "E'line1\\nline2'", n: "-0.0001", f8: "-0", i8: "0", b: "false", ta: "ARRAY[E'tab\\there', E'nl\\nhere', E'cr\\rhere']" },
  { t: "'C:\\dir\\new\\'", vc: "E'\\\\'", j: `'{"k": "v\\"q\\\\b\\n"}'`, ta: "ARRAY['back\\slash', 'x']" },
  { t: `'say "hi", ok'`, vc: "'a,b;c|d'", ta: `ARRAY['with "quote"', 'comma,here', '{brace}', '']`, j: `'"quoted, string"'` },
  { t: "''", vc: "NULL", ta: "ARRAY['', NULL]::text[]", by: "''::bytea", j: `'""'`, ia: "'{}'::int4[]" },
  { t: "'✓ 日本語 😀'", vc: "'é'", ta: "ARRAY['✓', 'ü']", j: `'{"ü": "☃"}'`, n: "123456789012345678901234567890.123456789" },
  { t: "E'\\x01\\x02\\x7f'", vc: "E'\\b\\f\\v'", ta: "ARRAY[E'\\x01', E'\\b']", f8: "1e-300" },
  { t: "'\\N'", vc: "'NULL'", ta: "ARRAY['NULL', '\\N']" },
  { t: "'\\.'", vc: "'.'" },
  { t: "'\\'", vc: "' lead and trail '" },
  {
    n: "'NaN'", f8: "'-Infinity'", i8: "-9223372036854775808", d: "'infinity'", ts: "'0044-03-15 12:00:00 BC'",
    tstz: "'-infinity'", iv: "'-178000000 years'", ia: "'{{1,2},{3,NULL}}'"
  },
  {},
  { t: "E'\\r\\n'", vc: "E'\\n'" },
  { t: "'a\\.b'", vc: "','" },
  { t: "'\"'", vc: "'\"\"'" },
  { t: "repeat('long value ', 30)", vc: "repeat('x', 40)" }
]

const outputs = [
  { name: "text", options: { format: "text" }, with: "" },
  {
    name: "text-options",
    options: { format: "text", delimiter: "|", null: "<NULL>", header: true },
    with: "(FORMAT text, DELIMITER '|', NULL '<NULL>', HEADER true)"
  },
  { name: "csv-header", options: { format: "csv", header: true }, with: "(FORMAT csv, HEADER true)" },
  {
    name: "csv-force-quote",
    options: { format: "csv", header: true, forceQuote: "*" },
    with: "(FORMAT csv, HEADER true, FORCE_QUOTE *)"
  },
  {
    name: "csv-custom",
    options: { format: "csv", delimiter: ";", quote: "'", escape: "\\", null: "NULL", forceQuote: ["t", "vc"] },
    with: "(FORMAT csv, DELIMITER ';', QUOTE '''', ESCAPE '\\', NULL 'NULL', FORCE_QUOTE (t, vc))"
  },
  { name: "csv-legacy", options: { format: "csv", header: true, delimiter: "|", null: "n/a" }, with: "CSV HEADER DELIMITER AS '|' NULL AS 'n/a'" },
  { name: "binary", options: { format: "binary" }, with: "(FORMAT binary)" }
]

// A single text column in CSV: `\.` alone must be quoted.
const oneColumnOutput = { name: "csv-one-column", options: { format: "csv" }, with: "(FORMAT csv)", select: "t" }

// ---- COPY FROM STDIN inputs ----

const b = (...parts) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p))))
const i16 = (v) => {
  const x = Buffer.alloc(2)
  x.writeInt16BE(v)
  return x
}
const i32 = (v) => {
  const x = Buffer.alloc(4)
  x.writeInt32BE(v)
  return x
}
const SIG = "PGCOPY\n\xff\r\n\0"
const header = (flags = 0, ext = Buffer.alloc(0)) => b(SIG, i32(flags), i32(ext.length), ext)
const field = (v) => (v === null ? i32(-1) : b(i32(Buffer.byteLength(v)), Buffer.from(v, "utf8")))
const tuple = (...fields) => b(i16(fields.length), ...fields.map(field))
const trailer = i16(-1)

const text = (name, input, options = {}, extra = {}) => ({ name, format: "text", options: { format: "text", ...options }, input, ...extra })
const csv = (name, input, options = {}, extra = {}) => ({ name, format: "csv", options: { format: "csv", ...options }, input, ...extra })
const bin = (name, input, extra = {}) => ({ name, format: "binary", options: { format: "binary" }, input, ...extra })

const inputs = [
  text("text-basic", "a\tb\tc\nd\te\tf\n"),
  text("text-null", "\\N\t\t\\N\n"),
  text("text-escapes", "\\b\\f\\n\\r\\t\\v\t\\101\\x41\\x4g\\x\t\\\\\\8\\z\\ q\n"),
  text("text-octal-utf8", "\\303\\251\t\\342\\234\\223\tx\n"),
  text("text-octal-nul", "\\0\tb\tc\n"),
  text("text-octal-invalid-utf8", "\\377\tb\tc\n"),
  text("text-hex-invalid-utf8", "\\xc3\\x28\tb\tc\n"),
  text("text-hex-nul", "a\\x00\tb\tc\n"),
  text("text-escaped-delimiter", "a\\\tb\tc\td\n"),
  text("text-escaped-newline", "a\\\nb\tc\td\n"),
  text("text-trailing-backslash-eof", "a\tb\tc\\"),
  text("text-no-final-newline", "a\tb\tc\nd\te\tf"),
  text("text-crlf", "a\tb\tc\r\nd\te\tf\r\n"),
  text("text-cr", "a\tb\tc\rd\te\tf\r"),
  text("text-mixed-eol", "a\tb\tc\r\nd\te\tf\n"),
  text("text-literal-cr", "a\tb\tc\nd\te\rf\n"),
  text("text-end-marker", "a\tb\tc\n\\.\nignored\tgarbage\n"),
  text("text-end-marker-crlf", "a\tb\tc\r\n\\.\r\n"),
  text("text-end-marker-mismatch", "a\tb\tc\r\n\\.\n"),
  text("text-end-marker-midline", "a\tb\tc\nd\te\tf\\.\n"),
  text("text-end-marker-eof", "a\tb\tc\n\\."),
  text("text-end-marker-corrupt", "a\tb\tc\n\\.x\n"),
  text("text-end-marker-first", "\\.\n"),
  text("text-empty", ""),
  text("text-extra-column", "a\tb\tc\td\n"),
  text("text-missing-column", "a\tb\n"),
  text("text-empty-line", "a\tb\tc\n\n"),
  text("text-invalid-utf8", b("a\tb\t", [0xc3, 0x28], "\n")),
  text("text-nul-byte", b("a\tb", [0], "\tc\n")),
  text("text-utf8", "✓\t日本語\t😀\n"),
  text("text-header", "x\ty\tz\na\tb\tc\n", { header: true }),
  text("text-header-only", "x\ty\tz\n", { header: true }),
  text("text-header-match", "a\tb\tc\n1\t2\t3\n", { header: "match" }),
  text("text-header-match-mismatch", "a\tx\tc\n1\t2\t3\n", { header: "match" }),
  text("text-header-match-count", "a\tb\n1\t2\t3\n", { header: "match" }),
  text("text-header-match-null", "a\t\\N\tc\n", { header: "match" }),
  text("text-custom", "a|NULL|\\|pipe\n", { delimiter: "|", null: "NULL" }),
  text("text-comma-empty-null", "a,,c\n", { delimiter: ",", null: "" }),
  text("text-two-columns", "a\tb\n", {}, { columns: ["a", "b"] }),
  text("text-one-column-empty", "\n\\N\n", {}, { columns: ["a"] }),

  csv("csv-basic", 'a,b,c\n"x,y","say ""hi""",z\n'),
  csv("csv-null-vs-empty", ',"",\n'),
  csv("csv-multiline", '"line1\nline2",b,c\n"cr\r\nlf",e,f\n'),
  csv("csv-partial-quote", 'a"b,c"d,e,f\n'),
  csv("csv-unterminated", 'a,"b,c\n'),
  csv("csv-unterminated-eof", 'a,b,"c'),
  csv("csv-end-marker", "a,b,c\n\\.\ngarbage\n"),
  csv("csv-end-marker-data", "\\.x,b,c\n"),
  csv("csv-end-marker-quoted", '"\\.",b,c\n', {}, { columns: ["a", "b", "c"] }),
  csv("csv-end-marker-one-column-quoted", '"\\."\n', {}, { columns: ["a"] }),
  csv("csv-end-marker-in-quotes", '"a\n\\.\n",b,c\n'),
  csv("csv-end-marker-not-first", "a,b,\\.\n"),
  csv("csv-end-marker-eof", "a,b,c\n\\."),
  csv("csv-end-marker-crlf-mismatch", "a,b,c\r\n\\.\n"),
  csv("csv-backslash-escape", '"a\\"b","c\\\\d",e\\f\n', { escape: "\\" }),
  csv("csv-custom-quote", "'a;b';'it''s';c\n", { quote: "'", delimiter: ";" }),
  csv("csv-null-string", 'NULL,"NULL",x\n', { null: "NULL" }),
  csv("csv-force-not-null", ",,\n", { forceNotNull: ["a", "b"] }),
  csv("csv-force-null", '"",x,""\n', { forceNull: ["a", "b"] }),
  csv("csv-force-both", ',"",\n', { forceNotNull: ["a"], forceNull: ["a", "b"] }),
  csv("csv-header", "x,y,z\n1,2,3\n", { header: true }),
  csv("csv-header-match", '"a",b,c\n1,2,3\n', { header: "match" }),
  csv("csv-header-match-mismatch", "a,b,C\n", { header: "match" }),
  csv("csv-crlf", "a,b,c\r\n1,2,3\r\n"),
  csv("csv-unquoted-cr", "a,b,c\nd,e\rf\n"),
  csv("csv-extra-column", "a,b,c,d\n"),
  csv("csv-missing-column", "a,b\n"),
  csv("csv-no-final-newline", "a,b,c"),
  csv("csv-spaces", " a , b ,c\n"),
  csv("csv-empty-line", "a,b,c\n\n"),
  csv("csv-utf8", '✓,"日,本",😀\n'),
  csv("csv-invalid-utf8-quoted", b('"a', [0xff], '",b,c\n')),

  bin("binary-basic", b(header(), tuple("a", "b", "c"), tuple("✓", "", "x"), trailer)),
  bin("binary-null", b(header(), tuple(null, "", null), trailer)),
  bin("binary-extension", b(header(0, Buffer.from("ext!")), tuple("a", "b", "c"), trailer)),
  bin("binary-noncritical-flag", b(header(1), tuple("a", "b", "c"), trailer)),
  bin("binary-oids", b(header(1 << 16), tuple("a", "b", "c"), trailer)),
  bin("binary-critical-flag", b(header(1 << 17), tuple("a", "b", "c"), trailer)),
  bin("binary-bad-signature", b("PGCOPX\n\xff\r\n\0", i32(0), i32(0), tuple("a", "b", "c"), trailer)),
  bin("binary-short-header", b("PGCOPY\n")),
  bin("binary-missing-length", b(SIG, i32(0))),
  bin("binary-no-trailer", b(header(), tuple("a", "b", "c")), {
    difference: "PostgreSQL accepts binary data that ends at a tuple boundary without the -1 trailer; we require the trailer"
  }),
  bin("binary-truncated-field", b(header(), i16(3), field("a"), field("b"), i32(10), "abc")),
  bin("binary-truncated-length", b(header(), i16(3), field("a"), field("b"), [0, 0])),
  bin("binary-data-after-trailer", b(header(), tuple("a", "b", "c"), trailer, "x")),
  bin("binary-wrong-count", b(header(), tuple("a", "b"), trailer)),
  bin("binary-negative-length", b(header(), i16(3), field("a"), field("b"), i32(-2), trailer)),
  bin("binary-no-rows", b(header(), trailer)),
  bin("binary-empty", b())
]

// ---- statements ----

const statements = [
  "COPY opt_t FROM STDIN",
  "copy opt_t from stdin;",
  "COPY opt_t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';')",
  "COPY public.opt_t (\"a\") FROM STDIN",
  "COPY opt_t TO STDOUT",
  "COPY opt_t FROM STDOUT",
  "COPY opt_t TO STDIN",
  "COPY opt_t FROM STDIN WITH",
  "COPY opt_t FROM STDIN (FORMAT xml)",
  "COPY opt_t FROM STDIN (FORMAT 'CSV')",
  "COPY opt_t FROM STDIN (FORMAT CSV)",
  "COPY opt_t FROM STDIN (FORMAT)",
  "COPY opt_t FROM STDIN (FORMAT csv, FORMAT text)",
  "COPY opt_t FROM STDIN (FORMAT binary, DELIMITER ',')",
  "COPY opt_t FROM STDIN (FORMAT binary, NULL 'x')",
  "COPY opt_t FROM STDIN (FORMAT binary, HEADER)",
  "COPY opt_t FROM STDIN (FORMAT binary, HEADER false)",
  "COPY opt_t FROM STDIN (DELIMITER 'ab')",
  "COPY opt_t FROM STDIN (DELIMITER 'é')",
  "COPY opt_t FROM STDIN (DELIMITER E'\\n')",
  "COPY opt_t FROM STDIN (NULL E'a\\rb')",
  "COPY opt_t FROM STDIN (DELIMITER 'a')",
  "COPY opt_t FROM STDIN (DELIMITER 'A')",
  "COPY opt_t FROM STDIN (DELIMITER '\\')",
  "COPY opt_t FROM STDIN (DELIMITER '.')",
  "COPY opt_t FROM STDIN (FORMAT csv, DELIMITER 'a')",
  "COPY opt_t FROM STDIN (DELIMITER E'\\t', NULL '')",
  "COPY opt_t FROM STDIN (QUOTE '''')",
  "COPY opt_t FROM STDIN (FORMAT csv, QUOTE 'ab')",
  "COPY opt_t FROM STDIN (FORMAT csv, DELIMITER '\"')",
  "COPY opt_t FROM STDIN (ESCAPE '\\')",
  "COPY opt_t FROM STDIN (FORMAT csv, ESCAPE '')",
  "COPY opt_t FROM STDIN (FORMAT csv, ESCAPE '\\', QUOTE '''')",
  "COPY opt_t (a, b) FROM STDIN (FORMAT csv, FORCE_QUOTE (a))",
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_QUOTE (a))",
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_QUOTE *)",
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_QUOTE (c))",
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_QUOTE a)",
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))",
  "COPY opt_t (a, b) TO STDOUT (FORMAT csv, FORCE_NULL (a))",
  "COPY opt_t (a, b) TO STDOUT (FORCE_QUOTE (a))",
  "COPY opt_t (a, b) FROM STDIN (FORCE_NOT_NULL (a))",
  "COPY opt_t (a, b) FROM STDIN (FORMAT csv, FORCE_NOT_NULL (a), FORCE_NULL (b))",
  "COPY opt_t (a, b) FROM STDIN (FORMAT csv, FORCE_NOT_NULL *)",
  "COPY opt_t FROM STDIN (DELIMITER ',', NULL 'a,b')",
  "COPY opt_t FROM STDIN (FORMAT csv, NULL '\"')",
  "COPY opt_t TO STDOUT (HEADER match)",
  "COPY opt_t FROM STDIN (HEADER match)",
  "COPY opt_t FROM STDIN (HEADER maybe)",
  "COPY opt_t FROM STDIN (HEADER 1)",
  "COPY opt_t FROM STDIN (HEADER 2)",
  "COPY opt_t FROM STDIN (HEADER off)",
  "COPY opt_t FROM STDIN (HEADER 'MATCH')",
  "COPY opt_t FROM STDIN (FREEZE maybe)",
  "COPY opt_t FROM STDIN (FREEZE)",
  "COPY opt_t FROM STDIN (BOGUS 1)",
  "COPY opt_t FROM STDIN (ENCODING 'utf8')",
  "COPY opt_t FROM STDIN (ENCODING 'UTF-8')",
  "COPY opt_t FROM STDIN (ENCODING 'LATIN1')",
  "COPY opt_t TO STDOUT WHERE a = 'x'",
  "COPY opt_t FROM STDIN WHERE a <> 'x'",
  "COPY opt_t FROM STDIN CSV HEADER DELIMITER AS ';' NULL AS 'n' QUOTE AS '\"'",
  "COPY BINARY opt_t FROM STDIN",
  "COPY opt_t FROM STDIN BINARY",
  "COPY opt_t FROM STDIN USING DELIMITERS '|'",
  "COPY opt_t FROM STDIN DELIMITERS '|' WITH NULL AS ''",
  "COPY opt_t TO STDOUT CSV FORCE QUOTE a, b",
  "COPY opt_t TO STDOUT CSV FORCE QUOTE *",
  "COPY opt_t FROM STDIN CSV FORCE NOT NULL a FORCE NULL b",
  "COPY opt_t FROM STDIN CSV CSV",
  "COPY (SELECT 1 AS x, ')' AS y) TO STDOUT (FORMAT csv)",
  "COPY ( SELECT $$)$$ /* ) */ ) TO STDOUT",
  "COPY (SELECT 1) FROM STDIN",
  "copy \"opt_t\" (\"a\") from stdin",
  "COPY opt_t FROM STDIN NOTANOPTION",
  "COPY opt_t (a, b FROM STDIN",
  "COPY opt_t",
  "COPY opt_t FROM STDIN (DELIMITER E'\\x7c')",
  "/* leading comment */ COPY opt_t FROM STDIN -- trailing comment"
]

// ---- running ----

const psqlCopy = (cluster, sql) =>
  execFileSync(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cluster.host, "-p", String(cluster.port), "-U", "postgres", "-d", "postgres", "-c", sql], {
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, ...SESSION_ENV }
  })

const errorOf = (e) => ({ code: e.code, message: e.message, ...(e.where ? { where: e.where } : {}) })

const copyFrom = (client, sql, input) =>
  new Promise((resolve) => {
    const stream = client.query(copyStreams.from(sql))
    stream.on("error", (e) => resolve({ error: errorOf(e) }))
    stream.on("finish", () => resolve({}))
    if (input.length > 0) stream.write(input)
    stream.end()
  })

const copyTo = (client, sql) =>
  new Promise((resolve) => {
    const stream = client.query(copyStreams.to(sql))
    const chunks = []
    stream.on("data", (c) => chunks.push(c))
    stream.on("error", (e) => resolve({ error: errorOf(e) }))
    stream.on("end", () => resolve({ data: Buffer.concat(chunks) }))
  })

const raw = { getTypeParser: () => (v) => v }

const main = async () => {
  const cluster = await startPostgres({ defaultUsers: false })
  const client = new pg.Client({ host: cluster.host, port: cluster.port, user: "postgres", database: "postgres", types: raw })
  await client.connect()
  try {
    await client.query("SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
    const serverVersion = (await client.query("SHOW server_version")).rows[0].server_version

    // The nasty table.
    await client.query(`CREATE TABLE copy_golden (${columns.map(([n, t]) => `"${n}" ${t}`).join(", ")})`)
    for (const [i, row] of rows.entries()) {
      const values = columns.map(([n]) => (n === "id" ? String(i + 1) : (row[n] ?? "NULL")))
      await client.query(`INSERT INTO copy_golden VALUES (${values.join(", ")})`)
    }
    const select = `SELECT ${columns.map(([n]) => `"${n}"`).join(", ")} FROM copy_golden ORDER BY id`
    const textResult = await client.query({ text: select, rowMode: "array" })
    const colInfo = []
    for (const [k, f] of textResult.fields.entries()) {
      const t = await client.query("SELECT typname, typsend::text AS typsend FROM pg_type WHERE oid = $1", [f.dataTypeID])
      colInfo.push({ name: columns[k][0], oid: f.dataTypeID, type: t.rows[0].typname, send: t.rows[0].typsend })
    }
    const sendSelect = `SELECT ${colInfo.map((c) => `encode(${c.send}("${c.name}"), 'hex')`).join(", ")} FROM copy_golden ORDER BY id`
    const binaryResult = await client.query({ text: sendSelect, rowMode: "array" })
    // Each cell as [text output, send output in hex], null for NULL.
    const cells = textResult.rows.map((r, i) => r.map((v, k) => (v === null ? null : [v, binaryResult.rows[i][k]])))

    const captures = []
    for (const out of [...outputs, oneColumnOutput]) {
      const cols = out.select ?? columns.map(([n]) => `"${n}"`).join(", ")
      const sql = `COPY (SELECT ${cols} FROM copy_golden ORDER BY id) TO STDOUT ${out.with}`.trim()
      const bytes = psqlCopy(cluster, sql)
      const file = `copy-${out.name}.bin`
      fs.writeFileSync(path.join(goldenDir, file), bytes)
      captures.push({ name: out.name, sql, options: out.options, columns: out.select ? [out.select] : undefined, file, bytes: bytes.length })
    }

    // A larger generated table, for random chunkings of real output.
    const bigSelect =
      "SELECT g AS id, repeat(chr(65 + g % 26), g % 61) AS s, CASE WHEN g % 7 = 0 THEN NULL ELSE E'x\\ty\\n\\\\' || g END AS e, " +
      "(g * 1.5)::numeric AS n, ARRAY[g, NULL, -g] AS a FROM generate_series(1, 500) g"
    const bigText = await client.query({ text: bigSelect, rowMode: "array" })
    const bigCols = []
    for (const f of bigText.fields) {
      const t = await client.query("SELECT typname, typsend::text AS typsend FROM pg_type WHERE oid = $1", [f.dataTypeID])
      bigCols.push({ name: f.name, oid: f.dataTypeID, type: t.rows[0].typname, send: t.rows[0].typsend })
    }
    const bigBinary = await client.query({
      text: `SELECT ${bigCols.map((c) => `encode(${c.send}(${c.name}), 'hex')`).join(", ")} FROM (${bigSelect}) q`,
      rowMode: "array"
    })
    const big = {
      columns: bigCols,
      rows: bigText.rows.map((r, i) => r.map((v, k) => (v === null ? null : [v, bigBinary.rows[i][k]]))),
      captures: []
    }
    for (const [name, options, w] of [
      ["big-text", { format: "text" }, ""],
      ["big-csv", { format: "csv", header: true }, "(FORMAT csv, HEADER true)"],
      ["big-binary", { format: "binary" }, "(FORMAT binary)"]
    ]) {
      const sql = `COPY (${bigSelect}) TO STDOUT ${w}`.trim()
      const bytes = psqlCopy(cluster, sql)
      const file = `copy-${name}.bin`
      fs.writeFileSync(path.join(goldenDir, file), bytes)
      big.captures.push({ name, sql, options, file, bytes: bytes.length })
    }

    // One table row per line keeps the file readable and its diffs small.
    const rowLines = (list) => "[\n" + list.map((r) => "  " + JSON.stringify(r)).join(",\n") + "\n ]"
    const golden = JSON.stringify(
      { serverVersion, session: SESSION_ENV, columns: colInfo, rows: "@ROWS@", captures, big: { ...big, rows: "@BIG_ROWS@" } },
      null,
      1
    )
    fs.writeFileSync(
      path.join(goldenDir, "copy-golden.json"),
      golden.replace('"@ROWS@"', () => rowLines(cells)).replace('"@BIG_ROWS@"', () => rowLines(big.rows)) + "\n"
    )

    // COPY FROM inputs.
    await client.query("CREATE TABLE copy_in (id serial, a text, b text, c text)")
    const inputResults = []
    for (const c of inputs) {
      const cols = c.columns ?? ["a", "b", "c"]
      const input = Buffer.isBuffer(c.input) ? c.input : Buffer.from(c.input, "utf8")
      const w = withClause(c.options)
      const sql = `COPY copy_in (${cols.join(", ")}) FROM STDIN ${w}`.trim()
      await client.query("TRUNCATE copy_in")
      const r = await copyFrom(client, sql, input)
      let result
      if (r.error) result = { error: r.error }
      else {
        const back = await client.query({ text: `SELECT ${cols.join(", ")} FROM copy_in ORDER BY id`, rowMode: "array" })
        result = { rows: back.rows }
      }
      inputResults.push({ name: c.name, sql, options: c.options, columns: cols, input: input.toString("base64"), result, ...(c.difference ? { difference: c.difference } : {}) })
    }
    fs.writeFileSync(path.join(goldenDir, "copy-inputs.json"), JSON.stringify({ serverVersion, cases: inputResults }, null, 1) + "\n")

    // Statements.
    await client.query("CREATE TABLE opt_t (a text, b text)")
    const statementResults = []
    for (const sql of statements) {
      const isTo = /\)\s*TO\b|\bTO\s+STD/i.test(sql)
      const r = isTo ? await copyTo(client, sql) : await copyFrom(client, sql, Buffer.alloc(0))
      statementResults.push({ sql, result: r.error ? { error: r.error } : { ok: true } })
    }
    fs.writeFileSync(path.join(goldenDir, "copy-statements.json"), JSON.stringify({ serverVersion, statements: statementResults }, null, 1) + "\n")
    console.log(`captured ${captures.length + big.captures.length} outputs, ${inputResults.length} inputs, ${statementResults.length} statements from PostgreSQL ${serverVersion}`)
  } finally {
    await client.end()
    await cluster.stop()
  }
}

// The WITH clause for our options object, in the parenthesized syntax.
const sqlString = (s) => `'${s.replace(/'/g, "''")}'`
const withClause = (o) => {
  const parts = [`FORMAT ${o.format}`]
  if (o.delimiter !== undefined) parts.push(`DELIMITER ${sqlString(o.delimiter)}`)
  if (o.null !== undefined) parts.push(`NULL ${sqlString(o.null)}`)
  if (o.header !== undefined) parts.push(`HEADER ${o.header}`)
  if (o.quote !== undefined) parts.push(`QUOTE ${sqlString(o.quote)}`)
  if (o.escape !== undefined) parts.push(`ESCAPE ${sqlString(o.escape)}`)
  if (o.forceNotNull !== undefined) parts.push(`FORCE_NOT_NULL (${o.forceNotNull.join(", ")})`)
  if (o.forceNull !== undefined) parts.push(`FORCE_NULL (${o.forceNull.join(", ")})`)
  return `(${parts.join(", ")})`
}

await main()
