import { type Chunk, Effect, Exit, type Option, Scope } from "effect"
import type { PgError } from "../errors/PgError.js"
import type { Portal } from "../handlers/ExtendedQueryHandler.js"
import type { PortalHandle } from "../handlers/PortalStore.js"
import type { Row, RowsResult } from "../results/QueryResult.js"
import type { RowEncoder } from "../results/RowEncoder.js"
import type { OpenStatement } from "./OpenStatement.js"

/**
 * Where a portal's execution stands: not started; suspended in the middle of
 * its rows (an Execute row limit was reached); or finished, as PostgreSQL
 * tells them apart when the portal is executed again (rows: `SELECT 0`,
 * a command: 55000, an empty query: EmptyQueryResponse again).
 */
export type PortalState = "new" | "rows" | "rowsDone" | "commandDone" | "empty"

const NO_ROWS: ReadonlyArray<Row> = []

/**
 * A bound portal and its execution state. A suspended Rows result is kept as
 * a pull-based handle: an Iterator for Iterable rows, or `Stream.toPull` in
 * the portal's own Scope for a Stream (closed when the portal finishes or is
 * closed), plus the rest of the last chunk pulled.
 */
export class OpenPortal implements PortalHandle {
  state: PortalState = "new"
  result: RowsResult | undefined
  encoder: RowEncoder | undefined
  iterator: Iterator<Row> | undefined
  pull: Effect.Effect<Chunk.Chunk<Row>, Option.Option<PgError>> | undefined
  buffer: ReadonlyArray<Row> = NO_ROWS
  index = 0
  scope: Scope.CloseableScope | undefined

  constructor(
    readonly name: string,
    readonly portal: Portal,
    readonly statement: OpenStatement
  ) {}

  /** Makes the Scope that a suspended Stream's pull handle lives in. */
  get openScope(): Effect.Effect<Scope.CloseableScope> {
    return Effect.map(Scope.make(), (scope) => (this.scope = scope))
  }

  /** The rows ran out: release the Stream (its finalizers run now) and remember the portal is done. */
  finish(): Effect.Effect<void> {
    this.state = "rowsDone"
    return this.release(false)
  }

  /** Releases what a suspended execution holds; the portal cannot run again. */
  get close(): Effect.Effect<void> {
    const abandoned = this.state === "rows"
    if (abandoned) this.state = "rowsDone"
    return this.release(abandoned)
  }

  private release(abandoned: boolean): Effect.Effect<void> {
    const iterator = this.iterator
    const scope = this.scope
    this.iterator = undefined
    this.pull = undefined
    this.scope = undefined
    this.buffer = NO_ROWS
    this.result = undefined
    if (abandoned && iterator !== undefined && typeof iterator.return === "function") {
      // a generator's finally blocks run, as a Stream's finalizers do
      try {
        iterator.return()
      } catch {
        // the rows are abandoned either way
      }
    }
    if (scope === undefined) return Effect.void
    return Scope.close(scope, Exit.void)
  }
}
