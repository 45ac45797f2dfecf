import { SqlState } from "@pgwire-ts/protocol"
import { Chunk, Effect, Metric, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import { copyHandlerResult, MAYBE_COPY } from "../handlers/CopyHandler.js"
import { type SimpleQueryHandlerShape, type StatementHandler, statementHandlerOf } from "../handlers/SimpleQueryHandler.js"
import { type QueryResult, type Row, rowsIterable, type RowsResult, type TransactionChange } from "../results/QueryResult.js"
import { RowEncoder } from "../results/RowEncoder.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { TransactionStatus } from "../session/Session.js"
import { splitStatements } from "../sql/splitStatements.js"
import type { Conn } from "./Conn.js"
import type { ConnectionEnd, ConnectionLost } from "./ConnectionErrors.js"
import { queryErrors, queriesTotal } from "./metrics.js"
import { runCopy } from "./Copy.js"
import { Phase } from "./Phase.js"
import { runGuarded } from "./QueryRun.js"

// Execute (ExtendedQuery.ts) runs its work the same way.
export { runGuarded }

/**
 * Runs one Query message: each statement's result as the handler produces it,
 * rows streamed through the outbox, then ReadyForQuery. A handler failure ends
 * the query string with ErrorResponse; a defect becomes XX000 (logged); a
 * cancel becomes 57014. Returns the next phase.
 */
export const runSimpleQuery = (conn: Conn, sql: string): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    yield* Metric.increment(queriesTotal)
    const handler = conn.env.simpleQuery
    let error: PgError | undefined
    if (handler === undefined && conn.env.copyHandler === undefined) {
      error = notSupported()
    } else {
      error = yield* runGuarded(conn, queryWork(conn, handler, sql))
    }
    if (error !== undefined) {
      yield* Metric.increment(queryErrors)
      if (conn.transactionStatus === "T") conn.transactionStatus = "E"
      conn.sendError(error.toFields())
      if (error.isFatal) {
        yield* conn.flush
        return Phase.Closed({ reason: "fatal error" })
      }
    }
    conn.send({ _tag: "ReadyForQuery", status: conn.transactionStatus })
    yield* conn.flush
    return Phase.Ready({ transactionStatus: conn.transactionStatus })
  }).pipe(
    Effect.withSpan("pgwire.query", {
      attributes: { "db.statement": sql.length > 2048 ? sql.slice(0, 2048) : sql },
      captureStackTrace: false
    })
  )

const notSupported = () => PgError.make(SqlState.FeatureNotSupported, "the simple query protocol is not supported by this server")

/** Without a SimpleQueryHandler (but with a CopyHandler): every statement that is not a COPY. */
const noQueryHandler: StatementHandler = () => Effect.fail(notSupported())

/**
 * Every result of the query string, sent as produced; EmptyQueryResponse when
 * there is none. COPY statements go to the CopyHandler when there is one.
 */
const queryWork = (
  conn: Conn,
  handler: SimpleQueryHandlerShape | undefined,
  sql: string
): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> => {
  const session = conn.session!
  const copy = conn.env.copyHandler
  const statementHandler = handler === undefined ? noQueryHandler : statementHandlerOf(handler.handle)
  const perStatement: StatementHandler | undefined =
    statementHandler === undefined || copy === undefined
      ? statementHandler
      : (statement, s) => copyHandlerResult(copy, statement, s) ?? statementHandler(statement, s)
  if (perStatement !== undefined) {
    // perStatement handlers: call the statement function in a plain loop (no Stream machinery per query).
    return Effect.suspend(() => {
      const statements = splitStatements(sql)
      if (statements.length === 0) {
        conn.send({ _tag: "EmptyQueryResponse" })
        return Effect.void
      }
      let i = 0
      const next: Effect.Effect<void, PgError | ConnectionLost, CurrentSession> = Effect.suspend(() =>
        i < statements.length
          ? Effect.flatMap(perStatement(statements[i++]!, session), (r) => Effect.zipRight(sendResult(conn, r), next))
          : Effect.void
      )
      return next
    })
  }
  // A whole-string handler gets COPY statements too, unless the string is a single one.
  if (copy !== undefined && MAYBE_COPY.test(sql)) {
    const statements = splitStatements(sql)
    const result = statements.length === 1 ? copyHandlerResult(copy, statements[0]!, session) : undefined
    if (result !== undefined) return Effect.flatMap(result, (r) => sendResult(conn, r))
  }
  let results = 0
  return Stream.runForEach(Stream.suspend(() => handler!.handle(sql, session)), (r) => {
    results++
    return sendResult(conn, r)
  }).pipe(
    Effect.zipRight(
      Effect.sync(() => {
        if (results === 0) conn.send({ _tag: "EmptyQueryResponse" })
      })
    )
  )
}

const sendResult = (conn: Conn, r: QueryResult): Effect.Effect<void, ConnectionLost | PgError, CurrentSession> => {
  switch (r._tag) {
    case "Empty":
      return Effect.sync(() => conn.send({ _tag: "EmptyQueryResponse" }))
    case "Command":
      return Effect.suspend(() => {
        conn.send({ _tag: "CommandComplete", tag: r.tag })
        applyTransaction(conn, r.transaction)
        return conn.flushIfFull
      })
    case "Rows":
      return sendRows(conn, r)
    case "CopyIn":
    case "CopyOut":
    case "CopyBoth":
      return runCopy(conn, r)
  }
}

const sendRows = (conn: Conn, r: RowsResult): Effect.Effect<void, ConnectionLost | PgError> =>
  Effect.suspend(() => {
    const encoder = new RowEncoder(r.fields)
    conn.send({
      _tag: "RowDescription",
      fields: r.fields.map((f) => ({ ...f, format: 0 }))
    })
    let count = 0
    const outbox = conn.outbox
    const limit = outbox.flushBytes
    // Encodes rows straight into the outbox, flushing (and waiting for the socket) whenever it is full.
    const encodeFrom = (it: Iterator<Row>): Effect.Effect<void, ConnectionLost> => {
      const loop: Effect.Effect<void, ConnectionLost> = Effect.suspend(() => {
        for (let n = it.next(); n.done !== true; n = it.next()) {
          encoder.encode(outbox.w, n.value)
          count++
          if (outbox.w.length >= limit) return Effect.zipRight(conn.flush, loop)
        }
        return Effect.void
      })
      return loop
    }
    const complete = Effect.suspend(() => {
      conn.send({ _tag: "CommandComplete", tag: r.tag ?? `SELECT ${count}` })
      applyTransaction(conn, r.transaction)
      return conn.flushIfFull
    })
    const iterable = rowsIterable(r)
    const rows =
      iterable !== undefined
        ? Effect.suspend(() => encodeFrom(iterable[Symbol.iterator]()))
        : Stream.runForEachChunk(r.rows, (chunk: Chunk.Chunk<Row>) => encodeFrom(Chunk.toReadonlyArray(chunk)[Symbol.iterator]()))
    return Effect.zipRight(rows, complete)
  })

const applyTransaction = (conn: Conn, change: TransactionChange | undefined): void => {
  if (change === undefined) return
  conn.transactionStatus = nextStatus(conn.transactionStatus, change)
}

export const nextStatus = (status: TransactionStatus, change: TransactionChange): TransactionStatus =>
  change === "begin"
    ? (status === "I" ? "T" : status)
    : change === "rollbackToSavepoint"
      ? (status === "E" ? "T" : status)
      : "I"
