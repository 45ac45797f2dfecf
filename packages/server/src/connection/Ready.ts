import { type FrontendMessage, SqlState } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import { PgError } from "../errors/PgError.js"
import { adminShutdown, type Conn } from "./Conn.js"
import type { ConnectionEnd } from "./ConnectionErrors.js"
import { afterNow, flatMapNow, isDone } from "./Now.js"
import { Phase } from "./Phase.js"
import { type SessionMessageTag, sessionMessages } from "./sessionMessages.js"
import { beforeSimpleQuery, endOfTransactionPortals, runExtendedMessage } from "./ExtendedQuery.js"
import { runSimpleQuery } from "./SimpleQuery.js"
import { runReplicationQuery } from "../replication/ReplicationCommands.js"
import { isLogicalReplicationConnection } from "../replication/replicationMode.js"

// Messages answered in one synchronous run before the fiber yields to others.
const SYNC_BURST = 128

/**
 * The Ready phase: waits for the next message (or a server shutdown, which
 * ends an idle session with FATAL 57P01) and handles it.
 *
 * Messages that have already arrived are answered in a plain loop as long as
 * each one is done at once (its answer is an already-successful Effect: a
 * Bind, a Describe, a query whose handler result was complete, a Sync whose
 * ReadyForQuery the socket took at once), so a pipelined Bind/Execute/Sync
 * costs no Effect steps; the first message that must run or wait goes
 * through the runtime. After SYNC_BURST messages the fiber yields.
 */
export const stepReady = (conn: Conn, start: Phase & { _tag: "Ready" }): Effect.Effect<Phase, ConnectionEnd> => {
  let phase = start
  for (let n = 0; ; n++) {
    conn.transactionStatus = phase.transactionStatus
    // A drain that began while we were busy; one that begins while we wait wakes the read.
    if (conn.env.registry.isDraining) return Effect.fail(adminShutdown())
    if (n === SYNC_BURST) return Effect.as(Effect.yieldNow(), phase)
    const m = conn.pollExpected("ready", sessionMessages, "password", true)
    if (m === undefined) {
      const ready = phase
      return Effect.flatMap(conn.expect("ready", sessionMessages, "password", true), (m) => onMessage(conn, ready, m))
    }
    if (m instanceof Error) return Effect.fail(m)
    const next = onMessage(conn, phase, m)
    if (!isDone(next) || next.value._tag !== "Ready") return next
    phase = next.value
  }
}

const onMessage = (
  conn: Conn,
  phase: Phase & { _tag: "Ready" },
  m: Extract<FrontendMessage, { _tag: SessionMessageTag }>
): Effect.Effect<Phase, ConnectionEnd> => {
  switch (m._tag) {
    case "Query": {
      // The unnamed statement and portal end first (their close may have to run).
      const before = beforeSimpleQuery(conn)
      const query = isDone(before) ? runQuery(conn, m.sql) : Effect.zipRight(before, Effect.suspend(() => runQuery(conn, m.sql)))
      return flatMapNow(query, (next) => {
        const end = endOfTransactionPortals(conn)
        return isDone(end) ? Effect.succeed(next) : Effect.as(end, next)
      })
    }
    case "Terminate":
      return Effect.succeed(Phase.Closed({ reason: "terminate" }))
    case "Parse":
    case "Bind":
    case "Describe":
    case "Execute":
    case "Close":
      return runExtendedMessage(conn, m, phase)
    case "Flush":
      return afterNow(conn.flushNow(), phase)
    case "Sync":
      return flatMapNow(endOfTransactionPortals(conn), () => {
        conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
        return afterNow(conn.flushNow(), phase)
      })
    case "FunctionCall":
      conn.sendError(PgError.make(SqlState.FeatureNotSupported, "function calls are not supported by this server").toFields())
      conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
      return afterNow(conn.flushNow(), phase)
    case "CopyData":
    case "CopyDone":
    case "CopyFail":
      // As PostgreSQL: copy messages after a failed COPY are ignored.
      return Effect.succeed(phase)
  }
}

/** On a replication=database connection the query may be a replication command. */
const runQuery = (conn: Conn, sql: string): Effect.Effect<Phase, ConnectionEnd> =>
  conn.env.replication !== undefined && isLogicalReplicationConnection(conn.session!.startupParameters)
    ? runReplicationQuery(conn, sql)
    : runSimpleQuery(conn, sql)
