// The replication client example against a real PostgreSQL 15: `node dist/main.js` (built by
// `tsc -b`) prints a table's changes as JSON lines, acknowledges each transaction once printed, and
// a second run on the same slot starts after the last transaction the first one printed.
import { Client } from "@pgwire-ts/client"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { linesOf } from "../src/changeLines.js"

let cluster: PostgresCluster
let url: string

const MAIN = fileURLToPath(new URL("../dist/main.js", import.meta.url))

const sql = (statements: ReadonlyArray<string>) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.flatMap(Client.connect({ host: cluster.host, port: cluster.port, user: "postgres", database: "postgres", sslmode: "disable" }), (c) =>
        Effect.forEach(statements, (s) => c.query(s), { discard: true })
      )
    )
  )

/** Runs main.js to its end; its JSON lines and exit code. */
const runMain = (args: ReadonlyArray<string>): Promise<{ code: number | null; lines: Array<Record<string, unknown>>; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString()))
    child.stderr.on("data", (d: Buffer) => (err += d.toString()))
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stderr: err, lines: out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>) })
    })
  })

beforeAll(async () => {
  cluster = await startPostgres({ logical: true })
  url = cluster.url("repl_user")
  await sql([
    "CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric)",
    "ALTER TABLE accounts REPLICA IDENTITY FULL",
    "CREATE PUBLICATION accounts_pub FOR TABLE accounts"
  ])
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

describe("examples/replication-client", () => {
  it("prints each change as a JSON line and resumes after what it printed", async () => {
    const args = ["--connection", url, "--slot", "printer", "--publication", "accounts_pub"]
    // The first run creates the slot and prints the first two transactions.
    const first = runMain([...args, "--create-slot", "--max-transactions", "2"])
    for (let i = 0; i < 400; i++) {
      if ((await cluster.psql("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'printer'")).trim() === "1") break
      await new Promise((r) => setTimeout(r, 25))
    }
    await sql([
      "BEGIN",
      "INSERT INTO accounts VALUES (1, 'ann', 10.50)",
      "INSERT INTO accounts VALUES (2, 'bob', NULL)",
      "COMMIT",
      "UPDATE accounts SET balance = 11 WHERE id = 1",
      "DELETE FROM accounts WHERE id = 2"
    ])
    const one = await first
    expect(one.code, one.stderr).toBe(0)
    expect(one.lines.map(({ lsn: _lsn, xid: _xid, ...rest }) => rest)).toEqual([
      { relation: "public.accounts", op: "insert", new: { id: "1", owner: "ann", balance: "10.50" }, old: null },
      { relation: "public.accounts", op: "insert", new: { id: "2", owner: "bob", balance: null }, old: null },
      { relation: "public.accounts", op: "update", new: { id: "1", owner: "ann", balance: "11" }, old: { id: "1", owner: "ann", balance: "10.50" } }
    ])
    // The second run starts after the acknowledged update: only the delete (REPLICA IDENTITY FULL: the whole old row).
    const two = await runMain([...args, "--max-transactions", "1"])
    expect(two.code, two.stderr).toBe(0)
    expect(two.lines.map(({ lsn: _lsn, xid: _xid, ...rest }) => rest)).toEqual([
      { relation: "public.accounts", op: "delete", new: null, old: { id: "2", owner: "bob", balance: null } }
    ])
    expect(String(two.lines[0]!["lsn"])).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
  }, 60_000)

  it("reports a missing slot and exits 1; bad arguments exit 2", async () => {
    const missing = await runMain(["--connection", url, "--slot", "nope", "--publication", "accounts_pub"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("42704")
    const bad = await runMain(["--slot", "x"])
    expect(bad.code).toBe(2)
  })

  it("formats TRUNCATE with every relation it names", () => {
    const lines = linesOf({
      xid: 7,
      commitLsn: 0x10n,
      endLsn: 0x20n,
      commitTime: 0n,
      delivery: "whole",
      changes: [{ op: "truncate", relations: [{ schema: "public", table: "a" }, { schema: "s", table: "b" }], cascade: false, restartIdentity: false }]
    })
    expect(lines).toEqual([{ lsn: "0/20", xid: 7, relation: "public.a,s.b", op: "truncate", new: null, old: null }])
  })
})
