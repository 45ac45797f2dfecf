// The SQLite example as a logical replication source: the same scenario run against a real
// PostgreSQL 15 and against SQLite gives the same transactions through our client; pg_recvlogical
// creates a slot and streams pgoutput from SQLite into a file that decodes to the changes made;
// slots resume after the acknowledged position; rollbacks leave nothing; a client that vanishes
// mid-stream frees its slot.
import { type ClientOptions, LogicalReplication, PgError, TransactionAssembler } from "@pgwire-ts/client"
import { formatLsn, PgOutput } from "@pgwire-ts/protocol"
import { Effect, Schedule, Stream } from "effect"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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
  summarize,
  TABLE_DDL
} from "../../../packages/client/test/replicationScenario.js"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { run, type RunningServer, start, startServer } from "./support/server.js"

const PG_RECVLOGICAL = "/usr/lib/postgresql/15/bin/pg_recvlogical"

let server: RunningServer
let cluster: PostgresCluster
let sqlite: ClientOptions
let pg: ClientOptions
let pgRepl: ClientOptions

beforeAll(async () => {
  ;[server, cluster] = await Promise.all([
    startServer({ replication: { pollInterval: "200 millis", keepaliveInterval: "1 second" } }),
    startPostgres({ logical: true, settings: { logical_decoding_work_mem: "64kB" } })
  ])
  sqlite = { host: "127.0.0.1", port: server.port, user: "tester", database: "tester", sslmode: "disable" }
  pg = { host: cluster.host, port: cluster.port, user: "postgres", database: "postgres", sslmode: "disable" }
  pgRepl = { ...pg, user: "repl_user", password: "repl_pass" }
  await Promise.all([
    Effect.runPromise(runSql(sqlite, [...TABLE_DDL, PUBLICATION_DDL])),
    Effect.runPromise(runSql(pg, [...TABLE_DDL, PUBLICATION_DDL]))
  ])
}, 90_000)

afterAll(async () => {
  await server?.stop()
  await cluster?.stop()
})

/** The scenario on one server: slot, phase one, resume, phase two; returns what was received. */
const scenario = (sql: ClientOptions, repl: ClientOptions, slot: string) =>
  Effect.gen(function* () {
    yield* LogicalReplication.createSlot({ connection: repl, slot })
    yield* runSql(sql, PHASE_ONE)
    const one = yield* receiveTransactions({ connection: repl, slot, publication: "pub_items" }, PHASE_ONE_EXPECTED.length)
    yield* runSql(sql, PHASE_TWO)
    const two = yield* receiveTransactions({ connection: repl, slot, publication: "pub_items" }, PHASE_TWO_EXPECTED.length)
    yield* LogicalReplication.dropSlot({ connection: repl, slot })
    return { one: changesOf(one), two: changesOf(two), ends: [...one, ...two].map((t) => t.endLsn) }
  })

describe("SQLite as a logical replication source", () => {
  it("our client gets the same transactions from SQLite as from PostgreSQL 15, and resumes after its acknowledgement", async () => {
    const [fromSqlite, fromPostgres] = await Promise.all([
      Effect.runPromise(scenario(sqlite, sqlite, "scenario")),
      Effect.runPromise(scenario(pg, pgRepl, "scenario"))
    ])
    expect(fromPostgres.one).toEqual(PHASE_ONE_EXPECTED)
    expect(fromPostgres.two).toEqual(PHASE_TWO_EXPECTED)
    expect(fromSqlite.one).toEqual(fromPostgres.one)
    expect(fromSqlite.two).toEqual(fromPostgres.two)
    // Positions only grow, as WAL positions do.
    expect([...fromSqlite.ends].sort((a, b) => (a < b ? -1 : 1))).toEqual(fromSqlite.ends)
  }, 90_000)

  it("streams a large transaction in blocks with protocol version 2, as PostgreSQL does", async () => {
    const large = (sql: ClientOptions, repl: ClientOptions) =>
      Effect.gen(function* () {
        yield* LogicalReplication.createSlot({ connection: repl, slot: "large" })
        yield* runSql(sql, ["DELETE FROM items", LARGE_TRANSACTION, "INSERT INTO items VALUES (-1, 'small', 1)"])
        const txs = yield* receiveTransactions({ connection: repl, slot: "large", publication: "pub_items", protoVersion: 2, streaming: true }, 3)
        yield* LogicalReplication.dropSlot({ connection: repl, slot: "large" })
        return txs
      })
    const [fromSqlite, fromPostgres] = await Promise.all([Effect.runPromise(large(sqlite, sqlite)), Effect.runPromise(large(pg, pgRepl))])
    expect(fromSqlite.map((t) => t.delivery)).toEqual(["whole", "streamed", "whole"])
    expect(fromPostgres.map((t) => t.delivery)).toEqual(["whole", "streamed", "whole"])
    expect(fromSqlite[1]!.changes).toHaveLength(LARGE_ROWS)
    // Same rows deleted (in some order), same rows inserted in order.
    const sorted = (cs: ReadonlyArray<unknown>) => cs.map((c) => JSON.stringify(c)).sort()
    expect(sorted(changesOf([fromSqlite[0]!])[0]!)).toEqual(sorted(changesOf([fromPostgres[0]!])[0]!))
    expect(changesOf(fromSqlite.slice(1))).toEqual(changesOf(fromPostgres.slice(1)))
  }, 90_000)

  it("pg_recvlogical creates a slot and streams pgoutput that decodes to the changes made", async () => {
    const conn = `host=127.0.0.1 port=${server.port} user=tester dbname=tester`
    const created = await run(PG_RECVLOGICAL, ["-d", conn, "-S", "recv", "--create-slot", "-P", "pgoutput"])
    expect(created.code, created.stderr).toBe(0)
    await Effect.runPromise(
      runSql(sqlite, [
        "BEGIN",
        "INSERT INTO items VALUES (5000, 'five hundred', 5)",
        "INSERT INTO items VALUES (5001, 'line\nbreak', 6)",
        "COMMIT",
        "UPDATE items SET qty = 7 WHERE id = 5001",
        "DELETE FROM items WHERE id = 5000"
      ])
    )
    const { xlogPos } = await Effect.runPromise(LogicalReplication.identifySystem({ connection: sqlite }))
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recvlogical-")), "out.bin")
    const streamed = await run(
      PG_RECVLOGICAL,
      ["-d", conn, "-S", "recv", "--start", "-o", "proto_version=1", "-o", "publication_names=pub_items", "-P", "pgoutput", "-E", formatLsn(xlogPos), "--no-loop", "-f", file, "-v"],
      { timeoutMs: 30_000 }
    )
    expect(streamed.code, streamed.stderr).toBe(0)
    expect(streamed.stderr).toContain("end position")
    const messages = decodeRecvlogicalFile(fs.readFileSync(file))
    const assembler = new TransactionAssembler()
    const txs = messages.flatMap((m) => {
      const t = assembler.push(m)
      return t === undefined ? [] : [t.changes.map(summarize)]
    })
    expect(txs).toEqual([
      [
        { op: "insert", table: "items", new: { id: "5000", name: "five hundred", qty: "5" } },
        { op: "insert", table: "items", new: { id: "5001", name: "line\nbreak", qty: "6" } }
      ],
      [{ op: "update", table: "items", old: null, new: { id: "5001", name: "line\nbreak", qty: "7" } }],
      [{ op: "delete", table: "items", old: { id: "5000", name: null, qty: null } }]
    ])
    // pg_recvlogical's final feedback confirmed the end: a new stream on the slot has nothing old to send.
    await Effect.runPromise(runSql(sqlite, ["INSERT INTO items VALUES (5002, 'after', 8)"]))
    const next = await Effect.runPromise(receiveTransactions({ connection: sqlite, slot: "recv", publication: "pub_items" }, 1))
    expect(changesOf(next)).toEqual([[{ op: "insert", table: "items", new: { id: "5002", name: "after", qty: "8" } }]])
    const dropped = await run(PG_RECVLOGICAL, ["-d", conn, "-S", "recv", "--drop-slot"])
    expect(dropped.code, dropped.stderr).toBe(0)
  }, 90_000)

  it("publications: FOR ALL TABLES covers tables created later; unpublished and rolled back changes never appear", async () => {
    await Effect.runPromise(runSql(sqlite, ["CREATE PUBLICATION everything FOR ALL TABLES"]))
    await Effect.runPromise(LogicalReplication.createSlot({ connection: sqlite, slot: "all" }))
    await Effect.runPromise(
      runSql(sqlite, [
        "CREATE TABLE later (k TEXT PRIMARY KEY, flag BOOLEAN, score REAL, data BLOB)",
        "INSERT INTO later VALUES ('a', 1, 1.5, x'00ff')",
        "BEGIN",
        "INSERT INTO later VALUES ('gone', 0, 0, NULL)",
        "ROLLBACK",
        "TRUNCATE later, items"
      ])
    )
    const txs = await Effect.runPromise(receiveTransactions({ connection: sqlite, slot: "all", publication: "everything" }, 2))
    expect(changesOf(txs)).toEqual([
      [{ op: "insert", table: "later", new: { k: "a", flag: "t", score: "1.5", data: "\\x00ff" } }],
      [{ op: "truncate", table: "later,items" }]
    ])
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: sqlite, slot: "all" }))
    await Effect.runPromise(runSql(sqlite, ["DROP PUBLICATION everything"]))
  }, 60_000)

  it("errors as PostgreSQL: unknown slot or publication, a slot in use, duplicate publication", async () => {
    const code = async (effect: Effect.Effect<unknown, unknown>) => {
      const e = await Effect.runPromise(Effect.flip(effect))
      return e instanceof PgError ? e.code : String(e)
    }
    const drain = (options: Parameters<typeof LogicalReplication.stream>[0]) =>
      Effect.scoped(Effect.flatMap(LogicalReplication.stream(options), (r) => Stream.runDrain(r.messages)))
    expect(await code(drain({ connection: sqlite, slot: "missing", publication: "pub_items" }))).toBe("42704")
    await Effect.runPromise(LogicalReplication.createSlot({ connection: sqlite, slot: "busy" }))
    expect(await code(drain({ connection: sqlite, slot: "busy", publication: "no_such_pub" }))).toBe("42704")
    expect(await code(LogicalReplication.createSlot({ connection: sqlite, slot: "busy" }))).toBe("42710")
    expect(await code(runSql(sqlite, [PUBLICATION_DDL]))).toBe("42710")
    expect(await code(runSql(sqlite, ["CREATE PUBLICATION p2 FOR TABLE nope"]))).toBe("42P01")
    // A second stream on an active slot is refused (55006); the first one keeps streaming.
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          yield* LogicalReplication.stream({ connection: sqlite, slot: "busy", publication: "pub_items" })
          expect(yield* Effect.flip(drain({ connection: sqlite, slot: "busy", publication: "pub_items" }))).toMatchObject({ code: "55006" })
        })
      )
    )
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: sqlite, slot: "busy" }))
  }, 60_000)

  it("a client killed mid-stream frees its slot; the next stream gets what it had not acknowledged", async () => {
    const conn = `host=127.0.0.1 port=${server.port} user=tester dbname=tester`
    await Effect.runPromise(LogicalReplication.createSlot({ connection: sqlite, slot: "vanish" }))
    await Effect.runPromise(runSql(sqlite, ["INSERT INTO items VALUES (600, 'kept', 1)"]))
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recvlogical-")), "out.bin")
    // Status updates only every hour: it acknowledges nothing before it dies.
    const receiver = start(PG_RECVLOGICAL, ["-d", conn, "-S", "vanish", "--start", "-o", "proto_version=1", "-o", "publication_names=pub_items", "-s", "3600", "-f", file, "-F", "0"])
    for (let i = 0; i < 400 && !(fs.existsSync(file) && fs.statSync(file).size > 0); i++) await new Promise((r) => setTimeout(r, 25))
    expect(fs.statSync(file).size).toBeGreaterThan(0)
    receiver.child.kill("SIGKILL")
    await receiver.finished
    // The server notices the socket closing and gives the slot back (DROP ... WAIT would wait for it).
    const again = await Effect.runPromise(
      receiveTransactions({ connection: sqlite, slot: "vanish", publication: "pub_items" }, 1).pipe(
        Effect.retry({ while: (e) => e instanceof PgError && e.code === "55006", times: 50, schedule: Schedule.spaced("50 millis") })
      )
    )
    expect(changesOf(again)).toEqual([[{ op: "insert", table: "items", new: { id: "600", name: "kept", qty: "1" } }]])
    await Effect.runPromise(LogicalReplication.dropSlot({ connection: sqlite, slot: "vanish", wait: true }))
  }, 60_000)
})

/** pg_recvlogical -f writes each message followed by a newline; a message may contain newlines itself. */
const decodeRecvlogicalFile = (bytes: Uint8Array): Array<PgOutput.PgOutputMessage> => {
  const decoder = new PgOutput.PgOutputDecoder({ protoVersion: 1 })
  const out: Array<PgOutput.PgOutputMessage> = []
  let start = 0
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start)
    for (;;) {
      if (end < 0) throw new Error(`undecodable pg_recvlogical output at byte ${start}`)
      try {
        out.push(decoder.decode(bytes, start, end))
        break
      } catch {
        end = bytes.indexOf(0x0a, end + 1)
      }
    }
    start = end + 1
  }
  return out
}
