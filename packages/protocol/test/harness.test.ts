// Proves the throwaway-PostgreSQL harness (test-support/postgres.mjs) by using it:
// every default role logs in with its method, TLS verifies against the returned CA,
// a wrong password is refused, and stop() removes the cluster.
import fs from "node:fs"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startPostgres, type PostgresCluster } from "../../../test-support/postgres.mjs"
import { freePort } from "../../../test-support/net.mjs"

let cluster: PostgresCluster

beforeAll(async () => {
  cluster = await startPostgres({ tls: true, logical: true })
}, 60_000)
afterAll(async () => {
  await cluster?.stop()
})

async function queryAs(config: pg.ClientConfig, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ host: cluster.host, port: cluster.port, database: "postgres", ...config })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

describe("startPostgres", () => {
  it("listens on 127.0.0.1 and the socket dir", async () => {
    expect(cluster.host).toBe("127.0.0.1")
    expect(fs.existsSync(`${cluster.socketDir}/.s.PGSQL.${cluster.port}`)).toBe(true)
    expect((await cluster.psql("SHOW listen_addresses")).trim()).toBe("127.0.0.1")
    expect((await cluster.psql("SHOW wal_level")).trim()).toBe("logical")
  })

  it.each([
    ["scram_user", "scram_pass", "SCRAM-SHA-256$"],
    ["md5_user", "md5_pass", "md5"],
    ["password_user", "password_pass", "SCRAM-SHA-256$"]
  ])("logs in %s with its password", async (user, password, stored) => {
    const rows = await queryAs({ user, password, ssl: false }, "SELECT current_user AS u")
    expect(rows[0]!.u).toBe(user)
    const hash = await cluster.psql(`SELECT rolpassword FROM pg_authid WHERE rolname = '${user}'`)
    expect(hash.startsWith(stored)).toBe(true)
  })

  it("uses the method named in pg_hba for each role", async () => {
    const rules = await cluster.psql(
      "SELECT type || ' ' || array_to_string(database, ',') || ' ' || array_to_string(user_name, ',') || ' ' || auth_method FROM pg_hba_file_rules WHERE type = 'host' AND 'all' = ANY(database)"
    )
    expect(rules.trim().split("\n")).toEqual([
      "host all postgres trust",
      "host all scram_user scram-sha-256",
      "host all md5_user md5",
      "host all password_user password",
      "host all trust_user trust",
      "host all repl_user scram-sha-256"
    ])
  })

  it("refuses a wrong password with 28P01", async () => {
    await expect(queryAs({ user: "scram_user", password: "nope", ssl: false }, "SELECT 1")).rejects.toMatchObject({ code: "28P01" })
  })

  it("logs in trust_user without a password, and builds URLs", async () => {
    const rows = await queryAs({ user: "trust_user", ssl: false }, "SELECT current_user AS u")
    expect(rows[0]!.u).toBe("trust_user")
    const url = cluster.url("scram_user")
    expect(url).toBe(`postgresql://scram_user:scram_pass@127.0.0.1:${cluster.port}/postgres`)
    const rows2 = await queryAs({ connectionString: url }, "SELECT current_database() AS d")
    expect(rows2[0]!.d).toBe("postgres")
  })

  it("serves TLS that verifies against the returned CA (verify-full on 127.0.0.1)", async () => {
    const ca = fs.readFileSync(cluster.caFile!)
    const rows = await queryAs(
      { user: "scram_user", password: "scram_pass", ssl: { ca, rejectUnauthorized: true } },
      "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    )
    expect(rows[0]!.ssl).toBe(true)
  })

  it("authenticates cert_user by its client certificate", async () => {
    const files = cluster.clientCerts!["cert_user"]!
    const rows = await queryAs(
      {
        user: "cert_user",
        ssl: { ca: fs.readFileSync(cluster.caFile!), cert: fs.readFileSync(files.certFile), key: fs.readFileSync(files.keyFile) }
      },
      "SELECT current_user AS u"
    )
    expect(rows[0]!.u).toBe("cert_user")
  })

  it("gives repl_user the REPLICATION attribute", async () => {
    expect((await cluster.psql("SELECT rolreplication FROM pg_roles WHERE rolname = 'repl_user'")).trim()).toBe("t")
  })
})

describe("stop", () => {
  it("kills the server and deletes its directory", async () => {
    const other = await startPostgres({ defaultUsers: false, settings: { max_connections: "20" } })
    expect((await other.psql("SHOW max_connections")).trim()).toBe("20")
    expect(Object.keys(other.users)).toEqual(["postgres"])
    await other.stop()
    await other.stop()
    expect(fs.existsSync(other.socketDir)).toBe(false)
    await expect(queryAs({ port: other.port, user: "postgres", ssl: false }, "SELECT 1")).rejects.toThrow()
  }, 60_000)

  it("freePort gives a bindable loopback port", async () => {
    const port = await freePort()
    expect(port).toBeGreaterThan(0)
    expect(port).toBeLessThan(65536)
  })
})
