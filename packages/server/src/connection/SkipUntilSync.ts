import { Effect } from "effect"
import type { Conn } from "./Conn.js"
import type { ConnectionEnd } from "./ConnectionErrors.js"
import { Phase } from "./Phase.js"
import { sessionMessages } from "./sessionMessages.js"

/**
 * After an error in an extended-query exchange, PostgreSQL discards messages
 * until Sync, then answers ReadyForQuery; Terminate still ends the session.
 */
export const stepSkipUntilSync = (
  conn: Conn,
  phase: Phase & { _tag: "SkipUntilSync" }
): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    yield* conn.flush
    for (;;) {
      const m = yield* conn.expect("skip until sync", sessionMessages)
      if (m._tag === "Terminate") return Phase.Closed({ reason: "terminate" })
      if (m._tag === "Sync") {
        conn.send({ _tag: "ReadyForQuery", status: phase.transactionStatus })
        yield* conn.flush
        return Phase.Ready({ transactionStatus: phase.transactionStatus })
      }
    }
  })
