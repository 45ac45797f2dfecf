/**
 * The SQLite example server:
 *   node examples/sqlite/dist/main.js [--host 127.0.0.1] [--port 5432] [--db :memory:|file]
 *     [--user u --password p] [--tls-cert cert.pem --tls-key key.pem] [--max-lanes 4] [--no-replication]
 * Prints `listening on host:port` once it accepts connections; SIGINT/SIGTERM
 * stop it gracefully (running queries finish, then the database closes).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Server } from "@pgwire-ts/server"
import { Console, Effect } from "effect"
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { layer } from "./SqliteServer.js"

const usage = "usage: main.js [--host H] [--port P] [--db :memory:|FILE] [--user U --password P] [--tls-cert FILE --tls-key FILE] [--max-lanes N] [--no-replication]"

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5432" },
        db: { type: "string", default: ":memory:" },
        user: { type: "string" },
        password: { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "max-lanes": { type: "string" },
        "no-replication": { type: "boolean", default: false },
        help: { type: "boolean", default: false }
      },
      strict: true
    }).values
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`)
    process.exit(2)
  }
})()

const fail = (message: string): never => {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

if (parsed.help) {
  console.log(usage)
  process.exit(0)
}
const port = Number(parsed.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${parsed.port}`)
if ((parsed.user === undefined) !== (parsed.password === undefined)) fail("--user and --password go together")
if ((parsed["tls-cert"] === undefined) !== (parsed["tls-key"] === undefined)) fail("--tls-cert and --tls-key go together")
const maxLanes = parsed["max-lanes"] === undefined ? undefined : Number(parsed["max-lanes"])
if (maxLanes !== undefined && !(Number.isInteger(maxLanes) && maxLanes > 0)) fail(`invalid --max-lanes ${parsed["max-lanes"]}`)

const tls = parsed["tls-cert"] === undefined
  ? undefined
  : { cert: readFileSync(parsed["tls-cert"]), key: readFileSync(parsed["tls-key"]!) }

const announce = Effect.gen(function*() {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
})

const main = Effect.provide(
  announce,
  layer({
    host: parsed.host!,
    port,
    database: parsed.db!,
    ...(parsed.user === undefined ? {} : { user: parsed.user, password: parsed.password! }),
    ...(tls === undefined ? {} : { tls }),
    ...(maxLanes === undefined ? {} : { maxLanes }),
    replication: !parsed["no-replication"]
  })
).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(
      Console.error(`server failed: ${error.message}`),
      Effect.sync(() => (process.exitCode = 1))
    )
  )
)

// runMain interrupts `main` on SIGINT/SIGTERM: the layer's scope closes, the server drains, the database closes.
NodeRuntime.runMain(main)
