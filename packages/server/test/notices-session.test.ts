import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Effect, Layer, ManagedRuntime, Ref, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import pg from "pg"
import { afterAll, beforeAll } from "vitest"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Server } from "../src/Server.js"
import { SessionKey } from "../src/session/Session.js"
import { Testing } from "../src/testing/Testing.js"

const enc = new TextEncoder()

/** Queries answered per session: a counter kept in typed per-session state. */
const Counter = SessionKey.make("test.counter", () => ({ queries: 0 }))
const closed: Array<number> = []

const Handler = SimpleQueryHandler.perStatement((sql, session) => {
  switch (sql) {
    case "every notice":
      // A NoticeResponse of every severity with every field, and a ParameterStatus, between the rows.
      return Effect.succeed(
        ResultSet.make({
          fields: [ResultSet.field("n", Oid.int4)],
          rows: Stream.concat(
            Stream.make([1]),
            Stream.fromEffect(
              Effect.gen(function* () {
                for (const severity of ["WARNING", "NOTICE", "INFO", "DEBUG", "LOG"] as const) {
                  yield* session.notice({
                    severity,
                    code: "01000",
                    message: `${severity} message`,
                    detail: "detail",
                    hint: "hint",
                    position: 3,
                    internalPosition: 4,
                    internalQuery: "internal",
                    where: "where",
                    schemaName: "s",
                    tableName: "t",
                    columnName: "c",
                    dataTypeName: "d",
                    constraintName: "k",
                    file: "f.c",
                    line: 12,
                    routine: "r"
                  })
                }
                yield* session.setParameter("application_name", "renamed")
                return [2]
              })
            )
          )
        })
      )
    case "copy with notice":
      // Notices may come between CopyData messages too (protocol.sgml).
      return Effect.succeed(
        QueryResult.copyOut({
          data: Stream.concat(
            Stream.make(enc.encode("a\n")),
            Stream.fromEffect(Effect.as(session.notice({ message: "halfway" }), enc.encode("b\n")))
          )
        })
      )
    case "whoami":
      return Effect.gen(function* () {
        const state = session.state(Counter)
        const n = yield* Ref.updateAndGet(state, (s) => ({ queries: s.queries + 1 }))
        if (n.queries === 1) yield* session.onClose(Effect.sync(() => closed.push(session.processId)))
        const remote = session.remote._tag === "Tcp" ? `tcp ${session.remote.address}` : session.remote._tag === "Unix" ? "unix" : "memory"
        return ResultSet.make({
          fields: ["remote", "tls", "app", "protocol", "pid", "tx", "queries"].map((f) => ResultSet.field(f, Oid.text)),
          rows: [[
            remote,
            session.tls === undefined ? "off" : "on",
            session.startupParameters.get("application_name") ?? null,
            `${session.protocolVersion.major}.${session.protocolVersion.minor}`,
            String(session.processId),
            yield* session.transactionStatus,
            String(n.queries)
          ]]
        })
      })
    case "begin":
      return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
    default:
      return Effect.succeed(QueryResult.command("OK"))
  }
})

describe("notices and ParameterStatus during a query", () => {
  it.scopedLive("every severity with every field, between DataRows and between CopyData", () =>
    Effect.gen(function* () {
      const c = yield* Testing.connect()
      yield* c.sendMessage({ _tag: "Query", sql: "every notice" })
      const tags: Array<string> = []
      for (;;) {
        const m = yield* c.receive
        tags.push(m._tag === "NoticeResponse" ? `Notice ${m.fields.severity}` : m._tag)
        if (m._tag === "NoticeResponse" && m.fields.severity === "LOG") {
          expect(m.fields).toEqual({
            severity: "LOG",
            severityNonLocalized: "LOG",
            code: "01000",
            message: "LOG message",
            detail: "detail",
            hint: "hint",
            position: "3",
            internalPosition: "4",
            internalQuery: "internal",
            where: "where",
            schemaName: "s",
            tableName: "t",
            columnName: "c",
            dataTypeName: "d",
            constraintName: "k",
            file: "f.c",
            line: "12",
            routine: "r"
          })
        }
        if (m._tag === "ParameterStatus") expect(m).toEqual({ _tag: "ParameterStatus", name: "application_name", value: "renamed" })
        if (m._tag === "ReadyForQuery") break
      }
      expect(tags).toEqual([
        "RowDescription",
        "DataRow",
        "Notice WARNING",
        "Notice NOTICE",
        "Notice INFO",
        "Notice DEBUG",
        "Notice LOG",
        "ParameterStatus",
        "DataRow",
        "CommandComplete",
        "ReadyForQuery"
      ])
      yield* c.sendMessage({ _tag: "Query", sql: "copy with notice" })
      const copyTags: Array<string> = []
      for (;;) {
        const m = yield* c.receive
        copyTags.push(m._tag)
        if (m._tag === "ReadyForQuery") break
      }
      expect(copyTags).toEqual(["CopyOutResponse", "CopyData", "NoticeResponse", "CopyData", "CopyDone", "CommandComplete", "ReadyForQuery"])
    }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(Handler)))))
})

let runtime: ManagedRuntime.ManagedRuntime<Server, unknown>
let port = 0
let socketDir = ""
beforeAll(async () => {
  socketDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-session-"))
  runtime = ManagedRuntime.make(Server.layer({ host: "127.0.0.1", port: 0, unixSocketDir: socketDir }).pipe(Layer.provide(Handler)))
  port = (await runtime.runPromise(Server)).address.port
})
afterAll(async () => {
  await runtime.dispose()
  Fs.rmSync(socketDir, { recursive: true, force: true })
})

describe("Session over real transports", () => {
  it("remote address (TCP and Unix socket), TLS off, startup parameters, protocol, pid, transaction status; state per session, dropped at disconnect", async () => {
    const query = async (client: pg.Client) => (await client.query({ text: "whoami", rowMode: "array" })).rows[0] as Array<string>
    const tcp = new pg.Client({ host: "127.0.0.1", port, user: "u", database: "d", application_name: "tester-app" })
    const unix = new pg.Client({ host: socketDir, port, user: "u", database: "d" })
    await tcp.connect()
    await unix.connect()
    const first = await query(tcp)
    expect(first.slice(0, 4)).toEqual(["tcp 127.0.0.1", "off", "tester-app", "3.0"])
    expect(first[4]).toBe(String((tcp as unknown as { processID: number }).processID))
    expect(first.slice(5)).toEqual(["I", "1"])
    await tcp.query("begin")
    expect((await query(tcp)).slice(5)).toEqual(["T", "2"])
    // The other session has its own state.
    expect((await query(unix)).filter((_, i) => i === 0 || i === 6)).toEqual(["unix", "1"])
    const pid = Number(first[4])
    await tcp.end()
    for (let i = 0; i < 100 && !closed.includes(pid); i++) await new Promise((r) => setTimeout(r, 10))
    expect(closed).toContain(pid)
    // A new connection starts with fresh state.
    const again = new pg.Client({ host: "127.0.0.1", port, user: "u", database: "d" })
    await again.connect()
    expect((await query(again))[6]).toBe("1")
    await again.end()
    await unix.end()
  })
})
