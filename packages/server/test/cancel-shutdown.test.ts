import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Deferred, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing, TestServer } from "../src/testing/Testing.js"

/** "block" starts a row stream that waits on `gate`; anything else answers at once. */
const blockingHandler = (started: Deferred.Deferred<void>, gate: Deferred.Deferred<void>, interrupted: Deferred.Deferred<void>) =>
  SimpleQueryHandler.perStatement((sql) =>
    sql === "block"
      ? Effect.succeed(
        ResultSet.make({
          fields: [ResultSet.field("x", Oid.int4)],
          rows: Stream.fromEffect(
            Effect.zipRight(
              Deferred.succeed(started, undefined),
              Effect.as(Deferred.await(gate), [1]).pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
            )
          )
        })
      )
      : Effect.succeed(QueryResult.command("OK"))
  )

const waitUntil = (cond: Effect.Effect<boolean>): Effect.Effect<void> =>
  Effect.flatMap(cond, (ok) => (ok ? Effect.void : Effect.zipRight(Effect.sleep("5 millis"), waitUntil(cond))))

describe("cancel", () => {
  it.scopedLive("CancelRequest with the right key interrupts the running query with 57014; a wrong key does nothing", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup({ protocol: { major: 3, minor: 2 } })
        yield* a.sendMessage({ _tag: "Query", sql: "block" })
        yield* Deferred.await(started)

        const wrong = yield* Testing.open
        const badKey = Uint8Array.from(keys.secretKey, (b) => b ^ 1)
        yield* wrong.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: badKey })
        expect(yield* wrong.receiveUntilClosed).toEqual([])
        expect(yield* Deferred.isDone(interrupted)).toBe(false)

        const right = yield* Testing.open
        yield* right.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        expect(yield* right.receiveUntilClosed).toEqual([])
        const m1 = yield* a.receive
        expect(m1._tag).toBe("RowDescription")
        const m2 = yield* a.receive
        expect(m2).toMatchObject({ _tag: "ErrorResponse", fields: { code: "57014", message: "canceling statement due to user request" } })
        expect(yield* a.receive).toEqual({ _tag: "ReadyForQuery", status: "I" })
        expect(yield* Deferred.isDone(interrupted)).toBe(true)
        expect((yield* a.query("other")).error).toBeUndefined()
      }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(blockingHandler(started, gate, interrupted)))))
    }))
})

describe("graceful shutdown", () => {
  it.scopedLive("idle sessions get 57P01 at once, a running query finishes first, new sessions are refused", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(
        Testing.layer({ shutdownGracePeriod: "30 seconds" }).pipe(Layer.provide(blockingHandler(started, gate, interrupted))),
        scope
      )
      const clientScope = yield* Scope.make()
      const inServer = <A, E>(e: Effect.Effect<A, E, TestServer | Scope.Scope>) =>
        e.pipe(Effect.provide(ctx), Scope.extend(clientScope))

      const idle = yield* inServer(Testing.connect())
      const busy = yield* inServer(Testing.connect())
      yield* busy.sendMessage({ _tag: "Query", sql: "block" })
      yield* Deferred.await(started)

      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      // The idle session is ended right away.
      const idleMsgs = yield* idle.receiveUntilClosed
      expect(idleMsgs).toEqual([
        expect.objectContaining({ _tag: "ErrorResponse", fields: expect.objectContaining({ severity: "FATAL", code: "57P01" }) })
      ])
      // A new session is refused while draining.
      const late = yield* Effect.flip(inServer(Testing.connect()))
      expect(late.error?.code).toBe("57P03")
      // The running query completes, then its session ends.
      yield* Deferred.succeed(gate, undefined)
      const busyMsgs = yield* busy.receiveUntilClosed
      expect(busyMsgs.map((m) => m._tag)).toEqual(["RowDescription", "DataRow", "CommandComplete", "ReadyForQuery", "ErrorResponse"])
      expect(busyMsgs[4]).toMatchObject({ fields: { code: "57P01" } })
      yield* Fiber.join(closing)
      expect(yield* Deferred.isDone(interrupted)).toBe(false)
      yield* Scope.close(clientScope, Exit.void)
    }))

  it.scopedLive("a query still running after the grace period is cut", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(
        Testing.layer({ shutdownGracePeriod: "100 millis" }).pipe(Layer.provide(blockingHandler(started, gate, interrupted))),
        scope
      )
      const busy = yield* Testing.connect().pipe(Effect.provide(ctx))
      yield* busy.sendMessage({ _tag: "Query", sql: "block" })
      yield* Deferred.await(started)
      yield* Scope.close(scope, Exit.void)
      yield* Deferred.await(interrupted)
      const server = ctx.unsafeMap.get(TestServer.key) as TestServer["Type"]
      yield* waitUntil(Effect.map(server.connections, (n) => n === 0))
      const rest = yield* busy.receiveUntilClosed
      expect(rest.map((m) => m._tag)).toEqual(["RowDescription", "ErrorResponse"])
      expect(rest[1]).toMatchObject({ fields: { severity: "FATAL", code: "57P01" } })
    }))
})
