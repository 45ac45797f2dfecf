import postgres from "postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, startServer } from "./support/server.js"

let server: RunningServer

beforeAll(async () => {
  server = await startServer({})
})

afterAll(async () => {
  await server?.stop()
})

const connect = (options: postgres.Options<{}> = {}) =>
  postgres({ host: "127.0.0.1", port: server.port, user: "tester", database: "app", max: 1, onnotice: () => {}, ...options })

// postgres.js speaks only the extended protocol: Parse + Describe (statement) once per query text,
// then Bind/Execute/Sync, pipelined when several queries are in flight on one connection.
describe("postgres.js against the SQLite server", () => {
  for (const prepare of [true, false]) {
    it(`prepare: ${prepare}: typed parameters and results, 1,000 concurrent queries pipelined on one connection`, async () => {
      const sql = connect({ prepare })
      try {
        const table = `accounts_${prepare}`
        await sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, owner TEXT NOT NULL, balance INT NOT NULL, vip BOOLEAN, opened TIMESTAMP)`
        await sql`INSERT INTO ${sql(table)} ${sql([
          { id: 1, owner: "ann", balance: 100, vip: true, opened: new Date("2024-01-02T03:04:05Z") },
          { id: 2, owner: "bob", balance: 50, vip: false, opened: null }
        ])}`
        const rows = await sql`SELECT id, owner, balance, vip, opened FROM ${sql(table)} WHERE balance >= ${10} ORDER BY id`
        expect(rows.map((r) => ({ ...r }))).toEqual([
          { id: "1", owner: "ann", balance: 100, vip: true, opened: new Date("2024-01-02T03:04:05Z") },
          { id: "2", owner: "bob", balance: 50, vip: false, opened: null }
        ])
        expect(rows.columns.map((c) => c.type)).toEqual([20, 25, 23, 16, 1114])
        const started = Date.now()
        const answers = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => sql`SELECT owner, balance + ${i} AS total FROM ${sql(table)} WHERE id = ${(i % 2) + 1}`)
        )
        const elapsed = Date.now() - started
        answers.forEach((r, i) => expect(r.map((x) => ({ ...x }))).toEqual([{ owner: i % 2 === 0 ? "ann" : "bob", total: String((i % 2 === 0 ? 100 : 50) + i) }]))
        console.log(`postgres.js prepare: ${prepare}: 1,000 concurrent queries on one connection in ${elapsed} ms`)
      } finally {
        await sql.end()
      }
    })
  }

  it("sql.begin commits, and rolls back when the callback throws; savepoints", async () => {
    const sql = connect()
    try {
      await sql`CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INT NOT NULL)`
      const result = await sql.begin(async (tx) => {
        await tx`INSERT INTO ledger (id, amount) VALUES (${1}, ${10})`
        await tx`INSERT INTO ledger (id, amount) VALUES (${2}, ${20})`
        return tx`SELECT sum(amount) AS total FROM ledger`
      })
      expect(result[0]).toEqual({ total: "30" })
      await expect(
        sql.begin(async (tx) => {
          await tx`INSERT INTO ledger (id, amount) VALUES (${3}, ${30})`
          await tx`INSERT INTO ledger (id, amount) VALUES (${1}, ${99})`
        })
      ).rejects.toMatchObject({ code: "23505" })
      expect(await sql`SELECT id FROM ledger ORDER BY id`).toEqual([{ id: "1" }, { id: "2" }])
      await sql.begin(async (tx) => {
        await tx`INSERT INTO ledger (id, amount) VALUES (${4}, ${40})`
        await tx.savepoint(async (sp) => {
          await sp`INSERT INTO ledger (id, amount) VALUES (${5}, ${50})`
          throw new Error("undo the savepoint only")
        }).catch(() => {})
      })
      expect(await sql`SELECT id FROM ledger ORDER BY id`).toEqual([{ id: "1" }, { id: "2" }, { id: "4" }])
    } finally {
      await sql.end()
    }
  })

  it("surfaces error codes and fields, and the connection goes on", async () => {
    const sql = connect()
    try {
      await expect(sql`SELECT * FROM nowhere WHERE id = ${1}`).rejects.toMatchObject({ code: "42P01" })
      await sql`CREATE TABLE uniq (k TEXT PRIMARY KEY)`
      await sql`INSERT INTO uniq VALUES (${"a"})`
      await expect(sql`INSERT INTO uniq VALUES (${"a"})`).rejects.toMatchObject({ code: "23505", table_name: "uniq" })
      // an error in the middle of a pipeline fails that query only
      const outcomes = await Promise.allSettled([sql`SELECT ${1} AS a`, sql`SELECT * FROM nowhere`, sql`SELECT ${3} AS c`])
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"])
      expect(await sql`SELECT k FROM uniq`).toEqual([{ k: "a" }])
    } finally {
      await sql.end()
    }
  })

  it("a cursor reads a large result in batches", async () => {
    const sql = connect()
    try {
      let batches = 0
      let total = 0
      for await (const rows of sql`SELECT generate_series AS n FROM generate_series(1, ${5000})`.cursor(500)) {
        batches++
        total += rows.length
      }
      expect([batches, total]).toEqual([10, 5000])
    } finally {
      await sql.end()
    }
  })
})
