import { Effect, Exit } from "effect"
import type { CopyInResult } from "../copy/CopyResult.js"
import type { PgError } from "../errors/PgError.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import type { ConnectionLost } from "./ConnectionErrors.js"
import { CopyInput } from "./CopyInput.js"

/**
 * Copy-in (COPY FROM STDIN): CopyInResponse, then the handler consumes the
 * client's CopyData until CopyDone; CommandComplete `COPY n`. A CopyFail or an
 * unexpected message fails the statement whatever the handler returned; data
 * the handler did not read is discarded up to CopyDone before the tag is sent.
 * On an error the caller sends ErrorResponse: copy messages still in flight
 * are then dropped by the Ready phase (simple query) or skipped until Sync
 * (extended), as protocol.sgml says.
 */
export const runCopyIn = (conn: Conn, r: CopyInResult): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> =>
  Effect.gen(function* () {
    conn.send({ _tag: "CopyInResponse", format: r.format, columnFormats: r.columnFormats })
    yield* conn.flush
    const input = new CopyInput(conn, "COPY from stdin")
    const exit = yield* Effect.exit(Effect.suspend(() => r.consume(input.stream)))
    if (Exit.isSuccess(exit) && !input.ended) yield* input.drain
    yield* input.check
    if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
    conn.send({ _tag: "CommandComplete", tag: `COPY ${exit.value}` })
    yield* conn.flushIfFull
  })
