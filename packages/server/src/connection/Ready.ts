import { type FrontendMessage, SqlState } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import { PgError } from "../errors/PgError.js"
import { adminShutdown, type Conn } from "./Conn.js"
import type { ConnectionEnd } from "./ConnectionErrors.js"
import { Phase } from "./Phase.js"
import { beforeSimpleQuery, endOfTransactionPortals, runExtendedMessage } from "./ExtendedQuery.js"
import { runSimpleQuery } from "./SimpleQuery.js"
import { runReplicationQuery } from "../replication/ReplicationCommands.js"
import { isLogicalReplicationConnection } from "../replication/replicationMode.js"

const accepts = new Set([
  "Query",
  "Terminate",
  "Parse",
  "Bind",
  "Describe",
  "Execute",
  "Close",
  "Flush",
  "Sync",
  "FunctionCall",
  "CopyData",
  "CopyDone",
  "CopyFail"
] as const)
type Accepted = typeof accepts extends ReadonlySet<infer T> ? T : never

/**
 * The Ready phase: waits for the next message (or a server shutdown, which
 * ends an idle session with FATAL 57P01) and handles it. Written with plain
 * flatMaps, not a generator: this runs once per message.
 */
export const stepReady = (conn: Conn, phase: Phase & { _tag: "Ready" }): Effect.Effect<Phase, ConnectionEnd> => {
  conn.transactionStatus = phase.transactionStatus
  // A drain that began while we were busy; one that begins while we wait wakes the read.
  if (conn.env.registry.isDraining) return Effect.fail(adminShutdown())
  return Effect.flatMap(conn.expect("ready", accepts, "password", true), (m) => onMessage(conn, phase, m))
}

const onMessage = (
  conn: Conn,
  phase: Phase & { _tag: "Ready" },
  m: Extract<FrontendMessage, { _tag: Accepted }>
): Effect.Effect<Phase, ConnectionEnd> => {
  switch (m._tag) {
    case "Query": {
      const before = beforeSimpleQuery(conn)
      // On a replication=database connection the query may be a replication command.
      const run =
        conn.env.replication !== undefined && isLogicalReplicationConnection(conn.session!.startupParameters)
          ? runReplicationQuery(conn, m.sql)
          : runSimpleQuery(conn, m.sql)
      return Effect.flatMap(before === Effect.void ? run : Effect.zipRight(before, run), (next) =>
        conn.extended === undefined ? Effect.succeed(next) : Effect.as(endOfTransactionPortals(conn), next)
      )
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
      return Effect.as(conn.flush, phase)
    case "Sync":
      return Effect.zipRight(
        endOfTransactionPortals(conn),
        Effect.suspend(() => {
          conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
          return Effect.as(conn.flush, phase)
        })
      )
    case "FunctionCall":
      conn.sendError(PgError.make(SqlState.FeatureNotSupported, "function calls are not supported by this server").toFields())
      conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
      return Effect.as(conn.flush, phase)
    case "CopyData":
    case "CopyDone":
    case "CopyFail":
      // As PostgreSQL: copy messages after a failed COPY are ignored.
      return Effect.succeed(phase)
  }
}
