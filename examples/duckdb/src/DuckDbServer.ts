/**
 * The DuckDB server: its handlers (every statement runs on the session's
 * DuckDB connection) and `layer`, the whole server as one Layer.
 */
import {
  ExtendedQueryHandler,
  perStatement,
  type Portal,
  QueryParser,
  Server,
  type ServerError,
  type ServerOptions,
  SimpleQueryHandler
} from "@pgwire-ts/server"
import { Effect, Layer } from "effect"
import { DuckDbDatabase, type DuckDbDatabaseOptions, type DuckDbOpenError } from "./DuckDbDatabase.js"
import { type DuckDbStatement, executeStatement, prepareStatement } from "./DuckDbPrepared.js"
import { runStatement, sessionConnection } from "./DuckDbSession.js"

/** Simple query over the database: each statement of a query string in turn. */
export const DuckDbQueryHandler: Layer.Layer<SimpleQueryHandler, never, DuckDbDatabase> = SimpleQueryHandler.layerEffect(
  Effect.map(DuckDbDatabase, ({ instance }) =>
    perStatement((statement, session) =>
      Effect.flatMap(sessionConnection(instance, session), (connection) => runStatement(connection, statement))
    )
  )
)

/** Parse: a DuckDB prepared statement on the session's connection, with its parameter and column types. */
export const DuckDbQueryParser: Layer.Layer<QueryParser, never, DuckDbDatabase> = QueryParser.layerEffect(
  Effect.map(DuckDbDatabase, ({ instance }) => (sql: string, parameterTypes: ReadonlyArray<number>, session) =>
    Effect.flatMap(sessionConnection(instance, session), (connection) => prepareStatement(connection, sql, parameterTypes))
  )
)

/** Execute: binds a portal's parameters to its prepared statement and streams the result. */
export const DuckDbExtendedHandler: Layer.Layer<ExtendedQueryHandler, never, DuckDbDatabase> = ExtendedQueryHandler.layerEffect(
  Effect.map(DuckDbDatabase, ({ instance }) => (portal: Portal<DuckDbStatement>, session) =>
    Effect.flatMap(sessionConnection(instance, session), (connection) =>
      executeStatement(connection, portal.statement, portal.parameterTypes, portal.parameters)
    )
  )
)

export interface DuckDbServerOptions extends ServerOptions {
  readonly database?: DuckDbDatabaseOptions | undefined
}

/** A listening server over a DuckDB database (simple and extended query); both close with the layer's scope. */
export const layer = (options: DuckDbServerOptions = {}): Layer.Layer<Server, ServerError | DuckDbOpenError> => {
  const { database, ...serverOptions } = options
  return Server.layer(serverOptions).pipe(
    Layer.provide(Layer.mergeAll(DuckDbQueryHandler, DuckDbQueryParser, DuckDbExtendedHandler)),
    Layer.provide(DuckDbDatabase.layer(database))
  )
}
