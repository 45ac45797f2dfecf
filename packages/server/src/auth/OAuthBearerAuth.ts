import {
  buildOAuthBearerChallenge,
  isOAuthBearerErrorAck,
  OAUTHBEARER,
  OAuthBearerError,
  type OAuthBearerClientResponse,
  parseBearerCredentials,
  parseOAuthBearerClientResponse,
  SqlState
} from "@pgwire-ts/protocol"
import { Effect } from "effect"
import type { Conn } from "../connection/Conn.js"
import { type ConnectionEnd, FatalError } from "../connection/ConnectionErrors.js"
import { PgError } from "../errors/PgError.js"
import type { StartupInfo } from "../session/Session.js"
import { authSpecFailed, protocolFailed } from "./authFailure.js"

/** What a validator concluded about a bearer token. */
export interface OAuthValidation {
  /** The token is valid and may be used to log in. */
  readonly authorized: boolean
  /**
   * The identity the token proves (e.g. its `sub` or e-mail claim). Without
   * `delegateIdentMapping` it must map to the startup user (by default: equal it).
   */
  readonly authnId?: string | undefined
}

/** The `oauth` auth method: PostgreSQL 18's OAUTHBEARER with a validator of our own. */
export interface OAuthOptions {
  /** The issuer URL given to clients (as pg_hba's `issuer`): "/.well-known/openid-configuration" is appended unless it names a well-known document. */
  readonly issuer: string
  /** Space-separated scopes a token needs (pg_hba's `scope`), sent to clients in the discovery answer. */
  readonly scope: string
  /**
   * Checks a bearer token for the startup user. A failure or defect counts as
   * an invalid token (and is logged); it runs under the server's startup timeout.
   */
  readonly validate: (token: string, user: string, session: StartupInfo) => Effect.Effect<OAuthValidation, unknown>
  /**
   * PostgreSQL's `delegate_ident_mapping`: when true, `authorized` alone lets
   * the user in. Default false: `authnId` must also map to the startup user.
   */
  readonly delegateIdentMapping?: boolean | undefined
  /** PostgreSQL's user map: may `authnId` log in as `user`? Default: only when they are equal. */
  readonly userMap?: ((authnId: string, user: string) => boolean) | undefined
}

const initialAccepts = new Set(["SASLInitialResponse"] as const)
const responseAccepts = new Set(["SASLResponse"] as const)

/**
 * OAUTHBEARER: AuthenticationSASL offering only OAUTHBEARER (it has no
 * channel binding, so no -PLUS even over TLS), the client's initial response,
 * then AuthenticationOk (no SASLFinal), or, for a missing or refused token,
 * the discovery JSON as AuthenticationSASLContinue, the client's kvsep answer,
 * and FATAL 28000. Returns the identity the validator reported.
 */
export const oauthBearerAuth = (
  conn: Conn,
  info: StartupInfo,
  options: OAuthOptions
): Effect.Effect<string | undefined, ConnectionEnd> =>
  Effect.gen(function* () {
    conn.send({ _tag: "AuthenticationSASL", mechanisms: [OAUTHBEARER] })
    yield* conn.flush
    const initial = yield* conn.expect("OAUTHBEARER authentication", initialAccepts, "sasl-initial")
    if (initial.mechanism !== OAUTHBEARER) {
      return yield* protocolFailed("client selected an invalid SASL authentication mechanism")
    }
    let data = initial.data
    if (data === null) {
      // No initial response: ask for it with an empty challenge, as for SCRAM.
      conn.send({ _tag: "AuthenticationSASLContinue", data: new Uint8Array(0) })
      yield* conn.flush
      data = (yield* conn.expect("OAUTHBEARER authentication", responseAccepts, "sasl")).data
    }
    const response = yield* parse(data)
    const verdict = yield* check(response, info, options)
    if (verdict.ok) return verdict.authnId

    conn.send({ _tag: "AuthenticationSASLContinue", data: buildOAuthBearerChallenge(options) })
    yield* conn.flush
    const ack = yield* conn.expect("OAUTHBEARER authentication", responseAccepts, "sasl")
    if (!isOAuthBearerErrorAck(ack.data)) return yield* malformed("the client did not send a kvsep response")
    return yield* authSpecFailed(`OAuth bearer authentication failed for user "${info.user}"`)
  })

const malformed = (detail: string): Effect.Effect<never, FatalError> =>
  Effect.fail(
    new FatalError({ error: PgError.make(SqlState.ProtocolViolation, "malformed OAUTHBEARER message", { severity: "FATAL", detail }) })
  )

const parse = (data: Uint8Array): Effect.Effect<OAuthBearerClientResponse, FatalError> =>
  Effect.suspend(() => {
    try {
      const response = parseOAuthBearerClientResponse(data)
      if (response.authzid !== undefined) {
        // As PostgreSQL: a token proves its own identity; an authorization identity is not supported.
        return Effect.fail(new FatalError({
          error: PgError.make(SqlState.FeatureNotSupported, "client uses authorization identity, but it is not supported", { severity: "FATAL" })
        }))
      }
      return Effect.succeed(response)
    } catch (e) {
      if (e instanceof OAuthBearerError) return malformed(e.reason)
      return Effect.die(e)
    }
  })

type Verdict = { readonly ok: true; readonly authnId: string | undefined } | { readonly ok: false }
const refused: Verdict = { ok: false }

const failedFor = (user: string, detail: string): Effect.Effect<Verdict> =>
  Effect.as(Effect.logInfo(`OAuth bearer authentication failed for user "${user}": ${detail}`), refused)

const check = (response: OAuthBearerClientResponse, info: StartupInfo, options: OAuthOptions): Effect.Effect<Verdict> => {
  const user = info.user
  const credentials = parseBearerCredentials(response.auth)
  switch (credentials._tag) {
    case "Discovery":
      // The client asks for the issuer and scope; it expects to fail, nothing to log.
      return Effect.succeed(refused)
    case "Malformed":
      return failedFor(user, credentials.reason)
    case "Token":
      break
  }
  return Effect.suspend(() => options.validate(credentials.token, user, info)).pipe(
    Effect.flatMap((v): Effect.Effect<Verdict> => {
      if (v.authorized !== true) return failedFor(user, "the validator did not authorize the token")
      const authnId = v.authnId === "" ? undefined : v.authnId
      if (options.delegateIdentMapping === true) return Effect.succeed({ ok: true, authnId })
      if (authnId === undefined) return failedFor(user, "the validator provided no identity")
      const map = options.userMap ?? ((id: string, u: string) => id === u)
      if (!map(authnId, user)) return failedFor(user, `the identity "${authnId}" does not map to the user`)
      return Effect.succeed({ ok: true, authnId })
    }),
    // A validator that fails or dies refuses the token, as PostgreSQL treats an internal validator error.
    Effect.catchAllCause((cause) => Effect.as(Effect.logError("OAuth validator failed", cause), refused))
  )
}
