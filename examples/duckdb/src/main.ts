/**
 * The DuckDB example server:
 *   node examples/duckdb/dist/main.js [--host 127.0.0.1] [--port 5432] [--db :memory:|FILE]
 *     [--load table=file.csv ...]
 * Then, from any PostgreSQL client: `LOAD 'people.csv' AS people; SELECT ...`.
 * Prints `listening on host:port`; SIGINT/SIGTERM stop it gracefully.
 */
import { parseCommandLine, runServerMain } from "@pgwire-ts/server"
import { layer } from "./DuckDbServer.js"
import type { LoadStatement } from "./loadStatement.js"

const usage = "usage: main.js [--host H] [--port P] [--db :memory:|FILE] [--load TABLE=FILE.csv ...]"

const { flags, fail, port } = parseCommandLine(usage, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "5432" },
  db: { type: "string", default: ":memory:" },
  load: { type: "string", multiple: true, default: [] }
})
const listenPort = port("port")

const preload = flags.load.map((spec): LoadStatement => {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(spec)
  return m === null ? fail(`invalid --load ${spec} (expected TABLE=FILE.csv)`) : { table: m[1]!, path: m[2]! }
})

runServerMain(layer({ host: flags.host, port: listenPort, database: { path: flags.db, preload } }))
