import { SqlState } from "@pgwire-ts/protocol"
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

/**
 * The Ready phase: waits for the next message (or a server shutdown, which
 * ends an idle session with FATAL 57P01) and handles it.
 */
export const stepReady = (conn: Conn, phase: Phase & { _tag: "Ready" }): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    conn.transactionStatus = phase.transactionStatus
    // A drain that began while we were busy; one that begins while we wait wakes the read.
    if (conn.env.registry.isDraining) return yield* adminShutdown()
    const m = yield* conn.expect("ready", accepts, "password", true)
    switch (m._tag) {
      case "Query": {
        yield* beforeSimpleQuery(conn)
        // On a replication=database connection the query may be a replication command.
        const next = yield* (conn.env.replication !== undefined && isLogicalReplicationConnection(conn.session!.startupParameters)
          ? runReplicationQuery(conn, m.sql)
          : runSimpleQuery(conn, m.sql))
        yield* endOfTransactionPortals(conn)
        return next
      }
      case "Terminate":
        return Phase.Closed({ reason: "terminate" })
      case "Parse":
      case "Bind":
      case "Describe":
      case "Execute":
      case "Close":
        return yield* runExtendedMessage(conn, m, phase)
      case "Flush":
        yield* conn.flush
        return phase
      case "Sync":
        yield* endOfTransactionPortals(conn)
        conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
        yield* conn.flush
        return phase
      case "FunctionCall":
        conn.sendError(PgError.make(SqlState.FeatureNotSupported, "function calls are not supported by this server").toFields())
        conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
        yield* conn.flush
        return phase
      case "CopyData":
      case "CopyDone":
      case "CopyFail":
        // As PostgreSQL: copy messages after a failed COPY are ignored.
        return phase
    }
  })
