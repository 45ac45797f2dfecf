import { Oid } from "@pgwire-ts/protocol"
import { Server } from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { execFile } from "node:child_process"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layer } from "../src/GlueServer.js"
import { inferType } from "../src/glueTypes.js"
import { resultColumns } from "../src/resultColumns.js"
import { selectShape } from "../src/selectShape.js"

const SETUP = [
  `CREATE TABLE items (id INTEGER, name TEXT, price FLOAT, ok BOOLEAN, added DATE, at TIMESTAMP,
     tags LIST, meta MAP, u UUID, raw BYTEA, small INT16, mid INT32, dec DECIMAL)`,
  `INSERT INTO items VALUES
     (1, 'apple', 1.5, true, '2024-01-02', '2024-01-02 03:04:05', '[1,2]', '{"a":1}',
      '550e8400-e29b-41d4-a716-446655440000', X'01ff', 7, 70000, 1.25),
     (2, 'pear', 2.25, false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
  "CREATE TABLE sales (item_id INTEGER, qty INTEGER)",
  "INSERT INTO sales VALUES (1, 3), (1, 4), (2, 10)"
]

const psql = (port: number, sql: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      "psql",
      ["-X", "-A", "-t", "-h", "127.0.0.1", "-p", String(port), "-U", "tester", "-d", "glue", "-c", sql],
      { env: { ...process.env, PGCONNECT_TIMEOUT: "10" }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  })

describe("GlueSQL server", () => {
  let port = 0
  const scope = Effect.runSync(Scope.make())
  beforeAll(async () => {
    const context = await Effect.runPromise(Layer.buildWithScope(layer({ port: 0, setup: SETUP }), scope))
    port = Context.get(context, Server).address.port
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  it("psql: rows in select-list order, a join, an aggregate, command tags", async () => {
    const select = await psql(port, "SELECT name, id, price FROM items ORDER BY id")
    expect(select.stderr).toBe("")
    expect(select.stdout).toBe("apple|1|1.5\npear|2|2.25\n")
    const joined = await psql(
      port,
      "SELECT i.name, SUM(s.qty) AS total FROM items i JOIN sales s ON s.item_id = i.id GROUP BY i.name ORDER BY i.name"
    )
    expect(joined.stdout).toBe("apple|7\npear|10\n")
    const commands = await psql(
      port,
      "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3); UPDATE t SET a = 0 WHERE a > 1; DELETE FROM t WHERE a = 0; SELECT COUNT(*) FROM t; DROP TABLE t"
    )
    expect(commands.stderr).toBe("")
    expect(commands.stdout).toBe("CREATE TABLE\nINSERT 0 3\nUPDATE 2\nDELETE 2\n1\nDROP TABLE\n")
  })

  it("psql: errors arrive as ErrorResponses, and the session goes on", async () => {
    const r = await psql(port, "SELECT * FROM nope")
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/ERROR: {2}fetch: table not found: nope/)
  })

  it("node-postgres: declared column types map to PostgreSQL OIDs and text forms", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port,
      user: "tester",
      database: "glue",
      types: { getTypeParser: () => (text: string) => text }
    })
    await client.connect()
    try {
      const r = await client.query("SELECT * FROM items WHERE id = 1")
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["id", Oid.int8],
        ["name", Oid.text],
        ["price", Oid.float8],
        ["ok", Oid.bool],
        ["added", Oid.date],
        ["at", Oid.timestamp],
        ["tags", Oid.json],
        ["meta", Oid.json],
        ["u", Oid.uuid],
        ["raw", Oid.bytea],
        ["small", Oid.int2],
        ["mid", Oid.int4],
        ["dec", Oid.numeric]
      ])
      expect(r.rows).toEqual([
        {
          id: "1",
          name: "apple",
          price: "1.5",
          ok: "t",
          added: "2024-01-02",
          at: "2024-01-02 03:04:05",
          tags: "[1,2]",
          meta: '{"a":1}',
          u: "550e8400-e29b-41d4-a716-446655440000",
          raw: "\\x01ff",
          small: "7",
          mid: "70000",
          dec: "1.25"
        }
      ])
    } finally {
      await client.end()
    }
  })

  it("node-postgres: computed columns get types from their values; NULLs, aliases, empty results", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port, user: "tester", database: "glue" })
    await client.connect()
    try {
      const r = await client.query(
        "SELECT UPPER(name) AS shout, price * 2 doubled, id + 1, added, 'x' AS lit FROM items ORDER BY id"
      )
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["shout", Oid.text],
        ["doubled", Oid.float8],
        ["id + 1", Oid.int8],
        ["added", Oid.date],
        ["lit", Oid.text]
      ])
      expect(r.rows.map((row) => [row.shout, row.doubled, row["id + 1"], row.added === null, row.lit])).toEqual([
        ["APPLE", 3, "2", false, "x"],
        ["PEAR", 4.5, "3", true, "x"]
      ])
      const empty = await client.query("SELECT id, name FROM items WHERE id > 100")
      expect(empty.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["id", Oid.int8],
        ["name", Oid.text]
      ])
      expect(empty.rows).toEqual([])
      const values = await client.query("VALUES (1, 'a'), (2, 'b')")
      expect(values.rows).toEqual([
        { column1: "1", column2: "a" },
        { column1: "2", column2: "b" }
      ])
      await expect(client.query("SELECT nope FROM items")).rejects.toMatchObject({ code: "42703" })
      await expect(client.query("INSERT INTO items (id) VALUES ('x')")).rejects.toMatchObject({ code: "22P02" })
      await expect(client.query("SELEC 1")).rejects.toMatchObject({ code: "42601" })
      await expect(client.query("BEGIN")).rejects.toMatchObject({ code: "0A000" })
      expect((await client.query("SELECT COUNT(*) AS n FROM sales")).rows).toEqual([{ n: "3" }])
    } finally {
      await client.end()
    }
  })
})

describe("select shape and column order", () => {
  it("reads select lists: aliases, qualified columns, stars, expressions", () => {
    expect(selectShape(`SELECT a, t.b AS "B b", c d, COUNT(*) OVER (), x.*, INTERVAL '1' DAY FROM t JOIN u AS x ON x.id = t.id`)).toEqual({
      items: [
        { _tag: "Column", table: undefined, column: "a", label: "a" },
        { _tag: "Column", table: "t", column: "b", label: "B b" },
        { _tag: "Column", table: undefined, column: "c", label: "d" },
        { _tag: "Expression", label: "COUNT(*) OVER ()" },
        { _tag: "Star", table: "x" },
        { _tag: "Expression", label: "INTERVAL '1' DAY" }
      ],
      from: [
        { name: "t", alias: undefined },
        { name: "u", alias: "x" }
      ]
    })
    expect(selectShape("SELECT 'a,b', (1, 2) FROM t WHERE a = ','")?.items.map((i) => i._tag)).toEqual(["Expression", "Expression"])
    expect(selectShape("VALUES (1)")).toBeUndefined()
    expect(selectShape("SELECT (1")).toBeUndefined()
    expect(selectShape("SELECT 'unterminated")).toBeUndefined()
  })

  it("computed columns: types inferred from JSON values (integral floats are indistinguishable from integers)", () => {
    expect(inferType([3, null, 4.5]).oid).toBe(Oid.float8)
    expect(inferType([3, 4]).oid).toBe(Oid.int8)
    expect(inferType([true, null]).oid).toBe(Oid.bool)
    expect(inferType([{ a: 1 }, [1]]).oid).toBe(Oid.json)
    expect(inferType([1, "a"]).oid).toBe(Oid.text)
    expect(inferType([null]).oid).toBe(Oid.text)
  })

  it("keys GlueSQL sorted go back in select-list order; unknown labels keep GlueSQL's order", () => {
    const rows = [{ a: 1, b: "x", zz: true }]
    const order = (sql: string) => resultColumns(selectShape(sql), rows, new Map()).map((c) => c.name)
    expect(order("SELECT zz, b, a FROM t")).toEqual(["zz", "b", "a"])
    // A label printed unlike its input (here none matches) is not guessed: sorted leftovers.
    expect(order("SELECT q, zz FROM t")).toEqual(["zz", "a", "b"])
    const numbered = [{ column1: 1, column2: 2, column10: 3 }]
    expect(resultColumns(undefined, numbered, new Map()).map((c) => c.name)).toEqual(["column1", "column2", "column10"])
  })
})
