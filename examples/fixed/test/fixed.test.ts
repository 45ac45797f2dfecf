import { Server } from "@pgwire-ts/server"
import { spawn } from "node:child_process"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import pg from "pg"
import Cursor from "pg-cursor"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layer } from "../src/FixedServer.js"

let scope: Scope.CloseableScope
let port: number

beforeAll(async () => {
  scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer({ port: 0 }), scope))
  port = Context.get(context, Server).address.port
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const connected = async () => {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "anyone", database: "any" })
  await client.connect()
  return client
}

describe("fixed-result server", () => {
  it("answers any statement with the fixed result, one per statement", async () => {
    const c = await connected()
    try {
      const r = await c.query("SELECT whatever FROM wherever")
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([["id", 23], ["name", 25]])
      expect(r.rows).toEqual([{ id: 0, name: "Tom" }, { id: 1, name: "Jerry" }, { id: 2, name: null }])
      const both = (await c.query("anything at all; and more")) as unknown as Array<pg.QueryResult>
      expect(both.map((x) => x.rowCount)).toEqual([3, 3])
    } finally {
      await c.end()
    }
  })

  it("streams 1,000,000 rows x 4 columns for SELECT 1000000", async () => {
    const c = await connected()
    try {
      const started = performance.now()
      let count = 0
      let last: Record<string, unknown> | undefined
      const query = new pg.Query("SELECT 1000000")
      const fields = await new Promise<Array<{ name: string; dataTypeID: number }>>((resolve, reject) => {
        let description: Array<{ name: string; dataTypeID: number }> = []
        query.on("row", (row: Record<string, unknown>, result?: { fields: typeof description }) => {
          count++
          last = row
          if (result !== undefined) description = result.fields
        })
        query.on("error", reject)
        query.on("end", () => resolve(description))
        c.query(query)
      })
      const seconds = (performance.now() - started) / 1000
      expect(count).toBe(1_000_000)
      expect(fields.map((f) => [f.name, f.dataTypeID])).toEqual([["id", 23], ["label", 25], ["value", 701], ["even", 16]])
      expect(last).toEqual({ id: 1_000_000, label: "row 1000000", value: 500_000, even: true })
      console.log(`fixed server → node-postgres: 1,000,000 rows x 4 columns in ${seconds.toFixed(2)} s (${Math.round(count / seconds)} rows/s)`)
    } finally {
      await c.end()
    }
  })

  it("serves psql", async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn("/usr/bin/psql", ["-X", "-A", "-t", "-c", "SELECT 3"], {
        env: { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: "u", PGDATABASE: "d", PGSSLMODE: "disable" }
      })
      let stdout = ""
      p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
      p.on("error", reject)
      p.on("close", () => resolve(stdout))
    })
    expect(out.trim().split("\n")).toEqual(["1|row 1|0.5|f", "2|row 2|1|t", "3|row 3|1.5|f"])
  })
  it("answers the extended protocol: prepared statements with parameters, Describe, row limits", async () => {
    const c = await connected()
    try {
      // node-postgres sends Parse/Bind/Describe/Execute/Sync for a query with values.
      const r = await c.query({ name: "s1", text: "SELECT 3", values: [] })
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([["id", 23], ["label", 25], ["value", 701], ["even", 16]])
      expect(r.rows.map((row: Record<string, unknown>) => row["label"])).toEqual(["row 1", "row 2", "row 3"])
      const again = await c.query({ name: "s1", text: "SELECT 3", values: [] })
      expect(again.rowCount).toBe(3)
      const fixed = await c.query({ text: "anything $1", values: ["x"], rowMode: "array" })
      expect(fixed.rows).toEqual([[0, "Tom"], [1, "Jerry"], [2, null]])
      // Execute with a row limit (PortalSuspended) over the generated Stream of SELECT 2500.
      const cursor = c.query(new Cursor("SELECT 2500"))
      const sizes: Array<number> = []
      let last: unknown
      for (;;) {
        const batch = (await cursor.read(1000)) as Array<Record<string, unknown>>
        if (batch.length === 0) break
        sizes.push(batch.length)
        last = batch[batch.length - 1]
      }
      await cursor.close()
      expect(sizes).toEqual([1000, 1000, 500])
      expect(last).toEqual({ id: 2500, label: "row 2500", value: 1250, even: true })
    } finally {
      await c.end()
    }
  })

  it("serves pgbench -M prepared and -M simple", async () => {
    for (const mode of ["prepared", "simple"]) {
      const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const p = spawn("/usr/lib/postgresql/15/bin/pgbench", ["-n", "-M", mode, "-t", "20", "-c", "2", "-f", "-", "-h", "127.0.0.1", "-p", String(port), "-U", "u", "d"])
        let stdout = ""
        let stderr = ""
        p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
        p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
        p.on("error", reject)
        p.on("close", (code) => resolve({ code, stdout, stderr }))
        p.stdin.end("SELECT 1;\n")
      })
      expect(out.stderr).not.toContain("ERROR")
      expect(out.code).toBe(0)
      expect(out.stdout).toContain("number of transactions actually processed: 40/40")
    }
  })
})
