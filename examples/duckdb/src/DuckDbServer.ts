/**
 * The DuckDB server: the query handler (every statement runs on the
 * session's DuckDB connection) and `layer`, the whole server as one Layer.
 */
import { perStatement, Server, type ServerError, type ServerOptions, SimpleQueryHandler } from "@pgwire-ts/server"
import { Effect, Layer } from "effect"
import { DuckDbDatabase, type DuckDbDatabaseOptions, type DuckDbOpenError } from "./DuckDbDatabase.js"
import { runStatement, sessionConnection } from "./DuckDbSession.js"

/** Simple query over the database: each statement of a query string in turn. */
export const DuckDbQueryHandler: Layer.Layer<SimpleQueryHandler, never, DuckDbDatabase> = SimpleQueryHandler.layerEffect(
  Effect.map(DuckDbDatabase, ({ instance }) =>
    perStatement((statement, session) =>
      Effect.flatMap(sessionConnection(instance, session), (connection) => runStatement(connection, statement))
    )
  )
)

export interface DuckDbServerOptions extends ServerOptions {
  readonly database?: DuckDbDatabaseOptions | undefined
}

/** A listening server over a DuckDB database; both close with the layer's scope. */
export const layer = (options: DuckDbServerOptions = {}): Layer.Layer<Server, ServerError | DuckDbOpenError> => {
  const { database, ...serverOptions } = options
  return Server.layer(serverOptions).pipe(
    Layer.provide(DuckDbQueryHandler),
    Layer.provide(DuckDbDatabase.layer(database))
  )
}
