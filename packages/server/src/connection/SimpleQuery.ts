import { SqlState } from "@pgwire-ts/protocol"
import { Cause, Chunk, Effect, Exit, Fiber, FiberId, Metric, Option, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import { type SimpleQueryHandlerShape, statementHandlerOf } from "../handlers/SimpleQueryHandler.js"
import { type QueryResult, type Row, rowsIterable, type RowsResult, type TransactionChange } from "../results/QueryResult.js"
import { RowEncodeError, RowEncoder } from "../results/RowEncoder.js"
import type { TransactionStatus } from "../session/Session.js"
import { splitStatements } from "../sql/splitStatements.js"
import type { Conn } from "./Conn.js"
import { type ConnectionEnd, ConnectionLost } from "./ConnectionErrors.js"
import { queryErrors, queriesTotal } from "./metrics.js"
import { Phase } from "./Phase.js"

const canceledError = () => PgError.make(SqlState.QueryCanceled, "canceling statement due to user request")

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
    if (handler === undefined) {
      error = PgError.make(SqlState.FeatureNotSupported, "the simple query protocol is not supported by this server")
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

/** Every result of the query string, sent as produced; EmptyQueryResponse when there is none. */
const queryWork = (conn: Conn, handler: SimpleQueryHandlerShape, sql: string): Effect.Effect<void, PgError | ConnectionLost> => {
  const session = conn.session!
  const perStatement = statementHandlerOf(handler.handle)
  if (perStatement !== undefined) {
    // perStatement handlers: call the statement function in a plain loop (no Stream machinery per query).
    return Effect.suspend(() => {
      const statements = splitStatements(sql)
      if (statements.length === 0) {
        conn.send({ _tag: "EmptyQueryResponse" })
        return Effect.void
      }
      let i = 0
      const next: Effect.Effect<void, PgError | ConnectionLost> = Effect.suspend(() =>
        i < statements.length
          ? Effect.flatMap(perStatement(statements[i++]!, session), (r) => Effect.zipRight(sendResult(conn, r), next))
          : Effect.void
      )
      return next
    })
  }
  let results = 0
  return Stream.runForEach(Stream.suspend(() => handler.handle(sql, session)), (r) => {
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

/**
 * Runs the handler's work in a child fiber that a CancelRequest (57014) or
 * the client going away (the connection then ends) can interrupt. Returns the
 * error to send, if any.
 */
const runGuarded = (conn: Conn, work: Effect.Effect<void, PgError | ConnectionLost>) =>
  Effect.gen(function* () {
    let cancelled = false
    let lost = false
    const fiber = yield* Effect.fork(work)
    const entry = conn.env.registry.entry(conn.processId)
    if (entry !== undefined) {
      entry.cancel = () => {
        cancelled = true
        fiber.unsafeInterruptAsFork(FiberId.none)
      }
    }
    conn.transport.setPeerClosedHandler(() => {
      lost = true
      fiber.unsafeInterruptAsFork(FiberId.none)
    })
    const exit = yield* Fiber.await(fiber)
    if (entry !== undefined) entry.cancel = () => {}
    conn.transport.setPeerClosedHandler(undefined)
    if (lost) return yield* new ConnectionLost({})
    if (Exit.isSuccess(exit)) return undefined
    if (cancelled && Cause.isInterruptedOnly(exit.cause)) return canceledError()
    return yield* toPgError(exit.cause)
  })

/** Turns how the query failed into the ErrorResponse to send; connection loss is re-raised. */
const toPgError = (cause: Cause.Cause<PgError | ConnectionLost>): Effect.Effect<PgError, ConnectionLost> => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (e instanceof ConnectionLost) return Effect.fail(e)
    return Effect.succeed(e)
  }
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect) && defect.value instanceof RowEncodeError) {
    return Effect.as(
      Effect.logError("query handler produced a row that cannot be encoded", cause),
      PgError.make(SqlState.InternalError, defect.value.message)
    )
  }
  return Effect.as(
    Effect.logError("query handler failed", cause),
    PgError.make(SqlState.InternalError, "internal error in the query handler")
  )
}

const sendResult = (conn: Conn, r: QueryResult): Effect.Effect<void, ConnectionLost | PgError> => {
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
