import { SqlState } from "@pgwire-ts/protocol"
import { Cause, Chunk, Deferred, Effect, Exit, Metric, Option, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import type { QueryResult, RowsResult, TransactionChange } from "../results/QueryResult.js"
import { RowEncodeError, RowEncoder } from "../results/RowEncoder.js"
import type { TransactionStatus } from "../session/Session.js"
import type { Conn } from "./Conn.js"
import { type ConnectionEnd, ConnectionLost } from "./ConnectionErrors.js"
import { queryErrors, queriesTotal } from "./metrics.js"
import { Phase } from "./Phase.js"

/** The query was cancelled by a CancelRequest. */
class Cancelled {
  readonly _tag = "Cancelled"
}

const canceledError = PgError.make(SqlState.QueryCanceled, "canceling statement due to user request")

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
    const session = conn.session!
    let error: PgError | undefined
    if (handler === undefined) {
      error = PgError.make(SqlState.FeatureNotSupported, "the simple query protocol is not supported by this server")
    } else {
      let results = 0
      const run = Stream.runForEach(
        Stream.suspend(() => handler.handle(sql, session)),
        (r) => {
          results++
          return sendResult(conn, r)
        }
      ).pipe(
        Effect.zipRight(
          Effect.sync(() => {
            if (results === 0) conn.send({ _tag: "EmptyQueryResponse" })
          })
        )
      )
      const exit = yield* guarded(conn, run)
      if (Exit.isFailure(exit)) error = yield* toPgError(exit.cause)
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
  }).pipe(Effect.withSpan("pgwire.query", { attributes: { "db.statement": sql.length > 2048 ? sql.slice(0, 2048) : sql } }))

/**
 * Runs the handler's work so that a CancelRequest interrupts it (57014) and a
 * client that goes away interrupts it (the connection then ends).
 */
const guarded = <E>(conn: Conn, run: Effect.Effect<void, E>) =>
  Effect.gen(function* () {
    const cancelled = yield* Deferred.make<void>()
    const entry = conn.env.registry.entry(conn.processId)
    if (entry !== undefined) entry.cancel = () => Deferred.unsafeDone(cancelled, Exit.void)
    const exit = yield* Effect.exit(
      Effect.raceFirst(
        run,
        Effect.raceFirst(
          Effect.zipRight(Deferred.await(cancelled), Effect.fail(new Cancelled())),
          Effect.zipRight(conn.transport.peerClosed, Effect.fail(new ConnectionLost({})))
        )
      )
    )
    if (entry !== undefined) entry.cancel = () => {}
    return exit
  })

/** Turns how the query failed into the ErrorResponse to send; connection loss is re-raised. */
const toPgError = (cause: Cause.Cause<unknown>): Effect.Effect<PgError, ConnectionLost> => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (e instanceof PgError) return Effect.succeed(e)
    if (e instanceof Cancelled) return Effect.succeed(canceledError)
    if (e instanceof ConnectionLost) return Effect.fail(e)
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
    // Encode a chunk's rows straight into the outbox, flushing (and waiting for the socket) whenever it is full.
    const encodeChunk = (rows: Chunk.Chunk<unknown>): Effect.Effect<void, ConnectionLost> => {
      const arr = Chunk.toReadonlyArray(rows)
      let i = 0
      const loop: Effect.Effect<void, ConnectionLost> = Effect.suspend(() => {
        const n = arr.length
        while (i < n) {
          encoder.encode(outbox.w, arr[i] as never)
          i++
          count++
          if (outbox.w.length >= limit) return Effect.zipRight(conn.flush, loop)
        }
        return Effect.void
      })
      return loop
    }
    return Stream.runForEachChunk(r.rows, encodeChunk).pipe(
      Effect.zipRight(
        Effect.sync(() => {
          conn.send({ _tag: "CommandComplete", tag: r.tag ?? `SELECT ${count}` })
          applyTransaction(conn, r.transaction)
        })
      ),
      Effect.zipRight(conn.flushIfFull)
    )
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
