import { describe, expect, it } from "@effect/vitest"
import { type BackendMessage, type FrontendMessage, Oid, parseCopyStatement, SqlState } from "@pgwire-ts/protocol"
import { Chunk, Deferred, Effect, Layer, Ref, Stream } from "effect"
import { PgError } from "../src/errors/PgError.js"
import { CopyHandler } from "../src/handlers/CopyHandler.js"
import { ExtendedQueryHandler } from "../src/handlers/ExtendedQueryHandler.js"
import { QueryParser } from "../src/handlers/QueryParser.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { Testing } from "../src/testing/Testing.js"
import type { TestClient } from "../src/testing/TestClient.js"

const enc = new TextEncoder()
const dec = new TextDecoder()
const data = (s: string): FrontendMessage => ({ _tag: "CopyData", data: enc.encode(s) })

/** What the handler stored and saw. */
const makeStore = Effect.all({
  rows: Ref.make<ReadonlyArray<ReadonlyArray<unknown>>>([]),
  bytes: Ref.make(""),
  waiting: Deferred.make<void>()
})
type Store = Effect.Effect.Success<typeof makeStore>

const people = [
  [1, "ann", true],
  [2, "bob\there", null],
  [3, "c,d \"q\"", false]
] as const

const statement = (sql: string, store: Store): Effect.Effect<QueryResult, PgError> => {
  const s = sql.trim()
  if (s === "copy bytes") {
    // Byte level: collect everything, store it only when the stream ended normally.
    return Effect.succeed(
      QueryResult.copyIn({
        columns: 2,
        consume: (chunks) =>
          Effect.map(Stream.runFold(chunks, "", (acc, c) => acc + dec.decode(c)), (all) => all.split("\n").filter((l) => l !== "")).pipe(
            Effect.tap((lines) => Ref.set(store.bytes, lines.join("|"))),
            Effect.map((lines) => lines.length)
          )
      })
    )
  }
  if (s === "copy first line") {
    // Reads one chunk and stops: the server discards the rest up to CopyDone.
    return Effect.succeed(
      QueryResult.copyIn({
        consume: (chunks) => Effect.as(Effect.tap(Stream.runHead(chunks), () => Ref.set(store.bytes, "head")), 1)
      })
    )
  }
  if (s === "copy wait") {
    return Effect.succeed(
      QueryResult.copyIn({ consume: () => Effect.zipRight(Deferred.succeed(store.waiting, undefined), Effect.never) })
    )
  }
  if (s === "echo both") {
    // Copy-both: every inbound payload comes back upper-cased; ends when the client's CopyDone ends inbound.
    return Effect.succeed(
      QueryResult.copyBoth({ run: (inbound) => Stream.map(inbound, (b) => enc.encode(dec.decode(b).toUpperCase())) })
    )
  }
  if (s === "talk both") {
    // Copy-both where the server finishes first, ignoring what the client sends.
    return Effect.succeed(
      QueryResult.copyBoth({ run: () => Stream.make(enc.encode("k1"), enc.encode("k2")), tag: "START_REPLICATION" })
    )
  }
  if (s === "copy out bytes") {
    return Effect.succeed(
      QueryResult.copyOut({ columns: 1, data: Stream.make(enc.encode("a\n"), enc.encode("b\n")) })
    )
  }
  if (s === "copy out broken") {
    return Effect.succeed(
      QueryResult.copyOut({
        data: Stream.concat(Stream.make(enc.encode("a\n")), Stream.fail(PgError.make("22012", "division by zero")))
      })
    )
  }
  if (/^copy people/i.test(s)) {
    const copy = parseCopyStatement(s)!
    const columns = { names: ["id", "name", "ok"], oids: [Oid.int4, Oid.text, Oid.bool] }
    if (copy.direction === "to") return Effect.succeed(QueryResult.copyTo({ copy, columns, rows: people }))
    return Effect.succeed(
      QueryResult.copyFrom({
        copy,
        columns,
        consume: (rows) =>
          Effect.map(Stream.runCollect(rows), Chunk.toReadonlyArray).pipe(
            Effect.tap((all) => Ref.set(store.rows, all)),
            Effect.map((all) => all.length)
          )
      })
    )
  }
  if (s === "select") return Effect.succeed(QueryResult.command("SELECT 0"))
  return Effect.fail(PgError.make(SqlState.SyntaxError, `unknown statement ${s}`))
}

const layerFor = (store: Store) =>
  Testing.layer().pipe(
    Layer.provide(SimpleQueryHandler.perStatement((sql) => statement(sql, store))),
    // The same statements over the extended protocol.
    Layer.provide(QueryParser.layer((sql) => Effect.succeed({ statement: sql, parameterTypes: [], fields: undefined }))),
    Layer.provide(ExtendedQueryHandler.layer<string>((portal) => statement(portal.statement, store)))
  )

const receiveN = (c: TestClient, n: number): Effect.Effect<ReadonlyArray<BackendMessage>, unknown> =>
  Effect.forEach(Array.from({ length: n }), () => c.receive)

const receiveUntilReady = (c: TestClient): Effect.Effect<ReadonlyArray<BackendMessage>, unknown> =>
  Effect.gen(function* () {
    const out: Array<BackendMessage> = []
    for (;;) {
      const m = yield* c.receive
      out.push(m)
      if (m._tag === "ReadyForQuery") return out
    }
  })

const summary = (ms: ReadonlyArray<BackendMessage>) =>
  ms.map((m) => {
    switch (m._tag) {
      case "CopyData":
        return `data ${dec.decode(m.data)}`
      case "CommandComplete":
        return `complete ${m.tag}`
      case "ErrorResponse":
        return `error ${m.fields.code} ${m.fields.message}${m.fields.where ? ` (${m.fields.where})` : ""}`
      case "ReadyForQuery":
        return `ready ${m.status}`
      case "CopyInResponse":
      case "CopyOutResponse":
      case "CopyBothResponse":
        return `${m._tag} ${m.format} [${m.columnFormats.join(",")}]`
      default:
        return m._tag
    }
  })

const withServer = <A>(f: (c: TestClient, store: Store) => Effect.Effect<A, unknown, never>) =>
  Effect.gen(function* () {
    const store = yield* makeStore
    return yield* Effect.flatMap(Testing.connect(), (c) => f(c, store)).pipe(Effect.provide(layerFor(store)))
  })

describe("copy-in", () => {
  it.scopedLive("CopyData chunks split anywhere reach the handler; Flush and Sync are ignored; COPY n", () =>
    withServer((c, store) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy bytes" })
        expect(summary(yield* receiveN(c, 1))).toEqual(["CopyInResponse 0 [0,0]"])
        yield* c.sendMessage(data("1\ta"), { _tag: "Flush" }, data("nn\n2\t"), { _tag: "Sync" }, data("bob\n"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["complete COPY 2", "ready I"])
        expect(yield* Ref.get(store.bytes)).toBe("1\tann|2\tbob")
      })
    ))

  it.scopedLive("CopyFail: 57014, nothing stored, later copy messages dropped, the session goes on", () =>
    withServer((c, store) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy bytes" })
        yield* receiveN(c, 1)
        yield* c.sendMessage(data("1\tann\n"), { _tag: "CopyFail", message: "client gave up" }, data("late\n"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["error 57014 COPY from stdin failed: client gave up", "ready I"])
        expect(yield* Ref.get(store.bytes)).toBe("")
        expect((yield* c.query("select")).results).toEqual([{ _tag: "Command", tag: "SELECT 0" }])
      })
    ))

  it.scopedLive("rows: text parsed and decoded per column type; a malformed row fails with 22P04 and its line", () =>
    withServer((c, store) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy people from stdin" })
        expect(summary(yield* receiveN(c, 1))).toEqual(["CopyInResponse 0 [0,0,0]"])
        yield* c.sendMessage(data("1\tann\tt\n2\tb\\tob\t\\N\n"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["complete COPY 2", "ready I"])
        expect(yield* Ref.get(store.rows)).toEqual([
          [1, "ann", true],
          [2, "b\tob", null]
        ])

        yield* Ref.set(store.rows, [])
        yield* c.sendMessage({ _tag: "Query", sql: "copy people from stdin" })
        yield* receiveN(c, 1)
        yield* c.sendMessage(data("1\tann\tt\n2\tbob\n"))
        // The server fails the COPY without waiting for CopyDone; what the client sends after is dropped.
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "error 22P04 missing data for column \"ok\" (COPY people, line 2)",
          "ready I"
        ])
        yield* c.sendMessage(data("3\tc\tf\n"), { _tag: "CopyDone" })
        expect(yield* Ref.get(store.rows)).toEqual([])
        expect((yield* c.query("select")).results).toEqual([{ _tag: "Command", tag: "SELECT 0" }])
      })
    ))

  it.scopedLive("rows: CSV with a header, and a bad value fails with the type's SQLSTATE", () =>
    withServer((c, store) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy people from stdin with (format csv, header true)" })
        yield* receiveN(c, 1)
        yield* c.sendMessage(data("id,name,ok\n7,\"x,y\",true\n"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["complete COPY 1", "ready I"])
        expect(yield* Ref.get(store.rows)).toEqual([[7, "x,y", true]])

        yield* c.sendMessage({ _tag: "Query", sql: "copy people from stdin with (format csv)" })
        yield* receiveN(c, 1)
        yield* c.sendMessage(data("x,y,true\n"), { _tag: "CopyDone" })
        const [error] = yield* receiveUntilReady(c)
        expect(error).toMatchObject({ _tag: "ErrorResponse", fields: { code: "22P02", where: "COPY people, line 1" } })
      })
    ))

  it.scopedLive("a multi-statement string goes on after CopyDone; a handler that stops reading early still ends at CopyDone", () =>
    withServer((c, store) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy first line; select" })
        yield* receiveN(c, 1)
        yield* c.sendMessage(data("a\n"), data("b\n"), data("c\n"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["complete COPY 1", "complete SELECT 0", "ready I"])
        expect(yield* Ref.get(store.bytes)).toBe("head")
      })
    ))

  it.scopedLive("another message during copy-in is an error (08P01, as PostgreSQL), not a hang", () =>
    withServer((c) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy bytes" })
        yield* receiveN(c, 1)
        yield* c.sendMessage(data("1\n"), { _tag: "Query", sql: "select" })
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "error 08P01 unexpected message type 0x51 during COPY from stdin",
          "ready I"
        ])
        expect((yield* c.query("select")).results).toEqual([{ _tag: "Command", tag: "SELECT 0" }])
      })
    ))

  it.scopedLive("a CancelRequest stops a handler waiting for copy data (57014)", () =>
    Effect.gen(function* () {
      const store = yield* makeStore
      yield* Effect.gen(function* () {
        const c = yield* Testing.open
        const keys = yield* c.startup()
        yield* c.sendMessage({ _tag: "Query", sql: "copy wait" })
        yield* receiveN(c, 1)
        yield* Deferred.await(store.waiting)
        const k = yield* Testing.open
        yield* k.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["error 57014 canceling statement due to user request", "ready I"])
        yield* c.sendMessage(data("late\n"), { _tag: "CopyDone" })
        expect((yield* c.query("select")).results).toEqual([{ _tag: "Command", tag: "SELECT 0" }])
      }).pipe(Effect.provide(layerFor(store)))
    }))

  it.scopedLive("extended protocol: CopyData after Execute, Sync ignored during the copy, then the Sync answers", () =>
    withServer((c, store) =>
      Effect.gen(function* () {
        yield* c.sendMessage(
          { _tag: "Parse", name: "", sql: "copy bytes", paramTypes: [] },
          { _tag: "Bind", portal: "", statement: "", paramFormats: [], params: [], resultFormats: [] },
          { _tag: "Execute", portal: "", maxRows: 0 },
          { _tag: "Sync" }
        )
        expect(summary(yield* receiveN(c, 3))).toEqual(["ParseComplete", "BindComplete", "CopyInResponse 0 [0,0]"])
        yield* c.sendMessage(data("x\ny\n"), { _tag: "CopyDone" }, { _tag: "Sync" })
        // The Sync sent with Execute was ignored during copy-in; the one after CopyDone answers.
        expect(summary(yield* receiveUntilReady(c))).toEqual(["complete COPY 2", "ready I"])
        expect(yield* Ref.get(store.bytes)).toBe("x|y")

        // CopyFail in the extended protocol: error, then messages are skipped until Sync.
        yield* c.sendMessage(
          { _tag: "Parse", name: "", sql: "copy bytes", paramTypes: [] },
          { _tag: "Bind", portal: "", statement: "", paramFormats: [], params: [], resultFormats: [] },
          { _tag: "Execute", portal: "", maxRows: 0 }
        )
        expect(summary(yield* receiveN(c, 3))).toEqual(["ParseComplete", "BindComplete", "CopyInResponse 0 [0,0]"])
        yield* c.sendMessage({ _tag: "CopyFail", message: "no" }, { _tag: "Execute", portal: "", maxRows: 0 }, { _tag: "Sync" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["error 57014 COPY from stdin failed: no", "ready I"])
      })
    ))
})

describe("copy-out", () => {
  it.scopedLive("bytes: one CopyData per element, CopyDone, COPY n", () =>
    withServer((c) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy out bytes" })
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "CopyOutResponse 0 [0]",
          "data a\n",
          "data b\n",
          "CopyDone",
          "complete COPY 2",
          "ready I"
        ])
      })
    ))

  it.scopedLive("rows in text, CSV with HEADER and FORCE_QUOTE, and binary", () =>
    withServer((c) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy people to stdout" })
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "CopyOutResponse 0 [0,0,0]",
          "data 1\tann\tt\n",
          "data 2\tbob\\there\t\\N\n",
          "data 3\tc,d \"q\"\tf\n",
          "CopyDone",
          "complete COPY 3",
          "ready I"
        ])
        yield* c.sendMessage({ _tag: "Query", sql: "copy people to stdout with (format csv, header, force_quote (id))" })
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "CopyOutResponse 0 [0,0,0]",
          "data id,name,ok\n",
          "data \"1\",ann,t\n",
          "data \"2\",bob\there,\n",
          "data \"3\",\"c,d \"\"q\"\"\",f\n",
          "CopyDone",
          "complete COPY 3",
          "ready I"
        ])
        yield* c.sendMessage({ _tag: "Query", sql: "copy people to stdout (format binary)" })
        const binary = yield* receiveUntilReady(c)
        expect(summary(binary).filter((s) => !s.startsWith("data"))).toEqual([
          "CopyOutResponse 1 [1,1,1]",
          "CopyDone",
          "complete COPY 3",
          "ready I"
        ])
        const chunks = binary.flatMap((m) => (m._tag === "CopyData" ? [m.data] : []))
        // Header with the first row, one message per row, the trailer alone.
        expect(chunks.length).toBe(4)
        expect([...chunks[0]!.subarray(0, 11)]).toEqual([...enc.encode("PGCOPY\n"), 0xff, 0x0d, 0x0a, 0x00])
        expect([...chunks[3]!]).toEqual([0xff, 0xff])
      })
    ))

  it.scopedLive("a failing row stream ends the copy with its error; the session goes on", () =>
    withServer((c) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "copy out broken" })
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "CopyOutResponse 0 []",
          "data a\n",
          "error 22012 division by zero",
          "ready I"
        ])
        expect((yield* c.query("select")).results).toEqual([{ _tag: "Command", tag: "SELECT 0" }])
      })
    ))
})

describe("copy-both", () => {
  it.scopedLive("data both ways until the client's CopyDone, then the server's CopyDone and CommandComplete", () =>
    withServer((c) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "echo both" })
        expect(summary(yield* receiveN(c, 1))).toEqual(["CopyBothResponse 0 []"])
        yield* c.sendMessage(data("ping"))
        expect(summary(yield* receiveN(c, 1))).toEqual(["data PING"])
        yield* c.sendMessage(data("pong"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["data PONG", "CopyDone", "complete COPY 0", "ready I"])
      })
    ))

  it.scopedLive("the server ends first: its CopyDone, client data dropped up to the client's CopyDone", () =>
    withServer((c) =>
      Effect.gen(function* () {
        yield* c.sendMessage({ _tag: "Query", sql: "talk both" })
        expect(summary(yield* receiveN(c, 4))).toEqual(["CopyBothResponse 0 []", "data k1", "data k2", "CopyDone"])
        yield* c.sendMessage(data("status update"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["complete START_REPLICATION", "ready I"])
        expect((yield* c.query("select")).results).toEqual([{ _tag: "Command", tag: "SELECT 0" }])
      })
    ))
})

describe("CopyHandler service", () => {
  /** A table kept in memory: COPY FROM appends (only once the data ended well), COPY TO reads it. */
  const tableHandler = (table: Ref.Ref<ReadonlyArray<ReadonlyArray<unknown>>>) =>
    CopyHandler.layer({
      copyFrom: (copy) =>
        copy.table === "items"
          ? Effect.succeed({
            columns: { names: ["id", "label"], oids: [Oid.int8, Oid.text] },
            consume: (rows) =>
              Effect.flatMap(Stream.runCollect(rows), (all) =>
                Effect.as(Ref.update(table, (t) => [...t, ...Chunk.toReadonlyArray(all)]), all.length)
              )
          })
          : Effect.fail(PgError.make(SqlState.UndefinedTable, `relation "${copy.table}" does not exist`)),
      copyTo: (copy) =>
        Effect.map(Ref.get(table), (rows) => ({
          columns: { names: ["id", "label"], oids: [Oid.int8, Oid.text] },
          rows: copy.query === undefined ? rows : rows.slice(0, 1)
        }))
    })

  it.scopedLive("without a query handler: COPY statements work, others answer 0A000; bad COPY options get their SQLSTATE", () =>
    Effect.gen(function* () {
      const table = yield* Ref.make<ReadonlyArray<ReadonlyArray<unknown>>>([])
      yield* Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* c.sendMessage({ _tag: "Query", sql: "COPY items FROM STDIN (FORMAT csv); COPY items TO STDOUT WITH CSV HEADER" })
        expect(summary(yield* receiveN(c, 1))).toEqual(["CopyInResponse 0 [0,0]"])
        yield* c.sendMessage(data("1,one\n2,\"t,wo\"\n"), { _tag: "CopyDone" })
        expect(summary(yield* receiveUntilReady(c))).toEqual([
          "complete COPY 2",
          "CopyOutResponse 0 [0,0]",
          "data id,label\n",
          "data 1,one\n",
          "data 2,\"t,wo\"\n",
          "CopyDone",
          "complete COPY 2",
          "ready I"
        ])
        expect(yield* Ref.get(table)).toEqual([
          [1n, "one"],
          [2n, "t,wo"]
        ])
        expect((yield* c.query("select 1")).error).toMatchObject({ code: "0A000" })
        expect((yield* c.query("copy items from stdin (format xml)")).error).toMatchObject({ code: "22023" })
        expect((yield* c.query("copy nowhere from stdin")).error).toMatchObject({ code: "42P01" })
        yield* c.sendMessage({ _tag: "Query", sql: "copy (select 1) to stdout" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["CopyOutResponse 0 [0,0]", "data 1\tone\n", "CopyDone", "complete COPY 1", "ready I"])
      }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(tableHandler(table)))))
    }))

  it.scopedLive("with a whole-string handler: a single COPY goes to the CopyHandler, a COPY among other statements to the handler", () =>
    Effect.gen(function* () {
      const table = yield* Ref.make<ReadonlyArray<ReadonlyArray<unknown>>>([[5n, "five"]])
      const whole = SimpleQueryHandler.layer((sql) => Stream.make(QueryResult.command(`HANDLER ${sql.length}`)))
      yield* Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* c.sendMessage({ _tag: "Query", sql: "copy items to stdout" })
        expect(summary(yield* receiveUntilReady(c))).toEqual(["CopyOutResponse 0 [0,0]", "data 5\tfive\n", "CopyDone", "complete COPY 1", "ready I"])
        expect((yield* c.query("copy items to stdout; select")).results).toEqual([{ _tag: "Command", tag: "HANDLER 28" }])
        // COPY to a file is not data for the client: the handler's.
        expect((yield* c.query("copy items to '/tmp/x'")).results).toEqual([{ _tag: "Command", tag: "HANDLER 22" }])
      }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(whole), Layer.provide(tableHandler(table)))))
    }))
})
