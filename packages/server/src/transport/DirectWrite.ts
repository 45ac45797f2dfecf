import * as Socket from "@effect/platform/Socket"
import { Effect } from "effect"
import type { Duplex } from "node:stream"

const closed = () => new Socket.SocketGenericError({ reason: "Write", cause: new Error("the socket is closed") })

/**
 * `Transport.writeNow` for a Node socket: writes straight to it instead of
 * through the platform Socket's writer (an Effect.async per write). Node
 * tries the write synchronously; when `writableLength` is 0 right after
 * `write()` returns, the kernel has every byte and nothing refers to the
 * buffer any more, so the outbox may reuse it at once: no wait, no fiber
 * suspension (the common case for a query's answer). Otherwise the returned
 * Effect waits until every write in flight has completed, which is the
 * backpressure a slow client puts on the producer.
 */
export const directWriter = (s: Duplex): ((bytes: Uint8Array) => Effect.Effect<void, Socket.SocketError> | undefined) => {
  // Writes whose callback has not run yet; their first error; who waits for them.
  let inFlight = 0
  let failure: Error | undefined
  let waiter: ((result: Effect.Effect<void, Socket.SocketError>) => void) | undefined
  const outcome = (): Effect.Effect<void, Socket.SocketError> =>
    failure === undefined ? Effect.void : Effect.fail(new Socket.SocketGenericError({ reason: "Write", cause: failure }))
  const written = (err?: Error | null): void => {
    inFlight--
    if (err) failure ??= err
    if (inFlight === 0 && waiter !== undefined) {
      const w = waiter
      waiter = undefined
      w(outcome())
    }
  }
  const drained = Effect.async<void, Socket.SocketError>((resume) => {
    if (inFlight === 0) return resume(outcome())
    waiter = resume
    return Effect.sync(() => {
      if (waiter === resume) waiter = undefined
    })
  })
  return (bytes) => {
    if (failure !== undefined) return outcome()
    if (s.destroyed || !s.writable) return Effect.fail(closed())
    inFlight++
    s.write(bytes, written)
    return s.writableLength === 0 && failure === undefined ? undefined : drained
  }
}
