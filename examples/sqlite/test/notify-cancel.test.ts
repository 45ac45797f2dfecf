import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import postgres from "postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { run, type RunningServer, startServer } from "./support/server.js"

let server: RunningServer
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "sqlite-notify-"))
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const connect = async () => {
  const client = new pg.Client({ host: "127.0.0.1", port: server.port, user: "tester", database: "tester" })
  await client.connect()
  return client
}

const nextNotification = (client: pg.Client, timeoutMs = 5000): Promise<pg.Notification> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no notification within ${timeoutMs} ms`)), timeoutMs)
    client.once("notification", (n) => {
      clearTimeout(timer)
      resolve(n)
    })
  })

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

describe("LISTEN/NOTIFY with node-postgres", () => {
  it("an idle listening connection receives a NOTIFY from another connection at once (latency measured)", async () => {
    const listener = await connect()
    const sender = await connect()
    try {
      await listener.query("LISTEN events")
      const senderPid = (sender as unknown as { processID: number }).processID
      const latencies: Array<number> = []
      for (let i = 0; i < 20; i++) {
        const received = nextNotification(listener)
        const t0 = performance.now()
        // The listener sends nothing: the server pushes the notification to it while it is idle.
        await sender.query(`NOTIFY events, 'message ${i}'`)
        const n = await received
        latencies.push(performance.now() - t0)
        expect(n).toMatchObject({ channel: "events", payload: `message ${i}`, processId: senderPid })
      }
      console.log(
        `node-postgres NOTIFY -> idle listener: median ${median(latencies).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms (20 runs, incl. the sender's round trip)`
      )
      for (const ms of latencies) expect(ms).toBeLessThan(1000)
    } finally {
      await listener.end()
      await sender.end()
    }
  })

  it("pg_notify() from a trigger, only for statements that succeed; NOTIFY in a transaction waits for COMMIT; UNLISTEN", async () => {
    const listener = await connect()
    const writer = await connect()
    try {
      const seen: Array<string> = []
      listener.on("notification", (n) => seen.push(`${n.channel}:${n.payload}`))
      await listener.query("LISTEN inserted; LISTEN tx")
      await writer.query("CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
      await writer.query("CREATE TRIGGER pets_notify AFTER INSERT ON pets BEGIN SELECT pg_notify('inserted', NEW.name); END")
      await writer.query("INSERT INTO pets VALUES (1, 'Rex')")
      // The second row violates the primary key: the statement fails and the first row's notification goes with it.
      await expect(writer.query("INSERT INTO pets VALUES (2, 'Tom'), (1, 'dup')")).rejects.toMatchObject({ code: "23505" })
      await writer.query("SELECT pg_notify('inserted', 'direct')")
      // The extended protocol (parameters): a streamed SELECT whose notification counts once its rows are read.
      await writer.query("SELECT pg_notify($1, $2)", ["inserted", "with parameters"])

      await writer.query("BEGIN")
      await writer.query("NOTIFY tx, 'committed'")
      await writer.query("SELECT 1")
      const beforeCommit = [...seen]
      await writer.query("COMMIT")
      await writer.query("BEGIN; NOTIFY tx, 'rolled back'; ROLLBACK")
      await listener.query("UNLISTEN inserted")
      await writer.query("INSERT INTO pets VALUES (3, 'Nemo')")
      await writer.query("NOTIFY tx, 'last'")
      await new Promise((r) => setTimeout(r, 100))
      expect(beforeCommit).toEqual(["inserted:Rex", "inserted:direct", "inserted:with parameters"])
      expect(seen).toEqual(["inserted:Rex", "inserted:direct", "inserted:with parameters", "tx:committed", "tx:last"])
      await expect(writer.query("NOTIFY tx, '" + "x".repeat(8000) + "'")).rejects.toMatchObject({ code: "22023" })
    } finally {
      await listener.end()
      await writer.end()
    }
  })
})

describe("cancel with real drivers", () => {
  it("postgres.js query.cancel() during a slow query: 57014, and the connection goes on", async () => {
    // fetch_types: false, as the example has no pg_catalog.pg_type to read array types from.
    const sql = postgres({ host: "127.0.0.1", port: server.port, user: "tester", database: "tester", max: 1, fetch_types: false, onnotice: () => {} })
    try {
      const query = sql`select sleep(10) as slept`
      const t0 = performance.now()
      setTimeout(() => query.cancel(), 300)
      const error = await query.catch((e: { code?: string }) => e)
      expect(error).toMatchObject({ code: "57014" })
      expect(performance.now() - t0).toBeLessThan(5000)
      expect(await sql`select 7 as n`).toEqual([{ n: "7" }])
    } finally {
      await sql.end()
    }
  })

  it("JDBC: Statement.cancel() during a slow query (extended protocol) gives 57014 and the connection goes on; LISTEN/NOTIFY and pg_notify(?, ?); CopyManager", async () => {
    const source = join(dir, "JdbcCancel.java")
    writeFileSync(
      source,
      String.raw`
import java.sql.*;

public class JdbcCancel {
  public static void main(String[] args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/tester?user=tester&sslmode=disable")) {
      Statement st = c.createStatement();
      new Thread(() -> {
        try { Thread.sleep(500); st.cancel(); } catch (Exception e) { e.printStackTrace(); }
      }).start();
      long t0 = System.currentTimeMillis();
      try {
        st.executeQuery("SELECT sleep(10)");
        System.out.println("not cancelled");
      } catch (SQLException e) {
        System.out.println("state=" + e.getSQLState() + " ms=" + (System.currentTimeMillis() - t0));
      }
      try (ResultSet rs = c.createStatement().executeQuery("SELECT 41 + 1")) {
        rs.next();
        System.out.println("after=" + rs.getInt(1));
      }
      // LISTEN/NOTIFY through JDBC (extended protocol): the listener waits on its socket for the pushed notification.
      try (Connection l = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + args[0] + "/tester?user=tester&sslmode=disable")) {
        l.createStatement().execute("LISTEN jdbc_events");
        c.createStatement().execute("NOTIFY jdbc_events, 'from jdbc'");
        PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)");
        ps.setString(1, "jdbc_events");
        ps.setString(2, "with parameters");
        ps.executeQuery().close();
        org.postgresql.PGConnection pl = l.unwrap(org.postgresql.PGConnection.class);
        StringBuilder got = new StringBuilder();
        long deadline = System.currentTimeMillis() + 5000;
        while (got.length() == 0 || got.toString().split(";").length < 2) {
          org.postgresql.PGNotification[] ns = pl.getNotifications(1000);
          if (ns != null) for (org.postgresql.PGNotification n : ns) got.append(n.getName()).append(":").append(n.getParameter()).append(";");
          if (System.currentTimeMillis() > deadline) break;
        }
        System.out.println("notifications=" + got);
      }
      // CopyManager in and out.
      c.createStatement().execute("CREATE TABLE jdbc_copy (id INTEGER, name TEXT)");
      org.postgresql.copy.CopyManager cm = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
      long in = cm.copyIn("COPY jdbc_copy FROM STDIN WITH (FORMAT csv)", new java.io.StringReader("1,one\n2,\"t,wo\"\n"));
      java.io.StringWriter out = new java.io.StringWriter();
      long outRows = cm.copyOut("COPY jdbc_copy TO STDOUT", out);
      System.out.println("copy=" + in + "/" + outRows + "/" + out.toString().replace("\n", "|").replace("\t", ","));
    }
  }
}
`
    )
    const jar = "/usr/share/java/postgresql.jar"
    const compiled = await run("javac", ["-cp", jar, "-d", dir, source])
    expect(compiled.stderr).toBe("")
    const r = await run("java", ["-cp", `${jar}:${dir}`, "JdbcCancel", String(server.port)], { timeoutMs: 60_000 })
    expect(r.stderr).toBe("")
    const [state, after, notifications, copy] = r.stdout.trim().split("\n")
    expect(state).toMatch(/^state=57014 ms=\d+$/)
    expect(Number(state!.split("ms=")[1])).toBeLessThan(5000)
    expect(after).toBe("after=42")
    expect(notifications).toBe("notifications=jdbc_events:from jdbc;jdbc_events:with parameters;")
    expect(copy).toBe("copy=2/2/1,one|2,t,wo|")
  })
})
