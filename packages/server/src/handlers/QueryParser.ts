import { Context, Effect, Layer, type Scope } from "effect"
import type { PgError } from "../errors/PgError.js"
import type { Field } from "../results/Field.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Session } from "../session/Session.js"

/**
 * What a Parse message turns into: the user's own parsed form of the
 * statement, and what Describe reports about it.
 */
export interface ParsedStatement<S = unknown> {
  /** The user's parsed form, handed back to the ExtendedQueryHandler in each portal. */
  readonly statement: S
  /**
   * One type OID per parameter ($1..$n), sent in ParameterDescription and used
   * to decode Bind's values. The client's OIDs (0 = unspecified) are a hint.
   */
  readonly parameterTypes: ReadonlyArray<number>
  /**
   * The result columns (RowDescription), or `undefined` when the statement
   * returns no rows (NoData). Execute encodes DataRows with these types.
   */
  readonly fields: ReadonlyArray<Field> | undefined
}

/** Turns a statement text plus the client's parameter type OIDs (0 = unknown) into a ParsedStatement. */
export interface QueryParserShape<S = unknown> {
  readonly parse: (
    sql: string,
    parameterTypes: ReadonlyArray<number>,
    session: Session
  ) => Effect.Effect<ParsedStatement<S>, PgError, CurrentSession>
}

/**
 * The parser behind Parse messages. Without one (or without an
 * ExtendedQueryHandler), Parse answers 0A000.
 */
export class QueryParser extends Context.Tag("@pgwire-ts/server/QueryParser")<QueryParser, QueryParserShape>() {
  static layer<S>(parse: QueryParserShape<S>["parse"]): Layer.Layer<QueryParser> {
    return Layer.succeed(QueryParser, { parse })
  }

  static layerEffect<S, E, R>(
    make: Effect.Effect<QueryParserShape<S>["parse"], E, R>
  ): Layer.Layer<QueryParser, E, Exclude<R, Scope.Scope>> {
    return Layer.scoped(QueryParser, Effect.map(make, (parse): QueryParserShape => ({ parse })))
  }
}
