/**
 * The fixed-result example server:
 *   node examples/fixed/dist/main.js [--host 127.0.0.1] [--port 5432] [--series N] [--workers N]
 * Every statement gets the fixed two-column result; `SELECT n` sends n rows
 * of four columns (with --series N, every statement does). Prints
 * `listening on host:port`; SIGINT/SIGTERM stop it gracefully. With
 * --workers N, N processes share the port (Cluster): the primary prints the
 * line once all listen, and cancel requests reach the process running the query.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cluster, Server } from "@pgwire-ts/server"
import { Console, Effect } from "effect"
import { parseArgs } from "node:util"
import { layer } from "./FixedServer.js"

const usage = "usage: main.js [--host H] [--port P] [--series N] [--workers N]"

const fail = (message: string): never => {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

const values = (() => {
  try {
    return parseArgs({
      options: {
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", default: "5432" },
        series: { type: "string" },
        workers: { type: "string" },
        help: { type: "boolean", default: false }
      }
    }).values
  } catch (e) {
    return fail((e as Error).message)
  }
})()

if (values.help) {
  console.log(usage)
  process.exit(0)
}
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${values.port}`)
const series = values.series === undefined ? undefined : Number(values.series)
if (series !== undefined && !(Number.isSafeInteger(series) && series >= 0)) fail(`invalid --series ${values.series}`)

const workers = values.workers === undefined ? undefined : Number(values.workers)
if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1 && workers <= 255)) fail(`invalid --workers ${values.workers}`)
const serverLayer = layer({ host: values.host!, port, ...(series === undefined ? {} : { series }) })

const single = Effect.gen(function*() {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
}).pipe(
  Effect.provide(serverLayer)
)

const clustered = (n: number) =>
  Cluster.isPrimary()
    ? Effect.scoped(
      Effect.gen(function*() {
        const primary = yield* Cluster.primary({ workers: n })
        yield* Console.log(`listening on ${primary.address.hostname}:${primary.address.port} (${n} workers)`)
        return yield* Effect.never
      })
    )
    : Cluster.worker(serverLayer)

const main = (workers === undefined ? single : clustered(workers)).pipe(
  Effect.catchAll((error) => Effect.zipRight(Console.error(`server failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1))))
)

NodeRuntime.runMain(main)
