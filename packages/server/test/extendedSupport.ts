import { type BackendMessage, type FrontendMessage, Oid, SqlState } from "@pgwire-ts/protocol"
import { Effect, Layer, Ref, Stream } from "effect"
import { PgError } from "../src/errors/PgError.js"
import { PreparedStatements } from "../src/extended/PreparedStatements.js"
import { ExtendedQueryHandler } from "../src/handlers/ExtendedQueryHandler.js"
import { type PortalLimits, PortalStore } from "../src/handlers/PortalStore.js"
import { QueryParser } from "../src/handlers/QueryParser.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import type { TestClient } from "../src/testing/TestClient.js"
import { Testing } from "../src/testing/Testing.js"

/**
 * A small statement language for extended-query tests:
 * `echo` (one column per parameter, of the parameter's type), `series N|$1`
 * (Iterable rows 1..N), `stream N` (Stream rows), `values` (one row of many
 * types), `insert`, `begin`/`commit`/`rollback`, `status`, `fail` (22012 at
 * execute), `die` (a defect), `block` (runs until interrupted), `wide`
 * (described with 1 column, returns 2), "" (empty). Anything else fails to
 * parse with 42601.
 */
export interface Demo {
  readonly kind: string
  readonly count: number | "param"
}

/** Events the tests look at: finalizers of abandoned rows, interrupted executions. */
export interface Probe {
  readonly released: Ref.Ref<ReadonlyArray<string>>
  readonly executed: Ref.Ref<number>
}

export const makeProbe = Effect.gen(function* () {
  return { released: yield* Ref.make<ReadonlyArray<string>>([]), executed: yield* Ref.make(0) } satisfies Probe
})

const placeholders = (sql: string): number => {
  let n = 0
  for (const m of sql.matchAll(/\$(\d+)/g)) n = Math.max(n, Number(m[1]))
  return n
}

export const valueFields = [
  ResultSet.field("i", Oid.int4),
  ResultSet.field("b", Oid.int8),
  ResultSet.field("t", Oid.text),
  ResultSet.field("ok", Oid.bool),
  ResultSet.field("f", Oid.float8),
  ResultSet.field("raw", Oid.bytea),
  ResultSet.field("n", Oid.numeric),
  ResultSet.field("d", Oid.date),
  ResultSet.field("u", Oid.uuid),
  ResultSet.field("a", Oid._int4)
]

export const valueRow = [
  42,
  9007199254740993n,
  "héllo",
  true,
  2.5,
  new Uint8Array([0xca, 0xfe]),
  "12.50",
  "2024-02-29",
  "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
  [1, null, 3]
]

export const parser = QueryParser.layer<Demo>((sql, types) => {
  const s = sql.trim().toLowerCase()
  const n = placeholders(s)
  const parameterTypes = Array.from({ length: Math.max(n, types.length) }, (_, i) => types[i] || Oid.text)
  const words = s.split(/\s+/)
  const count = words[1] === "$1" ? "param" : Number(words[1] ?? 0)
  const demo: Demo = { kind: words[0]!, count }
  const one = (name: string, oid: number) => [ResultSet.field(name, oid)]
  switch (demo.kind) {
    case "":
      return Effect.succeed({ statement: demo, parameterTypes, fields: undefined })
    case "echo":
      return Effect.succeed({ statement: demo, parameterTypes, fields: parameterTypes.map((oid, i) => ResultSet.field(`p${i + 1}`, oid)) })
    case "series":
    case "stream":
    case "wide":
    case "block":
      return Effect.succeed({ statement: demo, parameterTypes, fields: one("n", Oid.int4) })
    case "values":
      return Effect.succeed({ statement: demo, parameterTypes, fields: valueFields })
    case "status":
      return Effect.succeed({ statement: demo, parameterTypes, fields: one("status", Oid.text) })
    case "insert":
    case "begin":
    case "commit":
    case "rollback":
    case "fail":
    case "die":
      return Effect.succeed({ statement: demo, parameterTypes, fields: undefined })
  }
  return Effect.fail(PgError.make(SqlState.SyntaxError, `syntax error at or near "${words[0]}"`, { position: 1 }))
})

export const handler = (probe: Probe) =>
  ExtendedQueryHandler.layer<Demo>((portal, session) =>
    Effect.zipRight(
      Ref.update(probe.executed, (n) => n + 1),
      Effect.suspend((): Effect.Effect<QueryResult, PgError> => {
        const demo = portal.statement
        const count = demo.count === "param" ? Number(portal.parameters[0]) : demo.count
        switch (demo.kind) {
          case "":
            return Effect.succeed(QueryResult.empty)
          case "echo":
            return Effect.succeed(ResultSet.make({ fields: portal.fields!, rows: [portal.parameters] }))
          case "series": {
            // a generator: its finally block shows whether an abandoned portal released it
            function* rows() {
              try {
                for (let i = 1; i <= count; i++) yield [i]
              } finally {
                Effect.runSync(Ref.update(probe.released, (r) => [...r, `series ${count}`]))
              }
            }
            return Effect.succeed(ResultSet.make({ fields: portal.fields!, rows: rows() }))
          }
          case "stream":
            return Effect.succeed(
              ResultSet.make({
                fields: portal.fields!,
                rows: Stream.range(1, count, 7).pipe(
                  Stream.map((i) => [i]),
                  Stream.ensuring(Ref.update(probe.released, (r) => [...r, `stream ${count}`]))
                )
              })
            )
          case "values":
            return Effect.succeed(ResultSet.make({ fields: portal.fields!, rows: [valueRow] }))
          case "status":
            return Effect.map(session.transactionStatus, (s) => ResultSet.make({ fields: portal.fields!, rows: [[s]] }))
          case "wide":
            return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("a", Oid.int4), ResultSet.field("b", Oid.int4)], rows: [[1, 2]] }))
          case "block":
            return Effect.never.pipe(Effect.onInterrupt(() => Ref.update(probe.released, (r) => [...r, "block"])))
          case "insert":
            return Effect.succeed(QueryResult.command("INSERT 0 1"))
          case "begin":
            return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
          case "commit":
            return Effect.succeed(QueryResult.command("COMMIT", { transaction: "commit" }))
          case "rollback":
            return Effect.succeed(QueryResult.command("ROLLBACK", { transaction: "rollback" }))
          case "fail":
            return Effect.fail(PgError.make(SqlState.DivisionByZero, "division by zero"))
          case "die":
            return Effect.die(new Error("handler bug"))
        }
        return Effect.fail(PgError.make(SqlState.InternalError, `no such statement ${demo.kind}`))
      })
    )
  )

/** The simple-query side of the same language (for mixing Query with extended messages). */
const simple = SimpleQueryHandler.perStatement((statement, session) => {
  const s = statement.trim().toLowerCase()
  if (s === "deallocate all") return Effect.as(PreparedStatements.deallocateAll(session), QueryResult.command("DEALLOCATE ALL"))
  if (s.startsWith("deallocate ")) return Effect.as(PreparedStatements.deallocate(session, s.slice(11)), QueryResult.command("DEALLOCATE"))
  if (s === "begin") return Effect.succeed(QueryResult.command("BEGIN", { transaction: "begin" }))
  if (s === "commit") return Effect.succeed(QueryResult.command("COMMIT", { transaction: "commit" }))
  if (s === "select 1") return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("one", Oid.int4)], rows: [[1]] }))
  return Effect.fail(PgError.make(SqlState.SyntaxError, "syntax error"))
})

/** An in-memory server with the demo language, for one test (the probe shows what happened inside). */
export const demoServer = (probe: Probe, limits?: PortalLimits) =>
  Testing.layer().pipe(
    Layer.provide(Layer.mergeAll(parser, handler(probe), simple, limits === undefined ? Layer.empty : PortalStore.inMemory(limits)))
  )

const utf8 = new TextDecoder()

/** One backend message as a short line: "DataRow 1|NULL", "Error 26000 ...", "RFQ I". */
export const summarize = (m: BackendMessage): string => {
  switch (m._tag) {
    case "ErrorResponse":
      return `Error ${m.fields.code} ${m.fields.message}`
    case "DataRow":
      return `DataRow ${m.values.map((v) => (v === null ? "NULL" : utf8.decode(v))).join("|")}`
    case "CommandComplete":
      return `CommandComplete ${m.tag}`
    case "ReadyForQuery":
      return `RFQ ${m.status}`
    case "RowDescription":
      return `RowDescription ${m.fields.map((f) => `${f.name}:${f.typeOid}:${f.format}`).join(",")}`
    case "ParameterDescription":
      return `ParameterDescription ${m.typeOids.join(",")}`
    default:
      return m._tag
  }
}

/** Every message up to and including ReadyForQuery, raw. */
export const receiveUntilReady = (c: TestClient): Effect.Effect<ReadonlyArray<BackendMessage>, unknown> =>
  Effect.gen(function* () {
    const out: Array<BackendMessage> = []
    for (;;) {
      const m = yield* c.receive
      out.push(m)
      if (m._tag === "ReadyForQuery") return out
    }
  })

/** Sends the messages and summarizes the answers up to ReadyForQuery (the messages should end with Sync). */
export const exchange = (c: TestClient, ...messages: ReadonlyArray<FrontendMessage>) =>
  Effect.zipRight(c.sendMessage(...messages), Effect.map(receiveUntilReady(c), (ms) => ms.map(summarize)))

/** Sends the messages and summarizes exactly `n` answers (for exchanges without Sync, after Flush). */
export const receiveN = (c: TestClient, n: number) =>
  Effect.map(Effect.replicateEffect(c.receive, n), (ms) => ms.map(summarize))

const enc = new TextEncoder()
export const text = (s: string): Uint8Array => enc.encode(s)

export const parse = (sql: string, name = "", paramTypes: ReadonlyArray<number> = []): FrontendMessage => ({ _tag: "Parse", name, sql, paramTypes })
export const bind = (
  statement = "",
  params: ReadonlyArray<Uint8Array | null> = [],
  options: { portal?: string; paramFormats?: ReadonlyArray<number>; resultFormats?: ReadonlyArray<number> } = {}
): FrontendMessage => ({
  _tag: "Bind",
  portal: options.portal ?? "",
  statement,
  paramFormats: options.paramFormats ?? [],
  params,
  resultFormats: options.resultFormats ?? []
})
export const execute = (portal = "", maxRows = 0): FrontendMessage => ({ _tag: "Execute", portal, maxRows })
export const describeStatement = (name = ""): FrontendMessage => ({ _tag: "Describe", kind: "S", name })
export const describePortal = (name = ""): FrontendMessage => ({ _tag: "Describe", kind: "P", name })
export const closeStatement = (name: string): FrontendMessage => ({ _tag: "Close", kind: "S", name })
export const closePortal = (name: string): FrontendMessage => ({ _tag: "Close", kind: "P", name })
export const sync: FrontendMessage = { _tag: "Sync" }
export const flush: FrontendMessage = { _tag: "Flush" }
