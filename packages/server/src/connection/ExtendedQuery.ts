import { type Bind, type Close, type Describe, type Execute, type Parse, SqlState } from "@pgwire-ts/protocol"
import { Effect, Metric } from "effect"
import { PgError } from "../errors/PgError.js"
import { type ParsedStatement } from "../handlers/QueryParser.js"
import { decodeParameters, resolveResultFormats } from "../extended/bindValues.js"
import { OpenPortal } from "../extended/OpenPortal.js"
import { OpenStatement } from "../extended/OpenStatement.js"
import { registerSessionPortals } from "../extended/PreparedStatements.js"
import type { PortalHandle } from "../handlers/PortalStore.js"
import type { Conn } from "./Conn.js"
import type { ConnectionEnd } from "./ConnectionErrors.js"
import { executePortal, executePortalNow } from "./ExtendedExecute.js"
import { type ExtendedEnv, ExtendedSession } from "./ExtendedSession.js"
import { queryErrors, queriesTotal } from "./metrics.js"
import { flatMapNow, isDone } from "./Now.js"
import { Phase } from "./Phase.js"
import { runGuarded } from "./QueryRun.js"
import { statementAttribute, withQuerySpan } from "./querySpan.js"

/** The extended-query messages answered in the Ready phase (Sync and Flush are answered by Ready itself). */
export type ExtendedMessage = Parse | Bind | Describe | Execute | Close

/** PostgreSQL's limit on result columns (and so on RowDescription). */
const MAX_COLUMNS = 1664

const NO_PARAMETERS: ReadonlyArray<number> = []

/**
 * Answers Parse, Bind, Describe, Execute and Close. Responses go to the
 * outbox, which is flushed only at Sync, Flush, or when full, so a pipeline
 * of many messages is answered in order with few writes. An error is sent at
 * once; the connection then skips to the next Sync (SkipUntilSync), with the
 * transaction's portals dropped.
 */
export const runExtendedMessage = (
  conn: Conn,
  m: ExtendedMessage,
  phase: Phase & { _tag: "Ready" }
): Effect.Effect<Phase, ConnectionEnd> => {
  const env = conn.env.extended
  if (env === undefined) {
    return fail(conn, PgError.make(SqlState.FeatureNotSupported, "the extended query protocol is not supported by this server"))
  }
  const ext = conn.extended
  if (ext === undefined) return Effect.flatMap(sessionOf(conn, env), (ext) => runWith(conn, env, ext, m, phase))
  return runWith(conn, env, ext, m, phase)
}

const runWith = (
  conn: Conn,
  env: ExtendedEnv,
  ext: ExtendedSession,
  m: ExtendedMessage,
  phase: Phase & { _tag: "Ready" }
): Effect.Effect<Phase, ConnectionEnd> => {
  // Describe is answered synchronously: no Effect steps on the most frequent message after Bind.
  if (m._tag === "Describe") return after(conn, phase, describe(conn, ext, m))
  // A message done at once (Bind, Close, an Execute whose result was complete) costs no Effect steps.
  return flatMapNow(handle(conn, env, ext, m), (error) => {
    if (ext.transactionEnded) {
      ext.transactionEnded = false
      const closing = closeAll(ext)
      return isDone(closing) ? after(conn, phase, error) : Effect.zipRight(closing, after(conn, phase, error))
    }
    return after(conn, phase, error)
  })
}

const after = (conn: Conn, phase: Phase & { _tag: "Ready" }, error: PgError | undefined): Effect.Effect<Phase, ConnectionEnd> => {
  if (error !== undefined) return fail(conn, error)
  return conn.transactionStatus === phase.transactionStatus ? Effect.succeed(phase) : Effect.succeed(Phase.Ready({ transactionStatus: conn.transactionStatus }))
}

/** Drops the unnamed statement and portal, as a simple Query does in PostgreSQL (it uses them itself). */
export const beforeSimpleQuery = (conn: Conn): Effect.Effect<void> => {
  const ext = conn.extended
  if (ext === undefined) return Effect.void
  ext.portals.removeStatement("")
  const unnamed = ext.portals.removePortal("")
  return unnamed === undefined ? Effect.void : unnamed.close
}

/** At Sync, or after a simple Query: outside a transaction block, the transaction's portals end. */
export const endOfTransactionPortals = (conn: Conn): Effect.Effect<void> => {
  const ext = conn.extended
  if (ext === undefined || conn.transactionStatus !== "I") return Effect.void
  return closeAll(ext)
}

/** Closes every portal; Effect.void (nothing to run) when none held anything to release. */
const closeAll = (ext: ExtendedSession): Effect.Effect<void> => {
  const all = ext.portals.removeAllPortals()
  if (all.length === 0) return Effect.void
  let pending: Array<Effect.Effect<void>> | undefined
  for (const p of all) {
    const close = closePortal(p)
    if (!isDone(close)) (pending ??= []).push(close)
  }
  return pending === undefined ? Effect.void : Effect.all(pending, { discard: true })
}

/** A portal's close, failures logged; Effect.void when it holds nothing (a portal that ran to its end). */
const closePortal = (p: PortalHandle): Effect.Effect<void> => {
  const close = p.close
  return isDone(close) ? Effect.void : Effect.catchAllCause(close, (cause) => Effect.logError("closing a portal failed", cause))
}

/** The connection's extended-query state, made on first use; its portals are closed when the connection ends. */
const sessionOf = (conn: Conn, env: ExtendedEnv): Effect.Effect<ExtendedSession> => {
  if (conn.extended !== undefined) return Effect.succeed(conn.extended)
  return Effect.gen(function* () {
    const portals = yield* env.store.make(conn.session!)
    const ext = new ExtendedSession(portals)
    conn.extended = ext
    registerSessionPortals(conn.session!, portals)
    yield* conn.session!.onClose(Effect.suspend(() => closeAll(ext)))
    return ext
  })
}

/** An error ends the exchange: ErrorResponse now, then skip to Sync; a FATAL one closes the connection. */
const fail = (conn: Conn, error: PgError): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    yield* Metric.increment(queryErrors)
    if (conn.transactionStatus === "T") conn.transactionStatus = "E"
    const ext = conn.extended
    if (ext !== undefined) yield* closeAll(ext)
    conn.sendError(error.toFields())
    if (error.isFatal) {
      yield* conn.flush
      return Phase.Closed({ reason: "fatal error" })
    }
    return Phase.SkipUntilSync({ transactionStatus: conn.transactionStatus })
  })

/** Handles one message; the PgError to answer with, if any. */
const handle = (
  conn: Conn,
  env: ExtendedEnv,
  ext: ExtendedSession,
  m: Exclude<ExtendedMessage, Describe>
): Effect.Effect<PgError | undefined, ConnectionEnd> => {
  switch (m._tag) {
    case "Parse":
      return parse(conn, env, ext, m)
    case "Bind":
      return bind(conn, ext, m)
    case "Execute":
      return execute(conn, env, ext, m)
    case "Close":
      return close(conn, ext, m)
  }
}

const parse = (conn: Conn, env: ExtendedEnv, ext: ExtendedSession, m: Parse): Effect.Effect<PgError | undefined, ConnectionEnd> => {
  if (m.name !== "" && ext.portals.statement(m.name) !== undefined) {
    return Effect.succeed(PgError.make(SqlState.DuplicatePstatement, `prepared statement "${m.name}" already exists`))
  }
  let parsed: ParsedStatement | undefined
  const work = Effect.map(env.parser.parse(m.sql, m.paramTypes, conn.session!), (p) => {
    parsed = p
  })
  return Effect.map(runGuarded(conn, work), (error) => {
    if (error !== undefined) return error
    const invalid = checkParsed(parsed!)
    if (invalid !== undefined) return invalid
    const stored = ext.portals.addStatement(new OpenStatement(m.name, m.sql, parsed!))
    if (stored !== undefined) return stored
    conn.send({ _tag: "ParseComplete" })
    return undefined
  })
}

/** What the protocol can carry: a parser's mistake becomes an error for this statement, not a broken message. */
const checkParsed = (p: ParsedStatement): PgError | undefined => {
  const types = p.parameterTypes ?? NO_PARAMETERS
  if (types.length > 65535) return PgError.make(SqlState.ProgramLimitExceeded, `too many parameters (${types.length}; at most 65535)`)
  for (const oid of types) {
    if (!Number.isInteger(oid) || oid < 0 || oid > 0xffffffff) {
      return PgError.make(SqlState.InternalError, `the query parser gave an invalid parameter type OID: ${String(oid)}`)
    }
  }
  if (p.fields !== undefined && p.fields.length > MAX_COLUMNS) {
    return PgError.make(SqlState.TooManyColumns, `target lists can have at most ${MAX_COLUMNS} entries`)
  }
  return undefined
}

const unknownStatement = (name: string) =>
  PgError.make(SqlState.UndefinedPstatement, name === "" ? "unnamed prepared statement does not exist" : `prepared statement "${name}" does not exist`)

const unknownPortal = (name: string) => PgError.make(SqlState.UndefinedCursor, `portal "${name}" does not exist`)

const bind = (conn: Conn, ext: ExtendedSession, m: Bind): Effect.Effect<PgError | undefined> => {
  const portals = ext.portals
  const statement = portals.statement(m.statement) as OpenStatement | undefined
  if (statement === undefined) return Effect.succeed(unknownStatement(m.statement))
  const parsed = statement.parsed
  const parameters = decodeParameters(m, parsed.parameterTypes)
  if (parameters instanceof PgError) return Effect.succeed(parameters)
  const resultFormats = resolveResultFormats(m.resultFormats, parsed.fields)
  if (resultFormats instanceof PgError) return Effect.succeed(resultFormats)
  if (m.portal !== "" && portals.portal(m.portal) !== undefined) {
    return Effect.succeed(PgError.make(SqlState.DuplicateCursor, `cursor "${m.portal}" already exists`))
  }
  const portal = new OpenPortal(
    m.portal,
    {
      name: m.portal,
      statementName: statement.name,
      sql: statement.sql,
      statement: parsed.statement,
      parameterTypes: parsed.parameterTypes,
      parameters,
      fields: parsed.fields,
      resultFormats
    },
    statement
  )
  const add = () => {
    const error = portals.addPortal(portal)
    if (error === undefined) conn.send({ _tag: "BindComplete" })
    return error
  }
  // A new unnamed portal replaces the old one, which ends here.
  const previous = m.portal === "" ? portals.removePortal("") : undefined
  const closing = previous === undefined ? Effect.void : closePortal(previous)
  return isDone(closing) ? Effect.succeed(add()) : Effect.zipRight(closing, Effect.sync(add))
}

const describe = (conn: Conn, ext: ExtendedSession, m: Describe): PgError | undefined => {
  if (m.kind === "S") {
    const statement = ext.portals.statement(m.name) as OpenStatement | undefined
    if (statement === undefined) return unknownStatement(m.name)
    const parsed = statement.parsed
    conn.send({ _tag: "ParameterDescription", typeOids: parsed.parameterTypes })
    if (parsed.fields === undefined) conn.send({ _tag: "NoData" })
    else conn.send({ _tag: "RowDescription", fields: statement.describeFields(NO_FORMATS) })
    return undefined
  }
  const portal = ext.portals.portal(m.name) as OpenPortal | undefined
  if (portal === undefined) return unknownPortal(m.name)
  if (portal.portal.fields === undefined) conn.send({ _tag: "NoData" })
  else conn.send({ _tag: "RowDescription", fields: portal.statement.describeFields(portal.portal.resultFormats) })
  return undefined
}

const NO_FORMATS: ReadonlyArray<0> = []

const execute = (conn: Conn, env: ExtendedEnv, ext: ExtendedSession, m: Execute): Effect.Effect<PgError | undefined, ConnectionEnd> => {
  const portal = ext.portals.portal(m.portal) as OpenPortal | undefined
  if (portal === undefined) return Effect.succeed(unknownPortal(m.portal))
  const sql = portal.portal.sql
  queriesTotal.unsafeUpdate(1, conn.metricLabels)
  if (conn.tracing) {
    return withQuerySpan(conn, runGuarded(conn, executePortal(conn, ext, env.handler, portal, m.maxRows)), {
      "db.statement": statementAttribute(sql),
      "pgwire.portal": m.portal
    })
  }
  // Started at once: a result that was already complete and fits the outbox needs no fiber (see executePortalNow).
  const rest = executePortalNow(conn, ext, env.handler, portal, m.maxRows)
  return rest === undefined ? Effect.succeed(undefined) : runGuarded(conn, rest)
}

const close = (conn: Conn, ext: ExtendedSession, m: Close): Effect.Effect<PgError | undefined> => {
  const complete = Effect.sync(() => {
    conn.send({ _tag: "CloseComplete" })
    return undefined
  })
  if (m.kind === "S") {
    ext.portals.removeStatement(m.name)
    return complete
  }
  const portal = ext.portals.removePortal(m.name)
  return portal === undefined ? complete : Effect.zipRight(closePortal(portal), complete)
}
