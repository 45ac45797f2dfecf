/**
 * A Query on a `replication=database` connection: a replication command is
 * parsed here and answered with PostgreSQL's result shape (the column names
 * and types of a PostgreSQL 15 walsender); anything else is ordinary SQL for
 * the SimpleQueryHandler.
 */
import { formatLsn, Oid, SqlState } from "@pgwire-ts/protocol"
import { Cause, Effect, Either, Exit, Metric, Option } from "effect"
import type { Conn } from "../connection/Conn.js"
import type { ConnectionEnd } from "../connection/ConnectionErrors.js"
import { queryErrors, queriesTotal } from "../connection/metrics.js"
import { Phase } from "../connection/Phase.js"
import { runSimpleQuery } from "../connection/SimpleQuery.js"
import { PgError } from "../errors/PgError.js"
import { type Field, field, fieldDescription } from "../results/Field.js"
import { parsePgOutputOptions } from "./pgOutputOptions.js"
import { checkSlotName, parseReplicationCommand, type ReplicationCommand } from "./replicationCommand.js"
import type { ReplicationHandlerShape } from "./ReplicationHandler.js"
import { runLogicalStreaming } from "./ReplicationStreaming.js"

/** Settings a walsender always has; replication clients ask for some (pg_recvlogical: data_directory_mode). */
const WALSENDER_SETTINGS: ReadonlyMap<string, string> = new Map([
  ["data_directory_mode", "0700"],
  ["wal_segment_size", "16MB"],
  ["wal_block_size", "8192"],
  ["wal_level", "logical"]
])

type Cell = string | Uint8Array | null
type Answer = { readonly fields: ReadonlyArray<Field>; readonly row: ReadonlyArray<Cell>; readonly tag: string } | { readonly tag: string }

const utf8 = new TextEncoder()
const text = (name: string) => field(name, Oid.text)

/** Runs one Query of a replication connection; returns the next phase. */
export const runReplicationQuery = (conn: Conn, sql: string): Effect.Effect<Phase, ConnectionEnd> => {
  const parsed = parseReplicationCommand(sql)
  const handler = conn.env.replication
  if (parsed === undefined || handler === undefined) return runSimpleQuery(conn, sql)
  return Effect.gen(function* () {
    yield* Metric.increment(queriesTotal)
    if (Either.isLeft(parsed)) return yield* fail(conn, parsed.left)
    const command = parsed.right
    if (conn.transactionStatus === "E") {
      return yield* fail(
        conn,
        PgError.make(SqlState.InFailedSqlTransaction, "current transaction is aborted, commands ignored until end of transaction block")
      )
    }
    if (command._tag === "StartLogical") return yield* startLogical(conn, handler, command)
    if (command._tag === "Show") {
      const value = yield* showValue(conn, handler, command.name)
      if (Exit.isFailure(value)) return yield* fail(conn, yield* failureOf(value.cause, "show"))
      // Not a walsender setting: an ordinary SHOW for the SQL handler.
      if (Option.isNone(value.value)) return yield* runSimpleQuery(conn, sql)
      return yield* answer(conn, { fields: [text(value.value.value[0])], row: [value.value.value[1]], tag: "SHOW" })
    }
    const result = yield* Effect.exit(execute(conn, handler, command))
    if (Exit.isFailure(result)) return yield* fail(conn, yield* failureOf(result.cause, command._tag))
    return yield* answer(conn, result.value)
  })
}

const execute = (conn: Conn, handler: ReplicationHandlerShape, command: ReplicationCommand): Effect.Effect<Answer, PgError> => {
  const session = conn.session!
  switch (command._tag) {
    case "IdentifySystem":
      return Effect.map(handler.identifySystem(session), (id) => ({
        fields: [text("systemid"), field("timeline", Oid.int4), text("xlogpos"), text("dbname")],
        row: [id.systemId, String(id.timeline), formatLsn(id.xlogPos), id.dbName],
        tag: "IDENTIFY_SYSTEM"
      }))
    case "CreateLogicalSlot": {
      const bad = checkSlotName(command.name)
      if (bad !== undefined) return Effect.fail(bad)
      if (command.snapshot === "export" && conn.transactionStatus !== "I") {
        return Effect.fail(
          PgError.make(SqlState.ActiveSqlTransaction, "CREATE_REPLICATION_SLOT ... (SNAPSHOT 'export') must not be called inside a transaction")
        )
      }
      if (command.snapshot === "use" && conn.transactionStatus === "I") {
        return Effect.fail(
          PgError.make(SqlState.NoActiveSqlTransaction, "CREATE_REPLICATION_SLOT ... (SNAPSHOT 'use') must be called inside a transaction")
        )
      }
      const { _tag, ...request } = command
      return Effect.map(handler.createSlot(request, session), (created) => ({
        fields: [text("slot_name"), text("consistent_point"), text("snapshot_name"), text("output_plugin")],
        row: [command.name, formatLsn(created.consistentPoint), created.snapshotName, command.plugin],
        tag: "CREATE_REPLICATION_SLOT"
      }))
    }
    case "DropSlot":
      return Effect.as(handler.dropSlot(command.name, { wait: command.wait }, session), { tag: "DROP_REPLICATION_SLOT" })
    case "ReadSlot": {
      const read = handler.readSlot?.(command.name, session) ?? Effect.succeed(Option.none())
      const physicalOnly = Effect.filterOrFail(
        read,
        (slot) => Option.isNone(slot) || slot.value.slotType === "physical",
        () => PgError.make(SqlState.FeatureNotSupported, "cannot use READ_REPLICATION_SLOT with a logical replication slot")
      )
      return Effect.map(physicalOnly, (slot) => ({
        fields: [text("slot_type"), text("restart_lsn"), field("restart_tli", Oid.int8)],
        row: Option.match(slot, {
          onNone: () => [null, null, null],
          onSome: (s) => [s.slotType, s.restartLsn === null ? null : formatLsn(s.restartLsn), s.restartTli === null ? null : String(s.restartTli)]
        }),
        tag: "READ_REPLICATION_SLOT"
      }))
    }
    case "TimelineHistory": {
      const file = `${command.timeline.toString(16).toUpperCase().padStart(8, "0")}.history`
      if (handler.timelineHistory === undefined) {
        return Effect.fail(PgError.make(SqlState.UndefinedFile, `could not open file "pg_wal/${file}": No such file or directory`))
      }
      return Effect.map(handler.timelineHistory(command.timeline, session), (h) => ({
        fields: [text("filename"), text("content")],
        row: [h.filename, h.content],
        tag: "TIMELINE_HISTORY"
      }))
    }
    case "CreatePhysicalSlot":
    case "StartPhysical":
      return Effect.fail(PgError.make(SqlState.FeatureNotSupported, "physical replication is not supported by this server"))
    case "Unsupported":
      return Effect.fail(PgError.make(SqlState.FeatureNotSupported, `${command.command} is not supported by this server`))
    case "Show":
    case "StartLogical":
      return Effect.dieMessage(`${command._tag} is answered elsewhere`)
  }
}

/** SHOW on a walsender: the handler's answer, the session's parameters, then the walsender's own settings. */
const showValue = (conn: Conn, handler: ReplicationHandlerShape, name: string) =>
  Effect.exit(
    Effect.gen(function* () {
      if (handler.show !== undefined) {
        const fromHandler = yield* handler.show(name, conn.session!)
        if (Option.isSome(fromHandler)) return Option.some([name, fromHandler.value] as const)
      }
      const lower = name.toLowerCase()
      for (const [key, value] of conn.parameters) if (key.toLowerCase() === lower) return Option.some([key, value] as const)
      const builtin = WALSENDER_SETTINGS.get(lower)
      return builtin === undefined ? Option.none() : Option.some([lower, builtin] as const)
    })
  )

const startLogical = (
  conn: Conn,
  handler: ReplicationHandlerShape,
  command: Extract<ReplicationCommand, { _tag: "StartLogical" }>
): Effect.Effect<Phase, ConnectionEnd> => {
  if (conn.transactionStatus !== "I") {
    return fail(conn, PgError.make(SqlState.ActiveSqlTransaction, "START_REPLICATION cannot run inside a transaction block"))
  }
  const pgoutput = parsePgOutputOptions(command.options)
  if (Either.isLeft(pgoutput)) return fail(conn, pgoutput.left)
  return runLogicalStreaming(conn, handler, {
    slot: command.slot,
    startLsn: command.startLsn,
    options: command.options,
    pgoutput: pgoutput.right
  })
}

const failureOf = (cause: Cause.Cause<PgError>, what: string): Effect.Effect<PgError> => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return Effect.succeed(failure.value)
  return Effect.as(
    Effect.logError(`replication handler failed (${what})`, cause),
    PgError.make(SqlState.InternalError, "internal error in the replication handler")
  )
}

const answer = (conn: Conn, a: Answer): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.suspend(() => {
    if ("fields" in a) {
      conn.send({ _tag: "RowDescription", fields: a.fields.map((f) => fieldDescription(f, 0)) })
      conn.send({ _tag: "DataRow", values: a.row.map((c) => (typeof c === "string" ? utf8.encode(c) : c)) })
    }
    conn.send({ _tag: "CommandComplete", tag: a.tag })
    conn.send({ _tag: "ReadyForQuery", status: conn.transactionStatus })
    return Effect.as(conn.flush, Phase.Ready({ transactionStatus: conn.transactionStatus }))
  })

const fail = (conn: Conn, error: PgError): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    yield* Metric.increment(queryErrors)
    if (conn.transactionStatus === "T") conn.transactionStatus = "E"
    conn.sendError(error.toFields())
    if (error.isFatal) {
      yield* conn.flush
      return Phase.Closed({ reason: "fatal error" })
    }
    conn.send({ _tag: "ReadyForQuery", status: conn.transactionStatus })
    yield* conn.flush
    return Phase.Ready({ transactionStatus: conn.transactionStatus })
  })
