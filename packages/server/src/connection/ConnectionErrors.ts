import { Data } from "effect"
import type { PgError } from "../errors/PgError.js"

/**
 * Bytes that break the protocol or a message the current phase does not
 * accept. Answered in one place (Connection.ts): FATAL 08P01, then close.
 */
export class ProtocolViolation extends Data.TaggedError("ProtocolViolation")<{ readonly reason: string }> {}

/** An error that ends the session: sent as an ErrorResponse (FATAL), then the connection closes. */
export class FatalError extends Data.TaggedError("FatalError")<{ readonly error: PgError }> {}

/** The peer went away or the socket failed: nothing more can be sent. */
export class ConnectionLost extends Data.TaggedError("ConnectionLost")<{ readonly cause?: unknown }> {}

/** Ends the connection without a message (a startup that timed out, a refused TLS handshake, a cancel request). */
export class SilentClose extends Data.TaggedError("SilentClose")<{ readonly reason: string }> {}

export type ConnectionEnd = ProtocolViolation | FatalError | ConnectionLost | SilentClose
