/**
 * The todo application with both doors open:
 *   node examples/embedded/dist/main.js [--http-port 8080] [--pg-port 5432]
 *   curl -X POST localhost:8080/todos -d '{"title":"buy milk"}'
 *   psql -h 127.0.0.1 -p 5432 -c "SELECT * FROM todos"
 * SIGINT/SIGTERM close the application's scope: both listeners stop.
 */
import { HttpServer } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { Server } from "@pgwire-ts/server"
import { Console, Effect, Layer } from "effect"
import { parseArgs } from "node:util"
import { AppLive } from "./App.js"

const usage = "usage: main.js [--host H] [--http-port P] [--pg-port P]"

const fail = (message: string): never => {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

const args = (() => {
  try {
    return parseArgs({
      options: {
        host: { type: "string", default: "127.0.0.1" },
        "http-port": { type: "string", default: "8080" },
        "pg-port": { type: "string", default: "5432" },
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
const port = (flag: "http-port" | "pg-port") => {
  const n = Number(args[flag])
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : fail(`invalid --${flag} ${args[flag]}`)
}

const announce = Effect.gen(function* () {
  const http = yield* HttpServer.HttpServer
  const pg = yield* Server
  const httpPort = http.address._tag === "TcpAddress" ? http.address.port : http.address.path
  yield* Console.log(`http listening on ${args.host}:${httpPort}`)
  yield* Console.log(`postgres listening on ${pg.address.hostname}:${pg.address.port}`)
})

const main = Layer.launch(
  Layer.effectDiscard(announce).pipe(
    Layer.provideMerge(AppLive({ host: args.host, httpPort: port("http-port"), pgPort: port("pg-port"), todos: ["try the SQL door"] }))
  )
).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(Console.error(`app failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
  )
)

NodeRuntime.runMain(main)
