import { type CopyColumns, CopyOptionsError, type CopyStatement, parseCopyStatement, SqlState } from "@pgwire-ts/protocol"
import { Context, Effect, Layer, type Scope } from "effect"
import { type CopyFromOptions, type CopyToOptions, copyFrom, copyTo } from "../copy/CopyRows.js"
import { PgError } from "../errors/PgError.js"
import type { QueryResult } from "../results/QueryResult.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Session } from "../session/Session.js"

/** Where the rows of a COPY FROM STDIN go. */
export interface CopyFromTarget {
  /** `oids` decode rows to JS values; `count`/`names` fix their width (see `QueryResult.copyFrom`). */
  readonly columns?: CopyColumns | undefined
  /** Stores the rows, returns how many; store nothing unless the stream ends normally (CopyFail). */
  readonly consume: CopyFromOptions["consume"]
}

/** Where the rows of a COPY TO STDOUT come from. */
export interface CopyToSource {
  /** `names` for HEADER, `oids` for the codecs. */
  readonly columns?: CopyColumns | undefined
  readonly rows: CopyToOptions["rows"]
}

/**
 * COPY at the row level: the server recognizes `COPY ... FROM STDIN` and
 * `COPY ... TO STDOUT` statements (with `parseCopyStatement`: table, columns,
 * query, options in either syntax), runs the copy sub-protocol and the
 * format (text, CSV, binary), and asks this handler only where rows go or
 * come from. A direction the handler leaves out answers 0A000.
 */
export interface CopyHandlerShape {
  readonly copyFrom?: ((copy: CopyStatement, session: Session) => Effect.Effect<CopyFromTarget, PgError, CurrentSession>) | undefined
  readonly copyTo?: ((copy: CopyStatement, session: Session) => Effect.Effect<CopyToSource, PgError, CurrentSession>) | undefined
}

/**
 * The CopyHandler service. The server consults it for simple-query
 * statements before the SimpleQueryHandler: with a `perStatement` handler
 * (or none) for every COPY statement of a query string, with a whole-string
 * `handle` when the query string is a single COPY statement. A handler can
 * also return `QueryResult.copyFrom` / `copyTo` itself (the only way in the
 * extended protocol).
 */
export class CopyHandler extends Context.Tag("@pgwire-ts/server/CopyHandler")<CopyHandler, CopyHandlerShape>() {
  static layer(handler: CopyHandlerShape): Layer.Layer<CopyHandler> {
    return Layer.succeed(CopyHandler, handler)
  }

  static layerEffect<E, R>(make: Effect.Effect<CopyHandlerShape, E, R>): Layer.Layer<CopyHandler, E, Exclude<R, Scope.Scope>> {
    return Layer.scoped(CopyHandler, make)
  }
}

/** Statements that may be COPY: a cheap test before parsing. */
export const MAYBE_COPY = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*copy\b/i

/**
 * The result of `statement` when it is a COPY to or from the client and a
 * CopyHandler is present; undefined to let the query handler answer it.
 */
export const copyHandlerResult = (
  handler: CopyHandlerShape | undefined,
  statement: string,
  session: Session
): Effect.Effect<QueryResult, PgError, CurrentSession> | undefined => {
  if (handler === undefined || !MAYBE_COPY.test(statement)) return undefined
  let copy: CopyStatement | undefined
  try {
    copy = parseCopyStatement(statement)
  } catch (e) {
    if (e instanceof CopyOptionsError) return Effect.fail(PgError.make(e.sqlState, e.reason))
    throw e
  }
  if (copy === undefined) return undefined
  const c = copy
  if (c.direction === "from") {
    if (handler.copyFrom === undefined) return Effect.fail(notSupported("COPY FROM STDIN"))
    return Effect.map(handler.copyFrom(c, session), (t) => copyFrom({ copy: c, columns: t.columns, consume: t.consume }))
  }
  if (handler.copyTo === undefined) return Effect.fail(notSupported("COPY TO STDOUT"))
  return Effect.flatMap(handler.copyTo(c, session), (s) =>
    Effect.try({
      try: () => copyTo({ copy: c, columns: s.columns, rows: s.rows }),
      catch: (e) => (e instanceof CopyOptionsError ? PgError.make(e.sqlState, e.reason) : PgError.make(SqlState.InternalError, String(e)))
    })
  )
}

const notSupported = (what: string) => PgError.make(SqlState.FeatureNotSupported, `${what} is not supported by this server`)
