// Our auth computations against PostgreSQL itself: hashes PostgreSQL made (captured by
// scripts/capture-auth.mjs into auth-postgres.fixtures.json), and live logins to a throwaway
// PostgreSQL 15 with our client sessions, including SCRAM-SHA-256-PLUS over TLS with an
// RSA/SHA-256 and an ECDSA/SHA-384 certificate (PostgreSQL checks our tls-server-end-point hash).
import crypto from "node:crypto"
import fs from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import tls from "node:tls"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeCertificates } from "../../../test-support/certs.mjs"
import { type PostgresCluster, startPostgres } from "../../../test-support/postgres.mjs"
import {
  formatScramVerifier,
  isMd5PasswordHash,
  makeScramVerifier,
  md5ClientResponse,
  md5PasswordHash,
  parseScramVerifier,
  saslprep,
  ScramClientSession,
  type ScramMechanism,
  ScramServerSession,
  tlsServerEndPointHash,
  tlsServerEndPointHashAlgorithm,
  verifyMd5Response
} from "../src/auth/index.js"
import { MessageFramer } from "../src/framer/MessageFramer.js"
import { Writer } from "../src/buffer/Writer.js"

interface Fixture {
  readonly user: string
  readonly password: string
  readonly why: string
  readonly saslprep?: string
  readonly stored: string
}
const here = path.dirname(fileURLToPath(import.meta.url))
const fixtures = JSON.parse(fs.readFileSync(path.join(here, "auth-postgres.fixtures.json"), "utf8")) as {
  readonly scram: ReadonlyArray<Fixture>
  readonly md5: ReadonlyArray<Fixture>
}
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"))

describe("SCRAM verifiers made by PostgreSQL", () => {
  it.each(fixtures.scram.map((f) => [f.why, f] as const))("%s", (_why, f) => {
    const parsed = parseScramVerifier(f.stored)
    expect(parsed).toBeDefined()
    expect(formatScramVerifier(parsed!)).toBe(f.stored)
    expect(saslprep(f.password)).toBe(f.saslprep)
    // Same salt and count: our SASLprep + PBKDF2 must give PostgreSQL's keys exactly.
    expect(formatScramVerifier(makeScramVerifier(f.password, { salt: parsed!.salt, iterations: parsed!.iterations }))).toBe(f.stored)

    const server = new ScramServerSession({ verifier: parsed!, mechanism: "SCRAM-SHA-256" })
    const client = new ScramClientSession({ password: f.password, mechanism: "SCRAM-SHA-256" })
    const serverFirst = server.handleClientFirst(utf8(client.clientFirstMessage()))
    client.verifyServerFinal(utf8(server.handleClientFinal(utf8(client.handleServerFirst(utf8(serverFirst))))))
    expect(server.authenticated && client.authenticated).toBe(true)
  })

  it("covers the SASLprep cases we rely on", () => {
    expect(fixtures.scram.length).toBeGreaterThanOrEqual(10)
    expect(fixtures.scram.filter((f) => f.saslprep !== f.password).length).toBeGreaterThanOrEqual(5)
    expect(fixtures.scram.filter((f) => f.saslprep === f.password && /[^\x00-\x7f]/.test(f.password)).length).toBeGreaterThanOrEqual(5)
  })
})

describe("MD5 hashes made by PostgreSQL", () => {
  it.each(fixtures.md5.map((f) => [f.why, f] as const))("%s", (_why, f) => {
    expect(isMd5PasswordHash(f.stored)).toBe(true)
    expect(md5PasswordHash(f.user, f.password)).toBe(f.stored)
    const salt = new Uint8Array([1, 2, 3, 4])
    expect(verifyMd5Response(f.stored, salt, md5ClientResponse(f.user, f.password, salt))).toBe(true)
    expect(verifyMd5Response(f.stored, salt, md5ClientResponse(f.user, f.password + "x", salt))).toBe(false)
  })
})

// ---- a minimal frontend, enough to log in: StartupMessage, the auth exchange, ReadyForQuery.

interface Message {
  readonly type: string
  readonly body: Buffer
}

// Reads whole backend messages from a socket, one at a time.
const messageReader = (socket: net.Socket) => {
  const framer = new MessageFramer()
  const waiting: Array<(m: Message | Error) => void> = []
  const ready: Array<Message | Error> = []
  const deliver = (m: Message | Error) => {
    const w = waiting.shift()
    if (w) w(m)
    else ready.push(m)
  }
  socket.on("data", (chunk: Buffer) => {
    framer.push(chunk)
    while (framer.next()) {
      deliver({ type: String.fromCharCode(framer.type), body: Buffer.from(framer.buffer.subarray(framer.start, framer.end)) })
    }
  })
  socket.on("error", (e) => deliver(e))
  socket.on("close", () => deliver(new Error("connection closed")))
  return (): Promise<Message> =>
    new Promise((resolve, reject) => {
      const settle = (m: Message | Error) => (m instanceof Error ? reject(m) : resolve(m))
      const m = ready.shift()
      if (m) settle(m)
      else waiting.push(settle)
    })
}

const cstrings = (body: Buffer, from: number): Array<string> => {
  const out: Array<string> = []
  let at = from
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at)
    out.push(body.toString("utf8", at, end))
    at = end + 1
  }
  return out
}

const errorCode = (body: Buffer): string => {
  let at = 0
  while (at < body.length && body[at] !== 0) {
    const end = body.indexOf(0, at + 1)
    if (body[at] === 0x43 /* C */) return body.toString("utf8", at + 1, end)
    at = end + 1
  }
  return "?????"
}

const connectTcp = (port: number): Promise<net.Socket> =>
  new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s))
    s.once("error", reject)
  })

// SSLRequest, then a TLS handshake on the same socket; returns the TLS socket and the server's certificate.
const startTls = async (socket: net.Socket): Promise<{ socket: tls.TLSSocket; certificate: Uint8Array }> => {
  const w = new Writer(16)
  socket.write(w.int32(8).int32(80877103).take())
  const answer = await new Promise<Buffer>((resolve) => socket.once("data", resolve))
  expect(answer.toString()).toBe("S")
  const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const t = tls.connect({ socket, rejectUnauthorized: false }, () => resolve(t))
    t.once("error", reject)
  })
  return { socket: secure, certificate: new Uint8Array(secure.getPeerCertificate().raw) }
}

interface LoginOptions {
  readonly port: number
  readonly user: string
  readonly password: string
  readonly tls?: boolean
  /** Which SCRAM mechanism to pick from the server's offer; default the best offered. */
  readonly mechanism?: ScramMechanism
  /** Over TLS with SCRAM-SHA-256: still tell the server we could bind ("y"). */
  readonly claimBindingSupport?: boolean
  /** Channel binding data to send instead of the real certificate's hash (a man in the middle). */
  readonly forgeBinding?: Uint8Array
}

interface LoginResult {
  readonly ok: boolean
  readonly sqlState?: string
  readonly offered?: ReadonlyArray<string>
  readonly used?: string
  readonly certificate?: Uint8Array
}

const login = async (o: LoginOptions): Promise<LoginResult> => {
  let socket: net.Socket = await connectTcp(o.port)
  let certificate: Uint8Array | undefined
  try {
    if (o.tls) ({ socket, certificate } = await startTls(socket))
    const next = messageReader(socket)
    const w = new Writer(256)
    // One message of type `type` (0: untyped) with the body `body` writes.
    const send = (type: number, body: (w: Writer) => void) => {
      const at = w.beginMessage(type)
      body(w)
      socket.write(w.endMessage(at).take())
    }
    send(0, (w) => w.int32(196608).cstring("user").cstring(o.user).cstring("database").cstring("postgres").int8(0))
    let scram: ScramClientSession | undefined
    let offered: ReadonlyArray<string> | undefined
    let used: string | undefined
    for (;;) {
      const m = await next()
      if (m.type === "E") return { ok: false, sqlState: errorCode(m.body), ...(offered ? { offered } : {}) }
      if (m.type === "Z") {
        send(0x58, () => {})
        return { ok: true, ...(offered ? { offered } : {}), ...(used ? { used } : {}), ...(certificate ? { certificate } : {}) }
      }
      if (m.type !== "R") continue // ParameterStatus, BackendKeyData
      const code = m.body.readInt32BE(0)
      if (code === 0) continue
      if (code === 5) {
        used = "md5"
        const response = md5ClientResponse(o.user, o.password, m.body.subarray(4, 8))
        send(0x70, (w) => w.cstring(response))
      } else if (code === 10) {
        offered = cstrings(m.body, 4)
        const mechanism = o.mechanism ?? (offered.includes("SCRAM-SHA-256-PLUS") ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256")
        used = mechanism
        const binding = o.forgeBinding ?? (certificate ? tlsServerEndPointHash(certificate) : undefined)
        const sendBinding = mechanism === "SCRAM-SHA-256-PLUS" || o.claimBindingSupport === true
        scram = new ScramClientSession({
          password: o.password,
          mechanism,
          ...(sendBinding && binding ? { channelBindingData: binding } : {})
        })
        const first = utf8(scram.clientFirstMessage())
        send(0x70, (w) => w.cstring(mechanism).int32(first.length).bytes(first))
      } else if (code === 11) {
        const final = utf8(scram!.handleServerFirst(m.body.subarray(4)))
        send(0x70, (w) => w.bytes(final))
      } else if (code === 12) {
        scram!.verifyServerFinal(m.body.subarray(4))
        expect(scram!.authenticated).toBe(true)
      } else {
        throw new Error(`unexpected authentication request ${code}`)
      }
    }
  } finally {
    socket.destroy()
  }
}


describe("live logins to PostgreSQL 15 with our client sessions", () => {
  let pg: PostgresCluster
  let certDir: string
  // Overwrites the server's certificate and key files in place (keeping their owner, the
  // postgres OS user; settings given on the command line cannot be changed by a reload) and
  // makes PostgreSQL reload them.
  const useCertificate = async (name: string, keyType: "rsa" | "ec", digest: "sha256" | "sha384") => {
    const certs = await makeCertificates(path.join(certDir, name), { keyType, digest })
    fs.copyFileSync(certs.certFile, pg.certFile!)
    fs.copyFileSync(certs.keyFile, pg.keyFile!)
    await pg.psql("SELECT pg_reload_conf();")
    // The reload is asynchronous: wait until new connections present the new certificate.
    const expected = new Uint8Array(new crypto.X509Certificate(fs.readFileSync(certs.certFile)).raw)
    for (let i = 0; i < 100; i++) {
      const { socket, certificate } = await startTls(await connectTcp(pg.port))
      socket.destroy()
      if (Buffer.from(certificate).equals(expected)) return expected
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error("PostgreSQL did not switch certificates")
  }

  beforeAll(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-auth-certs-"))
    pg = await startPostgres({ tls: true })
  }, 60_000)
  afterAll(async () => {
    await pg?.stop()
    fs.rmSync(certDir, { recursive: true, force: true })
  })

  it("SCRAM-SHA-256 without TLS", async () => {
    const r = await login({ port: pg.port, user: "scram_user", password: "scram_pass" })
    expect(r).toMatchObject({ ok: true, offered: ["SCRAM-SHA-256"], used: "SCRAM-SHA-256" })
  })

  it("a wrong SCRAM password gets 28P01 from PostgreSQL", async () => {
    expect(await login({ port: pg.port, user: "scram_user", password: "nope" })).toMatchObject({ ok: false, sqlState: "28P01" })
  })

  it("MD5", async () => {
    expect(await login({ port: pg.port, user: "md5_user", password: "md5_pass" })).toMatchObject({ ok: true, used: "md5" })
    expect(await login({ port: pg.port, user: "md5_user", password: "nope" })).toMatchObject({ ok: false, sqlState: "28P01" })
  })

  it("SCRAM-SHA-256-PLUS over TLS with PostgreSQL's default RSA/SHA-256 certificate", async () => {
    const r = await login({ port: pg.port, user: "scram_user", password: "scram_pass", tls: true })
    expect(r).toMatchObject({ ok: true, offered: ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"], used: "SCRAM-SHA-256-PLUS" })
    expect(tlsServerEndPointHashAlgorithm(r.certificate!)).toBe("sha256")
  })

  it("PostgreSQL rejects a forged channel binding (28000) and a downgrade claim (y over TLS, 28000)", async () => {
    const forged = await login({ port: pg.port, user: "scram_user", password: "scram_pass", tls: true, forgeBinding: new Uint8Array(32).fill(1) })
    expect(forged).toMatchObject({ ok: false, sqlState: "28000" })
    const downgrade = await login({ port: pg.port, user: "scram_user", password: "scram_pass", tls: true, mechanism: "SCRAM-SHA-256", claimBindingSupport: true })
    expect(downgrade).toMatchObject({ ok: false, sqlState: "28000" })
    const plainOverTls = await login({ port: pg.port, user: "scram_user", password: "scram_pass", tls: true, mechanism: "SCRAM-SHA-256" })
    expect(plainOverTls).toMatchObject({ ok: true, used: "SCRAM-SHA-256" })
  })

  it("SCRAM-SHA-256-PLUS with ECDSA/SHA-384 and RSA/SHA-384 certificates (hash chosen by the signature)", async () => {
    for (const [name, keyType] of [["ec384", "ec"], ["rsa384", "rsa"]] as const) {
      const cert = await useCertificate(name, keyType, "sha384")
      expect(tlsServerEndPointHashAlgorithm(cert)).toBe("sha384")
      expect(tlsServerEndPointHash(cert).length).toBe(48)
      const r = await login({ port: pg.port, user: "scram_user", password: "scram_pass", tls: true })
      expect(r, name).toMatchObject({ ok: true, used: "SCRAM-SHA-256-PLUS" })
      expect(Buffer.from(r.certificate!).equals(Buffer.from(cert))).toBe(true)
    }
  }, 30_000)
})
