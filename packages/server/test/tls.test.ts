import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Tls from "node:tls"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Certificates, makeCertificates } from "../../../test-support/certs.mjs"
import { makeTestClient } from "../src/testing/TestClient.js"
import { psql, startServer } from "./support.js"

let certs: Certificates
let dir: string
let tls: Awaited<ReturnType<typeof startServer>>
let required: Awaited<ReturnType<typeof startServer>>
let cert: Awaited<ReturnType<typeof startServer>>

beforeAll(async () => {
  dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-tls-"))
  certs = await makeCertificates(dir, { clients: ["alice", "mallory"] })
  const tlsOptions = { cert: Fs.readFileSync(certs.certFile), key: Fs.readFileSync(certs.keyFile) }
  tls = await startServer({ auth: "scram-sha-256", tls: tlsOptions })
  required = await startServer({ auth: "scram-sha-256", tls: { ...tlsOptions, required: true } })
  cert = await startServer({ auth: "cert", tls: { ...tlsOptions, ca: Fs.readFileSync(certs.caFile), requestCert: true } })
}, 60_000)

afterAll(async () => {
  await Promise.all([tls?.stop(), required?.stop(), cert?.stop()])
  Fs.rmSync(dir, { recursive: true, force: true })
})

const psqlArgs = (port: number, user: string, extra: string) => [
  "-At",
  "-c",
  "whoami",
  `host=127.0.0.1 port=${port} user=${user} dbname=demo ${extra}`
]

describe("TLS after SSLRequest", () => {
  it("psql sslmode=require uses SCRAM-SHA-256-PLUS (channel binding)", async () => {
    const r = await psql(psqlArgs(tls.port, "alice", "sslmode=require channel_binding=require"), { PGPASSWORD: "alice-pw" })
    expect(r.stderr).toBe("")
    expect(r.stdout.trim()).toBe("alice|demo|SCRAM-SHA-256-PLUS|SSLRequest||3.0")
  })

  it("psql verify-full with the CA, SNI visible to the handler", async () => {
    const r = await psql(psqlArgs(tls.port, "alice", `sslmode=verify-full sslrootcert=${certs.caFile}`).map((a) => a.replace("host=127.0.0.1", "host=localhost hostaddr=127.0.0.1")), {
      PGPASSWORD: "alice-pw"
    })
    expect(r.stderr).toBe("")
    expect(r.stdout.trim()).toBe("alice|demo|SCRAM-SHA-256-PLUS|SSLRequest|localhost|3.0")
  })

  it("psql without TLS on a TLS-capable server: plain SCRAM", async () => {
    const r = await psql(psqlArgs(tls.port, "bob", "sslmode=disable"), { PGPASSWORD: "bob-pw" })
    expect(r.stdout.trim()).toBe("bob|demo|SCRAM-SHA-256|none||3.0")
  })

  it("node-postgres over TLS", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: tls.port, user: "alice", password: "alice-pw", database: "demo", ssl: { rejectUnauthorized: false } })
    await client.connect()
    const r = await client.query("whoami")
    // node-postgres does not do channel binding unless asked: it picks plain SCRAM over TLS.
    expect(r.rows[0]).toMatchObject({ user: "alice", tls: "SSLRequest" })
    expect(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]).toContain(r.rows[0].auth)
    await client.end()
  })

  it("bytes sent after SSLRequest before the answer are refused (CVE-2021-23214)", async () => {
    const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])
    const startup = Buffer.from([0, 0, 0, 8, 0, 3, 0, 0])
    const reply = await rawExchange(tls.port, Buffer.concat([ssl, startup]))
    expect(reply[0]).toBe(0x45)
    expect(reply.toString("latin1")).toContain("C08P01")
    expect(reply.toString("latin1")).toContain("unencrypted data after SSL request")
  })
})

describe("direct TLS (sslnegotiation=direct)", () => {
  const directClient = (alpn: ReadonlyArray<string> | undefined) =>
    Effect.gen(function* () {
      const socket = yield* NodeSocket.fromDuplex(
        Effect.async<Tls.TLSSocket>((resume) => {
          const s = Tls.connect({
            host: "127.0.0.1",
            port: tls.port,
            servername: "db.example",
            rejectUnauthorized: false,
            ...(alpn ? { ALPNProtocols: [...alpn] } : {})
          })
          s.once("secureConnect", () => resume(Effect.succeed(s)))
          s.once("error", (e) => resume(Effect.die(e)))
        })
      )
      return yield* makeTestClient(socket)
    })

  it("a TLS ClientHello with ALPN postgresql starts a session", async () => {
    const row = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const c = yield* directClient(["postgresql"])
          yield* c.startup({ user: "bob", password: "bob-pw", protocol: { major: 3, minor: 2 } })
          const out = yield* c.query("whoami")
          return out.results[0]
        })
      )
    )
    expect(row).toMatchObject({ rows: [["bob", "bob", "SCRAM-SHA-256", "direct", "db.example", "3.2"]] })
  })

  it("without ALPN the connection is closed", async () => {
    const exit = await Effect.runPromiseExit(
      Effect.scoped(
        Effect.gen(function* () {
          const c = yield* directClient(undefined)
          return yield* c.startup({ user: "bob", password: "bob-pw" })
        })
      )
    )
    expect(exit._tag).toBe("Failure")
  })
})

describe("TLS required", () => {
  it("a plaintext startup gets FATAL 28000", async () => {
    const client = new pg.Client({ host: "127.0.0.1", port: required.port, user: "alice", password: "alice-pw" })
    const err = (await client.connect().catch((e: unknown) => e)) as { code?: string; message?: string }
    expect(err.code).toBe("28000")
    expect(err.message).toContain("no encryption")
  })

  it("psql with sslmode=require succeeds", async () => {
    const r = await psql(psqlArgs(required.port, "alice", "sslmode=require"), { PGPASSWORD: "alice-pw" })
    expect(r.stdout.trim()).toBe("alice|demo|SCRAM-SHA-256-PLUS|SSLRequest||3.0")
  })
})

describe("client certificate auth", () => {
  it("the certificate CN must equal the user", async () => {
    const ok = await psql(
      psqlArgs(cert.port, "alice", `sslmode=require sslcert=${certs.clients["alice"]!.certFile} sslkey=${certs.clients["alice"]!.keyFile}`)
    )
    expect(ok.stderr).toBe("")
    expect(ok.stdout.trim()).toBe("alice|demo|cert|SSLRequest||3.0")
    const wrong = await psql(
      psqlArgs(cert.port, "alice", `sslmode=require sslcert=${certs.clients["mallory"]!.certFile} sslkey=${certs.clients["mallory"]!.keyFile}`)
    )
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('certificate authentication failed for user "alice"')
    const none = await psql(psqlArgs(cert.port, "alice", "sslmode=require"))
    expect(none.stderr).toContain("connection requires a valid client certificate")
    // A certificate for the right CN from another CA is not accepted.
    const other = await makeCertificates(Path.join(dir, "other"), { clients: ["alice"] })
    const forged = await psql(
      psqlArgs(cert.port, "alice", `sslmode=require sslcert=${other.clients["alice"]!.certFile} sslkey=${other.clients["alice"]!.keyFile}`)
    )
    expect(forged.stderr).toContain("connection requires a valid client certificate")
  })
})

const rawExchange = (port: number, bytes: Uint8Array) =>
  new Promise<Buffer>((resolve, reject) => {
    const s = Net.connect(port, "127.0.0.1", () => s.write(bytes))
    const parts: Array<Buffer> = []
    s.on("data", (d) => parts.push(d))
    s.on("close", () => resolve(Buffer.concat(parts)))
    s.on("error", reject)
  })
