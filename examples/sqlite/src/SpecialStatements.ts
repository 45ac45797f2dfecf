import type { PgError, QueryResult, Session } from "@pgwire-ts/server"
import type { Effect, Scope } from "effect"
import { maybeCopy, runCopyStatement } from "./copy/SqliteCopy.js"
import type { SqliteSession } from "./engine/SqliteSession.js"
import type { SqlError } from "./engine/SqlError.js"
import { parseNotificationStatement, runNotificationStatement } from "./notify/SqliteNotify.js"

/**
 * Statements the SQLite server answers itself, before the engine: COPY
 * (copy/SqliteCopy.ts) and LISTEN/UNLISTEN/NOTIFY (notify/SqliteNotify.ts).
 * Undefined for everything else.
 */
export const specialStatement = (
  sqlite: SqliteSession,
  session: Session,
  statement: string,
  toPgError: (e: SqlError) => PgError,
  options: { readonly materialize?: boolean | undefined } = {}
): Effect.Effect<QueryResult, PgError, Scope.Scope> | undefined => {
  const notification = parseNotificationStatement(statement)
  if (notification !== undefined) return runNotificationStatement(sqlite, session, notification)
  return runCopyStatement(sqlite, statement, toPgError, options)
}

/** Whether `statement` is one of the special statements (checked at Parse). */
export const isSpecialStatement = (statement: string): boolean =>
  parseNotificationStatement(statement) !== undefined || maybeCopy(statement)
