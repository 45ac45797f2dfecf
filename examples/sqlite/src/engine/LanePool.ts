import { Effect, Exit, Fiber, Option, Queue } from "effect"
import { Lane } from "./Lane.js"
import type { LaneOptions } from "./laneProtocol.js"
import type { SqlError } from "./SqlError.js"

/**
 * The lanes (SQLite connections, one process each) shared by all sessions.
 * A session borrows a lane for one statement, or keeps it for a whole
 * transaction; lanes are started on demand up to `max`, and a lane that died
 * (cancel, crash) is replaced in the background so waiting sessions go on.
 */
export class LanePool {
  private readonly idle: Queue.Queue<Lane>
  private readonly lanes = new Set<Lane>()
  /** Live lanes plus lanes being started. */
  private size = 0
  private closed = false
  /** Replacements being started: shutdown stops them (their database may be about to disappear). */
  private readonly restarts = new Set<Fiber.RuntimeFiber<void, never>>()

  private constructor(
    private readonly options: LaneOptions,
    private readonly max: number,
    idle: Queue.Queue<Lane>
  ) {
    this.idle = idle
  }

  static make(options: LaneOptions, max: number): Effect.Effect<LanePool> {
    return Effect.map(Queue.unbounded<Lane>(), (idle) => new LanePool(options, Math.max(1, max), idle))
  }

  /** Starts one lane now, so a bad database path fails at startup rather than at the first query. */
  warmUp: Effect.Effect<void, SqlError> = Effect.suspend(() => {
    this.size++
    return Effect.flatMap(this.spawn, (lane) => this.idle.offer(lane))
  })

  private spawn: Effect.Effect<Lane, SqlError> = Effect.suspend(() =>
    Lane.spawn(this.options).pipe(
      Effect.tap((lane) =>
        Effect.sync(() => {
          this.lanes.add(lane)
          if (this.closed) lane.kill()
        })
      ),
      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.sync(() => this.size--)))
    )
  )

  acquire: Effect.Effect<Lane, SqlError> = Effect.suspend(() => this.acquireAny).pipe(
    Effect.tap(() => Effect.sync(() => this.busyLanes++))
  )

  /** An idle lane if there is one now, without waiting or starting one. */
  tryAcquire: Effect.Effect<Option.Option<Lane>> = Effect.suspend(() =>
    Effect.flatMap(Queue.poll(this.idle), (ready): Effect.Effect<Option.Option<Lane>> => {
      if (Option.isNone(ready)) return Effect.succeed(ready)
      if (ready.value.dead) return Effect.zipRight(this.discard(ready.value), this.tryAcquire)
      this.busyLanes++
      return Effect.succeed(ready)
    })
  )

  private acquireAny: Effect.Effect<Lane, SqlError> = Effect.suspend(() => {
    const loop: Effect.Effect<Lane, SqlError> = Effect.flatMap(Queue.poll(this.idle), (ready) => {
      if (Option.isSome(ready)) return ready.value.dead ? Effect.zipRight(this.discard(ready.value), loop) : Effect.succeed(ready.value)
      if (this.size < this.max) {
        this.size++
        return this.spawn
      }
      return Effect.flatMap(Queue.take(this.idle), (lane) => (lane.dead ? Effect.zipRight(this.discard(lane), loop) : Effect.succeed(lane)))
    })
    return loop
  })

  /** Gives a lane back after a statement or transaction; a dead one is replaced. */
  release(lane: Lane): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.busyLanes--
      return lane.dead ? this.discard(lane) : Effect.asVoid(this.idle.offer(lane))
    })
  }

  private discard(lane: Lane): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.lanes.delete(lane)) return Effect.void
      this.size--
      if (this.closed) return Effect.void
      // Replace it so sessions blocked in `acquire` get a lane.
      this.size++
      return Effect.flatMap(
        Effect.forkDaemon(
          this.spawn.pipe(
            Effect.flatMap((fresh) => Effect.asVoid(this.idle.offer(fresh))),
            Effect.catchAll((error) => Effect.logWarning(`SQLite lane could not be restarted: ${error.message}`))
          )
        ),
        (fiber) =>
          Effect.sync(() => {
            this.restarts.add(fiber)
            fiber.addObserver(() => this.restarts.delete(fiber))
          })
      )
    })
  }

  /** Lanes lent to sessions now: running a statement or holding a transaction (for tests and diagnostics). */
  busyLanes = 0

  /** Lanes currently alive (for tests and diagnostics). */
  get liveLanes(): number {
    return [...this.lanes].filter((l) => !l.dead).length
  }

  /** Stops every lane: closes their databases, kills those still busy after `graceMs`. */
  shutdown(graceMs: number): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      return Effect.zipRight(
        Fiber.interruptAll([...this.restarts]),
        Effect.forEach([...this.lanes], (lane) => lane.shutdown(graceMs), { concurrency: "unbounded", discard: true })
      )
    })
  }
}
