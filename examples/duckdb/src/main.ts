/**
 * The DuckDB example server:
 *   node examples/duckdb/dist/main.js [--host 127.0.0.1] [--port 5432] [--db :memory:|FILE]
 *     [--load table=file.csv ...]
 * Then, from any PostgreSQL client: `LOAD 'people.csv' AS people; SELECT ...`.
 * Prints `listening on host:port`; SIGINT/SIGTERM stop it gracefully.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Server } from "@pgwire-ts/server"
import { Console, Effect } from "effect"
import { parseArgs } from "node:util"
import { layer } from "./DuckDbServer.js"
import type { LoadStatement } from "./loadStatement.js"

const usage = "usage: main.js [--host H] [--port P] [--db :memory:|FILE] [--load TABLE=FILE.csv ...]"

const fail = (message: string): never => {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

const args = (() => {
  try {
    return parseArgs({
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5432" },
        db: { type: "string", default: ":memory:" },
        load: { type: "string", multiple: true, default: [] },
        help: { type: "boolean", default: false }
      },
      strict: true
    }).values
  } catch (e) {
    return fail((e as Error).message)
  }
})()

if (args.help) {
  console.log(usage)
  process.exit(0)
}
const port = Number(args.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${args.port}`)
const preload = args.load.map((spec): LoadStatement => {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(spec)
  return m === null ? fail(`invalid --load ${spec} (expected TABLE=FILE.csv)`) : { table: m[1]!, path: m[2]! }
})

const announce = Effect.gen(function* () {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
})

const main = Effect.provide(announce, layer({ host: args.host, port, database: { path: args.db, preload } })).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(Console.error(`server failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
  )
)

NodeRuntime.runMain(main)
