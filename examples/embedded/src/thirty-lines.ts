// A key-value store that speaks the PostgreSQL protocol: `SET k = v`, `GET k`, `KEYS`.
// Run: node examples/embedded/dist/thirty-lines.js, then psql -h 127.0.0.1 -c "SET greeting = hello"
import { NodeRuntime } from "@effect/platform-node"
import { Oid } from "@pgwire-ts/protocol"
import { PgError, QueryResult, ResultSet, Server, SimpleQueryHandler } from "@pgwire-ts/server"
import { Effect, Layer } from "effect"
import { pathToFileURL } from "node:url"

const makeHandler = (store = new Map<string, string>()) =>
  SimpleQueryHandler.perStatement((statement) => {
    const set = /^SET\s+(\w+)\s*=\s*(.*)$/is.exec(statement)
    if (set !== null) {
      store.set(set[1]!, set[2]!)
      return Effect.succeed(QueryResult.command("SET"))
    }
    const get = /^GET\s+(\w+)$/i.exec(statement)
    if (get !== null) {
      return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("value", Oid.text)], rows: [[store.get(get[1]!)]] }))
    }
    if (/^KEYS$/i.test(statement)) {
      return Effect.succeed(ResultSet.make({ fields: [ResultSet.field("key", Oid.text)], rows: [...store.keys()].map((k) => [k]) }))
    }
    return Effect.fail(PgError.make("42601", `unknown command: ${statement}`, { hint: "try SET k = v, GET k or KEYS" }))
  })

export const KeyValueServer = (port: number) => Server.layer({ port }).pipe(Layer.provide(makeHandler()))

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  Layer.launch(KeyValueServer(Number(process.env["PORT"] ?? 5432))).pipe(NodeRuntime.runMain)
}
