import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type ProtocolSpy, startSpy } from "./support/protocolSpy.js"
import { libpqEnv, PGBENCH, PSQL, run, type RunningServer, startServer } from "./support/server.js"

let dir: string
let server: RunningServer
let spy: ProtocolSpy
const pgbench = PGBENCH.find((p) => existsSync(p))!

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-pgbench-ext-"))
  server = await startServer({ database: join(dir, "bench.db") })
  spy = await startSpy(server.port)
  const setup = await run(PSQL, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", [
    "CREATE TABLE accounts (aid INTEGER PRIMARY KEY, abalance INT NOT NULL DEFAULT 0)",
    "INSERT INTO accounts (aid) SELECT generate_series FROM generate_series(1, 1000)",
    "CREATE TABLE history (aid INTEGER NOT NULL, delta INTEGER NOT NULL, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
  ].join("; ")], { env: libpqEnv(server.port) })
  expect(setup.stderr).toBe("")
  writeFileSync(join(dir, "transfer.sql"), [
    "\\set aid random(1, 1000)",
    "\\set delta random(-5000, 5000)",
    "BEGIN;",
    "UPDATE accounts SET abalance = abalance + :delta WHERE aid = :aid;",
    "SELECT abalance FROM accounts WHERE aid = :aid;",
    "INSERT INTO history (aid, delta) VALUES (:aid, :delta);",
    "END;"
  ].join("\n"))
  writeFileSync(join(dir, "read.sql"), ["\\set aid random(1, 1000)", "SELECT abalance FROM accounts WHERE aid = :aid;"].join("\n"))
})

afterAll(async () => {
  await spy?.close()
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const bench = async (mode: string, script: string, transactions: number, port = server.port) => {
  const r = await run(pgbench, ["-M", mode, "-n", "-f", join(dir, script), "-t", String(transactions), "-c", "4"], {
    env: libpqEnv(port),
    timeoutMs: 120_000
  })
  expect(r.stderr).not.toContain("error")
  expect(r.code).toBe(0)
  expect(r.stdout).toContain(`number of transactions actually processed: ${4 * transactions}/${4 * transactions}`)
  return Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1])
}

describe("pgbench -M extended / -M prepared against the SQLite server", () => {
  it("runs the read-write script in both modes; every transaction commits and the balances add up", async () => {
    const extended = await bench("extended", "transfer.sql", 50)
    const prepared = await bench("prepared", "transfer.sql", 50)
    console.log(`pgbench -c 4 -t 50 (read-write script): -M extended tps = ${extended}, -M prepared tps = ${prepared}`)
    const check = await run(PSQL, ["-X", "-A", "-t", "-c", "SELECT count(*), sum(delta) = (SELECT sum(abalance) FROM accounts) FROM history"], {
      env: libpqEnv(server.port)
    })
    expect(check.stdout.trim()).toBe(`${2 * 4 * 50}|1`)
  })

  it("-M prepared Parses each statement once per connection and then only Binds and Executes", async () => {
    spy.messages.length = 0
    await bench("prepared", "read.sql", 100, spy.port)
    const parses = spy.messages.filter((m) => m._tag === "Parse")
    const executes = spy.messages.filter((m) => m._tag === "Execute")
    expect(parses.every((m) => m._tag === "Parse" && m.name !== "")).toBe(true)
    expect(parses.length).toBe(4)
    expect(executes.length).toBe(400)
  })

  it("select-only: -M simple vs -M extended vs -M prepared on the same server", async () => {
    const simple = await bench("simple", "read.sql", 250)
    const extended = await bench("extended", "read.sql", 250)
    const prepared = await bench("prepared", "read.sql", 250)
    console.log(`pgbench -c 4 -t 250 (select only): simple ${simple} tps, extended ${extended} tps, prepared ${prepared} tps`)
  })
})
