import { Server } from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Certificates, makeCertificates } from "../../../test-support/certs.mjs"
import { layer } from "../src/ScramServer.js"

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string, args: ReadonlyArray<string>, options: { env?: Record<string, string>; input?: string } = {}): Promise<Run> =>
  new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, PGCONNECT_TIMEOUT: "10", ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
    child.stdin!.end(options.input ?? "")
  })

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))
const addUser = (args: ReadonlyArray<string>, input?: string) =>
  run(process.execPath, [dist("add-user.js"), ...args], input === undefined ? {} : { input })

const psql = (conninfo: string, password: string) =>
  run("psql", ["-X", "-A", "-t", "-c", "SELECT 1", conninfo], { env: { PGPASSWORD: password } })

// libpq through psycopg2 (Debian's python3: the one on PATH may lack the module).
const PSYCOPG2 = `
import sys, psycopg2
try:
    conn = psycopg2.connect(sys.argv[1])
    cur = conn.cursor()
    cur.execute("SELECT 1")
    print("OK|" + "|".join(str(v) for v in cur.fetchone()))
    conn.close()
except psycopg2.OperationalError as e:
    print("ERR|" + " ".join(str(e).split()))
`
const psycopg2 = (conninfo: string) => run("/usr/bin/python3", ["-c", PSYCOPG2, conninfo]).then((r) => r.stdout.trim() || r.stderr)

const dir = mkdtempSync(join(tmpdir(), "pgwire-scram-"))
const usersFile = join(dir, "users.txt")
let certs: Certificates

beforeAll(async () => {
  certs = await makeCertificates(join(dir, "certs"), { cn: "localhost", sans: ["localhost", "127.0.0.1"] })
  // The command from the README, both ways of giving the password.
  const a = await addUser(["--file", usersFile, "--user", "alice"], "correct horse\n")
  expect(a.stderr).toBe("")
  expect(a.stdout).toBe(`alice: SCRAM-SHA-256 verifier written to ${usersFile}\n`)
  const b = await addUser(["--file", usersFile, "--user", "bob", "--password", "s3cret-bob"])
  expect(b.code).toBe(0)
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("add-user", () => {
  it("writes SCRAM verifiers only, never the password", () => {
    const text = readFileSync(usersFile, "utf8")
    expect(text).toMatch(/^"alice" "SCRAM-SHA-256\$4096:[^"]+"\n"bob" "SCRAM-SHA-256\$4096:[^"]+"\n$/)
    expect(text).not.toContain("correct horse")
    expect(text).not.toContain("s3cret-bob")
  })

  it("refuses an empty password and a missing --user", async () => {
    const empty = await addUser(["--file", usersFile, "--user", "carol"], "\n")
    expect(empty.code).toBe(2)
    expect(empty.stderr).toMatch(/the password is empty/)
    const noUser = await addUser(["--file", usersFile, "--password", "x"])
    expect(noUser.code).toBe(2)
    expect(noUser.stderr).toMatch(/--user is required/)
  })
})

describe("SCRAM server (in-process, TLS optional for clients)", () => {
  let port = 0
  const scope = Effect.runSync(Scope.make())
  beforeAll(async () => {
    const tls = { cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }
    const context = await Effect.runPromise(Layer.buildWithScope(layer({ port: 0, usersFile, tls }), scope))
    port = Context.get(context, Server).address.port
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  const plain = (user: string) => `host=127.0.0.1 port=${port} user=${user} dbname=app sslmode=disable`
  const tls = (user: string) =>
    `host=localhost hostaddr=127.0.0.1 port=${port} user=${user} dbname=app sslmode=verify-full sslrootcert=${certs.caFile} channel_binding=require`

  it("psql: SCRAM-SHA-256 without TLS, SCRAM-SHA-256-PLUS with channel_binding=require over TLS", async () => {
    const r1 = await psql(plain("alice"), "correct horse")
    expect(r1.stderr).toBe("")
    expect(r1.stdout.trim()).toBe("alice|SCRAM-SHA-256|f")
    const r2 = await psql(tls("bob"), "s3cret-bob")
    expect(r2.stderr).toBe("")
    expect(r2.stdout.trim()).toBe("bob|SCRAM-SHA-256-PLUS|t")
  })

  it("psql: a wrong password and an unknown user fail alike", async () => {
    const wrong = await psql(plain("alice"), "wrong")
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toMatch(/FATAL: {2}password authentication failed for user "alice"/)
    const unknown = await psql(tls("mallory"), "whatever")
    expect(unknown.stderr).toMatch(/FATAL: {2}password authentication failed for user "mallory"/)
  })

  it("psycopg2: SCRAM, SCRAM-PLUS, and the wrong password", async () => {
    expect(await psycopg2(`${plain("alice")} password='correct horse'`)).toBe("OK|alice|SCRAM-SHA-256|False")
    expect(await psycopg2(`${tls("alice")} password='correct horse'`)).toBe("OK|alice|SCRAM-SHA-256-PLUS|True")
    expect(await psycopg2(`${tls("alice")} password='nope'`)).toMatch(/^ERR\|.*password authentication failed for user "alice"/)
  })

  it("node-postgres: the wrong password is SQLSTATE 28P01", async () => {
    const bad = new pg.Client({ host: "127.0.0.1", port, user: "bob", password: "nope", database: "app" })
    await expect(bad.connect()).rejects.toMatchObject({ code: "28P01", severity: "FATAL" })
    const good = new pg.Client({ host: "127.0.0.1", port, user: "bob", password: "s3cret-bob", database: "app" })
    await good.connect()
    expect((await good.query("SELECT 1")).rows).toEqual([{ user: "bob", auth_method: "SCRAM-SHA-256", ssl: false }])
    await good.end()
  })

  it("a user added while the server runs can log in at once; a broken file keeps the last good users", async () => {
    expect((await addUser(["--file", usersFile, "--user", "dave", "--password", "dave-pw"])).code).toBe(0)
    expect((await psql(plain("dave"), "dave-pw")).stdout.trim()).toBe("dave|SCRAM-SHA-256|f")
    const good = readFileSync(usersFile, "utf8")
    try {
      writeFileSync(usersFile, `${good}"eve" "plaintext-password"\n`)
      const eve = await psql(plain("eve"), "plaintext-password")
      expect(eve.stderr).toMatch(/password authentication failed for user "eve"/)
      expect((await psql(plain("dave"), "dave-pw")).stdout.trim()).toBe("dave|SCRAM-SHA-256|f")
    } finally {
      writeFileSync(usersFile, good)
    }
  })
})

describe("the command: node dist/main.js --users", () => {
  const startMain = (args: ReadonlyArray<string>): Promise<{ child: ChildProcess; port: number }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [dist("main.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] })
      let out = ""
      let err = ""
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString()
        const m = /listening on [^\s]+:(\d+)/.exec(out)
        if (m !== null) resolve({ child, port: Number(m[1]) })
      })
      child.stderr!.on("data", (d: Buffer) => (err += d.toString()))
      child.on("exit", (code) => reject(new Error(`main.js exited with ${code}: ${err}`)))
    })

  it("serves SCRAM-SHA-256-PLUS with the certificate files given", async () => {
    const { child, port } = await startMain(["--port", "0", "--users", usersFile, "--tls-cert", certs.certFile, "--tls-key", certs.keyFile])
    try {
      const r = await psql(
        `host=localhost hostaddr=127.0.0.1 port=${port} user=alice dbname=app sslmode=verify-full sslrootcert=${certs.caFile} channel_binding=require`,
        "correct horse"
      )
      expect(r.stdout.trim()).toBe("alice|SCRAM-SHA-256-PLUS|t")
    } finally {
      child.kill("SIGTERM")
    }
  })

  it("a users file with a plaintext password: the server does not start", async () => {
    const bad = join(dir, "plain.txt")
    writeFileSync(bad, `"alice" "hunter2"\n`)
    const error = await startMain(["--port", "0", "--users", bad]).then(
      () => "started",
      (e: Error) => e.message
    )
    expect(error).toMatch(/exited with 1: server failed: .*plain\.txt:1: the secret of "alice" is not a SCRAM-SHA-256 verifier/)
  })
})
