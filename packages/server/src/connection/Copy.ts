import type { Effect } from "effect"
import type { CopyResult } from "../copy/CopyResult.js"
import type { PgError } from "../errors/PgError.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import type { ConnectionLost } from "./ConnectionErrors.js"
import { runCopyBoth } from "./CopyBoth.js"
import { runCopyIn } from "./CopyIn.js"
import { runCopyOut } from "./CopyOut.js"

/**
 * Runs a COPY result's sub-protocol up to and including its CommandComplete.
 * Simple Query and Execute both call it; on failure the caller sends the
 * ErrorResponse and goes on as after any failed statement.
 */
export const runCopy = (conn: Conn, r: CopyResult): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> => {
  switch (r._tag) {
    case "CopyIn":
      return runCopyIn(conn, r)
    case "CopyOut":
      return runCopyOut(conn, r)
    case "CopyBoth":
      return runCopyBoth(conn, r)
  }
}
