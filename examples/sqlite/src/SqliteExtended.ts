import {
  ExtendedQueryHandler,
  type Field,
  type ParsedStatement,
  PgError,
  type Portal,
  QueryParser,
  QueryResult,
  ResultSet,
  type Session
} from "@pgwire-ts/server"
import { Chunk, Effect, Layer, Stream } from "effect"
import { columnName, PgType, typeOfDeclared } from "./engine/columnTypes.js"
import { expressionType, inferParameterTypes, referencedTables, resultExpressions } from "./engine/inferTypes.js"
import { type Plan, planStatement } from "./engine/pgCompat.js"
import { bindValues, translatePlaceholders } from "./engine/placeholders.js"
import type { SqliteEngine } from "./engine/SqliteEngine.js"
import type { Described } from "./engine/SqliteSession.js"
import { splitStatements } from "./engine/sqlText.js"
import { type DeallocateTarget, deallocateTarget, runDeallocate } from "./deallocate.js"
import { runSpecialExtended, withExtendedNotifications } from "./SpecialExtended.js"
import { isSpecialStatement } from "./SpecialStatements.js"
import { engineSession, reportEffects, SqliteDatabase, toPgError } from "./SqliteQueryHandler.js"

/**
 * A statement prepared by Parse: `$n` rewritten to SQLite's `?n`, planned as
 * the simple path plans it, and described by SQLite without running it.
 */
export interface SqliteStatement {
  /** The statement text for SQLite ("" for an empty statement). */
  readonly sql: string
  /** The client's parameter number behind each `?k` of `sql`. */
  readonly references: ReadonlyArray<number>
  readonly plan: Plan | undefined
  /** Result column types as described: rows are normalized to these. */
  readonly columnTypes: ReadonlyArray<number> | undefined
  /** A SELECT (or other read) whose rows stream as the client pulls them; anything else runs to its end at the first Execute. */
  readonly streamed: boolean
  /** A DEALLOCATE statement: answered by the server's statement store, not SQLite. */
  readonly deallocate?: DeallocateTarget | undefined
  /** COPY or LISTEN/UNLISTEN/NOTIFY: answered by SpecialStatements.ts, not SQLite (NoData at Describe). */
  readonly special?: boolean | undefined
}

const text = PgType.text

/** Result fields for the statements the engine answers itself. */
const planFields = (plan: Plan): ReadonlyArray<Field> | undefined => {
  if (plan._tag !== "Show") return undefined
  if (plan.name === "ALL") return ["name", "setting", "description"].map((n) => ResultSet.field(n, text))
  return [ResultSet.field(plan.name, text)]
}

/** Result fields of a SQLite reader: declared types as the simple path maps them, expressions typed from the statement text. */
const readerFields = (sql: string, described: Described, parameterTypes: ReadonlyArray<number>): ReadonlyArray<Field> => {
  const expressions = resultExpressions(sql)
  const positional = expressions !== undefined && expressions.length === described.columns.length
  return described.columns.map((c, i) => {
    const declared = typeOfDeclared(c.declared)
    if (declared !== undefined) return ResultSet.field(c.name, declared)
    const inferred = positional ? expressionType(expressions[i]!, parameterTypes, described.tables) : undefined
    return ResultSet.field(c.declared === null ? columnName(c.name, sql) : c.name, inferred ?? text)
  })
}

const transactionExit = (plan: Plan) => plan._tag === "Commit" || plan._tag === "Rollback" || plan._tag === "RollbackTo"

/** Parse: one statement (several → 42601 as PostgreSQL), its parameter types and its result columns. */
export const parseStatement = (engine: SqliteEngine) =>
  (sql: string, clientTypes: ReadonlyArray<number>, session: Session): Effect.Effect<ParsedStatement<SqliteStatement>, PgError> =>
    Effect.gen(function*() {
      const statements = splitStatements(sql)
      if (statements.length > 1) return yield* PgError.make("42601", "cannot insert multiple commands into a prepared statement")
      if (statements.length === 0) {
        return {
          statement: { sql: "", references: [], plan: undefined, columnTypes: undefined, streamed: false },
          parameterTypes: clientTypes.map((t) => t || text),
          fields: undefined
        }
      }
      const deallocate = deallocateTarget(statements[0]!)
      if (deallocate !== undefined) {
        return {
          statement: { sql: statements[0]!, references: [], plan: undefined, columnTypes: undefined, streamed: false, deallocate },
          parameterTypes: clientTypes.map((t) => t || text),
          fields: undefined
        }
      }
      if (isSpecialStatement(statements[0]!)) {
        return {
          statement: { sql: statements[0]!, references: [], plan: undefined, columnTypes: undefined, streamed: false, special: true },
          parameterTypes: clientTypes.map((t) => t || text),
          fields: undefined
        }
      }
      const { count, references, sql: translated } = translatePlaceholders(statements[0]!)
      const plan = planStatement(translated)
      // PostgreSQL refuses to parse anything but the end of a failed transaction
      if ((yield* session.transactionStatus) === "E" && !transactionExit(plan)) {
        return yield* PgError.make("25P02", "current transaction is aborted, commands ignored until end of transaction block")
      }
      if (plan._tag !== "Sql") {
        return {
          statement: { sql: translated, references, plan, columnTypes: undefined, streamed: false },
          parameterTypes: inferParameterTypes(translated, count, clientTypes, {}),
          fields: planFields(plan)
        }
      }
      const sqlite = yield* engineSession(engine, session)
      const described = yield* Effect.mapError(sqlite.describe(plan.sql, referencedTables(plan.sql)), toPgError)
      const parameterTypes = inferParameterTypes(plan.sql, count, clientTypes, described.tables)
      const fields = described.reader ? readerFields(plan.sql, described, parameterTypes) : undefined
      return {
        statement: {
          sql: translated,
          references,
          plan,
          columnTypes: fields?.map((f) => f.typeOid),
          streamed: described.reader && plan.verb._tag === "Select"
        },
        parameterTypes,
        fields
      }
    })

/**
 * Execute: a streamed statement runs when the server first pulls its rows and
 * holds its lane while the portal is open (suspended portals read on as the
 * client asks); other statements run to their end now (a write's RETURNING
 * rows are read first, as its command tag counts them).
 */
export const executePortal = (engine: SqliteEngine) =>
  (portal: Portal<SqliteStatement>, session: Session): Effect.Effect<QueryResult, PgError> => {
    const statement = portal.statement
    if (statement.deallocate !== undefined) return runDeallocate(session, statement.deallocate)
    if (statement.special === true) return runSpecialExtended(engine, session, statement.sql)
    if (statement.plan === undefined) return Effect.succeed(QueryResult.empty)
    const options = { columnTypes: statement.columnTypes }
    const values = bindValues(statement.references, portal.parameters)
    const fields = portal.fields ?? []
    if (statement.streamed) {
      const rows = Stream.unwrapScoped(
        Effect.gen(function*() {
          const sqlite = yield* engineSession(engine, session)
          const result = yield* Effect.mapError(sqlite.execute(statement.sql, values, options), toPgError)
          return result._tag === "Rows" ? Stream.mapError(result.rows, toPgError) : Stream.empty
        })
      )
      return Effect.succeed(ResultSet.make({ fields, rows }))
    }
    return Effect.scoped(
      Effect.gen(function*() {
        const sqlite = yield* engineSession(engine, session)
        const result = yield* Effect.mapError(sqlite.execute(statement.sql, values, options), toPgError)
        yield* reportEffects(session, result)
        if (result._tag === "Command") return QueryResult.command(result.commandTag, { transaction: result.transaction })
        const rows = Chunk.toReadonlyArray(yield* Effect.mapError(Stream.runCollect(result.rows), toPgError))
        return ResultSet.make({ fields, rows, tag: result.commandTag(rows.length), transaction: result.transaction })
      })
    )
  }

/** The QueryParser and ExtendedQueryHandler of the SQLite server. */
export const SqliteExtendedQuery: Layer.Layer<QueryParser | ExtendedQueryHandler, never, SqliteDatabase> = Layer.merge(
  QueryParser.layerEffect(Effect.map(SqliteDatabase, parseStatement)),
  // NOTIFY/LISTEN/pg_notify() take effect after the statement, or at COMMIT (notify/SqliteNotify.ts)
  ExtendedQueryHandler.layerEffect(Effect.map(SqliteDatabase, (engine) => withExtendedNotifications(engine, executePortal(engine))))
)
