import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { Testing } from "../src/testing/Testing.js"
import {
  bind,
  closePortal,
  closeStatement,
  demoServer,
  exchange,
  execute,
  makeProbe,
  parse,
  sync,
  text
} from "./extendedSupport.js"

const withServer = <A, E>(f: (probe: Effect.Effect.Success<typeof makeProbe>) => Effect.Effect<A, E, any>, limits?: Parameters<typeof demoServer>[1]) =>
  Effect.flatMap(makeProbe, (probe) => Effect.provide(f(probe), demoServer(probe, limits)))

const waitUntil = (cond: Effect.Effect<boolean>): Effect.Effect<void> =>
  Effect.flatMap(cond, (ok) => (ok ? Effect.void : Effect.zipRight(Effect.sleep("5 millis"), waitUntil(cond))))

const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `DataRow ${from + i}`)

describe("extended query: portal suspension", () => {
  for (const kind of ["series", "stream"] as const) {
    it.scopedLive(`${kind}: Execute with a row limit suspends the portal and a later Execute resumes it`, () =>
      withServer((probe) =>
        Effect.gen(function* () {
          const c = yield* Testing.connect()
          yield* exchange(c, { _tag: "Query", sql: "begin" })
          expect(yield* exchange(c, parse(`${kind} 25`), bind("", [], { portal: "cur" }), execute("cur", 10), sync)).toEqual([
            "ParseComplete",
            "BindComplete",
            ...rows(1, 10),
            "PortalSuspended",
            "RFQ T"
          ])
          expect(yield* exchange(c, execute("cur", 10), sync)).toEqual([...rows(11, 20), "PortalSuspended", "RFQ T"])
          // the handler ran once: the portal kept its rows
          expect(yield* Ref.get(probe.executed)).toBe(1)
          expect(yield* Ref.get(probe.released)).toEqual([])
          expect(yield* exchange(c, execute("cur", 10), execute("cur", 10), sync)).toEqual([
            ...rows(21, 25),
            "CommandComplete SELECT 5",
            "CommandComplete SELECT 0",
            "RFQ T"
          ])
          // rows ran out: the rows' resources were released then, not later
          expect(yield* Ref.get(probe.released)).toEqual([`${kind} 25`])
        })
      )
    )

    it.scopedLive(`${kind}: exactly the limit suspends (no look-ahead); Execute with 0 reads the rest`, () =>
      withServer(() =>
        Effect.gen(function* () {
          const c = yield* Testing.connect()
          expect(yield* exchange(c, parse(`${kind} 3`), bind(), execute("", 3), execute("", 0), sync)).toEqual([
            "ParseComplete",
            "BindComplete",
            ...rows(1, 3),
            "PortalSuspended",
            "CommandComplete SELECT 0",
            "RFQ I"
          ])
          expect(yield* exchange(c, parse(`${kind} 5`), bind(), execute("", 2), execute("", 0), sync)).toEqual([
            "ParseComplete",
            "BindComplete",
            ...rows(1, 2),
            "PortalSuspended",
            ...rows(3, 5),
            "CommandComplete SELECT 3",
            "RFQ I"
          ])
        })
      )
    )

    it.scopedLive(`${kind}: closing a suspended portal releases its rows (Close, Sync outside a block, disconnect)`, () =>
      withServer((probe) =>
        Effect.gen(function* () {
          const c = yield* Testing.connect()
          yield* exchange(c, parse(`${kind} 100`, "s"), sync)
          yield* exchange(c, { _tag: "Query", sql: "begin" })
          yield* exchange(c, bind("s", [], { portal: "a" }), execute("a", 1), sync)
          expect(yield* exchange(c, closePortal("a"), sync)).toEqual(["CloseComplete", "RFQ T"])
          expect(yield* Ref.get(probe.released)).toEqual([`${kind} 100`])
          yield* exchange(c, { _tag: "Query", sql: "commit" })
          // outside a block, Sync ends the implicit transaction and its portals
          yield* exchange(c, bind("s", [], { portal: "b" }), execute("b", 1), sync)
          expect(yield* Ref.get(probe.released)).toHaveLength(2)
          expect(yield* exchange(c, execute("b", 1), sync)).toEqual(['Error 34000 portal "b" does not exist', "RFQ I"])
          // disconnecting with a suspended portal in a block
          yield* exchange(c, { _tag: "Query", sql: "begin" })
          yield* exchange(c, bind("s", [], { portal: "c" }), execute("c", 1), sync)
          yield* c.close
          yield* waitUntil(Effect.map(Ref.get(probe.released), (r) => r.length === 3))
        })
      )
    )
  }

  it.scopedLive("a suspended portal survives other statements and their Syncs inside a block, and ends at COMMIT", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* exchange(c, parse("begin"), bind(), execute(), sync)
        yield* exchange(c, parse("series 4", "s"), bind("s", [], { portal: "cur" }), execute("cur", 1), sync)
        expect(yield* exchange(c, parse("insert"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "CommandComplete INSERT 0 1", "RFQ T"])
        expect(yield* exchange(c, execute("cur", 1), sync)).toEqual(["DataRow 2", "PortalSuspended", "RFQ T"])
        expect(yield* exchange(c, { _tag: "Query", sql: "select 1" })).toEqual(["RowDescription one:23:0", "DataRow 1", "CommandComplete SELECT 1", "RFQ T"])
        expect(yield* exchange(c, execute("cur", 1), sync)).toEqual(["DataRow 3", "PortalSuspended", "RFQ T"])
        expect(yield* exchange(c, parse("commit"), bind(), execute(), execute("cur", 1), sync)).toEqual([
          "ParseComplete",
          "BindComplete",
          "CommandComplete COMMIT",
          'Error 34000 portal "cur" does not exist',
          "RFQ I"
        ])
        // the named statement lives on
        expect(yield* exchange(c, bind("s"), execute("", 1), sync)).toEqual(["BindComplete", "DataRow 1", "PortalSuspended", "RFQ I"])
      })
    )
  )

  it.scopedLive("an error drops the transaction's portals; a simple COMMIT ends them; a simple Query drops the unnamed statement", () =>
    withServer(() =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* exchange(c, { _tag: "Query", sql: "begin" })
        yield* exchange(c, parse("series 4", "s"), bind("s", [], { portal: "cur" }), execute("cur", 1), sync)
        yield* exchange(c, { _tag: "Query", sql: "commit" })
        expect(yield* exchange(c, execute("cur", 1), sync)).toEqual(['Error 34000 portal "cur" does not exist', "RFQ I"])
        yield* exchange(c, { _tag: "Query", sql: "begin" })
        yield* exchange(c, bind("s", [], { portal: "cur" }), execute("cur", 1), sync)
        expect(yield* exchange(c, parse("fail"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "Error 22012 division by zero", "RFQ E"])
        expect(yield* exchange(c, execute("cur", 1), sync)).toEqual(['Error 34000 portal "cur" does not exist', "RFQ E"])
        yield* exchange(c, parse("rollback"), bind(), execute(), sync)
        yield* exchange(c, parse("series 1"), sync)
        yield* exchange(c, { _tag: "Query", sql: "select 1" })
        expect(yield* exchange(c, bind(""), sync)).toEqual(["Error 26000 unnamed prepared statement does not exist", "RFQ I"])
      })
    )
  )

  it.scopedLive("the unnamed portal is replaced by the next Bind, releasing the old one's rows", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.connect()
        yield* exchange(c, parse("begin"), bind(), execute(), sync)
        yield* exchange(c, parse("stream 50"), bind(), execute("", 5), sync)
        expect(yield* exchange(c, bind("", [], {}), execute("", 2), sync)).toEqual(["BindComplete", "DataRow 1", "DataRow 2", "PortalSuspended", "RFQ T"])
        expect(yield* Ref.get(probe.released)).toEqual(["stream 50"])
      })
    )
  )
})

describe("extended query: limits and cancel", () => {
  it.scopedLive("a client that Parses without end gets 53400 at the limit; Close frees a slot; the unnamed statement does not count", () =>
    withServer(
      () =>
        Effect.gen(function* () {
          const c = yield* Testing.connect()
          expect(yield* exchange(c, parse("insert", "s1"), parse("insert", "s2"), parse("insert", "s3"), sync)).toEqual([
            "ParseComplete",
            "ParseComplete",
            "ParseComplete",
            "RFQ I"
          ])
          expect(yield* exchange(c, parse("insert", "s4"), sync)).toEqual([
            "Error 53400 too many prepared statements (this server keeps at most 3 per connection)",
            "RFQ I"
          ])
          expect(yield* exchange(c, parse("insert"), bind(), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "CommandComplete INSERT 0 1", "RFQ I"])
          expect(yield* exchange(c, closeStatement("s1"), parse("insert", "s4"), sync)).toEqual(["CloseComplete", "ParseComplete", "RFQ I"])
          yield* exchange(c, { _tag: "Query", sql: "begin" })
          expect(yield* exchange(c, bind("s2", [], { portal: "p1" }), bind("s2", [], { portal: "p2" }), bind("s2", [], { portal: "p3" }), sync)).toEqual([
            "BindComplete",
            "BindComplete",
            "Error 53400 too many open portals (this server keeps at most 2 per connection)",
            "RFQ E"
          ])
        }),
      { maxStatements: 3, maxPortals: 2 }
    )
  )

  it.scopedLive("a CancelRequest interrupts a running Execute with 57014; the connection goes on", () =>
    withServer((probe) =>
      Effect.gen(function* () {
        const c = yield* Testing.open
        const keys = yield* c.startup()
        yield* c.sendMessage(parse("block"), bind(), execute(), sync)
        // (ParseComplete and BindComplete wait in the outbox, as in PostgreSQL, until Sync or a full buffer)
        yield* waitUntil(Effect.map(Ref.get(probe.executed), (n) => n === 1))
        const canceller = yield* Testing.open
        yield* canceller.sendMessage({ _tag: "CancelRequest", processId: keys.processId, secretKey: keys.secretKey })
        expect(yield* canceller.receiveUntilClosed).toEqual([])
        expect((yield* c.receive)._tag).toBe("ParseComplete")
        expect((yield* c.receive)._tag).toBe("BindComplete")
        expect(yield* c.receive).toMatchObject({ _tag: "ErrorResponse", fields: { code: "57014", message: "canceling statement due to user request" } })
        expect(yield* c.receive).toEqual({ _tag: "ReadyForQuery", status: "I" })
        expect(yield* Ref.get(probe.released)).toEqual(["block"])
        expect(yield* exchange(c, parse("echo $1"), bind("", [text("ok")]), execute(), sync)).toEqual(["ParseComplete", "BindComplete", "DataRow ok", "CommandComplete SELECT 1", "RFQ I"])
      })
    )
  )
})
