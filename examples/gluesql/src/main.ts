/**
 * A PostgreSQL front door to an in-memory GlueSQL database:
 *   node examples/gluesql/dist/main.js [--host 127.0.0.1] [--port 5432] [--setup "CREATE TABLE ...; INSERT ..."]
 * Prints `listening on host:port`; SIGINT/SIGTERM stop it gracefully.
 */
import { parseCommandLine, runServerMain, splitStatements } from "@pgwire-ts/server"
import { layer } from "./GlueServer.js"

const usage = 'usage: main.js [--host H] [--port P] [--setup "SQL; SQL"]'

const { flags, port } = parseCommandLine(usage, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "5432" },
  setup: { type: "string", default: "" }
})

runServerMain(layer({ host: flags.host, port: port("port"), setup: splitStatements(flags.setup) }))
