import { Chunk, Deferred, Effect, Exit, FiberId, Option, Queue, type Scope, Stream } from "effect"
import { type Column, describeColumns, type LaneColumn, normalizeValue, PgType, type SqliteValue } from "./columnTypes.js"
import type { Lane, LaneEvent } from "./Lane.js"
import type { LanePool } from "./LanePool.js"
import type { ToLane } from "./laneProtocol.js"
import { type Plan, planStatement, truncateStatements, type Verb } from "./pgCompat.js"
import { canonicalName, defaultSettings, isReadOnly, isReported, normalizeClientEncoding } from "./settings.js"
import { splitStatements } from "./sqlText.js"
import { queryCanceled, SqlError, type SqlNotice, sqlError } from "./SqlError.js"
import { fromBindFailure, fromMessage, fromSqlite } from "./sqliteErrors.js"
import type {
  CollectedResult,
  CommandResult,
  RowsResult,
  StatementEffects,
  StatementResult,
  TransactionChange
} from "./StatementResult.js"

export type TransactionStatus = "I" | "T" | "E"

/** What a session needs from its engine. */
export interface SessionContext {
  readonly pool: LanePool
  /** Describe results shared by the engine's sessions, valid while the schema generation is unchanged. */
  readonly describeCache: DescribeCache
  readonly batchRows: number
  /** Batches a lane may send ahead of the reader. */
  readonly window: number
  readonly batchBytes: number
  /** Log changes for logical replication (TRUNCATE writes its own log row). */
  readonly changeCapture: boolean
}

let nextRequestId = 1

type LaneEnd =
  | { readonly _tag: "Done"; readonly changes: number; readonly inTransaction: boolean }
  | { readonly _tag: "Failed"; readonly error: SqlError; readonly inTransaction: boolean }
  | { readonly _tag: "Died"; readonly error: SqlError }

const toLaneError = (event: Extract<LaneEvent, { t: "error" }>): SqlError => {
  switch (event.kind) {
    case "sqlite":
      return fromSqlite(event.code, event.message)
    case "bind":
      return fromBindFailure(event.message)
    case "pg":
      return sqlError(event.code ?? "XX000", event.message)
    case "internal":
      return fromMessage(event.message)
  }
}

/** A parameter as SQLite binds it: integers as INTEGER (a JS number would bind as REAL), booleans as 0/1. */
const toSqliteParam = (value: unknown): SqliteValue => {
  if (value === null || value === undefined) return null
  if (typeof value === "bigint" || typeof value === "string") return value
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value
  if (typeof value === "boolean") return value ? 1n : 0n
  if (value instanceof Uint8Array) return value
  if (value instanceof Date) return value.toISOString()
  return typeof value === "object" ? JSON.stringify(value) : String(value)
}

const commandTagFor = (verb: Verb, count: number): string => {
  switch (verb._tag) {
    case "Select":
      return `SELECT ${count}`
    case "Insert":
      return `INSERT 0 ${count}`
    case "Update":
      return `UPDATE ${count}`
    case "Delete":
      return `DELETE ${count}`
    case "Other":
      return verb.tag
  }
}

/** A statement_timeout setting in milliseconds: "0" (off), "250", "5s", "1min", "2 h"… as PostgreSQL reads it. */
export const parseTimeout = (value: string | undefined): number => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/i.exec(value ?? "")
  if (m === null) return 0
  const unit = (m[2] ?? "ms").toLowerCase()
  const factor = unit === "ms" ? 1 : unit === "s" ? 1_000 : unit === "min" ? 60_000 : unit === "h" ? 3_600_000 : 86_400_000
  return Math.min(Number(m[1]) * factor, 2_147_483_647)
}

/** How `execute` types a statement's rows (the extended protocol's Describe decides). */
export interface ExecuteOptions {
  /** PostgreSQL types of the result columns, as described to the client: rows are normalized to these instead of being typed from their values. */
  readonly columnTypes?: ReadonlyArray<number> | undefined
}

/** What SQLite says about a statement without running it. */
export interface Described {
  readonly reader: boolean
  readonly columns: ReadonlyArray<LaneColumn>
  /** Declared columns of the requested tables that exist. */
  readonly tables: Readonly<Record<string, ReadonlyArray<LaneColumn>>>
}

/**
 * What SQLite said about statements, by text: valid until a statement that may
 * change the schema (anything but SELECT/INSERT/UPDATE/DELETE) or a ROLLBACK
 * runs in any session, which bumps the generation.
 */
export class DescribeCache {
  generation = 0
  private readonly entries = new Map<string, { readonly generation: number; readonly described: Described }>()

  get(key: string): Described | undefined {
    const entry = this.entries.get(key)
    return entry !== undefined && entry.generation === this.generation ? entry.described : undefined
  }

  set(key: string, described: Described): void {
    if (this.entries.size >= 1000) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(key, { generation: this.generation, described })
  }
}

/** The session's hold on its lock: released once, by whichever comes first (the statement's end, or a spill). */
class Permit {
  private released = false
  constructor(private readonly lock: Effect.Semaphore) {}
  get release(): Effect.Effect<void> {
    if (this.released) return Effect.void
    this.released = true
    return Effect.asVoid(this.lock.release(1))
  }
}

const noEffects: StatementEffects = { transaction: undefined, notices: [], parameterChanges: [] }

/**
 * One client connection's view of the database: its transaction status
 * (PostgreSQL's I/T/E), its settings, and the lane it holds while a
 * transaction is open. Statements run one at a time; `cancel` stops the
 * running one from any fiber.
 */
export class SqliteSession {
  private status: TransactionStatus = "I"
  /** The lane holding this session's open SQLite transaction. */
  private pinned: Lane | undefined
  /** The lane running this session's current statement. */
  private running: Lane | undefined
  /** Completed when `cancel` is called while the statement waits for a lane. */
  private cancelWaiting: Deferred.Deferred<never, SqlError> | undefined
  private settings: Readonly<Record<string, string>>
  /** Settings when the transaction began: ROLLBACK restores them. */
  private txSnapshot: Readonly<Record<string, string>> | undefined
  /** SET LOCAL values to undo at COMMIT: name → value before the first SET LOCAL. */
  private readonly localRestore = new Map<string, string | undefined>()
  private readonly initial: Readonly<Record<string, string>>
  private closed = false
  /** pg_notify() calls of statements that succeeded, not yet taken by the handler. */
  private notifications: Array<readonly [string, string]> = []
  /** Inside a multi-statement query string: statements share an implicit transaction block. */
  private implicitMode = false
  /**
   * A statement whose rows are not all read yet (a suspended portal) holds the
   * session; a new statement first has it read the rest of its rows into
   * memory ("spill") and let go, so several open portals work, as in PostgreSQL.
   */
  private reader: { readonly spill: Effect.Effect<void> } | undefined
  /** The running statement's hold on the lock. */
  private permit: Permit | undefined
  /** The implicit block's SQLite transaction is open (begun lazily by the first statement that needs it). */
  private implicitOpen = false

  constructor(
    private readonly context: SessionContext,
    private readonly lock: Effect.Semaphore,
    initialSettings: Readonly<Record<string, string>>
  ) {
    const initial: Record<string, string> = { ...defaultSettings }
    for (const [name, value] of Object.entries(initialSettings)) initial[canonicalName(name)] = value
    this.initial = initial
    this.settings = initial
  }

  /** PostgreSQL's status: I, T (in a transaction block), E (failed block). An implicit block reads as I. */
  get transactionStatus(): TransactionStatus {
    return this.implicitOpen && this.status === "T" ? "I" : this.status
  }

  /**
   * Starts a multi-statement query string: until `finishImplicit`, its
   * statements run in one implicit transaction block (PostgreSQL: an error
   * rolls back the statements before it; BEGIN turns the block into a regular
   * one; COMMIT/ROLLBACK close it and later statements start a new one).
   */
  get beginImplicit(): Effect.Effect<void> {
    return Effect.sync(() => {
      this.implicitMode = true
    })
  }

  /** Ends the query string's implicit block: COMMIT when every statement succeeded, else ROLLBACK. */
  finishImplicit(success: boolean): Effect.Effect<void, SqlError> {
    return Effect.suspend(() => {
      this.implicitMode = false
      if (!this.implicitOpen) return Effect.void
      this.implicitOpen = false
      if (!success || this.status === "E") return Effect.asVoid(Effect.scoped(this.rollback()))
      return Effect.scoped(this.control("COMMIT")).pipe(
        Effect.zipRight(Effect.sync(() => void this.endTransaction(false))),
        // a failed COMMIT (deferred constraint) still ends the implicit block
        Effect.tapError(() => Effect.asVoid(Effect.scoped(this.rollback())))
      )
    })
  }

  setting(name: string): string | undefined {
    return this.settings[canonicalName(name)]
  }

  /**
   * Runs one statement. Rows are read from the result's stream; the lane stays
   * with this statement until the stream ends or `Scope` closes (an
   * interrupted scope kills the statement, as a cancel does).
   */
  execute(sql: string, params: ReadonlyArray<unknown> = [], options: ExecuteOptions = {}): Effect.Effect<StatementResult, SqlError, Scope.Scope> {
    return Effect.zipRight(
      this.claim,
      Effect.suspend(() => {
        if (this.closed) return Effect.fail(sqlError("08003", "session is closed"))
        const plan = planStatement(sql)
        if (this.status === "E" && plan._tag !== "Commit" && plan._tag !== "Rollback" && plan._tag !== "RollbackTo") {
          return Effect.fail(
            sqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block")
          )
        }
        return this.executePlan(plan, params, options)
      })
    )
  }

  /** Takes the session for one statement (after spilling a suspended reader), until the scope closes. */
  private get claim(): Effect.Effect<void, never, Scope.Scope> {
    return Effect.zipRight(
      Effect.suspend(() => this.reader?.spill ?? Effect.void),
      Effect.acquireRelease(
        Effect.map(this.lock.take(1), () => {
          const permit = new Permit(this.lock)
          this.permit = permit
          return permit
        }),
        (permit) => permit.release
      )
    )
  }

  /**
   * Prepares a statement on the session's lane without running it (so it sees
   * the session's own uncommitted schema changes): its result columns, whether
   * it returns rows, and the declared columns of `tables`.
   */
  describe(sql: string, tables: ReadonlyArray<string>): Effect.Effect<Described, SqlError> {
    const cache = this.context.describeCache
    const key = `${sql}\u0000${tables.join("\u0000")}`
    const cached = cache.get(key)
    if (cached !== undefined) return Effect.succeed(cached)
    const generation = cache.generation
    return Effect.tap(this.describeOnLane(sql, tables), (described) =>
      Effect.sync(() => {
        if (cache.generation === generation) cache.set(key, described)
      })
    )
  }

  private describeOnLane(sql: string, tables: ReadonlyArray<string>): Effect.Effect<Described, SqlError> {
    return Effect.scoped(
      Effect.zipRight(
        this.claim,
        Effect.suspend(() => {
          if (this.closed) return Effect.fail(sqlError("08003", "session is closed"))
          // The lane is taken interruptibly (waiting for one races a cancel, which cannot finish inside an uninterruptible acquire).
          return Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(restore(this.acquireLane()), (lane) => {
              const use = Effect.flatMap(lane.start({ t: "describe", id: nextRequestId++, sql, tables }), (inbox) => {
                this.running = lane
                lane.canceled = false
                return Effect.flatMap(drain(inbox, lane), (event): Effect.Effect<Described, SqlError> => {
                  this.running = undefined
                  switch (event.t) {
                    case "described":
                      return Effect.succeed({ reader: event.reader, columns: event.columns, tables: event.tables })
                    case "error":
                      return Effect.fail(toLaneError(event))
                    case "exit":
                      return Effect.fail(lane.canceled ? queryCanceled(lane.canceled) : sqlError("58000", `SQLite process exited unexpectedly (${event.signal ?? event.code})`))
                    default:
                      return Effect.fail(sqlError("XX000", `unexpected ${event.t} from a SQLite lane`))
                  }
                })
              })
              const release = Effect.suspend(() => {
                this.running = undefined
                if (lane !== this.pinned) return this.context.pool.release(lane)
                if (!lane.dead) return Effect.void
                // the lane holding the transaction died (cancelled): the transaction is gone
                this.pinned = undefined
                this.status = "E"
                return this.context.pool.release(lane)
              })
              return Effect.ensuring(restore(use), release)
            })
          )
        })
      )
    )
  }

  /** Runs every statement of a query string and reads all rows; stops at the first error. */
  query(sql: string, params: ReadonlyArray<unknown> = []): Effect.Effect<ReadonlyArray<CollectedResult>, SqlError> {
    const statements = splitStatements(sql)
    const each = Effect.forEach(statements, (statement) =>
      Effect.scoped(
        Effect.flatMap(this.execute(statement, params), (result): Effect.Effect<CollectedResult, SqlError> => {
          if (result._tag === "Command") return Effect.succeed({ ...result, columns: undefined, rows: [] })
          return Effect.map(Stream.runCollect(result.rows), (rows) => ({
            ...result,
            rows: Chunk.toReadonlyArray(rows),
            commandTag: result.commandTag(rows.length)
          }))
        })
      )
    )
    if (statements.length < 2) return each
    return Effect.zipRight(
      this.beginImplicit,
      Effect.onExit(each, (exit) => Effect.ignore(this.finishImplicit(false)).pipe(Effect.when(() => Exit.isFailure(exit))))
    ).pipe(Effect.tap(() => this.finishImplicit(true)))
  }

  /** The pg_notify() calls of the statements that succeeded since the last call, in order. */
  takeNotifications(): ReadonlyArray<readonly [string, string]> {
    const taken = this.notifications
    this.notifications = []
    return taken
  }

  /**
   * Runs statements as one all-or-nothing unit in the session's transaction
   * context (inside a transaction, a savepoint): COPY FROM's inserts. Returns
   * the number of rows changed.
   */
  atomically(sqls: ReadonlyArray<string>): Effect.Effect<number, SqlError, Scope.Scope> {
    return Effect.zipRight(
      this.claim,
      Effect.suspend(() => {
        if (this.closed) return Effect.fail(sqlError("08003", "session is closed"))
        if (this.status === "E") {
          return Effect.fail(sqlError("25P02", "current transaction is aborted, commands ignored until end of transaction block"))
        }
        return Effect.zipRight(
          this.openImplicit,
          Effect.map(this.runLane({ t: "atomic", id: nextRequestId++, sqls }, { _tag: "Insert" }), (result) =>
            result._tag === "Command" ? Number(result.commandTag.slice("INSERT 0 ".length)) : 0
          )
        )
      })
    )
  }

  /** Stops the running statement (57014); its transaction, if any, becomes aborted (E). */
  get cancel(): Effect.Effect<void> {
    return Effect.suspend(() => {
      const lane = this.running
      if (lane !== undefined) {
        lane.canceled = "user"
        lane.kill()
        return Effect.void
      }
      const waiting = this.cancelWaiting
      return waiting === undefined ? Effect.void : Effect.asVoid(Deferred.fail(waiting, queryCanceled()))
    })
  }

  /** Ends the session: rolls back its open transaction and gives its lane back. */
  get close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      const lane = this.running ?? this.pinned
      if (lane === undefined) return Effect.void
      if (this.running !== undefined) {
        // the running statement's own settle gives the (dead) lane back
        lane.canceled = "user"
        lane.kill()
        return Effect.void
      }
      this.pinned = undefined
      return this.runOnLane(lane, "ROLLBACK").pipe(
        Effect.catchAll(() => lane.killAndWait),
        Effect.zipRight(this.context.pool.release(lane))
      )
    })
  }

  private executePlan(plan: Plan, params: ReadonlyArray<unknown>, options: ExecuteOptions): Effect.Effect<StatementResult, SqlError, Scope.Scope> {
    switch (plan._tag) {
      case "Set":
        return this.set(plan.name, plan.value, plan.local)
      case "SetIgnored":
        return Effect.succeed(command("SET"))
      case "Show":
        return this.show(plan.name)
      case "Reset":
        return plan.name === "ALL" ? Effect.succeed(command("RESET", this.resetAll())) : this.set(plan.name, undefined, false, "RESET")
      case "Discard":
        if (plan.what !== "ALL") return Effect.succeed(command(`DISCARD ${plan.what === "TEMPORARY" ? "TEMP" : plan.what}`))
        if (this.status !== "I") return Effect.fail(sqlError("25001", "DISCARD ALL cannot run inside a transaction block"))
        return Effect.succeed(command("DISCARD ALL", this.resetAll()))
      case "Begin":
        if (this.implicitOpen) {
          // BEGIN after statements of an implicit block: they join the new regular block
          this.implicitOpen = false
          return Effect.succeed(command("BEGIN", { transaction: "begin" }))
        }
        if (this.status !== "I") {
          return Effect.succeed(command("BEGIN", { notices: [warning("25001", "there is already a transaction in progress")] }))
        }
        return Effect.map(this.control(plan.readOnly ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE"), () => {
          this.txSnapshot = this.settings
          this.localRestore.clear()
          return command("BEGIN", { transaction: "begin" })
        })
      case "Commit":
        if (this.implicitOpen) return this.closeImplicit("COMMIT")
        if (this.status === "I") {
          return Effect.succeed(command("COMMIT", { notices: [warning("25P01", "there is no transaction in progress")] }))
        }
        if (this.status === "E") return this.rollback()
        return Effect.map(this.control("COMMIT"), () => {
          const changes = this.endTransaction(false)
          return command("COMMIT", { transaction: "commit", parameterChanges: changes })
        })
      case "Rollback":
        if (this.implicitOpen) return this.closeImplicit("ROLLBACK")
        if (this.status === "I") {
          return Effect.succeed(command("ROLLBACK", { notices: [warning("25P01", "there is no transaction in progress")] }))
        }
        return this.rollback()
      case "Savepoint":
      case "Release":
      case "RollbackTo": {
        const tag = plan._tag === "Savepoint" ? "SAVEPOINT" : plan._tag === "Release" ? "RELEASE" : "ROLLBACK"
        if (this.status === "I" || this.implicitOpen) {
          const what = plan._tag === "Savepoint" ? "SAVEPOINT" : plan._tag === "Release" ? "RELEASE SAVEPOINT" : "ROLLBACK TO SAVEPOINT"
          return Effect.fail(sqlError("25P01", `${what} can only be used in transaction blocks`))
        }
        if (this.pinned === undefined) return Effect.fail(sqlError("3B001", "savepoint does not exist"))
        return Effect.as(
          this.control(plan.sql),
          command(tag, plan._tag === "RollbackTo" ? { transaction: "rollbackToSavepoint" } : {})
        )
      }
      case "Truncate":
        return Effect.zipRight(this.openImplicit, Effect.map(
          this.runLane({ t: "atomic", id: nextRequestId++, sqls: truncateStatements(plan.tables, this.context.changeCapture) }, { _tag: "Other", tag: "TRUNCATE TABLE" }),
          () => command("TRUNCATE TABLE")
        ))
      case "Vacuum":
        // PostgreSQL's VACUUM reclaims dead row versions; SQLite has none to reclaim.
        if (this.status !== "I") return Effect.fail(sqlError("25001", "VACUUM cannot run inside a transaction block"))
        return Effect.succeed(command("VACUUM"))
      case "Sql": {
        const named: Record<string, SqliteValue> = {}
        params.forEach((p, i) => (named[String(i + 1)] = toSqliteParam(p)))
        return Effect.zipRight(this.openImplicit, this.runLane(
          {
            t: "run",
            id: nextRequestId++,
            sql: plan.sql,
            params: named,
            batchRows: this.context.batchRows,
            window: this.context.window,
            batchBytes: this.context.batchBytes
          },
          plan.verb,
          options.columnTypes
        ))
      }
    }
  }

  /** In a multi-statement string outside any block: opens the implicit block's SQLite transaction. */
  private get openImplicit(): Effect.Effect<void, SqlError, Scope.Scope> {
    return Effect.suspend(() => {
      if (!this.implicitMode || this.implicitOpen || this.status !== "I") return Effect.void
      return Effect.map(this.control("BEGIN DEFERRED"), () => {
        this.implicitOpen = true
        this.txSnapshot = this.settings
        this.localRestore.clear()
      })
    })
  }

  /** COMMIT or ROLLBACK inside an implicit block: closes it, with PostgreSQL's warning. */
  private closeImplicit(tag: "COMMIT" | "ROLLBACK"): Effect.Effect<StatementResult, SqlError, Scope.Scope> {
    this.implicitOpen = false
    const notices = [warning("25P01", "there is no transaction in progress")]
    if (tag === "ROLLBACK") return Effect.map(this.rollback(), (r) => ({ ...r, notices }))
    return Effect.map(this.control("COMMIT"), () => command("COMMIT", { notices, parameterChanges: this.endTransaction(false) }))
  }

  /** Runs a transaction-control statement on the session's lane. */
  private control(sql: string): Effect.Effect<StatementResult, SqlError, Scope.Scope> {
    return this.runLane(
      { t: "run", id: nextRequestId++, sql, params: {}, batchRows: 1, batchBytes: 1, window: 1 },
      { _tag: "Other", tag: "" }
    )
  }

  /** ROLLBACK (or COMMIT of an aborted transaction): ends the transaction whatever state its lane is in. */
  private rollback(): Effect.Effect<StatementResult, SqlError, Scope.Scope> {
    const done = Effect.sync(() => command("ROLLBACK", { transaction: "rollback", parameterChanges: this.endTransaction(true) }))
    const lane = this.pinned
    if (lane === undefined) {
      this.status = "I"
      return done
    }
    return Effect.zipRight(
      this.control("ROLLBACK").pipe(Effect.catchAll(() => Effect.void)),
      Effect.suspend(() => {
        // whatever the lane said, the session's transaction is over
        const still = this.pinned
        this.pinned = undefined
        this.status = "I"
        // a lane whose ROLLBACK failed must not carry its transaction to another session
        return Effect.zipRight(still === undefined ? Effect.void : Effect.zipRight(still.killAndWait, this.context.pool.release(still)), done)
      })
    )
  }

  /** Transaction over: settings return to their state at BEGIN (rollback) or lose SET LOCAL values (commit). */
  private endTransaction(rolledBack: boolean): ReadonlyArray<readonly [string, string]> {
    const before = this.settings
    if (rolledBack && this.txSnapshot !== undefined) this.settings = this.txSnapshot
    else if (this.localRestore.size > 0) {
      const next: Record<string, string> = { ...this.settings }
      for (const [name, value] of this.localRestore) {
        if (value === undefined) delete next[name]
        else next[name] = value
      }
      this.settings = next
    }
    this.txSnapshot = undefined
    this.localRestore.clear()
    return reportedChanges(before, this.settings)
  }

  // ---- settings -------------------------------------------------------------

  private set(
    rawName: string,
    value: string | undefined,
    local: boolean,
    tag = "SET"
  ): Effect.Effect<StatementResult, SqlError> {
    const name = canonicalName(rawName)
    if (isReadOnly(name)) return Effect.fail(sqlError("55P02", `parameter "${name}" cannot be changed`))
    let next = value ?? this.initial[name]
    if (name === "client_encoding" && next !== undefined) {
      const encoding = normalizeClientEncoding(next)
      if (encoding === undefined) {
        return Effect.fail(sqlError("0A000", `client_encoding "${next}" is not supported: this server speaks UTF8 only`))
      }
      next = encoding
    }
    if (local) {
      if (this.status === "I") {
        return Effect.succeed(command(tag, { notices: [warning("25P01", "SET LOCAL can only be used in transaction blocks")] }))
      }
      if (!this.localRestore.has(name)) this.localRestore.set(name, this.settings[name])
    }
    const before = this.settings
    const updated: Record<string, string> = { ...before }
    if (next === undefined) delete updated[name]
    else updated[name] = next
    this.settings = updated
    return Effect.succeed(command(tag, { parameterChanges: reportedChanges(before, updated) }))
  }

  private resetAll(): Partial<StatementEffects> {
    const before = this.settings
    const next: Record<string, string> = { ...this.initial }
    for (const name of Object.keys(before)) if (isReadOnly(name) && before[name] !== undefined) next[name] = before[name]!
    this.settings = next
    return { parameterChanges: reportedChanges(before, next) }
  }

  private show(rawName: string): Effect.Effect<StatementResult, SqlError> {
    if (rawName === "ALL") {
      const rows = Object.keys(this.settings)
        .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))
        .map((name) => [name, this.settings[name]!, ""])
      return Effect.succeed(
        rowsResult([textColumn("name"), textColumn("setting"), textColumn("description")], rows, { _tag: "Other", tag: "SHOW" })
      )
    }
    const name = canonicalName(rawName)
    const value = this.settings[name]
    if (value === undefined) return Effect.fail(sqlError("42704", `unrecognized configuration parameter "${rawName}"`))
    return Effect.succeed(rowsResult([textColumn(name)], [[value]], { _tag: "Other", tag: "SHOW" }))
  }

  // ---- lanes ----------------------------------------------------------------

  /** The session's lane: the one holding its transaction, else one from the pool (cancellable while waiting). */
  private acquireLane(): Effect.Effect<Lane, SqlError> {
    if (this.pinned !== undefined) return Effect.succeed(this.pinned)
    return Effect.flatMap(this.context.pool.tryAcquire, (idle) =>
      Option.isSome(idle) ? Effect.succeed(idle.value) : this.waitForLane()
    )
  }

  /** Waits for a lane from the pool; `cancel` stops the wait. */
  private waitForLane(): Effect.Effect<Lane, SqlError> {
    return Effect.flatMap(Deferred.make<never, SqlError>(), (canceled) => {
      this.cancelWaiting = canceled
      return Effect.raceFirst(this.context.pool.acquire, Deferred.await(canceled)).pipe(
        Effect.ensuring(Effect.sync(() => (this.cancelWaiting = undefined)))
      )
    })
  }

  /** Runs a short statement to its end without a scope (used by `close`). */
  private runOnLane(lane: Lane, sql: string): Effect.Effect<void, SqlError> {
    return Effect.flatMap(
      lane.start({ t: "run", id: nextRequestId++, sql, params: {}, batchRows: 1, batchBytes: 1, window: 1 }),
      (inbox) => Effect.asVoid(drain(inbox, lane))
    )
  }

  /**
   * Sends one request to a lane and turns its answers into a result. The
   * lane's end (done, error, death) settles the session: a lane whose SQLite
   * connection is inside a transaction stays pinned to the session, any
   * other goes back to the pool.
   */
  private runLane(request: ToLane, verb: Verb, columnTypes?: ReadonlyArray<number>): Effect.Effect<StatementResult, SqlError, Scope.Scope> {
    return Effect.gen(this, function*() {
      const wasInTransaction = this.status !== "I"
      // a statement that may change the schema (or undo a change) makes described statements stale
      if ((verb._tag === "Other" && verb.tag !== "") || (request.t === "run" && /^ROLLBACK/.test(request.sql))) this.context.describeCache.generation++
      const lane = yield* this.acquireLane()
      this.running = lane
      lane.canceled = false
      if (request.t === "run" && lane.settingsSent !== this.settings) {
        lane.settingsSent = this.settings
        request = { ...request, settings: this.settings }
      }
      const inbox = yield* lane.start(request)
      let settled = false
      // statement_timeout: the statement (rows included) is cancelled once it has run this long
      const timeoutMs = parseTimeout(this.settings["statement_timeout"])
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          if (settled) return
          lane.canceled = "timeout"
          lane.kill()
        }, timeoutMs)
        : undefined
      const settle = (end: LaneEnd): Effect.Effect<void> =>
        Effect.suspend(() => {
          if (settled) return Effect.void
          settled = true
          if (timer !== undefined) clearTimeout(timer)
          this.running = undefined
          // a statement's notifications count only if it succeeded
          const notifies = lane.notifies.splice(0)
          if (end._tag === "Done") this.notifications.push(...notifies)
          if (end._tag === "Died" || !end.inTransaction) {
            this.pinned = undefined
            // a failure or a lost lane inside a transaction leaves it aborted until ROLLBACK
            this.status = end._tag !== "Done" && wasInTransaction ? "E" : "I"
            return this.context.pool.release(lane)
          }
          this.pinned = lane
          this.status = end._tag === "Failed" ? "E" : "T"
          return Effect.void
        })
      const ended = (event: Exclude<LaneEvent, { t: "rows" }>): Effect.Effect<LaneEnd> => {
        const end: LaneEnd =
          event.t === "done"
            ? { _tag: "Done", changes: event.changes, inTransaction: event.inTransaction }
            : event.t === "error"
              ? { _tag: "Failed", error: toLaneError(event), inTransaction: event.inTransaction }
              : event.t === "described"
                ? { _tag: "Failed", error: sqlError("XX000", "unexpected describe answer from a SQLite lane"), inTransaction: lane === this.pinned }
                : { _tag: "Died", error: lane.canceled ? queryCanceled(lane.canceled) : sqlError("58000", `SQLite process exited unexpectedly (${event.signal ?? event.code})`) }
        return Effect.as(settle(end), end)
      }
      // Leaving early: a normal exit lets the lane close its cursor; an interrupt stops it like a cancel.
      yield* Effect.addFinalizer((exit) =>
        Effect.suspend(() => {
          if (settled) return Effect.void
          if (Exit.isInterrupted(exit)) {
            lane.canceled = "user"
            lane.kill()
          } else lane.send({ t: "close", id: request.id })
          return Effect.flatMap(drain(inbox, lane), (event) => Effect.asVoid(ended(event)))
        })
      )
      const first = yield* Queue.take(inbox)
      if (first.t !== "rows") {
        const end = yield* ended(first)
        if (end._tag !== "Done") return yield* Effect.fail(end.error)
        return command(commandTagFor(verb, end.changes))
      }
      if (first.more) lane.send({ t: "more", id: request.id })
      const typed = describeColumns(first.columns ?? [], first.rows, request.t === "run" ? request.sql : "")
      const columns = columnTypes !== undefined && columnTypes.length === typed.length
        ? typed.map((c, i) => ({ ...c, typeOid: columnTypes[i]! }))
        : typed
      // Batches read but not yet pulled (the first one; after a spill, all the rest), then the statement's end.
      const ahead: Array<Chunk.Chunk<ReadonlyArray<unknown>>> = [normalizeRows(first.rows, columns)]
      let end: LaneEnd | undefined
      const permit = this.permit
      const finish = (event: Exclude<LaneEvent, { t: "rows" }>) =>
        Effect.map(ended(event), (e) => {
          end = e
          if (this.reader === reader) this.reader = undefined
        })
      /** The next batch from the lane; `end` is set when the statement's end arrives instead. */
      const readBatch: Effect.Effect<Chunk.Chunk<ReadonlyArray<unknown>> | undefined> = Effect.flatMap(Queue.take(inbox), (event) => {
        if (event.t !== "rows") return Effect.as(finish(event), undefined)
        if (event.more) lane.send({ t: "more", id: request.id })
        return Effect.succeed(normalizeRows(event.rows, columns))
      })
      // One reader of the lane's answers at a time: the owner's pull, or a spill.
      let pulling = false
      let spilling: Deferred.Deferred<void> | undefined
      const pull: Effect.Effect<Chunk.Chunk<ReadonlyArray<unknown>>, Option.Option<SqlError>> = Effect.suspend(() => {
        if (ahead.length > 0) return Effect.succeed(ahead.shift()!)
        if (end !== undefined) return Effect.fail(end._tag === "Done" ? Option.none() : Option.some(end.error))
        if (spilling !== undefined) return Effect.zipRight(Deferred.await(spilling), pull)
        pulling = true
        return Effect.flatMap(
          Effect.ensuring(readBatch, Effect.sync(() => (pulling = false))),
          (chunk) => (chunk === undefined ? pull : Effect.succeed(chunk))
        )
      })
      const readRest: Effect.Effect<void> = Effect.suspend(() =>
        end !== undefined ? Effect.void : Effect.flatMap(readBatch, (chunk) => {
          if (chunk !== undefined) ahead.push(chunk)
          return readRest
        })
      )
      /**
       * Another statement wants the session while these rows are unread (a
       * suspended portal): read them all now, then let go of the lane and the
       * lock. Not while the owner is reading (a session shared by fibers):
       * the newcomer then waits for the lock as usual. An interrupted spill
       * goes on where it stopped next time.
       */
      const spill: Effect.Effect<void> = Effect.suspend(() => {
        if (end !== undefined) return permit?.release ?? Effect.void
        if (pulling || spilling !== undefined) return Effect.void
        const done = Deferred.unsafeMake<void>(FiberId.none)
        spilling = done
        return readRest.pipe(
          Effect.ensuring(Effect.sync(() => {
            spilling = undefined
            Deferred.unsafeDone(done, Exit.void)
          })),
          Effect.zipRight(Effect.suspend(() => permit?.release ?? Effect.void))
        )
      })
      const reader = { spill }
      this.reader = reader
      yield* Effect.addFinalizer(() => Effect.sync(() => {
        if (this.reader === reader) this.reader = undefined
      }))
      const result: RowsResult = {
        _tag: "Rows",
        ...noEffects,
        columns,
        rows: Stream.repeatEffectChunkOption(pull),
        commandTag: (n) => commandTagFor(verb._tag === "Other" ? { _tag: "Select" } : verb, n)
      }
      return result
    })
  }
}

/** Reads a lane's answers up to the end of the request, dropping rows (after `close` or a kill). */
const drain = (
  inbox: Queue.Dequeue<LaneEvent>,
  lane: Lane
): Effect.Effect<Exclude<LaneEvent, { t: "rows" }>> =>
  Effect.flatMap(Queue.take(inbox), (event) => {
    if (event.t === "rows") {
      if (event.more) lane.send({ t: "close", id: event.id })
      return drain(inbox, lane)
    }
    return Effect.succeed(event)
  })

const normalizeRows = (
  rows: ReadonlyArray<ReadonlyArray<SqliteValue>>,
  columns: ReadonlyArray<Column>
): Chunk.Chunk<ReadonlyArray<unknown>> => {
  const oids = columns.map((c) => c.typeOid)
  const out = new Array<ReadonlyArray<unknown>>(rows.length)
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!
    const values = new Array<unknown>(row.length)
    for (let i = 0; i < row.length; i++) values[i] = normalizeValue(row[i]!, oids[i]!)
    out[r] = values
  }
  return Chunk.unsafeFromArray(out)
}

const command = (commandTag: string, effects: Partial<StatementEffects> = {}): CommandResult => ({
  _tag: "Command",
  ...noEffects,
  ...effects,
  commandTag
})

const textColumn = (name: string): Column => ({ name, typeOid: PgType.text, declared: null })

const rowsResult = (columns: ReadonlyArray<Column>, rows: ReadonlyArray<ReadonlyArray<unknown>>, verb: Verb): RowsResult => ({
  _tag: "Rows",
  ...noEffects,
  columns,
  rows: Stream.fromIterable(rows),
  commandTag: (n) => (verb._tag === "Other" ? verb.tag : commandTagFor(verb, n))
})

const warning = (code: string, message: string): SqlNotice => ({ severity: "WARNING", code, message })

const reportedChanges = (
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>
): ReadonlyArray<readonly [string, string]> => {
  const changes: Array<readonly [string, string]> = []
  for (const name of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (isReported(name) && before[name] !== after[name]) changes.push([name, after[name] ?? ""])
  }
  return changes
}

export type { TransactionChange }
