import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Server } from "@pgwire-ts/server"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Certificates, makeCertificates } from "../../../test-support/certs.mjs"
import { layer } from "../src/TlsServer.js"

interface PsqlResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** psql with a libpq connection string; unaligned tuples only; never rejects. */
const psql = (conninfo: string, sql: string): Promise<PsqlResult> =>
  new Promise((resolve) => {
    execFile(
      "psql",
      ["-X", "-A", "-t", "-c", sql, conninfo],
      { env: { ...process.env, PGCONNECT_TIMEOUT: "10" }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  })

const dir = mkdtempSync(join(tmpdir(), "pgwire-tls-"))
let certs: Certificates
let otherCa: Certificates

beforeAll(async () => {
  certs = await makeCertificates(join(dir, "good"), { cn: "localhost", sans: ["localhost", "127.0.0.1"] })
  otherCa = await makeCertificates(join(dir, "other"), { cn: "localhost", sans: ["localhost", "127.0.0.1"] })
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("TLS-required server (in-process)", () => {
  let port = 0
  const scope = Effect.runSync(Scope.make())
  beforeAll(async () => {
    const context = await Effect.runPromise(
      Layer.buildWithScope(layer({ port: 0, tls: { certFile: certs.certFile, keyFile: certs.keyFile } }), scope)
    )
    port = Context.get(context, Server).address.port
  })
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)))

  it("psql sslmode=verify-full against the test CA: the session is encrypted and sees its SNI", async () => {
    const r = await psql(
      `host=localhost hostaddr=127.0.0.1 port=${port} user=alice dbname=app sslmode=verify-full sslrootcert=${certs.caFile}`,
      "SELECT 1"
    )
    expect(r.stderr).toBe("")
    const [user, ssl, version, cipher, sni, negotiation] = r.stdout.trim().split("|")
    expect({ user, ssl, sni, negotiation }).toEqual({ user: "alice", ssl: "t", sni: "localhost", negotiation: "SSLRequest" })
    expect(version).toMatch(/^TLSv1\.[23]$/)
    expect(cipher).not.toBe("")
  })

  it("a plaintext session is refused with FATAL 28000", async () => {
    const r = await psql(`host=127.0.0.1 port=${port} user=alice dbname=app sslmode=disable`, "SELECT 1")
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/FATAL:.*no encryption/)
    const client = new pg.Client({ host: "127.0.0.1", port, user: "alice", database: "app", ssl: false })
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toMatchObject({ code: "28000", severity: "FATAL" })
  })

  it("verify-full rejects a server certificate from another CA or for another host name", async () => {
    const wrongCa = await psql(
      `host=localhost hostaddr=127.0.0.1 port=${port} user=alice dbname=app sslmode=verify-full sslrootcert=${otherCa.caFile}`,
      "SELECT 1"
    )
    expect(wrongCa.code).not.toBe(0)
    expect(wrongCa.stderr).toMatch(/certificate verify failed/)
    const wrongHost = await psql(
      `host=db.example.org hostaddr=127.0.0.1 port=${port} user=alice dbname=app sslmode=verify-full sslrootcert=${certs.caFile}`,
      "SELECT 1"
    )
    expect(wrongHost.code).not.toBe(0)
    expect(wrongHost.stderr).toMatch(/does not match host name "db\.example\.org"/)
  })

  it("node-postgres verifies the certificate against the CA too", async () => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port,
      user: "bob",
      database: "app",
      ssl: { ca: await readFile(certs.caFile, "utf8"), servername: "localhost" }
    })
    await client.connect()
    try {
      const r = await client.query("SELECT 1")
      expect(r.rows[0]).toMatchObject({ user: "bob", ssl: true, sni: "localhost" })
    } finally {
      await client.end()
    }
  })
})

/** Starts dist/main.js (built by `tsc -b`) and resolves with its port once it prints `listening on`. */
const startMain = (args: ReadonlyArray<string>): Promise<{ child: ChildProcess; port: number }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL("../dist/main.js", import.meta.url)), ...args], { stdio: ["ignore", "pipe", "pipe"] })
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

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on("exit", (code) => resolve(code))))

describe("the command: node dist/main.js --tls-cert --tls-key", () => {
  it("serves verify-full psql sessions from certificate files given by path, stops on SIGTERM", async () => {
    const { child, port } = await startMain(["--port", "0", "--tls-cert", certs.certFile, "--tls-key", certs.keyFile])
    try {
      const r = await psql(
        `host=localhost hostaddr=127.0.0.1 port=${port} user=carol dbname=app sslmode=verify-full sslrootcert=${certs.caFile}`,
        "SELECT 1"
      )
      expect(r.stderr).toBe("")
      expect(r.stdout).toMatch(/^carol\|t\|TLSv1\.[23]\|/)
      const plain = await psql(`host=127.0.0.1 port=${port} user=carol dbname=app sslmode=disable`, "SELECT 1")
      expect(plain.stderr).toMatch(/no encryption/)
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exitOf(child)).not.toBeNull()
  })

  it("a missing certificate file: a clear message and exit code 1", async () => {
    const error = await startMain(["--port", "0", "--tls-cert", join(dir, "nope.crt"), "--tls-key", certs.keyFile]).then(
      () => undefined,
      (e: Error) => e.message
    )
    expect(error).toMatch(/exited with 1: server failed: cannot read the certificate .*nope\.crt/)
  })

  it("without --tls-key: usage and exit code 2", async () => {
    const error = await startMain(["--tls-cert", certs.certFile]).then(
      () => undefined,
      (e: Error) => e.message
    )
    expect(error).toMatch(/exited with 2: --tls-key is required/)
  })
})
