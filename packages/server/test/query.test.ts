import { describe, expect, it } from "@effect/vitest"
import { Oid, SqlState } from "@pgwire-ts/protocol"
import { Effect, Layer, Stream } from "effect"
import { PgError } from "../src/errors/PgError.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing } from "../src/testing/Testing.js"

/** A tiny statement language for the tests. */
const Handler = SimpleQueryHandler.perStatement((statement, session) => {
  const s = statement.toLowerCase()
  if (s === "select 1") return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("?column?", Oid.int4)], rows: [[1]] }))
  if (s === "values") {
    return Effect.succeed(
      ResultSet.make({
        fields: [
          ResultSet.field("i", Oid.int4),
          ResultSet.field("t", Oid.text),
          ResultSet.field("b", Oid.bool),
          ResultSet.field("n", Oid.int8),
          ResultSet.field("f", Oid.float8)
        ],
        rows: [
          [1, "a", true, 10n, 1.5],
          [2, null, false, undefined, -0.25]
        ]
      })
    )
  }
  if (s === "begin") return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
  if (s === "commit") return Effect.succeed(QueryResult.command("COMMIT", { transaction: "commit" }))
  if (s === "rollback") return Effect.succeed(QueryResult.command("ROLLBACK", { transaction: "rollback" }))
  if (s === "insert") return Effect.succeed(QueryResult.command("INSERT 0 3"))
  if (s === "fail") return Effect.fail(PgError.make(SqlState.UndefinedTable, 'relation "nope" does not exist', { position: 15, hint: "h" }))
  if (s === "fatal") return Effect.fail(PgError.make(SqlState.AdminShutdown, "bye", { severity: "FATAL" }))
  if (s === "die") return Effect.die(new Error("handler bug"))
  if (s === "badrow") return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("x", Oid.int4)], rows: [[1, 2]] }))
  if (s === "badvalue") return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("x", Oid.int4)], rows: [[{}]] }))
  if (s === "midstream") {
    return Effect.succeed(
      ResultSet.make({
        fields: [ResultSet.field("x", Oid.int4)],
        rows: Stream.concat(Stream.make([1], [2]), Stream.fail(PgError.make(SqlState.DivisionByZero, "division by zero")))
      })
    )
  }
  if (s === "notice") {
    return Effect.zipRight(
      Effect.zipRight(session.notice({ message: "hello", detail: "d" }), session.setParameter("application_name", "changed")),
      Effect.succeed(QueryResult.command("DO"))
    )
  }
  if (s === "status") {
    return Effect.map(session.transactionStatus, (st) =>
      ResultSet.make({ fields: [ResultSet.field("status", Oid.text)], rows: [[st]] })
    )
  }
  if (s === "whoami") {
    return Effect.map(session.parameter("application_name"), (app) =>
      ResultSet.make({
        fields: [ResultSet.field("user", Oid.text), ResultSet.field("db", Oid.text), ResultSet.field("app", Oid.text)],
        rows: [[session.user, session.database, app]]
      })
    )
  }
  return Effect.fail(PgError.make(SqlState.SyntaxError, `syntax error at or near "${statement}"`))
})

const TestLayer = Testing.layer().pipe(Layer.provide(Handler))

describe("simple query", () => {
  it.scopedLive("rows with text-encoded values and a SELECT tag", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("values")
      expect(out.error).toBeUndefined()
      expect(out.results).toHaveLength(1)
      const r = out.results[0]!
      if (r._tag !== "Rows") throw new Error("rows expected")
      expect(r.fields.map((f) => [f.name, f.typeOid, f.typeSize, f.format])).toEqual([
        ["i", 23, 4, 0],
        ["t", 25, -1, 0],
        ["b", 16, 1, 0],
        ["n", 20, 8, 0],
        ["f", 701, 8, 0]
      ])
      expect(r.rows).toEqual([
        ["1", "a", "t", "10", "1.5"],
        ["2", null, "f", null, "-0.25"]
      ])
      expect(r.tag).toBe("SELECT 2")
      expect(out.transactionStatus).toBe("I")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("several statements, command tags, empty query", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("select 1; insert; select 1")
      expect(out.results.map((r) => r._tag === "Empty" ? "empty" : r.tag)).toEqual(["SELECT 1", "INSERT 0 3", "SELECT 1"])
      expect((yield* c.query("")).results).toEqual([{ _tag: "Empty" }])
      expect((yield* c.query("  ; -- nothing\n")).results).toEqual([{ _tag: "Empty" }])
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("an error ends the query string; the session recovers", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("select 1; fail; select 1")
      expect(out.results).toHaveLength(1)
      expect(out.error).toMatchObject({ severity: "ERROR", code: "42P01", message: 'relation "nope" does not exist', position: "15", hint: "h" })
      expect(out.transactionStatus).toBe("I")
      const again = yield* c.query("select 1")
      expect(again.error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("transaction status: I -> T -> E until rollback", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      expect((yield* c.query("begin")).transactionStatus).toBe("T")
      const inTx = yield* c.query("status")
      expect(inTx.results[0]).toMatchObject({ rows: [["T"]] })
      const failed = yield* c.query("fail")
      expect(failed.transactionStatus).toBe("E")
      expect((yield* c.query("select 1")).transactionStatus).toBe("E")
      expect((yield* c.query("status")).results[0]).toMatchObject({ rows: [["E"]] })
      expect((yield* c.query("rollback")).transactionStatus).toBe("I")
      expect((yield* c.query("begin; select 1; commit")).transactionStatus).toBe("I")
      expect((yield* c.query("begin; select 1")).transactionStatus).toBe("T")
      expect((yield* c.query("commit")).transactionStatus).toBe("I")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("an error in the middle of a row stream", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("midstream")
      expect(out.results).toEqual([])
      expect(out.error?.code).toBe("22012")
      expect((yield* c.query("select 1")).error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a handler defect or an unencodable row becomes XX000 and the session stays usable", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const died = yield* c.query("die")
      expect(died.error).toMatchObject({ code: "XX000", severity: "ERROR" })
      expect(died.error?.message).not.toContain("handler bug")
      const bad = yield* c.query("badrow")
      expect(bad.error?.code).toBe("XX000")
      expect(bad.error?.message).toContain("row has 2 values but the result has 1 columns")
      const badValue = yield* c.query("badvalue")
      expect(badValue.error?.code).toBe("XX000")
      expect(badValue.error?.message).toContain('cannot encode column "x"')
      expect((yield* c.query("select 1")).results[0]).toMatchObject({ rows: [["1"]] })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a FATAL handler error closes the connection after the ErrorResponse", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      yield* c.sendMessage({ _tag: "Query", sql: "fatal" })
      const rest = yield* c.receiveUntilClosed
      expect(rest.map((m) => m._tag)).toEqual(["ErrorResponse"])
      expect(rest[0]).toMatchObject({ fields: { severity: "FATAL", code: "57P01" } })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("notices and ParameterStatus mid-query", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect({ parameters: { application_name: "tests" } })
      expect((yield* c.query("whoami")).results[0]).toMatchObject({ rows: [["test", "test", "tests"]] })
      const out = yield* c.query("notice")
      expect(out.notices).toEqual([
        expect.objectContaining({ severity: "NOTICE", code: "00000", message: "hello", detail: "d" })
      ])
      expect(out.parameterChanges).toEqual([["application_name", "changed"]])
      expect((yield* c.query("whoami")).results[0]).toMatchObject({ rows: [["test", "test", "changed"]] })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("without a SimpleQueryHandler every query answers 0A000", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("select 1")
      expect(out.error?.code).toBe("0A000")
      expect(out.transactionStatus).toBe("I")
    }).pipe(Effect.provide(Testing.layer())))

  it.scopedLive("extended-query messages without support: 0A000, skip until Sync", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      yield* c.sendMessage(
        { _tag: "Parse", name: "", sql: "select 1", paramTypes: [] },
        { _tag: "Bind", portal: "", statement: "", paramFormats: [], params: [], resultFormats: [] },
        { _tag: "Execute", portal: "", maxRows: 0 },
        { _tag: "Sync" }
      )
      const first = yield* c.receive
      expect(first).toMatchObject({ _tag: "ErrorResponse", fields: { code: "0A000" } })
      expect(yield* c.receive).toEqual({ _tag: "ReadyForQuery", status: "I" })
      expect((yield* c.query("select 1")).error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a Stream-based handler (not perStatement): results in order, none = EmptyQueryResponse, a failure ends it", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("two")
      expect(out.results).toEqual([
        { _tag: "Rows", fields: [expect.objectContaining({ name: "n" })], rows: [["1"], ["2"]], tag: "SELECT 2" },
        { _tag: "Command", tag: "DONE" }
      ])
      expect((yield* c.query("none")).results).toEqual([{ _tag: "Empty" }])
      const failed = yield* c.query("fail")
      expect(failed.results).toEqual([{ _tag: "Command", tag: "DONE" }])
      expect(failed.error?.code).toBe("42601")
    }).pipe(
      Effect.provide(
        Testing.layer().pipe(
          Layer.provide(
            SimpleQueryHandler.layer((q) =>
              q === "two"
                ? Stream.make(
                  ResultSet.make({ fields: [ResultSet.field("n", Oid.int4)], rows: Stream.make([1], [2]) }),
                  QueryResult.command("DONE")
                )
                : q === "none"
                ? Stream.empty
                : Stream.concat(Stream.make(QueryResult.command("DONE")), Stream.fail(PgError.make(SqlState.SyntaxError, "bad")))
            )
          )
        )
      )
    ))
})
