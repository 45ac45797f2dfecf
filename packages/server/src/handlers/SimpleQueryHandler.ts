import { Context, Effect, Layer, Stream } from "effect"
import type { PgError } from "../errors/PgError.js"
import type { QueryResult } from "../results/QueryResult.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Session } from "../session/Session.js"
import { splitStatements } from "../sql/splitStatements.js"

/**
 * Answers a simple-protocol Query message: one result per statement, in order.
 * The server provides `CurrentSession` (the same `session`) to what it runs.
 */
export interface SimpleQueryHandlerShape {
  readonly handle: (query: string, session: Session) => Stream.Stream<QueryResult, PgError, CurrentSession>
}

export type StatementHandler = (statement: string, session: Session) => Effect.Effect<QueryResult, PgError, CurrentSession>

export class SimpleQueryHandler extends Context.Tag("@pgwire-ts/server/SimpleQueryHandler")<
  SimpleQueryHandler,
  SimpleQueryHandlerShape
>() {
  static layer(handle: SimpleQueryHandlerShape["handle"]): Layer.Layer<SimpleQueryHandler> {
    return Layer.succeed(SimpleQueryHandler, { handle })
  }

  static layerEffect<E, R>(
    make: Effect.Effect<SimpleQueryHandlerShape["handle"], E, R>
  ): Layer.Layer<SimpleQueryHandler, E, Exclude<R, import("effect/Scope").Scope>> {
    return Layer.scoped(SimpleQueryHandler, Effect.map(make, (handle) => ({ handle })))
  }

  /** Splits each query string with `splitStatements` and runs `f` once per statement, in order. */
  static perStatement(f: StatementHandler): Layer.Layer<SimpleQueryHandler> {
    return SimpleQueryHandler.layer(perStatement(f))
  }
}

// The statement function behind each perStatement `handle`: the server calls it directly, skipping the Stream.
const statementHandlers = new WeakMap<SimpleQueryHandlerShape["handle"], StatementHandler>()

/** The per-statement function a `handle` was made from by `perStatement` (internal fast path). */
export const statementHandlerOf = (handle: SimpleQueryHandlerShape["handle"]): StatementHandler | undefined =>
  statementHandlers.get(handle)

/** The `handle` function of `SimpleQueryHandler.perStatement`. */
export const perStatement = (f: StatementHandler): SimpleQueryHandlerShape["handle"] => {
  const handle: SimpleQueryHandlerShape["handle"] = (query, session) =>
    Stream.fromIterable(splitStatements(query)).pipe(Stream.mapEffect((statement) => f(statement, session)))
  statementHandlers.set(handle, f)
  return handle
}
