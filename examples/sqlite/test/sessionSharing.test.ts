import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Option, Stream } from "effect"
import { SqliteEngine } from "../src/engine/SqliteEngine.js"

const series = (n: number) => `SELECT generate_series AS n FROM generate_series(1, ${n})`

describe("SqliteSession: a statement whose rows are still unread", () => {
  it.scopedLive("a suspended reader is spilled when the session runs another statement, and reads on from memory", () =>
    Effect.gen(function*() {
      const engine = yield* SqliteEngine.make({ database: ":memory:", batchRows: 100 })
      const s = yield* engine.openSession()
      yield* s.query("CREATE TABLE t (x INTEGER)")
      yield* s.query("BEGIN")
      const first = yield* s.execute(series(1000))
      if (first._tag !== "Rows") throw new Error("rows expected")
      const pull = yield* Stream.toPull(first.rows)
      expect(Chunk.toReadonlyArray(yield* pull)).toHaveLength(100)
      // the session is held by the unread rows: this INSERT would wait forever without the spill
      yield* s.query("INSERT INTO t VALUES (1)")
      let rest = 0
      for (;;) {
        const chunk = yield* Effect.option(pull)
        if (Option.isNone(chunk)) break
        rest += Chunk.size(chunk.value)
      }
      expect(rest).toBe(900)
      yield* s.query("COMMIT")
      expect((yield* s.query("SELECT count(*) FROM t"))[0]!.rows).toEqual([[1n]])
    }))

  it.scopedLive("fibers sharing one session: a reader that is reading is waited for, not spilled", () =>
    Effect.gen(function*() {
      const engine = yield* SqliteEngine.make({ database: ":memory:", batchRows: 100 })
      const s = yield* engine.openSession()
      const [big, small] = yield* Effect.all(
        [
          s.query(series(20_000)),
          // each arrives while the big one is being read batch by batch
          Effect.forEach(Array.from({ length: 20 }, (_, i) => i), (i) => Effect.zipRight(Effect.sleep("3 millis"), s.query(`SELECT ${i} AS i`)))
        ],
        { concurrency: "unbounded" }
      )
      expect(big[0]!.rows.map((r) => r[0])).toEqual(Array.from({ length: 20_000 }, (_, i) => BigInt(i + 1)))
      expect(small.map((r) => r[0]!.rows)).toEqual(Array.from({ length: 20 }, (_, i) => [[BigInt(i)]]))
    }), 20_000)
})
