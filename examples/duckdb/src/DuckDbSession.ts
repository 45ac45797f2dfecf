/**
 * One client session's DuckDB connection and how a statement runs on it.
 * Results stream: DuckDB hands out chunks of up to 2048 rows, and the next
 * chunk is fetched only when the server has sent the previous one to the
 * client, so a large result is never held whole.
 */
import { type DuckDBConnection, type DuckDBDataChunk, type DuckDBInstance, type DuckDBResult, ResultReturnType, StatementType } from "@duckdb/node-api"
import { type PgError, QueryResult, ResultSet, type Row, type Session, SessionKey, type TransactionChange } from "@pgwire-ts/server"
import { Chunk, Effect, Option, Ref, Stream } from "effect"
import { fromDuckDbError } from "./duckDbErrors.js"
import { loadSql, parseLoad } from "./loadStatement.js"
import { type ColumnMapping, columnMapping } from "./typeMapping.js"

const connectionKey = SessionKey.make<Promise<DuckDBConnection> | undefined>("duckdb.connection", () => undefined)

/**
 * Runs a DuckDB call; if the fiber is interrupted (a cancel request, the
 * client going away, server shutdown), the DuckDB query is interrupted too,
 * and the interruption completes only once DuckDB has let go of the call.
 */
export const duck = <A>(connection: DuckDBConnection, call: () => Promise<A>): Effect.Effect<A, PgError> =>
  Effect.async<A, PgError>((resume) => {
    // Through a promise chain: a call that throws synchronously becomes a rejection too.
    const pending = Promise.resolve().then(call)
    pending.then(
      (a) => resume(Effect.succeed(a)),
      (e) => resume(Effect.fail(fromDuckDbError(e)))
    )
    return Effect.promise(() => interruptUntilSettled(connection, pending))
  })

// DuckDB forgets an interrupt that lands before its query has started, so keep asking until the call returns.
const interruptUntilSettled = async (connection: DuckDBConnection, pending: Promise<unknown>): Promise<void> => {
  let settled = false
  const done = pending.then(
    () => (settled = true),
    () => (settled = true)
  )
  while (!settled) {
    connection.interrupt()
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 20))])
  }
}

/** The session's connection, opened on its first statement and closed when the session ends. */
export const sessionConnection = (instance: DuckDBInstance, session: Session): Effect.Effect<DuckDBConnection, PgError> =>
  Effect.gen(function* () {
    const ref = session.state(connectionKey)
    const { opened, pending } = yield* Ref.modify(
      ref,
      (current): readonly [{ opened: boolean; pending: Promise<DuckDBConnection> }, Promise<DuckDBConnection>] => {
        if (current !== undefined) return [{ opened: false, pending: current }, current]
        const pending = instance.connect()
        return [{ opened: true, pending }, pending]
      }
    )
    if (opened) {
      yield* session.onClose(
        Effect.promise(() => pending.then((c: DuckDBConnection) => c.closeSync(), () => undefined))
      )
    }
    return yield* Effect.tryPromise({ try: () => pending, catch: fromDuckDbError }).pipe(
      // A failed connect is not kept: the session's next statement tries again.
      Effect.tapError(() => Ref.update(ref, (current) => (current === pending ? undefined : current)))
    )
  })

/** Runs one statement (already split from the query string) and describes its result. */
export const runStatement = (connection: DuckDBConnection, statement: string): Effect.Effect<QueryResult, PgError> => {
  const load = parseLoad(statement)
  if (load !== undefined) {
    return duck(connection, () => connection.runAndReadAll(loadSql(load))).pipe(
      Effect.map((reader) => QueryResult.command(`LOAD ${String(reader.getRows()[0]?.[0] ?? 0)}`))
    )
  }
  return runDescribed(connection, statement, () => connection.stream(statement))
}

/** Starts a streaming DuckDB result (a statement or a bound prepared statement) and describes it. */
export const runDescribed = (
  connection: DuckDBConnection,
  statement: string,
  start: () => Promise<DuckDBResult>
): Effect.Effect<QueryResult, PgError> => Effect.flatMap(duck(connection, start), (result) => describe(connection, statement, result))

const describe = (connection: DuckDBConnection, statement: string, result: DuckDBResult): Effect.Effect<QueryResult, PgError> => {
  switch (result.returnType) {
    case ResultReturnType.QUERY_RESULT: {
      const names = result.columnNames()
      const mappings = result.columnTypes().map(columnMapping)
      const fields = names.map((name, i) => ResultSet.field(name, mappings[i]!.oid))
      const rows = streamRows(connection, result, mappings)
      if (!isDml(result.statementType)) return Effect.succeed(ResultSet.make({ fields, rows }))
      // INSERT/UPDATE/DELETE ... RETURNING: the tag counts the rows, so they are read first (such results are small).
      return Effect.map(Stream.runCollect(rows), (all) =>
        ResultSet.make({ fields, rows: all, tag: changedRowsTag(result.statementType, all.length, statement) })
      )
    }
    case ResultReturnType.CHANGED_ROWS:
      return Effect.succeed(QueryResult.command(changedRowsTag(result.statementType, result.rowsChanged, statement)))
    default:
      return Effect.succeed(QueryResult.command(commandTag(statement), transactionOptions(result.statementType, statement)))
  }
}

const isDml = (type: StatementType): boolean =>
  type === StatementType.INSERT || type === StatementType.UPDATE || type === StatementType.DELETE

const streamRows = (
  connection: DuckDBConnection,
  result: DuckDBResult,
  mappings: ReadonlyArray<ColumnMapping>
): Stream.Stream<Row, PgError> =>
  Stream.repeatEffectChunkOption(
    duck(connection, () => result.fetchChunk()).pipe(
      Effect.mapError(Option.some),
      Effect.flatMap((chunk) =>
        chunk === null || chunk.rowCount === 0 ? Effect.fail(Option.none()) : Effect.succeed(chunkRows(chunk, mappings))
      )
    )
  )

/** A DuckDB chunk (column vectors) as rows of codec-ready values. */
const chunkRows = (chunk: DuckDBDataChunk, mappings: ReadonlyArray<ColumnMapping>): Chunk.Chunk<Row> => {
  const columns = chunk.getColumns()
  const n = chunk.rowCount
  const rows = new Array<Array<unknown>>(n)
  for (let r = 0; r < n; r++) rows[r] = new Array<unknown>(columns.length)
  columns.forEach((values, c) => {
    const convert = mappings[c]!.convert
    for (let r = 0; r < n; r++) {
      const v = values[r]
      rows[r]![c] = v === null || v === undefined ? null : convert(v)
    }
  })
  return Chunk.unsafeFromArray(rows)
}

const changedRowsTag = (type: StatementType, count: number, statement: string): string => {
  switch (type) {
    case StatementType.INSERT:
      return `INSERT 0 ${count}`
    case StatementType.UPDATE:
      return `UPDATE ${count}`
    case StatementType.DELETE:
      return `DELETE ${count}`
    default:
      return `${commandTag(statement)} ${count}`
  }
}

const keywords = (statement: string): ReadonlyArray<string> =>
  statement
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ")
    .trim()
    .split(/[\s(;]+/, 6)
    .map((w) => w.toUpperCase())

const NOISE = new Set(["OR", "REPLACE", "TEMP", "TEMPORARY", "UNIQUE", "IF", "NOT", "EXISTS", "PERSISTENT", "SECRET"])

/** PostgreSQL-style tag from the leading keywords: `CREATE TABLE`, `DROP VIEW`, `SET`, `BEGIN`... */
const commandTag = (statement: string): string => {
  const [first = "", ...rest] = keywords(statement)
  if (first === "CREATE" || first === "DROP" || first === "ALTER") {
    const object = rest.find((w) => !NOISE.has(w))
    return object === undefined ? first : `${first} ${object}`
  }
  if (first === "START") return "START TRANSACTION"
  if (first === "END") return "COMMIT"
  if (first === "ABORT") return "ROLLBACK"
  return first
}

const transactionOptions = (type: StatementType, statement: string): { transaction?: TransactionChange } => {
  if (type !== StatementType.TRANSACTION) return {}
  const first = keywords(statement)[0]
  if (first === "BEGIN" || first === "START") return { transaction: "begin" }
  if (first === "COMMIT" || first === "END") return { transaction: "commit" }
  if (first === "ROLLBACK" || first === "ABORT") return { transaction: "rollback" }
  return {}
}
