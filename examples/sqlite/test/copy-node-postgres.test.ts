import { createRequire } from "node:module"
import { Readable, type Writable } from "node:stream"
import { pipeline } from "node:stream/promises"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

// pg-copy-streams has no type declarations.
const copyStreams = createRequire(import.meta.url)("pg-copy-streams") as {
  from: (sql: string) => Writable & pg.Submittable
  to: (sql: string) => Readable & pg.Submittable
}

let server: RunningServer
let client: pg.Client

beforeAll(async () => {
  server = await startServer()
  client = new pg.Client({ host: "127.0.0.1", port: server.port, user: "tester", database: "tester" })
  await client.connect()
  await client.query("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price NUMERIC, ok BOOLEAN, data BLOB)")
})

afterAll(async () => {
  await client?.end()
  await server?.stop()
})

const N = 100_000
const line = (i: number) => `${i}\titem ${i}\t${(i % 1000) / 4}\t${i % 2 === 0 ? "t" : "f"}\t${i % 7 === 0 ? "\\N" : `\\\\x${(i & 0xff).toString(16).padStart(2, "0")}`}\n`

/** Data in chunks of many lines, as a client sending a file would. */
const lines = (from: number, to: number, perChunk = 1000): Readable =>
  Readable.from(
    (function*() {
      for (let i = from; i <= to; i += perChunk) {
        let chunk = ""
        for (let k = i; k < Math.min(i + perChunk, to + 1); k++) chunk += line(k)
        yield chunk
      }
    })()
  )

const copyIn = async (sql: string, source: Readable) => {
  const sink = client.query(copyStreams.from(sql))
  await pipeline(source, sink)
  return sink as unknown as { rowCount: number }
}

const copyOut = async (sql: string): Promise<string> => {
  const parts: Array<Buffer> = []
  const source = client.query(copyStreams.to(sql))
  for await (const chunk of source) parts.push(chunk as Buffer)
  return Buffer.concat(parts).toString("utf8")
}

const count = async (table = "items") => Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)

describe("COPY through node-postgres and pg-copy-streams", () => {
  it(`copies ${N.toLocaleString()} rows in and out (text) and measures the throughput`, async () => {
    let t = performance.now()
    const sink = await copyIn("COPY items FROM STDIN", lines(1, N))
    const inMs = performance.now() - t
    expect(sink.rowCount).toBe(N)
    expect(await count()).toBe(N)
    const spot = (await client.query("SELECT id, name, price, ok, data FROM items WHERE id IN (7, 8) ORDER BY id")).rows
    expect(spot).toEqual([
      { id: "7", name: "item 7", price: "1.75", ok: false, data: null },
      { id: "8", name: "item 8", price: "2", ok: true, data: Buffer.from([8]) }
    ])

    t = performance.now()
    const text = await copyOut("COPY items TO STDOUT")
    const outMs = performance.now() - t
    const out = text.split("\n")
    expect(out.length).toBe(N + 1)
    expect(out[6]).toBe("7\titem 7\t1.75\tf\t\\N")
    expect(out[7]).toBe("8\titem 8\t2\tt\t\\\\x08")
    console.log(
      `COPY ${N} rows: in ${inMs.toFixed(0)} ms (${Math.round(N / (inMs / 1000)).toLocaleString()} rows/s), ` +
        `out ${outMs.toFixed(0)} ms (${Math.round(N / (outMs / 1000)).toLocaleString()} rows/s)`
    )
  })

  it("CSV with a header and a column list, COPY (query) TO STDOUT, and a binary round trip", async () => {
    await client.query("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
    await copyIn(
      "COPY people (id, name, note) FROM STDIN WITH (FORMAT csv, HEADER true)",
      Readable.from(["id,name,note\n1,\"Smith, Ann\",\n2,Bob,\"said \"\"hi\"\"\"\n3,Zoë,\"two\nlines\"\n"])
    )
    expect(await copyOut("COPY people TO STDOUT WITH (FORMAT csv, HEADER)")).toBe(
      "id,name,note\n1,\"Smith, Ann\",\n2,Bob,\"said \"\"hi\"\"\"\n3,Zoë,\"two\nlines\"\n"
    )
    expect(await copyOut("COPY (SELECT name FROM people WHERE id > 1 ORDER BY id) TO STDOUT")).toBe("Bob\nZoë\n")

    const parts: Array<Buffer> = []
    for await (const chunk of client.query(copyStreams.to("COPY people TO STDOUT (FORMAT binary)"))) parts.push(chunk as Buffer)
    await client.query("CREATE TABLE people2 (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
    await copyIn("COPY people2 FROM STDIN (FORMAT binary)", Readable.from([Buffer.concat(parts)]))
    expect((await client.query("SELECT * FROM people2 ORDER BY id")).rows).toEqual(
      (await client.query("SELECT * FROM people ORDER BY id")).rows
    )
  })

  it("a CopyFail mid-stream, a malformed row, a bad value and a failing insert all leave the table unchanged", async () => {
    const before = await count()
    // pg-copy-streams answers a source error with CopyFail.
    const failing = Readable.from(
      (async function*() {
        yield line(N + 1) + line(N + 2)
        throw new Error("the source broke")
      })()
    )
    const error = await copyIn("COPY items FROM STDIN", failing).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(await count()).toBe(before)

    const bad = await copyIn("COPY items FROM STDIN", Readable.from([line(N + 1) + "oops\n"])).catch((e: { code?: string; where?: string }) => e)
    expect(bad).toMatchObject({ code: "22P04", where: "COPY items, line 2" })
    const badValue = await copyIn("COPY items FROM STDIN", Readable.from([line(N + 1), "x\ty\t1\tt\t\\N\n"])).catch((e: { code?: string }) => e)
    expect(badValue).toMatchObject({ code: "22P02" })
    // Unique violation on the last row: the rows before it are rolled back with it.
    const dup = await copyIn("COPY items FROM STDIN", Readable.from([line(N + 1) + line(N + 2) + line(5)])).catch((e: { code?: string }) => e)
    expect(dup).toMatchObject({ code: "23505" })
    expect(await count()).toBe(before)
    // The connection goes on.
    expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: "1" }])
  })

  it("COPY inside a transaction is undone by ROLLBACK; WHERE filters rows; unknown tables and columns are refused", async () => {
    const before = await count()
    await client.query("BEGIN")
    await copyIn("COPY items FROM STDIN", Readable.from([line(N + 10)]))
    expect(await count()).toBe(before + 1)
    await client.query("ROLLBACK")
    expect(await count()).toBe(before)

    const sink = await copyIn("COPY items FROM STDIN WHERE id % 2 = 0", lines(N + 1, N + 10))
    expect(sink.rowCount).toBe(5)
    expect(await count()).toBe(before + 5)

    await expect(copyIn("COPY nowhere FROM STDIN", Readable.from([""]))).rejects.toMatchObject({ code: "42P01" })
    await expect(copyOut("COPY items (id, nope) TO STDOUT")).rejects.toMatchObject({ code: "42703" })
    await expect(copyOut("COPY items TO '/tmp/items.txt'")).rejects.toMatchObject({ code: "0A000" })
  })
})
