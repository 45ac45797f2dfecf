import { SqlState } from "@pgwire-ts/protocol"
import { Cause, Effect, Exit, Fiber, FiberId, Option } from "effect"
import { PgError } from "../errors/PgError.js"
import { RowEncodeError } from "../results/RowEncoder.js"
import { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import { ConnectionLost } from "./ConnectionErrors.js"

export const canceledError = (): PgError => PgError.make(SqlState.QueryCanceled, "canceling statement due to user request")

/**
 * Runs a query's work (handler calls, results sent) in a child fiber that a
 * cancel (57014) or the client going away (the connection then ends) can
 * interrupt, with `CurrentSession` provided. Returns the error to send, if
 * any; defects become XX000 (logged). Simple Query and Execute both run
 * through here, so both are cancellable the same way.
 */
export const runGuarded = (
  conn: Conn,
  work: Effect.Effect<void, PgError | ConnectionLost, CurrentSession>
): Effect.Effect<PgError | undefined, ConnectionLost> =>
  Effect.gen(function* () {
    let lost = false
    let fiber: Fiber.RuntimeFiber<void, PgError | ConnectionLost> | undefined
    let interruptEarly = false
    const interrupt = () => {
      if (fiber === undefined) interruptEarly = true
      else fiber.unsafeInterruptAsFork(FiberId.none)
    }
    // Armed before the fork: the handler may use session.cancellation as soon as it starts.
    conn.cancellation.begin(interrupt)
    fiber = yield* Effect.fork(Effect.provideService(work, CurrentSession, conn.session!))
    if (interruptEarly) fiber.unsafeInterruptAsFork(FiberId.none)
    conn.transport.setPeerClosedHandler(() => {
      lost = true
      interrupt()
    })
    const exit = yield* Fiber.await(fiber)
    const cancelled = conn.cancellation.end()
    conn.transport.setPeerClosedHandler(undefined)
    if (lost) return yield* new ConnectionLost({})
    if (Exit.isSuccess(exit)) return undefined
    if (cancelled && Cause.isInterruptedOnly(exit.cause)) return canceledError()
    return yield* toPgError(exit.cause)
  })

/** Turns how the query failed into the ErrorResponse to send; connection loss is re-raised. */
export const toPgError = (cause: Cause.Cause<PgError | ConnectionLost>): Effect.Effect<PgError, ConnectionLost> => {
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
