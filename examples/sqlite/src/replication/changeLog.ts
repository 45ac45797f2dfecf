/**
 * The change log that makes the SQLite database a logical replication
 * source. Triggers on each published table append a row to
 * `_pgwire_changes` inside the writing transaction (a rollback drops it with
 * the data); the row's id is its position in the log, which maps to a WAL
 * position (LSN). Slots and publications are tables too, so they survive a
 * restart. `pgwire_txid()` is a function of the lane processes: one random id
 * per SQLite transaction, so the log's rows group back into transactions.
 */

/** Tables of the log; run at startup (idempotent). */
export const CHANGE_LOG_DDL: ReadonlyArray<string> = [
  `CREATE TABLE IF NOT EXISTS _pgwire_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    txid INTEGER NOT NULL,
    relname TEXT NOT NULL,
    op TEXT NOT NULL,
    old TEXT,
    new TEXT,
    at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS _pgwire_publications (
    name TEXT PRIMARY KEY,
    all_tables INTEGER NOT NULL,
    publish TEXT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS _pgwire_publication_tables (
    pubname TEXT NOT NULL,
    relname TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (pubname, relname)
  )`,
  `CREATE TABLE IF NOT EXISTS _pgwire_relations (
    relname TEXT PRIMARY KEY COLLATE NOCASE,
    oid INTEGER NOT NULL UNIQUE
  )`,
  `CREATE TABLE IF NOT EXISTS _pgwire_slots (
    name TEXT PRIMARY KEY,
    plugin TEXT NOT NULL,
    temporary INTEGER NOT NULL,
    two_phase INTEGER NOT NULL,
    confirmed INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS _pgwire_system (key TEXT PRIMARY KEY, value TEXT NOT NULL)`
]

/** Unix microseconds, as SQLite computes them inside a statement. */
export const NOW_MICROS = "CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"

/** A SQL string literal. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`
/** A SQL identifier. */
export const sqlIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`

/** True for the tables the log itself uses, and SQLite's own. */
export const isInternalTable = (name: string): boolean => /^(_pgwire_|sqlite_)/i.test(name)

const triggerName = (table: string, op: "insert" | "update" | "delete") => sqlIdent(`_pgwire_${table}_${op}`)

/**
 * One value as JSON inside the log row: integers as strings (JSON numbers
 * lose 64-bit precision in JS), blobs as a one-element array of hex, reals
 * and text as themselves.
 */
const valueJson = (ref: string): string =>
  `CASE typeof(${ref}) WHEN 'integer' THEN CAST(${ref} AS TEXT) WHEN 'blob' THEN json_array(hex(${ref})) ELSE ${ref} END`

const rowJson = (alias: "NEW" | "OLD", columns: ReadonlyArray<string>): string =>
  `json_array(${columns.map((c) => valueJson(`${alias}.${sqlIdent(c)}`)).join(", ")})`

/** The three triggers that log a table's changes (replacing older ones: the column list may have changed). */
export const triggerStatements = (table: string, columns: ReadonlyArray<string>): ReadonlyArray<string> => {
  const t = sqlIdent(table)
  const rel = sqlString(table)
  const insert = (op: string, old: string, nu: string) =>
    `INSERT INTO _pgwire_changes (txid, relname, op, old, new, at) VALUES (pgwire_txid(), ${rel}, '${op}', ${old}, ${nu}, ${NOW_MICROS})`
  return [
    ...dropTriggerStatements(table),
    `CREATE TRIGGER ${triggerName(table, "insert")} AFTER INSERT ON ${t} BEGIN ${insert("I", "NULL", rowJson("NEW", columns))}; END`,
    `CREATE TRIGGER ${triggerName(table, "update")} AFTER UPDATE ON ${t} BEGIN ${insert("U", rowJson("OLD", columns), rowJson("NEW", columns))}; END`,
    `CREATE TRIGGER ${triggerName(table, "delete")} AFTER DELETE ON ${t} BEGIN ${insert("D", rowJson("OLD", columns), "NULL")}; END`
  ]
}

export const dropTriggerStatements = (table: string): ReadonlyArray<string> =>
  (["insert", "update", "delete"] as const).map((op) => `DROP TRIGGER IF EXISTS ${triggerName(table, op)}`)

/**
 * TRUNCATE of a table with change capture: a 'T' row when the table is
 * logged, the delete itself, then the per-row 'D' rows its trigger wrote are
 * dropped again (a truncate is one change, not one per row). Run as one
 * atomic unit by the engine.
 */
export const truncateWithLog = (tableText: string): ReadonlyArray<string> => {
  const name = sqlString(bareTableName(tableText))
  const table = `(SELECT name FROM sqlite_master WHERE type = 'table' AND name = ${name} COLLATE NOCASE)`
  const logged = `EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = '_pgwire_' || ${table} || '_delete')`
  return [
    `INSERT INTO _pgwire_changes (txid, relname, op, old, new, at) SELECT pgwire_txid(), ${table}, 'T', NULL, NULL, ${NOW_MICROS} WHERE ${logged}`,
    `DELETE FROM ${tableText}`,
    `DELETE FROM _pgwire_changes WHERE txid = pgwire_txid() AND op = 'D' AND relname = ${table} AND id > (SELECT coalesce(max(id), 0) FROM _pgwire_changes WHERE txid = pgwire_txid() AND op = 'T')`
  ]
}

/** `"My Table"` → My Table, `main.items` → items, `Items` → Items. */
export const bareTableName = (text: string): string => {
  const t = text.trim()
  const parts = t.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [t]
  const last = parts[parts.length - 1]!.trim()
  return last.startsWith('"') ? last.slice(1, -1).replaceAll('""', '"') : last
}

// ---------------------------------------------------------------------------
// Log positions as WAL positions (LSNs)

/** The LSN of log row 0: anything below it is before the log began. */
export const LSN_BASE = 0x1000000n
/** LSN distance between consecutive log rows: room for the commit positions after each. */
export const LSN_STEP = 0x100n
const COMMIT_OFFSET = 0x40n
const END_OFFSET = 0x80n

/** The position of log row `id`'s change. */
export const changeLsn = (id: bigint): bigint => LSN_BASE + id * LSN_STEP
/** The commit position of a transaction whose last row is `lastId`. */
export const commitLsn = (lastId: bigint): bigint => changeLsn(lastId) + COMMIT_OFFSET
/** The end of a transaction whose last row is `lastId`: what a client acknowledges. */
export const endLsn = (lastId: bigint): bigint => changeLsn(lastId) + END_OFFSET

/**
 * The last log row fully covered by an acknowledged position: every
 * transaction ending at or before `lsn` ends at or before this row.
 */
export const coveredId = (lsn: bigint): bigint => (lsn < LSN_BASE + END_OFFSET ? 0n : (lsn - LSN_BASE - END_OFFSET) / LSN_STEP)
