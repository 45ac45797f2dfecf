import { SqlState } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import { PgError } from "../errors/PgError.js"
import { adminShutdown, type Conn } from "./Conn.js"
import type { ConnectionEnd } from "./ConnectionErrors.js"
import { Phase } from "./Phase.js"
import { runSimpleQuery } from "./SimpleQuery.js"

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
      case "Query":
        return yield* runSimpleQuery(conn, m.sql)
      case "Terminate":
        return Phase.Closed({ reason: "terminate" })
      case "Parse":
      case "Bind":
      case "Describe":
      case "Execute":
      case "Close": {
        // No extended-query support in this server: fail the exchange as PostgreSQL fails a bad Parse.
        conn.sendError(
          PgError.make(SqlState.FeatureNotSupported, "the extended query protocol is not supported by this server").toFields()
        )
        const status = phase.transactionStatus === "T" ? "E" : phase.transactionStatus
        conn.transactionStatus = status
        return Phase.SkipUntilSync({ transactionStatus: status })
      }
      case "Flush":
        yield* conn.flush
        return phase
      case "Sync":
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
