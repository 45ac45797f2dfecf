// Every supported type against a real PostgreSQL 15, read four ways (simple query = text; extended
// with binary results; extended with text results; one-shot with text parameters) and sent back as
// a parameter in binary and in text. String-valued types are also compared with PostgreSQL's own
// text output of the same value (`::text`), so our codecs agree with the server, not just with
// themselves. The session runs with TimeZone=UTC.
import type { PgClient } from "@pgwire-ts/client"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { openShared, run } from "./support.js"

let cluster: PostgresCluster
let client: PgClient
let close: () => Promise<void>

beforeAll(async () => {
  cluster = await startPostgres()
  ;({ client, close } = await openShared({
    host: cluster.host,
    port: cluster.port,
    user: "trust_user",
    database: "postgres",
    sslmode: "disable",
    parameters: { TimeZone: "UTC" }
  }))
}, 60_000)

afterAll(async () => {
  await close?.()
  await cluster?.stop()
})

const bytes = (...b: Array<number>) => new Uint8Array(b)

interface Case {
  /** The SQL type to cast to. */
  readonly type: string
  /** A SQL literal of that type. */
  readonly literal: string
  /** What every read decodes to. */
  readonly value: unknown
  /** How to compare with the parameter sent back ("=" by default; json has no equality). */
  readonly compare?: "text"
}

const cases: ReadonlyArray<Case> = [
  { type: "bool", literal: "true", value: true },
  { type: "bool", literal: "false", value: false },
  { type: "int2", literal: "-32768", value: -32768 },
  { type: "int2", literal: "32767", value: 32767 },
  { type: "int4", literal: "-2147483648", value: -2147483648 },
  { type: "int4", literal: "2147483647", value: 2147483647 },
  { type: "int8", literal: "-9223372036854775808", value: -9223372036854775808n },
  { type: "int8", literal: "9223372036854775807", value: 9223372036854775807n },
  { type: "int8", literal: "0", value: 0n },
  { type: "oid", literal: "4294967295", value: 4294967295 },
  { type: "float4", literal: "1.5", value: 1.5 },
  { type: "float4", literal: "3.4028235e38", value: 3.4028234663852886e38 },
  { type: "float4", literal: "'NaN'", value: NaN },
  { type: "float4", literal: "'-Infinity'", value: -Infinity },
  { type: "float8", literal: "0.1", value: 0.1 },
  { type: "float8", literal: "'-0'", value: -0 },
  { type: "float8", literal: "1e-310", value: 1e-310 },
  { type: "float8", literal: "1.7976931348623157e308", value: 1.7976931348623157e308 },
  { type: "float8", literal: "'NaN'", value: NaN },
  { type: "float8", literal: "'Infinity'", value: Infinity },
  { type: "float8", literal: "'-Infinity'", value: -Infinity },
  { type: "numeric", literal: "'123456789012345678901234567890.000000001'", value: "123456789012345678901234567890.000000001" },
  { type: "numeric", literal: "'-0.50'", value: "-0.50" },
  { type: "numeric", literal: "'1e-20'", value: "0.00000000000000000001" },
  { type: "numeric", literal: "'0'", value: "0" },
  { type: "numeric", literal: "'NaN'", value: "NaN" },
  { type: "numeric", literal: "'Infinity'", value: "Infinity" },
  { type: "numeric", literal: "'-Infinity'", value: "-Infinity" },
  { type: "text", literal: "'héllo wörld ☃ 😀'", value: "héllo wörld ☃ 😀" },
  { type: "text", literal: "''", value: "" },
  { type: "text", literal: `'quote '' backslash \\ tab	end'`, value: "quote ' backslash \\ tab\tend" },
  { type: "varchar(10)", literal: "'short'", value: "short" },
  { type: "char(5)", literal: "'ab'", value: "ab   " },
  { type: "name", literal: "'pg_class'", value: "pg_class" },
  { type: "bytea", literal: "'\\xdeadbeef00'", value: bytes(0xde, 0xad, 0xbe, 0xef, 0x00) },
  { type: "bytea", literal: "''", value: bytes() },
  { type: "uuid", literal: "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" },
  { type: "json", literal: `'{"a": [1, 2.50, "x"],  "b": null}'`, value: `{"a": [1, 2.50, "x"],  "b": null}`, compare: "text" },
  { type: "jsonb", literal: `'{"b": null, "a": [1, 2.50, "x"]}'`, value: `{"a": [1, 2.50, "x"], "b": null}` },
  { type: "jsonb", literal: `'123456789012345678901234567890'`, value: "123456789012345678901234567890" },
  { type: "date", literal: "'2024-02-29'", value: "2024-02-29" },
  { type: "date", literal: "'4713-01-01 BC'", value: "4713-01-01 BC" },
  { type: "date", literal: "'5874897-12-31'", value: "5874897-12-31" },
  { type: "date", literal: "'infinity'", value: "infinity" },
  { type: "date", literal: "'-infinity'", value: "-infinity" },
  { type: "time", literal: "'13:45:30.123456'", value: "13:45:30.123456" },
  { type: "time", literal: "'24:00:00'", value: "24:00:00" },
  { type: "timetz", literal: "'13:45:30+05:30'", value: "13:45:30+05:30" },
  { type: "timetz", literal: "'00:00:00.5-08'", value: "00:00:00.5-08" },
  { type: "timestamp", literal: "'2024-02-29 13:45:30.5'", value: "2024-02-29 13:45:30.5" },
  { type: "timestamp", literal: "'1999-12-31 23:59:59.999999'", value: "1999-12-31 23:59:59.999999" },
  { type: "timestamp", literal: "'0044-03-15 12:00:00 BC'", value: "0044-03-15 12:00:00 BC" },
  { type: "timestamp", literal: "'infinity'", value: "infinity" },
  { type: "timestamptz", literal: "'2024-02-29 13:45:30.5+02'", value: "2024-02-29 11:45:30.5+00" },
  { type: "timestamptz", literal: "'1970-01-01 00:00:00+00'", value: "1970-01-01 00:00:00+00" },
  { type: "timestamptz", literal: "'-infinity'", value: "-infinity" },
  { type: "interval", literal: "'1 year 2 mons 3 days 04:05:06.789'", value: "1 year 2 mons 3 days 04:05:06.789" },
  { type: "interval", literal: "'-1 days +02:00:00'", value: "-1 days +02:00:00" },
  { type: "interval", literal: "'0'", value: "00:00:00" },
  { type: "interval", literal: "'-178000000 years'", value: "-178000000 years" },
  { type: "int4[]", literal: "'{1,NULL,3}'", value: [1, null, 3] },
  { type: "int4[]", literal: "'{}'", value: [] },
  { type: "int8[]", literal: "'{{1,2},{3,NULL}}'", value: [[1n, 2n], [3n, null]] },
  { type: "int2[]", literal: "'{-1,32767}'", value: [-1, 32767] },
  { type: "float8[]", literal: "'{1.5,NaN,-Infinity,NULL}'", value: [1.5, NaN, -Infinity, null] },
  { type: "float4[]", literal: "'{0.25,Infinity}'", value: [0.25, Infinity] },
  { type: "numeric[]", literal: "'{1.10,NULL,NaN}'", value: ["1.10", null, "NaN"] },
  { type: "bool[]", literal: "'{t,f,NULL}'", value: [true, false, null] },
  { type: "text[]", literal: `'{"a b",NULL,"c\\"d","NULL",""}'`, value: ["a b", null, 'c"d', "NULL", ""] },
  { type: "varchar[]", literal: `'{x,"{y}"}'`, value: ["x", "{y}"] },
  { type: "bytea[]", literal: `ARRAY['\\x01ff'::bytea, NULL]`, value: [bytes(0x01, 0xff), null] },
  { type: "uuid[]", literal: "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'", value: ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", null] },
  { type: "jsonb[]", literal: `ARRAY['{"a":1}'::jsonb, NULL, '[true]']`, value: [`{"a": 1}`, null, "[true]"] },
  { type: "date[]", literal: "'{2024-01-01,NULL,infinity}'", value: ["2024-01-01", null, "infinity"] },
  { type: "timestamptz[]", literal: `'{"2024-01-01 10:00:00+01",NULL}'`, value: ["2024-01-01 09:00:00+00", null] },
  { type: "interval[]", literal: `'{"1 day",NULL,"-00:00:01"}'`, value: ["1 day", null, "-00:00:01"] },
  { type: "time[]", literal: `'{"12:00:00",NULL}'`, value: ["12:00:00", null] }
]

const name = (c: Case) => `${c.type} ${c.literal}`

describe("reading every supported type", () => {
  it.each(cases.map((c) => [name(c), c] as const))("%s: text, binary and one-shot reads agree with the value", async (_, c) => {
    const sql = `SELECT (${c.literal})::${c.type} AS v`
    const [simple, binary, text, oneShot] = await run(Effect.all([
      client.query(sql),
      client.execute(sql),
      client.execute(sql, [], { resultFormat: "text" }),
      client.execute(sql, [], { prepare: false })
    ]))
    expect(simple[0]!.rows[0]!.v).toEqual(c.value)
    expect(binary.rows[0]!.v).toEqual(c.value)
    expect(text.rows[0]!.v).toEqual(c.value)
    expect(oneShot.rows[0]!.v).toEqual(c.value)
  })

  // char(n)::text drops the padding that char's output keeps, so it is left out here.
  it.each(cases.filter((c) => typeof c.value === "string" && !c.type.startsWith("char")).map((c) => [name(c), c] as const))(
    "%s: the value is PostgreSQL's own text output",
    async (_, c) => {
      const r = await run(client.query(`SELECT ((${c.literal})::${c.type})::text AS t`))
      expect(r[0]!.rows[0]!.t).toBe(c.value)
    }
  )

  it("binary results really are binary for types with a codec, text otherwise", async () => {
    const st = await run(client.prepare("SELECT 1::int4 AS a, 'x'::text AS b, '(1,2)'::point AS p"))
    expect(st.binaryFormats).toEqual([1, 1, 0])
    const r = await run(client.execute(st))
    expect(r.rows).toEqual([{ a: 1, b: "x", p: "(1,2)" }])
  })
})

describe("sending every supported type as a parameter", () => {
  const same = (c: Case) =>
    c.compare === "text" ? `$1::${c.type}::text = (${c.literal})::${c.type}::text` : `$1::${c.type} IS NOT DISTINCT FROM (${c.literal})::${c.type}`

  it.each(cases.map((c) => [name(c), c] as const))("%s: binary and text parameters reach the server as the same value", async (_, c) => {
    const sql = `SELECT $1::${c.type} AS v, ${same(c)} AS same`
    const [binary, text] = await run(Effect.all([
      client.execute(sql, [c.value]),
      client.execute(sql, [c.value], { prepare: false })
    ]))
    expect(binary.rows[0]).toEqual({ v: c.value, same: true })
    expect(text.rows[0]).toEqual({ v: c.value, same: true })
  })

  it("encodes JS values of other shapes: Date, numbers for numeric and int8, objects for jsonb", async () => {
    const when = new Date(Date.UTC(2024, 1, 29, 11, 45, 30, 500))
    const r = await run(client.execute(
      "SELECT $1::timestamptz AS ts, $2::date AS d, $3::numeric AS n, $4::int8 AS big, $5::jsonb AS j, $6::float4 AS f",
      [when, when, 12.5, 42, { b: [1, "two"], a: null }, 0.5]
    ))
    expect(r.rows[0]).toEqual({ ts: "2024-02-29 11:45:30.5+00", d: "2024-02-29", n: "12.5", big: 42n, j: `{"a": null, "b": [1, "two"]}`, f: 0.5 })
  })
})
