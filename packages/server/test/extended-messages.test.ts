import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Effect, Layer, Ref } from "effect"
import { Testing } from "../src/testing/Testing.js"
import {
  bind,
  closePortal,
  closeStatement,
  demoServer,
  describePortal,
  describeStatement,
  exchange,
  execute,
  flush,
  makeProbe,
  parse,
  parser,
  receiveN,
  sync,
  text
} from "./extendedSupport.js"

const withServer = <A, E>(f: (probe: Effect.Effect.Success<typeof makeProbe>) => Effect.Effect<A, E, any>) =>
  Effect.flatMap(makeProbe, (probe) => Effect.provide(f(probe), demoServer(probe)))

describe("extended query: each message", () => {
  it.scopedLive("Parse, Bind, Describe (statement and portal), Execute, Sync on the unnamed statement and portal", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(
          yield* exchange(c, parse("echo $1 $2", "", [Oid.int4]), describeStatement(), bind("", [text("7"), text("x")]), describePortal(), execute(), sync)
        ).toEqual([
          "ParseComplete",
          "ParameterDescription 23,25",
          "RowDescription p1:23:0,p2:25:0",
          "BindComplete",
          "RowDescription p1:23:0,p2:25:0",
          "DataRow 7|x",
          "CommandComplete SELECT 1",
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("Describe of a statement without rows: ParameterDescription then NoData; of its portal: NoData", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("insert"), describeStatement(), bind(), describePortal(), execute(), sync)).toEqual([
          "ParseComplete",
          "ParameterDescription ",
          "NoData",
          "BindComplete",
          "NoData",
          "CommandComplete INSERT 0 1",
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("an empty statement: NoData, EmptyQueryResponse on every Execute", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("  "), describeStatement(), bind(), describePortal(), execute(), execute(), sync)).toEqual([
          "ParseComplete",
          "ParameterDescription ",
          "NoData",
          "BindComplete",
          "NoData",
          "EmptyQueryResponse",
          "EmptyQueryResponse",
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("named statements live across Syncs until Close; a new unnamed Parse replaces the old one", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("series 2", "s2"), parse("series 1"), sync)).toEqual(["ParseComplete", "ParseComplete", "RFQ I"])
        expect(yield* exchange(c, bind("s2"), execute(), bind(""), execute(), sync)).toEqual([
          "BindComplete",
          "DataRow 1",
          "DataRow 2",
          "CommandComplete SELECT 2",
          "BindComplete",
          "DataRow 1",
          "CommandComplete SELECT 1",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("series 3"), bind(""), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "DataRow 1",
          "DataRow 2",
          "DataRow 3",
          "CommandComplete SELECT 3",
          "RFQ I"
        ])
        expect(yield* exchange(c, closeStatement("s2"), bind("s2"), sync)).toEqual([
          "CloseComplete",
          'Error 26000 prepared statement "s2" does not exist',
          "RFQ I"
        ])
        // closing what does not exist is not an error (as PostgreSQL)
        expect(yield* exchange(c, closeStatement("nope"), closePortal("nope"), sync)).toEqual(["CloseComplete", "CloseComplete", "RFQ I"])
        expect(yield* Ref.get(probe.executed)).toBe(3)
      })
    )
  )

  it.scopedLive("SQL DEALLOCATE through PreparedStatements closes statements made by Parse", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* exchange(c, parse("insert", "a"), parse("insert", "b"), parse("insert"), sync)
        expect(yield* exchange(c, { _tag: "Query", sql: "deallocate a" })).toEqual(["CommandComplete DEALLOCATE", "RFQ I"])
        expect(yield* exchange(c, bind("a"), sync)).toEqual(['Error 26000 prepared statement "a" does not exist', "RFQ I"])
        expect(yield* exchange(c, { _tag: "Query", sql: "deallocate nope" })).toEqual(['Error 26000 prepared statement "nope" does not exist', "RFQ I"])
        expect(yield* exchange(c, bind("b"), execute(), sync)).toEqual(["BindComplete", "CommandComplete INSERT 0 1", "RFQ I"])
        expect(yield* exchange(c, { _tag: "Query", sql: "deallocate all" })).toEqual(["CommandComplete DEALLOCATE ALL", "RFQ I"])
        expect(yield* exchange(c, bind("b"), sync)).toEqual(['Error 26000 prepared statement "b" does not exist', "RFQ I"])
      })
    )
  )

  it.scopedLive("unknown statement 26000, unknown portal 34000, duplicate names 42P05 and 42P03", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, describeStatement("nope"), sync)).toEqual(['Error 26000 prepared statement "nope" does not exist', "RFQ I"])
        expect(yield* exchange(c, bind("nope"), sync)).toEqual(['Error 26000 prepared statement "nope" does not exist', "RFQ I"])
        expect(yield* exchange(c, bind(""), sync)).toEqual(["Error 26000 unnamed prepared statement does not exist", "RFQ I"])
        expect(yield* exchange(c, describePortal("nope"), sync)).toEqual(['Error 34000 portal "nope" does not exist', "RFQ I"])
        expect(yield* exchange(c, execute("nope"), sync)).toEqual(['Error 34000 portal "nope" does not exist', "RFQ I"])
        expect(yield* exchange(c, parse("insert", "a"), parse("insert", "a"), sync)).toEqual([
          "ParseComplete",
          'Error 42P05 prepared statement "a" already exists',
          "RFQ I"
        ])
        expect(yield* exchange(c, bind("a", [], { portal: "p" }), bind("a", [], { portal: "p" }), sync)).toEqual([
          "BindComplete",
          'Error 42P03 cursor "p" already exists',
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("Parse errors from the QueryParser are answered with their SQLSTATE and position", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* c.sendMessage(parse("selec 1"), sync)
        const error = yield* c.receive
        expect(error).toMatchObject({ _tag: "ErrorResponse", fields: { code: "42601", message: 'syntax error at or near "selec"', position: "1" } })
        expect(yield* c.receive).toEqual({ _tag: "ReadyForQuery", status: "I" })
      })
    )
  )

  it.scopedLive("wrong parameter count 08P01; Execute errors, defects (XX000) and results that change shape (0A000)", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("echo $1 $2"), bind("", [text("1")]), sync)).toEqual([
          "ParseComplete",
          'Error 08P01 bind message supplies 1 parameters, but prepared statement "" requires 2',
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("fail"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "Error 22012 division by zero", "RFQ I"])
        expect(yield* exchange(c, parse("die"), bind(), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "Error XX000 internal error in the query handler",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("wide"), bind(), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "Error 0A000 cached plan must not change result type",
          "RFQ I"
        ])
        // still usable
        expect(yield* exchange(c, parse("series 1"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "RFQ I"])
      })
    )
  )

  it.scopedLive("re-executing a finished portal: rows give SELECT 0, a command gives 55000", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("series 1"), bind(), execute(), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "DataRow 1",
          "CommandComplete SELECT 1",
          "CommandComplete SELECT 0",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("insert"), bind(), execute(), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "CommandComplete INSERT 0 1",
          'Error 55000 portal "" cannot be run',
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("Flush sends what is pending without ReadyForQuery", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* c.sendMessage(parse("series 2", "f"), describeStatement("f"), flush)
        expect(yield* receiveN(c, 3)).toEqual(["ParseComplete", "ParameterDescription ", "RowDescription n:23:0"])
        yield* c.sendMessage(bind("f"), execute("", 1), flush)
        expect(yield* receiveN(c, 3)).toEqual(["BindComplete", "DataRow 1", "PortalSuspended"])
        expect(yield* exchange(c, execute("", 1), sync)).toEqual(["DataRow 2", "PortalSuspended", "RFQ I"])
      })
    )
  )

  it.scopedLive("transaction status follows BEGIN/COMMIT run through Execute; an error in a block gives E", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(yield* exchange(c, parse("begin"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "CommandComplete BEGIN", "RFQ T"])
        expect(yield* exchange(c, parse("status"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "DataRow T", "CommandComplete SELECT 1", "RFQ T"])
        expect(yield* exchange(c, parse("fail"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "Error 22012 division by zero", "RFQ E"])
        expect(yield* exchange(c, parse("rollback"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "CommandComplete ROLLBACK", "RFQ I"])
      })
    )
  )

  it.scopedLive("without a QueryParser or ExtendedQueryHandler, Parse answers 0A000 and the rest is skipped until Sync", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      expect(yield* exchange(c, parse("series 1"), bind(), execute(), sync)).toEqual([
        "Error 0A000 the extended query protocol is not supported by this server",
        "RFQ I"
      ])
    }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(parser))))
  )
})
