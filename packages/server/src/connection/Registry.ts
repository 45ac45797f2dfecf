import { Deferred, Effect, FiberId } from "effect"

/**
 * Server-wide bookkeeping shared by every connection: the open count (for
 * max_connections) and the drain signal of a graceful shutdown. Process ids
 * and cancel keys live in the CancelRegistry.
 */
export class Registry {
  private readonly drained = Deferred.unsafeMake<void>(FiberId.none)
  /** Completes when shutdown begins: idle sessions end, busy ones end after their query. */
  readonly draining = Deferred.unsafeMake<void>(FiberId.none)
  isDraining = false
  open = 0
  /** Wakes each open connection's pending read, so idle sessions notice a drain. */
  private readonly wakers = new Set<() => void>()

  connectionOpened(wake: () => void): void {
    this.open++
    this.wakers.add(wake)
  }

  connectionClosed(wake: () => void): void {
    this.open--
    this.wakers.delete(wake)
    if (this.isDraining && this.open === 0) Deferred.unsafeDone(this.drained, Effect.void)
  }

  /** Starts draining; the effect completes once every connection has closed. */
  readonly drain: Effect.Effect<void> = Effect.suspend(() => {
    this.isDraining = true
    Deferred.unsafeDone(this.draining, Effect.void)
    for (const wake of this.wakers) wake()
    if (this.open === 0) return Effect.void
    return Deferred.await(this.drained)
  })
}
