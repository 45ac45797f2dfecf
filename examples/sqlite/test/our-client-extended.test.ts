// Our own client (@pgwire-ts/client) against the SQLite example server, extended query protocol:
// prepare (parameter and result types from the server's inference), execute with binary
// parameters and text or binary results, one-shot statements, errors and recovery, 1,000
// concurrent executes pipelined on one connection, one-Sync pipelines, a 10,000-row result pulled
// 100 rows at a time through portal batches, and cancel of an executing statement.
import { Client, type PgClient, PgError, PgValueError } from "@pgwire-ts/client"
import { Oid } from "@pgwire-ts/protocol"
import { Cause, Chunk, Effect, Exit, Fiber, Option, Scope, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer
let client: PgClient
let closeClient: Effect.Effect<void>

const options = () => ({ host: "127.0.0.1", port: server.port, user: "tester", database: "app", sslmode: "disable" as const })

beforeAll(async () => {
  server = await startServer({})
  const scope = Effect.runSync(Scope.make())
  client = await Effect.runPromise(Scope.extend(Client.connect(options()), scope))
  closeClient = Scope.close(scope, Exit.void)
  await run(client.query(
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score DOUBLE PRECISION, raw BLOB, ok BOOLEAN, amount NUMERIC, qty INT)"
  ))
})

afterAll(async () => {
  if (closeClient) await Effect.runPromise(closeClient)
  await server?.stop()
})

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))

/** The typed failure of a program (throws if it succeeded or died). */
const failure = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<E> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(effect))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
  const e = Cause.failureOption(exit.cause)
  if (Option.isNone(e)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return e.value
}

describe("prepare and execute", () => {
  it("prepare reports the parameter types the server infers from the columns; execute binds them", async () => {
    const insert = await run(client.prepare("INSERT INTO items (id, name, score, raw, ok, amount, qty) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
    expect(insert.paramTypes).toEqual([Oid.int8, Oid.text, Oid.float8, Oid.bytea, Oid.bool, Oid.numeric, Oid.int4])
    expect(insert.fields).toEqual([])
    const first = await run(client.execute(insert, [1n, "O'Hara; DROP TABLE items", -0.25, new Uint8Array([0, 0xff, 0x5c]), true, "12.50", 3]))
    expect([first.tag, first.rowCount]).toEqual(["INSERT 0 1", 1])
    await run(client.execute(insert, [2, "gadget", null, null, false, null, null]))
    const select = await run(client.prepare("SELECT id, name, score, raw, ok, amount, qty FROM items WHERE id >= $1 ORDER BY id"))
    expect(select.paramTypes).toEqual([Oid.int8])
    expect(select.fields.map((f) => [f.name, f.typeOid])).toEqual([
      ["id", Oid.int8], ["name", Oid.text], ["score", Oid.float8], ["raw", Oid.bytea], ["ok", Oid.bool], ["amount", Oid.numeric], ["qty", Oid.int4]
    ])
    const expected = [
      { id: 1n, name: "O'Hara; DROP TABLE items", score: -0.25, raw: new Uint8Array([0, 0xff, 0x5c]), ok: true, amount: "12.5", qty: 3 },
      { id: 2n, name: "gadget", score: null, raw: null, ok: false, amount: null, qty: null }
    ]
    // NUMERIC affinity made SQLite store 12.50 as the number 12.5, which numeric reads as "12.5".
    // Binary results (every one of these types has a codec) and text results decode to the same values.
    const binary = await run(client.execute(select, [1n], { resultFormat: "binary" }))
    const text = await run(client.execute(select, [1n], { resultFormat: "text" }))
    expect(binary.rows).toEqual(expected)
    expect(text.rows).toEqual(expected)
    expect(binary.tag).toBe("SELECT 2")
  })

  it("types expression columns from the statement, and a parameter's type from what it is compared with", async () => {
    const st = await run(client.prepare("SELECT count(*) AS n, $1 AS echo, 2 * qty AS twice, upper(name) AS loud FROM items WHERE qty = $2"))
    expect(st.paramTypes).toEqual([Oid.text, Oid.int4])
    expect(st.fields.map((f) => [f.name, f.typeOid])).toEqual([["n", Oid.int8], ["echo", Oid.text], ["twice", Oid.int8], ["loud", Oid.text]])
    expect((await run(client.execute(st, ["hi", 3]))).rows).toEqual([{ n: 1n, echo: "hi", twice: 6n, loud: "O'HARA; DROP TABLE ITEMS" }])
  })

  it("one-shot statements (prepare: false) send text parameters and read text results", async () => {
    const r = await run(client.execute("SELECT name, amount FROM items WHERE id = $1", ["1"], { prepare: false }))
    expect(r.rows).toEqual([{ name: "O'Hara; DROP TABLE items", amount: "12.5" }])
  })

  it("a cached statement is reused; a closed one is gone (26000)", async () => {
    const sql = "SELECT name FROM items WHERE id = $1"
    expect((await run(client.execute(sql, [1n]))).rows).toEqual([{ name: "O'Hara; DROP TABLE items" }])
    expect((await run(client.execute(sql, [2n]))).rows).toEqual([{ name: "gadget" }])
    const st = await run(client.prepare("SELECT 1 AS one"))
    await run(client.closeStatement(st))
    expect(await failure(client.execute(st))).toMatchObject({ code: "26000" })
  })
})

describe("errors", () => {
  it("fails Parse and Execute with the server's SQLSTATE; the connection goes on", async () => {
    expect(await failure(client.execute("SELECT * FROM no_such_table WHERE a = $1", [1]))).toMatchObject({ code: "42P01" })
    const dup = await failure(client.execute("INSERT INTO items (id, name) VALUES ($1, $2)", [1n, "again"]))
    expect(dup).toBeInstanceOf(PgError)
    expect(dup).toMatchObject({ code: "23505", tableName: "items", columnName: "id" })
    expect(await failure(client.execute("INSERT INTO items (id, name) VALUES ($1, $2)", [9n, null]))).toMatchObject({ code: "23502" })
    expect(await failure(client.prepare("SELECT 1; SELECT 2"))).toMatchObject({ code: "42601" })
    expect((await run(client.execute("SELECT name FROM items WHERE id = $1", [2n]))).rows).toEqual([{ name: "gadget" }])
  })

  it("refuses a wrong parameter count before sending anything", async () => {
    const e = await failure(client.execute("SELECT name FROM items WHERE id = $1", [1n, 2n]))
    expect(e).toBeInstanceOf(PgValueError)
    expect((e as PgValueError).message).toContain("takes 1 parameters, 2 given")
  })

  it("tracks the transaction status through a failed execute", async () => {
    await run(client.query("BEGIN"))
    await failure(client.execute("INSERT INTO items (id, name) VALUES ($1, $2)", [1n, "dup"]))
    expect(await run(client.transactionStatus)).toBe("E")
    expect(await failure(client.execute("SELECT name FROM items WHERE id = $1", [1n]))).toMatchObject({ code: "25P02" })
    await run(client.query("ROLLBACK"))
    expect(await run(client.transactionStatus)).toBe("I")
  })
})

describe("pipelining", () => {
  it("1,000 concurrent executes on one connection are pipelined and answered in order", async () => {
    const results = await run(Effect.forEach(
      Array.from({ length: 1000 }, (_, i) => i),
      (i) => client.execute("SELECT CAST($1 AS INTEGER) AS i, hex($1) AS h", [BigInt(i)]),
      { concurrency: "unbounded" }
    ))
    expect(results.map((r) => r.rows[0]!.i)).toEqual(Array.from({ length: 1000 }, (_, i) => BigInt(i)))
    expect(results[999]!.rows[0]!.h).toBe(Buffer.from("999").toString("hex").toUpperCase())
  })

  it("one failing execute among concurrent ones fails alone", async () => {
    const results = await run(Effect.forEach(
      [51n, 52n, 51n, 53n],
      (id) => Effect.either(client.execute("INSERT INTO items (id, name) VALUES ($1, 'p')", [id])),
      { concurrency: "unbounded" }
    ))
    expect(results.map((r) => (r._tag === "Right" ? r.right.tag : (r.left as PgError).code))).toEqual(["INSERT 0 1", "INSERT 0 1", "23505", "INSERT 0 1"])
  })

  it("a one-Sync pipeline answers every query in order; its first error fails it and names the query", async () => {
    const ok = await run(client.pipeline([
      { statement: "INSERT INTO items (id, name) VALUES ($1, $2)", params: [100n, "a"] },
      { statement: "INSERT INTO items (id, name) VALUES ($1, $2)", params: [101n, "b"] },
      { statement: "SELECT count(*) AS n FROM items WHERE id >= $1", params: [100n] }
    ]))
    expect(ok.map((r) => r.tag)).toEqual(["INSERT 0 1", "INSERT 0 1", "SELECT 1"])
    expect(ok[2]!.rows).toEqual([{ n: 2n }])
    const failing = "INSERT INTO items (id, name) VALUES ($1, 'dup')"
    const e = await failure(client.pipeline([
      { statement: "SELECT name FROM items WHERE id = $1", params: [100n] },
      { statement: failing, params: [100n] },
      { statement: "SELECT name FROM items WHERE id = $1", params: [101n] }
    ]))
    expect(e).toMatchObject({ code: "23505", query: failing })
    expect(await run(client.transactionStatus)).toBe("I")
    expect((await run(client.execute("SELECT name FROM items WHERE id = $1", [101n]))).rows).toEqual([{ name: "b" }])
  })
})

describe("portal batches", () => {
  it("pulls a 10,000-row result 100 rows at a time", async () => {
    const rows = await run(Stream.runCollect(client.stream("SELECT CAST(generate_series AS INTEGER) AS n FROM generate_series(1, $1)", [10_000n], { batchSize: 100 })))
    expect(Chunk.size(rows)).toBe(10_000)
    expect(Chunk.toArray(rows).every((r, i) => r.n === BigInt(i + 1))).toBe(true)
  })

  it("a consumer that stops early leaves the connection usable, also inside a transaction", async () => {
    const taken = await run(Stream.runCollect(Stream.take(client.stream("SELECT CAST(generate_series AS INTEGER) AS n FROM generate_series(1, 10000)", [], { batchSize: 100 }), 150)))
    expect(Chunk.toArray(taken).map((r) => r.n)).toEqual(Array.from({ length: 150 }, (_, i) => BigInt(i + 1)))
    await run(client.query("BEGIN"))
    const inTx = await run(Stream.runCollect(client.stream("SELECT CAST(generate_series AS INTEGER) AS n FROM generate_series(1, 250)", [], { batchSize: 100 })))
    expect(Chunk.size(inTx)).toBe(250)
    await run(client.query("COMMIT"))
    expect((await run(client.execute("SELECT 'usable' AS x"))).rows).toEqual([{ x: "usable" }])
  })
})

describe("cancel", () => {
  it("stops an executing sleep(10) with 57014; the connection stays usable", async () => {
    const outcome = await run(Effect.gen(function*() {
      const victim = yield* Client.connect({ ...options(), maxProtocolVersion: "3.2" })
      // Prepared first: a busy lane then means the Execute runs (Parse also borrows a lane, to describe).
      const sleep = yield* victim.prepare("SELECT sleep($1) AS s")
      const sleeping = yield* Effect.fork(Effect.flip(victim.execute(sleep, [10])))
      while (server.engine.busyLanes === 0) yield* Effect.sleep("10 millis")
      yield* victim.cancel
      const error = yield* Fiber.join(sleeping)
      const after = yield* victim.execute("SELECT $1 AS x", ["still here"])
      return { error, after: after.rows }
    }))
    expect(outcome.error).toBeInstanceOf(PgError)
    expect(outcome.error).toMatchObject({ code: "57014" })
    expect(outcome.after).toEqual([{ x: "still here" }])
  })
})
