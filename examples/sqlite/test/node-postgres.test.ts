import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer
const user = "alice"
const password = "correct horse"

beforeAll(async () => {
  server = await startServer({ user, password })
})

afterAll(async () => {
  await server?.stop()
})

const config = (overrides: pg.ClientConfig = {}): pg.ClientConfig => ({
  host: "127.0.0.1",
  port: server.port,
  user,
  password,
  database: "app",
  ...overrides
})

const connected = async (overrides: pg.ClientConfig = {}) => {
  const client = new pg.Client(config(overrides))
  await client.connect()
  return client
}

describe("node-postgres against the SQLite server", () => {
  it("logs in with SCRAM-SHA-256 and runs simple queries with typed results", async () => {
    const c = await connected()
    try {
      const auth = await c.query("SELECT current_setting('pgwire.auth_method') AS method")
      expect(auth.rows).toEqual([{ method: "SCRAM-SHA-256" }])
      await c.query(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price NUMERIC, ratio DOUBLE PRECISION, active BOOLEAN, " +
          "qty INT, meta JSON, raw BLOB)"
      )
      const insert = await c.query(
        "INSERT INTO items VALUES (1, 'widget', 9.5, 0.25, 1, 3, '{\"tags\":[\"a\"]}', x'cafe'), (2, 'gadget', 12, 1.5, 0, NULL, NULL, NULL)"
      )
      expect([insert.command, insert.rowCount]).toEqual(["INSERT", 2])
      const r = await c.query("SELECT * FROM items ORDER BY id")
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["id", 20], ["name", 25], ["price", 1700], ["ratio", 701], ["active", 16], ["qty", 23], ["meta", 114], ["raw", 17]
      ])
      expect(r.rows).toEqual([
        { id: "1", name: "widget", price: "9.5", ratio: 0.25, active: true, qty: 3, meta: { tags: ["a"] }, raw: Buffer.from([0xca, 0xfe]) },
        { id: "2", name: "gadget", price: "12", ratio: 1.5, active: false, qty: null, meta: null, raw: null }
      ])
      const update = await c.query("UPDATE items SET qty = 5 WHERE id = 2")
      expect([update.command, update.rowCount]).toEqual(["UPDATE", 1])
      const returning = await c.query("DELETE FROM items WHERE id = 2 RETURNING name")
      expect([returning.command, returning.rowCount, returning.rows]).toEqual(["DELETE", 1, [{ name: "gadget" }]])
    } finally {
      await c.end()
    }
  })

  it("returns one result per statement of a multi-statement string", async () => {
    const c = await connected()
    try {
      const results = (await c.query("SELECT 1 AS a; SELECT 'two' AS b; CREATE TABLE IF NOT EXISTS multi (x INTEGER)")) as unknown as Array<pg.QueryResult>
      expect(results.map((r) => r.command)).toEqual(["SELECT", "SELECT", "CREATE"])
      expect(results[1]!.rows).toEqual([{ b: "two" }])
    } finally {
      await c.end()
    }
  })

  it("reports errors with their SQLSTATE and keeps the connection usable", async () => {
    const c = await connected()
    try {
      await expect(c.query("SELECT * FROM does_not_exist")).rejects.toMatchObject({ code: "42P01" })
      await c.query("CREATE TABLE uniq (k TEXT PRIMARY KEY)")
      await c.query("BEGIN")
      await c.query("INSERT INTO uniq VALUES ('a')")
      await expect(c.query("INSERT INTO uniq VALUES ('a')")).rejects.toMatchObject({ code: "23505", table: "uniq", column: "k" })
      await expect(c.query("SELECT 1")).rejects.toMatchObject({ code: "25P02" })
      await c.query("ROLLBACK")
      expect((await c.query("SELECT count(*) AS n FROM uniq")).rows).toEqual([{ n: "0" }])
      // a multi-statement string is one implicit transaction: the failing statement undoes the insert before it
      await expect(c.query("INSERT INTO uniq VALUES ('b'); SELECT * FROM does_not_exist")).rejects.toMatchObject({ code: "42P01" })
      expect((await c.query("SELECT count(*) AS n FROM uniq")).rows).toEqual([{ n: "0" }])
    } finally {
      await c.end()
    }
  })

  it("rejects a wrong password and an unknown user with 28P01", async () => {
    await expect(connected({ password: "wrong" })).rejects.toMatchObject({ code: "28P01" })
    await expect(connected({ user: "mallory" })).rejects.toMatchObject({ code: "28P01" })
  })

  it("cancels a long query (CancelRequest) while another connection is served", async () => {
    const slow = await connected()
    const other = await connected()
    try {
      const started = Date.now()
      const query = new pg.Query("SELECT sleep(5)")
      const outcome = new Promise<unknown>((resolve) => {
        query.on("error", resolve)
        query.on("end", () => resolve("finished"))
      })
      slow.query(query)
      while (server.engine.busyLanes === 0) await new Promise((r) => setTimeout(r, 20))
      expect((await other.query("SELECT 1 AS one")).rows).toEqual([{ one: "1" }])
      // pg's (untyped) cancel: a new connection sending CancelRequest with slow's process id and secret key
      ;(new pg.Client(config()) as unknown as { cancel(client: pg.Client, query: pg.Query): void }).cancel(slow, query)
      expect(await outcome).toMatchObject({ code: "57014" })
      expect(Date.now() - started).toBeLessThan(4_500)
      expect((await slow.query("SELECT 2 AS two")).rows).toEqual([{ two: "2" }])
    } finally {
      await slow.end()
      await other.end()
    }
  })

  it("a client that disconnects inside a transaction releases its lock and loses its writes", async () => {
    const setup = await connected()
    await setup.query("CREATE TABLE ledger (v INTEGER)")
    const quitter = await connected()
    await quitter.query("BEGIN")
    await quitter.query("INSERT INTO ledger VALUES (1)")
    await quitter.end()
    try {
      // BEGIN takes SQLite's write lock; a leaked transaction would make this wait for the busy timeout (30 s)
      const started = Date.now()
      await setup.query("INSERT INTO ledger VALUES (2)")
      expect(Date.now() - started).toBeLessThan(10_000)
      expect((await setup.query("SELECT v FROM ledger")).rows).toEqual([{ v: "2" }])
    } finally {
      await setup.end()
    }
  })
})
