// Opening connections to a real PostgreSQL 15: every authentication method, TLS (SSLRequest and
// direct with ALPN, verify-ca/verify-full, client certificates), channel binding, require_auth,
// protocol 3.2 negotiated down to 3.0, Unix sockets, and the typed errors of each failure.
import { Client, type ClientOptions, PgConnectionError } from "@pgwire-ts/client"
import { Effect } from "effect"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import tls from "node:tls"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeCertificates } from "../../../test-support/certs.mjs"
import { freePort } from "../../../test-support/net.mjs"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import { failure, withClient } from "./support.js"

let cluster: PostgresCluster
let otherCa: Awaited<ReturnType<typeof makeCertificates>>
let tmp: string
const servers: Array<net.Server> = []

beforeAll(async () => {
  cluster = await startPostgres({ tls: true })
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-client-certs-"))
  // A second CA whose server certificate names only wrong.example.
  otherCa = await makeCertificates(tmp, { cn: "wrong.example", sans: ["wrong.example"] })
}, 90_000)

afterAll(async () => {
  for (const s of servers) s.close()
  await cluster?.stop()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

const base = (user: string, extra: ClientOptions = {}): ClientOptions => ({
  host: cluster.host,
  port: cluster.port,
  user,
  database: "postgres",
  ...(cluster.users[user]?.password !== undefined ? { password: cluster.users[user]!.password } : {}),
  ...extra
})

/** current_user, whether the session is encrypted, and the auth method the server logged for it. */
const whoAmI = (config: ClientOptions) =>
  withClient(config, (client) =>
    Effect.map(
      client.execute("SELECT current_user AS u, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
      (r) => ({ user: r.rows[0]!.u, ssl: r.rows[0]!.ssl, clientTls: client.tls, protocol: client.protocolVersion })
    ))

const connectError = async (config: string | ClientOptions): Promise<PgConnectionError> => {
  const e = await failure(Client.connect(config))
  expect(e).toBeInstanceOf(PgConnectionError)
  return e
}

const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve) => {
    servers.push(server)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port))
  })

/** A TLS terminator in front of PostgreSQL: what a server speaking direct TLS (PostgreSQL 17+) looks like to a client. */
const directTlsProxy = (files: { certFile: string; keyFile: string }, alpn: boolean) => {
  const offered: Array<Array<string> | undefined> = []
  const server = tls.createServer(
    {
      cert: fs.readFileSync(files.certFile),
      key: fs.readFileSync(files.keyFile),
      ...(alpn ? { ALPNProtocols: ["postgresql"] } : {})
    },
    (secure) => {
      const upstream = net.connect(cluster.port, cluster.host)
      secure.pipe(upstream).pipe(secure)
      secure.on("error", () => upstream.destroy())
      upstream.on("error", () => secure.destroy())
    }
  )
  server.on("tlsClientError", () => {})
  // Record the ALPN list each client offered.
  server.prependListener("secureConnection", (s: tls.TLSSocket) => offered.push(s.alpnProtocol ? [s.alpnProtocol] : undefined))
  return { listening: listen(server), offered }
}

/** A plain TCP front that answers SSLRequest itself (`answer`), then relays to PostgreSQL. */
const sslAnsweringProxy = (answer: Buffer) =>
  listen(net.createServer((socket) => {
    socket.once("data", (first) => {
      const isSslRequest = first.length >= 8 && first.readInt32BE(4) === 80877103
      socket.write(answer)
      if (answer[0] !== 0x4e) return
      const upstream = net.connect(cluster.port, cluster.host, () => {
        if (!isSslRequest) upstream.write(first)
        else if (first.length > 8) upstream.write(first.subarray(8))
        socket.pipe(upstream).pipe(socket)
      })
      upstream.on("error", () => socket.destroy())
      socket.on("error", () => upstream.destroy())
    })
  }))

describe("authentication methods", () => {
  it.each([
    ["trust_user", "trust"],
    ["password_user", "cleartext password"],
    ["md5_user", "MD5"],
    ["scram_user", "SCRAM-SHA-256"]
  ])("%s logs in with %s over plain TCP", async (user) => {
    expect(await whoAmI(base(user, { sslmode: "disable" }))).toMatchObject({ user, ssl: false, clientTls: false })
  })

  it.each(["trust_user", "password_user", "md5_user", "scram_user"])("%s logs in over TLS verified against the CA (verify-full)", async (user) => {
    expect(await whoAmI(base(user, { sslmode: "verify-full", sslrootcert: cluster.caFile! }))).toMatchObject({ user, ssl: true, clientTls: true })
  })

  it("uses SCRAM-SHA-256-PLUS over TLS: channel_binding=require succeeds only with it", async () => {
    for (const host of ["localhost", "127.0.0.1"]) {
      expect(await whoAmI(base("scram_user", { host, sslmode: "verify-full", sslrootcert: cluster.caFile!, channelBinding: "require" }))).toMatchObject({
        user: "scram_user",
        ssl: true
      })
    }
    // And without binding when asked not to.
    expect(await whoAmI(base("scram_user", { sslmode: "require", channelBinding: "disable" }))).toMatchObject({ ssl: true })
  })

  it("authenticates cert_user by its client certificate", async () => {
    const files = cluster.clientCerts!["cert_user"]!
    expect(
      await whoAmI({
        host: "localhost",
        port: cluster.port,
        user: "cert_user",
        database: "postgres",
        sslmode: "verify-full",
        sslrootcert: cluster.caFile!,
        sslcert: files.certFile,
        sslkey: files.keyFile
      })
    ).toMatchObject({ user: "cert_user", ssl: true })
  })

  it("accepts a connection URL and a keyword/value string", async () => {
    expect(await whoAmI(`${cluster.url("md5_user")}?sslmode=disable` as never)).toMatchObject({ user: "md5_user" })
    const kv = `host=${cluster.host} port=${cluster.port} user=scram_user password='scram_pass' dbname=postgres sslmode=require application_name='kv test'`
    const r = await withClient(kv, (c) => c.execute("SELECT current_setting('application_name') AS a"))
    expect(r.rows[0]!.a).toBe("kv test")
  })
})

describe("authentication failures", () => {
  it("a wrong password fails with reason Auth and the server's 28P01", async () => {
    for (const user of ["scram_user", "md5_user", "password_user"]) {
      const e = await connectError(base(user, { password: "wrong", sslmode: "disable" }))
      expect(e.reason).toBe("Auth")
      expect(e.code).toBe("28P01")
      expect(e.fields?.severity).toBe("FATAL")
      expect(e.message).toContain(user)
    }
  })

  it("a missing password fails before anything is sent", async () => {
    const e = await connectError({ ...base("scram_user", { sslmode: "disable" }), password: undefined })
    expect(e.reason).toBe("Auth")
    expect(e.message).toContain("none was given")
  })

  it("require_auth refuses a method it does not list, whatever the server wants", async () => {
    const cleartext = await connectError(base("password_user", { sslmode: "disable", requireAuth: "scram-sha-256" }))
    expect(cleartext.reason).toBe("AuthMethodNotAllowed")
    expect(cleartext.message).toContain('"password"')
    const md5 = await connectError(base("md5_user", { sslmode: "disable", requireAuth: "!md5" }))
    expect(md5.reason).toBe("AuthMethodNotAllowed")
    const none = await connectError(base("trust_user", { sslmode: "disable", requireAuth: "scram-sha-256,md5" }))
    expect(none.reason).toBe("AuthMethodNotAllowed")
    expect(none.message).toContain("no authentication")
    // Allowed methods still work.
    expect(await whoAmI(base("scram_user", { sslmode: "disable", requireAuth: "!password,!md5" }))).toMatchObject({ user: "scram_user" })
  })

  it("channel_binding=require refuses cleartext, MD5, trust, and SCRAM without TLS", async () => {
    for (const user of ["password_user", "md5_user", "trust_user"]) {
      const e = await connectError(base(user, { sslmode: "require", channelBinding: "require" }))
      expect(e.reason).toBe("AuthMethodNotAllowed")
      expect(e.message).toContain("channel binding is required")
    }
  })

  it("an unknown role or database fails with reason Startup or Auth and the server's code", async () => {
    const db = await connectError(base("trust_user", { sslmode: "disable", database: "no_such_db" }))
    expect(db).toMatchObject({ reason: "Startup", code: "3D000" })
    const role = await connectError(base("no_such_role", { sslmode: "disable" }))
    expect(role.reason).toBe("Auth")
    expect(role.code).toBe("28000")
  })
})

describe("TLS", () => {
  it("verify-full refuses a server whose CA we do not trust", async () => {
    const e = await connectError(base("scram_user", { sslmode: "verify-full", sslrootcert: otherCa.caFile }))
    expect(e.reason).toBe("Tls")
  })

  it("takes the CA as PEM text too (sslca)", async () => {
    const ca = fs.readFileSync(cluster.caFile!, "utf8")
    expect(await whoAmI(base("scram_user", { sslmode: "verify-full", sslca: ca }))).toMatchObject({ ssl: true })
  })

  it("a missing sslrootcert file is a Config error", async () => {
    expect((await connectError(base("scram_user", { sslmode: "verify-full", sslrootcert: path.join(tmp, "nope.pem") }))).reason).toBe("Config")
  })

  it("direct TLS (sslnegotiation=direct) sends a TLS handshake first with ALPN postgresql", async () => {
    const proxy = directTlsProxy({ certFile: cluster.certFile!, keyFile: cluster.keyFile! }, true)
    const port = await proxy.listening
    const r = await whoAmI(base("scram_user", { port, sslnegotiation: "direct", sslmode: "verify-full", sslrootcert: cluster.caFile! }))
    expect(r).toMatchObject({ user: "scram_user", clientTls: true })
    expect(proxy.offered).toEqual([["postgresql"]])
  })

  it("direct TLS refuses a server that does not accept ALPN postgresql", async () => {
    const proxy = directTlsProxy({ certFile: cluster.certFile!, keyFile: cluster.keyFile! }, false)
    const port = await proxy.listening
    const e = await connectError(base("scram_user", { port, sslnegotiation: "direct", sslmode: "require" }))
    expect(e.reason).toBe("Tls")
    expect(e.message).toContain("ALPN")
  })

  it("verify-full checks the host name; verify-ca does not", async () => {
    const proxy = directTlsProxy({ certFile: otherCa.certFile, keyFile: otherCa.keyFile }, true)
    const port = await proxy.listening
    const e = await connectError(base("scram_user", { port, sslnegotiation: "direct", sslmode: "verify-full", sslrootcert: otherCa.caFile }))
    expect(e.reason).toBe("Tls")
    expect(e.message).toMatch(/wrong\.example|altnames|Hostname/i)
    const r = await whoAmI(base("scram_user", { port, sslnegotiation: "direct", sslmode: "verify-ca", sslrootcert: otherCa.caFile }))
    expect(r).toMatchObject({ user: "scram_user", clientTls: true })
  })

  it("sslmode=prefer continues in plain text after 'N'; require refuses", async () => {
    const port = await sslAnsweringProxy(Buffer.from("N"))
    expect(await whoAmI(base("scram_user", { port, sslmode: "prefer" }))).toMatchObject({ user: "scram_user", clientTls: false })
    const e = await connectError(base("scram_user", { port, sslmode: "require" }))
    expect(e.reason).toBe("Tls")
    expect(e.message).toContain("does not support TLS")
  })

  it("refuses bytes after the 'S' answer (buffer stuffing) and an error answer", async () => {
    const stuffed = await sslAnsweringProxy(Buffer.from("SXXXX"))
    expect((await connectError(base("scram_user", { port: stuffed, sslmode: "require" }))).reason).toBe("Protocol")
    const errorAnswer = await sslAnsweringProxy(Buffer.from("E\0\0\0\x08oops"))
    expect((await connectError(base("scram_user", { port: errorAnswer, sslmode: "require" }))).reason).toBe("Tls")
  })
})

describe("transport and protocol version", () => {
  it("connects over the Unix socket (host = socket directory)", async () => {
    expect(await whoAmI({ host: cluster.socketDir, port: cluster.port, user: "scram_user", password: "scram_pass", database: "postgres" })).toMatchObject({
      user: "scram_user",
      clientTls: false
    })
    const r = await withClient({ host: cluster.socketDir, port: cluster.port, user: "trust_user", database: "postgres" }, (c) =>
      c.execute("SELECT inet_client_addr() IS NULL AS local"))
    expect(r.rows[0]!.local).toBe(true)
  })

  it("requests protocol 3.2, is negotiated down to 3.0 by PostgreSQL 15, and works", async () => {
    const r = await whoAmI(base("scram_user", { sslmode: "disable", maxProtocolVersion: "3.2" }))
    expect(r.protocol).toEqual({ major: 3, minor: 0 })
    expect(r.user).toBe("scram_user")
    const latest = await withClient(base("trust_user", { sslmode: "disable", maxProtocolVersion: "latest" }), (c) =>
      Effect.map(c.query("SELECT 1 AS one"), (rs) => ({ rows: rs[0]!.rows, key: c.secretKey.length, version: c.protocolVersion })))
    expect(latest).toEqual({ rows: [{ one: 1 }], key: 4, version: { major: 3, minor: 0 } })
  })

  it("refuses the negotiated version when min_protocol_version is above it", async () => {
    const e = await connectError(base("trust_user", { sslmode: "disable", maxProtocolVersion: "3.2", minProtocolVersion: "3.2" }))
    expect(e.reason).toBe("Protocol")
    expect(e.message).toContain("3.0")
  })

  it("a closed port fails with reason Connect", async () => {
    const port = await freePort()
    const e = await connectError({ host: "127.0.0.1", port, user: "x", sslmode: "disable" })
    expect(e.reason).toBe("Connect")
    expect(e.message).toContain(String(port))
  })

  it("a server that never answers fails after connect_timeout", async () => {
    const port = await listen(net.createServer(() => {}))
    const e = await connectError({ host: "127.0.0.1", port, user: "x", sslmode: "disable", connectTimeoutMs: 300 })
    expect(e.reason).toBe("Connect")
    expect(e.message).toContain("300 ms")
  })

  it("sends application_name, options and extra startup parameters", async () => {
    const r = await withClient(
      base("trust_user", { sslmode: "disable", applicationName: "pgwire-ts test", options: "-c work_mem=8MB", parameters: { TimeZone: "Asia/Tokyo" } }),
      (c) =>
        Effect.map(c.query("SHOW application_name; SHOW work_mem; SHOW TimeZone"), (rs) => ({
          values: rs.map((x) => Object.values(x.rows[0]!)[0]),
          reported: c.serverParameters.get("TimeZone")
        }))
    )
    expect(r).toEqual({ values: ["pgwire-ts test", "8MB", "Asia/Tokyo"], reported: "Asia/Tokyo" })
  })

  it("the Layer opens the connection for its lifetime", async () => {
    const program = Effect.flatMap(Client, (c) => c.execute("SELECT current_user AS u"))
    const r = await Effect.runPromise(Effect.provide(program, Client.layer(base("md5_user", { sslmode: "disable" }))))
    expect(r.rows).toEqual([{ u: "md5_user" }])
  })
})
