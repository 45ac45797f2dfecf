// Our ScramServerSession and MD5 check against real client libraries: libpq (through
// psycopg2) and node-postgres log in to a minimal test server that runs only the startup and
// authentication phase (TLS upgrade included), then answers ReadyForQuery.
import { execFile } from "node:child_process"
import crypto from "node:crypto"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import tls from "node:tls"
import { promisify } from "node:util"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Certificates, makeCertificates } from "../../../test-support/certs.mjs"
import {
  makeScramVerifier,
  md5PasswordHash,
  mockScramVerifier,
  ScramError,
  type ScramMechanism,
  ScramServerSession,
  type ScramVerifier,
  tlsServerEndPointHash,
  verifyMd5Response
} from "../src/auth/index.js"
import { Writer } from "../src/buffer/Writer.js"
import { MessageFramer, UNTYPED } from "../src/framer/MessageFramer.js"

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104

interface Credential {
  readonly scram?: ScramVerifier
  readonly md5?: string
}

interface ServerOptions {
  readonly users: Readonly<Record<string, Credential>>
  readonly method: "scram" | "md5"
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer }
  /** Leave SCRAM-SHA-256-PLUS out of the offer over TLS, as a man in the middle would. */
  readonly stripPlus?: boolean
}

interface Attempt {
  readonly user: string
  readonly mechanism?: string
  readonly outcome: "ok" | string
}

const mockSecret = crypto.randomBytes(32)

// One connection of the test server: TLS negotiation, startup, one auth exchange, ReadyForQuery.
const serveConnection = (raw: net.Socket, o: ServerOptions, attempts: Array<Attempt>) => {
  let socket: net.Socket = raw
  let framer = new MessageFramer({ untypedFirst: true })
  const w = new Writer(256)
  const send = (type: number, body: (w: Writer) => void) => {
    const at = w.beginMessage(type)
    body(w)
    socket.write(w.endMessage(at).take())
  }
  const R = 0x52
  let user = ""
  let salt = new Uint8Array(0)
  let session: ScramServerSession | undefined
  let mechanism: ScramMechanism | undefined
  let channelBindingData: Uint8Array | undefined

  const fail = (code: string, message: string) => {
    attempts.push({ user, ...(mechanism ? { mechanism } : {}), outcome: code })
    send(0x45, (w) => w.int8(0x53).cstring("FATAL").int8(0x56).cstring("FATAL").int8(0x43).cstring(code).int8(0x4d).cstring(message).int8(0))
    socket.end()
  }
  const succeed = () => {
    attempts.push({ user, ...(mechanism ? { mechanism } : {}), outcome: "ok" })
    send(R, (w) => w.int32(0))
    for (const [k, v] of [["server_version", "15.0"], ["server_encoding", "UTF8"], ["client_encoding", "UTF8"], ["DateStyle", "ISO, MDY"], ["integer_datetimes", "on"], ["standard_conforming_strings", "on"]]) {
      send(0x53, (w) => w.cstring(k!).cstring(v!))
    }
    send(0x4b, (w) => w.int32(1).int32(2))
    send(0x5a, (w) => w.int8(0x49))
  }
  const cstringAt = (b: Uint8Array, at: number): [string, number] => {
    const end = b.indexOf(0, at)
    return [Buffer.from(b.subarray(at, end)).toString("utf8"), end + 1]
  }

  const onMessage = (type: number, body: Uint8Array) => {
    if (type === UNTYPED) {
      const code = Buffer.from(body).readInt32BE(0)
      if (code === GSSENC_REQUEST || (code === SSL_REQUEST && !o.tls)) {
        socket.write("N")
        framer.untypedNext = true
        return
      }
      if (code === SSL_REQUEST) {
        socket.write("S")
        const secure = new tls.TLSSocket(socket, { isServer: true, cert: o.tls!.cert, key: o.tls!.key })
        socket.removeAllListeners("data")
        socket = secure
        framer = new MessageFramer({ untypedFirst: true })
        channelBindingData = tlsServerEndPointHash(new crypto.X509Certificate(o.tls!.cert).raw)
        listen()
        return
      }
      // StartupMessage: protocol version, then name/value pairs.
      let at = 4
      while (body[at] !== 0) {
        const [k, next] = cstringAt(body, at)
        const [v, after] = cstringAt(body, next)
        if (k === "user") user = v
        at = after
      }
      if (o.method === "md5") {
        salt = new Uint8Array(crypto.randomBytes(4))
        send(R, (w) => w.int32(5).bytes(salt))
      } else {
        const offer = channelBindingData && !o.stripPlus ? ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"] : ["SCRAM-SHA-256"]
        send(R, (w) => {
          w.int32(10)
          for (const m of offer) w.cstring(m)
          w.int8(0)
        })
      }
      return
    }
    if (type === 0x58) return void socket.end() // Terminate
    if (type !== 0x70) return fail("08P01", `unexpected message ${String.fromCharCode(type)}`)
    const credential = o.users[user]
    try {
      if (o.method === "md5") {
        const [response] = cstringAt(body, 0)
        const stored = credential?.md5 ?? md5PasswordHash(user, crypto.randomBytes(16).toString("hex"))
        return verifyMd5Response(stored, salt, response) ? succeed() : fail("28P01", `password authentication failed for user "${user}"`)
      }
      if (session === undefined) {
        const [name, at] = cstringAt(body, 0)
        if (name !== "SCRAM-SHA-256" && name !== "SCRAM-SHA-256-PLUS") return fail("08P01", "invalid SASL mechanism")
        mechanism = name
        const length = Buffer.from(body).readInt32BE(at)
        session = new ScramServerSession({
          verifier: credential?.scram ?? mockScramVerifier(user, mockSecret),
          mechanism,
          ...(channelBindingData ? { channelBindingData } : {})
        })
        const serverFirst = session.handleClientFirst(body.subarray(at + 4, at + 4 + length))
        send(R, (w) => w.int32(11).string(serverFirst))
      } else {
        const serverFinal = session.handleClientFinal(body)
        send(R, (w) => w.int32(12).string(serverFinal))
        succeed()
      }
    } catch (e) {
      if (!(e instanceof ScramError)) throw e
      if (e.kind === "protocol") fail("08P01", e.message)
      else fail(/channel binding/.test(e.reason) ? "28000" : "28P01", `password authentication failed for user "${user}"`)
    }
  }

  const listen = () => {
    socket.on("data", (chunk: Buffer) => {
      framer.push(chunk)
      while (framer.next()) onMessage(framer.type, framer.buffer.subarray(framer.start, framer.end))
    })
  }
  socket.on("error", () => socket.destroy())
  listen()
}

const startServer = async (o: ServerOptions) => {
  const attempts: Array<Attempt> = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on("close", () => sockets.delete(s))
    s.on("error", () => {})
    serveConnection(s, o, attempts)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    attempts,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

const run = promisify(execFile)
// libpq through psycopg2: prints "ok" or the error message.
const libpqConnect = async (port: number, user: string, password: string, extra: Record<string, string> = {}): Promise<string> => {
  const script = [
    "import sys, json, psycopg2",
    "try:",
    "    c = psycopg2.connect(**json.loads(sys.argv[1])); c.close(); print('ok')",
    "except psycopg2.OperationalError as e:",
    "    print(str(e).strip())"
  ].join("\n")
  const params = { host: "127.0.0.1", port: String(port), user, password, dbname: "db", gssencmode: "disable", connect_timeout: "10", ...extra }
  const { stdout } = await run("/usr/bin/python3", ["-c", script, JSON.stringify(params)], { timeout: 20_000 })
  return stdout.trim()
}

const nodePgConnect = async (port: number, user: string, password: string, extra: pg.ClientConfig = {}): Promise<string> => {
  const client = new pg.Client({ host: "127.0.0.1", port, user, password, database: "db", ...extra })
  client.on("error", () => {})
  try {
    await client.connect()
    await client.end()
    return "ok"
  } catch (e) {
    return e instanceof Error ? e.message : String(e)
  }
}

const users = {
  alice: { scram: makeScramVerifier("wonderland"), md5: md5PasswordHash("alice", "wonderland") },
  "j\u00fcrgen": { scram: makeScramVerifier("\u2168 pass\u00a0word"), md5: md5PasswordHash("j\u00fcrgen", "p\u00e4ss") }
}

describe("real clients against our server-side auth", () => {
  let certDir: string
  let rsa: Certificates
  let ec: Certificates
  beforeAll(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-auth-clients-"))
    rsa = await makeCertificates(path.join(certDir, "rsa"), { keyType: "rsa", digest: "sha256" })
    ec = await makeCertificates(path.join(certDir, "ec"), { keyType: "ec", digest: "sha384" })
  }, 60_000)
  afterAll(() => fs.rmSync(certDir, { recursive: true, force: true }))

  const tlsOf = (c: Certificates) => ({ cert: fs.readFileSync(c.certFile), key: fs.readFileSync(c.keyFile) })

  it("libpq: SCRAM-SHA-256 without TLS, wrong password, unknown user, non-ASCII user and SASLprep'ed password", async () => {
    const server = await startServer({ users, method: "scram" })
    try {
      expect(await libpqConnect(server.port, "alice", "wonderland", { sslmode: "disable" })).toBe("ok")
      expect(await libpqConnect(server.port, "alice", "wrong", { sslmode: "disable" })).toMatch(/password authentication failed for user "alice"/)
      expect(await libpqConnect(server.port, "nobody", "x", { sslmode: "disable" })).toMatch(/password authentication failed for user "nobody"/)
      // libpq SASLpreps too: the NFKC/space-mapped spelling of the password must work.
      expect(await libpqConnect(server.port, "j\u00fcrgen", "IX pass word", { sslmode: "disable" })).toBe("ok")
      expect(server.attempts.map((a) => `${a.user}:${a.mechanism}:${a.outcome}`)).toEqual([
        "alice:SCRAM-SHA-256:ok", "alice:SCRAM-SHA-256:28P01", "nobody:SCRAM-SHA-256:28P01", "j\u00fcrgen:SCRAM-SHA-256:ok"
      ])
    } finally {
      await server.close()
    }
  }, 60_000)

  it.each([["RSA/SHA-256", () => rsa], ["ECDSA/SHA-384", () => ec]])("libpq: SCRAM-SHA-256-PLUS with channel_binding=require over TLS (%s certificate)", async (_name, certs) => {
    const server = await startServer({ users, method: "scram", tls: tlsOf(certs()) })
    try {
      expect(await libpqConnect(server.port, "alice", "wonderland", { sslmode: "require", channel_binding: "require" })).toBe("ok")
      expect(await libpqConnect(server.port, "alice", "wrong", { sslmode: "require", channel_binding: "require" })).toMatch(/password authentication failed/)
      expect(await libpqConnect(server.port, "alice", "wonderland", { sslmode: "require", channel_binding: "disable" })).toBe("ok")
      expect(server.attempts.map((a) => `${a.mechanism}:${a.outcome}`)).toEqual(["SCRAM-SHA-256-PLUS:ok", "SCRAM-SHA-256-PLUS:28P01", "SCRAM-SHA-256:ok"])
    } finally {
      await server.close()
    }
  }, 60_000)

  it("libpq: a stripped -PLUS offer over TLS makes libpq send y, which our server refuses as a downgrade", async () => {
    const server = await startServer({ users, method: "scram", tls: tlsOf(rsa), stripPlus: true })
    try {
      expect(await libpqConnect(server.port, "alice", "wonderland", { sslmode: "require" })).toMatch(/password authentication failed/)
      // With channel_binding=require libpq itself refuses a server that offers no binding.
      expect(await libpqConnect(server.port, "alice", "wonderland", { sslmode: "require", channel_binding: "require" })).toMatch(/channel binding/)
      expect(server.attempts.map((a) => `${a.mechanism}:${a.outcome}`)[0]).toBe("SCRAM-SHA-256:28000")
    } finally {
      await server.close()
    }
  }, 60_000)

  it("node-postgres: SCRAM-SHA-256, and SCRAM-SHA-256-PLUS over TLS", async () => {
    const plain = await startServer({ users, method: "scram" })
    const secure = await startServer({ users, method: "scram", tls: tlsOf(ec) })
    try {
      expect(await nodePgConnect(plain.port, "alice", "wonderland")).toBe("ok")
      expect(await nodePgConnect(plain.port, "alice", "nope")).toMatch(/password authentication failed/)
      expect(await nodePgConnect(secure.port, "alice", "wonderland", { ssl: { rejectUnauthorized: false }, enableChannelBinding: true })).toBe("ok")
      // Without enableChannelBinding node-postgres picks SCRAM-SHA-256 and sends "n" (binding disabled), which is allowed.
      expect(await nodePgConnect(secure.port, "alice", "wonderland", { ssl: { rejectUnauthorized: false } })).toBe("ok")
      expect(await nodePgConnect(secure.port, "alice", "nope", { ssl: { rejectUnauthorized: false }, enableChannelBinding: true })).toMatch(/password authentication failed/)
      expect(plain.attempts.map((a) => a.outcome)).toEqual(["ok", "28P01"])
      expect(secure.attempts.map((a) => `${a.mechanism}:${a.outcome}`)).toEqual(["SCRAM-SHA-256-PLUS:ok", "SCRAM-SHA-256:ok", "SCRAM-SHA-256-PLUS:28P01"])
    } finally {
      await plain.close()
      await secure.close()
    }
  }, 60_000)

  it("libpq and node-postgres: MD5", async () => {
    const server = await startServer({ users, method: "md5" })
    try {
      expect(await libpqConnect(server.port, "alice", "wonderland", { sslmode: "disable" })).toBe("ok")
      expect(await libpqConnect(server.port, "j\u00fcrgen", "p\u00e4ss", { sslmode: "disable" })).toBe("ok")
      expect(await libpqConnect(server.port, "alice", "nope", { sslmode: "disable" })).toMatch(/password authentication failed/)
      expect(await nodePgConnect(server.port, "alice", "wonderland")).toBe("ok")
      expect(await nodePgConnect(server.port, "nobody", "wonderland")).toMatch(/password authentication failed/)
      expect(server.attempts.map((a) => `${a.user}:${a.outcome}`)).toEqual([
        "alice:ok", "j\u00fcrgen:ok", "alice:28P01", "alice:ok", "nobody:28P01"
      ])
    } finally {
      await server.close()
    }
  }, 60_000)
})
