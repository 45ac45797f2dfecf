/**
 * Connection settings: `ClientOptions` is what a user gives (every field
 * optional, libpq's defaults fill the rest), `ClientConfig` the resolved and
 * validated form a connection runs with.
 */
import { isBearerToken, type NoticeResponse } from "@pgwire-ts/protocol"
import { Redacted } from "effect"
import os from "node:os"
import type { OAuthBearerTokenSource } from "../auth/OAuthBearer.js"
import { PgConnectionError } from "../errors.js"

/** libpq's sslmode. `allow` is treated as `prefer` (we never retry a refused TLS connection in plain text). */
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full"
/** `postgres`: SSLRequest first (every server); `direct`: TLS from the first byte with ALPN "postgresql" (PostgreSQL 17+). */
export type SslNegotiation = "postgres" | "direct"
/** libpq's channel_binding: `require` accepts only SCRAM-SHA-256-PLUS. */
export type ChannelBinding = "disable" | "prefer" | "require"
/** The authentication methods `requireAuth` names, as libpq's require_auth. `none` is a server that asks for nothing; `oauth` is OAUTHBEARER. */
export type AuthMethodName = "password" | "md5" | "scram-sha-256" | "oauth" | "gss" | "sspi" | "none"
export type ProtocolVersionName = "3.0" | "3.2"

export const SSL_MODES: ReadonlyArray<SslMode> = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
export const AUTH_METHODS: ReadonlyArray<AuthMethodName> = ["password", "md5", "scram-sha-256", "oauth", "gss", "sspi", "none"]

export interface ClientOptions {
  /** Host name or IP address; a value starting with "/" is a Unix socket directory. Default "localhost". */
  readonly host?: string | undefined
  /** Default 5432. */
  readonly port?: number | undefined
  /** Default: the OS user name. */
  readonly user?: string | undefined
  readonly password?: string | Redacted.Redacted<string> | undefined
  /**
   * The bearer token for OAUTHBEARER (PostgreSQL 18 `oauth` auth), or an Effect
   * that gives one when a server asks. Without it, a server that asks gets a
   * discovery request, and the connection fails with its issuer and scope.
   */
  readonly oauthBearerToken?: OAuthBearerTokenSource | undefined
  /** Default: the user name. */
  readonly database?: string | undefined
  readonly applicationName?: string | undefined
  /** Default "prefer" (TCP); TLS is never used on Unix sockets. */
  readonly sslmode?: SslMode | undefined
  readonly sslnegotiation?: SslNegotiation | undefined
  /** Path of a PEM file with the CA certificates that sign the server's certificate. */
  readonly sslrootcert?: string | undefined
  /** The same as PEM text or bytes (instead of a path). */
  readonly sslca?: string | Uint8Array | undefined
  /** Client certificate and key (PEM paths), for `cert` authentication. */
  readonly sslcert?: string | undefined
  readonly sslkey?: string | undefined
  /** Default "prefer". */
  readonly channelBinding?: ChannelBinding | undefined
  /**
   * The methods the server may ask for, as libpq's require_auth: either a list
   * of allowed methods or a list of forbidden ones each prefixed with "!"
   * ("scram-sha-256", "!password,!md5"). Default: any method.
   */
  readonly requireAuth?: string | ReadonlyArray<string> | undefined
  /** Protocol version to request. Default "3.0"; "3.2" is negotiated down when the server is older. */
  readonly maxProtocolVersion?: ProtocolVersionName | "latest" | undefined
  /** Lowest version to accept after negotiation. Default "3.0". */
  readonly minProtocolVersion?: ProtocolVersionName | undefined
  /** Milliseconds to open the connection and finish startup. Default 30000; 0 waits forever. */
  readonly connectTimeoutMs?: number | undefined
  /** Server options, as libpq's `options` ("-c search_path=x"). */
  readonly options?: string | undefined
  /** More startup parameters (e.g. { TimeZone: "UTC" }). */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** Prepared statements kept per connection for `execute`/`stream` by SQL text. Default 100; 0 disables the cache. */
  readonly statementCacheSize?: number | undefined
  /** Rows (or COPY chunks) buffered for a slow Stream consumer before the socket stops being read. Default 2048. */
  readonly maxBufferedRows?: number | undefined
  /** Called for every NoticeResponse (also published on `client.notices`). */
  readonly onNotice?: ((notice: NoticeResponse["fields"]) => void) | undefined
}

export interface ClientConfig {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: Redacted.Redacted<string> | undefined
  readonly oauthBearerToken: OAuthBearerTokenSource | undefined
  readonly database: string
  readonly applicationName: string | undefined
  readonly sslmode: SslMode
  readonly sslnegotiation: SslNegotiation
  readonly sslrootcert: string | undefined
  readonly sslca: string | Uint8Array | undefined
  readonly sslcert: string | undefined
  readonly sslkey: string | undefined
  readonly channelBinding: ChannelBinding
  /** The methods the server may ask for. */
  readonly allowedAuth: ReadonlySet<AuthMethodName>
  readonly maxProtocolVersion: ProtocolVersionName
  readonly minProtocolVersion: ProtocolVersionName
  readonly connectTimeoutMs: number
  readonly options: string | undefined
  readonly parameters: Readonly<Record<string, string>>
  readonly statementCacheSize: number
  readonly maxBufferedRows: number
  readonly onNotice: ((notice: NoticeResponse["fields"]) => void) | undefined
}

const configError = (message: string): PgConnectionError => new PgConnectionError({ reason: "Config", message })

/** True when `host` names a Unix socket directory. */
export const isUnixSocketHost = (host: string): boolean => host.startsWith("/")

/** The socket file of a Unix socket directory and port, as libpq builds it. */
export const unixSocketPath = (dir: string, port: number): string => `${dir.replace(/\/+$/, "")}/.s.PGSQL.${port}`

/** libpq's require_auth: a list of allowed methods, or of forbidden ones each with "!". Throws PgConnectionError. */
export const parseRequireAuth = (spec: string | ReadonlyArray<string> | undefined): ReadonlySet<AuthMethodName> => {
  if (spec === undefined) return new Set(AUTH_METHODS)
  const items = (typeof spec === "string" ? spec.split(",") : spec).map((s) => s.trim()).filter((s) => s !== "")
  if (items.length === 0) return new Set(AUTH_METHODS)
  const negated = items[0]!.startsWith("!")
  const result = new Set<AuthMethodName>(negated ? AUTH_METHODS : [])
  for (const item of items) {
    if (item.startsWith("!") !== negated) {
      throw configError(`require_auth: negative and positive methods cannot be mixed ("${item}")`)
    }
    const name = negated ? item.slice(1) : item
    if (!(AUTH_METHODS as ReadonlyArray<string>).includes(name)) {
      throw configError(`require_auth: unknown method "${name}" (expected ${AUTH_METHODS.join(", ")})`)
    }
    if (negated) result.delete(name as AuthMethodName)
    else result.add(name as AuthMethodName)
  }
  return result
}

const oneOf = <T extends string>(what: string, value: string | undefined, allowed: ReadonlyArray<T>, fallback: T): T => {
  if (value === undefined) return fallback
  if (!(allowed as ReadonlyArray<string>).includes(value)) {
    throw configError(`invalid ${what} "${value}" (expected ${allowed.join(", ")})`)
  }
  return value as T
}

const intInRange = (what: string, value: number | undefined, min: number, max: number, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw configError(`invalid ${what} ${value} (expected an integer from ${min} to ${max})`)
  }
  return value
}

const defaultUser = (): string => {
  try {
    return os.userInfo().username
  } catch {
    return "postgres"
  }
}

/** Fills defaults and validates. Throws PgConnectionError (reason "Config"); `resolveConfig` in Client wraps it. */
export const resolveClientConfig = (o: ClientOptions): ClientConfig => {
  const host = o.host === undefined || o.host === "" ? "localhost" : o.host
  const user = o.user === undefined || o.user === "" ? defaultUser() : o.user
  const sslmode = oneOf("sslmode", o.sslmode, SSL_MODES, "prefer")
  const sslnegotiation = oneOf("sslnegotiation", o.sslnegotiation, ["postgres", "direct"] as const, "postgres")
  if (sslnegotiation === "direct" && (sslmode === "disable" || sslmode === "allow" || sslmode === "prefer")) {
    throw configError(`sslnegotiation=direct needs sslmode require, verify-ca or verify-full (got ${sslmode})`)
  }
  const channelBinding = oneOf("channel_binding", o.channelBinding, ["disable", "prefer", "require"] as const, "prefer")
  if (channelBinding === "require" && sslmode === "disable") {
    throw configError("channel_binding=require needs TLS, but sslmode is disable")
  }
  const max = o.maxProtocolVersion === "latest" ? "3.2" : oneOf("max_protocol_version", o.maxProtocolVersion, ["3.0", "3.2"] as const, "3.0")
  const min = oneOf("min_protocol_version", o.minProtocolVersion, ["3.0", "3.2"] as const, "3.0")
  if (min > max) throw configError(`min_protocol_version ${min} is above max_protocol_version ${max}`)
  const parameters = { ...o.parameters }
  for (const name of Object.keys(parameters)) {
    if (name === "" || name.includes("\0") || parameters[name]!.includes("\0")) {
      throw configError(`invalid startup parameter ${JSON.stringify(name)}`)
    }
  }
  const password = o.password === undefined ? undefined : typeof o.password === "string" ? Redacted.make(o.password) : o.password
  const token = o.oauthBearerToken
  const fixedToken = typeof token === "string" ? token : Redacted.isRedacted(token) ? Redacted.value(token) : undefined
  if (fixedToken !== undefined && !isBearerToken(fixedToken)) {
    throw configError("oauthBearerToken is not an RFC 6750 bearer token (letters, digits, -._~+/ and trailing =)")
  }
  return {
    host,
    port: intInRange("port", o.port, 1, 65535, 5432),
    user,
    password,
    oauthBearerToken: token,
    database: o.database === undefined || o.database === "" ? user : o.database,
    applicationName: o.applicationName,
    sslmode,
    sslnegotiation,
    sslrootcert: o.sslrootcert,
    sslca: o.sslca,
    sslcert: o.sslcert,
    sslkey: o.sslkey,
    channelBinding,
    allowedAuth: parseRequireAuth(o.requireAuth),
    maxProtocolVersion: max,
    minProtocolVersion: min,
    connectTimeoutMs: intInRange("connect_timeout", o.connectTimeoutMs, 0, 2 ** 31 - 1, 30_000),
    options: o.options,
    parameters,
    statementCacheSize: intInRange("statementCacheSize", o.statementCacheSize, 0, 1_000_000, 100),
    maxBufferedRows: intInRange("maxBufferedRows", o.maxBufferedRows, 1, 1 << 24, 2048),
    onNotice: o.onNotice
  }
}
