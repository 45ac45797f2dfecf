import { describe, expect, it } from "@effect/vitest"
import * as Socket from "@effect/platform/Socket"
import { Deferred, Effect, Fiber, Ref } from "effect"
import { makePair } from "../src/transport/MemorySocket.js"

describe("MemorySocket", () => {
  it.scopedLive("delivers chunks in order and ends both sides on close", () =>
    Effect.gen(function* () {
      const pair = yield* makePair()
      const received: Array<string> = []
      const reader = yield* Effect.fork(pair.server.run((c) => void received.push(Buffer.from(c).toString())))
      const write = yield* pair.client.writer
      yield* write(new TextEncoder().encode("a"))
      yield* write("b")
      yield* write(new Socket.CloseEvent())
      yield* Fiber.join(reader)
      expect(received).toEqual(["a", "b"])
      const serverWrite = yield* pair.server.writer
      const failed = yield* Effect.flip(serverWrite("late"))
      expect(failed._tag).toBe("SocketError")
    }))

  it.scopedLive("a writer waits while the reader is slow (bounded queue)", () =>
    Effect.gen(function* () {
      const pair = yield* makePair({ capacity: 4 })
      const written = yield* Ref.make(0)
      const write = yield* pair.client.writer
      const writer = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 100 }), () => Effect.zipRight(write("x"), Ref.update(written, (n) => n + 1)), {
          discard: true
        })
      )
      const gate = yield* Deferred.make<void>()
      // The reader takes one chunk and then stalls on the gate.
      const reader = yield* Effect.fork(pair.server.run(() => Deferred.await(gate)))
      yield* Effect.sleep("50 millis")
      // 1 taken by the stalled reader + 4 queued; the writer cannot be further ahead.
      expect(yield* Ref.get(written)).toBeLessThanOrEqual(5)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(writer)
      expect(yield* Ref.get(written)).toBe(100)
      yield* pair.close
      yield* Fiber.join(reader)
    }))

  it.scopedLive("copies written bytes so the writer may reuse its buffer", () =>
    Effect.gen(function* () {
      const pair = yield* makePair()
      const write = yield* pair.client.writer
      const buf = new Uint8Array([1, 2, 3])
      yield* write(buf)
      buf[0] = 9
      const got = yield* Deferred.make<Uint8Array>()
      yield* Effect.fork(pair.server.run((c) => Deferred.succeed(got, c)))
      expect([...(yield* Deferred.await(got))]).toEqual([1, 2, 3])
    }))
})
