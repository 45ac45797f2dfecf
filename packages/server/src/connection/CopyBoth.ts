import { Effect, Stream } from "effect"
import type { CopyBothResult } from "../copy/CopyResult.js"
import type { PgError } from "../errors/PgError.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import type { ConnectionLost } from "./ConnectionErrors.js"
import { CopyInput } from "./CopyInput.js"

/**
 * Copy-both (the CopyBoth phase of streaming replication): CopyBothResponse,
 * then the handler's outbound payloads are sent (each chunk flushed at once,
 * so keepalives are not held back) while it reads the client's. When the
 * outbound stream ends the server sends CopyDone and drops client data up to
 * the client's CopyDone; then CommandComplete. The client's CopyDone ends the
 * inbound stream (the client may still receive until the server's CopyDone).
 */
export const runCopyBoth = (conn: Conn, r: CopyBothResult): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> =>
  Effect.gen(function* () {
    conn.send({ _tag: "CopyBothResponse", format: r.format, columnFormats: r.columnFormats })
    yield* conn.flush
    const input = new CopyInput(conn, "COPY BOTH")
    yield* Stream.runForEachChunk(
      Stream.suspend(() => r.run(input.stream)),
      (chunk) =>
        Effect.suspend(() => {
          for (const data of chunk) conn.send({ _tag: "CopyData", data })
          return conn.flush
        })
    )
    conn.send({ _tag: "CopyDone" })
    yield* conn.flush
    if (!input.ended) yield* input.drain
    yield* input.check
    conn.send({ _tag: "CommandComplete", tag: r.tag })
    yield* conn.flushIfFull
  })
