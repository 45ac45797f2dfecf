import {
  makeScramVerifier,
  mockScramVerifier,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS,
  ScramError,
  type ScramMechanism,
  ScramServerSession,
  type ScramVerifier,
  tlsServerEndPointHash
} from "@pgwire-ts/protocol"
import { Effect, Option } from "effect"
import type { Credential } from "../handlers/AuthSource.js"
import type { Conn } from "../connection/Conn.js"
import type { ConnectionEnd } from "../connection/ConnectionErrors.js"
import type { AuthMethodUsed } from "../session/Session.js"
import { passwordFailed, protocolFailed } from "./authFailure.js"

const initialAccepts = new Set(["SASLInitialResponse"] as const)
const responseAccepts = new Set(["SASLResponse"] as const)
const encoder = new TextEncoder()

/**
 * SCRAM-SHA-256, and SCRAM-SHA-256-PLUS (offered first) on TLS with the
 * tls-server-end-point binding of our certificate. A user with no usable
 * verifier (unknown, or only an MD5 hash) runs the exchange against a mock
 * verifier and fails at the proof, exactly like a wrong password.
 */
export const scramAuth = (
  conn: Conn,
  user: string,
  credential: Option.Option<Credential>
): Effect.Effect<AuthMethodUsed, ConnectionEnd> =>
  Effect.gen(function* () {
    const cert = conn.transport.serverCertificate
    const bindingData = cert === undefined ? undefined : channelBinding(cert)
    const mechanisms: Array<ScramMechanism> = bindingData === undefined ? [SCRAM_SHA_256] : [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]
    conn.send({ _tag: "AuthenticationSASL", mechanisms })
    yield* conn.flush

    const initial = yield* conn.expect("SCRAM authentication", initialAccepts, "sasl-initial")
    const mechanism = mechanisms.find((m) => m === initial.mechanism)
    if (mechanism === undefined) {
      return yield* protocolFailed("client selected an invalid SASL authentication mechanism")
    }
    const session = new ScramServerSession({
      verifier: verifierFor(conn, user, credential),
      mechanism,
      ...(bindingData !== undefined ? { channelBindingData: bindingData } : {})
    })
    let clientFirst = initial.data
    if (clientFirst === null) {
      // No initial response: ask for it with an empty challenge.
      conn.send({ _tag: "AuthenticationSASLContinue", data: new Uint8Array(0) })
      yield* conn.flush
      clientFirst = (yield* conn.expect("SCRAM authentication", responseAccepts, "sasl")).data
    }
    const serverFirst = yield* step(user, () => session.handleClientFirst(clientFirst))
    conn.send({ _tag: "AuthenticationSASLContinue", data: encoder.encode(serverFirst) })
    yield* conn.flush

    const final = yield* conn.expect("SCRAM authentication", responseAccepts, "sasl")
    const serverFinal = yield* step(user, () => session.handleClientFinal(final.data))
    conn.send({ _tag: "AuthenticationSASLFinal", data: encoder.encode(serverFinal) })
    return mechanism
  })

const step = (user: string, f: () => string): Effect.Effect<string, ConnectionEnd> =>
  Effect.try({
    try: f,
    catch: (e) =>
      e instanceof ScramError && e.kind === "protocol" ? protocolFailed(e.reason) : passwordFailed(user)
  })

const channelBinding = (certDer: Uint8Array): Uint8Array | undefined => {
  try {
    return tlsServerEndPointHash(certDer)
  } catch {
    // A certificate whose signature algorithm gives no binding hash: offer plain SCRAM only.
    return undefined
  }
}

const verifierFor = (conn: Conn, user: string, credential: Option.Option<Credential>): ScramVerifier => {
  if (Option.isSome(credential)) {
    const c = credential.value
    if (c._tag === "Scram") return c.verifier
    if (c._tag === "Plaintext") return makeScramVerifier(c.password)
  }
  return mockScramVerifier(user, conn.env.mockScramSecret)
}
