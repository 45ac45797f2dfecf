#!/usr/bin/env node
// Captures how a real PostgreSQL 15 writes values of every type we have a codec
// for, into packages/protocol/test/golden/types.json, for types-golden.test.ts:
//   values:  per SQL expression, the text output (a text-format result read by
//            node-postgres, which returns the bytes as sent) and the binary output
//            (typsend bytes, from `COPY (SELECT ...) TO STDOUT (FORMAT binary)`
//            through psql), in hex;
//   inputs:  input strings in non-canonical forms and PostgreSQL's text output for
//            them (what our text decoders must normalize them to);
//   errors:  inputs PostgreSQL rejects, with its SQLSTATE;
//   catalog: pg_type rows of the built-in types, to check oids.ts.
// Session settings: TimeZone UTC, DateStyle ISO, IntervalStyle postgres,
// extra_float_digits 1 (the defaults except TimeZone).
// Usage (as root, PostgreSQL 15 binaries installed): node packages/protocol/scripts/capture-types.mjs
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { PSQL, startPostgres } from "../../../test-support/postgres.mjs"

const here = path.dirname(fileURLToPath(import.meta.url))
const target = path.join(here, "..", "test", "golden", "types.json")

const q = (s) => `'${s.replace(/'/g, "''")}'`
const lit = (type) => (s) => `${q(s)}::${type}`
const allBytesHex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0")).join("")

// type -> SQL expressions of that type
const scalars = {
  bool: ["true", "false"],
  int2: ["0", "1", "-1", "32767", "-32768"].map(lit("int2")),
  int4: ["0", "42", "-7", "2147483647", "-2147483648"].map(lit("int4")),
  int8: ["0", "-1", "9007199254740993", "9223372036854775807", "-9223372036854775808"].map(lit("int8")),
  oid: ["0", "1259", "2147483648", "4294967295"].map(lit("oid")),
  float4: ["0", "-0", "NaN", "Infinity", "-Infinity", "1.5", "0.1", "3.4028235e38", "1.17549435e-38", "1e-45", "123456", "1234567", "1e-05", "0.0001", "16777217", "-2.5e-10"].map(lit("float4")),
  float8: ["0", "-0", "NaN", "Infinity", "-Infinity", "0.1", "1e15", "1e16", "123456789012345", "1234567890123456", "1.7976931348623157e308", "5e-324", "2.2250738585072014e-308", "1e-05", "0.0001", "-1.5", "9007199254740993", "3.141592653589793", "1e22", "-1e-300"].map(lit("float8")),
  numeric: [
    "0", "0.00", "-0.5", "1.500", "NaN", "Infinity", "-Infinity", "1", "-1", "10000", "9999", "99999999", "100000000",
    "12.3400", "1200", "-0.0001", "0.0000000001", "123456789012345678901234567890.123456789012345678901234567890",
    "1000000000000000000000.00000001", "3.14159265358979323846264338327950288419716939937510",
    "1e100", "-1e-100", "1e-16383", "0.1e-16382", "9.99999999e1000", "1e131071"
  ].map(lit("numeric")),
  text: ["", "hello", "unicode \u2713 \u65e5\u672c\u8a9e \u{1f600}", 'with "quotes" and \\backslash', "line\nbreak\ttab\rcr", "NULL", "x".repeat(1000), "{a,b}", " lead and trail "].map(lit("text")),
  varchar: ["", "abc", "\u00e9t\u00e9"].map(lit("varchar")),
  bpchar: [`'ab'::char(5)`, `'x'::char`, `''::char(3)`, `'\u00e9'::char(2)`],
  name: ["pg_catalog", "", "a".repeat(63), "\u00fcber"].map(lit("name")),
  char: [`'a'::"char"`, `''::"char"`, `'\\201'::"char"`, `'\\000'::"char"`, `'\\\\'::"char"`],
  bytea: [`'\\x'::bytea`, `'\\x00ff'::bytea`, `'abc'::bytea`, `decode('${allBytesHex}', 'hex')`, `'\\x5c22'::bytea`],
  uuid: ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"].map(lit("uuid")),
  json: ['{"a": 1, "b": [1,2,3]}', '"str"', "null", "[]", '{"big": 12345678901234567890}', '  { "a" :1 , "a": 2}  ', '"\u2713 \\u2713"'].map(lit("json")),
  jsonb: ['{"b": 1, "a": [1, 2]}', '"x"', "12345678901234567890.5", "{}", '{"nested": {"deep": [true, false, null]}, "aa": "\u2713"}', '[1, "two", 3.0]', '{"a": 1, "a": 2}'].map(lit("jsonb")),
  date: ["2024-02-29", "2000-01-01", "1970-01-01", "0001-01-01", "0001-12-31 BC", "0001-01-01 BC", "4713-01-01 BC", "4714-11-24 BC", "1582-10-10", "1999-12-31", "5874897-12-31", "294276-12-31", "infinity", "-infinity"].map(lit("date")),
  time: ["00:00:00", "23:59:59.999999", "12:34:56.5", "24:00:00", "13:45:00.123", "00:00:00.000001"].map(lit("time")),
  timetz: ["12:34:56+02", "00:00:00+00", "23:59:59.999999-05:30", "10:00:00+05:45", "10:00:00-01:02:03", "24:00:00-15:59", "00:00:00+15:59"].map(lit("timetz")),
  timestamp: [
    "2024-02-29 13:45:00.5", "2000-01-01 00:00:00", "1970-01-01 00:00:00", "0044-03-15 12:00:00 BC", "4714-11-24 00:00:00 BC",
    "294276-12-31 23:59:59.999999", "1999-12-31 23:59:59.999999", "1900-01-01 00:00:00", "2262-04-11 23:47:16.854775",
    "2500-06-15 12:00:00.000001", "1650-01-01 00:00:00.000001", "0001-01-01 00:00:00", "0001-12-31 23:59:59.5 BC", "infinity", "-infinity"
  ].map(lit("timestamp")),
  timestamptz: [
    "2024-02-29 13:45:00.5+02", "2000-01-01 00:00:00+00", "1970-01-01 00:00:00Z", "0044-03-15 12:00:00+00 BC", "4714-11-24 00:00:00+00 BC",
    "294276-12-31 23:59:59.999999+00", "1999-12-31 23:59:59.999999-08", "2300-01-01 00:00:00.000001+05:30", "1650-06-30 12:00:00-03:30",
    "infinity", "-infinity"
  ].map(lit("timestamptz")),
  interval: [
    "1 year 2 mons 3 days 04:05:06.789", "0", "-1 years -2 mons +3 days -04:05:06", "1 day -00:00:01", "-1 day +00:00:01",
    "178000000 years", "-178000000 years", "2562047788:00:54.775807", "-2562047788:00:54.775807", "1 mon", "1 year", "-1 mon",
    "-00:00:00.000001", "1 day", "-1 days", "5 mons -3 days", "01:00:00", "100 hours", "0.5 seconds", "-1 years +1 mon",
    "2147483647 days", "-2147483648 days", "2147483647 mons", "-2147483648 mons"
  ].map(lit("interval"))
}

const arrays = {
  _int4: ["'{}'::int4[]", "'{1,2,3}'::int4[]", "'{1,NULL,3}'::int4[]", "'{NULL}'::int4[]", "'{{1,2},{3,4}}'::int4[]", "'[0:2]={1,2,3}'::int4[]", "'{{{1,2}},{{3,NULL}}}'::int4[]", "'{{NULL,NULL},{NULL,NULL}}'::int4[]"],
  _text: [
    "'{}'::text[]", "'{a,b}'::text[]", `ARRAY['', NULL, 'NULL', 'null', 'NuLl']`,
    `ARRAY['with "quote"', 'back\\slash', 'comma,here', '{brace}', 'sp ace', ' lead', 'trail ', E'tab\\there', E'nl\\nhere', E'cr\\rhere', E'vt\\x0bhere', E'ff\\x0chere', 'semi;colon', 'plain']`,
    `ARRAY['\u2713', '\u65e5\u672c', '\u{1f600}']`, `ARRAY[['a', NULL], ['"', '\\']]`
  ]
}
// Every scalar type also as an array of its first values and a NULL.
for (const [type, exprs] of Object.entries(scalars)) {
  const pgType = type === "char" ? '"char"' : type === "bpchar" ? "char(5)" : type
  const name = `_${type}`
  arrays[name] ??= []
  arrays[name].push(`ARRAY[${exprs.slice(0, 4).join(", ")}, NULL]::${pgType}[]`, `'{}'::${pgType}[]`)
}

// Deterministic pseudo-random floats (xorshift), written with enough digits to be exact.
let seed = 0x2545f491
const rand32 = () => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return seed >>> 0
}
const dv = new DataView(new ArrayBuffer(8))
const randomFloats = { float4: [], float8: [] }
while (randomFloats.float8.length < 150) {
  dv.setUint32(0, rand32())
  dv.setUint32(4, rand32())
  const v = dv.getFloat64(0)
  if (Number.isFinite(v)) randomFloats.float8.push(`${q(String(v))}::float8`)
}
while (randomFloats.float4.length < 150) {
  dv.setUint32(0, rand32())
  const v = dv.getFloat32(0)
  if (Number.isFinite(v)) randomFloats.float4.push(`${q(v.toPrecision(9))}::float4`)
}
// Powers of two (their rounding interval is lopsided) and large integers (bounds on half-integers).
for (let e = -149; e <= 127; e += 2) randomFloats.float4.push(`${q((2 ** e).toPrecision(9))}::float4`)
for (let e = -1074; e <= 1023; e += 9) randomFloats.float8.push(`${q(String(2 ** e))}::float8`)
for (let i = 0; i < 40; i++) {
  randomFloats.float4.push(`${q(String(Math.fround(2 ** 24 + rand32())))}::float4`)
  randomFloats.float8.push(`${q(String(2 ** 52 + rand32() * 2 ** (i % 30)))}::float8`)
}
// Also floats of "human" magnitudes, where the fixed/exponent switch happens.
for (let e = -8; e <= 20; e++) {
  randomFloats.float8.push(`${q(String((rand32() / 2 ** 32) * 10 ** e))}::float8`)
  randomFloats.float4.push(`${q(Math.fround((rand32() / 2 ** 32) * 10 ** e).toPrecision(9))}::float4`)
}

// Non-canonical inputs: our text decoders must give what PostgreSQL outputs.
const inputs = {
  bool: ["t", "TRUE", " yes ", "on", "1", "f", "False", "no", "off", "0", "tr", "of", "n", "y"],
  int2: [" 12 ", "+5", "-0", "007"],
  int4: [" 42", "+2147483647", "-0", "0000012"],
  int8: [" -9223372036854775808 ", "+1", "0042"],
  oid: ["-1", " 7 ", "4294967295", "-2147483648"],
  float4: ["1e3", " 1.5 ", "inf", "-INF", "nan", "+Infinity", ".5", "5.", "1.0000001", "3.4028234e38"],
  float8: ["1e3", " 1.5 ", "inf", "-inf", "NAN", "Infinity", ".5", "5.", "0.1e-2", "1E+300"],
  numeric: [" 1.50E2 ", "00012.300", "-0.00", "+5", ".5", "5.", "1e-3", "1.000e2", "inf", "-INF", " nan ", "0e10", "1.23e-2", "-1.5e1", "12345e-10"],
  bytea: ["\\x0A0b", "\\x 01 02", "abc", "a\\\\b", "\\001\\377", "\u00e9", "\\x"],
  uuid: ["A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11"],
  date: ["2024-2-9", " 2024-02-29 ", "0044-03-15 BC", "2024-02-29 AD", "epoch", "INFINITY", "10000-01-01", "2024-02-29 13:00:00"],
  time: ["1:2:3", "12:34", "12:34:56.1234567", "23:59:59.9999999", "allballs", "12:00:00+05", "24:00"],
  timetz: ["12:34:56", "12:34:56 +02", "12:34:56-0530", "12:34:56.5Z", "12:34:56+01:02:03", "12:34:56 UTC", "12:34-02"],
  timestamp: ["2024-02-29T13:45:00", "2024-02-29 13:45", "2024-02-29", "2024-02-29 13:45:00+05", "epoch", "2024-02-29 24:00:00", "1999-12-31 23:59:59.9999995", "2024-02-29 13:45:00.1234564", "0044-03-15 BC 12:00:00", "2024-02-29 13:45:00 AD"],
  timestamptz: ["2024-02-29T13:45:00Z", "2024-02-29 13:45:00+02", "2024-02-29 13:45:00-05:30", "2024-02-29 13:45:00+0530", "2024-02-29 13:45", "2024-02-29", "epoch", "2024-02-29 23:00:00-03", "2000-01-01 00:00:00+15:59:59", "0044-03-15 12:00:00+01 BC", "2024-02-29 13:45:00 UTC"],
  interval: [
    "1 day 2 hours", "@ 1 day 2 hours ago", "1.5 years", "1.5 months", "1.5 weeks", "1.5 days", "1.5 hours", "3 minutes 4.5 seconds", "2 decades",
    "1 century", "1 millennium", "10 ms", "10 us", "1 microsecond", "1 millisecond", "1 y 2 mon 3 d 4 h 5 m 6 s", "1 yr 2 mons", "1 week",
    "1 day 02:03:04", "02:03:04.5", "-02:03:04", "1 -02:03:04", "10:30", "-1.5 days", "1 year ago", "5", "5.5", "1-2", "-1-2", "1 2:03:04",
    "P1Y2M3DT4H5M6.7S", "P1W", "PT1.5H", "P-1Y-2M", "P0.5Y", "PT36H", "P1Y2M3D", "PT4H5M6S", "P0001-02-03T04:05:06", "P00010203T040506",
    "P1.5M", "PT0.000001S", "1 day, 2 hours", " 1 day ", "1day", "P1", "1 day ago 2", "+1 day", "1 hour 30 minutes ago", "1.25 mons", "1.75 weeks",
    "-0.5 days", "0.3333333 days", "1 mon 1.5 days", "05:06.7"
  ],
  _int4: ["{ 1 , 2 }", "{\"1\",\"2\"}", "[1:2]={1,2}", "[2]={1,2}", "[-1:0][3:4]={{1,2},{3,4}}", "{null,NULL}", " {1} ", "{{1},{2}}", " [0:1] = { 1 , 2 } "],
  _text: ["{a b,c}", "{\"a\\\"b\",c\\,d}", "{ a , b }", "{\\n}", "{abc\\ }", "{\"\"}", "{NULL,\"NULL\",\\NULL}"],
  _numeric: ["{1.50E2,NaN}"],
  _date: ["{2024-02-29,epoch,infinity}"],
  _bool: ["{t,FALSE,yes,NULL}"],
  _interval: ["{\"1 day\",P1Y}"]
}

// Inputs PostgreSQL rejects.
const errors = {
  bool: ["maybe", "", "o", "tru e"],
  int2: ["32768", "-32769", "abc", "1.5", ""],
  int4: ["abc", "2147483648", "-2147483649", "12a", "", " ", "1e3", "0x10"],
  int8: ["9223372036854775808", "abc", ""],
  oid: ["4294967296", "-2147483649", "x"],
  float4: ["abc", "1e39", "1e-50", "", "1.5x"],
  float8: ["abc", "1e309", "1e-400", "", "--1"],
  numeric: ["abc", "1e131072", "1e-16384", "", "1.2.3", "+NaN", "- 1"],
  bytea: ["\\X0a", "\\x0", "\\xzz", "\\", "a\\b", "\\400"],
  uuid: ["not-a-uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1g"],
  date: ["+infinity", "2023-02-29", "2024-13-01", "2024-00-10", "abc", "0000-01-01", "5874898-01-01", "4714-11-23 BC", "2024-02-30"],
  time: ["25:00:00", "12:60:00", "24:00:01", "abc", "12:00:61"],
  timetz: ["12:00:00+16", "abc", "12:00:00+15:60"],
  timestamp: ["2024-02-29 25:00:00", "294277-01-01 00:00:00", "4714-11-23 23:59:59 BC", "abc", "2024-02-30 00:00:00"],
  timestamptz: ["2024-02-29 12:00:00+16", "abc", "2024-02-29 12:00:00+15:60"],
  interval: ["abc", "1 day 1 day", "1 fortnight", "1 hour 01:00:00", "2hours30minutes", "2147483648 days", "178956971 years", "P1Y2", "@"],
  _int4: ["{{}}", "{{},{}}", "[1:2]={}", "[1:1]={1,2}", "[2:1]={}", "[1:2]={{1,2},{3,4}}", "[1:2]", "[ 0:1]={1,2}", "{1,2", "{{1,2},{3}}", "{1,{2}}", "1,2", "{1,,2}", "{\"1\"x}", "{1} x", "{a}"],
  _text: ["{a\"b}", "{\"a}", "{a,{b}}"]
}

const typeOf = {}
const main = async () => {
  const cluster = await startPostgres({ defaultUsers: false })
  try {
    const client = new pg.Client({
      host: cluster.host,
      port: cluster.port,
      user: "postgres",
      database: "postgres",
      types: { getTypeParser: () => (v) => v }
    })
    client.on("error", () => {})
    await client.connect()
    await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1")
    const version = (await client.query("SHOW server_version")).rows[0].server_version

    const catalog = (
      await client.query(
        "SELECT oid::int AS oid, typname, typarray::int AS typarray, typlen::int AS typlen, typcategory, typelem::int AS typelem, typdelim, typtype FROM pg_type WHERE oid < 10000 ORDER BY oid"
      )
    ).rows

    /** Text and binary output of a batch of SQL expressions. */
    const capture = async (type, exprs) => {
      const out = []
      for (let i = 0; i < exprs.length; i += 50) {
        const batch = exprs.slice(i, i + 50)
        const select = "SELECT " + batch.map((e, k) => `${e} AS c${k}`).join(", ")
        const res = await client.query({ text: select, rowMode: "array" })
        const bin = execFileSync(
          PSQL,
          ["-h", cluster.host, "-p", String(cluster.port), "-U", "postgres", "-d", "postgres", "-X", "-q", "-c", `COPY (${select}) TO STDOUT (FORMAT binary)`],
          { maxBuffer: 256 * 1024 * 1024 }
        )
        const fields = parseBinaryCopy(bin)
        if (fields.length !== batch.length) throw new Error(`${type}: ${fields.length} binary fields for ${batch.length} expressions`)
        batch.forEach((sql, k) => {
          const oid = res.fields[k].dataTypeID
          typeOf[type] ??= oid
          if (typeOf[type] !== oid) throw new Error(`${type}: ${sql} has type ${oid}, expected ${typeOf[type]}`)
          out.push({ type, oid, sql, text: res.rows[0][k], binary: fields[k] === null ? null : fields[k].toString("hex") })
        })
      }
      return out
    }

    const values = []
    for (const [type, exprs] of Object.entries(scalars)) values.push(...(await capture(type, exprs)))
    for (const [type, exprs] of Object.entries(randomFloats)) values.push(...(await capture(type, exprs)))
    for (const [type, exprs] of Object.entries(arrays)) values.push(...(await capture(type, exprs)))

    const pgTypeName = (type) => (type === "char" ? '"char"' : type.startsWith("_") ? `${pgTypeName(type.slice(1))}[]` : type)
    const problems = []
    const inputRows = []
    for (const [type, list] of Object.entries(inputs)) {
      for (const input of list) {
        try {
          const res = await client.query({ text: `SELECT $1::${pgTypeName(type)}`, values: [input], rowMode: "array" })
          inputRows.push({ type, oid: res.fields[0].dataTypeID, input, text: res.rows[0][0] })
        } catch (e) {
          problems.push(`input ${JSON.stringify(input)} for ${type} was rejected: ${e.message}`)
        }
      }
    }
    const errorRows = []
    for (const [type, list] of Object.entries(errors)) {
      for (const input of list) {
        try {
          const res = await client.query({ text: `SELECT $1::${pgTypeName(type)}`, values: [input], rowMode: "array" })
          problems.push(`input ${JSON.stringify(input)} for ${type} was accepted: ${res.rows[0][0]}`)
        } catch (e) {
          if (e.code === undefined) continue
          errorRows.push({ type, input, sqlState: e.code, message: e.message })
        }
      }
    }
    await client.end()
    if (problems.length > 0) throw new Error("the tables above disagree with PostgreSQL:\n" + problems.join("\n"))

    const golden = {
      comment: "Captured by packages/protocol/scripts/capture-types.mjs from a real PostgreSQL; binary values are hex typsend output.",
      serverVersion: version,
      settings: { TimeZone: "UTC", DateStyle: "ISO, MDY", IntervalStyle: "postgres", extra_float_digits: 1 },
      values,
      inputs: inputRows,
      errors: errorRows,
      catalog
    }
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.writeFileSync(target, JSON.stringify(golden, null, 1) + "\n")
    console.log(`wrote ${path.relative(process.cwd(), target)}: ${values.length} values, ${inputRows.length} inputs, ${errorRows.length} errors, ${catalog.length} catalog rows (PostgreSQL ${version})`)
  } finally {
    await cluster.stop()
  }
}

/** The fields of the single row in a binary COPY stream (signature, flags, extension, tuples, trailer). */
function parseBinaryCopy(buf) {
  const signature = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1")
  if (!buf.subarray(0, 11).equals(signature)) throw new Error("not a binary COPY stream")
  let p = 11 + 4
  const extension = buf.readInt32BE(p)
  p += 4 + extension
  const rows = []
  for (;;) {
    const n = buf.readInt16BE(p)
    p += 2
    if (n === -1) break
    const fields = []
    for (let i = 0; i < n; i++) {
      const len = buf.readInt32BE(p)
      p += 4
      if (len === -1) fields.push(null)
      else {
        fields.push(buf.subarray(p, p + len))
        p += len
      }
    }
    rows.push(fields)
  }
  if (rows.length !== 1) throw new Error(`expected 1 row, got ${rows.length}`)
  return rows[0]
}

await main()
