import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { type BackendMessage, type FrontendMessage, Oid } from "@pgwire-ts/protocol"
import { makeTestClient, type TestClient } from "@pgwire-ts/server"
import { Effect, type Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer

beforeAll(async () => {
  server = await startServer({})
})

afterAll(async () => {
  await server?.stop()
})

const utf8 = new TextDecoder()
const text = (s: string) => new TextEncoder().encode(s)

const summarize = (m: BackendMessage): string => {
  switch (m._tag) {
    case "ErrorResponse":
      return `Error ${m.fields.code} ${m.fields.message}`
    case "DataRow":
      return `DataRow ${m.values.map((v) => (v === null ? "NULL" : utf8.decode(v))).join("|")}`
    case "CommandComplete":
      return `CommandComplete ${m.tag}`
    case "ReadyForQuery":
      return `RFQ ${m.status}`
    case "RowDescription":
      return `RowDescription ${m.fields.map((f) => `${f.name}:${f.typeOid}`).join(",")}`
    case "ParameterDescription":
      return `ParameterDescription ${m.typeOids.join(",")}`
    default:
      return m._tag
  }
}

/** Sends the messages (ending with Sync) and summarizes the answers up to ReadyForQuery. */
const exchange = (c: TestClient, ...messages: ReadonlyArray<FrontendMessage>) =>
  Effect.gen(function*() {
    yield* c.sendMessage(...messages)
    const out: Array<string> = []
    for (;;) {
      const m = yield* c.receive
      out.push(summarize(m))
      if (m._tag === "ReadyForQuery") return out
    }
  })

/** Raw protocol over TCP with the server package's test client. */
const withClient = <A, E>(f: (c: TestClient, keys: { processId: number; secretKey: Uint8Array }) => Effect.Effect<A, E, Scope.Scope>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const c = yield* makeTestClient(yield* NodeSocket.makeNet({ host: "127.0.0.1", port: server.port }))
        const keys = yield* c.startup({ user: "raw", database: "raw" })
        return yield* f(c, keys)
      })
    )
  )

const parse = (sql: string, name = "", paramTypes: ReadonlyArray<number> = []): FrontendMessage => ({ _tag: "Parse", name, sql, paramTypes })
const bind = (statement: string, params: ReadonlyArray<string | null> = [], portal = ""): FrontendMessage => ({
  _tag: "Bind",
  portal,
  statement,
  paramFormats: [],
  params: params.map((p) => (p === null ? null : text(p))),
  resultFormats: []
})
const execute = (portal = "", maxRows = 0): FrontendMessage => ({ _tag: "Execute", portal, maxRows })
const sync: FrontendMessage = { _tag: "Sync" }
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `DataRow ${from + i}`)

describe("the SQLite server's extended query protocol, message by message", () => {
  it("Describe answers from SQLite without running the statement: parameter types, then columns or NoData", () =>
    withClient((c) =>
      Effect.gen(function*() {
        yield* c.query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, active BOOLEAN, price REAL)")
        expect(
          yield* exchange(
            c,
            parse("SELECT name, price * 2 AS double, $3 AS echo FROM items WHERE id = $1 AND active = $2", "q"),
            { _tag: "Describe", kind: "S", name: "q" },
            parse("INSERT INTO items (id, name) VALUES ($1, $2)", "ins", [Oid.int4]),
            { _tag: "Describe", kind: "S", name: "ins" },
            sync
          )
        ).toEqual([
          "ParseComplete",
          "ParameterDescription 20,16,25",
          "RowDescription name:25,double:701,echo:25",
          "ParseComplete",
          "ParameterDescription 23,25",
          "NoData",
          "RFQ I"
        ])
        // nothing ran: the INSERT was only described
        expect((yield* c.query("SELECT count(*) FROM items")).results[0]).toMatchObject({ rows: [["0"]] })
      })
    ))

  it("several open portals in one transaction: a suspended one is read on after other statements ran", () =>
    withClient((c) =>
      Effect.gen(function*() {
        yield* c.query("CREATE TABLE log (n INTEGER)")
        const series = "SELECT generate_series AS n FROM generate_series(1, $1)"
        expect(yield* exchange(c, { _tag: "Query", sql: "BEGIN" })).toEqual(["CommandComplete BEGIN", "RFQ T"])
        expect(yield* exchange(c, parse(series, "s"), bind("s", ["1000"], "a"), execute("a", 10), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          ...rows(1, 10),
          "PortalSuspended",
          "RFQ T"
        ])
        // another portal and a write while "a" is suspended
        expect(
          yield* exchange(c, bind("s", ["3"], "b"), execute("b"), parse("INSERT INTO log VALUES ($1)"), bind("", ["7"]), execute(), sync)
        ).toEqual(["BindComplete", ...rows(1, 3), "CommandComplete SELECT 3", "ParseComplete", "BindComplete", "CommandComplete INSERT 0 1", "RFQ T"])
        expect(yield* exchange(c, execute("a", 10), sync)).toEqual([...rows(11, 20), "PortalSuspended", "RFQ T"])
        const rest = yield* exchange(c, execute("a"), sync)
        expect(rest.slice(0, 2)).toEqual(["DataRow 21", "DataRow 22"])
        expect(rest.slice(-3)).toEqual(["DataRow 1000", "CommandComplete SELECT 980", "RFQ T"])
        expect(yield* exchange(c, { _tag: "Query", sql: "COMMIT" })).toEqual(["CommandComplete COMMIT", "RFQ I"])
        expect((yield* c.query("SELECT n FROM log")).results[0]).toMatchObject({ rows: [["7"]] })
      })
    ))

  it("an unused parameter still binds; Parse in a failed transaction is 25P02; several statements are 42601", () =>
    withClient((c) =>
      Effect.gen(function*() {
        expect(yield* exchange(c, parse("SELECT $3 AS c, $1 AS a"), bind("", ["x", "unused", "z"]), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "DataRow z|x",
          "CommandComplete SELECT 1",
          "RFQ I"
        ])
        expect(yield* exchange(c, parse("SELECT 1; SELECT 2"), sync)).toEqual(["Error 42601 cannot insert multiple commands into a prepared statement", "RFQ I"])
        yield* c.query("BEGIN")
        yield* c.query("SELECT * FROM nowhere")
        expect(yield* exchange(c, parse("SELECT 1"), sync)).toEqual([
          "Error 25P02 current transaction is aborted, commands ignored until end of transaction block",
          "RFQ E"
        ])
        expect(yield* exchange(c, parse("ROLLBACK"), bind(""), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "CommandComplete ROLLBACK", "RFQ I"])
      })
    ))

  it("a CancelRequest stops a statement running in a lane through Execute (57014)", () =>
    withClient((c, keys) =>
      Effect.gen(function*() {
        // described first, so the lane that turns busy below runs the Execute, not the Parse
        expect(yield* exchange(c, parse("SELECT sleep($1) AS slept", "sleep"), sync)).toEqual(["ParseComplete", "RFQ I"])
        const started = Date.now()
        yield* c.sendMessage(bind("sleep", ["5"]), execute(), sync)
        while (server.engine.busyLanes === 0) yield* Effect.sleep("20 millis")
        const canceller = yield* makeTestClient(yield* NodeSocket.makeNet({ host: "127.0.0.1", port: server.port }))
        yield* canceller.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        const answer: Array<string> = []
        for (;;) {
          const m = yield* c.receive
          answer.push(summarize(m))
          if (m._tag === "ReadyForQuery") break
        }
        expect(answer).toEqual(["BindComplete", "Error 57014 canceling statement due to user request", "RFQ I"])
        expect(Date.now() - started).toBeLessThan(4_500)
        expect(yield* exchange(c, parse("SELECT $1 AS ok"), bind("", ["yes"]), execute(), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "DataRow yes",
          "CommandComplete SELECT 1",
          "RFQ I"
        ])
      })
    ), 20_000)
})
