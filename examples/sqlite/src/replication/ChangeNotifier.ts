import { Deferred, Effect, FiberId } from "effect"

/**
 * Wakes the replication streams when a statement may have committed
 * changes, so they tail the log without waiting for their next poll. A
 * waiter takes `signal` before it reads the log: a commit that lands
 * between its read and its wait still wakes it.
 */
export class ChangeNotifier {
  private current = Deferred.unsafeMake<void>(FiberId.none)

  /** Completes at the next `poke` after it was read. */
  get signal(): Effect.Effect<void> {
    return Deferred.await(this.current)
  }

  poke(): void {
    const woken = this.current
    this.current = Deferred.unsafeMake<void>(FiberId.none)
    Deferred.unsafeDone(woken, Effect.void)
  }
}
