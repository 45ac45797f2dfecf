import { FrontendType, ProtocolDecodeError, SqlState } from "@pgwire-ts/protocol"
import { Chunk, Effect, Option, Stream } from "effect"
import { PgError } from "../errors/PgError.js"
import { WAKE } from "../transport/Transport.js"
import type { Conn } from "./Conn.js"
import { ConnectionLost } from "./ConnectionErrors.js"

/** Messages decoded from already-received bytes are handed on in batches of at most this many payload bytes. */
const BATCH_BYTES = 256 * 1024

/**
 * The client's side of a COPY: its CopyData payloads as a Stream, read from
 * the connection only when the stream is pulled (the socket is paused while
 * the consumer is busy). Accepts CopyData, CopyDone, CopyFail; ignores Flush
 * and Sync (protocol.sgml: clients may send them after Execute without
 * knowing the statement is a COPY); anything else ends the copy with 08P01.
 * The state is updated as each message is decoded, so an interrupted reader
 * loses no CopyDone.
 */
export class CopyInput {
  /** CopyDone, CopyFail, an unexpected message or the connection's end was seen. */
  ended = false
  /** Why the client's side failed: CopyFail (57014), an unexpected or malformed message (08P01). */
  error: PgError | undefined
  /** The connection ended mid-copy. */
  lost: ConnectionLost | undefined

  constructor(
    private readonly conn: Conn,
    private readonly what: string
  ) {}

  /** Decodes what is buffered: the CopyData payloads up to the end of the copy or BATCH_BYTES. */
  private takeBuffered(): Array<Uint8Array> {
    const out: Array<Uint8Array> = []
    let bytes = 0
    while (!this.ended && bytes < BATCH_BYTES) {
      let m
      try {
        m = this.conn.input.next()
      } catch (e) {
        this.ended = true
        const reason = e instanceof ProtocolDecodeError ? e.message : String(e)
        this.error = PgError.make(SqlState.ProtocolViolation, reason, { severity: "FATAL" })
        break
      }
      if (m === undefined) break
      switch (m._tag) {
        case "CopyData":
          out.push(m.data)
          bytes += m.data.byteLength
          break
        case "CopyDone":
          this.ended = true
          break
        case "CopyFail":
          this.ended = true
          this.error = PgError.make(SqlState.QueryCanceled, `COPY from stdin failed: ${m.message}`)
          break
        case "Flush":
        case "Sync":
          break
        case "Terminate":
          // The client is leaving: nobody to answer.
          this.ended = true
          this.lost = new ConnectionLost({})
          break
        default: {
          this.ended = true
          const type = (FrontendType as Record<string, number>)[m._tag] ?? 0
          this.error = PgError.make(
            SqlState.ProtocolViolation,
            `unexpected message type 0x${type.toString(16).toUpperCase().padStart(2, "0")} during ${this.what}`
          )
        }
      }
    }
    return out
  }

  /** Waits for more bytes; false when the connection ended. */
  private readonly receive: Effect.Effect<void> = Effect.flatMap(
    Effect.suspend(() => this.conn.transport.read),
    (chunk) => {
      if (chunk === WAKE) return this.receive
      if (chunk === undefined) {
        this.ended = true
        this.lost = new ConnectionLost({})
        return Effect.void
      }
      this.conn.input.push(chunk)
      return Effect.void
    }
  )

  /** Fails the stream: the consumer sees the client's error (or a connection failure). */
  private failure(): Option.Option<PgError> {
    if (this.error !== undefined) return Option.some(this.error)
    if (this.lost !== undefined) return Option.some(PgError.make(SqlState.ConnectionFailure, "connection to client lost"))
    return Option.none()
  }

  private readonly pull: Effect.Effect<Chunk.Chunk<Uint8Array>, Option.Option<PgError>> = Effect.suspend(() => {
    const batch = this.takeBuffered()
    if (batch.length > 0) return Effect.succeed(Chunk.unsafeFromArray(batch))
    if (this.ended) return Effect.fail(this.failure())
    return Effect.zipRight(this.receive, this.pull)
  })

  /** The payloads of the client's CopyData messages; ends at CopyDone, fails at CopyFail. */
  readonly stream: Stream.Stream<Uint8Array, PgError> = Stream.repeatEffectChunkOption(this.pull)

  /** Reads and drops the client's data up to the end of its copy (a consumer that stopped early). */
  readonly drain: Effect.Effect<void> = Effect.suspend(() => {
    this.takeBuffered()
    if (this.ended) return Effect.void
    return Effect.zipRight(this.receive, this.drain)
  })

  /** Fails with what went wrong on the client's side, if anything: a lost connection first. */
  readonly check: Effect.Effect<void, PgError | ConnectionLost> = Effect.suspend(
    (): Effect.Effect<void, PgError | ConnectionLost> =>
      this.lost !== undefined ? Effect.fail(this.lost) : this.error !== undefined ? Effect.fail(this.error) : Effect.void
  )
}
