import { codecForOid } from "@pgwire-ts/protocol"
import pg from "pg"
import Cursor from "pg-cursor"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer
let client: pg.Client

beforeAll(async () => {
  server = await startServer({})
  client = new pg.Client({ host: "127.0.0.1", port: server.port, user: "tester", database: "app" })
  await client.connect()
  await client.query(
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, qty INT, active BOOLEAN, raw BLOB, added TIMESTAMP, meta JSON)"
  )
})

afterAll(async () => {
  await client?.end()
  await server?.stop()
})

// node-postgres sends every query that has values through Parse/Bind/Describe/Execute/Sync.
describe("node-postgres extended query against the SQLite server", () => {
  it("binds parameters of many types and reads back typed rows", async () => {
    const added = new Date("2024-03-01T10:20:30.456Z")
    const insert = await client.query(
      "INSERT INTO items (id, name, price, qty, active, raw, added, meta) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      [1, "O'Hara; DROP TABLE items", 9.5, 3, true, Buffer.from([0xca, 0xfe]), added, { tags: ["a"] }]
    )
    expect([insert.command, insert.rowCount]).toEqual(["INSERT", 1])
    await client.query("INSERT INTO items (id, name, price, qty, active) VALUES ($1, $2, $3, $4, $5)", [2, "gadget", null, null, false])
    const r = await client.query("SELECT id, name, price, qty, active, raw, added, meta FROM items WHERE id = $1 OR name = $2 ORDER BY id", [1, "gadget"])
    expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
      ["id", 20], ["name", 25], ["price", 701], ["qty", 23], ["active", 16], ["raw", 17], ["added", 1114], ["meta", 114]
    ])
    expect(r.rows).toEqual([
      { id: "1", name: "O'Hara; DROP TABLE items", price: 9.5, qty: 3, active: true, raw: Buffer.from([0xca, 0xfe]), added: expect.any(Date), meta: { tags: ["a"] } },
      { id: "2", name: "gadget", price: null, qty: null, active: false, raw: null, added: null, meta: null }
    ])
    // a boolean parameter compared with a BOOLEAN column is typed bool (node-postgres sends 'true'), so SQLite sees 1
    expect((await client.query("SELECT count(*) AS n FROM items WHERE active = $1", [true])).rows).toEqual([{ n: "1" }])
    // expression columns are typed from the statement: count → int8, a parameter → its type, arithmetic, text
    const e = await client.query("SELECT count(*) AS n, $1 AS echo, 2 * qty AS twice, lower(name) AS l FROM items WHERE id = $2", ["hi", 1])
    expect(e.fields.map((f) => f.dataTypeID)).toEqual([20, 25, 20, 25])
    expect(e.rows).toEqual([{ n: "1", echo: "hi", twice: "6", l: "o'hara; drop table items" }])
    const update = await client.query("UPDATE items SET qty = qty + $1 WHERE id = $2 RETURNING qty", [2, 1])
    expect([update.command, update.rowCount, update.rows]).toEqual(["UPDATE", 1, [{ qty: 5 }]])
  })

  it("reuses named prepared statements across queries", async () => {
    const byId = { name: "item-by-id", text: "SELECT name FROM items WHERE id = $1" }
    expect((await client.query({ ...byId, values: [1] })).rows).toEqual([{ name: "O'Hara; DROP TABLE items" }])
    // node-postgres sends only Bind/Describe/Execute now: the server must still have the statement
    expect((await client.query({ ...byId, values: [2] })).rows).toEqual([{ name: "gadget" }])
    expect((await client.query({ ...byId, values: [3] })).rows).toEqual([])
    const insert = { name: "add-item", text: "INSERT INTO items (id, name) VALUES ($1, $2)" }
    for (let i = 10; i < 20; i++) await client.query({ ...insert, values: [i, `n${i}`] })
    expect((await client.query("SELECT count(*) AS n FROM items WHERE id >= $1", [10])).rows).toEqual([{ n: "10" }])
  })

  it("returns binary-format results (binary: true): each cell decodes to the text-format value", async () => {
    // node-postgres hands binary cells over as UTF-8-decoded strings (pg-protocol has no binary mode; the same
    // with PostgreSQL), so only values whose binary form is valid UTF-8 survive: bytea and timestamps are
    // checked with psycopg 3 and JDBC. Each cell is decoded here with the protocol package's codecs.
    const text = "SELECT id, name, price, qty, active, meta FROM items WHERE id <= $1 ORDER BY id"
    const raw = { getTypeParser: (oid: number, format?: string) => (value: string) => ({ oid, format, value }) }
    const asText = await client.query({ text, values: [2], types: raw } as pg.QueryConfig)
    const asBinary = await client.query({ text, values: [2], binary: true, types: raw } as pg.QueryConfig)
    expect(asBinary.rows).toHaveLength(2)
    let cells = 0
    asBinary.rows.forEach((row, r) => {
      for (const [column, cell] of Object.entries(row as Record<string, { oid: number; format: string; value: string } | null>)) {
        const textCell = (asText.rows[r] as Record<string, { value: string } | null>)[column]!
        if (cell === null) {
          expect(textCell).toBeNull()
          continue
        }
        expect(cell.format).toBe("binary")
        const codec = codecForOid(cell.oid)
        const bytes = Buffer.from(cell.value, "utf8")
        expect(codec.decodeBinary(bytes, 0, bytes.byteLength)).toEqual(codec.decodeText(textCell.value))
        cells++
      }
    })
    expect(cells).toBe(9)
  })

  it("per-type parsers (types override) see the raw text values", async () => {
    const r = await client.query({
      text: "SELECT qty FROM items WHERE id = $1",
      values: [1],
      types: { getTypeParser: () => (value: string) => `<${value}>` }
    } as pg.QueryConfig)
    expect(r.rows).toEqual([{ qty: "<5>" }])
  })

  it("pg-cursor reads a 10,000-row result 100 rows at a time (portal suspension)", async () => {
    const cursor = client.query(new Cursor("SELECT generate_series AS value FROM generate_series(1, $1)", [10_000]))
    let reads = 0
    let total = 0
    let sum = 0
    for (;;) {
      const rows: Array<{ value: string }> = await cursor.read(100)
      if (rows.length === 0) break
      reads++
      total += rows.length
      expect(rows.length).toBe(100)
      for (const row of rows) sum += Number(row.value)
    }
    await cursor.close()
    expect([reads, total, sum]).toEqual([100, 10_000, (10_000 * 10_001) / 2])
    // the connection is usable afterwards
    expect((await client.query("SELECT $1 AS ok", ["yes"])).rows).toEqual([{ ok: "yes" }])
  })

  it("surfaces errors with their SQLSTATE and recovers", async () => {
    await expect(client.query("SELECT * FROM missing WHERE a = $1", [1])).rejects.toMatchObject({ code: "42P01" })
    await expect(client.query("INSERT INTO items (id, name) VALUES ($1, $2)", [1, "dup"])).rejects.toMatchObject({ code: "23505" })
    await expect(client.query("SELECT $1; SELECT $2", [1, 2])).rejects.toMatchObject({ code: "42601" })
    await expect(client.query("SELECT name FROM items WHERE id = $1", [1, 2])).rejects.toMatchObject({ code: "08P01" })
    await client.query("BEGIN")
    await expect(client.query("INSERT INTO items (id, name) VALUES ($1, $2)", [1, "dup"])).rejects.toMatchObject({ code: "23505" })
    await expect(client.query("SELECT name FROM items WHERE id = $1", [1])).rejects.toMatchObject({ code: "25P02" })
    await client.query("ROLLBACK")
    expect((await client.query("SELECT name FROM items WHERE id = $1", [2])).rows).toEqual([{ name: "gadget" }])
  })
})
