import { SqlState } from "@pgwire-ts/protocol"
import { Effect, Option } from "effect"
import { certAuth } from "../auth/CertAuth.js"
import { md5Auth } from "../auth/Md5Auth.js"
import { oauthBearerAuth } from "../auth/OAuthBearerAuth.js"
import { passwordAuth } from "../auth/PasswordAuth.js"
import { scramAuth } from "../auth/ScramAuth.js"
import { PgError } from "../errors/PgError.js"
import type { Credential } from "../handlers/AuthSource.js"
import type { AuthMethodUsed, StartupInfo } from "../session/Session.js"
import type { Conn } from "./Conn.js"
import { type ConnectionEnd, FatalError } from "./ConnectionErrors.js"
import { Phase } from "./Phase.js"
import { makeSession } from "./SessionImpl.js"

/**
 * The Authenticating phase: runs the configured method, then sends
 * AuthenticationOk, the ParameterStatus set, BackendKeyData and the first
 * ReadyForQuery.
 */
export const runAuthentication = (conn: Conn, info: StartupInfo): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    const { method: used, authnId } = yield* authenticate(conn, info)
    const env = conn.env
    // 3.2 allows a longer cancel key; PostgreSQL 18 sends 32 bytes.
    const key = yield* env.cancelRegistry.register(info.protocolVersion.minor >= 2 ? 32 : 4, conn.cancellation.trigger)
    conn.processId = key.processId
    conn.secretKey = key.secretKey
    conn.send({ _tag: "AuthenticationOk" })
    for (const [name, value] of yield* env.parameters.initial(info)) {
      conn.parameters.set(name, value)
      conn.send({ _tag: "ParameterStatus", name, value })
    }
    conn.send({ _tag: "BackendKeyData", processId: conn.processId, secretKey: conn.secretKey })
    conn.session = makeSession(conn, info, used, authnId)
    conn.send({ _tag: "ReadyForQuery", status: "I" })
    yield* conn.flush
    return Phase.Ready({ transactionStatus: "I" })
  })

const authenticate = (
  conn: Conn,
  info: StartupInfo
): Effect.Effect<{ readonly method: AuthMethodUsed; readonly authnId?: string | undefined }, ConnectionEnd> =>
  Effect.gen(function* () {
    const method = yield* Effect.try({
      try: () => conn.env.config.auth(info),
      catch: (cause) =>
        new FatalError({ error: PgError.make(SqlState.InternalError, `auth method selection failed: ${String(cause)}`, { severity: "FATAL" }) })
    })
    const user = info.user
    if (method === "cert" && conn.env.config.tls?.requestCert !== true) {
      return yield* new FatalError({
        error: PgError.make(SqlState.InternalError, "cert authentication needs tls.requestCert", { severity: "FATAL" })
      })
    }
    switch (method) {
      case "trust":
        return { method: "trust" }
      case "cert":
        yield* certAuth(conn, user)
        return { method: "cert", authnId: user }
      case "oauth": {
        const options = conn.env.config.oauth
        if (options === undefined) {
          return yield* new FatalError({
            error: PgError.make(SqlState.InternalError, "oauth authentication needs the oauth server option", { severity: "FATAL" })
          })
        }
        return { method: "OAUTHBEARER", authnId: yield* oauthBearerAuth(conn, info, options) }
      }
    }
    const credential = yield* lookup(conn, info)
    switch (method) {
      case "password":
        yield* passwordAuth(conn, user, credential)
        return { method: "password", authnId: user }
      case "md5": {
        // As PostgreSQL: an md5 method with a SCRAM secret stored uses SCRAM.
        if (Option.isSome(credential) && credential.value._tag === "Scram") {
          return { method: yield* scramAuth(conn, user, credential), authnId: user }
        }
        yield* md5Auth(conn, user, credential as Option.Option<Exclude<Credential, { _tag: "Scram" }>>)
        return { method: "md5", authnId: user }
      }
      case "scram-sha-256":
        return { method: yield* scramAuth(conn, user, credential), authnId: user }
    }
  })

const lookup = (conn: Conn, info: StartupInfo): Effect.Effect<Option.Option<Credential>, ConnectionEnd> => {
  const source = conn.env.authSource
  if (source === undefined) {
    return Effect.fail(
      new FatalError({
        error: PgError.make(SqlState.InternalError, "password authentication is configured without an AuthSource", {
          severity: "FATAL"
        })
      })
    )
  }
  // A lookup that dies must not reveal anything either: log it and fail like a bad password.
  return source.lookup(info.user, info).pipe(
    Effect.catchAllCause((cause) =>
      Effect.as(Effect.logError("AuthSource.lookup failed", cause), Option.none<Credential>())
    )
  )
}
