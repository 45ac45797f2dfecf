import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { libpqEnv, PGBENCH, PSQL, run, type RunningServer, startServer } from "./support/server.js"

let dir: string
let server: RunningServer
const pgbench = PGBENCH.find((p) => existsSync(p))!

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-pgbench-"))
  server = await startServer({ database: join(dir, "bench.db") })
})

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe("pgbench against the SQLite server", () => {
  it("runs a custom read-write script with 4 clients in simple mode", async () => {
    const env = libpqEnv(server.port)
    const setup = await run(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", [
      "CREATE TABLE accounts (aid INTEGER PRIMARY KEY, abalance INT NOT NULL DEFAULT 0)",
      "INSERT INTO accounts (aid) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000) SELECT n FROM s",
      "CREATE TABLE history (aid INTEGER NOT NULL, delta INTEGER NOT NULL, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
    ].join("; ")], { env })
    expect(setup.stderr).toBe("")
    const script = join(dir, "transfer.sql")
    writeFileSync(script, [
      "\\set aid random(1, 1000)",
      "\\set delta random(-5000, 5000)",
      "BEGIN;",
      "UPDATE accounts SET abalance = abalance + :delta WHERE aid = :aid;",
      "SELECT abalance FROM accounts WHERE aid = :aid;",
      "INSERT INTO history (aid, delta) VALUES (:aid, :delta);",
      "END;"
    ].join("\n"))
    const transactions = 50
    const r = await run(pgbench, ["-M", "simple", "-n", "-f", script, "-t", String(transactions), "-c", "4"], { env, timeoutMs: 120_000 })
    expect(r.stderr).not.toContain("error")
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`number of transactions actually processed: ${4 * transactions}/${4 * transactions}`)
    const tps = /tps = ([\d.]+)/.exec(r.stdout)?.[1]
    console.log(`pgbench -M simple -c 4 -t ${transactions} (read-write script): tps = ${tps}`)
    // every transaction committed, and the balances add up
    const check = await run(PSQL, ["-X", "-A", "-t", "-c", "SELECT count(*), sum(delta) = (SELECT sum(abalance) FROM accounts) FROM history"], { env })
    expect(check.stdout.trim()).toBe(`${4 * transactions}|1`)
  })

  it("runs a read-only script with 4 clients", async () => {
    const env = libpqEnv(server.port)
    const script = join(dir, "read.sql")
    writeFileSync(script, ["\\set aid random(1, 1000)", "SELECT abalance FROM accounts WHERE aid = :aid;"].join("\n"))
    const r = await run(pgbench, ["-M", "simple", "-n", "-f", script, "-t", "250", "-c", "4"], { env, timeoutMs: 120_000 })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("number of transactions actually processed: 1000/1000")
    console.log(`pgbench -M simple -c 4 -t 250 (select only): tps = ${/tps = ([\d.]+)/.exec(r.stdout)?.[1]}`)
  })
})
