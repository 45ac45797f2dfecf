import { type BackendMessage, encodeBackendMessage, Writer } from "@pgwire-ts/protocol"
import type * as Socket from "@effect/platform/Socket"
import { Effect } from "effect"

/** Messages larger than this make the outbox drop its grown buffer after flushing. */
const SHRINK_ABOVE = 1 << 20

/**
 * The per-connection output buffer. Messages are encoded into one reusable
 * Writer; `flush` hands the bytes to the socket and waits until the socket has
 * taken them, so a client that reads slowly stalls the producer instead of
 * growing memory. Callers flush at protocol boundaries (ReadyForQuery, the end
 * of an auth step, Flush) and `flushIfFull` between rows.
 */
export class Outbox {
  w: Writer = new Writer(16 * 1024)
  private write: (bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError>
  /** Bytes handed to the socket so far. */
  bytesWritten = 0

  constructor(
    write: (bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError>,
    readonly flushBytes: number
  ) {
    this.write = write
  }

  /** Switches to another transport's writer (after a TLS upgrade). */
  retarget(write: (bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError>): void {
    this.write = write
  }

  send(m: BackendMessage): void {
    encodeBackendMessage(this.w, m)
  }

  get pending(): number {
    return this.w.length
  }

  readonly flush: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() => {
    const n = this.w.length
    if (n === 0) return Effect.void
    this.bytesWritten += n
    return Effect.map(this.write(this.w.view()), () => {
      if (n > SHRINK_ABOVE) this.w = new Writer(16 * 1024)
      else this.w.reset()
    })
  })

  readonly flushIfFull: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() =>
    this.w.length >= this.flushBytes ? this.flush : Effect.void
  )
}
