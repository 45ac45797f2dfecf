/**
 * Items (rows, COPY chunks, events) on their way from the reader to one Stream
 * consumer. The reader pushes; the consumer pulls everything buffered as one
 * Chunk. Past `highWater` items the buffer asks the connection to stop reading
 * the socket, and to resume once the consumer has taken them, so a slow
 * consumer holds memory bounded.
 */
import { Chunk, Effect, Option } from "effect"
import type { ConnectionCore, Wakeable } from "../connection/ConnectionCore.js"

type Pull<A, E> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>

export class ResultBuffer<A, E> implements Wakeable {
  private items: Array<A> = []
  private state: "open" | "done" | "failed" = "open"
  private error: E | undefined = undefined
  private waiter: ((effect: Pull<A, E>) => void) | undefined = undefined
  private touched = false
  private paused = false
  /** Set when the consumer went away: items are dropped from then on. */
  abandoned = false

  constructor(
    private readonly conn: ConnectionCore,
    private readonly highWater: number,
    /** Called when the consumer wants more and nothing is buffered (e.g. to fetch the next portal batch). */
    private readonly onDemand?: () => void
  ) {}

  get size(): number {
    return this.items.length
  }

  push(item: A): void {
    if (this.abandoned) return
    this.items.push(item)
    if (!this.touched) {
      this.touched = true
      this.conn.touch(this)
    }
    if (!this.paused && this.items.length >= this.highWater) {
      this.paused = true
      this.conn.pauseReading()
    }
  }

  end(): void {
    if (this.state !== "open") return
    this.state = "done"
    this.wake()
  }

  fail(error: E): void {
    if (this.state !== "open") return
    this.state = "failed"
    this.error = error
    this.wake()
  }

  /** True while the consumer waits for items. */
  get waiting(): boolean {
    return this.waiter !== undefined
  }

  get isOpen(): boolean {
    return this.state === "open"
  }

  wake(): void {
    this.touched = false
    const resume = this.waiter
    if (resume !== undefined) {
      this.waiter = undefined
      resume(this.pull)
    }
  }

  /** The consumer stopped early: drop what is buffered and never pause the socket again. */
  abandon(): void {
    this.abandoned = true
    this.items = []
    this.waiter = undefined
    this.unpause()
  }

  private unpause(): void {
    if (this.paused) {
      this.paused = false
      this.conn.resumeReading()
    }
  }

  /** Everything buffered, or waits for more; fails with None at the end, Some(error) on failure. */
  readonly pull: Pull<A, E> = Effect.suspend((): Pull<A, E> => {
    if (this.items.length > 0) {
      const out = this.items
      this.items = []
      this.unpause()
      return Effect.succeed(Chunk.unsafeFromArray(out))
    }
    if (this.state === "done") return Effect.fail(Option.none())
    if (this.state === "failed") return Effect.fail(Option.some(this.error as E))
    this.onDemand?.()
    return Effect.async<Chunk.Chunk<A>, Option.Option<E>>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  })
}
