import type * as Socket from "@effect/platform/Socket"
import { Effect, ExecutionStrategy, Exit, Fiber, Scope } from "effect"
import type { RemoteInfo, TlsInfo } from "../session/ConnectionInfo.js"

/**
 * The byte pipe a connection runs on: a pull-based reader (the state machine
 * asks for the next chunk when it needs one) and a writer that completes when
 * the socket has taken the bytes, over any `@effect/platform` Socket.
 */
export interface Transport {
  readonly remote: RemoteInfo
  readonly tls: TlsInfo | undefined
  /** DER of the server certificate on a TLS connection (for SCRAM channel binding). */
  readonly serverCertificate: Uint8Array | undefined
  /**
   * The next input chunk, undefined once the peer has closed, or WAKE when
   * `wake()` was called (the reader then decides why). One reader at a time.
   */
  readonly read: Effect.Effect<Uint8Array | undefined | typeof WAKE>
  /**
   * What `read` would return now, without waiting: PENDING when nothing has
   * arrived (then `read` waits). Lets a reader drain input in a plain loop.
   */
  readonly poll: () => Uint8Array | undefined | typeof WAKE | typeof PENDING
  /** Completes once `poll` has something to return (at once if it has already). One waiter at a time. */
  readonly arrival: Effect.Effect<void>
  /** Makes a pending or the next `read` return WAKE (used to end idle sessions on shutdown). */
  readonly wake: () => void
  /**
   * The callback run when the peer closes or the socket fails (it interrupts a
   * running query); replaces the previous one; runs at once if already closed.
   */
  readonly setPeerClosedHandler: (f: (() => void) | undefined) => void
  /** Input received and not yet read (the CVE-2021-23214 check before a TLS handshake). */
  readonly bufferedChunks: () => number
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError>
  /**
   * Hands `bytes` to the socket now: undefined when the socket took them all
   * at once (the caller may reuse the buffer), else an Effect that completes
   * when it has (waiting on backpressure). The outbox writes through this.
   */
  readonly writeNow: (bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError> | undefined
  /** Ends the connection after pending writes; idempotent. */
  readonly close: Effect.Effect<void>
  /** Present on transports that can switch to TLS (TCP with TLS configured). */
  readonly startTls: StartTls | undefined
}

/**
 * Stops reading plain text, writes `answer` (the 'S' byte after SSLRequest; empty
 * for direct TLS), and runs the TLS handshake on the same socket; `prefix` is
 * input already read that belongs to the handshake (the ClientHello of direct TLS).
 */
export type StartTls = (answer: Uint8Array, prefix: Uint8Array | undefined) => Effect.Effect<Transport, TlsFailure>

export class TlsFailure {
  readonly _tag = "TlsFailure"
  constructor(readonly reason: string) {}
}

export interface ReadBackpressure {
  /** Called when unread input passes the high-water mark; `resume` when it drains. */
  readonly pause: () => void
  readonly resume: () => void
}

const END = Symbol("end")
/** What `Transport.read` returns after `wake()`. */
export const WAKE = Symbol("wake")
/** What `Transport.poll` returns when no input is waiting. */
export const PENDING = Symbol("pending")
const HIGH_WATER = 1 << 20

export interface SocketTransportOptions {
  readonly remote: RemoteInfo
  readonly tls?: TlsInfo | undefined
  readonly serverCertificate?: Uint8Array | undefined
  readonly backpressure?: ReadBackpressure | undefined
  /** `stopReading` ends plain reading and says whether unread input was left (which refuses TLS). */
  readonly startTls?: (stopReading: Effect.Effect<boolean>) => StartTls
  /** Extra work when the transport closes (a Node socket's destroy timer). */
  readonly onClose?: Effect.Effect<void> | undefined
  /** A synchronous writer for `writeNow` (Node sockets); without one, `writeNow` runs the socket's writer. */
  readonly writeNow?: ((bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError> | undefined) | undefined
}

/**
 * A Transport over a platform Socket, living in its own Scope: closing it
 * ends the socket's writer (which ends the socket) and stops the reader.
 */
export const fromSocket = (socket: Socket.Socket, options: SocketTransportOptions): Effect.Effect<Transport, never, Scope.Scope> =>
  Effect.gen(function* () {
    const parent = yield* Effect.scope
    const scope = yield* Scope.fork(parent, ExecutionStrategy.sequential)
    // Unread input: a plain array and at most one waiting reader (the connection
    // fiber), so a read of data that has arrived costs no Effect machinery.
    const chunks: Array<Uint8Array | typeof END | typeof WAKE | undefined> = []
    let head = 0
    let waiter: ((wake: Effect.Effect<void>) => void) | undefined
    let peerGone = false
    let onPeerGone: (() => void) | undefined
    let queuedBytes = 0
    let paused = false
    let ended = false
    const bp = options.backpressure

    const offer = (item: Uint8Array | typeof END | typeof WAKE): void => {
      chunks.push(item)
      const w = waiter
      if (w !== undefined) {
        waiter = undefined
        w(Effect.void)
      }
    }
    const onChunk = (chunk: Uint8Array): void => {
      queuedBytes += chunk.byteLength
      offer(chunk)
      if (bp && !paused && queuedBytes > HIGH_WATER) {
        paused = true
        bp.pause()
      }
    }
    const reader = yield* socket.run(onChunk).pipe(
      Effect.exit,
      Effect.flatMap(() =>
        Effect.sync(() => {
          offer(END)
          peerGone = true
          onPeerGone?.()
        })
      ),
      Effect.forkIn(scope)
    )
    const write = yield* Scope.extend(socket.writer, scope)

    const unread = (): number => {
      let n = 0
      for (let i = head; i < chunks.length; i++) if (chunks[i] instanceof Uint8Array) n++
      return n
    }
    const poll = (): Uint8Array | undefined | typeof WAKE | typeof PENDING => {
      if (ended) return undefined
      if (head === chunks.length) return PENDING
      const c = chunks[head]!
      chunks[head++] = undefined
      if (head === chunks.length) {
        chunks.length = 0
        head = 0
      }
      if (c === END) {
        ended = true
        return undefined
      }
      if (c === WAKE) return WAKE
      queuedBytes -= c.byteLength
      if (paused && queuedBytes === 0) {
        paused = false
        bp!.resume()
      }
      return c
    }
    // Resumed by `offer`; an interrupted wait just leaves the input queued.
    const arrival = Effect.async<void>((resume) => {
      if (ended || head < chunks.length) return resume(Effect.void)
      waiter = resume
      return Effect.sync(() => {
        if (waiter === resume) waiter = undefined
      })
    })
    const read: Effect.Effect<Uint8Array | undefined | typeof WAKE> = Effect.suspend(() => {
      const c = poll()
      return c === PENDING ? Effect.zipRight(arrival, read) : Effect.succeed(c)
    })

    const close = Effect.zipRight(Scope.close(scope, Exit.void), options.onClose ?? Effect.void)
    const stopReading = Fiber.interrupt(reader).pipe(Effect.map(() => unread() === 0))

    return {
      remote: options.remote,
      tls: options.tls,
      serverCertificate: options.serverCertificate,
      read,
      poll,
      arrival,
      bufferedChunks: unread,
      wake: () => offer(WAKE),
      setPeerClosedHandler: (f) => {
        onPeerGone = f
        if (peerGone) f?.()
      },
      write,
      writeNow: options.writeNow ?? write,
      close,
      startTls: options.startTls ? options.startTls(stopReading) : undefined
    } satisfies Transport
  })
