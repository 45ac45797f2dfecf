import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { describe, expect, it } from "@effect/vitest"
import { type BackendMessage, type FrontendMessage, Oid } from "@pgwire-ts/protocol"
import { Deferred, Effect, Layer, Logger, ManagedRuntime } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Tls from "node:tls"
import { afterAll, beforeAll } from "vitest"
import { makeCertificates } from "../../../test-support/certs.mjs"
import type { OAuthOptions, OAuthValidation } from "../src/auth/OAuthBearerAuth.js"
import { AuthSource } from "../src/handlers/AuthSource.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { ResultSet } from "../src/results/ResultSet.js"
import { Server } from "../src/Server.js"
import type { ServerOptions } from "../src/ServerOptions.js"
import { makeTestClient, type TestClient } from "../src/testing/TestClient.js"
import { Testing } from "../src/testing/Testing.js"

const WhoAmI = SimpleQueryHandler.perStatement((_, session) =>
  Effect.succeed(
    ResultSet.make({
      fields: [ResultSet.field("user", Oid.text), ResultSet.field("method", Oid.text), ResultSet.field("authn_id", Oid.text)],
      rows: [[session.user, session.authMethod, session.authnId ?? null]]
    })
  )
)

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const json = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as unknown
const tokenResponse = (token: string) => ascii(`n,,\x01auth=Bearer ${token}\x01\x01`)
const DISCOVERY = ascii("n,,\x01auth=\x01\x01")
const CHALLENGE = {
  status: "invalid_token",
  "openid-configuration": "https://idp.example/.well-known/openid-configuration",
  scope: "openid postgres"
}

/** Tokens are "<identity>-ok" for a valid token of that identity; "anon-ok" proves no identity. */
const validate: OAuthOptions["validate"] = (token) => {
  const m = /^(.+)-ok$/.exec(token)
  if (m === null) return Effect.succeed({ authorized: false })
  return Effect.succeed<OAuthValidation>(m[1] === "anon" ? { authorized: true } : { authorized: true, authnId: m[1] })
}

const oauth = (extra: Partial<OAuthOptions> = {}): OAuthOptions => ({
  issuer: "https://idp.example",
  scope: "openid postgres",
  validate,
  ...extra
})

const server = (options: ServerOptions) => Testing.layer({ auth: "oauth", oauth: oauth(), ...options }).pipe(Layer.provide(WhoAmI))

const start = (c: TestClient, user: string) =>
  Effect.gen(function* () {
    yield* c.sendMessage({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user } })
    return yield* c.receive
  })

const initial = (data: Uint8Array | null): FrontendMessage => ({ _tag: "SASLInitialResponse", mechanism: "OAUTHBEARER", data })
const response = (data: Uint8Array): FrontendMessage => ({ _tag: "SASLResponse", data })

/** Startup with `data` as the initial response; returns what the server answered up to ReadyForQuery or the end. */
const exchange = (user: string, data: Uint8Array | null) =>
  Effect.gen(function* () {
    const c = yield* Testing.open
    expect(yield* start(c, user)).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["OAUTHBEARER"] })
    yield* c.sendMessage(initial(data))
    return { c, first: yield* c.receive }
  })

const whoami = (c: TestClient) =>
  Effect.gen(function* () {
    for (;;) {
      const m = yield* c.receive
      if (m._tag === "ReadyForQuery") break
    }
    const out = yield* c.query("who")
    const r = out.results[0]
    return r?._tag === "Rows" ? r.rows[0] : undefined
  })

/** After the discovery JSON: the client's kvsep answer, then FATAL and the end. */
const refusedAfterChallenge = (c: TestClient, first: BackendMessage, user: string) =>
  Effect.gen(function* () {
    expect(first._tag).toBe("AuthenticationSASLContinue")
    if (first._tag === "AuthenticationSASLContinue") expect(json(first.data)).toEqual(CHALLENGE)
    yield* c.sendMessage(response(Uint8Array.of(1)))
    const rest = yield* c.receiveUntilClosed
    expect(rest).toEqual([
      {
        _tag: "ErrorResponse",
        fields: {
          severity: "FATAL",
          severityNonLocalized: "FATAL",
          code: "28000",
          message: `OAuth bearer authentication failed for user "${user}"`
        }
      }
    ])
  })

const fatalOf = (messages: ReadonlyArray<BackendMessage>) => {
  expect(messages).toHaveLength(1)
  const m = messages[0]!
  return m._tag === "ErrorResponse" ? m.fields : undefined
}

/** A logger that records messages, to prove what the server logged. */
const recordingLogger = () => {
  const lines: Array<string> = []
  const layer = Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ cause, message }) => {
      lines.push(`${Array.isArray(message) ? message.join(" ") : String(message)} ${String(cause)}`)
    })
  )
  return { lines, layer }
}

describe("OAUTHBEARER", () => {
  it.scopedLive("a valid token logs in: SASL offering only OAUTHBEARER, then AuthenticationOk (no SASLFinal)", () =>
    Effect.gen(function* () {
      const { c, first } = yield* exchange("alice", tokenResponse("alice-ok"))
      expect(first).toEqual({ _tag: "AuthenticationOk" })
      expect(yield* whoami(c)).toEqual(["alice", "OAUTHBEARER", "alice"])
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("the validator gets the token, the startup user and the session's startup info", () =>
    Effect.gen(function* () {
      const seen = yield* Deferred.make<readonly [string, string, string | undefined]>()
      const layer = server({
        oauth: oauth({
          validate: (token, user, info) =>
            Effect.as(Deferred.succeed(seen, [token, user, info.startupParameters.get("application_name")] as const), {
              authorized: true,
              authnId: user
            })
        })
      })
      yield* Effect.gen(function* () {
        const c = yield* Testing.open
        yield* c.sendMessage({
          _tag: "StartupMessage",
          protocolVersion: { major: 3, minor: 0 },
          parameters: { user: "bob", application_name: "app" }
        })
        yield* c.receive
        yield* c.sendMessage(initial(tokenResponse("bEaR3r.tok_en~+/==")))
        expect(yield* c.receive).toEqual({ _tag: "AuthenticationOk" })
      }).pipe(Effect.provide(layer))
      expect(yield* Deferred.await(seen)).toEqual(["bEaR3r.tok_en~+/==", "bob", "app"])
    }))

  it.scopedLive("the Bearer scheme is case-insensitive and may be followed by several spaces", () =>
    Effect.gen(function* () {
      const { first } = yield* exchange("alice", ascii("n,,\x01auth=bearer   alice-ok\x01\x01"))
      expect(first).toEqual({ _tag: "AuthenticationOk" })
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("an invalid token gets the discovery JSON, and after the client's kvsep FATAL 28000", () =>
    Effect.gen(function* () {
      const { c, first } = yield* exchange("alice", tokenResponse("forged"))
      yield* refusedAfterChallenge(c, first, "alice")
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("a discovery request (empty auth) gets the discovery JSON without calling the validator", () =>
    Effect.gen(function* () {
      let calls = 0
      const layer = server({ oauth: oauth({ validate: (t, u, i) => Effect.suspend(() => (calls++, validate(t, u, i))) }) })
      yield* Effect.gen(function* () {
        const { c, first } = yield* exchange("alice", DISCOVERY)
        yield* refusedAfterChallenge(c, first, "alice")
      }).pipe(Effect.provide(layer))
      expect(calls).toBe(0)
    }))

  it.scopedLive("an issuer naming a well-known document is sent as it is", () =>
    Effect.gen(function* () {
      const { first } = yield* exchange("alice", DISCOVERY)
      expect(first._tag === "AuthenticationSASLContinue" && json(first.data)).toEqual({
        status: "invalid_token",
        "openid-configuration": "https://idp.example/.well-known/oauth-authorization-server",
        scope: ""
      })
    }).pipe(Effect.provide(server({ oauth: oauth({ issuer: "https://idp.example/.well-known/oauth-authorization-server", scope: "" }) }))))

  it.scopedLive("no initial response: an empty challenge, then the response in a SASLResponse", () =>
    Effect.gen(function* () {
      const { c, first } = yield* exchange("alice", null)
      expect(first).toEqual({ _tag: "AuthenticationSASLContinue", data: new Uint8Array(0) })
      yield* c.sendMessage(response(tokenResponse("alice-ok")))
      expect(yield* c.receive).toEqual({ _tag: "AuthenticationOk" })
      expect(yield* whoami(c)).toEqual(["alice", "OAUTHBEARER", "alice"])
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("a non-Bearer scheme or a malformed token is an invalid token (not a protocol error)", () =>
    Effect.gen(function* () {
      for (const auth of ["Basic YWxpY2U6cHc=", "Bearer ", "Bearer alice-ok garbage"]) {
        const { c, first } = yield* exchange("alice", ascii(`n,,\x01auth=${auth}\x01\x01`))
        yield* refusedAfterChallenge(c, first, "alice")
      }
    }).pipe(Effect.provide(server({}))))

  const malformed: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["garbage", "garbage", /channel-binding flag/],
    ["no auth key", "n,,\x01host=h\x01\x01", /auth value/],
    ["channel binding data", "p=tls-server-end-point,,\x01auth=\x01\x01", /channel binding/],
    ["no final terminator", "n,,\x01auth=Bearer x\x01", /terminator/]
  ]
  for (const [name, data, detail] of malformed) {
    it.scopedLive(`a malformed initial response (${name}): FATAL 08P01`, () =>
      Effect.gen(function* () {
        const { c, first } = yield* exchange("alice", ascii(data))
        expect(first).toMatchObject({
          _tag: "ErrorResponse",
          fields: { severity: "FATAL", code: "08P01", message: "malformed OAUTHBEARER message", detail: expect.stringMatching(detail) }
        })
        expect(yield* c.receiveUntilClosed).toEqual([])
      }).pipe(Effect.provide(server({}))))
  }

  it.scopedLive("an empty initial response (zero bytes, not absent): FATAL 08P01", () =>
    Effect.gen(function* () {
      const { first } = yield* exchange("alice", new Uint8Array(0))
      expect(first).toMatchObject({ fields: { code: "08P01", detail: expect.stringMatching(/empty/) } })
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("an answer to the challenge other than a single kvsep: FATAL 08P01", () =>
    Effect.gen(function* () {
      const { c, first } = yield* exchange("alice", tokenResponse("forged"))
      expect(first._tag).toBe("AuthenticationSASLContinue")
      yield* c.sendMessage(response(tokenResponse("alice-ok")))
      expect(fatalOf(yield* c.receiveUntilClosed)).toMatchObject({ code: "08P01", detail: expect.stringMatching(/kvsep/) })
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("a Query instead of the kvsep answer: FATAL 08P01", () =>
    Effect.gen(function* () {
      const { c } = yield* exchange("alice", DISCOVERY)
      yield* c.sendMessage({ _tag: "Query", sql: "who" })
      expect(fatalOf(yield* c.receiveUntilClosed)).toMatchObject({ code: "08P01" })
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("a mechanism that was not offered: FATAL 08P01", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* start(c, "alice")
      yield* c.sendMessage({ _tag: "SASLInitialResponse", mechanism: "SCRAM-SHA-256", data: ascii("n,,n=,r=abc") })
      expect(fatalOf(yield* c.receiveUntilClosed)).toMatchObject({ code: "08P01", message: "client selected an invalid SASL authentication mechanism" })
    }).pipe(Effect.provide(server({}))))

  it.scopedLive("an authorization identity (authzid) is refused as PostgreSQL does: FATAL 0A000", () =>
    Effect.gen(function* () {
      const { c, first } = yield* exchange("alice", ascii("n,a=alice,\x01auth=Bearer alice-ok\x01\x01"))
      expect(first).toMatchObject({ fields: { severity: "FATAL", code: "0A000" } })
      expect(yield* c.receiveUntilClosed).toEqual([])
    }).pipe(Effect.provide(server({}))))

  describe("identity mapping", () => {
    it.scopedLive("by default the token's identity must be the startup user", () =>
      Effect.gen(function* () {
        const { c, first } = yield* exchange("alice", tokenResponse("mallory-ok"))
        yield* refusedAfterChallenge(c, first, "alice")
      }).pipe(Effect.provide(server({}))))

    it.scopedLive("by default an authorized token that proves no identity is refused", () =>
      Effect.gen(function* () {
        const { c, first } = yield* exchange("alice", tokenResponse("anon-ok"))
        yield* refusedAfterChallenge(c, first, "alice")
      }).pipe(Effect.provide(server({}))))

    it.scopedLive("delegateIdentMapping: the validator's authorization alone decides", () =>
      Effect.gen(function* () {
        const a = yield* exchange("alice", tokenResponse("mallory-ok"))
        expect(a.first).toEqual({ _tag: "AuthenticationOk" })
        expect(yield* whoami(a.c)).toEqual(["alice", "OAUTHBEARER", "mallory"])
        const b = yield* exchange("alice", tokenResponse("anon-ok"))
        expect(b.first).toEqual({ _tag: "AuthenticationOk" })
        expect(yield* whoami(b.c)).toEqual(["alice", "OAUTHBEARER", null])
        const c = yield* exchange("alice", tokenResponse("forged"))
        yield* refusedAfterChallenge(c.c, c.first, "alice")
      }).pipe(Effect.provide(server({ oauth: oauth({ delegateIdentMapping: true }) }))))

    it.scopedLive("a userMap decides which identities may log in as which user", () =>
      Effect.gen(function* () {
        const ok = yield* exchange("alice", tokenResponse("alice.corp-ok"))
        expect(ok.first).toEqual({ _tag: "AuthenticationOk" })
        expect(yield* whoami(ok.c)).toEqual(["alice", "OAUTHBEARER", "alice.corp"])
        const no = yield* exchange("alice", tokenResponse("alice.evil-ok"))
        yield* refusedAfterChallenge(no.c, no.first, "alice")
      }).pipe(Effect.provide(server({ oauth: oauth({ userMap: (id, user) => id === `${user}.corp` }) }))))
  })

  describe("a validator that fails, dies or hangs", () => {
    for (const [name, v] of [
      ["fails", () => Effect.fail("idp unreachable")],
      ["dies", () => Effect.die(new Error("validator bug"))],
      ["throws", () => {
        throw new Error("thrown synchronously")
      }],
      ["returns nonsense", () => Effect.succeed(null as unknown as OAuthValidation)]
    ] as const) {
      it.scopedLive(`a validator that ${name}: the same answer as an invalid token, and logged`, () =>
        Effect.gen(function* () {
          const log = recordingLogger()
          const layer = server({ oauth: oauth({ validate: v }) }).pipe(Layer.provide(log.layer))
          yield* Effect.gen(function* () {
            const { c, first } = yield* exchange("alice", tokenResponse("alice-ok"))
            yield* refusedAfterChallenge(c, first, "alice")
          }).pipe(Effect.provide(layer))
          expect(log.lines.some((l) => l.startsWith("OAuth validator failed"))).toBe(true)
          // The token never reaches the log.
          expect(log.lines.join("\n")).not.toContain("alice-ok")
        }))
    }

    it.scopedLive("a refused token is logged with the reason, not the token", () =>
      Effect.gen(function* () {
        const log = recordingLogger()
        yield* Effect.gen(function* () {
          const { c, first } = yield* exchange("alice", tokenResponse("mallory-ok"))
          yield* refusedAfterChallenge(c, first, "alice")
        }).pipe(Effect.provide(server({}).pipe(Layer.provide(log.layer))))
        expect(log.lines.some((l) => l.includes(`OAuth bearer authentication failed for user "alice"`) && l.includes("does not map"))).toBe(true)
        expect(log.lines.join("\n")).not.toContain("mallory-ok")
      }))

    it.scopedLive("a validator that never answers is cut by the startup timeout and interrupted", () =>
      Effect.gen(function* () {
        const interrupted = yield* Deferred.make<void>()
        const hang: OAuthOptions["validate"] = () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
        yield* Effect.gen(function* () {
          const { c } = yield* Effect.gen(function* () {
            const c = yield* Testing.open
            yield* start(c, "alice")
            yield* c.sendMessage(initial(tokenResponse("alice-ok")))
            return { c }
          })
          // The server closes the connection without an answer, as PostgreSQL at authentication_timeout.
          expect(yield* c.receiveUntilClosed).toEqual([])
        }).pipe(Effect.provide(server({ startupTimeout: "300 millis", oauth: oauth({ validate: hang }) })))
        yield* Deferred.await(interrupted)
      }))
  })

  describe("configuration", () => {
    it.scopedLive("OAUTHBEARER is offered only to connections whose method is oauth", () =>
      Effect.gen(function* () {
        const c = yield* Testing.open
        expect(yield* start(c, "scram-user")).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
        const { first } = yield* exchange("alice", tokenResponse("alice-ok"))
        expect(first).toEqual({ _tag: "AuthenticationOk" })
      }).pipe(
        Effect.provide(
          Testing.layer({ auth: (info) => (info.user === "scram-user" ? "scram-sha-256" : "oauth"), oauth: oauth() }).pipe(
            Layer.provide(WhoAmI),
            Layer.provide(AuthSource.fromRecord({ "scram-user": "pw" }))
          )
        )
      ))

    it.scopedLive("the oauth method without the oauth option fails the server layer", () =>
      Effect.gen(function* () {
        const err = yield* Effect.flip(Effect.scoped(Layer.build(Testing.layer({ auth: "oauth" }))))
        expect(err.reason).toContain("oauth")
        const empty = yield* Effect.flip(Effect.scoped(Layer.build(Testing.layer({ auth: "oauth", oauth: oauth({ issuer: "" }) }))))
        expect(empty.reason).toContain("issuer")
      }))

    it.scopedLive("a per-connection function choosing oauth without the option: FATAL XX000", () =>
      Effect.gen(function* () {
        const c = yield* Testing.open
        expect(yield* start(c, "alice")).toMatchObject({ fields: { severity: "FATAL", code: "XX000" } })
      }).pipe(Effect.provide(Testing.layer({ auth: () => "oauth" }).pipe(Layer.provide(WhoAmI)))))
  })
})

describe("OAUTHBEARER over TLS", () => {
  let dir: string
  let runtime: ManagedRuntime.ManagedRuntime<Server, unknown>
  let port: number

  beforeAll(async () => {
    dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "pgwire-oauth-"))
    const certs = await makeCertificates(dir, {})
    runtime = ManagedRuntime.make(
      Server.layer({
        host: "127.0.0.1",
        port: 0,
        auth: "oauth",
        oauth: oauth(),
        tls: { cert: Fs.readFileSync(certs.certFile), key: Fs.readFileSync(certs.keyFile) }
      }).pipe(Layer.provide(WhoAmI))
    )
    port = (await runtime.runPromise(Server)).address.port
  }, 60_000)

  afterAll(async () => {
    await runtime?.dispose()
    Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("is offered without a -PLUS variant (no channel binding) and logs in", async () => {
    const row = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const socket = yield* NodeSocket.fromDuplex(
            Effect.async<Tls.TLSSocket>((resume) => {
              const s = Tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["postgresql"] })
              s.once("secureConnect", () => resume(Effect.succeed(s)))
              s.once("error", (e) => resume(Effect.die(e)))
            })
          )
          const c = yield* makeTestClient(socket)
          expect(yield* start(c, "alice")).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["OAUTHBEARER"] })
          yield* c.sendMessage(initial(tokenResponse("alice-ok")))
          expect(yield* c.receive).toEqual({ _tag: "AuthenticationOk" })
          return yield* whoami(c)
        })
      )
    )
    expect(row).toEqual(["alice", "OAUTHBEARER", "alice"])
  })
})
