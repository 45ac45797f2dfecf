/**
 * A server with SCRAM-SHA-256(-PLUS) logins:
 *   node examples/scram/dist/main.js --users users.txt [--tls-cert server.crt --tls-key server.key]
 *     [--host 127.0.0.1] [--port 5432]
 * Add users with `node examples/scram/dist/add-user.js --file users.txt --user alice`.
 * With TLS, clients may insist on channel binding (`channel_binding=require`).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Server } from "@pgwire-ts/server"
import { Console, Effect } from "effect"
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { layer } from "./ScramServer.js"

const usage = "usage: main.js --users FILE [--tls-cert FILE --tls-key FILE] [--host H] [--port P]"

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
        users: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
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
const usersFile = args.users ?? fail("--users is required")
if ((args["tls-cert"] === undefined) !== (args["tls-key"] === undefined)) fail("--tls-cert and --tls-key go together")

const readPem = (what: string, path: string): Buffer => {
  try {
    return readFileSync(path)
  } catch (e) {
    return fail(`cannot read the ${what} ${path}: ${(e as Error).message}`)
  }
}
const tls = args["tls-cert"] === undefined
  ? undefined
  : { cert: readPem("certificate", args["tls-cert"]), key: readPem("private key", args["tls-key"]!) }

const announce = Effect.gen(function* () {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
})

const main = Effect.provide(announce, layer({ host: args.host, port, usersFile, tls })).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(Console.error(`server failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
  )
)

NodeRuntime.runMain(main)
