import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Deferred, Effect, Layer, Ref, Stream } from "effect"
import { CancelRegistry, type CancelRegistryShape, makeCancelRegistry } from "../src/cancel/CancelRegistry.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import type { QueryCancellation } from "../src/cancel/QueryCancellation.js"
import { CurrentSession } from "../src/session/CurrentSession.js"
import { Testing } from "../src/testing/Testing.js"
import type { TestClient } from "../src/testing/TestClient.js"

const canceled = { _tag: "ErrorResponse", fields: { code: "57014", message: "canceling statement due to user request" } }

/** Probes shared between a test and its handler. */
const makeProbes = Effect.all({
  started: Deferred.make<void>(),
  hookRan: Deferred.make<void>(),
  sawCancel: Deferred.make<void>(),
  release: Deferred.make<void>(),
  otherPid: Ref.make(0),
  kept: Ref.make<QueryCancellation | undefined>(undefined)
})
type Probes = Effect.Effect.Success<typeof makeProbes>

const handler = (p: Probes) =>
  SimpleQueryHandler.perStatement((sql, session) => {
    switch (sql) {
      // A handler blocked waiting, not a row stream.
      case "wait":
        return Effect.zipRight(Deferred.succeed(p.started, undefined), Effect.never)
      case "hook":
        return Effect.gen(function* () {
          yield* session.cancellation.onCancel(Deferred.succeed(p.hookRan, undefined))
          yield* Deferred.succeed(p.started, undefined)
          return yield* Effect.never
        })
      // Uninterruptible work that stops early when it sees the cancel.
      case "cooperative":
        return Effect.uninterruptible(
          Effect.gen(function* () {
            yield* Deferred.succeed(p.started, undefined)
            yield* session.cancellation.cancelled
            yield* Deferred.succeed(p.sawCancel, undefined)
            return QueryResult.command("STOPPED")
          })
        )
      case "self":
        return Effect.gen(function* () {
          expect(yield* session.cancellation.cancel).toBe(true)
          return yield* Effect.never
        })
      case "cancel other":
        return Effect.map(
          Effect.flatMap(Ref.get(p.otherPid), (pid) => session.cancellation.cancelBackend(pid)),
          (ok) => QueryResult.command(`CANCEL ${ok}`)
        )
      case "keep":
        return Effect.as(Ref.set(p.kept, session.cancellation), QueryResult.command("KEPT"))
      case "deep":
        return Effect.map(deepCode, (pid) => ResultSet.make({ fields: [ResultSet.field("pid", Oid.int4)], rows: [[pid]] }))
      case "deep stream":
        return Effect.succeed(
          ResultSet.make({
            fields: [ResultSet.field("pid", Oid.int4)],
            // Row streams are typed without requirements, but run where CurrentSession is provided.
            rows: Stream.fromEffect(Effect.map(deepCode, (pid) => [pid])) as unknown as Stream.Stream<ReadonlyArray<unknown>>
          })
        )
      default:
        return Effect.succeed(QueryResult.command("OK"))
    }
  })

// Code far from the handler that reads the session from the context.
const deepCode = Effect.map(CurrentSession, (s) => s.processId)

const layerFor = (p: Probes, registry?: Layer.Layer<CancelRegistry>) =>
  Testing.layer().pipe(Layer.provide(handler(p)), Layer.provide(registry ?? Layer.empty))

const expectCanceledThenUsable = (c: TestClient) =>
  Effect.gen(function* () {
    expect(yield* c.receive).toMatchObject(canceled)
    expect(yield* c.receive).toEqual({ _tag: "ReadyForQuery", status: "I" })
    expect((yield* c.query("next")).results).toEqual([{ _tag: "Command", tag: "OK" }])
  })

describe("CancelRequest", () => {
  it.scopedLive("stops a handler blocked waiting (not a stream); a request for an idle session does nothing", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup()
        expect(keys.secretKey.byteLength).toBe(4)
        // Idle: a right key cancels nothing, and the session keeps working.
        const idle = yield* Testing.open
        yield* idle.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        expect(yield* idle.receiveUntilClosed).toEqual([])
        expect((yield* a.query("x")).results).toEqual([{ _tag: "Command", tag: "OK" }])

        yield* a.sendMessage({ _tag: "Query", sql: "wait" })
        yield* Deferred.await(p.started)
        // Unknown process id and a key of another length: silently nothing.
        for (const [pid, key] of [
          [keys.processId + 1, keys.secretKey],
          [keys.processId, new Uint8Array(32)]
        ] as const) {
          const c = yield* Testing.open
          yield* c.sendMessage({ _tag: "CancelRequest", processId: pid, secretKey: key })
          expect(yield* c.receiveUntilClosed).toEqual([])
        }
        const right = yield* Testing.open
        yield* right.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        yield* expectCanceledThenUsable(a)
      }).pipe(Effect.provide(layerFor(p)))
    }))

  it.scopedLive("protocol 3.2 sessions get 32-byte keys that cancel; a transaction becomes failed (E)", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup({ protocol: { major: 3, minor: 2 } })
        expect(keys.secretKey.byteLength).toBe(32)
        yield* a.sendMessage({ _tag: "Query", sql: "wait" })
        yield* Deferred.await(p.started)
        const c = yield* Testing.open
        yield* c.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        yield* expectCanceledThenUsable(a)
      }).pipe(Effect.provide(layerFor(p)))
    }))
})

describe("Query Cancellation API", () => {
  it.scopedLive("onCancel hooks run on a cancel, before the interrupt", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup()
        yield* a.sendMessage({ _tag: "Query", sql: "hook" })
        yield* Deferred.await(p.started)
        const c = yield* Testing.open
        yield* c.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        yield* expectCanceledThenUsable(a)
        expect(yield* Deferred.isDone(p.hookRan)).toBe(true)
      }).pipe(Effect.provide(layerFor(p)))
    }))

  it.scopedLive("uninterruptible work sees `cancelled` and finishes its own way", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup()
        yield* a.sendMessage({ _tag: "Query", sql: "cooperative" })
        yield* Deferred.await(p.started)
        const c = yield* Testing.open
        yield* c.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        yield* Deferred.await(p.sawCancel)
        // The interrupt lands as the uninterruptible region ends: the statement is canceled, its result dropped.
        yield* expectCanceledThenUsable(a)
      }).pipe(Effect.provide(layerFor(p)))
    }))

  it.scopedLive("a handler cancels its own query, or another session's by process id; idle: nothing to cancel", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      yield* Effect.gen(function* () {
        const a = yield* Testing.connect()
        yield* a.sendMessage({ _tag: "Query", sql: "self" })
        yield* expectCanceledThenUsable(a)

        const b = yield* Testing.open
        const keysB = yield* b.startup()
        yield* Ref.set(p.otherPid, keysB.processId)
        yield* b.sendMessage({ _tag: "Query", sql: "wait" })
        yield* Deferred.await(p.started)
        expect((yield* a.query("cancel other")).results).toEqual([{ _tag: "Command", tag: "CANCEL true" }])
        yield* expectCanceledThenUsable(b)
        // b is idle now
        expect((yield* a.query("cancel other")).results).toEqual([{ _tag: "Command", tag: "CANCEL false" }])
        // The API used while the session is idle: nothing to observe or cancel.
        yield* a.query("keep")
        const api = (yield* Ref.get(p.kept))!
        expect(yield* api.isCancelled).toBe(false)
        expect(yield* api.cancel).toBe(false)
        yield* api.onCancel(Effect.die("not run"))
        expect((yield* a.query("next")).results).toEqual([{ _tag: "Command", tag: "OK" }])
      }).pipe(Effect.provide(layerFor(p)))
    }))
})

describe("CancelRegistry service", () => {
  it.scopedLive("a provided registry issues the keys and receives the CancelRequests", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      const inner = makeCancelRegistry({ firstProcessId: 777 })
      const seen: Array<string> = []
      const counting: CancelRegistryShape = {
        ...inner,
        register: (n, cancel) => Effect.tap(inner.register(n, cancel), (k) => Effect.sync(() => seen.push(`register ${k.processId}`))),
        unregister: (pid) => Effect.zipRight(Effect.sync(() => seen.push(`unregister ${pid}`)), inner.unregister(pid)),
        cancel: (pid, key) => Effect.tap(inner.cancel(pid, key), (ok) => Effect.sync(() => seen.push(`cancel ${pid} ${ok}`)))
      }
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup()
        expect(keys.processId).toBe(777)
        yield* a.sendMessage({ _tag: "Query", sql: "wait" })
        yield* Deferred.await(p.started)
        const c = yield* Testing.open
        yield* c.sendMessage({ _tag: "CancelRequest", processId: 777, secretKey: keys.secretKey })
        yield* expectCanceledThenUsable(a)
        yield* a.terminate
        yield* Effect.sleep("20 millis")
      }).pipe(Effect.provide(layerFor(p, CancelRegistry.make(counting))))
      expect(seen).toEqual(["register 777", "cancel 777 true", "unregister 777"])
    }))

  it("the in-process registry allocates distinct ids, skips ids in use, and compares keys safely", () => {
    const r = makeCancelRegistry({ firstProcessId: 0x7ffffffe })
    const run = <A>(e: Effect.Effect<A>) => Effect.runSync(e)
    let cancels = 0
    const cancel = Effect.sync(() => ++cancels > 0)
    const a = run(r.register(4, cancel))
    const b = run(r.register(32, cancel))
    const c = run(r.register(4, cancel))
    expect([a.processId, b.processId, c.processId]).toEqual([0x7ffffffe, 0x7fffffff, 1])
    expect(b.secretKey.byteLength).toBe(32)
    expect(run(r.cancel(a.processId, b.secretKey))).toBe(false)
    expect(run(r.cancel(a.processId, new Uint8Array(0)))).toBe(false)
    expect(run(r.cancel(999, a.secretKey))).toBe(false)
    expect(run(r.cancel(a.processId, Uint8Array.from(a.secretKey, (x) => x ^ 0x80)))).toBe(false)
    expect(cancels).toBe(0)
    expect(run(r.cancel(a.processId, a.secretKey))).toBe(true)
    expect(run(r.cancelProcess(b.processId))).toBe(true)
    run(r.unregister(a.processId))
    expect(run(r.cancel(a.processId, a.secretKey))).toBe(false)
    expect(cancels).toBe(2)
  })
})

describe("CurrentSession", () => {
  it.scopedLive("deep code reads the session from the context, in the handler and inside a row stream", () =>
    Effect.gen(function* () {
      const p = yield* makeProbes
      yield* Effect.gen(function* () {
        const a = yield* Testing.open
        const keys = yield* a.startup()
        const direct = yield* a.query("deep")
        const streamed = yield* a.query("deep stream")
        expect(direct.results[0]).toMatchObject({ rows: [[String(keys.processId)]] })
        expect(streamed.results[0]).toMatchObject({ rows: [[String(keys.processId)]] })
      }).pipe(Effect.provide(layerFor(p)))
    }))
})
