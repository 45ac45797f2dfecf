/**
 * Prints the changes of PostgreSQL tables as JSON lines:
 *   node examples/replication-client/dist/main.js --connection postgresql://user:pw@127.0.0.1/db \
 *     --slot my_slot --publication my_pub [--create-slot] [--temporary] [--proto 1|2|3|4] [--streaming]
 *     [--start-lsn X/X] [--max-transactions N] [--status-interval SECONDS]
 * Each committed transaction's row changes are printed (one line each), then
 * its end position is acknowledged: restarted on the same slot, it goes on
 * after the last transaction printed. SIGINT/SIGTERM stop it cleanly.
 */
import { LogicalReplication } from "@pgwire-ts/client"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Stream } from "effect"
import { parseArgs } from "node:util"
import { ChangePrinter } from "./changeLines.js"

const usage =
  "usage: main.js --connection URL --slot NAME --publication NAME[,NAME] [--create-slot] [--temporary] [--proto 1|2|3|4] [--streaming] [--start-lsn X/X] [--max-transactions N] [--status-interval SECONDS]"

const fail = (message: string): never => {
  console.error(`${message}\n${usage}`)
  process.exit(2)
}

const args = (() => {
  try {
    return parseArgs({
      options: {
        connection: { type: "string" },
        slot: { type: "string" },
        publication: { type: "string" },
        "create-slot": { type: "boolean", default: false },
        temporary: { type: "boolean", default: false },
        proto: { type: "string", default: "1" },
        streaming: { type: "boolean", default: false },
        "start-lsn": { type: "string" },
        "max-transactions": { type: "string" },
        "status-interval": { type: "string", default: "10" },
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
const connection = args.connection ?? process.env["DATABASE_URL"] ?? fail("--connection (or DATABASE_URL) is required")
const slot = args.slot ?? fail("--slot is required")
const publication = (args.publication ?? fail("--publication is required")).split(",").map((p) => p.trim())
const proto = Number(args.proto)
if (proto !== 1 && proto !== 2 && proto !== 3 && proto !== 4) fail(`invalid --proto ${args.proto}`)
const max = args["max-transactions"] === undefined ? undefined : Number(args["max-transactions"])
if (max !== undefined && !(Number.isInteger(max) && max > 0)) fail(`invalid --max-transactions ${args["max-transactions"]}`)
const statusSeconds = Number(args["status-interval"])
if (!(statusSeconds > 0)) fail(`invalid --status-interval ${args["status-interval"]}`)

const program = Effect.scoped(
  Effect.gen(function* () {
    const replication = yield* LogicalReplication.stream({
      connection,
      slot,
      publication,
      protoVersion: proto as 1 | 2 | 3 | 4,
      createSlot: args["create-slot"],
      temporary: args.temporary,
      streaming: args.streaming,
      startLsn: args["start-lsn"],
      statusInterval: `${statusSeconds} seconds`
    })
    const printer = new ChangePrinter()
    let transactions = 0
    yield* replication.messages.pipe(
      Stream.mapEffect((m) =>
        Effect.gen(function* () {
          const done = printer.push(m)
          if (done === undefined) return
          for (const line of done.lines) yield* Console.log(line)
          // Printed: the server may forget it.
          yield* replication.ack(done.transaction.endLsn)
          transactions++
        })
      ),
      Stream.takeUntil(() => max !== undefined && transactions >= max),
      Stream.runDrain
    )
  })
).pipe(
  Effect.catchAll((error) =>
    Effect.zipRight(
      Console.error(`replication failed: ${error.message}${"code" in error && error.code !== undefined ? ` (${String(error.code)})` : ""}`),
      Effect.sync(() => (process.exitCode = 1))
    )
  )
)

NodeRuntime.runMain(program)
