/**
 * Entry point of a lane process: one SQLite connection (better-sqlite3) that
 * runs the statements the engine sends, one at a time. It is a separate
 * process, not a worker thread, so that cancelling a statement can stop it at
 * any point: SQLite cannot be interrupted from outside its thread through
 * better-sqlite3, and a worker thread cannot be terminated while it is inside
 * native code, but a process can always be killed, and SQLite's journal keeps
 * the database consistent when it is.
 */
import Database from "better-sqlite3"
import { randomInt, randomUUID } from "node:crypto"
import type { LaneColumn, SqliteValue } from "./columnTypes.js"
import type { FromLane, LaneOptions, ToLane } from "./laneProtocol.js"
import { CATALOG_DDL, CATALOG_INSERT } from "./pgCatalogDdl.js"

// Change capture (src/replication/changeLog.ts): triggers tag each log row with the writing transaction's id.
let transactionId: number | undefined

const send = (message: FromLane): void => {
  // A statement or request ended outside a transaction: the next write starts a new one.
  if (message.t !== "rows" || message.done !== undefined) {
    if (!db.inTransaction) transactionId = undefined
  }
  process.send!(message)
}

const options = JSON.parse(process.argv[2]!) as LaneOptions

/** Opens the database; a failure goes to the engine as a message (it reports it), not to stderr. */
const open = (): Database.Database => {
  try {
    const db = new Database(options.file)
    db.pragma(`busy_timeout = ${options.busyTimeoutMs}`)
    db.pragma("journal_mode = WAL")
    db.pragma(`synchronous = ${options.synchronous}`)
    db.defaultSafeIntegers(true)
    if (options.catalog !== undefined) {
      for (const ddl of CATALOG_DDL) db.exec(ddl)
      const insert = db.prepare(CATALOG_INSERT)
      db.transaction(() => {
        for (const [oid, name, typlen, typtype, category, delimiter, elem, array] of options.catalog!) {
          insert.run(oid, name, typlen, typtype, category, delimiter, elem, array, typlen > 0 && typlen <= 8 ? 1 : 0)
        }
      })()
    }
    return db
  } catch (error) {
    send({ t: "fatal", message: error instanceof Error ? error.message : String(error) })
    process.disconnect()
    return process.exit(1)
  }
}
const db = open()

let settings: Readonly<Record<string, string>> = {}

// PostgreSQL functions clients and tests call.
const sleepCell = new Int32Array(new SharedArrayBuffer(4))
const sleep = (seconds: unknown): null => {
  const ms = Number(seconds) * 1000
  if (Number.isFinite(ms) && ms > 0) Atomics.wait(sleepCell, 0, 0, ms)
  return null
}
db.function("sleep", { deterministic: false }, sleep)
db.function("pg_sleep", { deterministic: false }, sleep)
// read before any statement runs: a function cannot run a statement of its own while one is running
const sqliteVersion = String(db.prepare("SELECT sqlite_version()").pluck().get())
db.function("version", { deterministic: true }, () =>
  `PostgreSQL ${settings["server_version"] ?? "16.0"} (pgwire-ts SQLite example, SQLite ${sqliteVersion})`
)
db.function("current_setting", { deterministic: false, varargs: true }, (name: unknown, missingOk: unknown) => {
  const key = String(name).toLowerCase()
  const found = Object.entries(settings).find(([k]) => k.toLowerCase() === key)
  if (found) return found[1]
  if (missingOk !== undefined && missingOk !== 0n && missingOk !== 0 && missingOk !== null) return null
  throw pgFailure("42704", `unrecognized configuration parameter "${String(name)}"`)
})
db.function("pgwire_txid", { deterministic: false }, () => (transactionId ??= randomInt(1, 2 ** 47)))
db.function("current_database", { deterministic: false }, () => settings["database"] ?? "sqlite")
db.function("now", { deterministic: false }, () => new Date().toISOString().replace("T", " ").replace("Z", "+00"))
db.function("gen_random_uuid", { deterministic: false }, () => randomUUID())
// pg_notify(channel, payload): reported at once, published by the engine when the statement (and its transaction) succeeds.
db.function("pg_notify", { deterministic: false }, (channel: unknown, payload: unknown) => {
  const name = channel === null || channel === undefined ? "" : String(channel)
  const text = payload === null || payload === undefined ? "" : String(payload)
  if (name === "") throw pgFailure("22023", "channel name cannot be empty")
  if (Buffer.byteLength(name) >= 64) throw pgFailure("22023", "channel name too long")
  if (Buffer.byteLength(text) >= 8000) throw pgFailure("22023", "payload string too long")
  process.send!({ t: "notify", channel: name, payload: text } satisfies FromLane)
  return null
})
// PostgreSQL's integer generate_series(start, stop [, step]) as a table-valued function.
db.table("generate_series", {
  columns: ["generate_series"],
  parameters: ["start", "stop", "step"],
  *rows(start: unknown, stop: unknown, step: unknown) {
    const from = BigInt(start as bigint)
    const to = BigInt(stop as bigint)
    const by = step === undefined || step === null ? 1n : BigInt(step as bigint)
    if (by === 0n) throw pgFailure("22023", "step size cannot equal zero")
    for (let v = from; by > 0n ? v <= to : v >= to; v += by) yield [v]
  }
})

/** An error our SQL functions raise with a SQLSTATE of their own. */
const pgFailure = (sqlState: string, message: string): Error => Object.assign(new Error(message), { sqlState })


// Prepared statements by text; a small cache is enough for repeated driver statements.
const cache = new Map<string, Database.Statement>()
const prepare = (sql: string): Database.Statement => {
  let stmt = cache.get(sql)
  if (stmt === undefined) {
    stmt = db.prepare(sql)
    if (cache.size >= 128) cache.delete(cache.keys().next().value!)
    cache.set(sql, stmt)
  }
  return stmt
}

// Flow control of the running statement: batches it may still send, and whether the reader stopped.
let credits = 0
let closing = false
let wakeUp: (() => void) | undefined

/** `bound`: the statement was prepared, so an argument error is about its parameters. */
const failure = (id: number, error: unknown, bound: boolean): FromLane => {
  const e = error as { code?: unknown; message?: unknown; name?: unknown; sqlState?: unknown }
  const message = typeof e?.message === "string" ? e.message : String(error)
  const base = { t: "error", id, message, inTransaction: db.inTransaction } as const
  if (typeof e?.sqlState === "string") return { ...base, kind: "pg", code: e.sqlState }
  const code = typeof e?.code === "string" ? e.code : undefined
  if (e?.name === "SqliteError") return { ...base, kind: "sqlite", code }
  if (error instanceof RangeError || error instanceof TypeError) {
    return { ...base, kind: bound ? "bind" : "sqlite", code }
  }
  return { ...base, kind: "internal", code }
}

const byteSize = (row: ReadonlyArray<SqliteValue>): number => {
  let n = 8 * row.length
  for (const v of row) if (typeof v === "string" || v instanceof Uint8Array) n += v.length
  return n
}

const runStatement = async (message: Extract<ToLane, { t: "run" }>): Promise<void> => {
  const { id } = message
  if (message.settings !== undefined) settings = message.settings
  credits = message.window
  closing = false
  let iterator: IterableIterator<Array<SqliteValue>> | undefined
  let bound = false
  try {
    const stmt = prepare(message.sql)
    bound = true
    if (!stmt.reader) {
      const info = stmt.run(message.params)
      send({ t: "done", id, changes: Number(info.changes), inTransaction: db.inTransaction })
      return
    }
    stmt.raw(true)
    const columns: ReadonlyArray<LaneColumn> = stmt.columns().map((c) => ({ name: c.name, declared: c.type }))
    iterator = stmt.iterate(message.params) as IterableIterator<Array<SqliteValue>>
    let first = true
    for (;;) {
      const rows: Array<Array<SqliteValue>> = []
      let bytes = 0
      let exhausted = false
      while (rows.length < message.batchRows && bytes < message.batchBytes) {
        const next = iterator.next()
        if (next.done) {
          exhausted = true
          break
        }
        rows.push(next.value)
        bytes += byteSize(next.value)
      }
      if (exhausted) {
        iterator = undefined
        const done = { inTransaction: db.inTransaction }
        send(first ? { t: "rows", id, columns, rows, more: false, done } : { t: "rows", id, rows, more: false, done })
        return
      }
      send(first ? { t: "rows", id, columns, rows, more: true } : { t: "rows", id, rows, more: true })
      first = false
      credits--
      // run ahead of the reader by at most `window` batches
      while (credits <= 0 && !closing) await new Promise<void>((resolve) => (wakeUp = resolve))
      wakeUp = undefined
      if (closing) {
        iterator.return?.()
        break
      }
    }
    iterator = undefined
    send({ t: "done", id, changes: 0, inTransaction: db.inTransaction })
  } catch (error) {
    iterator?.return?.()
    send(failure(id, error, bound))
  }
}

/** Prepares a statement without running it (the extended protocol's Parse and Describe). */
const describe = (message: Extract<ToLane, { t: "describe" }>): void => {
  try {
    const stmt = prepare(message.sql)
    const columns: ReadonlyArray<LaneColumn> = stmt.reader ? stmt.columns().map((c) => ({ name: c.name, declared: c.type })) : []
    const tables: Record<string, ReadonlyArray<LaneColumn>> = {}
    for (const table of message.tables) {
      const info = db.pragma(`table_info(${quoteIdentifier(table)})`) as ReadonlyArray<{ name: string; type: string }>
      if (info.length > 0) tables[table] = info.map((c) => ({ name: c.name, declared: c.type === "" ? null : c.type }))
    }
    send({ t: "described", id: message.id, reader: stmt.reader, columns, tables })
  } catch (error) {
    send(failure(message.id, error, false))
  }
}

const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`

const runAtomic = (message: Extract<ToLane, { t: "atomic" }>): void => {
  try {
    let changes = 0
    db.transaction(() => {
      for (const sql of message.sqls) changes += Number(prepare(sql).run().changes)
    })()
    send({ t: "done", id: message.id, changes, inTransaction: db.inTransaction })
  } catch (error) {
    send(failure(message.id, error, false))
  }
}

process.on("message", (message: ToLane) => {
  switch (message.t) {
    case "run":
      void runStatement(message)
      break
    case "atomic":
      runAtomic(message)
      break
    case "describe":
      describe(message)
      break
    case "more":
      credits++
      wakeUp?.()
      break
    case "close":
      closing = true
      wakeUp?.()
      break
  }
})
// The engine going away (its IPC channel closing) ends the lane.
process.on("disconnect", () => {
  db.close()
  process.exit(0)
})
send({ t: "ready" })
