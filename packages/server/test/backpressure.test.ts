import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Chunk, Effect, Layer, Stream } from "effect"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Testing } from "../src/testing/Testing.js"

const ROWS = 1_000_000

describe("backpressure", () => {
  it.scopedLive(
    "a slow reader of 1,000,000 rows: the server stays a bounded distance ahead",
    () =>
      Effect.gen(function* () {
        let produced = 0
        const handler = SimpleQueryHandler.perStatement(() =>
          Effect.succeed(
            ResultSet.make({
              fields: [ResultSet.field("i", Oid.int4), ResultSet.field("t", Oid.text)],
              rows: Stream.range(1, ROWS).pipe(
                Stream.mapChunks((c) => {
                  produced += c.length
                  return Chunk.map(c, (i) => [i, "row text"] as const)
                })
              )
            })
          )
        )
        yield* Effect.gen(function* () {
          const c = yield* Testing.connect()
          yield* c.sendMessage({ _tag: "Query", sql: "all" })
          let consumed = 0
          let maxLead = 0
          let heapPeak = 0
          const heapStart = process.memoryUsage().heapUsed
          for (;;) {
            const m = yield* c.receive
            if (m._tag === "DataRow") {
              consumed++
              maxLead = Math.max(maxLead, produced - consumed)
              // The reader is slow: it stops now and then, letting the producer run ahead if it could.
              if (consumed % 20_000 === 0) {
                yield* Effect.sleep("1 millis")
                heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapStart)
              }
            } else if (m._tag === "ReadyForQuery") break
          }
          expect(consumed).toBe(ROWS)
          // 16 queued chunks of ~64 KiB plus the outbox and one stream chunk: tens of thousands of ~25-byte rows, never the whole result.
          expect(maxLead).toBeLessThan(100_000)
          console.log(
            `backpressure (in-memory): max rows ahead of the reader ${maxLead} of ${ROWS}; heap growth peak ${(heapPeak / 2 ** 20).toFixed(1)} MiB`
          )
        }).pipe(Effect.provide(Testing.layer().pipe(Layer.provide(handler))))
      }),
    120_000
  )
})
