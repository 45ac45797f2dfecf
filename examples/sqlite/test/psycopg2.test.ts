import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeCertificates } from "../../../test-support/certs.mjs"
import { PYTHON, run, type RunningServer, startServer } from "./support/server.js"

let dir: string
let server: RunningServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-psycopg2-"))
  const certs = await makeCertificates(dir)
  server = await startServer({
    user: "bob",
    password: "pa55word",
    tls: { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }
  })
})

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

// psycopg2 sends every query with the simple protocol (it interpolates parameters client side).
const script = String.raw`
import json, sys
import psycopg2, psycopg2.errors

port = int(sys.argv[1])
out = {}
conn = psycopg2.connect(host="127.0.0.1", port=port, user="bob", password="pa55word", dbname="shop",
                        sslmode="require", channel_binding="require")
cur = conn.cursor()
cur.execute("SELECT current_setting('pgwire.auth_method'), current_setting('pgwire.tls'), current_database()")
out["session"] = list(cur.fetchone())
out["ssl_in_use"] = conn.info.ssl_in_use
cur.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, ok BOOLEAN)")
cur.executemany("INSERT INTO people VALUES (%s, %s, %s, %s)", [(1, "O'Hara", 1.5, True), (2, "Zoë", None, False)])
conn.commit()
cur.execute("SELECT id, name, score, ok FROM people ORDER BY id")
out["rows"] = cur.fetchall()
out["types"] = [d.type_code for d in cur.description]
try:
    cur.execute("INSERT INTO people VALUES (1, 'dup', 0, true)")
except psycopg2.errors.UniqueViolation as e:
    out["error"] = e.pgcode
out["status_after_error"] = conn.info.transaction_status  # 3 = INERROR
conn.rollback()
cur.execute("SELECT count(*) FROM people")
out["count"] = cur.fetchone()[0]
conn.close()
print(json.dumps(out))
`

describe("psycopg2 against the SQLite server", () => {
  it("connects over TLS with SCRAM-SHA-256-PLUS and runs queries and transactions", async () => {
    const r = await run(PYTHON, ["-c", script, String(server.port)])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    // libpq chose channel binding because the server offered it over TLS
    expect(out.session).toEqual(["SCRAM-SHA-256-PLUS", "on", "shop"])
    expect(out.ssl_in_use).toBe(true)
    expect(out.rows).toEqual([[1, "O'Hara", 1.5, true], [2, "Zoë", null, false]])
    expect(out.types).toEqual([20, 25, 701, 16])
    expect(out.error).toBe("23505")
    expect(out.status_after_error).toBe(3)
    expect(out.count).toBe(2)
  })

  it("a wrong password fails with 28P01", async () => {
    const r = await run(PYTHON, ["-c", String.raw`
import sys, psycopg2
try:
    psycopg2.connect(host="127.0.0.1", port=int(sys.argv[1]), user="bob", password="nope", dbname="shop", sslmode="require")
except psycopg2.OperationalError as e:
    print(str(e).strip().splitlines()[-1])
`, String(server.port)])
    expect(r.stdout).toContain("password authentication failed for user \"bob\"")
  })
})
