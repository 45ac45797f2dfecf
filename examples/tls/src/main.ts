/**
 * A server that only speaks TLS:
 *   node examples/tls/dist/main.js --tls-cert server.crt --tls-key server.key [--host 127.0.0.1] [--port 5432]
 * Connect with `psql "host=localhost port=5432 sslmode=verify-full sslrootcert=ca.crt"`;
 * a plaintext connection is refused (FATAL 28000). Prints `listening on host:port`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Server } from "@pgwire-ts/server"
import { Console, Effect } from "effect"
import { parseArgs } from "node:util"
import { layer } from "./TlsServer.js"

const usage = "usage: main.js --tls-cert FILE --tls-key FILE [--tls-ca FILE] [--host H] [--port P]"

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
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-ca": { type: "string" },
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
const certFile = args["tls-cert"] ?? fail("--tls-cert is required")
const keyFile = args["tls-key"] ?? fail("--tls-key is required")

const announce = Effect.gen(function* () {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
})

const main = Effect.provide(
  announce,
  layer({ host: args.host, port, tls: { certFile, keyFile, caFile: args["tls-ca"] } })
).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(Console.error(`server failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
  )
)

NodeRuntime.runMain(main)
