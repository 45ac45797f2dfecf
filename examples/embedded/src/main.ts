/**
 * The todo application with both doors open:
 *   node examples/embedded/dist/main.js [--http-port 8080] [--pg-port 5432]
 *   curl -X POST localhost:8080/todos -d '{"title":"buy milk"}'
 *   psql -h 127.0.0.1 -p 5432 -c "SELECT * FROM todos"
 * SIGINT/SIGTERM close the application's scope: both listeners stop.
 */
import { HttpServer } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { parseCommandLine, Server } from "@pgwire-ts/server"
import { Console, Effect, Layer } from "effect"
import { AppLive } from "./App.js"

const usage = "usage: main.js [--host H] [--http-port P] [--pg-port P]"

const { flags, port } = parseCommandLine(usage, {
  host: { type: "string", default: "127.0.0.1" },
  "http-port": { type: "string", default: "8080" },
  "pg-port": { type: "string", default: "5432" }
})

const announce = Effect.gen(function* () {
  const http = yield* HttpServer.HttpServer
  const pg = yield* Server
  const httpPort = http.address._tag === "TcpAddress" ? http.address.port : http.address.path
  yield* Console.log(`http listening on ${flags.host}:${httpPort}`)
  yield* Console.log(`postgres listening on ${pg.address.hostname}:${pg.address.port}`)
})

const main = Layer.launch(
  Layer.effectDiscard(announce).pipe(
    Layer.provideMerge(AppLive({ host: flags.host, httpPort: port("http-port"), pgPort: port("pg-port"), todos: ["try the SQL door"] }))
  )
).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(Console.error(`app failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
  )
)

NodeRuntime.runMain(main)
