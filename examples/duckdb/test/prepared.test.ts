import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { Oid } from "@pgwire-ts/protocol"
import type { QueryResult } from "@pgwire-ts/server"
import { Chunk, Effect, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { executeStatement, prepareStatement } from "../src/DuckDbPrepared.js"
import { replaceParameters } from "../src/sqlParameters.js"

let instance: DuckDBInstance
let connection: DuckDBConnection
beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:")
  connection = await instance.connect()
  await connection.run("CREATE TABLE t (id BIGINT, name VARCHAR, price DECIMAL(10,2), day DATE)")
  await connection.run("INSERT INTO t VALUES (1, 'a', 1.50, DATE '2024-01-01'), (2, 'b', 2.25, DATE '2024-01-02')")
})
afterAll(() => {
  connection.closeSync()
  instance.closeSync()
})

const rowsOf = (result: QueryResult) =>
  result._tag === "Rows" ? Effect.runPromise(Effect.map(Stream.runCollect(result.rows), Chunk.toArray)) : Promise.resolve(result)

const run = async (sql: string, parameters: ReadonlyArray<unknown>, clientTypes: ReadonlyArray<number> = []) => {
  const described = await Effect.runPromise(prepareStatement(connection, sql, clientTypes))
  const result = await Effect.runPromise(executeStatement(connection, described.statement, described.parameterTypes, parameters))
  return { described, result, rows: await rowsOf(result) }
}

describe("DuckDB prepared statements for the extended protocol", () => {
  it("describes parameter and result types before running", async () => {
    const d = await Effect.runPromise(prepareStatement(connection, "SELECT name, price, day FROM t WHERE id = $1 AND day > $2", []))
    expect(d.parameterTypes).toEqual([Oid.int8, Oid.date])
    expect(d.fields?.map((f) => [f.name, f.typeOid])).toEqual([
      ["name", Oid.varchar],
      ["price", Oid.numeric],
      ["day", Oid.date]
    ])
    // An uninferable parameter is text, unless the client named a type.
    expect((await Effect.runPromise(prepareStatement(connection, "SELECT $1 AS x", []))).parameterTypes).toEqual([Oid.text])
    expect((await Effect.runPromise(prepareStatement(connection, "SELECT $1::INTEGER AS x", [Oid.int8]))).parameterTypes).toEqual([Oid.int8])
  })

  it("untyped parameters and the columns that hang on them are inferred by describing the statement with typed values in their places", async () => {
    const filtered = await Effect.runPromise(prepareStatement(connection, "SELECT range AS i FROM range(10) WHERE range % $1 = 0", []))
    expect(filtered.fields?.map((f) => [f.name, f.typeOid])).toEqual([["i", Oid.int8]])
    // DuckDB could not type $1; describing it as a number worked, so the parameter is int8 (as PostgreSQL infers it).
    expect(filtered.parameterTypes).toEqual([Oid.int8])
    const every3 = await Effect.runPromise(executeStatement(connection, filtered.statement, filtered.parameterTypes, [3n]))
    expect(await rowsOf(every3)).toEqual([[0n], [3n], [6n], [9n]])
    // A typed NULL would let `range(VARCHAR)` through at prepare time; a sample value does not.
    const ranged = await Effect.runPromise(prepareStatement(connection, "SELECT range AS i FROM range($1)", []))
    expect(ranged.parameterTypes).toEqual([Oid.int8])
    const limited = await Effect.runPromise(prepareStatement(connection, "SELECT name FROM t LIMIT $1", []))
    expect(limited.parameterTypes).toEqual([Oid.int8])
    const typed = await run("SELECT $1 AS x", [42n], [Oid.int8])
    expect(typed.described.fields?.map((f) => [f.name, f.typeOid])).toEqual([["x", Oid.int8]])
    expect(typed.rows).toEqual([[42n]])
    // Untyped: text, and whatever DuckDB makes of the bound value goes out as text.
    const untyped = await run("SELECT $1 AS x", ["hello"])
    expect(untyped.described.fields?.map((f) => [f.name, f.typeOid])).toEqual([["x", Oid.varchar]])
    expect(untyped.rows).toEqual([["hello"]])
  })

  it("replaceParameters finds $n only outside literals, identifiers, comments and dollar quotes", () => {
    const sql = `SELECT $1, '$2', "$3", $$ $4 $$, $tag$ $5 $tag$, x$6, -- $7\n /* $8 */ $10`
    expect(replaceParameters(sql, (n) => `<${n}>`)).toBe(`SELECT <1>, '$2', "$3", $$ $4 $$, $tag$ $5 $tag$, x$6, -- $7\n /* $8 */ <10>`)
    expect(replaceParameters("SELECT 'it''s $1' || $2", (n) => `<${n}>`)).toBe("SELECT 'it''s $1' || <2>")
  })

  it("binds decoded parameters (bigint, text dates, numbers, NULL) and streams the rows", async () => {
    const r = await run("SELECT name, price FROM t WHERE id >= $1 AND day >= $2 AND price > $3 ORDER BY id", [1n, "2024-01-02", 2])
    expect(r.rows).toEqual([["b", "2.25"]])
    const nothing = await run("SELECT count(*) AS n FROM t WHERE name = $1", [null])
    expect(nothing.rows).toEqual([[0n]])
  })

  it("DML: no row description without RETURNING, rows and a counted tag with it", async () => {
    const plain = await run("INSERT INTO t VALUES ($1, $2, $3, $4)", [3n, "c", "3.00", "2024-01-03"])
    expect(plain.described.fields).toBeUndefined()
    expect(plain.result).toMatchObject({ _tag: "Command", tag: "INSERT 0 1" })
    const returning = await run("UPDATE t SET name = $1 WHERE id = $2 RETURNING id, name", ["C", 3n])
    expect(returning.described.fields?.map((f) => f.name)).toEqual(["id", "name"])
    expect(returning.result).toMatchObject({ _tag: "Rows", tag: "UPDATE 1" })
    expect(returning.rows).toEqual([[3n, "C"]])
  })

  it("refuses several statements in one Parse, reports DuckDB's errors as SQLSTATEs", async () => {
    await expect(Effect.runPromise(Effect.flip(prepareStatement(connection, "SELECT 1; SELECT 2", [])))).resolves.toMatchObject({ code: "42601" })
    await expect(Effect.runPromise(Effect.flip(prepareStatement(connection, "SELECT * FROM nope WHERE a = $1", [])))).resolves.toMatchObject({ code: "42P01" })
    const d = await Effect.runPromise(prepareStatement(connection, "SELECT $1::INTEGER AS x", []))
    await expect(Effect.runPromise(Effect.flip(executeStatement(connection, d.statement, d.parameterTypes, ["abc"])))).resolves.toMatchObject({
      code: "22P02"
    })
  })
})
