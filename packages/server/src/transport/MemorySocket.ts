import * as Socket from "@effect/platform/Socket"
import { Deferred, Effect, Option, Queue } from "effect"

/**
 * An in-memory, connected pair of `@effect/platform` Sockets, for tests that
 * need no port. Each direction is a bounded queue of chunks, so a writer waits
 * when the reader falls behind (backpressure like a TCP window), and `run`
 * awaits its handler's effect before taking the next chunk.
 *
 * Closing either side (a `CloseEvent` written, or a writer's scope closed)
 * ends both directions, as a TCP socket without half-open does: chunks already
 * queued are still delivered, then `run` returns; later writes fail with a
 * `SocketCloseError`.
 */
export interface MemorySocketPair {
  readonly client: Socket.Socket
  readonly server: Socket.Socket
  /** Ends both directions. */
  readonly close: Effect.Effect<void>
}

export interface MemorySocketOptions {
  /** Chunks a direction holds before a writer waits. */
  readonly capacity?: number
}

const closedError = () => new Socket.SocketCloseError({ reason: "Close", code: 1000 })

const encoder = new TextEncoder()

export const makePair = (options: MemorySocketOptions = {}): Effect.Effect<MemorySocketPair> =>
  Effect.gen(function* () {
    const capacity = options.capacity ?? 16
    const toServer = yield* Queue.bounded<Uint8Array>(capacity)
    const toClient = yield* Queue.bounded<Uint8Array>(capacity)
    const state: PairState = { closed: yield* Deferred.make<void>(), isClosed: false }
    const close = Effect.suspend(() => {
      state.isClosed = true
      return Deferred.succeed(state.closed, undefined)
    }).pipe(Effect.asVoid)
    return {
      client: makeSide(toClient, toServer, state, close),
      server: makeSide(toServer, toClient, state, close),
      close
    }
  })

interface PairState {
  readonly closed: Deferred.Deferred<void>
  isClosed: boolean
}

const makeSide = (
  inbound: Queue.Queue<Uint8Array>,
  outbound: Queue.Queue<Uint8Array>,
  state: PairState,
  close: Effect.Effect<void>
): Socket.Socket => {
  const closed = state.closed
  // Next chunk, or None once the pair is closed and nothing is left queued.
  const nextChunk: Effect.Effect<Option.Option<Uint8Array>> = Effect.flatMap(Queue.poll(inbound), (polled) =>
    Option.isSome(polled)
      ? Effect.succeed(polled)
      : Effect.raceFirst(Effect.map(Queue.take(inbound), Option.some), Effect.as(Deferred.await(closed), Option.none()))
  )

  const run = <_, E, R>(
    handler: (_: Uint8Array) => Effect.Effect<_, E, R> | void,
    opts?: { readonly onOpen?: Effect.Effect<void> | undefined }
  ): Effect.Effect<void, Socket.SocketError | E, R> =>
    Effect.gen(function* () {
      if (opts?.onOpen) yield* opts.onOpen
      for (;;) {
        const chunk = yield* nextChunk
        if (Option.isNone(chunk)) return
        const result = handler(chunk.value)
        if (Effect.isEffect(result)) yield* result
      }
    })

  const write = (chunk: Uint8Array | string | Socket.CloseEvent): Effect.Effect<void, Socket.SocketError> => {
    if (Socket.isCloseEvent(chunk)) return close
    return Effect.suspend(() => {
      if (state.isClosed) return Effect.fail(closedError())
      // Copy: the writer may reuse its buffer once this write completes.
      const bytes = typeof chunk === "string" ? encoder.encode(chunk) : Uint8Array.prototype.slice.call(chunk)
      // Room in the queue: no waiting. Full: wait for room or for the close.
      if (outbound.unsafeOffer(bytes)) return Effect.void
      return Effect.raceFirst(
        Queue.offer(outbound, bytes).pipe(Effect.asVoid),
        Effect.zipRight(Deferred.await(closed), Effect.failSync(closedError))
      )
    })
  }

  return Socket.Socket.of({
    [Socket.TypeId]: Socket.TypeId,
    run,
    runRaw: run,
    writer: Effect.acquireRelease(Effect.succeed(write), () => close)
  })
}
