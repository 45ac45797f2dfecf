import { SqlState } from "@pgwire-ts/protocol"
import { Chunk, Effect, Exit, Option, Scope, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import type { ExtendedQueryHandlerShape } from "../handlers/ExtendedQueryHandler.js"
import { type QueryResult, type Row, rowsIterable, type RowsResult, type TransactionChange } from "../results/QueryResult.js"
import type { OpenPortal } from "../extended/OpenPortal.js"
import { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import type { ConnectionLost } from "./ConnectionErrors.js"
import { runCopy } from "./Copy.js"
import type { ExtendedSession } from "./ExtendedSession.js"
import { isDone } from "./Now.js"
import { nextStatus } from "./SimpleQuery.js"

/**
 * Execute: runs a portal for at most `maxRows` rows (0 = all). The first
 * Execute calls the ExtendedQueryHandler; a Rows result that has more rows
 * than asked for stays in the portal (PortalSuspended) and the next Execute
 * continues it. Iterable rows are encoded in a plain loop and a Stream with
 * no row limit is run directly: the Stream pull handle is only made when a
 * portal is actually suspended.
 */
export const executePortal = (
  conn: Conn,
  ext: ExtendedSession,
  handler: ExtendedQueryHandlerShape,
  p: OpenPortal,
  maxRows: number
): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> =>
  Effect.suspend(() => executePortalNow(conn, ext, handler, p, maxRows) ?? Effect.void)

/**
 * `executePortal` started at once: undefined when the Execute was answered
 * without anything to run (the handler's result was already complete, as
 * `Effect.succeed(...)` is, and its rows fit the outbox), else the Effect
 * that does the rest (for the caller to run guarded, i.e. cancellable).
 */
export const executePortalNow = (
  conn: Conn,
  ext: ExtendedSession,
  handler: ExtendedQueryHandlerShape,
  p: OpenPortal,
  maxRows: number
): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> | undefined => {
  const limit = maxRows > 0 ? maxRows : 0
  switch (p.state) {
    case "new": {
      let result: Effect.Effect<QueryResult, PgError, CurrentSession>
      try {
        result = handler.execute(p.portal, conn.session!)
      } catch (defect) {
        return Effect.die(defect)
      }
      // Already complete (Effect.succeed is an Exit): no step to run; a failure is run for the caller to report.
      if (Exit.isExit(result)) {
        const exit = result as Exit.Exit<QueryResult, PgError>
        return Exit.isSuccess(exit) ? start(conn, ext, p, exit.value, limit) : exit
      }
      return Effect.flatMap(result, (r) => start(conn, ext, p, r, limit) ?? Effect.void)
    }
    case "rows":
      return pump(conn, ext, p, limit)
    case "rowsDone":
      conn.send({ _tag: "CommandComplete", tag: "SELECT 0" })
      return undefined
    case "commandDone":
      return Effect.fail(PgError.make(SqlState.ObjectNotInPrerequisiteState, `portal "${p.name}" cannot be run`))
    case "empty":
      conn.send({ _tag: "EmptyQueryResponse" })
      return undefined
  }
}

const resultTypeChanged = () => PgError.make(SqlState.FeatureNotSupported, "cached plan must not change result type")

/** Sends the handler's result (undefined when it is all in the outbox, else the Effect that sends the rest). */
const start = (
  conn: Conn,
  ext: ExtendedSession,
  p: OpenPortal,
  r: QueryResult,
  limit: number
): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> | undefined => {
  switch (r._tag) {
    case "Empty":
      p.state = "empty"
      conn.send({ _tag: "EmptyQueryResponse" })
      return undefined
    case "Command":
      p.state = "commandDone"
      conn.send({ _tag: "CommandComplete", tag: r.tag })
      applyChange(conn, ext, r.transaction)
      return flushIfFull(conn)
    case "CopyIn":
    case "CopyOut":
    case "CopyBoth":
      // The copy sub-protocol, then CommandComplete (CopyData follows Execute as after a simple Query).
      p.state = "commandDone"
      return Effect.provideService(runCopy(conn, r), CurrentSession, conn.session!)
    case "Rows": {
      // DataRows follow the statement's description, which is what the client decodes them with.
      const described = p.portal.fields
      if (described === undefined || described.length !== r.fields.length) return Effect.fail(resultTypeChanged())
      p.state = "rows"
      p.result = r
      p.encoder = p.statement.encoderFor(p.portal.resultFormats)
      const iterable = rowsIterable(r)
      if (iterable !== undefined) {
        try {
          p.iterator = iterable[Symbol.iterator]()
        } catch (defect) {
          return Effect.die(defect)
        }
        return pump(conn, ext, p, limit)
      }
      if (limit === 0) return runAll(conn, ext, p, r)
      return Effect.flatMap(p.openScope, (scope) =>
        Effect.flatMap(Scope.extend(Stream.toPull(r.rows), scope), (pull) => {
          p.pull = pull
          return pump(conn, ext, p, limit) ?? Effect.void
        })
      )
    }
  }
}

const flushIfFull = (conn: Conn): Effect.Effect<void, ConnectionLost> | undefined =>
  conn.outbox.pending >= conn.outbox.flushBytes ? conn.flush : undefined

/** A Stream result with no row limit: its chunks straight into the outbox, waiting on the socket when it is full. */
const runAll = (conn: Conn, ext: ExtendedSession, p: OpenPortal, r: RowsResult): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> => {
  let count = 0
  const outbox = conn.outbox
  const encoder = p.encoder!
  const rows = Stream.runForEachChunk(r.rows, (chunk: Chunk.Chunk<Row>) => {
    const all = Chunk.toReadonlyArray(chunk)
    let i = 0
    const loop: Effect.Effect<void, ConnectionLost> = Effect.suspend(() => {
      while (i < all.length) {
        encoder.encode(outbox.w, all[i++]!)
        count++
        if (outbox.w.length >= outbox.flushBytes) return Effect.zipRight(conn.flush, loop)
      }
      return Effect.void
    })
    return loop
  })
  return Effect.zipRight(rows, Effect.suspend(() => complete(conn, ext, p, count) ?? Effect.void))
}

/**
 * Sends the portal's next rows, up to `limit` (0 = all): PortalSuspended when
 * the limit is reached (as PostgreSQL, without looking ahead for the end),
 * CommandComplete when the rows run out. Runs at once: undefined when done
 * without waiting, else the Effect that goes on (a full outbox to flush, a
 * Stream chunk to pull). A row that cannot be encoded, or an iterator that
 * throws, is a defect (XX000 for the Execute).
 */
const pump = (
  conn: Conn,
  ext: ExtendedSession,
  p: OpenPortal,
  limit: number
): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> | undefined => {
  let count = 0
  const outbox = conn.outbox
  const encoder = p.encoder!
  const refill = (chunk: Chunk.Chunk<Row>) => {
    p.buffer = Chunk.toReadonlyArray(chunk)
    p.index = 0
    return loop
  }
  const ended = (e: Option.Option<PgError>): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> =>
    Option.isNone(e) ? complete(conn, ext, p, count) ?? Effect.void : Effect.fail(e.value)
  const step = (): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> | undefined => {
    try {
      for (;;) {
        if (limit !== 0 && count >= limit) {
          conn.send({ _tag: "PortalSuspended" })
          return flushIfFull(conn)
        }
        let row: Row
        if (p.index < p.buffer.length) {
          row = p.buffer[p.index++]!
        } else if (p.iterator !== undefined) {
          const next = p.iterator.next()
          if (next.done === true) return complete(conn, ext, p, count)
          row = next.value
        } else if (p.pull !== undefined) {
          return Effect.matchEffect(p.pull, { onFailure: ended, onSuccess: refill })
        } else {
          return complete(conn, ext, p, count)
        }
        encoder.encode(outbox.w, row)
        count++
        if (outbox.w.length >= outbox.flushBytes) return Effect.zipRight(conn.flush, loop)
      }
    } catch (defect) {
      return Effect.die(defect)
    }
  }
  const loop: Effect.Effect<void, PgError | ConnectionLost, CurrentSession> = Effect.suspend(() => step() ?? Effect.void)
  return step()
}

const complete = (conn: Conn, ext: ExtendedSession, p: OpenPortal, count: number): Effect.Effect<void, ConnectionLost> | undefined => {
  const r = p.result!
  conn.send({ _tag: "CommandComplete", tag: r.tag ?? `SELECT ${count}` })
  applyChange(conn, ext, r.transaction)
  const finished = p.finish()
  if (!isDone(finished)) return Effect.zipRight(finished, conn.flushIfFull)
  return flushIfFull(conn)
}

const applyChange = (conn: Conn, ext: ExtendedSession, change: TransactionChange | undefined): void => {
  if (change === undefined) return
  conn.transactionStatus = nextStatus(conn.transactionStatus, change)
  if (change === "commit" || change === "rollback") ext.transactionEnded = true
}
