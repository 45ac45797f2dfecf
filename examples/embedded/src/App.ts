/**
 * The whole application as one Layer: the todo store, the HTTP API it always
 * had, and the PostgreSQL front door added beside it. Both doors are given
 * the same `TodoStore`, so a todo added through one is read through the
 * other; closing the Layer's scope stops both listeners (the PostgreSQL one
 * drains its sessions first) and drops the store.
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Server, type ServerError } from "@pgwire-ts/server"
import type { ServeError } from "@effect/platform/HttpServerError"
import { Layer } from "effect"
import { createServer } from "node:http"
import { router } from "./HttpApi.js"
import { TodoExtendedHandler, TodoQueryParser, TodoSqlHandler } from "./TodoSqlHandler.js"
import { TodoStore } from "./TodoStore.js"

export interface AppOptions {
  readonly host?: string | undefined
  /** HTTP port (0: any free port; read it from `HttpServer.address`). */
  readonly httpPort: number
  /** PostgreSQL port (0: any free port; read it from `Server.address`). */
  readonly pgPort: number
  /** Todos the store starts with. */
  readonly todos?: ReadonlyArray<string> | undefined
  /** How long running SQL queries may finish on shutdown (default 10 seconds). */
  readonly shutdownGracePeriod?: number | undefined
}

/** The existing app: HTTP API over the store. */
const HttpLive = (options: AppOptions) =>
  HttpServer.serve(router).pipe(
    Layer.provideMerge(NodeHttpServer.layer(() => createServer(), { host: options.host ?? "127.0.0.1", port: options.httpPort }))
  )

/** The new front door: a PostgreSQL server whose handler reads and writes the same store. */
const PostgresLive = (options: AppOptions) =>
  Server.layer({
    host: options.host ?? "127.0.0.1",
    port: options.pgPort,
    shutdownGracePeriod: options.shutdownGracePeriod ?? 10_000
  }).pipe(Layer.provide(Layer.mergeAll(TodoSqlHandler, TodoQueryParser, TodoExtendedHandler)))

export const AppLive = (options: AppOptions): Layer.Layer<HttpServer.HttpServer | Server, ServeError | ServerError> =>
  Layer.mergeAll(HttpLive(options), PostgresLive(options)).pipe(Layer.provide(TodoStore.layer(options.todos)))
