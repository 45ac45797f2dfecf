import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Certificates, makeCertificates } from "../../../test-support/certs.mjs"
import { libpqEnv, PSQL, run, type RunningServer, start, startServer } from "./support/server.js"

let dir: string
let certs: Certificates
let server: RunningServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-psql-"))
  certs = await makeCertificates(dir)
  const { readFileSync } = await import("node:fs")
  server = await startServer({ tls: { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) } })
})

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const psql = (args: ReadonlyArray<string>, input?: string, env: Record<string, string> = {}) =>
  run(PSQL, ["-X", "-q", "-A", "-t", ...args], { env: libpqEnv(server.port, env), ...(input === undefined ? {} : { input }) })

describe("psql against the SQLite server", () => {
  it("runs a multi-statement query string", async () => {
    const r = await psql([
      "-c",
      "CREATE TABLE fruit (id INTEGER PRIMARY KEY, name TEXT NOT NULL); " +
        "INSERT INTO fruit VALUES (1, 'apple'), (2, 'pear'); SELECT name FROM fruit ORDER BY id; SELECT count(*) FROM fruit"
    ])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    // psql 15 prints the result of every statement of the string
    expect(r.stdout.trim().split("\n")).toEqual(["apple", "pear", "2"])
  })

  it("reports an error and goes on; an aborted transaction recovers with ROLLBACK", async () => {
    const script = [
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
      "SELECT * FROM missing_table;",
      "INSERT INTO notes VALUES (1, 'after the error');",
      "BEGIN;",
      "INSERT INTO notes VALUES (2, 'rolled back');",
      "INSERT INTO notes VALUES (1, 'duplicate');",
      "SELECT 'ignored';",
      "ROLLBACK;",
      "SELECT id || ':' || body FROM notes ORDER BY id;"
    ].join("\n")
    const r = await psql([], script)
    expect(r.code).toBe(0)
    expect(r.stderr).toContain("ERROR:  no such table: missing_table")
    expect(r.stderr).toContain("ERROR:  duplicate key value violates unique constraint")
    expect(r.stderr).toContain("ERROR:  current transaction is aborted, commands ignored until end of transaction block")
    expect(r.stdout.trim()).toBe("1:after the error")
  })

  it("with ON_ERROR_STOP exits 3 at the first error and runs nothing after it", async () => {
    const file = join(dir, "stop.sql")
    writeFileSync(file, [
      "CREATE TABLE steps (n INTEGER);",
      "INSERT INTO steps VALUES (1);",
      "INSERT INTO nowhere VALUES (2);",
      "INSERT INTO steps VALUES (3);"
    ].join("\n"))
    const r = await psql(["-v", "ON_ERROR_STOP=1", "-f", file])
    expect(r.code).toBe(3)
    expect(r.stderr).toContain("no such table: nowhere")
    const after = await psql(["-c", "SELECT string_agg(n, ',') FROM steps"])
    expect(after.stdout.trim()).toBe("1")
  })

  it("connects with sslmode=require (TLS with a self-signed certificate)", async () => {
    const r = await psql(["-c", "SELECT current_setting('pgwire.tls')", "-c", "\\conninfo"], undefined, { PGSSLMODE: "require" })
    expect(r.stderr).toBe("")
    expect(r.stdout).toContain("on")
    expect(r.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/)
  })

  it("verifies the server certificate with sslmode=verify-full", async () => {
    const r = await psql(["-c", "SELECT 42"], undefined, { PGSSLMODE: "verify-full", PGSSLROOTCERT: certs.caFile, PGHOST: "localhost" })
    expect(r.stderr).toBe("")
    expect(r.stdout.trim()).toBe("42")
  })

  it("Ctrl-C (CancelRequest) stops a 5 s query while other sessions are served", async () => {
    const started = Date.now()
    const slow = start(PSQL, ["-X", "-c", "SELECT sleep(5)"], { env: libpqEnv(server.port) })
    // wait until the statement runs in the database, then check another session is answered meanwhile
    while (server.engine.busyLanes === 0) await new Promise((r) => setTimeout(r, 20))
    const other = await psql(["-c", "SELECT 'served meanwhile'"])
    expect(other.stdout.trim()).toBe("served meanwhile")
    slow.child.kill("SIGINT")
    const r = await slow.finished
    expect(r.stderr).toContain("canceling statement due to user request")
    expect(Date.now() - started).toBeLessThan(4_500)
  })
})
