/**
 * The extended query protocol over DuckDB prepared statements: Parse prepares
 * the statement on the session's DuckDB connection (DuckDB reports the
 * parameter and result column types Describe needs), Execute binds the
 * portal's decoded parameters and streams the result like a simple query.
 */
import { type DuckDBConnection, type DuckDBPreparedStatement, DuckDBTypeId, StatementType } from "@duckdb/node-api"
import { Oid, SqlState } from "@pgwire-ts/protocol"
import { type Field, PgError, type QueryResult, ResultSet, splitStatements } from "@pgwire-ts/server"
import { Effect, Stream } from "effect"
import { duck, runDescribed, runStatement } from "./DuckDbSession.js"
import { type LoadStatement, parseLoad } from "./loadStatement.js"
import { replaceParameters } from "./sqlParameters.js"
import { columnMapping } from "./typeMapping.js"

/** What Parse made of a statement: this server's LOAD, or a DuckDB prepared statement. */
export type DuckDbStatement =
  | { readonly _tag: "Load"; readonly sql: string; readonly load: LoadStatement }
  | {
      readonly _tag: "Prepared"
      readonly sql: string
      readonly prepared: DuckDBPreparedStatement
      /** What Describe said; Execute's rows are sent with these types. */
      readonly fields: ReadonlyArray<Field> | undefined
    }

export interface PreparedDescription {
  readonly statement: DuckDbStatement
  readonly parameterTypes: ReadonlyArray<number>
  readonly fields: ReadonlyArray<Field> | undefined
}

// Statement kinds whose result is rows; DML has rows only with RETURNING.
const ROW_STATEMENTS = new Set([StatementType.SELECT, StatementType.EXPLAIN, StatementType.PRAGMA, StatementType.CALL, StatementType.RELATION])
const DML = new Set([StatementType.INSERT, StatementType.UPDATE, StatementType.DELETE])

/** A parameter's type: the client's if it named one (as in PostgreSQL), else DuckDB's inference, else undefined. */
const parameterOid = (prepared: DuckDBPreparedStatement, index: number, clientOid: number | undefined): number | undefined => {
  if (clientOid !== undefined && clientOid !== 0) return clientOid
  try {
    const type = prepared.parameterType(index)
    return type.typeId === DuckDBTypeId.ANY ? undefined : columnMapping(type).oid
  } catch {
    // DuckDB could not infer it (`SELECT $1`, `range % $1`).
    return undefined
  }
}

const resultFields = (prepared: DuckDBPreparedStatement): ReadonlyArray<Field> | undefined => {
  const type = prepared.statementType
  const columns = Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), oid: columnOid(prepared, i) }))
  const rows =
    ROW_STATEMENTS.has(type) ||
    // INSERT/UPDATE/DELETE report one BIGINT "Count" column unless they have RETURNING.
    (DML.has(type) && !(columns.length === 1 && columns[0]!.name === "Count" && columns[0]!.oid === Oid.int8))
  return rows ? columns.map((c) => ResultSet.field(c.name, c.oid)) : undefined
}

const CANDIDATES = [
  { oid: Oid.text, sample: "'x'" },
  { oid: Oid.int8, sample: "1" },
  { oid: Oid.float8, sample: "1.5" }
] as const

const describeFields = (prepared: DuckDBPreparedStatement) =>
  Effect.try({
    try: () => resultFields(prepared),
    catch: (e) => PgError.make(SqlState.InternalError, `cannot describe the statement: ${e instanceof Error ? e.message : String(e)}`)
  })

const hasUndescribedColumn = (prepared: DuckDBPreparedStatement): boolean => {
  for (let i = 0; i < prepared.columnCount; i++) {
    try {
      prepared.columnType(i)
    } catch {
      return true
    }
  }
  return false
}

/** The DuckDB type a parameter of this PostgreSQL type binds as. */
const duckDbTypeName = (oid: number): string => DUCKDB_TYPE_BY_OID.get(oid) ?? "VARCHAR"

const DUCKDB_TYPE_BY_OID = new Map<number, string>([
  [Oid.bool, "BOOLEAN"],
  [Oid.int2, "SMALLINT"],
  [Oid.int4, "INTEGER"],
  [Oid.int8, "BIGINT"],
  [Oid.float4, "FLOAT"],
  [Oid.float8, "DOUBLE"],
  [Oid.numeric, "DECIMAL(38, 10)"],
  [Oid.date, "DATE"],
  [Oid.time, "TIME"],
  [Oid.timestamp, "TIMESTAMP"],
  [Oid.timestamptz, "TIMESTAMPTZ"],
  [Oid.interval, "INTERVAL"],
  [Oid.uuid, "UUID"],
  [Oid.bytea, "BLOB"],
  [Oid.json, "JSON"]
])

const columnOid = (prepared: DuckDBPreparedStatement, index: number): number => {
  try {
    return columnMapping(prepared.columnType(index)).oid
  } catch {
    // A column whose type hangs on an untyped parameter (`SELECT $1`): text, as the parameter is.
    return Oid.text
  }
}

/** Parse: prepares `sql` on the session's connection and describes it. */
export const prepareStatement = (
  connection: DuckDBConnection,
  sql: string,
  clientParameterTypes: ReadonlyArray<number>
): Effect.Effect<PreparedDescription, PgError> => {
  if (splitStatements(sql).length > 1) {
    return Effect.fail(PgError.make(SqlState.SyntaxError, "cannot insert multiple commands into a prepared statement"))
  }
  const load = parseLoad(sql)
  if (load !== undefined) return Effect.succeed({ statement: { _tag: "Load", sql, load }, parameterTypes: [], fields: undefined })
  return Effect.gen(function* () {
    const prepared = yield* duck(connection, () => connection.prepare(sql))
    const inferred = Array.from({ length: prepared.parameterCount }, (_, i) => parameterOid(prepared, i + 1, clientParameterTypes[i]))
    let parameterTypes: ReadonlyArray<number> = inferred.map((oid) => oid ?? Oid.text)
    let fields = yield* describeFields(prepared)
    if (inferred.includes(undefined) || hasUndescribedColumn(prepared)) {
      // DuckDB needs the parameters' types to type the statement: try candidates for the unknown ones
      // (as PostgreSQL would infer `range % $1` to be a number), describing the statement with typed
      // values in the parameters' places: a sample value for an unknown one (DuckDB lets a typed NULL
      // through where a value of that type would fail), NULL for the typed ones. Only prepared, never run.
      for (const candidate of CANDIDATES) {
        const types = inferred.map((oid) => oid ?? candidate.oid)
        const substituted = replaceParameters(sql, (n) => {
          const known = inferred[n - 1]
          return known === undefined ? `CAST(${candidate.sample} AS ${duckDbTypeName(candidate.oid)})` : `CAST(NULL AS ${duckDbTypeName(known)})`
        })
        const described = yield* Effect.option(Effect.flatMap(duck(connection, () => connection.prepare(substituted)), describeFields))
        if (described._tag === "Some") {
          parameterTypes = types
          fields = described.value
          break
        }
      }
    }
    return { statement: { _tag: "Prepared", sql, prepared, fields }, parameterTypes, fields } satisfies PreparedDescription
  })
}

/** Binds one decoded parameter (as the server's codecs decode: number, bigint, string, boolean, bytes, arrays). */
const bindParameter = (prepared: DuckDBPreparedStatement, index: number, oid: number, value: unknown): void => {
  if (value === null || value === undefined) return prepared.bindNull(index)
  switch (typeof value) {
    case "boolean":
      return prepared.bindBoolean(index, value)
    case "bigint":
      return value >= -(2n ** 63n) && value < 2n ** 63n ? prepared.bindBigInt(index, value) : prepared.bindHugeInt(index, value)
    case "number":
      return (oid === Oid.int2 || oid === Oid.int4) && Number.isInteger(value)
        ? prepared.bindInteger(index, value)
        : prepared.bindDouble(index, value)
    case "string":
      // numeric, date/time, uuid, json... arrive as PostgreSQL text; DuckDB casts it to the parameter's type.
      return prepared.bindVarchar(index, value)
  }
  if (value instanceof Uint8Array) return prepared.bindBlob(index, value)
  if (Array.isArray(value)) return prepared.bindList(index, value as Array<never>)
  return prepared.bindVarchar(index, JSON.stringify(value))
}

/** Execute: binds the portal's parameters and runs the statement. */
export const executeStatement = (
  connection: DuckDBConnection,
  statement: DuckDbStatement,
  parameterTypes: ReadonlyArray<number>,
  parameters: ReadonlyArray<unknown>
): Effect.Effect<QueryResult, PgError> => {
  if (statement._tag === "Load") return runStatement(connection, statement.sql)
  const { prepared, sql } = statement
  return Effect.try({
    try: () => {
      prepared.clearBindings()
      parameters.forEach((value, i) => bindParameter(prepared, i + 1, parameterTypes[i] ?? 0, value))
    },
    catch: (e) => PgError.make(SqlState.InvalidParameterValue, `cannot bind parameter: ${e instanceof Error ? e.message : String(e)}`)
  }).pipe(
    Effect.zipRight(runDescribed(connection, sql, () => prepared.stream())),
    Effect.map((result) => conformTo(statement.fields, result))
  )
}

const TEXT_OIDS = new Set<number>([Oid.text, Oid.varchar])

/**
 * Rows go out with the types Describe announced. Only a column that hangs on
 * an untyped parameter (`SELECT $1`, described as text) can come back typed
 * otherwise; its values are sent as their text.
 */
const conformTo = (described: ReadonlyArray<Field> | undefined, result: QueryResult): QueryResult => {
  if (described === undefined || result._tag !== "Rows") return result
  const retext = described.map((f, i) => TEXT_OIDS.has(f.typeOid) && !TEXT_OIDS.has(result.fields[i]?.typeOid ?? Oid.text))
  if (!retext.includes(true)) return result
  return {
    ...result,
    fields: described,
    rows: Stream.map(result.rows, (row) =>
      Array.isArray(row) ? row.map((v: unknown, i) => (retext[i] && v !== null && v !== undefined ? textOf(v) : v)) : row
    )
  }
}

const textOf = (v: unknown): string => (typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x)) : String(v))
