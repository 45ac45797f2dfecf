import { Oid } from "@pgwire-ts/protocol"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Fs from "node:fs"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { psql, startServer } from "./support.js"

let server: Awaited<ReturnType<typeof startServer>>
let socketDir: string

beforeAll(async () => {
  socketDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-sock-"))
  server = await startServer({ auth: "scram-sha-256", unixSocketDir: socketDir, maxConnections: 20 })
})
afterAll(async () => {
  await server?.stop()
  Fs.rmSync(socketDir, { recursive: true, force: true })
})

const connString = (user = "alice", password = "alice-pw") => ({
  host: "127.0.0.1",
  port: server.port,
  user,
  password,
  database: "demo"
})

describe("psql over TCP", () => {
  it("runs several statements in one query string with SCRAM login", async () => {
    const r = await psql(["-h", "127.0.0.1", "-p", String(server.port), "-U", "alice", "-d", "demo", "-At", "-c", "select 1; whoami"], {
      PGPASSWORD: "alice-pw"
    })
    expect(r.stderr).toBe("")
    expect(r.code).toBe(0)
    // psql 15 prints every result of a multi-statement string.
    expect(r.stdout.trim().split("\n")).toEqual(["1", "alice|demo|SCRAM-SHA-256|none||3.0"])
  })

  it("reports an error with its SQLSTATE and continues with the next command", async () => {
    const r = await psql(
      ["-h", "127.0.0.1", "-p", String(server.port), "-U", "bob", "-d", "demo", "-At", "-v", "VERBOSITY=verbose", "-c", "bogus", "-c", "select 1"],
      { PGPASSWORD: "bob-pw" }
    )
    expect(r.stderr).toContain("ERROR:  42601: syntax error at or near \"bogus\"")
    expect(r.stdout.trim()).toBe("1")
  })

  it("a wrong password fails with the PostgreSQL message", async () => {
    const r = await psql(["-h", "127.0.0.1", "-p", String(server.port), "-U", "alice", "-d", "demo", "-c", "select 1"], {
      PGPASSWORD: "wrong"
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('password authentication failed for user "alice"')
  })

  it("connects over the Unix socket", async () => {
    expect(server.unixSocketPath).toBe(Path.join(socketDir, `.s.PGSQL.${server.port}`))
    const r = await psql(["-h", socketDir, "-p", String(server.port), "-U", "bob", "-At", "-c", "whoami"], {
      PGPASSWORD: "bob-pw"
    })
    expect(r.stderr).toBe("")
    // No database given: it defaults to the user name.
    expect(r.stdout.trim()).toBe("bob|bob|SCRAM-SHA-256|none||3.0")
    // An MD5-only user cannot log in with SCRAM (as in PostgreSQL), with the usual answer.
    const md5 = await psql(["-h", socketDir, "-p", String(server.port), "-U", "carol", "-c", "whoami"], { PGPASSWORD: "carol-pw" })
    expect(md5.stderr).toContain('password authentication failed for user "carol"')
  })
})

describe("psql with md5 and cleartext password auth", () => {
  it("logs in with each method and reports it", async () => {
    for (const auth of ["md5", "password"] as const) {
      const other = await startServer({ auth })
      try {
        const r = await psql(["-h", "127.0.0.1", "-p", String(other.port), "-U", "carol", "-d", "demo", "-At", "-c", "whoami"], {
          PGPASSWORD: "carol-pw"
        })
        expect(r.stderr).toBe("")
        expect(r.stdout.trim()).toBe(`carol|demo|${auth}|none||3.0`)
        const bad = await psql(["-h", "127.0.0.1", "-p", String(other.port), "-U", "carol", "-c", "whoami"], { PGPASSWORD: "x" })
        expect(bad.stderr).toContain('password authentication failed for user "carol"')
      } finally {
        await other.stop()
      }
    }
  })
})

describe("node-postgres over TCP", () => {
  it("queries, types, notices, transactions", async () => {
    const client = new pg.Client(connString())
    const notices: Array<string> = []
    client.on("notice", (n) => notices.push(`${n.severity} ${n.message}`))
    await client.connect()
    try {
      const r = await client.query("types")
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([
        ["i", Oid.int4],
        ["b", Oid.int8],
        ["t", Oid.text],
        ["ok", Oid.bool],
        ["f", Oid.float8],
        ["n", Oid.text]
      ])
      expect(r.rows).toEqual([{ i: 42, b: "9007199254740993", t: "héllo", ok: true, f: 2.5, n: null }])
      const many = await client.query("series 10000")
      expect(many.rowCount).toBe(10000)
      expect(many.rows[9999]).toEqual({ n: 10000 })
      await client.query("notice")
      expect(notices).toEqual(["WARNING careful"])
      await client.query("begin")
      const err = await client.query("nope").catch((e: unknown) => e as { code: string; position: string })
      expect(err).toMatchObject({ code: "42601", position: "1" })
      await client.query("rollback")
      const multi = (await client.query("select 1; insert")) as unknown as Array<{ command: string; rowCount: number }>
      expect(multi.map((x) => [x.command, x.rowCount])).toEqual([
        ["SELECT", 1],
        ["INSERT", 1]
      ])
    } finally {
      await client.end()
    }
  })

  it("wrong password and unknown user both give 28P01", async () => {
    for (const [user, password] of [
      ["alice", "nope"],
      ["nobody", "nope"],
      ["bob", "nope"],
      ["carol", "nope"]
    ] as const) {
      const client = new pg.Client(connString(user, password))
      const err = (await client.connect().catch((e: unknown) => e)) as { code?: string; message?: string }
      expect(err.code).toBe("28P01")
      expect(err.message).toBe(`password authentication failed for user "${user}"`)
    }
  })

  it("twenty concurrent clients, and the 21st is refused with 53300", async () => {
    const clients = Array.from({ length: 20 }, () => new pg.Client(connString("bob", "bob-pw")))
    await Promise.all(clients.map((c) => c.connect()))
    try {
      const results = await Promise.all(clients.map((c) => c.query("series 100")))
      expect(results.every((r) => r.rowCount === 100)).toBe(true)
      const extra = new pg.Client(connString("bob", "bob-pw"))
      const err = (await extra.connect().catch((e: unknown) => e)) as { code?: string }
      expect(err.code).toBe("53300")
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })
})

describe("raw TCP", () => {
  it("garbage gets FATAL 08P01 and the server keeps serving", async () => {
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = Net.connect(server.port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
      const parts: Array<Buffer> = []
      s.on("data", (d) => parts.push(d))
      s.on("close", () => resolve(Buffer.concat(parts)))
      s.on("error", reject)
    })
    expect(reply[0]).toBe(0x45) // 'E'
    expect(reply.toString("latin1")).toContain("C08P01")
    const client = new pg.Client(connString())
    await client.connect()
    expect((await client.query("select 1")).rows).toEqual([{ one: 1 }])
    await client.end()
  })
})
