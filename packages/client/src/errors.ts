/**
 * The client's typed errors. A query's own failure (`PgError`, the server's
 * ErrorResponse; `PgValueError`, a value we cannot encode or decode) leaves the
 * connection usable; `PgConnectionError` means the connection could not be
 * opened or is gone.
 */
import type { ErrorFields } from "@pgwire-ts/protocol"
import { Data } from "effect"

/** An ErrorResponse from the server: every field it sent, under the names of `ErrorFields`. */
export class PgError extends Data.TaggedError("PgError")<
  ErrorFields & {
    /** The SQL of the failed request, when there is one. */
    readonly query?: string | undefined
  }
> {
  static fromFields(fields: ErrorFields, query?: string): PgError {
    return new PgError(query === undefined ? fields : { ...fields, query })
  }
}

/** Why a connection failed or ended. */
export type PgConnectionErrorReason =
  /** Could not reach the server (refused, unreachable, DNS, timeout). */
  | "Connect"
  /** TLS was required but refused, or the handshake or certificate check failed. */
  | "Tls"
  /** The server rejected our credentials (28P01, 28000...) or could not prove its identity. */
  | "Auth"
  /** The server asked for an authentication method the configuration does not allow. */
  | "AuthMethodNotAllowed"
  /** The server broke the protocol (bad bytes, unexpected message, unsupported version). */
  | "Protocol"
  /** The server refused the connection with an error during startup (e.g. unknown database). */
  | "Startup"
  /** The connection closed (by the server, the network, or our Scope) while in use. */
  | "Closed"
  /** The configuration is invalid (bad URL, unknown sslmode...). */
  | "Config"

export class PgConnectionError extends Data.TaggedError("PgConnectionError")<{
  readonly reason: PgConnectionErrorReason
  readonly message: string
  /** SQLSTATE when the server said why (28P01 for a wrong password). */
  readonly code?: string | undefined
  /** The server's ErrorResponse fields, when it sent one. */
  readonly fields?: ErrorFields | undefined
  readonly cause?: unknown
}> {}

/**
 * A value that could not be sent or read as its PostgreSQL type: a parameter
 * the type's codec cannot encode, a wrong number of parameters, or a result
 * value our codec cannot decode. The connection stays usable.
 */
export class PgValueError extends Data.TaggedError("PgValueError")<{
  readonly message: string
  /** "parameter" (encoding a Bind value) or "result" (decoding a row value). */
  readonly kind: "parameter" | "result"
  /** Parameter number (1-based) or column name. */
  readonly at?: string | number | undefined
  readonly typeOid?: number | undefined
  readonly cause?: unknown
}> {}

/** Every failure of a request on an open connection. */
export type PgQueryError = PgError | PgValueError | PgConnectionError
