import { Context, Effect, Layer, type Scope } from "effect"
import type { PgError } from "../errors/PgError.js"
import type { Field } from "../results/Field.js"
import type { QueryResult } from "../results/QueryResult.js"
import type { FormatCode } from "../results/RowEncoder.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Session } from "../session/Session.js"

/** A bound statement, ready to run: what the ExtendedQueryHandler executes. */
export interface Portal<S = unknown> {
  /** Portal name ("" = the unnamed portal). */
  readonly name: string
  /** Name of the prepared statement it was bound from ("" = unnamed). */
  readonly statementName: string
  /** The statement text as the client sent it in Parse. */
  readonly sql: string
  /** The QueryParser's parsed form. */
  readonly statement: S
  /** The statement's parameter type OIDs (as the QueryParser inferred them). */
  readonly parameterTypes: ReadonlyArray<number>
  /**
   * Bind's values decoded with each parameter type's codec (text or binary as
   * sent): int4 → number, int8 → bigint, text → string, bytea → Uint8Array...
   * (see `codecForOid`); `null` for SQL NULL. OID 0 decodes as text.
   */
  readonly parameters: ReadonlyArray<unknown>
  /** The statement's result columns (undefined: no rows). */
  readonly fields: ReadonlyArray<Field> | undefined
  /** One format code per result column (Bind's 0/1/n codes resolved). */
  readonly resultFormats: ReadonlyArray<FormatCode>
}

/**
 * Runs a portal: the same result shapes as a simple-query statement. The
 * server sends a Rows result's rows (Iterable or Stream) as the client asks
 * for them, Execute's row limit included: a Stream is only pulled as far as
 * the client reads. The server provides `CurrentSession` (the same `session`).
 */
export interface ExtendedQueryHandlerShape<S = unknown> {
  readonly execute: (portal: Portal<S>, session: Session) => Effect.Effect<QueryResult, PgError, CurrentSession>
}

export class ExtendedQueryHandler extends Context.Tag("@pgwire-ts/server/ExtendedQueryHandler")<
  ExtendedQueryHandler,
  ExtendedQueryHandlerShape
>() {
  /** `S` is the statement type of the QueryParser it is used with. */
  static layer<S>(execute: ExtendedQueryHandlerShape<S>["execute"]): Layer.Layer<ExtendedQueryHandler> {
    return Layer.succeed(ExtendedQueryHandler, { execute: execute as ExtendedQueryHandlerShape["execute"] })
  }

  static layerEffect<S, E, R>(
    make: Effect.Effect<ExtendedQueryHandlerShape<S>["execute"], E, R>
  ): Layer.Layer<ExtendedQueryHandler, E, Exclude<R, Scope.Scope>> {
    return Layer.scoped(
      ExtendedQueryHandler,
      Effect.map(make, (execute): ExtendedQueryHandlerShape => ({ execute: execute as ExtendedQueryHandlerShape["execute"] }))
    )
  }
}
