// Cancel and LISTEN/NOTIFY against a real PostgreSQL 15: a CancelRequest stops a running
// pg_sleep with 57014 and the connection goes on; notifications sent by another connection
// reach a connection that is idle; UNLISTEN when the listener's Scope closes.
import { Client, type ClientOptions, type PgClient, PgError } from "@pgwire-ts/client"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { eventually, openShared, run } from "./support.js"

let cluster: PostgresCluster
let options: ClientOptions
let observer: PgClient
let close: () => Promise<void>

beforeAll(async () => {
  cluster = await startPostgres({ tls: true })
  options = { host: "localhost", port: cluster.port, user: "scram_user", password: "scram_pass", database: "postgres", sslmode: "verify-full", sslrootcert: cluster.caFile! }
  ;({ client: observer, close } = await openShared(options))
}, 60_000)

afterAll(async () => {
  await close?.()
  await cluster?.stop()
})

const stateOf = async (pid: number): Promise<string | undefined> =>
  (await run(observer.execute("SELECT state FROM pg_stat_activity WHERE pid = $1", [pid]))).rows[0]?.state as string | undefined

describe("cancel", () => {
  it.each([
    ["TLS (the cancel connection negotiates TLS too)", () => options],
    ["plain TCP", () => ({ ...options, host: "127.0.0.1", sslmode: "disable" as const })],
    ["the Unix socket", () => ({ ...options, host: cluster.socketDir, sslmode: "disable" as const })]
  ])("stops SELECT pg_sleep(10) with 57014 over %s, and the connection stays usable", async (_, config) => {
    const outcome = await run(Effect.gen(function*() {
      const client = yield* Client.connect(config())
      const sleeping = yield* Effect.fork(Effect.either(client.execute("SELECT pg_sleep(10)")))
      yield* Effect.promise(() => eventually(async () => (await stateOf(client.processId)) === "active", "pg_sleep to run"))
      yield* client.cancel
      const result = yield* Fiber.join(sleeping)
      const after = yield* client.execute("SELECT 'still here' AS x")
      return { result, after: after.rows, key: client.secretKey.length }
    }))
    expect(outcome.result._tag).toBe("Left")
    const error = (outcome.result as { left: unknown }).left
    expect(error).toBeInstanceOf(PgError)
    expect(error).toMatchObject({ code: "57014", message: "canceling statement due to user request" })
    expect(outcome.after).toEqual([{ x: "still here" }])
    expect(outcome.key).toBe(4)
  })

  it("cancels a simple query and a batched stream too", async () => {
    await run(Effect.gen(function*() {
      const client = yield* Client.connect(options)
      const q = yield* Effect.fork(Effect.flip(client.query("SELECT pg_sleep(10)")))
      yield* Effect.promise(() => eventually(async () => (await stateOf(client.processId)) === "active", "the query to run"))
      yield* client.cancel
      expect((yield* Fiber.join(q)) as PgError).toMatchObject({ code: "57014" })
      const s = yield* Effect.fork(Effect.flip(Stream.runDrain(client.stream("SELECT pg_sleep(0.01) FROM generate_series(1, 1000)", [], { batchSize: 10 }))))
      yield* Effect.promise(() => eventually(async () => (await stateOf(client.processId)) === "active", "the stream to run"))
      yield* client.cancel
      expect((yield* Fiber.join(s)) as PgError).toMatchObject({ code: "57014" })
      expect((yield* client.query("SELECT 1 AS one"))[0]!.rows).toEqual([{ one: 1 }])
    }))
  })

  it("cancelling an idle connection does nothing to it", async () => {
    const r = await run(Effect.gen(function*() {
      const client = yield* Client.connect(options)
      yield* client.cancel
      return yield* client.execute("SELECT 2 AS two")
    }))
    expect(r.rows).toEqual([{ two: 2 }])
  })
})

describe("LISTEN / NOTIFY", () => {
  it("a notification from another connection arrives on an idle listening connection", async () => {
    const received = await run(Effect.gen(function*() {
      const listener = yield* Client.connect(options)
      const events = yield* listener.listen("jobs")
      const first = yield* Effect.fork(Stream.runCollect(Stream.take(events, 3)))
      // The listener sends nothing from here on: it is idle while the notifications arrive.
      yield* observer.execute("SELECT pg_notify('jobs', 'one')")
      yield* observer.query("NOTIFY jobs, 'two'; NOTIFY other_channel, 'ignored'; NOTIFY jobs")
      const got = yield* Fiber.join(first)
      return { got: Chunk.toArray(got), sender: observer.processId }
    }))
    expect(received.got.map((n) => [n.channel, n.payload])).toEqual([["jobs", "one"], ["jobs", "two"], ["jobs", ""]])
    expect(received.got.every((n) => n.processId === received.sender)).toBe(true)
  })

  it("notifications (all channels) and UNLISTEN when the listen Scope closes", async () => {
    await run(Effect.gen(function*() {
      const listener = yield* Client.connect(options)
      const all = yield* listener.subscribeNotifications
      yield* Effect.scoped(Effect.gen(function*() {
        const a = yield* listener.listen("alpha")
        yield* listener.listen("beta")
        yield* observer.query("NOTIFY beta, 'b1'; NOTIFY alpha, 'a1'")
        const alpha = yield* Stream.runHead(a)
        expect(Option.map(alpha, (n) => n.payload)).toEqual(Option.some("a1"))
      }))
      const channels = yield* listener.query("SELECT pg_listening_channels() AS c")
      expect(channels[0]!.rows).toEqual([])
      const seen = yield* Stream.runCollect(Stream.take(all, 2))
      expect(Chunk.toArray(seen).map((n) => `${n.channel}:${n.payload}`)).toEqual(["beta:b1", "alpha:a1"])
    }))
  })

  it("a notification arriving while a query runs is delivered too", async () => {
    const got = await run(Effect.gen(function*() {
      const listener = yield* Client.connect(options)
      const events = yield* listener.listen("busy")
      const waiter = yield* Effect.fork(Stream.runHead(events))
      // Our own NOTIFY inside a transaction is delivered at COMMIT, between messages of the reply.
      yield* listener.query("BEGIN; NOTIFY busy, 'self'; COMMIT; SELECT pg_sleep(0.05)")
      return yield* Fiber.join(waiter)
    }))
    expect(Option.map(got, (n) => n.payload)).toEqual(Option.some("self"))
  })
})
