// The client's text paths against a real PostgreSQL 15: text-format rows (simple query, one-shot
// and text-format execute) read through the protocol's decodeDataRowText, and untyped parameters
// bound through encodeBindText; values compared with what PostgreSQL itself says about them.
import { type PgClient, PgValueError } from "@pgwire-ts/client"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { failure, openShared, run } from "./support.js"

let cluster: PostgresCluster
let client: PgClient
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  cluster = await startPostgres()
  const a = await openShared({ host: cluster.host, port: cluster.port, user: "scram_user", password: "scram_pass", database: "postgres", sslmode: "disable" })
  client = a.client
  closers.push(a.close)
}, 60_000)

afterAll(async () => {
  for (const close of closers) await close()
  await cluster?.stop()
})

// ASCII, Latin-1 range, multi-byte, astral, empty, and rows past the protocol's 1 KiB row-string bound.
const texts = ["plain", "héllo wörld", "日本語", "\u{1F418} elephant", "", "a".repeat(1500), "x".repeat(1100) + "é"]

describe("text results through decodeDataRowText", () => {
  it("simple query: text, NULL, empty, long and non-ASCII values with typed columns beside them", async () => {
    const values = texts.map((t) => `('${t}')`).join(", ")
    const [r] = await run(client.query(
      `SELECT v, length(v) AS chars, octet_length(v) AS bytes, NULL::text AS nothing, 42::int4 AS n FROM (VALUES ${values}) AS t(v)`
    ))
    expect(r!.rows).toEqual(texts.map((t) => ({ v: t, chars: [...t].length, bytes: Buffer.byteLength(t), nothing: null, n: 42 })))
  })

  it("an all-NULL row, a row of empty strings, and many columns", async () => {
    const [r] = await run(client.query("SELECT NULL::text AS a, NULL::int AS b UNION ALL SELECT '', 0"))
    expect(r!.rows).toEqual([{ a: null, b: null }, { a: "", b: 0 }])
    const cols = Array.from({ length: 200 }, (_, i) => `'c${i}é' AS c${i}`).join(", ")
    const [wide] = await run(client.query(`SELECT ${cols}`))
    expect(Object.values(wide!.rows[0]!)).toEqual(Array.from({ length: 200 }, (_, i) => `c${i}é`))
  })

  it("text-format execute gives the same rows as the binary default", async () => {
    const sql = "SELECT g AS i, 'row ' || g || ' ü' AS t, g * 1.5::float8 AS f, (g % 3 = 0) AS b FROM generate_series(1, 2000) g"
    const binary = await run(client.execute(sql))
    const text = await run(client.execute(sql, [], { resultFormat: "text" }))
    expect(text.rows).toEqual(binary.rows)
    expect(text.rows[1999]).toEqual({ i: 2000, t: "row 2000 ü", f: 3000, b: false })
  })
})

describe("untyped parameters through encodeBindText", () => {
  it("one-shot execute sends strings, numbers, booleans, dates and NULL as text", async () => {
    for (const t of texts) {
      const r = await run(client.execute("SELECT $1::text AS v, octet_length($1::text) AS bytes, $2::int + 1 AS n, $3::bool AS b, $4::text IS NULL AS isnull", [t, 41, true, null], { prepare: false }))
      expect(r.rows).toEqual([{ v: t, bytes: Buffer.byteLength(t), n: 42, b: true, isnull: true }])
    }
  })

  it("pipelined one-shot queries bind their own parameters", async () => {
    const items = texts.map((t, i) => ({ statement: "SELECT $1::text || $2::text AS v", params: [t, String(i)] }))
    const results = await run(client.pipeline(items, { prepare: false }))
    expect(results.map((r) => r.rows[0])).toEqual(texts.map((t, i) => ({ v: t + String(i) })))
  })

  it("a value no codec can write is a PgValueError naming the parameter, and nothing is sent", async () => {
    const e = await failure(client.execute("SELECT $1::text AS a, $2::text AS b", ["ok", Symbol("no")], { prepare: false }))
    expect(e).toBeInstanceOf(PgValueError)
    expect((e as PgValueError).at).toBe(2)
    const after = await run(client.execute("SELECT $1::text AS a", ["still fine"], { prepare: false }))
    expect(after.rows).toEqual([{ a: "still fine" }])
  })
})
