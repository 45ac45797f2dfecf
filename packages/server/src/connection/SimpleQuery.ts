import { SqlState } from "@pgwire-ts/protocol"
import { Chunk, Effect, Exit, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import { copyHandlerResult, MAYBE_COPY } from "../handlers/CopyHandler.js"
import { type SimpleQueryHandlerShape, type StatementHandler, statementHandlerOf } from "../handlers/SimpleQueryHandler.js"
import { type QueryResult, type Row, rowsIterable, type RowsResult, type TransactionChange } from "../results/QueryResult.js"
import { type Field, fieldDescription } from "../results/Field.js"
import { RowEncoder } from "../results/RowEncoder.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { TransactionStatus } from "../session/Session.js"
import { splitStatements } from "../sql/splitStatements.js"
import type { Conn } from "./Conn.js"
import type { ConnectionEnd, ConnectionLost } from "./ConnectionErrors.js"
import { queryErrors, queriesTotal } from "./metrics.js"
import { runCopy } from "./Copy.js"
import { afterNow } from "./Now.js"
import { Phase } from "./Phase.js"
import { runGuarded, toPgError } from "./QueryRun.js"
import { statementAttribute, withQuerySpan } from "./querySpan.js"

// Execute (ExtendedQuery.ts) runs its work the same way.
export { runGuarded }

/**
 * Runs one Query message (at once: the Effect is built and, on the fast path,
 * already done when returned): each statement's result as the handler produces it,
 * rows streamed through the outbox, then ReadyForQuery. A handler failure ends
 * the query string with ErrorResponse; a defect becomes XX000 (logged); a
 * cancel becomes 57014. Returns the next phase.
 *
 * Fast path (perStatement handlers): the statement function is called in a
 * plain loop, and a result that is already complete (`Effect.succeed(...)`,
 * which is an Exit) with Iterable rows that fit in the outbox is encoded at
 * once: no fiber, no Effect steps until ReadyForQuery is flushed. There is
 * nothing to cancel in such a statement (it never yields to the event loop).
 * From the first statement that needs more (an effect still to run, a Stream,
 * rows past the outbox's size, COPY) the rest of the query string runs through
 * `runGuarded`, cancellable as before.
 */
export const runSimpleQuery = (conn: Conn, sql: string): Effect.Effect<Phase, ConnectionEnd> =>
  conn.tracing
    ? withQuerySpan(conn, Effect.suspend(() => simpleQuery(conn, sql)), { "db.statement": statementAttribute(sql) })
    : simpleQuery(conn, sql)

const simpleQuery = (conn: Conn, sql: string): Effect.Effect<Phase, ConnectionEnd> => {
  queriesTotal.unsafeUpdate(1, conn.metricLabels)
  const handler = conn.env.simpleQuery
  if (handler === undefined && conn.env.copyHandler === undefined) return finish(conn, notSupported())
  const perStatement = statementFunction(conn, handler)
  if (perStatement === undefined) {
    return Effect.flatMap(runGuarded(conn, wholeStringWork(conn, handler!, sql)), (error) => finish(conn, error))
  }
  const statements = splitStatements(sql)
  if (statements.length === 0) {
    conn.send({ _tag: "EmptyQueryResponse" })
    return finish(conn, undefined)
  }
  const session = conn.session!
  for (let i = 0; i < statements.length; i++) {
    let result: Effect.Effect<QueryResult, PgError, CurrentSession>
    try {
      result = perStatement(statements[i]!, session)
    } catch (defect) {
      result = Effect.die(defect)
    }
    if (!Exit.isExit(result)) {
      return guarded(conn, Effect.flatMap(result, (r) => sendResult(conn, r)), perStatement, statements, i + 1)
    }
    // Already complete (Effect.succeed / Effect.fail are Exits): nothing to run.
    const exit = result as Exit.Exit<QueryResult, PgError>
    if (Exit.isFailure(exit)) return Effect.flatMap(toPgError(exit.cause), (error) => finish(conn, error))
    const rest = sendResultNow(conn, exit.value)
    if (rest !== undefined) return guarded(conn, rest, perStatement, statements, i + 1)
  }
  return finish(conn, undefined)
}

/** ErrorResponse (if any), then ReadyForQuery, flushed: the end of every Query. */
const finish = (conn: Conn, error: PgError | undefined): Effect.Effect<Phase, ConnectionEnd> => {
  if (error !== undefined) {
    queryErrors.unsafeUpdate(1, conn.metricLabels)
    if (conn.transactionStatus === "T") conn.transactionStatus = "E"
    conn.sendError(error.toFields())
    if (error.isFatal) return Effect.as(conn.flush, Phase.Closed({ reason: "fatal error" }))
  }
  conn.send({ _tag: "ReadyForQuery", status: conn.transactionStatus })
  return afterNow(conn.flushNow(), readyPhase(conn.transactionStatus))
}

// One Ready phase value per status: Phase.Ready is plain data, so no need for a new one per query.
const readyPhases = {
  I: Phase.Ready({ transactionStatus: "I" }),
  T: Phase.Ready({ transactionStatus: "T" }),
  E: Phase.Ready({ transactionStatus: "E" })
} as const
const readyPhase = (status: TransactionStatus): Phase => readyPhases[status]

/** `first`, then the statements from `from` on, in the guarded (cancellable) fiber; then finish. */
const guarded = (
  conn: Conn,
  first: Effect.Effect<void, PgError | ConnectionLost, CurrentSession>,
  perStatement: StatementHandler,
  statements: ReadonlyArray<string>,
  from: number
): Effect.Effect<Phase, ConnectionEnd> => {
  const session = conn.session!
  let i = from
  const next: Effect.Effect<void, PgError | ConnectionLost, CurrentSession> = Effect.suspend(() =>
    i < statements.length
      ? Effect.flatMap(perStatement(statements[i++]!, session), (r) => Effect.zipRight(sendResult(conn, r), next))
      : Effect.void
  )
  return Effect.flatMap(runGuarded(conn, Effect.zipRight(first, next)), (error) => finish(conn, error))
}

const notSupported = () => PgError.make(SqlState.FeatureNotSupported, "the simple query protocol is not supported by this server")

/** Without a SimpleQueryHandler (but with a CopyHandler): every statement that is not a COPY. */
const noQueryHandler: StatementHandler = () => Effect.fail(notSupported())

/**
 * The per-statement function to call, COPY statements going to the
 * CopyHandler when there is one; undefined for a whole-string handler.
 */
const statementFunction = (conn: Conn, handler: SimpleQueryHandlerShape | undefined): StatementHandler | undefined => {
  const statementHandler = handler === undefined ? noQueryHandler : statementHandlerOf(handler.handle)
  const copy = conn.env.copyHandler
  if (statementHandler === undefined || copy === undefined) return statementHandler
  return (statement, s) => copyHandlerResult(copy, statement, s) ?? statementHandler(statement, s)
}

/**
 * A whole-string handler (a Stream of results): every result sent as
 * produced; EmptyQueryResponse when there is none. A single COPY statement
 * goes to the CopyHandler when there is one.
 */
const wholeStringWork = (
  conn: Conn,
  handler: SimpleQueryHandlerShape,
  sql: string
): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> => {
  const session = conn.session!
  const copy = conn.env.copyHandler
  if (copy !== undefined && MAYBE_COPY.test(sql)) {
    const statements = splitStatements(sql)
    const result = statements.length === 1 ? copyHandlerResult(copy, statements[0]!, session) : undefined
    if (result !== undefined) return Effect.flatMap(result, (r) => sendResult(conn, r))
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

/** Sends one result: at once when it can (sendResultNow), else through its Effect. */
const sendResult = (conn: Conn, r: QueryResult): Effect.Effect<void, ConnectionLost | PgError, CurrentSession> =>
  Effect.suspend(() => sendResultNow(conn, r) ?? Effect.void)

/**
 * Sends what can be sent of a result without Effect steps: undefined when
 * it is all in the outbox, else the Effect that sends the rest (a full
 * outbox to flush, a Stream, rows past the outbox's size, a COPY).
 */
const sendResultNow = (conn: Conn, r: QueryResult): Effect.Effect<void, ConnectionLost | PgError, CurrentSession> | undefined => {
  switch (r._tag) {
    case "Empty":
      conn.send({ _tag: "EmptyQueryResponse" })
      return undefined
    case "Command":
      conn.send({ _tag: "CommandComplete", tag: r.tag })
      applyTransaction(conn, r.transaction)
      return flushIfFull(conn)
    case "Rows":
      return new RowsSender(conn, r).send()
    case "CopyIn":
    case "CopyOut":
    case "CopyBoth":
      return runCopy(conn, r)
  }
}

const textDescription = (f: Field) => fieldDescription(f, 0)

const flushIfFull = (conn: Conn): Effect.Effect<void, ConnectionLost> | undefined =>
  conn.outbox.pending >= conn.outbox.flushBytes ? conn.flush : undefined

/**
 * One Rows result: RowDescription, DataRows encoded straight into the
 * outbox (flushing, and waiting for the socket, whenever it is full), then
 * CommandComplete.
 */
class RowsSender {
  private readonly encoder: RowEncoder
  private count = 0

  constructor(
    private readonly conn: Conn,
    private readonly r: RowsResult
  ) {
    this.encoder = new RowEncoder(r.fields)
    conn.send({ _tag: "RowDescription", fields: r.fields.map(textDescription) })
  }

  /** Undefined when every row and CommandComplete are in the outbox. */
  send(): Effect.Effect<void, ConnectionLost | PgError> | undefined {
    const iterable = rowsIterable(this.r)
    if (iterable === undefined) {
      return Effect.zipRight(
        Stream.runForEachChunk(this.r.rows, (chunk: Chunk.Chunk<Row>) => this.drain(Chunk.toReadonlyArray(chunk)[Symbol.iterator]())),
        Effect.suspend(() => this.complete() ?? Effect.void)
      )
    }
    let it: Iterator<Row>
    try {
      it = iterable[Symbol.iterator]()
    } catch (defect) {
      return Effect.die(defect)
    }
    const pending = this.encode(it)
    if (pending === undefined) return this.complete()
    return Effect.zipRight(pending, Effect.suspend(() => this.complete() ?? Effect.void))
  }

  /** Every row of `it`, flushing whenever the outbox is full. */
  private drain(it: Iterator<Row>): Effect.Effect<void, ConnectionLost> {
    return this.encode(it) ?? Effect.void
  }

  /**
   * Encodes rows until `it` ends (undefined) or the outbox is full (the
   * Effect that flushes and goes on). A row that cannot be encoded, or an
   * iterator that throws, is a defect: XX000 for the query, as any.
   */
  private encode(it: Iterator<Row>): Effect.Effect<void, ConnectionLost> | undefined {
    const outbox = this.conn.outbox
    const limit = outbox.flushBytes
    try {
      for (let n = it.next(); n.done !== true; n = it.next()) {
        this.encoder.encode(outbox.w, n.value)
        this.count++
        if (outbox.w.length >= limit) return Effect.zipRight(this.conn.flush, Effect.suspend(() => this.drain(it)))
      }
    } catch (defect) {
      return Effect.die(defect)
    }
    return undefined
  }

  private complete(): Effect.Effect<void, ConnectionLost> | undefined {
    this.conn.send({ _tag: "CommandComplete", tag: this.r.tag ?? `SELECT ${this.count}` })
    applyTransaction(this.conn, this.r.transaction)
    return flushIfFull(this.conn)
  }
}

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
