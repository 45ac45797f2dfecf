// Simple and extended queries against a real PostgreSQL 15: results and command tags, typed
// server errors with recovery, notices, prepared statements, pipelining of 1,000 concurrent
// executes, portal batches pulled on demand, backpressure on a slow Stream consumer, and a
// connection the server terminates.
import { type PgClient, PgConnectionError, PgError, PgValueError, type SimpleQueryEvent } from "@pgwire-ts/client"
import { Oid } from "@pgwire-ts/protocol"
import { Chunk, Effect, Fiber, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { eventually, failure, openShared, run } from "./support.js"

let cluster: PostgresCluster
let client: PgClient
let other: PgClient
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  cluster = await startPostgres()
  const config = { host: cluster.host, port: cluster.port, user: "scram_user", password: "scram_pass", database: "postgres", sslmode: "disable" as const }
  const a = await openShared(config)
  const b = await openShared(config)
  client = a.client
  other = b.client
  closers.push(a.close, b.close)
  await run(client.query("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL CONSTRAINT name_not_empty CHECK (name <> ''))"))
}, 60_000)

afterAll(async () => {
  for (const close of closers) await close()
  await cluster?.stop()
})

const queryError = (effect: Effect.Effect<unknown, unknown>) => failure(effect)

describe("simple query", () => {
  it("runs every statement of a string and reports each tag and row count", async () => {
    const results = await run(client.query(
      "INSERT INTO items VALUES (1, 'a'), (2, 'b'); SELECT id, name FROM items ORDER BY id; UPDATE items SET name = name || '!' WHERE id = 2; DELETE FROM items WHERE id > 100; CREATE TEMP TABLE t1 (x int)"
    ))
    expect(results.map((r) => [r.tag, r.command, r.rowCount])).toEqual([
      ["INSERT 0 2", "INSERT", 2],
      ["SELECT 2", "SELECT", 2],
      ["UPDATE 1", "UPDATE", 1],
      ["DELETE 0", "DELETE", 0],
      ["CREATE TABLE", "CREATE TABLE", undefined]
    ])
    expect(results[1]!.rows).toEqual([{ id: 1, name: "a" }, { id: 2, name: "b" }])
    expect(results[1]!.fields.map((f) => [f.name, f.typeOid])).toEqual([["id", Oid.int4], ["name", Oid.text]])
    expect(results[0]!.fields).toEqual([])
  })

  it("answers an empty string with an empty result", async () => {
    const results = await run(client.query(""))
    expect(results).toEqual([{ tag: "", command: "", rowCount: undefined, fields: [], rows: [] }])
  })

  it("streams events per statement in order", async () => {
    const events = Chunk.toArray(await run(Stream.runCollect(client.queryStream("SELECT 1 AS a UNION ALL SELECT 2; SET search_path = public"))))
    const shape = events.map((e: SimpleQueryEvent) => (e._tag === "Row" ? ["Row", e.statement, e.row] : e._tag === "Complete" ? ["Complete", e.statement, e.tag] : ["Fields", e.statement, e.fields.map((f) => f.name)]))
    expect(shape).toEqual([
      ["Fields", 0, ["a"]],
      ["Row", 0, { a: 1 }],
      ["Row", 0, { a: 2 }],
      ["Complete", 0, "SELECT 2"],
      ["Complete", 1, "SET"]
    ])
  })

  it("a stream stopped early leaves the connection usable", async () => {
    const first = await run(Stream.runCollect(Stream.take(client.queryStream("SELECT g FROM generate_series(1, 50000) g"), 3)))
    expect(Chunk.size(first)).toBe(3)
    expect((await run(client.query("SELECT 'after' AS x")))[0]!.rows).toEqual([{ x: "after" }])
  })
})

describe("errors", () => {
  it("carries every field of the ErrorResponse, and the connection stays usable", async () => {
    const e = await queryError(client.query("SELECT 1/0"))
    expect(e).toBeInstanceOf(PgError)
    expect(e).toMatchObject({ severity: "ERROR", code: "22012", message: "division by zero", query: "SELECT 1/0" })
    const syntax = (await queryError(client.query("SELECT * FROM"))) as PgError
    expect(syntax.code).toBe("42601")
    expect(syntax.position).toBe("14")
    const missing = (await queryError(client.execute("SELECT * FROM no_such_table"))) as PgError
    expect(missing).toMatchObject({ code: "42P01", position: "15" })
    expect((await run(client.query("SELECT 2 AS ok")))[0]!.rows).toEqual([{ ok: 2 }])
  })

  it("reports constraint details: detail, schema, table, column and constraint names", async () => {
    const dup = (await queryError(client.execute("INSERT INTO items VALUES ($1, $2)", [1, "again"]))) as PgError
    expect(dup).toMatchObject({ code: "23505", schemaName: "public", tableName: "items", constraintName: "items_pkey" })
    expect(dup.detail).toBe("Key (id)=(1) already exists.")
    const check = (await queryError(client.execute("INSERT INTO items VALUES ($1, $2)", [9, ""]))) as PgError
    expect(check).toMatchObject({ code: "23514", constraintName: "name_not_empty" })
    const notNull = (await queryError(client.execute("INSERT INTO items VALUES ($1, $2)", [9, null]))) as PgError
    expect(notNull).toMatchObject({ code: "23502", columnName: "name" })
    const hinted = (await queryError(client.query("SELECT lenght('x')"))) as PgError
    expect(hinted.hint).toContain("No function matches")
  })

  it("an error in a multi-statement string skips the rest", async () => {
    await expect(run(client.query("CREATE TEMP TABLE t2 (x int); SELECT 1/0; CREATE TEMP TABLE t3 (x int)"))).rejects.toThrow("division by zero")
    const tables = await run(client.query("SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('t2', 't3') AND relpersistence = 't'"))
    expect(tables[0]!.rows).toEqual([{ n: 0 }])
  })

  it("tracks the transaction status through errors", async () => {
    await run(client.query("BEGIN"))
    expect(await run(client.transactionStatus)).toBe("T")
    await queryError(client.execute("SELECT 1/0"))
    expect(await run(client.transactionStatus)).toBe("E")
    expect(((await queryError(client.execute("SELECT 1"))) as PgError).code).toBe("25P02")
    await run(client.query("ROLLBACK"))
    expect(await run(client.transactionStatus)).toBe("I")
  })

  it("refuses COPY FROM STDIN outside copyFrom without hanging", async () => {
    const e = (await queryError(client.query("COPY items FROM STDIN"))) as PgError
    expect(e.message).toContain("copyFrom()")
    const e2 = (await queryError(client.execute("COPY items FROM STDIN", [], { prepare: false }))) as PgError
    expect(e2.message).toContain("copyFrom()")
    expect((await run(client.query("SELECT 3 AS ok")))[0]!.rows).toEqual([{ ok: 3 }])
  })
})

describe("notices", () => {
  it("publishes NoticeResponse on the notices stream", async () => {
    const notices = await run(Effect.gen(function*() {
      const stream = yield* client.subscribeNotices
      yield* client.query("DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful' USING HINT = 'h'; END $$")
      return Chunk.toArray(yield* Stream.runCollect(Stream.take(stream, 2)))
    }))
    expect(notices.map((n) => [n.severity, n.code, n.message])).toEqual([
      ["NOTICE", "00000", "hello 42"],
      ["WARNING", "01000", "careful"]
    ])
    expect(notices[1]!.hint).toBe("h")
  })

  it("calls onNotice from the config", async () => {
    const seen: Array<string> = []
    await run(Effect.gen(function*() {
      const { Client } = yield* Effect.promise(() => import("@pgwire-ts/client"))
      const c = yield* Client.connect({
        host: cluster.host,
        port: cluster.port,
        user: "trust_user",
        database: "postgres",
        sslmode: "disable",
        onNotice: (n) => seen.push(n.message)
      })
      yield* c.query("DO $$ BEGIN RAISE NOTICE 'one'; RAISE NOTICE 'two'; END $$")
    }))
    expect(seen).toEqual(["one", "two"])
  })
})

describe("extended query", () => {
  it("prepare gives parameter and result types; execute binds typed parameters", async () => {
    const st = await run(client.prepare("SELECT $1::int8 + 1 AS n, $2::text AS t, $3::bool AS b, $4::float8[] AS fs"))
    expect(st.paramTypes).toEqual([Oid.int8, Oid.text, Oid.bool, Oid._float8])
    expect(st.fields.map((f) => [f.name, f.typeOid])).toEqual([["n", Oid.int8], ["t", Oid.text], ["b", Oid.bool], ["fs", Oid._float8]])
    const r = await run(client.execute(st, [41n, "x", true, [1.5, null, -0]]))
    expect(r.rows).toEqual([{ n: 42n, t: "x", b: true, fs: [1.5, null, -0] }])
    expect(r.tag).toBe("SELECT 1")
    // Explicit parameter types in Parse.
    const typed = await run(client.prepare("SELECT $1 AS v", [Oid.int2]))
    expect(typed.paramTypes).toEqual([Oid.int2])
    expect((await run(client.execute(typed, [7]))).rows).toEqual([{ v: 7 }])
  })

  it("sends NULL for null and undefined, and text for values a codec refuses", async () => {
    const r = await run(client.execute("SELECT $1::int AS a, $2::text AS b, $3::int AS c, $4::numeric AS d", [null, undefined, "12", 1.25]))
    expect(r.rows).toEqual([{ a: null, b: null, c: 12, d: "1.25" }])
  })

  it("one-shot execution (prepare: false) lets the server infer types and reads text results", async () => {
    const r = await run(client.execute("SELECT $1 AS raw, $2::int + 1 AS n, $3::date AS d", ["hello", 41, new Date(Date.UTC(2024, 1, 29))], { prepare: false }))
    expect(r.rows).toEqual([{ raw: "hello", n: 42, d: "2024-02-29" }])
    expect(r.fields.map((f) => f.typeOid)).toEqual([Oid.text, Oid.int4, Oid.date])
  })

  it("fails a wrong parameter count or an unencodable value with PgValueError, before sending anything", async () => {
    const count = await queryError(client.execute("SELECT $1::int AS a", [1, 2]))
    expect(count).toBeInstanceOf(PgValueError)
    expect((count as PgValueError).message).toContain("takes 1 parameters, 2 given")
    const bad = await queryError(client.execute("SELECT $1::int AS a", [() => 1]))
    expect(bad).toMatchObject({ _tag: "PgValueError", kind: "parameter", at: 1 })
    expect((await run(client.execute("SELECT $1::int AS a", [5]))).rows).toEqual([{ a: 5 }])
  })

  it("closes a prepared statement", async () => {
    const st = await run(client.prepare("SELECT 1 AS one"))
    await run(client.closeStatement(st))
    expect(((await queryError(client.execute(st))) as PgError).code).toBe("26000")
  })

  it("re-prepares a cached statement the server dropped", async () => {
    const sql = "SELECT $1::int * 2 AS doubled"
    expect((await run(client.execute(sql, [2]))).rows).toEqual([{ doubled: 4 }])
    await run(client.query("DEALLOCATE ALL"))
    expect((await run(client.execute(sql, [3]))).rows).toEqual([{ doubled: 6 }])
  })

  it("interrupting a waiting execute leaves the connection in step", async () => {
    await run(Effect.gen(function*() {
      const fiber = yield* Effect.fork(client.execute("SELECT pg_sleep(0.2), 'late' AS x"))
      yield* Effect.sleep("20 millis")
      yield* Fiber.interrupt(fiber)
    }))
    expect((await run(client.execute("SELECT 'next' AS x"))).rows).toEqual([{ x: "next" }])
  })
})

describe("pipelining", () => {
  it("1,000 concurrent executes on one connection are pipelined and answered in order", async () => {
    const results = await run(Effect.forEach(
      Array.from({ length: 1000 }, (_, i) => i),
      (i) => client.execute("SELECT $1::int AS i, md5($1::text) AS h", [i]),
      { concurrency: "unbounded" }
    ))
    expect(results.map((r) => r.rows[0]!.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    const check = await run(client.execute("SELECT md5('999') AS h"))
    expect(results[999]!.rows[0]!.h).toBe(check.rows[0]!.h)
  })

  it("one failing query in a pipeline fails alone", async () => {
    const results = await run(Effect.forEach(
      [1, 2, 0, 4, 5],
      (d) => Effect.either(client.execute("SELECT 100 / $1::int AS q", [d])),
      { concurrency: "unbounded" }
    ))
    expect(results.map((r) => (r._tag === "Right" ? r.right.rows[0]!.q : (r.left as PgError).code))).toEqual([100, 50, "22012", 25, 20])
  })

  it("pipelines simple queries, executes and streams together in order", async () => {
    const [a, b, c, d] = await run(Effect.all([
      client.query("SELECT 'q' AS x"),
      client.execute("SELECT $1::text AS x", ["e"]),
      Stream.runCollect(client.stream("SELECT g AS x FROM generate_series(1, 3) g", [], { batchSize: 2 })),
      client.execute("SELECT $1::text AS x", ["last"])
    ], { concurrency: "unbounded" }))
    expect([a[0]!.rows, b.rows, Chunk.toArray(c), d.rows]).toEqual([[{ x: "q" }], [{ x: "e" }], [{ x: 1 }, { x: 2 }, { x: 3 }], [{ x: "last" }]])
  })
})

describe("pipeline (one Sync)", () => {
  it("runs many queries before one Sync, in one implicit transaction", async () => {
    await run(client.query("CREATE TEMP TABLE piped (n int)"))
    const results = await run(client.pipeline([
      { statement: "INSERT INTO piped VALUES ($1), ($2)", params: [1, 2] },
      { statement: "INSERT INTO piped SELECT $1::int", params: [3] },
      { statement: "SELECT sum(n)::int AS s, txid_current() AS x FROM piped" },
      { statement: "SELECT txid_current() AS x" }
    ]))
    expect(results.map((r) => r.tag)).toEqual(["INSERT 0 2", "INSERT 0 1", "SELECT 1", "SELECT 1"])
    expect(results[2]!.rows[0]!.s).toBe(6)
    // One transaction for all of them.
    expect(results[2]!.rows[0]!.x).toBe(results[3]!.rows[0]!.x)
  })

  it("the first error fails the pipeline, names its query, and rolls back the others", async () => {
    await run(client.query("CREATE TEMP TABLE piped_err (n int)"))
    const e = (await queryError(client.pipeline([
      { statement: "INSERT INTO piped_err VALUES (1)" },
      { statement: "SELECT 1 / $1::int AS q", params: [0] },
      { statement: "INSERT INTO piped_err VALUES (3)" }
    ]))) as PgError
    expect(e).toMatchObject({ code: "22012", query: "SELECT 1 / $1::int AS q" })
    expect((await run(client.execute("SELECT count(*)::int AS n FROM piped_err"))).rows).toEqual([{ n: 0 }])
  })

  it("mixes prepared, cached and one-shot queries; an empty pipeline is a Sync", async () => {
    const st = await run(client.prepare("SELECT $1::text AS a"))
    const results = await run(client.pipeline([{ statement: st, params: ["p"] }, { statement: "SELECT $1::int AS b", params: [2] }]))
    expect(results.map((r) => r.rows[0])).toEqual([{ a: "p" }, { b: 2 }])
    const oneShot = await run(client.pipeline([{ statement: "SELECT $1::int + 1 AS c", params: [2] }, { statement: "SELECT 'x' AS d" }], { prepare: false }))
    expect(oneShot.map((r) => r.rows[0])).toEqual([{ c: 3 }, { d: "x" }])
    expect(await run(client.pipeline([]))).toEqual([])
  })
})

describe("bad requests", () => {
  it("refuses SQL with a NUL character before sending it", async () => {
    for (const effect of [client.query("SELECT 1\0; DROP TABLE items"), client.execute("SELECT 1\0"), client.execute("SELECT 1\0", [], { prepare: false }), client.prepare("SELECT\0")]) {
      const e = await queryError(effect)
      expect(e).toBeInstanceOf(PgValueError)
      expect((e as PgValueError).message).toContain("NUL")
    }
    expect((await run(client.execute("SELECT count(*)::int AS n FROM items"))).rows[0]!.n).toBeGreaterThan(0)
  })

  it("a COPY FROM STDIN that swallows a pipelined request ends the connection with a clear error, not a hang", async () => {
    await run(Effect.gen(function*() {
      const { Client } = yield* Effect.promise(() => import("@pgwire-ts/client"))
      const c = yield* Client.connect({ host: cluster.host, port: cluster.port, user: "trust_user", database: "postgres", sslmode: "disable" })
      yield* c.query("CREATE TEMP TABLE sink (n int)")
      const [copy, after] = yield* Effect.all([
        Effect.flip(c.execute("COPY sink FROM STDIN", [], { prepare: false })),
        Effect.flip(c.execute("SELECT 1", [], { prepare: false }))
      ], { concurrency: "unbounded" })
      expect(copy).toMatchObject({ _tag: "PgConnectionError", reason: "Protocol" })
      expect(after).toMatchObject({ _tag: "PgConnectionError", reason: "Protocol" })
    }))
  })
})

describe("portal batches", () => {
  it("pulls a 10,000-row result 100 rows at a time", async () => {
    const rows = await run(Stream.runCollect(client.stream("SELECT g AS n FROM generate_series(1, 10000) g", [], { batchSize: 100 })))
    expect(Chunk.size(rows)).toBe(10000)
    expect(Chunk.toArray(rows).every((r, i) => r.n === i + 1)).toBe(true)
  })

  it("fetches the next batch only when the consumer wants it", async () => {
    await run(client.query("CREATE SEQUENCE IF NOT EXISTS batch_seq"))
    const taken = await run(Stream.runCollect(Stream.take(client.stream("SELECT nextval('batch_seq') AS v FROM generate_series(1, 10000)", [], { batchSize: 100 }), 150)))
    expect(Chunk.size(taken)).toBe(150)
    // Two Executes of 100 rows ran; the other 9,800 rows were never computed.
    const seq = await run(client.query("SELECT last_value FROM batch_seq"))
    expect(seq[0]!.rows).toEqual([{ last_value: 200n }])
    expect((await run(client.execute("SELECT 'usable' AS x"))).rows).toEqual([{ x: "usable" }])
  })

  it("works inside a transaction and reports errors from a later batch", async () => {
    await run(client.query("BEGIN"))
    const rows = await run(Stream.runCollect(client.stream("SELECT g FROM generate_series(1, 250) g", [], { batchSize: 100 })))
    expect(Chunk.size(rows)).toBe(250)
    await run(client.query("COMMIT"))
    const e = await queryError(Stream.runCollect(client.stream("SELECT 10 / (300 - g) AS q FROM generate_series(1, 400) g", [], { batchSize: 100 })))
    expect((e as PgError).code).toBe("22012")
    expect(await run(client.transactionStatus)).toBe("I")
  })
})

describe("backpressure", () => {
  it("a slow consumer stops the reads: the server waits on ClientWrite, memory stays bounded", async () => {
    const pid = client.processId
    await run(Effect.gen(function*() {
      const pull = yield* Stream.toPull(client.stream("SELECT g, repeat('x', 100) AS pad FROM generate_series(1, 2000000) g"))
      const first = yield* pull
      expect(Chunk.unsafeGet(first, 0)).toMatchObject({ g: 1 })
      // We stop pulling: once the socket buffers fill, the backend blocks writing to us.
      yield* Effect.promise(() => eventually(async () => {
        const r = await run(other.execute("SELECT wait_event FROM pg_stat_activity WHERE pid = $1", [pid]))
        return r.rows[0]?.wait_event === "ClientWrite"
      }, "the backend to wait on ClientWrite"))
      // What we hold is the buffered rows of a few socket chunks, not millions.
      const next = yield* pull
      expect(Chunk.size(next)).toBeLessThan(20_000)
    }))
    // The stream's Scope closed early: the rest was drained and the connection is in step.
    expect((await run(client.execute("SELECT 'drained' AS x"))).rows).toEqual([{ x: "drained" }])
  })
})

describe("connection loss", () => {
  it("a terminated backend fails waiting requests and later ones with PgConnectionError", { timeout: 30_000 }, async () => {
    await run(Effect.gen(function*() {
      const { Client } = yield* Effect.promise(() => import("@pgwire-ts/client"))
      // The same role as `other`: pg_stat_activity hides other roles' sessions.
      const victim = yield* Client.connect({ host: cluster.host, port: cluster.port, user: "scram_user", password: "scram_pass", database: "postgres", sslmode: "disable" })
      const sleeping = yield* Effect.fork(Effect.either(victim.execute("SELECT pg_sleep(30)")))
      yield* Effect.promise(() => eventually(async () => {
        const r = await run(other.execute("SELECT state FROM pg_stat_activity WHERE pid = $1", [victim.processId]))
        return r.rows[0]?.state === "active"
      }, "the query to start"))
      yield* other.execute("SELECT pg_terminate_backend($1)", [victim.processId])
      const result = yield* Fiber.join(sleeping)
      expect(result._tag).toBe("Left")
      const error = (result as { left: unknown }).left
      expect(error).toBeInstanceOf(PgConnectionError)
      expect(error).toMatchObject({ reason: "Closed", code: "57P01" })
      const closed = yield* victim.closed
      expect(closed.code).toBe("57P01")
      const later = yield* Effect.flip(victim.execute("SELECT 1"))
      expect(later).toBeInstanceOf(PgConnectionError)
    }))
  })
})
