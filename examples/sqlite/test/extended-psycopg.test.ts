import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PYTHON, run, type RunningServer, startServer } from "./support/server.js"

let server: RunningServer

beforeAll(async () => {
  server = await startServer({})
})

afterAll(async () => {
  await server?.stop()
})

// psycopg 3 binds parameters on the server (Parse/Bind with $n): prepare=True makes it a named
// prepared statement, binary=True asks for binary parameters and results.
const psycopg3 = String.raw`
import datetime, json, sys
import psycopg, psycopg.errors

out = {}
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="py", dbname="shop", autocommit=True) as conn:
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, qty INT, price DOUBLE PRECISION, paid BOOLEAN, at TIMESTAMP, blob BYTEA)")
    at = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO orders (id, item, qty, price, paid, at, blob) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [(1, "tea", 2, 3.5, True, at, b"\x00\xff"), (2, "Zoë's cake", None, 12.25, False, None, None)])
        for binary in (False, True):
            rows = []
            with conn.cursor(binary=binary) as c:
                for i in range(3):
                    c.execute("SELECT id, item, qty, price, paid, at, blob FROM orders WHERE id = %s OR item = %s ORDER BY id", (1, "Zoë's cake"), prepare=True)
                    rows.append(c.fetchall())
                out["binary" if binary else "text"] = {
                    "same": rows[0] == rows[1] == rows[2],
                    "rows": [[v.isoformat() if isinstance(v, datetime.datetime) else v.hex() if isinstance(v, bytes) else v for v in r] for r in rows[0]],
                    "formats": [d.type_code for d in c.description],
                }
        out["prepared"] = sorted(n.decode() if isinstance(n, bytes) else n for n in conn._prepared._names.values()) if hasattr(conn, "_prepared") else None
        # a binary parameter of each type, round trip through the server
        with conn.cursor(binary=True) as c:
            c.execute("SELECT %b AS i, %b AS t, %b AS f, %b AS ok, %b AS raw", (41, "x", 2.5, True, b"\x01\x02"))
            out["echo"] = [v.hex() if isinstance(v, bytes) else v for v in c.fetchone()]
        try:
            conn.execute("INSERT INTO orders (id, item) VALUES (%s, %s)", (1, "dup"), prepare=True)
        except psycopg.errors.UniqueViolation as e:
            out["error"] = e.sqlstate
    with conn.transaction():
        conn.execute("UPDATE orders SET qty = %s WHERE id = %s", (5, 2))
    try:
        with conn.transaction():
            conn.execute("UPDATE orders SET qty = %s WHERE id = %s", (9, 1))
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    out["qty"] = conn.execute("SELECT id, qty FROM orders ORDER BY id").fetchall()
print(json.dumps(out))
`

// psycopg2 interpolates parameters in the client and sends simple queries.
const psycopg2 = String.raw`
import json, sys
import psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=int(sys.argv[1]), user="py2", dbname="shop")
cur = conn.cursor()
cur.execute("SELECT item, qty FROM orders WHERE id = %(id)s OR item = %(item)s ORDER BY id", {"id": 1, "item": "Zoë's cake"})
rows = cur.fetchall()
conn.close()
print(json.dumps(rows))
`

describe("psycopg against the SQLite server", () => {
  it("psycopg 3: server-side binding, prepare=True, binary=True, errors, transactions", async () => {
    const r = await run(PYTHON, ["-c", psycopg3, String(server.port)])
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    const rows = [
      [1, "tea", 2, 3.5, true, "2024-05-06T07:08:09.123456", "00ff"],
      [2, "Zoë's cake", null, 12.25, false, null, null]
    ]
    expect(out.text).toEqual({ same: true, rows, formats: [20, 25, 23, 701, 16, 1114, 17] })
    expect(out.binary).toEqual({ same: true, rows, formats: [20, 25, 23, 701, 16, 1114, 17] })
    expect(out.echo).toEqual([41, "x", 2.5, true, "0102"])
    expect(out.error).toBe("23505")
    expect(out.qty).toEqual([[1, 2], [2, 5]])
  })

  it("psycopg2: parameters interpolated by the client", async () => {
    const r = await run(PYTHON, ["-c", psycopg2, String(server.port)])
    expect(r.stderr).toBe("")
    expect(JSON.parse(r.stdout)).toEqual([["tea", 2], ["Zoë's cake", 5]])
  })
})
