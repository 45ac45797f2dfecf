import { describe, expect, it } from "@effect/vitest"
import { Oid, SqlState } from "@pgwire-ts/protocol"
import { Deferred, Effect, Layer, Metric, Ref } from "effect"
import pg from "pg"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { queriesTotal } from "../src/connection/metrics.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { PgError } from "../src/errors/PgError.js"
import { Server } from "../src/Server.js"
import { SessionKey } from "../src/session/Session.js"
import { Testing } from "../src/testing/Testing.js"

const Counter = SessionKey.make("counter", () => 0)

const CountingHandler = SimpleQueryHandler.perStatement((_, session) =>
  Effect.map(Ref.updateAndGet(session.state(Counter), (n) => n + 1), (n) =>
    ResultSet.make({ fields: [ResultSet.field("n", Oid.int4)], rows: [[n]] })
  )
)

describe("Server", () => {
  it.scopedLive("Server.serve embeds in an Effect program and returns the bound port", () =>
    Effect.gen(function* () {
      const address = yield* Server.serve({ port: 0 }).pipe(Effect.provide(CountingHandler))
      expect(address.port).toBeGreaterThan(0)
      const rows = yield* Effect.promise(async () => {
        const client = new pg.Client({ host: "127.0.0.1", port: address.port, user: "u" })
        await client.connect()
        const a = await client.query("x")
        const b = await client.query("x")
        await client.end()
        return [a.rows[0].n, b.rows[0].n]
      })
      // Per-session state survives across queries of one session.
      expect(rows).toEqual([1, 2])
    }))

  it.scopedLive("a port in use fails the layer with ServerError", () =>
    Effect.gen(function* () {
      const first = yield* Server.serve({ port: 0 })
      const err = yield* Effect.flip(Server.serve({ port: first.port }))
      expect(err._tag).toBe("ServerError")
      expect(err.reason).toContain(`cannot listen on 127.0.0.1:${first.port}`)
    }))

  it.scopedLive("bad TLS material fails the layer with ServerError", () =>
    Effect.gen(function* () {
      const err = yield* Effect.flip(Server.serve({ port: 0, tls: { cert: "nope", key: "nope" } }))
      expect(err.reason).toContain("invalid TLS configuration")
    }))

  it.scopedLive("per-session state is separate per connection; queries are counted", () =>
    Effect.gen(function* () {
      const before = (yield* Metric.value(queriesTotal)).count
      const a = yield* Testing.connect()
      const b = yield* Testing.connect()
      yield* a.query("x")
      expect((yield* a.query("x")).results[0]).toMatchObject({ rows: [["2"]] })
      expect((yield* b.query("x")).results[0]).toMatchObject({ rows: [["1"]] })
      expect((yield* Metric.value(queriesTotal)).count - before).toBe(3)
    }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(CountingHandler)))))

  it.scopedLive("Session.onClose finalizers run when the client goes away; rollbackToSavepoint returns E to T", () =>
    Effect.gen(function* () {
      const closed = yield* Deferred.make<string>()
      const handler = SimpleQueryHandler.perStatement((sql, session) =>
        sql === "hook"
          ? Effect.as(session.onClose(Deferred.succeed(closed, session.user).pipe(Effect.asVoid)), QueryResult.command("OK"))
          : sql === "begin"
          ? Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
          : sql === "to savepoint"
          ? Effect.succeed(QueryResult.command("ROLLBACK", { transaction: "rollbackToSavepoint" }))
          : Effect.fail(PgError.make(SqlState.SyntaxError, "no"))
      )
      yield* Effect.gen(function* () {
        const c = yield* Testing.connect({ user: "hooked" })
        yield* c.query("hook")
        yield* c.query("begin")
        expect((yield* c.query("bad")).transactionStatus).toBe("E")
        expect((yield* c.query("to savepoint")).transactionStatus).toBe("T")
        expect(yield* Deferred.isDone(closed)).toBe(false)
        yield* c.close
        expect(yield* Deferred.await(closed)).toBe("hooked")
      }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(handler))))
    }))
})
