// Our own client (@pgwire-ts/client) against the SQLite example server: every login the
// example offers (trust; SCRAM-SHA-256; SCRAM-SHA-256-PLUS over TLS verified with verify-full;
// a wrong password), protocol 3.2 with its 32-byte cancel key, the Unix socket, simple queries
// with the types the server maps SQLite columns to, errors and transaction status, and cancel.
import { Client, type ClientOptions, type PgClient, PgConnectionError, PgError } from "@pgwire-ts/client"
import { Oid } from "@pgwire-ts/protocol"
import { Server } from "@pgwire-ts/server"
import { Cause, Context, Effect, Exit, Fiber, Layer, Option, Scope } from "effect"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Certificates, makeCertificates } from "../../../test-support/certs.mjs"
import { SqliteDatabase } from "../src/SqliteQueryHandler.js"
import { layer, type SqliteServerOptions } from "../src/SqliteServer.js"
import type { SqliteEngine } from "../src/engine/SqliteEngine.js"

interface RunningServer {
  readonly port: number
  readonly engine: SqliteEngine
  /** Connections the server holds open now (startup included). */
  readonly connections: () => Promise<number>
  readonly stop: () => Promise<void>
}

/** The example's Layer in this process on a free port, as support/server.ts starts it, plus the connection count. */
const startServer = async (options: SqliteServerOptions): Promise<RunningServer> => {
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer({ port: 0, ...options }), scope))
  const server = Context.get(context, Server)
  return {
    port: server.address.port,
    engine: Context.get(context, SqliteDatabase),
    connections: () => Effect.runPromise(server.connections),
    stop: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

const user = "alice"
const password = "correct horse"

let tmp: string
let certs: Certificates
/** Trust, no TLS, also listening on a Unix socket in `tmp`. */
let open: RunningServer
/** SCRAM-SHA-256 for alice, TLS offered. */
let secured: RunningServer

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-sqlite-our-client-"))
  // The server certificate names only "localhost": 127.0.0.1 is a host name it does not match.
  certs = await makeCertificates(path.join(tmp, "certs"), { sans: ["localhost"], keyType: "ec" })
  open = await startServer({ server: { unixSocketDir: tmp } })
  secured = await startServer({
    user,
    password,
    tls: { cert: fs.readFileSync(certs.certFile), key: fs.readFileSync(certs.keyFile) }
  })
})

afterAll(async () => {
  await open?.stop()
  await secured?.stop()
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Effect.scoped(effect))

/** The typed failure of a program (throws if it succeeded or died). */
const failure = async <A, E>(effect: Effect.Effect<A, E, Scope.Scope>): Promise<E> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(effect))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
  const e = Cause.failureOption(exit.cause)
  if (Option.isNone(e)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return e.value
}

const withClient = <A, E>(options: ClientOptions, f: (client: PgClient) => Effect.Effect<A, E, Scope.Scope>) =>
  run(Effect.flatMap(Client.connect(options), f))

const openOptions = (extra: ClientOptions = {}): ClientOptions => ({
  host: "127.0.0.1",
  port: open.port,
  user: "tester",
  database: "app",
  sslmode: "disable",
  ...extra
})

const securedOptions = (extra: ClientOptions = {}): ClientOptions => ({
  host: "127.0.0.1",
  port: secured.port,
  user,
  password,
  database: "app",
  sslmode: "disable",
  ...extra
})

/** How the server says this connection logged in, and what the client saw. */
const whoAmI = (options: ClientOptions) =>
  withClient(options, (client) =>
    Effect.map(
      client.query("SELECT current_setting('pgwire.auth_method') AS method, current_setting('pgwire.tls') AS tls"),
      (results) => ({ ...results[0]!.rows[0], clientTls: client.tls })
    ))

/** Polls `check` until it holds (a generous deadline, no timing assertion). */
const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const one = async (client: PgClient, sql: string) => (await run(client.query(sql)))[0]!

describe("logins the example offers", () => {
  it("trust: no password asked", async () => {
    expect(await whoAmI(openOptions())).toEqual({ method: "trust", tls: "off", clientTls: false })
  })

  it("SCRAM-SHA-256 with --user/--password over plain TCP", async () => {
    expect(await whoAmI(securedOptions({ requireAuth: "scram-sha-256" }))).toEqual({ method: "SCRAM-SHA-256", tls: "off", clientTls: false })
  })

  it("SCRAM-SHA-256-PLUS over TLS, the certificate verified with verify-full (CA and host name)", async () => {
    const tls = securedOptions({ host: "localhost", sslmode: "verify-full", sslrootcert: certs.caFile, channelBinding: "require" })
    expect(await whoAmI(tls)).toEqual({ method: "SCRAM-SHA-256-PLUS", tls: "on", clientTls: true })
    // Without channel binding when the client declines it.
    expect(await whoAmI(securedOptions({ sslmode: "require", channelBinding: "disable" }))).toEqual({ method: "SCRAM-SHA-256", tls: "on", clientTls: true })
  })

  it("verify-full refuses a certificate for another host name (verify-ca accepts it) and one from another CA", async () => {
    const byIp = await failure(Client.connect(securedOptions({ sslmode: "verify-full", sslrootcert: certs.caFile })))
    expect(byIp).toBeInstanceOf(PgConnectionError)
    expect(byIp.reason).toBe("Tls")
    expect(await whoAmI(securedOptions({ sslmode: "verify-ca", sslrootcert: certs.caFile }))).toMatchObject({ method: "SCRAM-SHA-256-PLUS", clientTls: true })
    const otherCa = await makeCertificates(path.join(tmp, "other-ca"), { sans: ["localhost"], keyType: "ec" })
    const untrusted = await failure(Client.connect(securedOptions({ host: "localhost", sslmode: "verify-full", sslrootcert: otherCa.caFile })))
    expect(untrusted).toMatchObject({ reason: "Tls" })
    // The server let go of the connections whose handshakes the client broke off.
    await eventually(async () => (await secured.connections()) === 0, "the refused connections to close")
  })

  it("a wrong password or an unknown user fails with reason Auth and the server's FATAL 28P01", async () => {
    for (const options of [securedOptions({ password: "wrong" }), securedOptions({ user: "mallory" }), securedOptions({ password: "wrong", sslmode: "require" })]) {
      const e = await failure(Client.connect(options))
      expect(e).toBeInstanceOf(PgConnectionError)
      expect(e).toMatchObject({ reason: "Auth", code: "28P01" })
      expect(e.fields?.severity).toBe("FATAL")
    }
  })
})

describe("protocol version and transports", () => {
  it("asks for 3.2 and gets it, with a 32-byte cancel key; 3.0 by default with a 4-byte key", async () => {
    const latest = await withClient(openOptions({ maxProtocolVersion: "3.2", minProtocolVersion: "3.2" }), (c) =>
      Effect.map(c.query("SELECT 1 AS one"), (rs) => ({ rows: rs[0]!.rows, version: c.protocolVersion, key: c.secretKey.length })))
    expect(latest).toEqual({ rows: [{ one: 1n }], version: { major: 3, minor: 2 }, key: 32 })
    const classic = await withClient(openOptions(), (c) => Effect.succeed({ version: c.protocolVersion, key: c.secretKey.length }))
    expect(classic).toEqual({ version: { major: 3, minor: 0 }, key: 4 })
  })

  it("connects over the Unix socket (host = the socket directory)", async () => {
    const r = await withClient(openOptions({ host: tmp }), (c) => Effect.map(c.query("SELECT 'unix' AS via"), (rs) => ({ rows: rs[0]!.rows, tls: c.tls })))
    expect(r).toEqual({ rows: [{ via: "unix" }], tls: false })
  })
})

describe("simple query", () => {
  let client: PgClient
  let close: Effect.Effect<void>

  beforeAll(async () => {
    const scope = Effect.runSync(Scope.make())
    client = await Effect.runPromise(Scope.extend(Client.connect(openOptions()), scope))
    close = Scope.close(scope, Exit.void)
  })

  afterAll(async () => {
    if (close) await Effect.runPromise(close)
  })

  it("reads each declared column type as the server's mapping promises, NULLs included", async () => {
    const [create, insert, select] = await run(client.query(
      "CREATE TABLE typed (i INTEGER, f DOUBLE PRECISION, t TEXT, b BLOB, ok BOOLEAN, n NUMERIC, small INT); " +
        "INSERT INTO typed VALUES (9007199254740993, -0.5, 'tab\there ''quoted''', x'00ff5c', 1, 12.25, -7), (NULL, NULL, NULL, NULL, NULL, NULL, NULL); " +
        "SELECT * FROM typed ORDER BY i NULLS LAST"
    ))
    expect([create!.command, insert!.tag]).toEqual(["CREATE TABLE", "INSERT 0 2"])
    // INTEGER → int8, DOUBLE PRECISION → float8, TEXT → text, BLOB → bytea, BOOLEAN → bool, NUMERIC → numeric, INT → int4
    expect(select!.fields.map((f) => [f.name, f.typeOid])).toEqual([
      ["i", Oid.int8], ["f", Oid.float8], ["t", Oid.text], ["b", Oid.bytea], ["ok", Oid.bool], ["n", Oid.numeric], ["small", Oid.int4]
    ])
    expect(select!.rows).toEqual([
      { i: 9007199254740993n, f: -0.5, t: "tab\there 'quoted'", b: new Uint8Array([0, 0xff, 0x5c]), ok: true, n: "12.25", small: -7 },
      { i: null, f: null, t: null, b: null, ok: null, n: null, small: null }
    ])
    expect(select!.tag).toBe("SELECT 2")
  })

  it("types expression columns from their first value", async () => {
    const r = await one(client, "SELECT 42 AS i, 2.5 AS f, 'x' AS t, x'cafe' AS b, NULL AS missing, count(*) AS n FROM typed")
    expect(r.fields.map((f) => [f.name, f.typeOid])).toEqual([
      ["i", Oid.int8], ["f", Oid.float8], ["t", Oid.text], ["b", Oid.bytea], ["missing", Oid.text], ["n", Oid.int8]
    ])
    expect(r.rows).toEqual([{ i: 42n, f: 2.5, t: "x", b: new Uint8Array([0xca, 0xfe]), missing: null, n: 2n }])
  })

  it("reports tags and row counts per statement; an empty string gives an empty result", async () => {
    const results = await run(client.query(
      "CREATE TABLE tags (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO tags VALUES (1, 'a'), (2, 'b'), (3, 'c'); " +
        "UPDATE tags SET v = v || '!' WHERE k > 1; DELETE FROM tags WHERE k = 3 RETURNING v; SELECT v FROM tags ORDER BY k"
    ))
    expect(results.map((r) => [r.tag, r.command, r.rowCount])).toEqual([
      ["CREATE TABLE", "CREATE TABLE", undefined],
      ["INSERT 0 3", "INSERT", 3],
      ["UPDATE 2", "UPDATE", 2],
      ["DELETE 1", "DELETE", 1],
      ["SELECT 2", "SELECT", 2]
    ])
    expect(results[3]!.rows).toEqual([{ v: "c!" }])
    expect(results[4]!.rows).toEqual([{ v: "a" }, { v: "b!" }])
    expect(await run(client.query(""))).toEqual([{ tag: "", command: "", rowCount: undefined, fields: [], rows: [] }])
  })

  it("fails with the server's SQLSTATE, tracks the transaction status, and recovers", async () => {
    const missing = await failure(client.query("SELECT * FROM no_such_table"))
    expect(missing).toBeInstanceOf(PgError)
    expect(missing).toMatchObject({ severity: "ERROR", code: "42P01" })
    await run(client.query("BEGIN; INSERT INTO tags VALUES (10, 'in tx')"))
    expect(await run(client.transactionStatus)).toBe("T")
    expect(await failure(client.query("INSERT INTO tags VALUES (10, 'again')"))).toMatchObject({ code: "23505" })
    expect(await run(client.transactionStatus)).toBe("E")
    expect(await failure(client.query("SELECT 1"))).toMatchObject({ code: "25P02" })
    await run(client.query("ROLLBACK"))
    expect(await run(client.transactionStatus)).toBe("I")
    expect((await one(client, "SELECT count(*) AS n FROM tags WHERE k = 10")).rows).toEqual([{ n: 0n }])
  })
})

describe("cancel", () => {
  const whileSleeping = (client: PgClient, request: Effect.Effect<unknown, unknown>) =>
    Effect.gen(function*() {
      const sleeping = yield* Effect.fork(Effect.flip(request))
      // A lane runs the statement once it is busy: cancel then, not before.
      while (open.engine.busyLanes === 0) yield* Effect.sleep("10 millis")
      yield* client.cancel
      return yield* Fiber.join(sleeping)
    })

  it.each([
    ["3.0 (4-byte key)", "3.0"],
    ["3.2 (32-byte key)", "3.2"]
  ] as const)("stops SELECT sleep(10) with 57014 over protocol %s; the connection stays usable", async (_, version) => {
    const outcome = await run(Effect.gen(function*() {
      const client = yield* Client.connect(openOptions({ maxProtocolVersion: version }))
      const error = yield* whileSleeping(client, client.query("SELECT sleep(10)"))
      const after = yield* client.query("SELECT 'still here' AS x")
      return { error, after: after[0]!.rows, key: client.secretKey.length, status: yield* client.transactionStatus }
    }))
    expect(outcome.error).toBeInstanceOf(PgError)
    expect(outcome.error).toMatchObject({ code: "57014" })
    expect(outcome).toMatchObject({ after: [{ x: "still here" }], key: version === "3.2" ? 32 : 4, status: "I" })
  })

  it("cancelling an idle connection does nothing to it", async () => {
    const r = await run(Effect.gen(function*() {
      const client = yield* Client.connect(openOptions({ maxProtocolVersion: "3.2" }))
      yield* client.cancel
      return yield* client.query("SELECT 2 AS two")
    }))
    expect(r[0]!.rows).toEqual([{ two: 2n }])
  })
})
