import { Chunk, Effect, Stream } from "effect"
import { type CopyRowSource, copyError, copyRowSource } from "../copy/CopyRows.js"
import type { CopyOutResult } from "../copy/CopyResult.js"
import type { PgError } from "../errors/PgError.js"
import type { CurrentSession } from "../session/CurrentSession.js"
import type { Conn } from "./Conn.js"
import type { ConnectionLost } from "./ConnectionErrors.js"

const COPY_DATA = 0x64

/**
 * Copy-out (COPY TO STDOUT): CopyOutResponse, one CopyData per element (or
 * per row of a `copyTo` result, encoded straight into the output buffer),
 * CopyDone, CommandComplete. Output waits on the socket whenever the buffer
 * is full, so a slow client holds the producer, not memory.
 */
export const runCopyOut = (conn: Conn, r: CopyOutResult): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> =>
  Effect.suspend(() => {
    conn.send({ _tag: "CopyOutResponse", format: r.format, columnFormats: r.columnFormats })
    const source = copyRowSource(r)
    if (source !== undefined) return sendRows(conn, source)
    let messages = 0
    const body = Stream.runForEachChunk(r.data, (chunk) =>
      Effect.suspend(() => {
        for (const data of chunk) {
          conn.send({ _tag: "CopyData", data })
          messages++
        }
        return conn.flushIfFull
      })
    )
    return Effect.zipRight(body, Effect.suspend(() => finish(conn, r.tag === undefined ? `COPY ${messages}` : r.tag(messages))))
  })

const finish = (conn: Conn, tag: string): Effect.Effect<void, ConnectionLost> => {
  conn.send({ _tag: "CopyDone" })
  conn.send({ _tag: "CommandComplete", tag })
  return conn.flushIfFull
}

/** Rows of a `copyTo` result, each written as one CopyData message (the binary header with the first). */
const sendRows = (conn: Conn, source: CopyRowSource): Effect.Effect<void, PgError | ConnectionLost, CurrentSession> => {
  const outbox = conn.outbox
  const { encoder } = source
  let rows = 0
  let started = false
  /** Runs one encoder step inside a CopyData message; a failure leaves no partial message behind. */
  const message = (f: () => void): PgError | undefined => {
    const w = outbox.w
    const at = w.beginMessage(COPY_DATA)
    try {
      f()
    } catch (e) {
      w.length = at - 1
      const error = copyError(e, undefined, rows + 1)
      if (error === undefined) throw e
      return error
    }
    if (w.length === at + 4) w.length = at - 1
    else w.endMessage(at)
    return undefined
  }
  const header = (): PgError | undefined => {
    if (started) return undefined
    started = true
    // A HEADER line is a message of its own; the binary header goes with the first row (as PostgreSQL).
    return encoder.format === "binary" ? undefined : message(() => encoder.writeHeader(outbox.w))
  }
  const writeRow = (row: ReadonlyArray<unknown>): PgError | undefined => {
    const first = !started
    const error = header()
    if (error !== undefined) return error
    rows++
    return message(() => {
      if (first && encoder.format === "binary") encoder.writeHeader(outbox.w)
      source.write(outbox.w, row)
    })
  }
  const encodeFrom = (it: Iterator<ReadonlyArray<unknown>>): Effect.Effect<void, PgError | ConnectionLost> => {
    const loop: Effect.Effect<void, PgError | ConnectionLost> = Effect.suspend(() => {
      for (let n = it.next(); n.done !== true; n = it.next()) {
        const error = writeRow(n.value)
        if (error !== undefined) return Effect.fail(error)
        if (outbox.w.length >= outbox.flushBytes) return Effect.zipRight(conn.flush, loop)
      }
      return Effect.void
    })
    return loop
  }
  const body = Stream.StreamTypeId in (source.rows as object)
    ? Stream.runForEachChunk(source.rows as Stream.Stream<ReadonlyArray<unknown>, PgError, CurrentSession>, (chunk) =>
      encodeFrom(Chunk.toReadonlyArray(chunk)[Symbol.iterator]())
    )
    : Effect.suspend(() => encodeFrom((source.rows as Iterable<ReadonlyArray<unknown>>)[Symbol.iterator]()))
  const trailer = Effect.suspend((): Effect.Effect<void, PgError | ConnectionLost> => {
    const binaryFirst = !started && encoder.format === "binary"
    const error = header() ??
      message(() => {
        if (binaryFirst) encoder.writeHeader(outbox.w)
        encoder.writeTrailer(outbox.w)
      })
    return error !== undefined ? Effect.fail(error) : finish(conn, `COPY ${rows}`)
  })
  return Effect.zipRight(body, trailer)
}
