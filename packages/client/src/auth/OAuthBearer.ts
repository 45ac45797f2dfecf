/**
 * The client side of OAUTHBEARER (PostgreSQL 18): where the bearer token comes
 * from, the initial response, and the one-challenge error exchange (the server's
 * discovery JSON answered with a kvsep, after which it sends FATAL 28000).
 * libpq's built-in device-authorization flow is not here: the application
 * obtains tokens and hands them over through `oauthBearerToken`.
 */
import {
  buildOAuthBearerInitialResponse,
  OAUTHBEARER,
  OAUTHBEARER_ERROR_ACK,
  OAuthBearerError,
  parseOAuthBearerChallenge,
  SCRAM_SHA_256,
  SCRAM_SHA_256_PLUS
} from "@pgwire-ts/protocol"
import { Data, Effect, Redacted } from "effect"

/**
 * Where the bearer token comes from: a fixed token, or an Effect run each time a
 * server asks for one (e.g. one that reads a cache or refreshes a token). The
 * Effect runs only when the server offers OAUTHBEARER, under `connectTimeoutMs`.
 */
export type OAuthBearerTokenSource =
  | string
  | Redacted.Redacted<string>
  | Effect.Effect<string | Redacted.Redacted<string>, unknown>

/**
 * The server refused the token, or had none to check (a discovery connection):
 * it named the OpenID discovery document and the scope a token needs. The
 * `cause` of the PgConnectionError (reason "Auth") that ends such a connection.
 */
export class OAuthChallenge extends Data.TaggedError("OAuthChallenge")<{
  /** "invalid_token" from PostgreSQL. */
  readonly status: string
  /** URL of the OpenID discovery document (PostgreSQL: the issuer + /.well-known/openid-configuration). */
  readonly openidConfiguration: string | undefined
  readonly scope: string | undefined
  /** False for a discovery connection (no token configured). */
  readonly tokenSent: boolean
}> {
  override get message(): string {
    const where = this.openidConfiguration === undefined ? "" : `; discovery document ${this.openidConfiguration}`
    const scope = this.scope === undefined ? "" : `, scope "${this.scope}"`
    return `the server ${this.tokenSent ? "refused the bearer token" : "asks for a bearer token"} (${this.status}${where}${scope})`
  }
}

/** Use OAUTHBEARER when offered and either a token is configured or no SCRAM mechanism is offered beside it. */
export const prefersOAuthBearer = (offered: ReadonlyArray<string>, hasToken: boolean): boolean =>
  offered.includes(OAUTHBEARER) && (hasToken || !(offered.includes(SCRAM_SHA_256) || offered.includes(SCRAM_SHA_256_PLUS)))

/** The token an Effect source produces. */
export const fetchToken = (source: Effect.Effect<string | Redacted.Redacted<string>, unknown>): Effect.Effect<string, unknown> =>
  Effect.map(source, (t) => (typeof t === "string" ? t : Redacted.value(t)))

/**
 * One OAUTHBEARER exchange: the initial response, then at most one challenge.
 * Throws OAuthBearerError (kind "input" for an unsendable token, "protocol" for
 * a bad or second challenge).
 */
export class OAuthBearerExchange {
  private started = false
  private tokenSent = false
  challenge: OAuthChallenge | undefined = undefined

  /** The SASLInitialResponse data; an undefined or empty token asks for discovery. */
  initialResponse(token: string | undefined): Uint8Array {
    const data = buildOAuthBearerInitialResponse({ token })
    this.started = true
    this.tokenSent = token !== undefined && token !== ""
    return data
  }

  /** Reads the server's error challenge and returns the kvsep answer it expects. */
  onChallenge(data: Uint8Array): Uint8Array {
    if (!this.started) throw new OAuthBearerError({ kind: "protocol", reason: "the server sent a challenge before the initial response" })
    if (this.challenge !== undefined) throw new OAuthBearerError({ kind: "protocol", reason: "the server sent a second challenge" })
    const c = parseOAuthBearerChallenge(data)
    this.challenge = new OAuthChallenge({ ...c, tokenSent: this.tokenSent })
    return OAUTHBEARER_ERROR_ACK
  }
}
