/**
 * The main of a program that runs one server: builds `layer`, prints
 * `listening on host:port` once the server accepts connections, and runs until
 * SIGINT/SIGTERM, when `NodeRuntime.runMain` interrupts it: the layer's scope
 * closes and the server drains. A layer that fails prints
 * `server failed: <message>` to stderr and sets exit code 1.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, type Layer } from "effect"
import { Server } from "../Server.js"

const announce = Effect.gen(function* () {
  const server = yield* Server
  yield* Console.log(`listening on ${server.address.hostname}:${server.address.port}`)
  return yield* Effect.never
})

export const runServerMain = <E extends { readonly message: string }>(layer: Layer.Layer<Server, E>): void =>
  NodeRuntime.runMain(
    Effect.provide(announce, layer).pipe(
      Effect.catchAll((error) =>
        Effect.zipRight(Console.error(`server failed: ${error.message}`), Effect.sync(() => (process.exitCode = 1)))
      )
    )
  )
