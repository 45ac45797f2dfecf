import {
  PgError,
  QueryResult,
  ResultSet,
  type Session,
  SessionKey,
  SimpleQueryHandler
} from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Option, Ref, Scope, Stream } from "effect"
import { deallocateTarget, runDeallocate } from "./deallocate.js"
import type { EngineOptions } from "./engine/SqliteEngine.js"
import { SqliteEngine } from "./engine/SqliteEngine.js"
import type { SqliteSession } from "./engine/SqliteSession.js"
import type { SqlError } from "./engine/SqlError.js"
import { splitStatements } from "./engine/sqlText.js"
import type { RowsResult, StatementResult } from "./engine/StatementResult.js"
import { withNotifications } from "./notify/SqliteNotify.js"
import { specialStatement } from "./SpecialStatements.js"
import { ChangeCapture, type ChangeCaptureShape } from "./replication/ChangeCapture.js"

/** The SQLite database every connection of the server shares. */
export class SqliteDatabase extends Context.Tag("@pgwire-ts/example-sqlite/SqliteDatabase")<SqliteDatabase, SqliteEngine>() {
  static layer(options: EngineOptions): Layer.Layer<SqliteDatabase, SqlError> {
    return Layer.scoped(SqliteDatabase, SqliteEngine.make(options))
  }
}

export const toPgError = (e: SqlError): PgError =>
  PgError.make(e.code, e.message, {
    detail: e.detail,
    hint: e.hint,
    tableName: e.table,
    columnName: e.column,
    constraintName: e.constraint
  })

// Reported parameters the engine answers SHOW and current_setting() with, seeded from the connection's.
const seededParameters = [
  "server_version",
  "server_encoding",
  "client_encoding",
  "DateStyle",
  "IntervalStyle",
  "TimeZone",
  "integer_datetimes",
  "standard_conforming_strings",
  "application_name",
  "is_superuser",
  "session_authorization",
  "default_transaction_read_only",
  "in_hot_standby"
]

/** The engine session of a connection, opened on its first query and closed (rolled back) when it ends. */
const EngineSessionKey = SessionKey.make<Option.Option<SqliteSession>>("sqlite.engineSession", () => Option.none())

export const engineSession = (engine: SqliteEngine, session: Session): Effect.Effect<SqliteSession> =>
  Effect.flatMap(Ref.get(session.state(EngineSessionKey)), (existing) => {
    if (Option.isSome(existing)) return Effect.succeed(existing.value)
    return Effect.gen(function*() {
      const settings: Record<string, string> = {
        database: session.database,
        // test and diagnostics hooks: how this connection logged in, and over what
        "pgwire.auth_method": session.authMethod,
        "pgwire.tls": session.tls === undefined ? "off" : "on"
      }
      for (const name of seededParameters) {
        const value = yield* session.parameter(name)
        if (value !== undefined) settings[name] = value
      }
      const scope = yield* Scope.make()
      const opened = yield* Scope.extend(engine.openSession(settings), scope)
      yield* session.onClose(Scope.close(scope, Exit.void))
      yield* Ref.set(session.state(EngineSessionKey), Option.some(opened))
      return opened
    })
  })

/** Sends what a statement did besides its result: warnings, changed settings. */
export const reportEffects = (session: Session, result: StatementResult): Effect.Effect<void> =>
  Effect.zipRight(
    Effect.forEach(result.notices, (n) => session.notice({ severity: n.severity, code: n.code, message: n.message }), { discard: true }),
    Effect.forEach(result.parameterChanges, ([name, value]) => session.setParameter(name, value), { discard: true })
  )

const fieldsOf = (result: RowsResult) => result.columns.map((c) => ResultSet.field(c.name, c.typeOid))

/** One statement's result for the library; rows stream from the lane as the client reads them. */
const toQueryResult = (result: StatementResult): Effect.Effect<QueryResult, PgError> => {
  if (result._tag === "Command") return Effect.succeed(QueryResult.command(result.commandTag, { transaction: result.transaction }))
  const rows = Stream.mapError(result.rows, toPgError)
  const fields = fieldsOf(result)
  const transaction = result.transaction
  const tagFor0 = result.commandTag(0)
  if (tagFor0 === "SELECT 0") return Effect.succeed(ResultSet.make({ fields, rows, transaction }))
  if (tagFor0 === result.commandTag(1)) return Effect.succeed(ResultSet.make({ fields, rows, tag: tagFor0, transaction }))
  // INSERT/UPDATE/DELETE … RETURNING: the tag counts the rows, so they are read first (they are the statement's own writes).
  return Effect.map(Stream.runCollect(rows), (all) =>
    ResultSet.make({ fields, rows: all, tag: result.commandTag(all.length), transaction })
  )
}

/** One statement: its result, with the statement's lane held by the stream's scope until the library has sent its rows. */
const runStatement = (
  sqlite: SqliteSession,
  session: Session,
  statement: string,
  capture: ChangeCaptureShape | undefined
): Stream.Stream<QueryResult, PgError> => {
  const deallocate = deallocateTarget(statement)
  if (deallocate !== undefined) return Stream.fromEffect(runDeallocate(session, deallocate))
  const result = Stream.unwrapScoped(
    Effect.gen(function*() {
      // COPY, LISTEN/UNLISTEN/NOTIFY: answered before the engine
      const special = specialStatement(sqlite, session, statement, toPgError)
      if (special !== undefined) return Stream.make(yield* special)
      const result = yield* Effect.mapError(capture?.intercept(sqlite, statement) ?? sqlite.execute(statement), toPgError)
      yield* reportEffects(session, result)
      return Stream.make(yield* toQueryResult(result))
    })
  )
  // Change capture (src/replication): triggers for new tables, wake-ups for replication streams.
  const after = capture?.afterStatement(sqlite, statement)
  return after === undefined ? result : Stream.concat(result, Stream.execute(after))
}

/**
 * Several statements in one Query message: PostgreSQL runs them in an
 * implicit transaction block, committed after the last one, rolled back if one
 * fails (or the query is cancelled).
 */
const runImplicitBlock = (
  sqlite: SqliteSession,
  session: Session,
  statements: ReadonlyArray<string>,
  capture: ChangeCaptureShape | undefined
): Stream.Stream<QueryResult, PgError> =>
  Stream.unwrapScoped(
    Effect.as(
      Effect.acquireRelease(sqlite.beginImplicit, () => Effect.ignore(sqlite.finishImplicit(false))),
      Stream.concat(
        Stream.flatMap(Stream.fromIterable(statements), (statement) => runStatement(sqlite, session, statement, capture)),
        Stream.drain(Stream.fromEffect(Effect.mapError(sqlite.finishImplicit(true), toPgError)))
      )
    )
  )

/**
 * The SimpleQueryHandler of the SQLite server: each statement of the query
 * string runs in the connection's engine session, in order; a failing
 * statement ends the query string. (Every Stream layer costs CPU per query,
 * so a single statement, the usual case, gets exactly one.)
 */
export const handleQuery = (engine: SqliteEngine, capture?: ChangeCaptureShape) => (query: string, session: Session): Stream.Stream<QueryResult, PgError> => {
  const statements = splitStatements(query)
  if (statements.length === 0) return Stream.empty
  // NOTIFY and LISTEN take effect at COMMIT, or when the query string succeeds outside a transaction
  return withNotifications(session, engineSession(engine, session), Stream.unwrap(
    Effect.map(engineSession(engine, session), (sqlite) =>
      statements.length === 1
        ? runStatement(sqlite, session, statements[0]!, capture)
        : runImplicitBlock(sqlite, session, statements, capture)
    )
  ))
}

export const SqliteQueryHandler: Layer.Layer<SimpleQueryHandler, never, SqliteDatabase> = SimpleQueryHandler.layerEffect(
  Effect.map(
    Effect.all([SqliteDatabase, Effect.serviceOption(ChangeCapture)]),
    ([engine, capture]) => handleQuery(engine, Option.getOrUndefined(capture))
  )
)
