// COPY both ways against a real PostgreSQL 15: 100,000 rows in and out (text, CSV, binary),
// server-side errors during the copy, a failing input Stream (CopyFail), statements that are
// not COPY, requests queued behind a COPY, and early stops.
import { Client, type ClientOptions, type PgClient, PgError, PgValueError } from "@pgwire-ts/client"
import { CopyBinaryParser, decodeCopyValues, Oid } from "@pgwire-ts/protocol"
import { Chunk, Data, Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { failure, openShared, run } from "./support.js"

let cluster: PostgresCluster
let client: PgClient
let close: () => Promise<void>
let options: ClientOptions

const ROWS = 100_000

beforeAll(async () => {
  cluster = await startPostgres()
  options = {
    host: cluster.host,
    port: cluster.port,
    user: "scram_user",
    password: "scram_pass",
    database: "postgres",
    sslmode: "disable",
    parameters: { TimeZone: "UTC" }
  }
  ;({ client, close } = await openShared(options))
  await run(client.query("CREATE TABLE rows_in (id int PRIMARY KEY, label text, score float8, at timestamptz, raw bytea)"))
}, 60_000)

afterAll(async () => {
  await close?.()
  await cluster?.stop()
})

// Labels exercise the text format's escapes: tab, newline, carriage return, backslash, and "\N".
const label = (i: number): string | null => (i % 10 === 0 ? null : i % 7 === 0 ? `tab\there\nnew\\line\r\\N #${i}` : `row ${i}`)
const row = (i: number): ReadonlyArray<unknown> => [
  i,
  label(i),
  i % 3 === 0 ? null : i / 4,
  new Date(Date.UTC(2024, 0, 1) + i * 1000),
  i % 5 === 0 ? new Uint8Array([i & 0xff, 0, 0x5c]) : null
]
const OIDS = [Oid.int4, Oid.text, Oid.float8, Oid.timestamptz, Oid.bytea]

const count = async (sql: string) => (await run(client.execute(sql))).rows[0]!.n

class SourceFailed extends Data.TaggedError("SourceFailed")<{ readonly why: string }> {}

describe("copyFrom", () => {
  it("loads 100,000 rows of JS values through COPY FROM STDIN (text format)", async () => {
    const rows = Stream.range(1, ROWS).pipe(Stream.map(row))
    const copied = await run(client.copyFromRows("COPY rows_in FROM STDIN", rows, { format: "text" }, { oids: OIDS }))
    expect(copied).toBe(ROWS)
    expect(await count("SELECT count(*)::int AS n FROM rows_in")).toBe(ROWS)
    // The server holds exactly what we sent: spot checks and whole-table aggregates.
    const check = await run(client.execute(
      "SELECT sum(id)::int8 AS ids, count(label)::int AS labels, count(score)::int AS scores, sum(score) AS total, count(raw)::int AS raws FROM rows_in"
    ))
    let total = 0
    for (let i = 1; i <= ROWS; i++) if (i % 3 !== 0) total += i / 4
    expect(check.rows[0]).toEqual({
      ids: BigInt((ROWS * (ROWS + 1)) / 2),
      labels: ROWS - ROWS / 10,
      scores: ROWS - Math.floor(ROWS / 3),
      total,
      raws: ROWS / 5
    })
    const seven = await run(client.execute("SELECT label, at, raw FROM rows_in WHERE id IN (70, 35) ORDER BY id"))
    expect(seven.rows).toEqual([
      { label: label(35), at: "2024-01-01 00:00:35+00", raw: new Uint8Array([35, 0, 0x5c]) },
      { label: null, at: "2024-01-01 00:01:10+00", raw: new Uint8Array([70, 0, 0x5c]) }
    ])
  })

  it("takes raw bytes and strings, in CSV", async () => {
    await run(client.query("CREATE TEMP TABLE csv_in (a int, b text)"))
    const data = Stream.make("1,one\n2,\"two, quoted\"\n", new TextEncoder().encode("3,\n4,\"\"\n"))
    expect(await run(client.copyFrom("COPY csv_in FROM STDIN (FORMAT csv)", data))).toBe(4)
    const r = await run(client.execute("SELECT a, b FROM csv_in ORDER BY a"))
    expect(r.rows).toEqual([{ a: 1, b: "one" }, { a: 2, b: "two, quoted" }, { a: 3, b: null }, { a: 4, b: "" }])
  })

  it("a row the server rejects fails the COPY with its PgError; nothing is stored; the connection stays usable", async () => {
    await run(client.query("CREATE TEMP TABLE strict_in (n int)"))
    const lines = Stream.range(1, 50_000).pipe(Stream.map((i) => (i === 20_000 ? "not a number\n" : `${i}\n`)))
    const e = await failure(client.copyFrom("COPY strict_in FROM STDIN", lines))
    expect(e).toBeInstanceOf(PgError)
    expect(e).toMatchObject({ code: "22P02" })
    expect((e as PgError).where).toContain("line 20000")
    expect(await count("SELECT count(*)::int AS n FROM strict_in")).toBe(0)
  })

  it("a failing input Stream sends CopyFail: the COPY is rolled back and the Stream's error comes out", async () => {
    await run(client.query("CREATE TEMP TABLE aborted_in (n int)"))
    const lines = Stream.concat(
      Stream.range(1, 1000).pipe(Stream.map((i) => `${i}\n`)),
      Stream.fail(new SourceFailed({ why: "disk gone" }))
    )
    const e = await failure(client.copyFrom("COPY aborted_in FROM STDIN", lines))
    expect(e).toEqual(new SourceFailed({ why: "disk gone" }))
    expect(await count("SELECT count(*)::int AS n FROM aborted_in")).toBe(0)
  })

  it("refuses a statement that is not COPY FROM STDIN, or fails, without reading the input", async () => {
    let pulled = false
    const input = Stream.sync(() => {
      pulled = true
      return "1\n"
    })
    expect(await failure(client.copyFrom("SELECT 1", input))).toBeInstanceOf(PgValueError)
    expect((await failure(client.copyFrom("COPY no_such_table FROM STDIN", input)) as PgError).code).toBe("42P01")
    expect(pulled).toBe(false)
  })

  it("requests made during a COPY wait for it and run after it, in order", async () => {
    await run(client.query("CREATE TEMP TABLE queued_in (n int)"))
    const [copied, during] = await run(Effect.all([
      client.copyFrom("COPY queued_in FROM STDIN", Stream.range(1, 20_000).pipe(Stream.map((i) => `${i}\n`))),
      Effect.zipRight(Effect.sleep("1 millis"), client.execute("SELECT count(*)::int AS n FROM queued_in"))
    ], { concurrency: "unbounded" }))
    expect(copied).toBe(20_000)
    expect(during.rows).toEqual([{ n: 20_000 }])
  })
})

describe("copyTo", () => {
  it("streams 100,000 rows out through COPY TO STDOUT (text), as PostgreSQL wrote them", async () => {
    const rows = await run(Stream.runCollect(client.copyToRows("COPY (SELECT id, label, score FROM rows_in ORDER BY id) TO STDOUT", { format: "text" })))
    expect(Chunk.size(rows)).toBe(ROWS)
    const values = Chunk.toArray(rows).map((r) => decodeCopyValues(r, [Oid.int4, Oid.text, Oid.float8]))
    expect(values.every((v, i) => v[0] === i + 1 && v[1] === label(i + 1) && v[2] === ((i + 1) % 3 === 0 ? null : (i + 1) / 4))).toBe(true)
  })

  it("gives the raw CopyData bytes: CSV with a header", async () => {
    const chunks = await run(Stream.runCollect(client.copyTo("COPY (SELECT id, label FROM rows_in WHERE id IN (7, 10) ORDER BY id) TO STDOUT (FORMAT csv, HEADER)")))
    const text = Buffer.concat(Chunk.toArray(chunks)).toString("utf8")
    expect(text).toBe(`id,label\n7,"tab\there\nnew\\line\r\\N #7"\n10,\n`)
  })

  it("binary format decodes with the binary codecs", async () => {
    const chunks = await run(Stream.runCollect(client.copyTo("COPY (SELECT id, at, raw FROM rows_in WHERE id <= 10 ORDER BY id) TO STDOUT (FORMAT binary)")))
    const parser = new CopyBinaryParser()
    for (const c of chunks) parser.push(c)
    const rows = [...parser, ...parser.end()].map((r) => decodeCopyValues(r, [Oid.int4, Oid.timestamptz, Oid.bytea]))
    expect(rows).toHaveLength(10)
    expect(rows[4]).toEqual([5, "2024-01-01 00:00:05+00", new Uint8Array([5, 0, 0x5c])])
  })

  it("fails with the server's error, and stops early without breaking the connection", async () => {
    expect((await failure(Stream.runCollect(client.copyTo("COPY no_such_table TO STDOUT")))) as PgError).toMatchObject({ code: "42P01" })
    expect(await failure(Stream.runCollect(client.copyTo("SELECT 1")))).toBeInstanceOf(PgValueError)
    const some = await run(Stream.runCollect(Stream.take(client.copyTo("COPY rows_in TO STDOUT"), 2)))
    expect(Chunk.size(some)).toBe(2)
    expect(await count("SELECT count(*)::int AS n FROM rows_in")).toBe(ROWS)
  })

  it("round-trips between two connections: COPY TO on one feeds COPY FROM on the other", async () => {
    await run(client.query("CREATE TABLE rows_copy (LIKE rows_in)"))
    const loaded = await run(Effect.gen(function*() {
      const source = yield* Client.connect(options)
      return yield* client.copyFrom("COPY rows_copy FROM STDIN (FORMAT binary)", source.copyTo("COPY rows_in TO STDOUT (FORMAT binary)"))
    }))
    expect(loaded).toBe(ROWS)
    const diff = await count("SELECT count(*)::int AS n FROM ((TABLE rows_in EXCEPT ALL TABLE rows_copy) UNION ALL (TABLE rows_copy EXCEPT ALL TABLE rows_in)) d")
    expect(diff).toBe(0)
  })
})
