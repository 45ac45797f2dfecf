// OAUTHBEARER (PostgreSQL 18) from our client against OUR server over loopback TCP and TLS:
// PostgreSQL 15 on this machine has no OAUTHBEARER. Fixed, redacted and Effect-provided tokens,
// discovery and refused tokens (the server's issuer and scope in the error), require_auth and
// channel_binding, a token provider that fails or hangs, and a scripted server's bad challenges.
import { Client, type ClientOptions, OAuthChallenge, PgConnectionError, resolveConfig } from "@pgwire-ts/client"
import { encodeToBytes, Oid } from "@pgwire-ts/protocol"
import { AuthSource, type OAuthOptions, ResultSet, Server, SimpleQueryHandler } from "@pgwire-ts/server"
import { Deferred, Effect, Layer, ManagedRuntime, Redacted } from "effect"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeCertificates } from "../../../test-support/certs.mjs"
import { startFakeServer } from "./fake-server.js"
import { failure, run, withClient } from "./support.js"

const WhoAmI = SimpleQueryHandler.perStatement((_, session) =>
  Effect.succeed(
    ResultSet.make({
      fields: [
        ResultSet.field("user", Oid.text),
        ResultSet.field("method", Oid.text),
        ResultSet.field("authn_id", Oid.text),
        ResultSet.field("tls", Oid.text)
      ],
      rows: [[session.user, session.authMethod, session.authnId ?? null, session.tls === undefined ? "no" : "yes"]]
    })
  )
)

// A token "<identity>.valid" proves that identity.
const oauth: OAuthOptions = {
  issuer: "https://idp.example",
  scope: "openid postgres",
  validate: (token) => {
    const m = /^(.+)\.valid$/.exec(token)
    return Effect.succeed(m === null ? { authorized: false } : { authorized: true, authnId: m[1] })
  }
}

const startOurServer = async (options: Parameters<typeof Server.layer>[0]) => {
  const runtime = ManagedRuntime.make(
    Server.layer({ host: "127.0.0.1", port: 0, ...options }).pipe(
      Layer.provide(WhoAmI),
      Layer.provide(AuthSource.fromRecord({ alice: "alice-pw" }))
    )
  )
  const server = await runtime.runPromise(Server)
  return { port: server.address.port, stop: () => runtime.dispose() }
}

let dir: string
let plain: Awaited<ReturnType<typeof startOurServer>>
let secure: Awaited<ReturnType<typeof startOurServer>>
let scram: Awaited<ReturnType<typeof startOurServer>>

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-client-oauth-"))
  const certs = await makeCertificates(dir, {})
  plain = await startOurServer({ auth: "oauth", oauth })
  secure = await startOurServer({
    auth: "oauth",
    oauth,
    tls: { cert: fs.readFileSync(certs.certFile), key: fs.readFileSync(certs.keyFile) }
  })
  scram = await startOurServer({ auth: "scram-sha-256" })
}, 60_000)

afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop(), scram?.stop()])
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

const opts = (port: number, extra: ClientOptions = {}): ClientOptions => ({
  host: "127.0.0.1",
  port,
  user: "alice",
  sslmode: "disable",
  connectTimeoutMs: 10_000,
  ...extra
})

const whoami = (options: ClientOptions) => withClient(options, (c) => Effect.map(c.query("whoami"), (r) => r[0]!.rows[0]))

const connectFailure = (options: ClientOptions) => failure(Client.connect(options))

describe("OAUTHBEARER login", () => {
  it("a fixed token logs in; the session sees the method and the token's identity", async () => {
    expect(await whoami(opts(plain.port, { oauthBearerToken: "alice.valid" }))).toEqual({
      user: "alice",
      method: "OAUTHBEARER",
      authn_id: "alice",
      tls: "no"
    })
  })

  it("a Redacted token logs in", async () => {
    expect(await whoami(opts(plain.port, { oauthBearerToken: Redacted.make("alice.valid") }))).toMatchObject({ method: "OAUTHBEARER" })
  })

  it("a token Effect runs only when a server asks for OAUTHBEARER", async () => {
    let calls = 0
    const provider = Effect.sync(() => {
      calls++
      return Redacted.make("alice.valid")
    })
    expect(await whoami(opts(plain.port, { oauthBearerToken: provider }))).toMatchObject({ method: "OAUTHBEARER", authn_id: "alice" })
    expect(calls).toBe(1)
    // A SCRAM server: the password is used, the provider is not run.
    expect(await whoami(opts(scram.port, { oauthBearerToken: provider, password: "alice-pw" }))).toMatchObject({ method: "SCRAM-SHA-256" })
    expect(calls).toBe(1)
  })

  it("over TLS: OAUTHBEARER without channel binding (channel_binding=prefer still connects)", async () => {
    expect(await whoami(opts(secure.port, { sslmode: "require", oauthBearerToken: "alice.valid" }))).toEqual({
      user: "alice",
      method: "OAUTHBEARER",
      authn_id: "alice",
      tls: "yes"
    })
  })
})

describe("OAUTHBEARER refusals", () => {
  it("no token: a discovery request; the error carries the server's discovery document and scope", async () => {
    const e = await connectFailure(opts(plain.port))
    expect(e).toBeInstanceOf(PgConnectionError)
    expect(e.reason).toBe("Auth")
    expect(e.code).toBe("28000")
    expect(e.fields?.message).toBe('OAuth bearer authentication failed for user "alice"')
    expect(e.cause).toBeInstanceOf(OAuthChallenge)
    expect(e.cause).toMatchObject({
      status: "invalid_token",
      openidConfiguration: "https://idp.example/.well-known/openid-configuration",
      scope: "openid postgres",
      tokenSent: false
    })
    expect(e.message).toContain("https://idp.example/.well-known/openid-configuration")
  })

  it("an invalid token: 28000 with the challenge (tokenSent)", async () => {
    const e = await connectFailure(opts(plain.port, { oauthBearerToken: "mallory.valid" }))
    expect(e.code).toBe("28000")
    expect(e.cause).toMatchObject({ _tag: "OAuthChallenge", tokenSent: true, scope: "openid postgres" })
    expect(e.message).toContain("refused the bearer token")
  })

  it("a token provider that fails: an Auth error with its cause, the server never sees a token", async () => {
    const e = await connectFailure(opts(plain.port, { oauthBearerToken: Effect.fail("idp down") }))
    expect(e.reason).toBe("Auth")
    expect(e.message).toBe("the OAuth token provider failed")
    expect(String(e.cause)).toContain("idp down")
  })

  it("a token provider that gives an unsendable token: an Auth error", async () => {
    const e = await connectFailure(opts(plain.port, { oauthBearerToken: Effect.succeed("has space") }))
    expect(e.reason).toBe("Auth")
    expect(e.message).toContain("b64token")
    const empty = await connectFailure(opts(plain.port, { oauthBearerToken: Effect.succeed("") }))
    expect(empty.message).toContain("empty token")
  })

  it("a token provider that hangs is cut by connectTimeoutMs and interrupted", async () => {
    const interrupted = Effect.runSync(Deferred.make<void>())
    const hang = Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
    const e = await connectFailure(opts(plain.port, { oauthBearerToken: hang, connectTimeoutMs: 300 }))
    expect(e.reason).toBe("Connect")
    await Effect.runPromise(Deferred.await(interrupted))
  })

  it("a fixed token that is not a bearer token is a Config error before connecting", async () => {
    const e = await failure(resolveConfig(opts(plain.port, { oauthBearerToken: "a b" })))
    expect(e.reason).toBe("Config")
    expect((await failure(resolveConfig(opts(plain.port, { oauthBearerToken: "" })))).reason).toBe("Config")
  })
})

describe("require_auth and channel_binding", () => {
  it("require_auth=oauth accepts an OAUTHBEARER server and refuses a SCRAM one", async () => {
    expect(await whoami(opts(plain.port, { requireAuth: "oauth", oauthBearerToken: "alice.valid" }))).toMatchObject({ method: "OAUTHBEARER" })
    const e = await connectFailure(opts(scram.port, { requireAuth: "oauth", password: "alice-pw" }))
    expect(e.reason).toBe("AuthMethodNotAllowed")
  })

  it("require_auth without oauth refuses an OAUTHBEARER server, from a connection string too", async () => {
    const e = await connectFailure(opts(plain.port, { requireAuth: "scram-sha-256", oauthBearerToken: "alice.valid" }))
    expect(e.reason).toBe("AuthMethodNotAllowed")
    expect(e.message).toContain('"oauth"')
    const f = await failure(Client.connect(`postgres://alice@127.0.0.1:${plain.port}/db?sslmode=disable&require_auth=!oauth`))
    expect(f.reason).toBe("AuthMethodNotAllowed")
    const config = await run(resolveConfig(`postgres://alice@127.0.0.1:${plain.port}/db?require_auth=oauth`))
    expect([...config.allowedAuth]).toEqual(["oauth"])
  })

  it("channel_binding=require refuses OAUTHBEARER (it has no channel binding)", async () => {
    const e = await connectFailure(opts(secure.port, { sslmode: "require", channelBinding: "require", oauthBearerToken: "alice.valid" }))
    expect(e.reason).toBe("AuthMethodNotAllowed")
  })
})

describe("a server that breaks OAUTHBEARER", () => {
  const scripted = async (challenge: Uint8Array, second?: Uint8Array) => {
    const seen: Array<unknown> = []
    const server = await startFakeServer(async (conn) => {
      await conn.next()
      conn.send({ _tag: "AuthenticationSASL", mechanisms: ["OAUTHBEARER"] })
      const initial = await conn.next("sasl-initial")
      seen.push(initial)
      conn.send({ _tag: "AuthenticationSASLContinue", data: challenge })
      if (second !== undefined) {
        seen.push(await conn.next("sasl"))
        conn.send({ _tag: "AuthenticationSASLContinue", data: second })
      }
    })
    try {
      return { error: await connectFailure(opts(server.port, { oauthBearerToken: "t" })), seen }
    } finally {
      await server.close()
    }
  }

  it("sends the RFC 7628 initial response", async () => {
    const { seen } = await scripted(new TextEncoder().encode("not json"))
    expect(seen[0]).toEqual({
      _tag: "SASLInitialResponse",
      mechanism: "OAUTHBEARER",
      data: Uint8Array.from("n,,\x01auth=Bearer t\x01\x01", (c) => c.charCodeAt(0))
    })
  })

  it("a challenge that is not JSON: a Protocol error", async () => {
    const { error } = await scripted(new TextEncoder().encode("not json"))
    expect(error.reason).toBe("Protocol")
    expect(error.message).toContain("not JSON")
  })

  it("a second challenge after the kvsep answer: a Protocol error", async () => {
    const json = new TextEncoder().encode('{"status":"invalid_token"}')
    const { error, seen } = await scripted(json, json)
    expect(seen[1]).toEqual({ _tag: "SASLResponse", data: Uint8Array.of(1) })
    expect(error.reason).toBe("Protocol")
    expect(error.message).toContain("second challenge")
  })

  it("AuthenticationSASLFinal during OAUTHBEARER: a Protocol error", async () => {
    const server = await startFakeServer(async (conn) => {
      await conn.next()
      conn.send({ _tag: "AuthenticationSASL", mechanisms: ["OAUTHBEARER"] })
      await conn.next("sasl-initial")
      conn.sendRaw(encodeToBytes({ _tag: "AuthenticationSASLFinal", data: new Uint8Array(0) }))
    })
    try {
      const e = await connectFailure(opts(server.port, { oauthBearerToken: "t" }))
      expect(e.reason).toBe("Protocol")
      expect(e.message).toContain("SASLFinal")
    } finally {
      await server.close()
    }
  })
})
