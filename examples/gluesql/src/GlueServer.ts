/** The GlueSQL server: the query handler and the whole server as one Layer. */
import { Server, type ServerError, type ServerOptions, SimpleQueryHandler, splitStatements, type PgError } from "@pgwire-ts/server"
import { Effect, Layer, Stream } from "effect"
import { GlueDatabase } from "./GlueDatabase.js"

/** Simple query: each statement of the query string in turn, on the shared database. */
export const GlueQueryHandler: Layer.Layer<SimpleQueryHandler, never, GlueDatabase> = SimpleQueryHandler.layerEffect(
  Effect.map(GlueDatabase, (db) => (query: string) =>
    Stream.fromIterable(splitStatements(query)).pipe(
      Stream.mapEffect(db.run),
      Stream.flattenIterables
    )
  )
)

export interface GlueServerOptions extends ServerOptions {
  /** Statements run once at start (CREATE TABLE, INSERT...). */
  readonly setup?: ReadonlyArray<string> | undefined
}

export const layer = (options: GlueServerOptions = {}): Layer.Layer<Server, ServerError | PgError> => {
  const { setup, ...serverOptions } = options
  return Server.layer(serverOptions).pipe(Layer.provide(GlueQueryHandler), Layer.provide(GlueDatabase.layer(setup)))
}
