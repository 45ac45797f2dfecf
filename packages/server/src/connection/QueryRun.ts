import { SqlState } from "@pgwire-ts/protocol"
import { Cause, Effect, Exit, Fiber, FiberId, Option, Runtime } from "effect"
import { PgError } from "../errors/PgError.js"
import { RowEncodeError } from "../results/RowEncoder.js"
import { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import { ConnectionLost } from "./ConnectionErrors.js"

export const canceledError = (): PgError => PgError.make(SqlState.QueryCanceled, "canceling statement due to user request")

/**
 * Runs a query's work (handler calls, results sent) on its own fiber that a
 * cancel (57014) or the client going away (the connection then ends) can
 * interrupt, with `CurrentSession` provided. Returns the error to send, if
 * any; defects become XX000 (logged). Simple Query and Execute both run
 * through here, so both are cancellable the same way.
 *
 * The fiber is started at once on the caller's stack (Runtime.runFork with
 * the connection fiber's context and FiberRefs), not scheduled: work that
 * never suspends (a handler answering with `Effect.succeed`, rows that fit
 * the outbox) is finished when runFork returns, and the connection goes on
 * without a scheduler round trip or an await. Work that suspends (I/O, a
 * full socket, a slow handler) is awaited as a forked fiber would be; if the
 * connection fiber itself is interrupted meanwhile, the query fiber is
 * interrupted with it. The fiber's first step publishes it to the cancel and
 * peer-closed hooks, so a cancel during its synchronous run still interrupts it.
 */
export const runGuarded = (
  conn: Conn,
  work: Effect.Effect<void, PgError | ConnectionLost, CurrentSession>
): Effect.Effect<PgError | undefined, ConnectionLost> =>
  Effect.withFiberRuntime((parent, status) => {
    let lost = false
    let fiber: Fiber.RuntimeFiber<void, PgError | ConnectionLost> | undefined
    let interruptEarly = false
    const interrupt = () => {
      if (fiber === undefined) interruptEarly = true
      else fiber.unsafeInterruptAsFork(FiberId.none)
    }
    // Armed before the work starts: the handler may use session.cancellation at once.
    conn.cancellation.begin(interrupt)
    conn.transport.setPeerClosedHandler(() => {
      lost = true
      interrupt()
    })
    const started = Effect.withFiberRuntime<void, PgError | ConnectionLost, CurrentSession>((self) => {
      fiber = self
      return interruptEarly ? Effect.interrupt : work
    })
    const runtime = Runtime.make({
      context: parent.currentContext,
      fiberRefs: parent.getFiberRefs(),
      runtimeFlags: status.runtimeFlags
    })
    const child = Runtime.runFork(runtime)(Effect.provideService(started, CurrentSession, conn.session!))
    const finish = (exit: Exit.Exit<void, PgError | ConnectionLost>): Effect.Effect<PgError | undefined, ConnectionLost> => {
      const cancelled = conn.cancellation.end()
      conn.transport.setPeerClosedHandler(undefined)
      if (lost) return Effect.fail(new ConnectionLost({}))
      if (Exit.isSuccess(exit)) return Effect.succeed(undefined)
      if (cancelled && Cause.isInterruptedOnly(exit.cause)) return Effect.succeed(canceledError())
      return toPgError(exit.cause)
    }
    const done = child.unsafePoll()
    if (done !== null) return finish(done)
    return Effect.flatMap(
      Effect.onInterrupt(Fiber.await(child), () => Fiber.interrupt(child)),
      finish
    )
  })

/** Turns how the query failed into the ErrorResponse to send; connection loss is re-raised. */
export const toPgError = (cause: Cause.Cause<PgError | ConnectionLost>): Effect.Effect<PgError, ConnectionLost> => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (e instanceof ConnectionLost) return Effect.fail(e)
    // Anything else than a PgError (a handler escaping its types) is a handler bug: XX000 below.
    if (e instanceof PgError) return Effect.succeed(e)
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
