/**
 * A PostgreSQL front door to an in-memory GlueSQL database:
 *   node examples/gluesql/dist/main.js [--host 127.0.0.1] [--port 5432] [--setup "CREATE TABLE ...; INSERT ..."]
 * Prints `listening on host:port`; SIGINT/SIGTERM stop it gracefully.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Server, splitStatements } from "@pgwire-ts/server"
import { Console, Effect } from "effect"
import { parseArgs } from "node:util"
import { layer } from "./GlueServer.js"

const usage = 'usage: main.js [--host H] [--port P] [--setup "SQL; SQL"]'

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
        setup: { type: "string", default: "" },
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

const announce = Effect.gen(function* () {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
})

const main = Effect.provide(announce, layer({ host: args.host, port, setup: splitStatements(args.setup) })).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(Console.error(`server failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
  )
)

NodeRuntime.runMain(main)
