import { Duration } from "effect"
import { DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STARTUP_SIZE } from "@pgwire-ts/protocol"
import type { OAuthOptions } from "./auth/OAuthBearerAuth.js"
import type { StartupInfo } from "./session/Session.js"
import type { TlsOptions } from "./transport/TlsOptions.js"

/**
 * How clients authenticate. "md5" switches to SCRAM for users whose stored
 * credential is a SCRAM verifier (as PostgreSQL does); "scram-sha-256" offers
 * SCRAM-SHA-256-PLUS first on TLS connections; "cert" requires a TLS client
 * certificate whose CN is the user name; "oauth" is PostgreSQL 18's OAUTHBEARER
 * with the `oauth` options' validator.
 */
export type AuthMethod = "trust" | "password" | "md5" | "scram-sha-256" | "cert" | "oauth"

export interface ServerLimits {
  /** Largest message a client may send (default 1 GiB - 1, as PostgreSQL). */
  readonly maxMessageSize?: number | undefined
  /** Largest startup packet (default 10,000 bytes, as PostgreSQL). */
  readonly maxStartupPacketSize?: number | undefined
  /** Sessions served at once; the next gets FATAL 53300 (default 100). */
  readonly maxConnections?: number | undefined
  /** Startup, TLS handshake and authentication must finish within this (default 60 seconds). */
  readonly startupTimeout?: Duration.DurationInput | undefined
  /** On shutdown, how long running queries may finish before connections are cut (default 10 seconds). */
  readonly shutdownGracePeriod?: Duration.DurationInput | undefined
  /** Output is written to the socket once this many bytes are buffered (default 64 KiB). */
  readonly outboxFlushBytes?: number | undefined
}

export interface ServerOptions extends ServerLimits {
  /** Listen address (default 127.0.0.1). */
  readonly host?: string | undefined
  /** Listen port (default 5432; 0 picks a free port, read it from `Server.address`). */
  readonly port?: number | undefined
  /** Also listen on the Unix socket `${dir}/.s.PGSQL.${port}`. */
  readonly unixSocketDir?: string | undefined
  readonly tls?: TlsOptions | undefined
  /** Default "trust". */
  readonly auth?: AuthMethod | ((info: StartupInfo) => AuthMethod) | undefined
  /** Issuer, scope and token validator of the "oauth" method. */
  readonly oauth?: OAuthOptions | undefined
}

/** ServerOptions with every default filled in. */
export interface ServerConfig {
  readonly host: string
  readonly port: number
  readonly unixSocketDir: string | undefined
  readonly tls: TlsOptions | undefined
  readonly auth: (info: StartupInfo) => AuthMethod
  /** The method when it is the same for every connection (checked against the handlers at start). */
  readonly fixedAuth: AuthMethod | undefined
  readonly oauth: OAuthOptions | undefined
  readonly maxMessageSize: number
  readonly maxStartupPacketSize: number
  readonly maxConnections: number
  readonly startupTimeout: Duration.Duration
  readonly shutdownGracePeriod: Duration.Duration
  readonly outboxFlushBytes: number
}

export const resolveConfig = (o: ServerOptions): ServerConfig => {
  const auth = o.auth ?? "trust"
  return {
    host: o.host ?? "127.0.0.1",
    port: o.port ?? 5432,
    unixSocketDir: o.unixSocketDir,
    tls: o.tls,
    auth: typeof auth === "function" ? auth : () => auth,
    fixedAuth: typeof auth === "function" ? undefined : auth,
    oauth: o.oauth,
    maxMessageSize: o.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    maxStartupPacketSize: o.maxStartupPacketSize ?? DEFAULT_MAX_STARTUP_SIZE,
    maxConnections: o.maxConnections ?? 100,
    startupTimeout: Duration.decode(o.startupTimeout ?? "60 seconds"),
    shutdownGracePeriod: Duration.decode(o.shutdownGracePeriod ?? "10 seconds"),
    outboxFlushBytes: o.outboxFlushBytes ?? 64 * 1024
  }
}
