import { Deferred, Effect, FiberId } from "effect"

/**
 * The Query Cancellation API a handler sees as `session.cancellation`. A
 * cancel (a CancelRequest with the session's key, `cancel`, or another
 * session's `cancelBackend`) runs the `onCancel` hooks, completes `cancelled`,
 * then interrupts the query, which ends with 57014 "canceling statement due
 * to user request". Each applies to the query running when it is called.
 */
export interface QueryCancellation {
  /** Whether the running query was asked to stop (false when idle). */
  readonly isCancelled: Effect.Effect<boolean>
  /**
   * Completes when the running query is cancelled (never when idle or not
   * cancelled): for work inside `Effect.uninterruptible` that wants to stop early.
   */
  readonly cancelled: Effect.Effect<void>
  /**
   * Runs `hook` if the running query is cancelled, before its fiber is
   * interrupted: stops work the interrupt cannot reach (a remote call, a
   * child process). Hooks are forgotten when the query ends.
   */
  readonly onCancel: (hook: Effect.Effect<void>) => Effect.Effect<void>
  /** Cancels this session's running query (57014); false when none is running. */
  readonly cancel: Effect.Effect<boolean>
  /** Cancels the running query of another session of this server by process id (PostgreSQL's `pg_cancel_backend`). */
  readonly cancelBackend: (processId: number) => Effect.Effect<boolean>
}

/** The query a connection runs now: how to stop it, and who wants to know. */
class RunningQuery {
  readonly cancelled = Deferred.unsafeMake<void>(FiberId.none)
  readonly hooks: Array<Effect.Effect<void>> = []
  isCancelled = false
  constructor(readonly interrupt: () => void) {}
}

/** One connection's cancellation state; `trigger` is what its CancelRegistry entry runs. */
export class ConnectionCancellation {
  private current: RunningQuery | undefined

  constructor(private readonly cancelBackend: (processId: number) => Effect.Effect<boolean>) {}

  /** A query starts; `interrupt` stops its fiber. */
  begin(interrupt: () => void): void {
    this.current = new RunningQuery(interrupt)
  }

  /** The query ended: later cancels find the session idle. Returns whether it was cancelled. */
  end(): boolean {
    const q = this.current
    this.current = undefined
    return q !== undefined && q.isCancelled
  }

  /** Cancels the running query, if any: hooks first (errors logged), then the interrupt. */
  readonly trigger: Effect.Effect<boolean> = Effect.suspend(() => {
    const q = this.current
    if (q === undefined || q.isCancelled) return Effect.succeed(false)
    q.isCancelled = true
    Deferred.unsafeDone(q.cancelled, Effect.void)
    const hooks = q.hooks.splice(0)
    const runHooks = Effect.forEach(
      hooks,
      (h) => Effect.catchAllCause(h, (cause) => Effect.logError("query onCancel hook failed", cause)),
      { discard: true }
    )
    return Effect.as(
      Effect.ensuring(runHooks, Effect.sync(() => q.interrupt())),
      true
    )
  })

  readonly api: QueryCancellation = {
    isCancelled: Effect.sync(() => this.current?.isCancelled === true),
    cancelled: Effect.suspend(() => (this.current === undefined ? Effect.never : Deferred.await(this.current.cancelled))),
    onCancel: (hook) =>
      Effect.suspend(() => {
        const q = this.current
        if (q === undefined) return Effect.void
        if (q.isCancelled) return Effect.ignore(hook)
        q.hooks.push(hook)
        return Effect.void
      }),
    cancel: this.trigger,
    cancelBackend: (processId) => this.cancelBackend(processId)
  }
}
