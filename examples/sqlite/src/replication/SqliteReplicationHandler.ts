/**
 * The ReplicationHandler of the SQLite example: slots in `_pgwire_slots`,
 * changes tailed from `_pgwire_changes` (woken by commits through this
 * server, and polled for the rest), emitted as pgoutput from the slot's
 * confirmed position. Acknowledgements move the slot forward and let the log
 * forget what every slot has confirmed.
 */
import { randomInt } from "node:crypto"
import { SqlState } from "@pgwire-ts/protocol"
import {
  KeepaliveRequest,
  PgError,
  ReplicationHandler,
  type ReplicationHandlerShape,
  type WalMessage
} from "@pgwire-ts/server"
import { Chunk, Duration, Effect, Layer, Option, Schedule, type Scope, Stream } from "effect"
import type { SqliteEngine } from "../engine/SqliteEngine.js"
import type { SqliteSession } from "../engine/SqliteSession.js"
import type { SqlError } from "../engine/SqlError.js"
import { SqliteDatabase, toPgError } from "../SqliteQueryHandler.js"
import { loadPublications, publishedOps, resolveTable, rows, tableColumns } from "./catalog.js"
import { ChangeCapture, makeChangeCapture } from "./ChangeCapture.js"
import { CHANGE_LOG_DDL, coveredId, endLsn, LSN_BASE } from "./changeLog.js"
import type { ChangeNotifier } from "./ChangeNotifier.js"
import { type ChangeRow, PgOutputEmitter, type RelationInfo } from "./PgOutputEmitter.js"

export interface SqliteReplicationOptions {
  /** Rows read from the log per query. Default 500. */
  readonly batchRows?: number
  /** With streaming on: transactions above this many changes go out in blocks. Default 1000. */
  readonly streamThreshold?: number
  /** Changes per stream block. Default 500. */
  readonly blockSize?: number
  /** How often the log is read when no commit through this server woke the stream. Default 1 second. */
  readonly pollInterval?: Duration.DurationInput
  readonly keepaliveInterval?: Duration.DurationInput
  readonly senderTimeout?: Duration.DurationInput
}

const withPg = <A, R>(effect: Effect.Effect<A, SqlError | PgError, R>): Effect.Effect<A, PgError, R> =>
  Effect.mapError(effect, (e) => (e instanceof PgError ? e : toPgError(e)))

const MAX_ID = 9223372036854775807n

/** The log's high-water mark: the newest id ever given (kept by AUTOINCREMENT even after rows are deleted). */
const highWater = (sqlite: SqliteSession) =>
  Effect.map(rows(sqlite, "SELECT seq FROM sqlite_sequence WHERE name = '_pgwire_changes'"), (r) => (r.length === 0 ? 0n : BigInt(r[0]![0] as bigint)))

/** The current end of WAL: the end of the newest logged transaction. */
const walEndOf = (seq: bigint): bigint => (seq === 0n ? LSN_BASE : endLsn(seq))

/**
 * Where to read from after an acknowledged position: the last row it fully
 * covers, moved back to before the transaction that row's successor belongs
 * to when that transaction began earlier (an acknowledgement in the middle of
 * a transaction sends it again whole).
 */
const resumeAfter = (sqlite: SqliteSession, lsn: bigint): Effect.Effect<bigint, SqlError> =>
  Effect.gen(function* () {
    const covered = coveredId(lsn)
    const next = yield* rows(sqlite, "SELECT txid FROM _pgwire_changes WHERE id > $1 ORDER BY id LIMIT 1", [covered])
    if (next.length === 0) return covered
    const before = yield* rows(sqlite, "SELECT id FROM _pgwire_changes WHERE id <= $1 AND txid <> $2 ORDER BY id DESC LIMIT 1", [covered, next[0]![0]])
    const partOfIt = yield* rows(sqlite, "SELECT 1 FROM _pgwire_changes WHERE id <= $1 AND id > $2 AND txid = $3 LIMIT 1", [
      covered,
      before.length === 0 ? 0n : before[0]![0],
      next[0]![0]
    ])
    return partOfIt.length === 0 ? covered : before.length === 0 ? 0n : BigInt(before[0]![0] as bigint)
  })

const notFound = (name: string) => PgError.make(SqlState.UndefinedObject, `replication slot "${name}" does not exist`)

export const makeSqliteReplicationHandler = (
  engine: SqliteEngine,
  notifier: ChangeNotifier,
  options: SqliteReplicationOptions = {}
): Effect.Effect<ReplicationHandlerShape, SqlError, Scope.Scope> =>
  Effect.gen(function* () {
    const batchRows = options.batchRows ?? 500
    const pollInterval = Duration.decode(options.pollInterval ?? "1 second")
    // One session for slot bookkeeping; each stream reads the log through its own.
    const control = yield* engine.openSession()
    yield* control.query(CHANGE_LOG_DDL.join(";\n"))
    // Temporary slots die with their connection; after a restart none is alive.
    yield* control.query("DELETE FROM _pgwire_slots WHERE temporary <> 0")
    let systemId = (yield* rows(control, "SELECT value FROM _pgwire_system WHERE key = 'system_identifier'"))[0]?.[0]
    if (systemId === undefined) {
      systemId = `7${String(randomInt(0, 2 ** 47)).padStart(18, "0")}`
      yield* control.query("INSERT INTO _pgwire_system (key, value) VALUES ('system_identifier', $1)", [systemId])
    }
    const systemIdentifier = String(systemId)
    /** Slots being streamed now: name → process id of the connection. */
    const active = new Map<string, number>()

    const cleanup = Effect.gen(function* () {
      const slots = yield* rows(control, "SELECT min(confirmed) FROM _pgwire_slots")
      const min = slots[0]?.[0]
      const upTo = min === null || min === undefined ? yield* highWater(control) : yield* resumeAfter(control, BigInt(min as bigint))
      if (upTo > 0n) yield* control.query("DELETE FROM _pgwire_changes WHERE id <= $1", [upTo])
    })

    const readSlot = (name: string) =>
      Effect.map(rows(control, "SELECT confirmed, plugin FROM _pgwire_slots WHERE name = $1", [name]), (r) =>
        r.length === 0 ? undefined : { confirmed: BigInt(r[0]![0] as bigint), plugin: String(r[0]![1]) }
      )

    const dropSlot = (name: string): Effect.Effect<void, SqlError> =>
      Effect.zipRight(control.query("DELETE FROM _pgwire_slots WHERE name = $1", [name]), cleanup)

    /** Resolves once no connection streams from the slot (DROP_REPLICATION_SLOT ... WAIT, temporary slots). */
    const awaitInactive = (name: string): Effect.Effect<void> =>
      Effect.asVoid(Effect.repeat(Effect.sync(() => active.has(name)), { while: (busy) => busy, schedule: Schedule.spaced("50 millis") }))

    const relationInfo = (sqlite: SqliteSession, name: string): Effect.Effect<RelationInfo | undefined, SqlError> =>
      Effect.gen(function* () {
        const table = yield* resolveTable(sqlite, name)
        if (table === undefined) return undefined
        const oid = yield* rows(sqlite, "SELECT oid FROM _pgwire_relations WHERE relname = $1", [table])
        if (oid.length === 0) return undefined
        return { oid: Number(oid[0]![0]), name: table, columns: yield* tableColumns(sqlite, table) }
      })

    const handler: ReplicationHandlerShape = {
      keepaliveInterval: options.keepaliveInterval,
      senderTimeout: options.senderTimeout,

      identifySystem: (session) =>
        withPg(
          Effect.map(highWater(control), (seq) => ({
            systemId: systemIdentifier,
            timeline: 1,
            xlogPos: walEndOf(seq),
            dbName: session.database
          }))
        ),

      createSlot: (request, session) =>
        withPg(
          Effect.gen(function* () {
            if (request.plugin !== "pgoutput") {
              return yield* Effect.fail(PgError.make(SqlState.UndefinedFile, `could not access file "${request.plugin}": No such file or directory`))
            }
            if ((yield* readSlot(request.name)) !== undefined) {
              return yield* Effect.fail(PgError.make(SqlState.DuplicateObject, `replication slot "${request.name}" already exists`))
            }
            // Consistent from here: the slot sees every transaction committed after the log's current end.
            const consistentPoint = walEndOf(yield* highWater(control))
            yield* control.query(
              "INSERT INTO _pgwire_slots (name, plugin, temporary, two_phase, confirmed) VALUES ($1, $2, $3, $4, $5)",
              [request.name, request.plugin, request.temporary ? 1 : 0, request.twoPhase ? 1 : 0, consistentPoint]
            )
            if (request.temporary) {
              yield* session.onClose(Effect.ignore(Effect.zipRight(awaitInactive(request.name), dropSlot(request.name))))
            }
            yield* cleanup
            // No snapshot can be exported from SQLite: "export" gets none, like "nothing".
            return { consistentPoint, snapshotName: null }
          })
        ),

      dropSlot: (name, { wait }) =>
        withPg(
          Effect.gen(function* () {
            if ((yield* readSlot(name)) === undefined) return yield* Effect.fail(notFound(name))
            const pid = active.get(name)
            if (pid !== undefined) {
              if (!wait) return yield* Effect.fail(PgError.make(SqlState.ObjectInUse, `replication slot "${name}" is active for PID ${pid}`))
              yield* awaitInactive(name)
            }
            yield* dropSlot(name)
          })
        ),

      readSlot: (name) =>
        withPg(
          Effect.map(readSlot(name), (slot) =>
            slot === undefined ? Option.none() : Option.some({ slotType: "logical" as const, restartLsn: slot.confirmed, restartTli: 1 })
          )
        ),

      startReplication: (request, session) =>
        Effect.gen(function* () {
          const slot = yield* withPg(readSlot(request.slot))
          if (slot === undefined) return yield* Effect.fail(notFound(request.slot))
          const holder = active.get(request.slot)
          if (holder !== undefined) {
            return yield* Effect.fail(PgError.make(SqlState.ObjectInUse, `replication slot "${request.slot}" is active for PID ${holder}`))
          }
          const publications = yield* withPg(loadPublications(control))
          const chosen = publishedOps(publications, request.pgoutput.publicationNames)
          if (chosen.missing !== undefined) {
            return yield* Effect.fail(PgError.make(SqlState.UndefinedObject, `publication "${chosen.missing}" does not exist`))
          }
          yield* Effect.acquireRelease(
            Effect.sync(() => active.set(request.slot, session.processId)),
            () => Effect.sync(() => active.delete(request.slot))
          )
          const start = request.startLsn > slot.confirmed ? request.startLsn : slot.confirmed
          let confirmed = slot.confirmed
          const tail = tailLog(engine, notifier, {
            start,
            batchRows,
            pollInterval,
            emitter: (sqlite) =>
              new PgOutputEmitter(
                {
                  protoVersion: request.pgoutput.protoVersion,
                  binary: request.pgoutput.binary,
                  streaming: request.pgoutput.streaming !== "off",
                  streamThreshold: options.streamThreshold ?? 1000,
                  blockSize: options.blockSize ?? 500,
                  ops: chosen.ops
                },
                {
                  transaction: (txid, firstId) => transactionInfo(sqlite, txid, firstId),
                  relation: (name) => relationInfo(sqlite, name)
                }
              )
          })
          return {
            changes: Stream.mapError(tail, toPgError),
            onStandbyStatus: (update) =>
              update.flushLsn <= confirmed
                ? Effect.void
                : withPg(
                    Effect.gen(function* () {
                      confirmed = update.flushLsn
                      yield* control.query("UPDATE _pgwire_slots SET confirmed = $1 WHERE name = $2 AND confirmed < $1", [
                        update.flushLsn,
                        request.slot
                      ])
                      yield* cleanup
                    })
                  )
          }
        })
    }

    return handler
  })

/** The transaction `txid` starting (for us) at `firstId`: its last row and time (rows of a transaction are contiguous). */
const transactionInfo = (sqlite: SqliteSession, txid: bigint, firstId: bigint) =>
  Effect.gen(function* () {
    const next = yield* rows(sqlite, "SELECT id FROM _pgwire_changes WHERE id > $1 AND txid <> $2 ORDER BY id LIMIT 1", [firstId, txid])
    const bound = next.length === 0 ? MAX_ID : BigInt(next[0]![0] as bigint)
    const last = yield* rows(sqlite, "SELECT id, at FROM _pgwire_changes WHERE id >= $1 AND id < $2 ORDER BY id DESC LIMIT 1", [firstId, bound])
    const lastId = BigInt(last[0]![0] as bigint)
    return { lastId, size: lastId - firstId + 1n, at: BigInt(last[0]![1] as bigint) }
  })

interface TailOptions {
  readonly start: bigint
  readonly batchRows: number
  readonly pollInterval: Duration.Duration
  readonly emitter: (sqlite: SqliteSession) => PgOutputEmitter
}

/**
 * The log from `start` on, as pgoutput messages, forever: reads a batch,
 * emits it, and once caught up sends a keepalive (the client learns the WAL
 * end) and waits for a commit or the poll interval.
 */
const tailLog = (engine: SqliteEngine, notifier: ChangeNotifier, o: TailOptions): Stream.Stream<WalMessage | KeepaliveRequest, SqlError> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const sqlite = yield* engine.openSession()
      const emitter = o.emitter(sqlite)
      let cursor = yield* resumeAfter(sqlite, o.start)
      let caughtUp = false
      const next: Effect.Effect<Chunk.Chunk<WalMessage | KeepaliveRequest>, SqlError> = Effect.gen(function* () {
        for (;;) {
          const signal = notifier.signal
          const batch = yield* rows(sqlite, "SELECT id, txid, relname, op, old, new FROM _pgwire_changes WHERE id > $1 ORDER BY id LIMIT $2", [
            cursor,
            o.batchRows
          ])
          if (batch.length > 0) {
            caughtUp = false
            const changes: Array<ChangeRow> = batch.map((r) => ({
              id: BigInt(r[0] as bigint),
              txid: BigInt(r[1] as bigint),
              relname: String(r[2]),
              op: String(r[3]),
              old: r[4] === null ? null : String(r[4]),
              new: r[5] === null ? null : String(r[5])
            }))
            cursor = changes[changes.length - 1]!.id
            const out = yield* emitter.push(changes)
            if (out.length > 0) return Chunk.unsafeFromArray(out)
            continue
          }
          if (!caughtUp) {
            // Everything logged is read: the client hears where the log ends (pg_recvlogical --endpos waits for it).
            caughtUp = true
            const end = walEndOf(yield* highWater(sqlite))
            return Chunk.of<WalMessage | KeepaliveRequest>(KeepaliveRequest({ walEnd: end }))
          }
          yield* Effect.raceFirst(signal, Effect.sleep(o.pollInterval))
        }
      })
      return Stream.repeatEffectChunk(next)
    })
  )

/** Change capture over the server's SQLite database: publication DDL, triggers, commit wake-ups. */
export const ChangeCaptureLive: Layer.Layer<ChangeCapture, SqlError, SqliteDatabase> = Layer.scoped(
  ChangeCapture,
  Effect.flatMap(SqliteDatabase, makeChangeCapture)
)

/** The replication handler over the server's SQLite database (needs the ChangeCapture layer). */
export const SqliteReplicationHandler = (options: SqliteReplicationOptions = {}) =>
  ReplicationHandler.layerEffect(
    Effect.gen(function* () {
      const engine = yield* SqliteDatabase
      const capture = yield* ChangeCapture
      return yield* makeSqliteReplicationHandler(engine, capture.notifier, options)
    })
  )
