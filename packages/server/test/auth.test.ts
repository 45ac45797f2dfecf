import { describe, expect, it } from "@effect/vitest"
import { formatScramVerifier, makeScramVerifier, md5PasswordHash, Oid } from "@pgwire-ts/protocol"
import { Effect, Layer } from "effect"
import { AuthSource, Credential } from "../src/handlers/AuthSource.js"
import { SimpleQueryHandler } from "../src/handlers/SimpleQueryHandler.js"
import { ResultSet } from "../src/results/ResultSet.js"
import type { AuthMethod } from "../src/ServerOptions.js"
import { Testing } from "../src/testing/Testing.js"

const WhoAmI = SimpleQueryHandler.perStatement((_, session) =>
  Effect.succeed(
    ResultSet.make({
      fields: [ResultSet.field("user", Oid.text), ResultSet.field("method", Oid.text)],
      rows: [[session.user, session.authMethod]]
    })
  )
)

const Users = AuthSource.fromRecord({
  plain: "pw-plain",
  hashed: Credential.md5("hashed", "pw-md5"),
  scram: Credential.scram("pw-scram", { iterations: 4096 }),
  scramText: Credential.scramVerifier(formatScramVerifier(makeScramVerifier("pw-text"))),
  "üser": "pässwörd"
})

const server = (auth: AuthMethod) => Testing.layer({ auth }).pipe(Layer.provide(WhoAmI), Layer.provide(Users))

const method = (user: string, password: string) =>
  Effect.gen(function* () {
    const c = yield* Testing.connect({ user, password })
    const out = yield* c.query("who")
    const r = out.results[0]
    return r?._tag === "Rows" ? r.rows[0]![1] : undefined
  })

const failure = (user: string, password: string | undefined) =>
  Effect.map(Effect.flip(Testing.connect({ user, password })), (e) => e.error)

describe("authentication", () => {
  it.scopedLive("trust", () =>
    Effect.gen(function* () {
      expect(yield* method("anyone", "ignored")).toBe("trust")
    }).pipe(Effect.provide(server("trust"))))

  it.scopedLive("cleartext password against plaintext, MD5 and SCRAM credentials", () =>
    Effect.gen(function* () {
      expect(yield* method("plain", "pw-plain")).toBe("password")
      expect(yield* method("hashed", "pw-md5")).toBe("password")
      expect(yield* method("scram", "pw-scram")).toBe("password")
      expect(yield* method("üser", "pässwörd")).toBe("password")
      const c = yield* Testing.open
      const s = yield* c.startup({ user: "plain", password: "pw-plain" })
      expect(s.authentication).toEqual(["AuthenticationCleartextPassword", "AuthenticationOk"])
    }).pipe(Effect.provide(server("password"))))

  it.scopedLive("md5 against plaintext and MD5; a SCRAM credential switches to SCRAM", () =>
    Effect.gen(function* () {
      expect(yield* method("plain", "pw-plain")).toBe("md5")
      expect(yield* method("hashed", "pw-md5")).toBe("md5")
      expect(yield* method("scram", "pw-scram")).toBe("SCRAM-SHA-256")
    }).pipe(Effect.provide(server("md5"))))

  it.scopedLive("SCRAM-SHA-256 against stored verifiers and plaintext", () =>
    Effect.gen(function* () {
      expect(yield* method("scram", "pw-scram")).toBe("SCRAM-SHA-256")
      expect(yield* method("scramText", "pw-text")).toBe("SCRAM-SHA-256")
      expect(yield* method("plain", "pw-plain")).toBe("SCRAM-SHA-256")
      const c = yield* Testing.open
      const s = yield* c.startup({ user: "scram", password: "pw-scram" })
      expect(s.authentication).toEqual([
        "AuthenticationSASL",
        "AuthenticationSASLContinue",
        "AuthenticationSASLFinal",
        "AuthenticationOk"
      ])
    }).pipe(Effect.provide(server("scram-sha-256"))))

  for (const auth of ["password", "md5", "scram-sha-256"] as const) {
    it.scopedLive(`${auth}: a wrong password and an unknown user fail identically with 28P01`, () =>
      Effect.gen(function* () {
        const wrong = yield* failure("scram", "nope")
        const unknown = yield* failure("ghost", "nope")
        expect(wrong).toEqual({
          severity: "FATAL",
          severityNonLocalized: "FATAL",
          code: "28P01",
          message: 'password authentication failed for user "scram"'
        })
        expect(unknown).toEqual({ ...wrong, message: 'password authentication failed for user "ghost"' })
        // An MD5-only user cannot do SCRAM: same answer, not a different error.
        if (auth === "scram-sha-256") expect((yield* failure("hashed", "pw-md5"))?.code).toBe("28P01")
      }).pipe(Effect.provide(server(auth))))
  }

  it.scopedLive("unknown users go through the whole SCRAM exchange (no early answer)", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* c.sendMessage({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "ghost" } })
      const first = yield* c.receive
      expect(first).toEqual({ _tag: "AuthenticationSASL", mechanisms: ["SCRAM-SHA-256"] })
    }).pipe(Effect.provide(server("scram-sha-256"))))

  it.scopedLive("a SASL mechanism that was not offered: FATAL 08P01", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* c.sendMessage({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "scram" } })
      yield* c.receive
      yield* c.sendMessage({ _tag: "SASLInitialResponse", mechanism: "SCRAM-SHA-256-PLUS", data: new TextEncoder().encode("p=tls-server-end-point,,n=,r=abc") })
      const msgs = yield* c.receiveUntilClosed
      expect(msgs[0]).toMatchObject({ fields: { severity: "FATAL", code: "08P01" } })
    }).pipe(Effect.provide(server("scram-sha-256"))))

  it.scopedLive("a malformed client-first-message: FATAL 08P01", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* c.sendMessage({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "scram" } })
      yield* c.receive
      yield* c.sendMessage({ _tag: "SASLInitialResponse", mechanism: "SCRAM-SHA-256", data: new TextEncoder().encode("garbage") })
      const msgs = yield* c.receiveUntilClosed
      expect(msgs[0]).toMatchObject({ fields: { severity: "FATAL", code: "08P01" } })
    }).pipe(Effect.provide(server("scram-sha-256"))))

  it.scopedLive("a client that answers a password request with a Query: FATAL 08P01", () =>
    Effect.gen(function* () {
      const c = yield* Testing.open
      yield* c.sendMessage({ _tag: "StartupMessage", protocolVersion: { major: 3, minor: 0 }, parameters: { user: "plain" } })
      expect(yield* c.receive).toEqual({ _tag: "AuthenticationMD5Password", salt: expect.any(Uint8Array) })
      yield* c.sendMessage({ _tag: "Query", sql: "select 1" })
      const msgs = yield* c.receiveUntilClosed
      expect(msgs[0]).toMatchObject({ fields: { severity: "FATAL", code: "08P01" } })
    }).pipe(Effect.provide(server("md5"))))

  it.scopedLive("an empty cleartext password is refused", () =>
    Effect.gen(function* () {
      expect((yield* failure("plain", ""))?.code).toBe("28P01")
    }).pipe(Effect.provide(server("password"))))

  it.scopedLive("auth per connection through a function", () =>
    Effect.gen(function* () {
      expect(yield* method("plain", "pw-plain")).toBe("SCRAM-SHA-256")
      expect(yield* method("guest", "")).toBe("trust")
    }).pipe(
      Effect.provide(
        Testing.layer({ auth: (info) => (info.user === "guest" ? "trust" : "scram-sha-256") }).pipe(
          Layer.provide(WhoAmI),
          Layer.provide(Users)
        )
      )
    ))

  it.scopedLive("cert auth without TLS requestCert fails the server layer", () =>
    Effect.gen(function* () {
      const err = yield* Effect.flip(
        Effect.scoped(Layer.build(Testing.layer({ auth: "cert" })))
      )
      expect(err._tag).toBe("ServerError")
    }))

  it.scopedLive("a password method without an AuthSource fails the server layer", () =>
    Effect.gen(function* () {
      const err = yield* Effect.flip(Effect.scoped(Layer.build(Testing.layer({ auth: "md5" }))))
      expect(err.reason).toContain("needs an AuthSource")
    }))

  it.scopedLive("a credential helper stays consistent with PostgreSQL's MD5 form", () =>
    Effect.sync(() => {
      expect(Credential.md5("u", "p")).toEqual({ _tag: "Md5", hash: md5PasswordHash("u", "p") })
      expect(() => Credential.scramVerifier("md5abc")).toThrow()
    }))
})
