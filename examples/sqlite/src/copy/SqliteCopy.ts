/**
 * COPY for the SQLite server: `COPY table [(columns)] FROM STDIN [WHERE ...]`,
 * `COPY table [(columns)] TO STDOUT` and `COPY (query) TO STDOUT`, in text,
 * CSV and binary with PostgreSQL's options. The server library runs the copy
 * sub-protocol and the data formats; this module says where rows go and come
 * from. COPY FROM stores nothing until the client's data has ended well: a
 * CopyFail, a malformed row or a failing insert leaves the table unchanged.
 */
import {
  codecForOid,
  CopyOptionsError,
  type CopyStatement,
  parseCopyStatement,
  SqlState
} from "@pgwire-ts/protocol"
import { PgError, QueryResult } from "@pgwire-ts/server"
import { Chunk, Effect, type Scope, Stream } from "effect"
import { PgType, typeOfDeclared } from "../engine/columnTypes.js"
import type { SqliteSession } from "../engine/SqliteSession.js"
import type { SqlError } from "../engine/SqlError.js"

/** Rows per INSERT statement (all of them run as one atomic unit). */
const ROWS_PER_INSERT = 500

const MAYBE_COPY = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*copy\b/i

const quoteIdent = (name: string): string => `"${name.replace(/"/g, "\"\"")}"`
const quoteText = (s: string): string => `'${s.replace(/'/g, "''")}'`

/** PostgreSQL's `public` is SQLite's `main`; other schemas are attached databases. */
const tableRef = (copy: CopyStatement): string =>
  copy.schema === undefined || copy.schema === "public" ? quoteIdent(copy.table!) : `${quoteIdent(copy.schema)}.${quoteIdent(copy.table!)}`

/** A decoded COPY value as an SQLite literal, stored as the engine stores the same value written in SQL. */
const literal = (value: unknown, oid: number): string => {
  if (value === null || value === undefined) return "NULL"
  switch (typeof value) {
    case "boolean":
      return value ? "1" : "0"
    case "bigint":
      return value.toString()
    case "number":
      // SQLite has no NaN (it would store NULL); 9e999 reads as infinity.
      return Number.isNaN(value) ? "NULL" : value === Infinity ? "9e999" : value === -Infinity ? "-9e999" : String(value)
    case "string":
      return quoteText(value)
  }
  if (value instanceof Uint8Array) return `X'${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}'`
  // dates, intervals, JSON, arrays: their PostgreSQL text form
  return quoteText(codecForOid(oid).encodeText(value))
}

const optionsError = (e: unknown): PgError | undefined =>
  e instanceof CopyOptionsError ? PgError.make(e.sqlState, e.reason) : undefined

interface TableColumn {
  readonly name: string
  readonly typeOid: number
}

const tableColumns = (
  sqlite: SqliteSession,
  copy: CopyStatement,
  toPgError: (e: SqlError) => PgError
): Effect.Effect<ReadonlyArray<TableColumn>, PgError> =>
  Effect.gen(function*() {
    const schema = copy.schema === undefined || copy.schema === "public" ? "main" : copy.schema
    const [info] = yield* Effect.mapError(
      sqlite.query("SELECT name, type FROM pragma_table_info($1, $2)", [copy.table!, schema]),
      toPgError
    )
    const all = (info?.rows ?? []).map(([name, type]) => ({
      name: String(name),
      typeOid: typeOfDeclared(type === null ? null : String(type)) ?? PgType.text
    }))
    if (all.length === 0) return yield* PgError.make(SqlState.UndefinedTable, `relation "${copy.table}" does not exist`)
    if (copy.columns === undefined) return all
    return yield* Effect.forEach(copy.columns, (name) => {
      const column = all.find((c) => c.name.toLowerCase() === name.toLowerCase())
      return column === undefined
        ? Effect.fail(PgError.make(SqlState.UndefinedColumn, `column "${name}" of relation "${copy.table}" does not exist`))
        : Effect.succeed(column)
    })
  })

/** The INSERT statements for the collected rows, with the COPY's WHERE condition when it has one. */
const insertStatements = (copy: CopyStatement, columns: ReadonlyArray<TableColumn>, tuples: ReadonlyArray<string>): Array<string> => {
  const names = columns.map((c) => quoteIdent(c.name)).join(", ")
  const into = `INSERT INTO ${tableRef(copy)} (${names}) `
  const out: Array<string> = []
  for (let i = 0; i < tuples.length; i += ROWS_PER_INSERT) {
    const values = `VALUES ${tuples.slice(i, i + ROWS_PER_INSERT).join(", ")}`
    if (copy.where === undefined) out.push(into + values)
    else {
      const aliased = columns.map((c, k) => `column${k + 1} AS ${quoteIdent(c.name)}`).join(", ")
      out.push(`${into}SELECT * FROM (SELECT ${aliased} FROM (${values})) WHERE ${copy.where}`)
    }
  }
  return out
}

const copyFrom = (
  sqlite: SqliteSession,
  copy: CopyStatement,
  toPgError: (e: SqlError) => PgError
): Effect.Effect<QueryResult, PgError> =>
  Effect.map(tableColumns(sqlite, copy, toPgError), (columns) => {
    const oids = columns.map((c) => c.typeOid)
    return QueryResult.copyFrom({
      copy,
      columns: { names: columns.map((c) => c.name), oids },
      consume: (rows) =>
        Effect.gen(function*() {
          const tuples: Array<string> = []
          yield* Stream.runForEach(rows, (row) =>
            Effect.sync(() => {
              let tuple = "("
              for (let i = 0; i < row.length; i++) tuple += (i === 0 ? "" : ", ") + literal(row[i], oids[i]!)
              tuples.push(tuple + ")")
            }))
          // Only now, with the client's data complete and valid, does anything reach the table.
          if (tuples.length === 0) return 0
          return yield* Effect.mapError(Effect.scoped(sqlite.atomically(insertStatements(copy, columns, tuples))), toPgError)
        })
    })
  })

const copyTo = (
  sqlite: SqliteSession,
  copy: CopyStatement,
  toPgError: (e: SqlError) => PgError,
  materialize: boolean
): Effect.Effect<QueryResult, PgError, Scope.Scope> =>
  Effect.gen(function*() {
    const select = copy.query ??
      `SELECT ${copy.columns === undefined ? "*" : copy.columns.map(quoteIdent).join(", ")} FROM ${tableRef(copy)}`
    const result = yield* Effect.mapError(sqlite.execute(select), toPgError)
    if (result._tag !== "Rows") {
      return yield* PgError.make(SqlState.FeatureNotSupported, "COPY query must return rows")
    }
    const stream = Stream.mapError(result.rows, toPgError)
    const rows = materialize ? Chunk.toReadonlyArray(yield* Stream.runCollect(stream)) : stream
    return yield* Effect.try({
      try: () =>
        QueryResult.copyTo({
          copy,
          columns: { names: result.columns.map((c) => c.name), oids: result.columns.map((c) => c.typeOid) },
          rows
        }),
      catch: (e) => optionsError(e) ?? PgError.make(SqlState.InternalError, String(e))
    })
  })

/** Whether a statement may be a COPY (a cheap test; `runCopyStatement` parses it). */
export const maybeCopy = (statement: string): boolean => MAYBE_COPY.test(statement)

/**
 * The result of a COPY statement, or undefined when `statement` is not one.
 * COPY TO holds the statement's lane in `Scope` while its rows are sent, or
 * with `materialize` reads them all first (the extended protocol, where the
 * result outlives the handler's scope).
 */
export const runCopyStatement = (
  sqlite: SqliteSession,
  statement: string,
  toPgError: (e: SqlError) => PgError,
  options: { readonly materialize?: boolean | undefined } = {}
): Effect.Effect<QueryResult, PgError, Scope.Scope> | undefined => {
  if (!MAYBE_COPY.test(statement)) return undefined
  let copy: CopyStatement | undefined
  try {
    copy = parseCopyStatement(statement)
  } catch (e) {
    const error = optionsError(e)
    if (error === undefined) throw e
    return Effect.fail(error)
  }
  if (copy === undefined) {
    return Effect.fail(
      PgError.make(SqlState.FeatureNotSupported, "COPY to or from a file or program is not supported", {
        hint: "Use COPY ... FROM STDIN or TO STDOUT (psql's \\copy)."
      })
    )
  }
  if (sqlite.transactionStatus === "E") {
    return Effect.fail(PgError.make("25P02", "current transaction is aborted, commands ignored until end of transaction block"))
  }
  return copy.direction === "from" ? copyFrom(sqlite, copy, toPgError) : copyTo(sqlite, copy, toPgError, options.materialize === true)
}
