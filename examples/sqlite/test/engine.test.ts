import { describe, expect, it } from "@effect/vitest"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Chunk, Effect, Either, Fiber, Stream } from "effect"
import { PgType } from "../src/engine/columnTypes.js"
import { SqliteEngine } from "../src/engine/SqliteEngine.js"
import type { SqliteSession } from "../src/engine/SqliteSession.js"

const memoryEngine = (options: { maxLanes?: number; batchRows?: number } = {}) =>
  SqliteEngine.make({ database: ":memory:", ...options })

/** The SQLSTATE a query string fails with. */
const failureCode = (session: SqliteSession, sql: string) =>
  Effect.map(Effect.flip(session.query(sql)), (e) => e.code)

describe("SqliteEngine: types", () => {
  it.scopedLive("maps declared column types and normalizes values", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      yield* s.query(`
        CREATE TABLE typed (i INTEGER, i4 INT, i2 SMALLINT, big BIGINT, b BOOLEAN, r REAL, d DOUBLE PRECISION,
          n NUMERIC(10,2), t TEXT, v VARCHAR(20), bl BLOB, dt DATE, ts TIMESTAMP, j JSON, u UUID);
        INSERT INTO typed VALUES (9223372036854775807, 7, -3, -9223372036854775808, 1, 1.5, 2.25, 12.5, 'x', 'y',
          x'00ff', '2024-01-02', '2024-01-02 03:04:05', '{"a":1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')`)
      const [result] = yield* s.query("SELECT * FROM typed")
      expect(result!.columns!.map((c) => [c.name, c.typeOid])).toEqual([
        ["i", PgType.int8], ["i4", PgType.int4], ["i2", PgType.int2], ["big", PgType.int8], ["b", PgType.bool],
        ["r", PgType.float8], ["d", PgType.float8], ["n", PgType.numeric], ["t", PgType.text], ["v", PgType.varchar],
        ["bl", PgType.bytea], ["dt", PgType.date], ["ts", PgType.timestamp], ["j", PgType.json], ["u", PgType.uuid]
      ])
      expect(result!.rows[0]).toEqual([
        9223372036854775807n, 7, -3, -9223372036854775808n, true, 1.5, 2.25, "12.5", "x", "y",
        Buffer.from([0, 255]), "2024-01-02", "2024-01-02 03:04:05", "{\"a\":1}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
      ])
      expect(result!.commandTag).toBe("SELECT 1")
    }))

  it.scopedLive("infers expression types from values and names columns as PostgreSQL does", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const [result] = yield* s.query("SELECT 1, 1.5, 'x', x'01', NULL, count(*), 2 AS two FROM (SELECT 1)")
      expect(result!.columns!.map((c) => [c.name, c.typeOid])).toEqual([
        ["?column?", PgType.int8], ["?column?", PgType.float8], ["?column?", PgType.text], ["?column?", PgType.bytea],
        ["?column?", PgType.text], ["count", PgType.int8], ["two", PgType.int8]
      ])
      expect(result!.rows).toEqual([[1n, 1.5, "x", Buffer.from([1]), null, 1n, 2n]])
    }))

  it.scopedLive("binds $n parameters, integers as INTEGER", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const [result] = yield* s.query("SELECT $1 + $2 AS sum, typeof($1) AS t, $3 AS s", [40, 2, "text"])
      expect(result!.rows).toEqual([[42n, "integer", "text"]])
      const error = yield* Effect.flip(s.query("SELECT $1, $2", [1]))
      expect(error.code).toBe("08P01")
    }))
})

describe("SqliteEngine: errors", () => {
  it.scopedLive("maps SQLite errors to SQLSTATEs", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      yield* s.query(`
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INT CHECK (n >= 0),
          parent_id INTEGER REFERENCES parent(id));
        INSERT INTO parent VALUES (1);
        INSERT INTO child VALUES (1, 'a', 1, 1)`)
      expect(yield* failureCode(s, "SELEC 1")).toBe("42601")
      expect(yield* failureCode(s, "SELECT 'unterminated")).toBe("42601")
      expect(yield* failureCode(s, "SELECT * FROM missing")).toBe("42P01")
      expect(yield* failureCode(s, "SELECT missing FROM child")).toBe("42703")
      expect(yield* failureCode(s, "SELECT nosuchfn(1)")).toBe("42883")
      expect(yield* failureCode(s, "CREATE TABLE parent (x)")).toBe("42P07")
      expect(yield* failureCode(s, "INSERT INTO child VALUES (1, 'b', 1, 1)")).toBe("23505")
      expect(yield* failureCode(s, "INSERT INTO child VALUES (2, 'a', 1, 1)")).toBe("23505")
      expect(yield* failureCode(s, "INSERT INTO child VALUES (3, NULL, 1, 1)")).toBe("23502")
      expect(yield* failureCode(s, "INSERT INTO child VALUES (4, 'c', -1, 1)")).toBe("23514")
      expect(yield* failureCode(s, "INSERT INTO child VALUES (5, 'd', 1, 99)")).toBe("23503")
      expect(yield* failureCode(s, "SELECT current_setting('no_such_setting')")).toBe("42704")
      const unique = yield* Effect.flip(s.query("INSERT INTO child VALUES (6, 'a', 1, 1)"))
      expect(unique).toMatchObject({ table: "child", column: "name", detail: "UNIQUE constraint failed: child.name" })
      // the session is still usable after each error
      expect((yield* s.query("SELECT count(*) FROM child"))[0]!.rows).toEqual([[1n]])
    }))

  it.scopedLive("a failed statement in a query string stops the rest and rolls back its implicit block", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      yield* s.query("CREATE TABLE t (x INTEGER)")
      yield* Effect.either(s.query("INSERT INTO t VALUES (1); SELECT * FROM missing; INSERT INTO t VALUES (2)"))
      expect(s.transactionStatus).toBe("I")
      expect((yield* s.query("SELECT x FROM t"))[0]!.rows).toEqual([])
    }))
})

describe("SqliteEngine: transactions", () => {
  it.scopedLive("an error inside a transaction aborts it until ROLLBACK (25P02)", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      yield* s.query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
      const [begin] = yield* s.query("BEGIN")
      expect(begin!.transaction).toBe("begin")
      yield* s.query("INSERT INTO t VALUES (1)")
      expect(s.transactionStatus).toBe("T")
      expect(yield* failureCode(s, "INSERT INTO t VALUES (1)")).toBe("23505")
      expect(s.transactionStatus).toBe("E")
      expect(yield* failureCode(s, "SELECT 1")).toBe("25P02")
      const [commit] = yield* s.query("COMMIT")
      // COMMIT of an aborted transaction rolls back, as PostgreSQL does
      expect([commit!.commandTag, commit!.transaction]).toEqual(["ROLLBACK", "rollback"])
      expect(s.transactionStatus).toBe("I")
      expect((yield* s.query("SELECT count(*) FROM t"))[0]!.rows).toEqual([[0n]])
    }))

  it.scopedLive("savepoints, warnings, and ROLLBACK TO recovering an aborted transaction", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      yield* s.query("CREATE TABLE t (id INTEGER PRIMARY KEY)")
      const [noTx] = yield* s.query("COMMIT")
      expect(noTx!.notices).toEqual([{ severity: "WARNING", code: "25P01", message: "there is no transaction in progress" }])
      expect(yield* failureCode(s, "SAVEPOINT a")).toBe("25P01")
      yield* s.query("START TRANSACTION ISOLATION LEVEL READ COMMITTED; INSERT INTO t VALUES (1); SAVEPOINT a")
      const [again] = yield* s.query("BEGIN")
      expect(again!.notices[0]!.code).toBe("25001")
      yield* Effect.either(s.query("INSERT INTO t VALUES (1)"))
      expect(s.transactionStatus).toBe("E")
      const [back] = yield* s.query("ROLLBACK TO SAVEPOINT a")
      expect(back!.commandTag).toBe("ROLLBACK")
      expect(s.transactionStatus).toBe("T")
      yield* s.query("INSERT INTO t VALUES (2); RELEASE a; END")
      expect(s.transactionStatus).toBe("I")
      expect((yield* s.query("SELECT id FROM t ORDER BY id"))[0]!.rows).toEqual([[1n], [2n]])
    }))

  it.scopedLive("implicit transaction blocks of multi-statement strings follow PostgreSQL's rules", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const rows = () => Effect.map(s.query("SELECT x FROM t ORDER BY x"), ([r]) => r!.rows.map((row) => row[0]))
      yield* s.query("CREATE TABLE t (x INTEGER)")
      // an explicit COMMIT keeps what came before; the rest is a new implicit block, rolled back by the error
      yield* Effect.either(s.query("BEGIN; INSERT INTO t VALUES (1); COMMIT; INSERT INTO t VALUES (2); SELECT * FROM missing"))
      expect(yield* rows()).toEqual([1n])
      // COMMIT inside an implicit block closes it, with a warning
      const results = yield* s.query("INSERT INTO t VALUES (3); COMMIT; INSERT INTO t VALUES (4)")
      expect(results[1]!.notices.map((n) => n.code)).toEqual(["25P01"])
      expect(yield* rows()).toEqual([1n, 3n, 4n])
      // BEGIN turns the implicit block into a regular one, which outlives the query string
      const [, begin] = yield* s.query("INSERT INTO t VALUES (5); BEGIN; INSERT INTO t VALUES (6)")
      expect(begin!.transaction).toBe("begin")
      expect(s.transactionStatus).toBe("T")
      yield* s.query("ROLLBACK")
      expect(yield* rows()).toEqual([1n, 3n, 4n])
      // an error inside a regular block begun in the same string leaves it failed
      yield* Effect.either(s.query("BEGIN; SELECT * FROM missing; ROLLBACK"))
      expect(s.transactionStatus).toBe("E")
      yield* s.query("ROLLBACK")
      // savepoints are refused in implicit blocks
      expect((yield* Effect.flip(s.query("INSERT INTO t VALUES (7); SAVEPOINT a"))).code).toBe("25P01")
      expect(yield* rows()).toEqual([1n, 3n, 4n])
      expect(s.transactionStatus).toBe("I")
    }))

  it.scopedLive("sessions are isolated: uncommitted rows are invisible to others", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const a = yield* engine.openSession()
      const b = yield* engine.openSession()
      yield* a.query("CREATE TABLE t (id INTEGER)")
      yield* a.query("BEGIN; INSERT INTO t VALUES (1)")
      expect((yield* b.query("SELECT count(*) FROM t"))[0]!.rows).toEqual([[0n]])
      yield* a.query("COMMIT")
      expect((yield* b.query("SELECT count(*) FROM t"))[0]!.rows).toEqual([[1n]])
    }))

  it.scopedLive("closing a session rolls back its open transaction", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const a = yield* engine.openSession()
      yield* a.query("CREATE TABLE t (id INTEGER)")
      yield* Effect.scoped(
        Effect.gen(function*() {
          const b = yield* engine.openSession()
          yield* b.query("BEGIN; INSERT INTO t VALUES (1)")
        })
      )
      expect((yield* a.query("SELECT count(*) FROM t"))[0]!.rows).toEqual([[0n]])
      // and its lane went back to the pool: a write does not wait for the abandoned transaction
      yield* a.query("INSERT INTO t VALUES (2)")
    }))
})

describe("SqliteEngine: concurrency and cancel", () => {
  it.scopedLive("a 5 s sleep in one session does not block another; cancel stops it with 57014", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const slow = yield* engine.openSession()
      const fast = yield* engine.openSession()
      const started = Date.now()
      const sleeper = yield* Effect.fork(Effect.either(slow.query("SELECT sleep(5)")))
      // the other session answers while the sleep is still running
      const [one] = yield* fast.query("SELECT 1 AS one")
      expect(one!.rows).toEqual([[1n]])
      expect(sleeper.unsafePoll()).toBeNull()
      yield* slow.cancel
      const outcome = yield* Fiber.join(sleeper)
      expect(Either.isLeft(outcome) && outcome.left.code).toBe("57014")
      // cancelled long before the sleep would have ended
      expect(Date.now() - started).toBeLessThan(4_500)
      expect((yield* slow.query("SELECT 2"))[0]!.rows).toEqual([[2n]])
    }))

  it.scopedLive("cancel stops a statement busy inside SQLite (no cooperation needed)", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const started = Date.now()
      // a recursive CTE that runs for many seconds inside one sqlite3_step
      const busy = yield* Effect.fork(Effect.either(s.query(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c"
      )))
      yield* Effect.sleep("200 millis")
      yield* s.cancel
      const outcome = yield* Fiber.join(busy)
      expect(Either.isLeft(outcome) && outcome.left.code).toBe("57014")
      expect(Date.now() - started).toBeLessThan(10_000)
    }))

  it.scopedLive("statement_timeout cancels a statement that runs longer", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      yield* s.query("SET statement_timeout = '200ms'")
      const started = Date.now()
      const error = yield* Effect.flip(s.query("SELECT sleep(5)"))
      expect([error.code, error.message]).toEqual(["57014", "canceling statement due to statement timeout"])
      expect(Date.now() - started).toBeLessThan(4_500)
      expect((yield* s.query("SELECT sleep(0.01), 1"))[0]!.rows).toEqual([[null, 1n]])
      yield* s.query("RESET statement_timeout")
    }))

  it.scopedLive("cancel inside a transaction aborts it; ROLLBACK recovers", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const other = yield* engine.openSession()
      yield* s.query("CREATE TABLE t (id INTEGER)")
      yield* s.query("BEGIN; INSERT INTO t VALUES (1)")
      const sleeper = yield* Effect.fork(Effect.either(s.query("SELECT sleep(5)")))
      yield* Effect.sleep("100 millis")
      yield* s.cancel
      yield* Fiber.join(sleeper)
      expect(s.transactionStatus).toBe("E")
      yield* s.query("ROLLBACK")
      expect(s.transactionStatus).toBe("I")
      // the killed connection's write lock is gone and its insert rolled back
      yield* other.query("INSERT INTO t VALUES (2)")
      expect((yield* other.query("SELECT id FROM t"))[0]!.rows).toEqual([[2n]])
    }))

  it.scopedLive("interrupting the reader of a running statement stops it like a cancel", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine({ maxLanes: 1 })
      const s = yield* engine.openSession()
      const started = Date.now()
      const sleeper = yield* Effect.fork(s.query("SELECT sleep(5)"))
      yield* Effect.sleep("100 millis")
      yield* Fiber.interrupt(sleeper)
      // the only lane is free again, long before the sleep would have ended
      expect((yield* s.query("SELECT 3"))[0]!.rows).toEqual([[3n]])
      expect(Date.now() - started).toBeLessThan(4_500)
    }))

  it.scopedLive("a cancel while waiting for a lane stops the wait", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine({ maxLanes: 1 })
      const holder = yield* engine.openSession()
      const waiter = yield* engine.openSession()
      yield* holder.query("BEGIN")
      const waiting = yield* Effect.fork(Effect.either(waiter.query("SELECT 1")))
      yield* Effect.sleep("50 millis")
      yield* waiter.cancel
      const outcome = yield* Fiber.join(waiting)
      expect(Either.isLeft(outcome) && outcome.left.code).toBe("57014")
      yield* holder.query("COMMIT")
      expect((yield* waiter.query("SELECT 1"))[0]!.rows).toEqual([[1n]])
    }))
})

describe("SqliteEngine: streaming", () => {
  const series = (n: number) =>
    `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${n}) SELECT x, x * 2 AS y, 'row ' || x AS s FROM c`

  it.scopedLive("streams 100,000 rows in bounded batches", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine({ batchRows: 500 })
      const s = yield* engine.openSession()
      const result = yield* s.execute(series(100_000))
      if (result._tag !== "Rows") throw new Error("expected rows")
      const sizes = yield* result.rows.pipe(Stream.chunks, Stream.map(Chunk.size), Stream.runCollect)
      const total = Chunk.reduce(sizes, 0, (a, b) => a + b)
      expect(total).toBe(100_000)
      expect(Math.max(...sizes)).toBeLessThanOrEqual(500)
      expect(result.commandTag(total)).toBe("SELECT 100000")
    }))

  it.scopedLive("a reader that stops early closes the cursor and keeps the lane", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine({ maxLanes: 1, batchRows: 100 })
      const s = yield* engine.openSession()
      const first = yield* Effect.scoped(
        Effect.flatMap(s.execute(series(10_000_000)), (result) =>
          result._tag === "Rows" ? Stream.runCollect(Stream.take(result.rows, 250)) : Effect.die("expected rows")
        )
      )
      expect(Chunk.size(first)).toBe(250)
      expect(Chunk.unsafeGet(first, 249)).toEqual([250n, 500n, "row 250"])
      // the same (only) lane answers the next statement: it was closed, not killed
      expect((yield* s.query("SELECT 5"))[0]!.rows).toEqual([[5n]])
      expect(engine.liveLanes).toBe(1)
    }))
})

describe("SqliteEngine: PostgreSQL statements", () => {
  it.scopedLive("SET/SHOW/RESET, current_setting, version(), transactional settings", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession({ application_name: "start" })
      const [set] = yield* s.query("SET application_name = 'psql'")
      expect(set!.parameterChanges).toEqual([["application_name", "psql"]])
      expect((yield* s.query("SHOW application_name"))[0]!.rows).toEqual([["psql"]])
      expect((yield* s.query("SELECT current_setting('application_name')"))[0]!.rows).toEqual([["psql"]])
      expect(String((yield* s.query("SELECT version()"))[0]!.rows[0]![0])).toMatch(/^PostgreSQL 16\.0 .*SQLite 3\./)
      yield* s.query("SET TIME ZONE 'Europe/Paris'; SET search_path TO public, other")
      expect((yield* s.query("SHOW TimeZone; SHOW search_path")).map((r) => r.rows[0]![0])).toEqual(["Europe/Paris", "public, other"])
      expect(yield* failureCode(s, "SET server_version = '1'")).toBe("55P02")
      expect(yield* failureCode(s, "SET client_encoding = 'LATIN1'")).toBe("0A000")
      expect(yield* failureCode(s, "SHOW nonexistent")).toBe("42704")
      // a rolled-back transaction undoes its SETs, SET LOCAL ends with the transaction
      yield* s.query("BEGIN; SET application_name = 'inside'; ROLLBACK")
      expect(s.setting("application_name")).toBe("psql")
      yield* s.query("BEGIN; SET LOCAL application_name = 'local'")
      expect(s.setting("application_name")).toBe("local")
      const [commit] = yield* s.query("COMMIT")
      expect(commit!.parameterChanges).toEqual([["application_name", "psql"]])
      yield* s.query("RESET application_name")
      expect(s.setting("application_name")).toBe("start")
      yield* s.query("SET application_name = 'x'; DISCARD ALL")
      expect(s.setting("application_name")).toBe("start")
    }))

  it.scopedLive("generate_series(start, stop [, step]) as in PostgreSQL", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const [up, down, count] = yield* s.query(
        "SELECT * FROM generate_series(1, 3); SELECT generate_series FROM generate_series(10, 1, -4); SELECT count(*) FROM generate_series(1, 100000)"
      )
      expect(up!.columns!.map((c) => c.name)).toEqual(["generate_series"])
      expect(up!.rows).toEqual([[1n], [2n], [3n]])
      expect(down!.rows).toEqual([[10n], [6n], [2n]])
      expect(count!.rows).toEqual([[100000n]])
      expect(yield* failureCode(s, "SELECT * FROM generate_series(1, 2, 0)")).toBe("22023")
    }))

  it.scopedLive("TRUNCATE, VACUUM, command tags, triggers with inner semicolons", () =>
    Effect.gen(function*() {
      const engine = yield* memoryEngine()
      const s = yield* engine.openSession()
      const results = yield* s.query(`
        CREATE TABLE a (x INTEGER); CREATE TABLE log (x INTEGER);
        CREATE TRIGGER a_log AFTER INSERT ON a BEGIN INSERT INTO log VALUES (new.x); INSERT INTO log VALUES (-new.x); END;
        INSERT INTO a VALUES (1), (2);
        UPDATE a SET x = x + 1;
        DELETE FROM a WHERE x = 3;
        INSERT INTO a VALUES (7) RETURNING x;
        SELECT count(*) FROM log;
        TRUNCATE TABLE a, log;
        SELECT count(*) FROM a`)
      expect(results.map((r) => r.commandTag)).toEqual([
        "CREATE TABLE", "CREATE TABLE", "CREATE TRIGGER", "INSERT 0 2", "UPDATE 2", "DELETE 1", "INSERT 0 1",
        "SELECT 1", "TRUNCATE TABLE", "SELECT 1"
      ])
      expect(results[7]!.rows).toEqual([[6n]])
      expect(results[9]!.rows).toEqual([[0n]])
      expect((yield* s.query("VACUUM"))[0]!.commandTag).toBe("VACUUM")
      // as in PostgreSQL, VACUUM cannot run in a multi-statement string (an implicit transaction block)
      expect((yield* Effect.flip(s.query("SELECT 1; VACUUM"))).code).toBe("25001")
    }))

  it.scopedLive("a file database keeps its data across engines", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "engine-test-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const file = join(dir, "data.db")
      yield* Effect.scoped(Effect.gen(function*() {
        const engine = yield* SqliteEngine.make({ database: file })
        const s = yield* engine.openSession()
        yield* s.query("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('still here')")
      }))
      const engine = yield* SqliteEngine.make({ database: file })
      const s = yield* engine.openSession()
      expect((yield* s.query("SELECT v FROM kept"))[0]!.rows).toEqual([["still here"]])
    }))

  it.scopedLive("a database path that cannot be opened fails the engine with 58000", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(SqliteEngine.make({ database: "/nonexistent-dir/x/y.db" }))
      expect(error.code).toBe("58000")
    }))
})
