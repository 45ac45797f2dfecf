import { timingSafeEqual } from "node:crypto"
import { Deferred, Effect, FiberId } from "effect"

interface Entry {
  readonly secretKey: Uint8Array
  /** Interrupts the query the session is running, if any. */
  cancel: () => void
}

/**
 * Server-wide bookkeeping shared by every connection: the open count (for
 * max_connections), process ids and cancel keys (for CancelRequest), and the
 * drain signal of a graceful shutdown.
 */
export class Registry {
  private nextPid: number
  private readonly sessions = new Map<number, Entry>()
  private readonly drained = Deferred.unsafeMake<void>(FiberId.none)
  /** Completes when shutdown begins: idle sessions end, busy ones end after their query. */
  readonly draining = Deferred.unsafeMake<void>(FiberId.none)
  isDraining = false
  open = 0
  /** Wakes each open connection's pending read, so idle sessions notice a drain. */
  private readonly wakers = new Set<() => void>()

  constructor(firstPid: number) {
    this.nextPid = firstPid
  }

  connectionOpened(wake: () => void): void {
    this.open++
    this.wakers.add(wake)
  }

  connectionClosed(wake: () => void): void {
    this.open--
    this.wakers.delete(wake)
    if (this.isDraining && this.open === 0) Deferred.unsafeDone(this.drained, Effect.void)
  }

  allocatePid(): number {
    const pid = this.nextPid
    // Process ids are positive Int32s, as on a real server.
    this.nextPid = pid >= 0x7fffffff ? 1 : pid + 1
    return pid
  }

  register(processId: number, secretKey: Uint8Array): Entry {
    const entry: Entry = { secretKey, cancel: () => {} }
    this.sessions.set(processId, entry)
    return entry
  }

  entry(processId: number): Entry | undefined {
    return this.sessions.get(processId)
  }

  unregister(processId: number): void {
    this.sessions.delete(processId)
  }

  /** Cancels the running query of the session with this process id and key; false if none matched. */
  cancel(processId: number, secretKey: Uint8Array): boolean {
    const entry = this.sessions.get(processId)
    if (entry === undefined) return false
    const a = entry.secretKey
    if (a.byteLength !== secretKey.byteLength || !timingSafeEqual(a, secretKey)) return false
    entry.cancel()
    return true
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
