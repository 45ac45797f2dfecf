import { type PgError, type Portal, QueryResult, type Session } from "@pgwire-ts/server"
import { Effect, Exit, Stream } from "effect"
import type { SqliteEngine } from "./engine/SqliteEngine.js"
import { afterExecute } from "./notify/SqliteNotify.js"
import { specialStatement } from "./SpecialStatements.js"
import { engineSession, toPgError } from "./SqliteQueryHandler.js"

/**
 * A special statement (COPY, LISTEN/UNLISTEN/NOTIFY) run by Execute. A COPY
 * TO's rows are read before the result is returned: the extended protocol
 * sends them after the handler's scope has closed.
 */
export const runSpecialExtended = (engine: SqliteEngine, session: Session, sql: string): Effect.Effect<QueryResult, PgError> =>
  Effect.flatMap(engineSession(engine, session), (sqlite) =>
    Effect.scoped(specialStatement(sqlite, session, sql, toPgError, { materialize: true }) ?? Effect.succeed(QueryResult.empty))
  )

/**
 * Execute with PostgreSQL's NOTIFY timing: what a statement queued (NOTIFY,
 * pg_notify(), LISTEN) takes effect once it has run outside a transaction
 * block, at COMMIT inside one. A streamed SELECT that calls pg_notify()
 * settles when its rows have been read, so it is handled when they end.
 */
export const withExtendedNotifications = <S>(
  engine: SqliteEngine,
  execute: (portal: Portal<S>, session: Session) => Effect.Effect<QueryResult, PgError>
) =>
(portal: Portal<S>, session: Session): Effect.Effect<QueryResult, PgError> =>
  Effect.flatMap(Effect.exit(execute(portal, session)), (exit) =>
    Effect.flatMap(engineSession(engine, session), (sqlite) => {
      if (Exit.isSuccess(exit) && exit.value._tag === "Rows" && /pg_notify/i.test(portal.sql)) {
        const r = exit.value
        return Effect.succeed(
          QueryResult.rows({
            fields: r.fields,
            rows: Stream.ensuring(r.rows, afterExecute(session, sqlite, exit)),
            tag: r.tag,
            transaction: r.transaction
          })
        )
      }
      return Effect.zipRight(afterExecute(session, sqlite, exit), exit)
    }))

