// Our SCRAM and MD5 computations reproduce, byte for byte, what libpq and PostgreSQL 15 sent
// in the captured logins, given the known password (golden/<scenario>.json).
import { describe, expect, it } from "@effect/vitest"
import {
  formatScramVerifier,
  makeScramVerifier,
  md5ClientResponse,
  md5PasswordHash,
  md5SaltedResponse,
  parseScramVerifier,
  ScramClientSession,
  ScramError,
  ScramServerSession
} from "../src/auth/index.js"
import type { BackendMessage, FrontendMessage } from "../src/index.js"
import { type CaptureName, decodeCapture, loadCapture, loadJson, text } from "./golden/captures.js"

interface LoginSidecar {
  readonly user: string
  readonly password: string
  readonly storedPassword: string
}

const one = <M extends { readonly _tag: string }, T extends M["_tag"]>(messages: ReadonlyArray<M>, tag: T): Extract<M, { _tag: T }> => {
  const found = messages.filter((m): m is Extract<M, { _tag: T }> => m._tag === tag)
  expect(found, tag).toHaveLength(1)
  return found[0]!
}

// The four SCRAM messages of a captured exchange, as the wire carried them.
const scramExchange = (name: CaptureName) => {
  const { fe, be } = decodeCapture(loadCapture(name))
  const initial = one<FrontendMessage, "SASLInitialResponse">(fe, "SASLInitialResponse")
  return {
    mechanism: initial.mechanism,
    clientFirst: text(initial.data)!,
    serverFirst: one<BackendMessage, "AuthenticationSASLContinue">(be, "AuthenticationSASLContinue").data,
    clientFinal: text(one<FrontendMessage, "SASLResponse">(fe, "SASLResponse").data)!,
    serverFinal: one<BackendMessage, "AuthenticationSASLFinal">(be, "AuthenticationSASLFinal").data
  }
}

const attribute = (message: string, name: string): string => {
  const found = message.split(",").find((a) => a.startsWith(`${name}=`))
  if (found === undefined) throw new Error(`no ${name}= in ${message}`)
  return found.slice(name.length + 1)
}

describe.each(["scram-login", "psql-simple"] as const)("SCRAM-SHA-256 in %s", (name) => {
  const sidecar = loadJson<LoginSidecar>("scram-login.json")
  const x = scramExchange(name)
  const clientNonce = attribute(x.clientFirst, "r")
  const serverFirstText = Buffer.from(x.serverFirst).toString("utf8")
  const fullNonce = attribute(serverFirstText, "r")
  const salt = new Uint8Array(Buffer.from(attribute(serverFirstText, "s"), "base64"))
  const iterations = Number(attribute(serverFirstText, "i"))

  it("libpq's messages have the shape we expect", () => {
    expect(x.mechanism).toBe("SCRAM-SHA-256")
    expect(x.clientFirst).toBe(`n,,n=,r=${clientNonce}`)
    expect(fullNonce.startsWith(clientNonce)).toBe(true)
    expect(iterations).toBe(4096)
  })

  it("ScramClientSession fed the captured nonce reproduces client-final and accepts server-final", () => {
    const session = new ScramClientSession({ password: sidecar.password, mechanism: "SCRAM-SHA-256", clientNonce })
    expect(session.clientFirstMessage()).toBe(x.clientFirst)
    expect(session.handleServerFirst(x.serverFirst)).toBe(x.clientFinal)
    session.verifyServerFinal(x.serverFinal)
    expect(session.authenticated).toBe(true)
  })

  it("with a wrong password the proof differs and PostgreSQL's server-final is refused", () => {
    const session = new ScramClientSession({ password: "not the password", mechanism: "SCRAM-SHA-256", clientNonce })
    session.clientFirstMessage()
    const final = session.handleServerFirst(x.serverFirst)
    expect(final).not.toBe(x.clientFinal)
    expect(attribute(final, "r")).toBe(fullNonce)
    expect(() => session.verifyServerFinal(x.serverFinal)).toThrow(ScramError)
    expect(session.authenticated).toBe(false)
  })

  it("ScramServerSession with the same salt and nonce answers exactly as PostgreSQL did", () => {
    const verifier = makeScramVerifier(sidecar.password, { salt, iterations })
    const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256", serverNonce: fullNonce.slice(clientNonce.length) })
    expect(server.handleClientFirst(Buffer.from(x.clientFirst))).toBe(serverFirstText)
    expect(server.handleClientFinal(Buffer.from(x.clientFinal))).toBe(Buffer.from(x.serverFinal).toString("utf8"))
    expect(server.authenticated).toBe(true)
  })
})

describe("stored SCRAM verifier (pg_authid.rolpassword of scram_user)", () => {
  const sidecar = loadJson<LoginSidecar>("scram-login.json")

  it("parses, and our derivation from the password and its salt gives the same text", () => {
    const stored = parseScramVerifier(sidecar.storedPassword)
    expect(stored).toBeDefined()
    expect(stored!.iterations).toBe(4096)
    const ours = makeScramVerifier(sidecar.password, { salt: stored!.salt, iterations: stored!.iterations })
    expect(formatScramVerifier(ours)).toBe(sidecar.storedPassword)
  })

  it("is the verifier PostgreSQL used in the captured scram-login", () => {
    const x = scramExchange("scram-login")
    const salt = attribute(Buffer.from(x.serverFirst).toString("utf8"), "s")
    expect(sidecar.storedPassword).toContain(`$4096:${salt}$`)
  })
})

describe("MD5 in md5-login", () => {
  const sidecar = loadJson<LoginSidecar>("md5-login.json")
  const { fe, be } = decodeCapture(loadCapture("md5-login"))
  const salt = one<BackendMessage, "AuthenticationMD5Password">(be, "AuthenticationMD5Password").salt
  const sent = one<FrontendMessage, "PasswordMessage">(fe, "PasswordMessage").password

  it("md5PasswordHash gives PostgreSQL's stored hash", () => {
    expect(md5PasswordHash(sidecar.user, sidecar.password)).toBe(sidecar.storedPassword)
  })

  it("md5ClientResponse and md5SaltedResponse reproduce the captured PasswordMessage from the captured salt", () => {
    expect(md5ClientResponse(sidecar.user, sidecar.password, salt)).toBe(sent)
    expect(md5SaltedResponse(sidecar.storedPassword, salt)).toBe(sent)
    expect(md5ClientResponse(sidecar.user, "md5_wrong", salt)).not.toBe(sent)
  })
})

describe("cleartext password in password-login", () => {
  it("sends the password as is", () => {
    const sidecar = loadJson<LoginSidecar>("password-login.json")
    const { fe } = decodeCapture(loadCapture("password-login"))
    expect(one<FrontendMessage, "PasswordMessage">(fe, "PasswordMessage").password).toBe(sidecar.password)
  })
})
