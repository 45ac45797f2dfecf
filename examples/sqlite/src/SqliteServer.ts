import { AuthSource, Credential, Server, type ServerError, type ServerOptions } from "@pgwire-ts/server"
import { Layer } from "effect"
import { SqliteExtendedQuery } from "./SqliteExtended.js"
import { ChangeCaptureLive, SqliteReplicationHandler, type SqliteReplicationOptions } from "./replication/SqliteReplicationHandler.js"
import { SqliteDatabase, SqliteQueryHandler } from "./SqliteQueryHandler.js"
import type { SqlError } from "./engine/SqlError.js"

export interface SqliteServerOptions {
  readonly host?: string
  /** 0 picks a free port (read it from the `Server` service). */
  readonly port?: number
  /** `:memory:` (default) or a database file. */
  readonly database?: string
  /** With a user and password, clients must log in with SCRAM-SHA-256; without, every login is trusted. */
  readonly user?: string
  readonly password?: string
  /** PEM certificate and key: TLS is offered (SSLRequest and direct TLS). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
  /** Most SQLite connections at once (see EngineOptions.maxLanes). */
  readonly maxLanes?: number
  /** Passed to the server as they are (limits, timeouts). */
  readonly server?: Omit<ServerOptions, "host" | "port" | "tls" | "auth">
  /**
   * Logical replication (replication=database connections, publications,
   * slots, pgoutput from a change log kept by triggers): on by default; false
   * leaves the database without the `_pgwire_*` tables.
   */
  readonly replication?: boolean | SqliteReplicationOptions
}

/**
 * A PostgreSQL-protocol server in front of a SQLite database: `Server` while
 * the layer's scope is open. The database opens first and closes last.
 */
export const layer = (options: SqliteServerOptions = {}): Layer.Layer<Server | SqliteDatabase, ServerError | SqlError> => {
  const secured = options.user !== undefined && options.password !== undefined
  const replication = options.replication ?? true
  // Change capture is read by the query handler too, so it is built once, below both.
  const handlers = replication === false
    ? Layer.merge(SqliteQueryHandler, SqliteExtendedQuery)
    : Layer.mergeAll(SqliteQueryHandler, SqliteExtendedQuery, SqliteReplicationHandler(replication === true ? {} : replication)).pipe(
      Layer.provide(ChangeCaptureLive)
    )
  const server = Server.layer({
    ...options.server,
    host: options.host ?? "127.0.0.1",
    port: options.port ?? 5432,
    tls: options.tls,
    auth: secured ? "scram-sha-256" : "trust"
  }).pipe(
    Layer.provide(handlers),
    Layer.provide(secured ? AuthSource.fromRecord({ [options.user!]: Credential.scram(options.password!) }) : Layer.empty)
  )
  return Layer.provideMerge(
    server,
    SqliteDatabase.layer({
      database: options.database ?? ":memory:",
      changeCapture: replication !== false,
      ...(options.maxLanes === undefined ? {} : { maxLanes: options.maxLanes })
    })
  )
}
