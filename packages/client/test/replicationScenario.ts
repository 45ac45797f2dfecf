// A logical replication scenario run the same way against PostgreSQL 15 (replication.test.ts here)
// and against the SQLite example (examples/sqlite/test/replication.test.ts): the SQL it runs, and
// what a subscriber must receive, transaction by transaction.
import {
  Client,
  type ClientOptions,
  type CommittedTransaction,
  LogicalReplication,
  type LogicalReplicationOptions,
  type RowChange,
  TransactionAssembler
} from "@pgwire-ts/client"
import { Effect, Option, Stream } from "effect"

export const TABLE_DDL = [
  "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT, qty BIGINT)",
  "CREATE TABLE unpublished (id BIGINT PRIMARY KEY)"
]
export const PUBLICATION_DDL = "CREATE PUBLICATION pub_items FOR TABLE items"

/** Several transactions: a multi-row one, updates (one changing the key), a delete, a rollback, a truncate. */
export const PHASE_ONE = [
  "BEGIN",
  "INSERT INTO items VALUES (1, 'one', 10)",
  "INSERT INTO items VALUES (2, 'two', 20)",
  "INSERT INTO items VALUES (3, 'three', 30)",
  "COMMIT",
  "UPDATE items SET qty = 11 WHERE id = 1",
  "UPDATE items SET id = 4 WHERE id = 3",
  "INSERT INTO unpublished VALUES (1)",
  "DELETE FROM items WHERE id = 2",
  "BEGIN",
  "INSERT INTO items VALUES (99, 'rolled back', 0)",
  "ROLLBACK",
  "TRUNCATE items",
  "INSERT INTO items VALUES (5, NULL, 50)"
]

/** A change as compared across servers: operation, table and text values. */
export type Change = { readonly op: string; readonly table: string; readonly new?: unknown; readonly old?: unknown }

export const PHASE_ONE_EXPECTED: ReadonlyArray<ReadonlyArray<Change>> = [
  [
    { op: "insert", table: "items", new: { id: "1", name: "one", qty: "10" } },
    { op: "insert", table: "items", new: { id: "2", name: "two", qty: "20" } },
    { op: "insert", table: "items", new: { id: "3", name: "three", qty: "30" } }
  ],
  [{ op: "update", table: "items", old: null, new: { id: "1", name: "one", qty: "11" } }],
  // The key changed: the old key comes along (REPLICA IDENTITY DEFAULT sends key columns only).
  [{ op: "update", table: "items", old: { id: "3", name: null, qty: null }, new: { id: "4", name: "three", qty: "30" } }],
  [{ op: "delete", table: "items", old: { id: "2", name: null, qty: null } }],
  [{ op: "truncate", table: "items" }],
  [{ op: "insert", table: "items", new: { id: "5", name: null, qty: "50" } }]
]

export const PHASE_TWO = ["INSERT INTO items VALUES (6, 'six', 60)", "UPDATE items SET name = 'five' WHERE id = 5"]
export const PHASE_TWO_EXPECTED: ReadonlyArray<ReadonlyArray<Change>> = [
  [{ op: "insert", table: "items", new: { id: "6", name: "six", qty: "60" } }],
  [{ op: "update", table: "items", old: null, new: { id: "5", name: "five", qty: "50" } }]
]

/** One transaction large enough for PostgreSQL to stream it with logical_decoding_work_mem=64kB. */
export const LARGE_ROWS = 2000
export const LARGE_TRANSACTION =
  `INSERT INTO items SELECT generate_series, 'row ' || generate_series, generate_series FROM generate_series(100, ${99 + LARGE_ROWS})`

export const summarize = (change: RowChange): Change => {
  switch (change.op) {
    case "insert":
      return { op: "insert", table: change.relation.table, new: change.new }
    case "update":
      return { op: "update", table: change.relation.table, old: change.old, new: change.new }
    case "delete":
      return { op: "delete", table: change.relation.table, old: change.old }
    case "truncate":
      return { op: "truncate", table: change.relations.map((r) => r.table).join(",") }
  }
}

/** Runs statements one by one on an ordinary connection. */
export const runSql = (options: ClientOptions, statements: ReadonlyArray<string>) =>
  Effect.scoped(Effect.flatMap(Client.connect(options), (c) => Effect.forEach(statements, (s) => c.query(s), { discard: true })))

/**
 * Streams until `count` transactions have been committed, acknowledges the
 * last one's end, and closes the stream (ending the COPY cleanly).
 */
export const receiveTransactions = (
  options: LogicalReplicationOptions,
  count: number,
  ack = true
): Effect.Effect<ReadonlyArray<CommittedTransaction>, unknown> =>
  Effect.scoped(
    Effect.gen(function* () {
      const replication = yield* LogicalReplication.stream(options)
      const assembler = new TransactionAssembler()
      const transactions = yield* replication.messages.pipe(
        Stream.filterMap((m) => {
          const tx = assembler.push(m.message)
          return tx === undefined ? Option.none() : Option.some(tx)
        }),
        Stream.take(count),
        Stream.runCollect
      )
      const all = [...transactions]
      if (ack && all.length > 0) yield* replication.ack(all[all.length - 1]!.endLsn)
      return all
    })
  ).pipe(Effect.timeout("30 seconds"))

export const changesOf = (transactions: ReadonlyArray<CommittedTransaction>): ReadonlyArray<ReadonlyArray<Change>> =>
  transactions.map((t) => t.changes.map(summarize))
