import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { libpqEnv, PSQL, PYTHON, run, type RunningServer, startServer } from "./support/server.js"

let dir: string
let server: RunningServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-copy-"))
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const psql = (...commands: Array<string>) =>
  run(PSQL, ["-X", "-v", "ON_ERROR_STOP=1", "-At", ...commands.flatMap((c) => ["-c", c])], { env: libpqEnv(server.port) })

describe("psql \\copy", () => {
  it("copies a file in and out in text and CSV", async () => {
    const textIn = join(dir, "in.txt")
    const csvIn = join(dir, "in.csv")
    writeFileSync(textIn, "1\tone\t\\N\n2\ttab\\there\t2.5\n3\tback\\\\slash\t-1\n")
    writeFileSync(csvIn, "id,name,score\n4,\"comma, inside\",\n5,\"quote \"\"q\"\"\",7\n")
    const created = await psql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
    expect(created.stderr).toBe("")

    const load = await psql(`\\copy t from '${textIn}'`, `\\copy t from '${csvIn}' with (format csv, header true)`)
    expect(load.stderr).toBe("")
    expect(load.stdout.trim().split("\n")).toEqual(["COPY 3", "COPY 2"])

    const textOut = join(dir, "out.txt")
    const csvOut = join(dir, "out.csv")
    const dump = await psql(`\\copy t to '${textOut}'`, `\\copy (select id, name from t where id > 3 order by id) to '${csvOut}' csv header`)
    expect(dump.stderr).toBe("")
    expect(dump.stdout.trim().split("\n")).toEqual(["COPY 5", "COPY 2"])
    expect(readFileSync(textOut, "utf8")).toBe(
      "1\tone\t\\N\n2\ttab\\there\t2.5\n3\tback\\\\slash\t-1\n4\tcomma, inside\t\\N\n5\tquote \"q\"\t7\n"
    )
    expect(readFileSync(csvOut, "utf8")).toBe("id,name\n4,\"comma, inside\"\n5,\"quote \"\"q\"\"\"\n")
  })

  it("a malformed line fails the whole \\copy with 22P04 and loads nothing", async () => {
    await psql("CREATE TABLE u (id INTEGER, name TEXT)")
    const bad = join(dir, "bad.txt")
    writeFileSync(bad, "1\tok\n2\ttoo\tmany\n")
    const r = await psql(`\\copy u from '${bad}'`)
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain("extra data after last expected column")
    expect(r.stderr).toContain("COPY u, line 2")
    expect((await psql("select count(*) from u")).stdout.trim()).toBe("0")
  })
})

// psycopg2: copy_expert in and out, a COPY the client aborts, LISTEN with poll(), and cancel().
const script = String.raw`
import io, json, select, sys, threading, time
import psycopg2, psycopg2.errors, psycopg2.extensions

port = int(sys.argv[1])
dsn = dict(host="127.0.0.1", port=port, user="tester", dbname="tester", sslmode="disable")
out = {}
conn = psycopg2.connect(**dsn)
cur = conn.cursor()
cur.execute("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, weight REAL)")
conn.commit()
cur.copy_expert("COPY pets FROM STDIN WITH (FORMAT csv)", io.StringIO("1,Rex,12.5\n2,\"Tom, the cat\",4\n3,Nemo,\n"))
out["copied_in"] = cur.rowcount
conn.commit()
buf = io.StringIO()
cur.copy_expert("COPY pets TO STDOUT WITH (FORMAT csv, HEADER)", buf)
out["copied_out"] = buf.getvalue()

# A file object that fails mid-read: psycopg2 sends CopyFail, the server answers 57014, nothing is stored.
class Broken(io.StringIO):
    def __init__(self):
        super().__init__()
        self.calls = 0
    def read(self, n=-1):
        self.calls += 1
        if self.calls == 1:
            return "4,Tweety,0.1\n"
        raise IOError("disk on fire")
try:
    cur.copy_expert("COPY pets FROM STDIN WITH (FORMAT csv)", Broken())
except Exception as e:
    out["copy_fail"] = [type(e).__name__, getattr(e, "pgcode", None)]
conn.rollback()
cur.execute("SELECT count(*) FROM pets")
out["after_fail"] = cur.fetchone()[0]
conn.commit()  # BEGIN takes SQLite's write lock: end the transaction before others write

# Notifications on an idle connection: select() on the socket, then poll().
listener = psycopg2.connect(**dsn)
listener.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
listener.cursor().execute("LISTEN pets_changed")
sender = psycopg2.connect(**dsn)
sender.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
latencies = []
for i in range(5):
    t0 = time.perf_counter()
    sender.cursor().execute("NOTIFY pets_changed, 'payload %d'" % i)
    got = None
    while got is None:
        if select.select([listener], [], [], 5) == ([], [], []):
            raise Exception("no notification within 5 s")
        listener.poll()
        if listener.notifies:
            got = listener.notifies.pop(0)
    latencies.append((time.perf_counter() - t0) * 1000)
    out.setdefault("notifications", []).append([got.channel, got.payload, got.pid == sender.info.backend_pid])
# pg_notify() inside a transaction is delivered at COMMIT only.
tx = sender.cursor()
sender.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_READ_COMMITTED)
tx.execute("SELECT pg_notify('pets_changed', 'in tx')")
time.sleep(0.2)
listener.poll()
out["before_commit"] = len(listener.notifies)
sender.commit()
deadline = time.time() + 5
while not listener.notifies and time.time() < deadline:
    select.select([listener], [], [], 1)
    listener.poll()
out["after_commit"] = [n.payload for n in listener.notifies]
out["notify_ms"] = latencies

# cancel() from another thread during a slow query: 57014, then the connection is usable.
slow = psycopg2.connect(**dsn)
slow.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
threading.Timer(0.5, slow.cancel).start()
t0 = time.perf_counter()
try:
    slow.cursor().execute("SELECT sleep(10)")
except psycopg2.errors.QueryCanceled as e:
    out["cancel"] = [e.pgcode, round(time.perf_counter() - t0, 1)]
c = slow.cursor()
c.execute("SELECT 42")
out["after_cancel"] = c.fetchone()[0]
print(json.dumps(out))
`

describe("psycopg2", () => {
  it("copy_expert in and out, CopyFail, LISTEN with poll(), cancel()", async () => {
    const r = await run(PYTHON, ["-c", script, String(server.port)], { timeoutMs: 60_000 })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.copied_in).toBe(3)
    expect(out.copied_out).toBe("id,name,weight\n1,Rex,12.5\n2,\"Tom, the cat\",4\n3,Nemo,\n")
    expect(out.copy_fail).toEqual(["QueryCanceled", "57014"])
    expect(out.after_fail).toBe(3)
    expect(out.notifications).toEqual([0, 1, 2, 3, 4].map((i) => ["pets_changed", `payload ${i}`, true]))
    expect(out.before_commit).toBe(0)
    expect(out.after_commit).toEqual(["in tx"])
    console.log(`psycopg2 NOTIFY -> idle listener poll(): ${out.notify_ms.map((ms: number) => ms.toFixed(1)).join(", ")} ms`)
    for (const ms of out.notify_ms) expect(ms).toBeLessThan(1000)
    expect(out.cancel[0]).toBe("57014")
    expect(out.cancel[1]).toBeLessThan(5)
    expect(out.after_cancel).toBe(42)
  })
})
