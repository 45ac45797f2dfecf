import { Oid } from "@pgwire-ts/protocol"
import { createRequire } from "node:module"
import type { Readable, Writable } from "node:stream"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { QueryResult } from "../src/results/QueryResult.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Server } from "../src/Server.js"

// pg-copy-streams has no type declarations.
const copyStreams = createRequire(import.meta.url)("pg-copy-streams") as {
  from: (sql: string) => Writable & pg.Submittable
  to: (sql: string) => Readable & pg.Submittable
}

/** What the handlers released when their client vanished. */
const released = new Set<string>()

const Handler = SimpleQueryHandler.perStatement((sql) => {
  switch (sql) {
    case "copy in":
      return Effect.succeed(
        QueryResult.copyIn({
          consume: (data) =>
            Stream.runCount(data).pipe(Effect.onExit(() => Effect.sync(() => released.add("copy in"))))
        })
      )
    case "copy out":
      return Effect.succeed(
        QueryResult.copyTo({
          copy: { format: "text" },
          columns: { oids: [Oid.int4, Oid.text] },
          rows: Stream.range(1, 5_000_000).pipe(
            Stream.map((i) => [i, "some text to make the rows wider than a few bytes"]),
            Stream.ensuring(Effect.sync(() => released.add("copy out")))
          )
        })
      )
    case "rows":
      return Effect.succeed(
        ResultSet.make({
          fields: [ResultSet.field("n", Oid.int4)],
          rows: Stream.range(1, 5_000_000).pipe(
            Stream.map((i) => [i]),
            Stream.ensuring(Effect.sync(() => released.add("rows")))
          )
        })
      )
    default:
      return Effect.succeed(QueryResult.command("OK"))
  }
})

let runtime: ManagedRuntime.ManagedRuntime<Server, unknown>
let port = 0
const connections = () => runtime.runPromise(Effect.flatMap(Server, (s) => s.connections))

beforeAll(async () => {
  runtime = ManagedRuntime.make(Server.layer({ host: "127.0.0.1", port: 0 }).pipe(Layer.provide(Handler)))
  port = (await runtime.runPromise(Server)).address.port
})
afterAll(() => runtime.dispose())

const connect = async () => {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "test", database: "test" })
  client.on("error", () => {})
  await client.connect()
  return client
}

/** Ends the TCP connection abruptly, as a crashed client would. */
const vanish = (client: pg.Client) => (client as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy()

const waitFor = async (cond: () => Promise<boolean>) => {
  for (let i = 0; i < 400 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10))
  expect(await cond()).toBe(true)
}

describe("a client that disconnects mid-operation releases everything", () => {
  it("mid copy-in: the handler's consumer ends and the connection closes", async () => {
    const client = await connect()
    const sink = client.query(copyStreams.from("copy in"))
    sink.on("error", () => {})
    sink.write("1\tone\n2\ttwo\n")
    await new Promise((r) => setTimeout(r, 50))
    expect(await connections()).toBe(1)
    vanish(client)
    await waitFor(async () => (await connections()) === 0 && released.has("copy in"))
  })

  it("mid copy-out: the server, stalled on a client that stopped reading, lets go", async () => {
    const client = await connect()
    const source = client.query(copyStreams.to("copy out"))
    source.on("error", () => {})
    await new Promise<void>((resolve) => source.once("data", () => resolve()))
    source.pause()
    await new Promise((r) => setTimeout(r, 50))
    vanish(client)
    await waitFor(async () => (await connections()) === 0 && released.has("copy out"))
  })

  it("mid result: the row stream's finalizer runs and the connection closes", async () => {
    const client = await connect()
    const pending = client.query("rows").catch(() => undefined)
    await new Promise((r) => setTimeout(r, 100))
    vanish(client)
    await pending
    await waitFor(async () => (await connections()) === 0 && released.has("rows"))
  })
})
