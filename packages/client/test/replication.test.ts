// Logical replication against a real PostgreSQL 15 (wal_level=logical): slots, a publication,
// INSERT/UPDATE/DELETE/TRUNCATE in several transactions decoded to what was done, resuming after
// an acknowledgement with nothing lost or repeated, a large transaction streamed with protocol
// version 2, keepalive replies, server errors, and an early stop.
import { type ClientOptions, LogicalReplication, PgConnectionError, PgError, TransactionAssembler } from "@pgwire-ts/client"
import { formatLsn } from "@pgwire-ts/protocol"
import { Duration, Effect, Fiber, Stream } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import {
  changesOf,
  LARGE_ROWS,
  LARGE_TRANSACTION,
  PHASE_ONE,
  PHASE_ONE_EXPECTED,
  PHASE_TWO,
  PHASE_TWO_EXPECTED,
  PUBLICATION_DDL,
  receiveTransactions,
  runSql,
  TABLE_DDL
} from "./replicationScenario.js"
import { failure, run } from "./support.js"

let cluster: PostgresCluster
let sql: ClientOptions
let repl: ClientOptions

beforeAll(async () => {
  cluster = await startPostgres({ logical: true, settings: { logical_decoding_work_mem: "64kB", wal_sender_timeout: "1s" } })
  sql = { host: cluster.host, port: cluster.port, user: "postgres", database: "postgres", sslmode: "disable" }
  repl = { host: cluster.host, port: cluster.port, user: "repl_user", password: "repl_pass", database: "postgres", sslmode: "disable" }
  await Effect.runPromise(runSql(sql, [...TABLE_DDL, PUBLICATION_DDL, "GRANT SELECT ON items TO repl_user"]))
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

describe("LogicalReplication against PostgreSQL 15", () => {
  it("decodes every change of several transactions, then resumes after the acknowledged one", async () => {
    await Effect.runPromise(LogicalReplication.createSlot({ connection: repl, slot: "scenario" }))
    await Effect.runPromise(runSql(sql, PHASE_ONE))
    const first = await Effect.runPromise(
      receiveTransactions({ connection: repl, slot: "scenario", publication: "pub_items" }, PHASE_ONE_EXPECTED.length)
    )
    expect(changesOf(first)).toEqual(PHASE_ONE_EXPECTED)
    expect(first.every((t) => t.delivery === "whole")).toBe(true)

    // Reconnecting: only what came after the acknowledged transaction.
    await Effect.runPromise(runSql(sql, PHASE_TWO))
    const second = await Effect.runPromise(
      receiveTransactions({ connection: repl, slot: "scenario", publication: "pub_items" }, PHASE_TWO_EXPECTED.length)
    )
    expect(changesOf(second)).toEqual(PHASE_TWO_EXPECTED)
    expect(second[0]!.endLsn > first[first.length - 1]!.endLsn).toBe(true)

    // Not acknowledged: the next stream sends it again.
    await Effect.runPromise(runSql(sql, ["DELETE FROM items WHERE id = 6"]))
    const unacked = await Effect.runPromise(
      receiveTransactions({ connection: repl, slot: "scenario", publication: "pub_items" }, 1, false)
    )
    const again = await Effect.runPromise(
      receiveTransactions({ connection: repl, slot: "scenario", publication: "pub_items" }, 1)
    )
    expect(changesOf(again)).toEqual(changesOf(unacked))
    expect(again[0]!.endLsn).toBe(unacked[0]!.endLsn)
    // The slot's confirmed position is what we acknowledged: the end of the last transaction.
    const confirmed = await cluster.psql("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'scenario'")
    expect(confirmed.trim()).toBe(formatLsn(again[0]!.endLsn))
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: repl, slot: "scenario" }))
  }, 60_000)

  it("receives a large transaction streamed in blocks with protocol version 2", async () => {
    await Effect.runPromise(LogicalReplication.createSlot({ connection: repl, slot: "streamed" }))
    await Effect.runPromise(runSql(sql, ["DELETE FROM items", LARGE_TRANSACTION, "INSERT INTO items VALUES (-1, 'small', 1)"]))
    const options = { connection: repl, slot: "streamed", publication: "pub_items", protoVersion: 2, streaming: true } as const
    const [deleted, large, small] = await Effect.runPromise(receiveTransactions(options, 3))
    expect(deleted!.delivery).toBe("whole")
    expect(large!.delivery).toBe("streamed")
    expect(large!.changes).toHaveLength(LARGE_ROWS)
    expect(changesOf([large!])[0]![0]).toEqual({ op: "insert", table: "items", new: { id: "100", name: "row 100", qty: "100" } })
    expect(changesOf([small!])).toEqual([[{ op: "insert", table: "items", new: { id: "-1", name: "small", qty: "1" } }]])
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: repl, slot: "streamed" }))
  }, 60_000)

  it("creates a temporary slot itself, stays connected by answering keepalives, stops cleanly mid-stream", async () => {
    const result = await run(
      Effect.gen(function* () {
        const replication = yield* LogicalReplication.stream({
          connection: repl,
          slot: "temp_slot",
          publication: "pub_items",
          createSlot: true,
          temporary: true,
          // No periodic updates: only our answers to the server's keepalives keep the connection alive.
          statusInterval: Duration.hours(1)
        })
        const assembler = new TransactionAssembler()
        const reader = yield* replication.messages.pipe(
          Stream.map((m) => assembler.push(m.message)),
          Stream.filter((t) => t !== undefined),
          Stream.runCollect,
          Effect.fork
        )
        // wal_sender_timeout is 1s: silent for 3s, the stream survives only by answering keepalives.
        yield* Effect.sleep(Duration.seconds(3))
        yield* runSql(sql, ["INSERT INTO items VALUES (7, 'seven', 70)"])
        const active = yield* Effect.promise(() => cluster.psql("SELECT active FROM pg_replication_slots WHERE slot_name = 'temp_slot'"))
        yield* Effect.sleep(Duration.millis(300))
        yield* replication.stop
        const txs = [...(yield* Fiber.join(reader))]
        return { txs, created: replication.createdSlot, active: active.trim() }
      })
    )
    expect(result.created._tag).toBe("Some")
    expect(result.active).toBe("t")
    expect(result.txs.map((t) => changesOf([t!])[0])).toEqual([[{ op: "insert", table: "items", new: { id: "7", name: "seven", qty: "70" } }]])
    // Temporary: gone with its connection.
    expect((await cluster.psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'temp_slot'")).trim()).toBe("0")
  }, 60_000)

  it("fails with the server's error for a missing slot or a bad option", async () => {
    const missing = await failure(
      Effect.flatMap(LogicalReplication.stream({ connection: repl, slot: "no_such_slot", publication: "pub_items" }), (r) =>
        Stream.runDrain(r.messages)
      )
    )
    expect(missing).toBeInstanceOf(PgError)
    expect((missing as PgError).code).toBe("42704")
    await Effect.runPromise(LogicalReplication.createSlot({ connection: repl, slot: "opts" }))
    const badVersion = await failure(
      Effect.flatMap(
        LogicalReplication.stream({ connection: repl, slot: "opts", publication: "pub_items", protoVersion: 1, streaming: true }),
        (r) => Stream.runDrain(r.messages)
      )
    )
    expect((badVersion as PgError).code).toBe("22023")
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: repl, slot: "opts" }))
  }, 60_000)

  it("a walsender terminated mid-stream fails the stream with the server's FATAL error; nothing hangs", async () => {
    await Effect.runPromise(LogicalReplication.createSlot({ connection: repl, slot: "terminated" }))
    const error = await failure(
      Effect.gen(function* () {
        const replication = yield* LogicalReplication.stream({ connection: repl, slot: "terminated", publication: "pub_items" })
        const draining = yield* Effect.fork(Stream.runDrain(replication.messages))
        yield* Effect.promise(async () => {
          for (let i = 0; i < 400; i++) {
            const killed = await cluster.psql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'terminated' AND active")
            if (killed.trim() === "t") return
            await new Promise((r) => setTimeout(r, 25))
          }
        })
        return yield* Fiber.join(draining)
      })
    )
    expect(error).toBeInstanceOf(PgConnectionError)
    expect((error as PgConnectionError).code).toBe("57P01")
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: repl, slot: "terminated", wait: true }))
  }, 60_000)

  it("reports IDENTIFY_SYSTEM", async () => {
    const id = await Effect.runPromise(LogicalReplication.identifySystem({ connection: repl }))
    expect(id.timeline).toBe(1)
    expect(id.dbName).toBe("postgres")
    expect(id.xlogPos > 0n).toBe(true)
  })
})
