import type { LaneColumn, SqliteValue } from "./columnTypes.js"
import type { CatalogType } from "./pgCatalogDdl.js"

/**
 * Messages between the engine (main thread) and a lane process, which owns
 * one SQLite connection and runs one statement at a time. Rows come back in
 * batches; the lane sends at most `window` batches ahead of the reader, which
 * answers each batch it takes with `more` (or stops the statement with
 * `close`), so a slow reader holds at most `window` batches in memory.
 */

export interface LaneOptions {
  readonly file: string
  readonly busyTimeoutMs: number
  /** `PRAGMA synchronous`: OFF for the engine's private temp file, NORMAL for a user's file. */
  readonly synchronous: "OFF" | "NORMAL"
  /** pg_type rows for the lane's attached pg_catalog (see pgCatalog.ts). */
  readonly catalog?: ReadonlyArray<CatalogType>
}

export type ToLane =
  | {
      readonly t: "run"
      readonly id: number
      readonly sql: string
      /** `$1`, `$2`… (and `?1`, `?2`…) bind by name: key "1" is `$1`. */
      readonly params: Readonly<Record<string, SqliteValue>>
      /** Session settings for current_setting(), sent only when they changed since the lane last saw them. */
      readonly settings?: Readonly<Record<string, string>>
      readonly batchRows: number
      readonly batchBytes: number
      /** Batches the lane may send ahead of the reader; each `more` allows one more. */
      readonly window: number
    }
  | {
      /** Statements run as one atomic unit (a savepoint), no rows: TRUNCATE of several tables. */
      readonly t: "atomic"
      readonly id: number
      readonly sqls: ReadonlyArray<string>
    }
  | {
      /** Prepares without running: result columns, whether it returns rows, and the named tables' columns. */
      readonly t: "describe"
      readonly id: number
      readonly sql: string
      readonly tables: ReadonlyArray<string>
    }
  | { readonly t: "more"; readonly id: number }
  | { readonly t: "close"; readonly id: number }

export type FromLane =
  | { readonly t: "ready" }
  /** pg_notify() ran in the current request; the engine publishes it only if the statement succeeds. */
  | { readonly t: "notify"; readonly channel: string; readonly payload: string }
  /** The database could not be opened; the process exits after this. */
  | { readonly t: "fatal"; readonly message: string }
  | {
      readonly t: "rows"
      readonly id: number
      /** On the first batch only. */
      readonly columns?: ReadonlyArray<LaneColumn>
      readonly rows: ReadonlyArray<ReadonlyArray<SqliteValue>>
      readonly more: boolean
      /** On the last batch of a statement that ran to its end: its "done", sent along to save a message. */
      readonly done?: { readonly inTransaction: boolean }
    }
  | {
      readonly t: "described"
      readonly id: number
      /** The statement returns rows (better-sqlite3 `stmt.reader`). */
      readonly reader: boolean
      /** Result columns (empty when not a reader). */
      readonly columns: ReadonlyArray<LaneColumn>
      /** Declared columns of each requested table that exists (PRAGMA table_info). */
      readonly tables: Readonly<Record<string, ReadonlyArray<LaneColumn>>>
    }
  | {
      readonly t: "done"
      readonly id: number
      /** Rows changed by a writing statement (0 for readers). */
      readonly changes: number
      readonly inTransaction: boolean
    }
  | {
      readonly t: "error"
      readonly id: number
      /** better-sqlite3's SqliteError code (`SQLITE_…`), or a SQLSTATE when `kind` is "pg". */
      readonly code: string | undefined
      /** sqlite: from SQLite or statement preparation; bind: bad parameters; pg: raised by our SQL functions. */
      readonly kind: "sqlite" | "bind" | "pg" | "internal"
      readonly message: string
      readonly inTransaction: boolean
    }
