import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { Effect, type Scope } from "effect"
import { LanePool } from "./LanePool.js"
import { DescribeCache, SqliteSession } from "./SqliteSession.js"
import type { SqlError } from "./SqlError.js"

export interface EngineOptions {
  /** `:memory:` (a private temporary database, removed when the engine closes) or a file path. */
  readonly database: string
  /** Most SQLite connections (lane processes) at once; sessions beyond it wait. Default 4. */
  readonly maxLanes?: number
  /** Rows per batch sent from a lane. Default 500. */
  readonly batchRows?: number
  /** A batch also ends once its strings and blobs reach this many bytes. Default 1 MiB. */
  readonly batchBytes?: number
  /** Batches a lane may produce ahead of a reader (memory per slow reader: this many batches). Default 4. */
  readonly readAhead?: number
  /** How long a statement waits for another connection's write lock before failing with 55P03. Default 30 s. */
  readonly busyTimeoutMs?: number
  /** Log changes for logical replication (src/replication): TRUNCATE then writes its own log row. Default false. */
  readonly changeCapture?: boolean
}

/**
 * A SQLite database served to many sessions with PostgreSQL's behaviour
 * where it matters to clients: every session sees the same database, a
 * long statement in one session does not hold up the others, a cancel stops
 * a statement wherever it is, and transactions are isolated per session.
 *
 * How: each SQLite connection lives in its own process (a "lane", see
 * laneProcess.ts); sessions borrow lanes per statement and keep one for the
 * length of a transaction; the database runs in WAL mode so readers and the
 * writer proceed together. `:memory:` becomes a temporary file, since lanes in
 * different processes cannot share an in-memory database.
 */
export class SqliteEngine {
  /** Describe results (extended protocol) shared by every session. */
  private readonly describeCache = new DescribeCache()

  private constructor(
    private readonly pool: LanePool,
    private readonly batchRows: number,
    private readonly batchBytes: number,
    private readonly window: number,
    private readonly changeCapture: boolean,
    /** The SQLite file the lanes open. */
    readonly file: string
  ) {}

  static make(options: EngineOptions): Effect.Effect<SqliteEngine, SqlError, Scope.Scope> {
    return Effect.gen(function*() {
      const memory = options.database === ":memory:" || options.database === ""
      const file = memory ? yield* temporaryDatabase : resolve(options.database)
      const pool = yield* LanePool.make(
        { file, busyTimeoutMs: options.busyTimeoutMs ?? 30_000, synchronous: memory ? "OFF" : "NORMAL" },
        options.maxLanes ?? 4
      )
      yield* Effect.addFinalizer(() => pool.shutdown(2_000))
      yield* pool.warmUp
      return new SqliteEngine(pool, options.batchRows ?? 500, options.batchBytes ?? 1 << 20, Math.max(1, options.readAhead ?? 4), options.changeCapture === true, file)
    })
  }

  /** A session for one client connection; closing the scope rolls back its open transaction. */
  openSession(settings: Readonly<Record<string, string>> = {}): Effect.Effect<SqliteSession, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.map(Effect.makeSemaphore(1), (lock) =>
        new SqliteSession({ pool: this.pool, batchRows: this.batchRows, batchBytes: this.batchBytes, window: this.window, changeCapture: this.changeCapture, describeCache: this.describeCache }, lock, settings)
      ),
      (session) => session.close
    )
  }

  /** Lanes lent to sessions now: running a statement or holding a transaction (for tests and diagnostics). */
  get busyLanes(): number {
    return this.pool.busyLanes
  }

  /** SQLite connections currently open (for tests and diagnostics). */
  get liveLanes(): number {
    return this.pool.liveLanes
  }
}

/** A private directory for a `:memory:` database: removed at scope close, or at process exit if that comes first. */
const temporaryDatabase: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => {
    const dir = mkdtempSync(join(tmpdir(), "pgwire-sqlite-"))
    const remove = () => rmSync(dir, { recursive: true, force: true })
    process.once("exit", remove)
    return { dir, remove }
  }),
  ({ remove }) =>
    Effect.sync(() => {
      process.off("exit", remove)
      remove()
    })
).pipe(Effect.map(({ dir }) => join(dir, "db.sqlite")))
