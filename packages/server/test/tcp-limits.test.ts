import { encodeToBytes, MessageFramer, Oid } from "@pgwire-ts/protocol"
import { Chunk, Effect, Layer, ManagedRuntime, Stream } from "effect"
import * as Net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Server } from "../src/Server.js"

const ROWS = 1_000_000
const TEXT = "x".repeat(80)
let produced = 0

const Handler = SimpleQueryHandler.perStatement((sql) =>
  Effect.succeed(
    ResultSet.make({
      fields: [ResultSet.field("i", Oid.int4), ResultSet.field("t", Oid.text)],
      rows: Stream.range(1, Number(sql.split(" ")[1] ?? ROWS)).pipe(
        Stream.mapChunks((c) => {
          produced += c.length
          return Chunk.map(c, (i) => [i, TEXT] as const)
        })
      )
    })
  )
)

const runtime = ManagedRuntime.make(
  Server.layer({ port: 0, startupTimeout: "300 millis" }).pipe(Layer.provide(Handler))
)
let port = 0
beforeAll(async () => {
  port = (await runtime.runPromise(Server)).address.port
})
afterAll(() => runtime.dispose())

const connect = () =>
  new Promise<Net.Socket>((resolve, reject) => {
    const s = Net.connect(port, "127.0.0.1", () => resolve(s))
    s.once("error", reject)
  })

describe("limits over TCP", () => {
  it("a client that stops reading holds the server back (kernel buffers + one outbox, not the result)", async () => {
    const s = await connect()
    s.pause()
    produced = 0
    s.write(
      encodeToBytes(
        { _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "u" } },
        { _tag: "Query", sql: `series ${ROWS}` }
      )
    )
    // Give the server every chance to run ahead while nobody reads.
    let last = -1
    while (produced !== last) {
      last = produced
      await new Promise((r) => setTimeout(r, 100))
    }
    const stalledAt = produced
    const rowBytes = 7 + 4 + 2 + 4 + TEXT.length // DataRow header, count, two lengths, "n" digits (<= 7) and text
    console.log(
      `backpressure (TCP): server stalled at ${stalledAt} of ${ROWS} rows (~${((stalledAt * rowBytes) / 2 ** 20).toFixed(1)} MiB in flight; the whole result is ~${((ROWS * rowBytes) / 2 ** 20).toFixed(0)} MiB)`
    )
    expect(stalledAt).toBeLessThan(ROWS / 4)
    // Now read everything: the stream finishes.
    const counted = await readAnswer(s, 2)
    expect(produced).toBe(ROWS)
    expect(counted.rows).toBe(ROWS)
    s.destroy()
  }, 60_000)

  it("a connection that sends nothing is closed after the startup timeout", async () => {
    const s = await connect()
    const received: Array<Buffer> = []
    s.on("data", (d) => received.push(d))
    await new Promise<void>((resolve) => s.once("close", () => resolve()))
    expect(Buffer.concat(received).byteLength).toBe(0)
  })

  it("throughput: a raw client reads 1,000,000 rows", async () => {
    const s = await connect()
    const start = process.hrtime.bigint()
    s.write(
      encodeToBytes(
        { _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "u" } },
        { _tag: "Query", sql: `series ${ROWS}` }
      )
    )
    const counted = await readAnswer(s, 2)
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    expect(counted.rows).toBe(ROWS)
    console.log(
      `throughput (TCP, client framing in the same process): ${ROWS} rows in ${ms.toFixed(0)} ms = ${Math.round(ROWS / (ms / 1000))} rows/s, ${((counted.bytes / 2 ** 20) / (ms / 1000)).toFixed(0)} MiB/s`
    )
    s.destroy()
  }, 60_000)
})

/** Reads and frames backend messages until the `readyCount`-th ReadyForQuery. */
const readAnswer = (s: Net.Socket, readyCount: number) =>
  new Promise<{ rows: number; bytes: number }>((resolve) => {
    const framer = new MessageFramer()
    let rows = 0
    let bytes = 0
    let ready = 0
    s.on("data", (d: Buffer) => {
      bytes += d.byteLength
      framer.push(d)
      while (framer.next()) {
        if (framer.type === 0x44) rows++
        else if (framer.type === 0x5a && ++ready === readyCount) resolve({ rows, bytes })
      }
    })
    s.resume()
  })
