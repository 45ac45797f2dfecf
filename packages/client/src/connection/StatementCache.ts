/**
 * Prepared statements by SQL text, per connection, least recently used out
 * first (an evicted statement is closed on the server). Concurrent callers of
 * a statement being prepared share the one Parse.
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import type { PgQueryError } from "../errors.js"
import type { PreparedStatement } from "../requests/PreparedStatement.js"

type Entry = PreparedStatement | Deferred.Deferred<PreparedStatement, PgQueryError>

export class StatementCache {
  private readonly entries = new Map<string, Entry>()
  private counter = 0

  constructor(
    private readonly capacity: number,
    /** Sends Parse + Describe for `name` and calls back with the outcome. */
    private readonly prepare: (name: string, sql: string, done: (result: PreparedStatement | PgQueryError) => void) => void,
    /** Closes an evicted statement (fire and forget). */
    private readonly close: (name: string) => void
  ) {}

  /** The statement if it is ready, marking it recently used. */
  peek(sql: string): PreparedStatement | undefined {
    const entry = this.entries.get(sql)
    if (entry === undefined || Deferred.DeferredTypeId in entry) return undefined
    this.entries.delete(sql)
    this.entries.set(sql, entry)
    return entry
  }

  get(sql: string): Effect.Effect<PreparedStatement, PgQueryError> {
    return Effect.suspend(() => {
      const ready = this.peek(sql)
      if (ready !== undefined) return Effect.succeed(ready)
      const pending = this.entries.get(sql)
      if (pending !== undefined) return Deferred.await(pending as Deferred.Deferred<PreparedStatement, PgQueryError>)
      const deferred = Deferred.unsafeMake<PreparedStatement, PgQueryError>(FiberId.none)
      this.entries.set(sql, deferred)
      this.prepare(`pgwire_ts_${++this.counter}`, sql, (result) => {
        if ("_tag" in result) {
          if (this.entries.get(sql) === deferred) this.entries.delete(sql)
          Deferred.unsafeDone(deferred, Exit.fail(result))
        } else {
          if (this.entries.get(sql) === deferred) {
            this.entries.set(sql, result)
            this.evict()
          }
          Deferred.unsafeDone(deferred, Exit.succeed(result))
        }
      })
      return Deferred.await(deferred)
    })
  }

  /** Forgets a statement the server no longer has (or whose plan changed shape). */
  invalidate(sql: string, statement: PreparedStatement): void {
    if (this.entries.get(sql) === statement) {
      this.entries.delete(sql)
      this.close(statement.name)
    }
  }

  private evict(): void {
    for (const [sql, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return
      if (Deferred.DeferredTypeId in entry) continue
      this.entries.delete(sql)
      this.close(entry.name)
    }
  }
}
