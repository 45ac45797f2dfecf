import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Deferred, Effect, Layer, Option, Stream, Tracer } from "effect"
import { ExtendedQueryHandler } from "../src/handlers/ExtendedQueryHandler.js"
import { QueryParser } from "../src/handlers/QueryParser.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult, type Row } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing } from "../src/testing/Testing.js"

/**
 * Simple Query answers statements whose handler effect is already complete
 * (Effect.succeed / Effect.fail) without running a fiber, and hands the rest
 * of the query string to a cancellable fiber at the first statement that
 * needs one. These tests mix both kinds and check what the client sees.
 */

const intRows = (n: number): Iterable<Row> => ({
  *[Symbol.iterator]() {
    for (let i = 1; i <= n; i++) yield [i, `row number ${i}`]
  }
})

const rows = (n: number) =>
  ResultSet.make({ fields: [ResultSet.field("i", Oid.int4), ResultSet.field("t", Oid.text)], rows: intRows(n) })

const started = Deferred.unsafeMake<void>(undefined as never)

const Handler = SimpleQueryHandler.perStatement((statement, session) => {
  const [word, arg] = statement.split(" ")
  const n = Number(arg ?? 0)
  switch (word) {
    case "now":
      return Effect.succeed(rows(n))
    case "later":
      // Completes after a timer: the statement runs in the guarded fiber.
      return Effect.delay(Effect.succeed(rows(n)), "5 millis")
    case "gen":
      return Effect.gen(function* () {
        const status = yield* session.transactionStatus
        return ResultSet.make({ fields: [ResultSet.field("s", Oid.text)], rows: [[status]] })
      })
    case "begin":
      return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
    case "rollback":
      return Effect.succeed(QueryResult.command("ROLLBACK", { transaction: "rollback" }))
    case "failnow":
      // Escapes the handler's types: not a PgError.
      return Effect.fail(new (class extends Error {})() as never)
    case "throw":
      throw new Error("handler function threw")
    case "breaks": {
      // An Iterable that throws after `n` rows.
      const broken: Iterable<Row> = {
        *[Symbol.iterator]() {
          for (let i = 1; i <= n; i++) yield [i, "x"]
          throw new Error("iterator broke")
        }
      }
      return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("i", Oid.int4), ResultSet.field("t", Oid.text)], rows: broken }))
    }
    case "stream":
      return Effect.succeed(
        ResultSet.make({
          fields: [ResultSet.field("i", Oid.int4), ResultSet.field("t", Oid.text)],
          rows: Stream.fromIterable(intRows(n))
        })
      )
    case "selfcancel":
      // Cancels its own query, then would complete at once: the cancel must still win.
      return Effect.zipRight(session.cancellation.cancel, Effect.succeed(QueryResult.command("NOT CANCELED")))
    case "block":
      return Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
    case "copied": {
      // A copy of an Iterable result with other rows must send the new rows, not the Iterable's.
      const original = rows(2)
      return Effect.succeed({ ...original, rows: Stream.make([7, "seven"]) } as QueryResult)
    }
    case "span":
      return Effect.map(Effect.option(Effect.currentSpan), (span) =>
        ResultSet.make({ fields: [ResultSet.field("span", Oid.text)], rows: [[Option.getOrNull(Option.map(span, (s) => s.name))]] })
      )
    default:
      return Effect.succeed(QueryResult.command("OK"))
  }
})

const spanFields = [ResultSet.field("span", Oid.text)]

// Extended query: Execute answers with the name of the span its handler effect runs under.
const Extended = Layer.mergeAll(
  QueryParser.layer((sql) => Effect.succeed({ statement: sql, parameterTypes: [], fields: spanFields })),
  ExtendedQueryHandler.layer(() =>
    Effect.map(Effect.option(Effect.currentSpan), (span) =>
      ResultSet.make({ fields: spanFields, rows: [[Option.getOrNull(Option.map(span, (s) => s.name))]] })
    )
  )
)

const TestLayer = Testing.layer().pipe(Layer.provide(Layer.merge(Handler, Extended)))

describe("simple query fast path", () => {
  it.scopedLive("complete and running statements mixed in one string keep their order and transaction status", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("now 1; later 2; now 3; begin; gen; later 1; gen")
      expect(out.error).toBeUndefined()
      expect(out.results.map((r) => (r._tag === "Empty" ? "empty" : r.tag))).toEqual([
        "SELECT 1",
        "SELECT 2",
        "SELECT 3",
        "BEGIN",
        "SELECT 1",
        "SELECT 1",
        "SELECT 1"
      ])
      expect(out.results[4]).toMatchObject({ rows: [["T"]] })
      expect(out.transactionStatus).toBe("T")
      expect((yield* c.query("rollback")).transactionStatus).toBe("I")
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("Iterable rows past the outbox's size go on after a flush, for complete and running statements alike", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      // ~27 bytes a row: 50,000 rows are about 20 outbox flushes.
      const out = yield* c.query("now 50000; later 50000; stream 3000; now 2")
      expect(out.error).toBeUndefined()
      expect(out.results.map((r) => (r._tag === "Rows" ? [r.tag, r.rows.length, r.rows.at(-1)] : r._tag))).toEqual([
        ["SELECT 50000", 50000, ["50000", "row number 50000"]],
        ["SELECT 50000", 50000, ["50000", "row number 50000"]],
        ["SELECT 3000", 3000, ["3000", "row number 3000"]],
        ["SELECT 2", 2, ["2", "row number 2"]]
      ])
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a copy of an Iterable result with other rows sends those rows", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("copied")
      expect(out.results[0]).toMatchObject({ rows: [["7", "seven"]], tag: "SELECT 1" })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a failure that is not a PgError, a throwing handler function and a throwing iterator: XX000, the session goes on", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const failed = yield* c.query("now 1; failnow; now 2")
      expect(failed.results).toHaveLength(1)
      expect(failed.error?.code).toBe("XX000")

      const threw = yield* c.query("now 1; throw; now 2")
      expect(threw.results).toHaveLength(1)
      expect(threw.error).toMatchObject({ code: "XX000", message: "internal error in the query handler" })

      // Whether it breaks before the first flush or after many: XX000, the transaction fails.
      for (const n of [3, 40000]) {
        const broke = yield* c.query(`begin; breaks ${n}; now 1`)
        expect(broke.results.map((r) => r._tag)).toEqual(["Command"])
        expect(broke.error?.code).toBe("XX000")
        expect(broke.transactionStatus).toBe("E")
        expect((yield* c.query("rollback")).transactionStatus).toBe("I")
      }
      expect((yield* c.query("now 2")).results[0]).toMatchObject({ tag: "SELECT 2" })
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a query that cancels itself synchronously is canceled (57014)", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      const out = yield* c.query("now 1; selfcancel; now 1")
      expect(out.results).toHaveLength(1)
      expect(out.error).toMatchObject({ code: "57014", message: "canceling statement due to user request" })
      expect((yield* c.query("now 1")).error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))

  it.scopedLive("a CancelRequest stops a blocked statement that follows complete ones", () =>
    Effect.gen(function* () {
      const a = yield* Testing.open
      const keys = yield* a.startup()
      yield* a.sendMessage({ _tag: "Query", sql: "now 2; block; now 1" })
      yield* Deferred.await(started)
      const canceller = yield* Testing.open
      yield* canceller.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
      const seen: Array<string> = []
      for (;;) {
        const m = yield* a.receive
        seen.push(m._tag === "ErrorResponse" ? `ErrorResponse ${m.fields.code}` : m._tag)
        if (m._tag === "ReadyForQuery") break
      }
      expect(seen).toEqual(["RowDescription", "DataRow", "DataRow", "CommandComplete", "ErrorResponse 57014", "ReadyForQuery"])
      expect((yield* a.query("now 1")).error).toBeUndefined()
    }).pipe(Effect.provide(TestLayer)))
})

describe("query spans", () => {
  it.scopedLive("with a tracer installed, every Query and Execute gets a pgwire.query span that handler effects run under", () =>
    Effect.gen(function* () {
      const builtIn = yield* Effect.tracer
      const spans: Array<Tracer.Span> = []
      const recording = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          const s = builtIn.span(name, parent, context, links, startTime, kind, options)
          spans.push(s)
          return s
        },
        context: (f) => f()
      })
      yield* Effect.gen(function* () {
        const c = yield* Testing.connect()
        const out = yield* c.query("span")
        expect(out.results[0]).toMatchObject({ rows: [["pgwire.query"]] })
        yield* c.query("now 1; now 2")
        yield* c.sendMessage(
          { _tag: "Parse", name: "", sql: "extended span", paramTypes: [] },
          { _tag: "Bind", portal: "", statement: "", paramFormats: [], params: [], resultFormats: [] },
          { _tag: "Execute", portal: "", maxRows: 0 },
          { _tag: "Sync" }
        )
        const replies: Array<unknown> = []
        for (let m = yield* c.receive; ; m = yield* c.receive) {
          replies.push(m._tag === "DataRow" ? m : m._tag)
          if (m._tag === "ReadyForQuery") break
        }
        expect(replies).toEqual(["ParseComplete", "BindComplete", { _tag: "DataRow", values: [new TextEncoder().encode("pgwire.query")] }, "CommandComplete", "ReadyForQuery"])
      }).pipe(Effect.provide(TestLayer), Effect.withTracer(recording))
      const queries = spans.filter((s) => s.name === "pgwire.query")
      expect(queries.map((s) => s.attributes.get("db.statement"))).toEqual(["span", "now 1; now 2", "extended span"])
      expect(queries.every((s) => s.status._tag === "Ended")).toBe(true)
      const connection = spans.find((s) => s.name === "pgwire.connection")
      expect(Option.map(queries[0]!.parent, (p) => p.spanId)).toEqual(Option.some(connection!.spanId))
    }))
})
