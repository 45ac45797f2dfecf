import { type BackendMessage, encodeBackendMessage, Writer } from "@pgwire-ts/protocol"
import type * as Socket from "@effect/platform/Socket"
import { Effect } from "effect"

/** Messages larger than this make the outbox drop its grown buffer after flushing. */
const SHRINK_ABOVE = 1 << 20

/** Hands bytes to the socket: undefined when it took them at once, else an Effect that waits until it has. */
export type WriteNow = (bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError> | undefined

/**
 * The per-connection output buffer. Messages are encoded into one reusable
 * Writer; `flush` hands the bytes to the socket and waits until the socket has
 * taken them, so a client that reads slowly stalls the producer instead of
 * growing memory. Callers flush at protocol boundaries (ReadyForQuery, the end
 * of an auth step, Flush) and `flushIfFull` between rows. `flushNow` is the
 * same without an Effect step when the socket takes the bytes at once.
 */
export class Outbox {
  w: Writer = new Writer(16 * 1024)
  private write: WriteNow
  /** Bytes handed to the socket so far. */
  bytesWritten = 0

  constructor(
    write: WriteNow,
    readonly flushBytes: number
  ) {
    this.write = write
  }

  /** Switches to another transport's writer (after a TLS upgrade). */
  retarget(write: WriteNow): void {
    this.write = write
  }

  send(m: BackendMessage): void {
    encodeBackendMessage(this.w, m)
  }

  get pending(): number {
    return this.w.length
  }

  /**
   * Writes what is buffered: undefined when the socket took it at once (the
   * buffer is free again), else the Effect that waits until it has.
   */
  flushNow(): Effect.Effect<void, Socket.SocketError> | undefined {
    const n = this.w.length
    if (n === 0) return undefined
    this.bytesWritten += n
    const pending = this.write(this.w.view())
    if (pending === undefined) {
      this.written(n)
      return undefined
    }
    return Effect.map(pending, () => this.written(n))
  }

  private written(n: number): void {
    if (n > SHRINK_ABOVE) this.w = new Writer(16 * 1024)
    else this.w.reset()
  }

  readonly flush: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() => this.flushNow() ?? Effect.void)

  readonly flushIfFull: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() =>
    this.w.length >= this.flushBytes ? this.flush : Effect.void
  )
}
