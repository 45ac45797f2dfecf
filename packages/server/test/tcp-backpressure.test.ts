import { Oid, Writer } from "@pgwire-ts/protocol"
import { Chunk, Context, Effect, Exit, Layer, Scope, Stream } from "effect"
import * as Net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Server } from "../src/Server.js"

/**
 * Over TCP the outbox writes straight to the Node socket and only waits when
 * the socket could not take the bytes at once (transport/DirectWrite.ts).
 * A client that stops reading must still stall the producer, for Iterable
 * rows (encoded in a plain loop) and Stream rows alike, and get every row
 * once it reads again.
 */

const ROWS = 1_000_000
let produced = 0

const fields = [ResultSet.field("i", Oid.int4), ResultSet.field("t", Oid.text)]
const Handler = SimpleQueryHandler.perStatement((statement) => {
  produced = 0
  if (statement === "iterable") {
    const rows: Iterable<ReadonlyArray<unknown>> = {
      *[Symbol.iterator]() {
        for (let i = 1; i <= ROWS; i++) {
          produced++
          yield [i, "some row text"]
        }
      }
    }
    return Effect.succeed(ResultSet.make({ fields, rows }))
  }
  return Effect.succeed(
    ResultSet.make({
      fields,
      rows: Stream.range(1, ROWS).pipe(
        Stream.rechunk(256),
        Stream.mapChunks((c) => {
          produced += c.length
          return Chunk.map(c, (i) => [i, "some row text"] as const)
        })
      )
    })
  )
})

let scope: Scope.CloseableScope
let port: number

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(Server.layer({ port: 0 }).pipe(Layer.provide(Handler)), scope))
  port = Context.get(context, Server).address.port
})
afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const packet = (f: (w: Writer) => void): Buffer => {
  const w = new Writer()
  f(w)
  return w.take()
}
const startup = packet((w) => {
  const at = w.beginMessage(0)
  w.int32(196608).cstring("user").cstring("u").int8(0)
  w.endMessage(at)
})
const query = (sql: string) =>
  packet((w) => {
    const at = w.beginMessage(0x51)
    w.cstring(sql)
    w.endMessage(at)
  })

/** Counts DataRows and ReadyForQuerys in a backend byte stream. */
class Counter {
  private tail: Buffer = Buffer.alloc(0)
  dataRows = 0
  ready = 0
  push(chunk: Buffer): void {
    const b = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk
    let p = 0
    while (p + 5 <= b.length) {
      const len = b.readInt32BE(p + 1)
      if (p + 1 + len > b.length) break
      if (b[p] === 0x44) this.dataRows++
      if (b[p] === 0x5a) this.ready++
      p += 1 + len
    }
    this.tail = b.subarray(p)
  }
}

const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10))
}

/** Waits until `produced` stops growing (the server is stalled), then returns it. */
const stalledAt = async (): Promise<number> => {
  let last = -1
  while (produced !== last) {
    last = produced
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return last
}

describe("TCP backpressure with direct socket writes", () => {
  for (const kind of ["iterable", "stream"]) {
    it(`a client that stops reading stalls ${kind} rows; reading again gets all of them`, async () => {
      const socket = Net.connect(port, "127.0.0.1")
      const counter = new Counter()
      socket.on("data", (d: Buffer) => counter.push(d))
      try {
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()))
        socket.write(startup)
        await until(() => counter.ready === 1)
        socket.pause()
        socket.write(query(kind))
        await until(() => produced > 0)
        const stalled = await stalledAt()
        // Kernel socket buffers plus one outbox: far from the whole result.
        expect(stalled).toBeLessThan(ROWS / 2)
        socket.resume()
        await until(() => counter.ready === 2)
        expect(counter.dataRows).toBe(ROWS)
        expect(produced).toBe(ROWS)
      } finally {
        socket.destroy()
      }
    }, 60_000)
  }
})
