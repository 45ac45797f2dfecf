import { describe, expect, it } from "@effect/vitest"
import { Oid } from "@pgwire-ts/protocol"
import { Effect } from "effect"
import { Testing } from "../src/testing/Testing.js"
import { bind, demoServer, describePortal, exchange, execute, makeProbe, parse, receiveUntilReady, summarize, sync, text } from "./extendedSupport.js"

const withServer = <A, E>(f: Effect.Effect<A, E, any>) => Effect.flatMap(makeProbe, (probe) => Effect.provide(f, demoServer(probe)))

describe("extended query: pipelining", () => {
  it.scopedLive("many Parse/Bind/Execute before one Sync are answered in order", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(
          yield* exchange(
            c,
            parse("echo $1", "e", [Oid.int4]),
            bind("e", [text("1")]),
            execute(),
            bind("e", [text("2")]),
            execute(),
            parse("series 2"),
            bind(),
            execute(),
            parse("insert"),
            bind(),
            execute(),
            sync
          )
        ).toEqual([
          "ParseComplete",
          "BindComplete",
          "DataRow 1",
          "CommandComplete SELECT 1",
          "BindComplete",
          "DataRow 2",
          "CommandComplete SELECT 1",
          "ParseComplete",
          "BindComplete",
          "DataRow 1",
          "DataRow 2",
          "CommandComplete SELECT 2",
          "ParseComplete",
          "BindComplete",
          "CommandComplete INSERT 0 1",
          "RFQ I"
        ])
      })
    )
  )

  it.scopedLive("after an error everything up to Sync is skipped, then ReadyForQuery; the next exchange runs", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        expect(
          yield* exchange(
            c,
            parse("series 1"),
            bind(),
            execute(),
            parse("fail"),
            bind(),
            execute(),
            // skipped: none of these is answered
            parse("series 1", "never"),
            bind("never"),
            execute(),
            { _tag: "Flush" },
            sync
          )
        ).toEqual(["ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "ParseComplete", "BindComplete", "Error 22012 division by zero", "RFQ I"])
        expect(yield* exchange(c, bind("never"), sync)).toEqual(['Error 26000 prepared statement "never" does not exist', "RFQ I"])
        // an error in Parse or Bind skips the same way
        expect(yield* exchange(c, parse("nonsense"), bind(), execute(), sync)).toEqual(['Error 42601 syntax error at or near "nonsense"', "RFQ I"])
        expect(yield* exchange(c, parse("series 1"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "RFQ I"])
      })
    )
  )

  it.scopedLive("1,000 executions in one pipeline, answers larger than the outbox, all in order", () =>
    withServer(
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        const messages = [parse("echo $1", "e", [Oid.text])]
        const big = "x".repeat(500)
        for (let i = 0; i < 1000; i++) messages.push(bind("e", [text(`${i}:${big}`)]), describePortal(), execute())
        messages.push(sync)
        yield* c.sendMessage(...messages)
        const answer = (yield* receiveUntilReady(c)).map(summarize)
        expect(answer).toHaveLength(1 + 1000 * 4 + 1)
        for (let i = 0; i < 1000; i++) {
          expect(answer.slice(1 + i * 4, 5 + i * 4)).toEqual(["BindComplete", "RowDescription p1:25:0", `DataRow ${i}:${big}`, "CommandComplete SELECT 1"])
        }
        expect(answer.at(-1)).toBe("RFQ I")
      })
    )
  )
})
