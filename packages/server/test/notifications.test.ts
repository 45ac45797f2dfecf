import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Chunk, Deferred, Effect, Fiber, Layer, Stream } from "effect"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { Notifications } from "../src/notifications/Notifications.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing, TestServer } from "../src/testing/Testing.js"

/** `listen c`, `unlisten c|*`, `notify c [payload]`, `channels`, `begin`/`commit`, `block` (until `gate`). */
const handler = (started: Deferred.Deferred<void>, gate: Deferred.Deferred<void>) =>
  SimpleQueryHandler.perStatement((sql, session) => {
    const [verb, channel = "", ...rest] = sql.trim().split(/\s+/)
    switch (verb) {
      case "listen":
        return Effect.as(session.listen(channel), QueryResult.command("LISTEN"))
      case "unlisten":
        return Effect.as(session.unlisten(channel), QueryResult.command("UNLISTEN"))
      case "notify":
        return Effect.as(session.notify(channel, rest.join(" ")), QueryResult.command("NOTIFY"))
      case "channels":
        return Effect.map(session.listening, (cs) =>
          ResultSet.make({ fields: [ResultSet.field("c", Oid.text)], rows: [...cs].sort().map((c) => [c]) })
        )
      case "begin":
        return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
      case "commit":
        return Effect.succeed(QueryResult.command("COMMIT", { transaction: "commit" }))
      case "block":
        return Effect.zipRight(Deferred.succeed(started, undefined), Effect.as(Deferred.await(gate), QueryResult.command("DONE")))
      default:
        return Effect.succeed(QueryResult.command("OK"))
    }
  })

const setup = Effect.all({ started: Deferred.make<void>(), gate: Deferred.make<void>() })

const layer = (p: Effect.Effect.Success<typeof setup>) => Testing.layer().pipe(Layer.provide(handler(p.started, p.gate)))

describe("notifications", () => {
  it.scopedLive("an idle listening session gets NotificationResponse pushed, without sending anything", () =>
    Effect.gen(function* () {
      const p = yield* setup
      yield* Effect.gen(function* () {
        const listener = yield* Testing.open
        const keys = yield* listener.startup()
        yield* listener.query("listen jobs")
        const sender = yield* Testing.open
        const senderKeys = yield* sender.startup()
        yield* sender.query("notify jobs hello world")
        // The listener sent nothing since its LISTEN: the server pushed this on its own.
        expect(yield* listener.receive).toEqual({
          _tag: "NotificationResponse",
          processId: senderKeys.processId,
          channel: "jobs",
          payload: "hello world"
        })
        // A session hears its own notifications too (as PostgreSQL); other channels are not sent.
        yield* sender.query("notify other x")
        yield* listener.query("notify jobs self")
        expect(yield* listener.receive).toMatchObject({ _tag: "NotificationResponse", processId: keys.processId, payload: "self" })
        expect((yield* listener.query("channels")).results[0]).toMatchObject({ rows: [["jobs"]] })
      }).pipe(Effect.provide(layer(p)))
    }))

  it.scopedLive("during a query a notification waits for ReadyForQuery; in a transaction until it ends", () =>
    Effect.gen(function* () {
      const p = yield* setup
      yield* Effect.gen(function* () {
        const listener = yield* Testing.connect()
        const sender = yield* Testing.connect()
        yield* listener.query("listen q")
        yield* listener.sendMessage({ _tag: "Query", sql: "block" })
        yield* Deferred.await(p.started)
        yield* sender.query("notify q during")
        yield* Deferred.succeed(p.gate, undefined)
        const tags = []
        for (;;) {
          const m = yield* listener.receive
          tags.push(m._tag)
          if (m._tag === "NotificationResponse") break
        }
        expect(tags).toEqual(["CommandComplete", "ReadyForQuery", "NotificationResponse"])

        yield* listener.query("begin")
        yield* sender.query("notify q in-transaction")
        const inside = yield* listener.query("other")
        expect(inside.transactionStatus).toBe("T")
        const after = yield* listener.query("commit")
        expect(after.transactionStatus).toBe("I")
        expect(yield* listener.receive).toMatchObject({ _tag: "NotificationResponse", payload: "in-transaction" })
      }).pipe(Effect.provide(layer(p)))
    }))

  it.scopedLive("UNLISTEN one channel or all; a closed session stops listening", () =>
    Effect.gen(function* () {
      const p = yield* setup
      yield* Effect.gen(function* () {
        const a = yield* Testing.connect()
        const b = yield* Testing.connect()
        yield* a.query("listen x; listen y; listen z")
        yield* a.query("unlisten y")
        expect((yield* a.query("channels")).results[0]).toMatchObject({ rows: [["x"], ["z"]] })
        yield* b.query("notify y gone")
        yield* b.query("notify z here")
        expect(yield* a.receive).toMatchObject({ channel: "z", payload: "here" })
        yield* a.query("unlisten *")
        expect((yield* a.query("channels")).results[0]).toMatchObject({ rows: [] })
        yield* b.query("notify x nobody")
        // Nothing was pushed: the next thing a reads is its query's answer.
        expect((yield* a.query("other")).results).toEqual([{ _tag: "Command", tag: "OK" }])

        yield* a.query("listen x")
        yield* a.close
        const server = yield* TestServer
        while ((yield* server.connections) > 1) yield* Effect.sleep("5 millis")
        expect((yield* b.query("notify x after")).error).toBeUndefined()
      }).pipe(Effect.provide(layer(p)))
    }))

  it.scopedLive("a shared Notifications service: application code notifies sessions and observes the stream", () =>
    Effect.gen(function* () {
      const p = yield* setup
      yield* Effect.gen(function* () {
        const hub = yield* Notifications
        const observed = yield* Effect.fork(Stream.runCollect(Stream.take(hub.stream, 2)))
        yield* Effect.sleep("10 millis")
        const a = yield* Testing.connect()
        yield* a.query("listen app")
        yield* hub.notify("app", "from outside")
        expect(yield* a.receive).toEqual({ _tag: "NotificationResponse", processId: 0, channel: "app", payload: "from outside" })
        yield* a.query("notify app from a session")
        expect(yield* a.receive).toMatchObject({ payload: "from a session" })
        const seen = Chunk.toReadonlyArray(yield* Fiber.join(observed))
        expect(seen.map((n) => n.payload)).toEqual(["from outside", "from a session"])
      }).pipe(Effect.provide(Layer.provideMerge(layer(p), Notifications.layer)))
    }))
})
