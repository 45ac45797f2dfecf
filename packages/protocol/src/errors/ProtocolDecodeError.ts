import { Data } from "effect"

/**
 * A message that could not be decoded or framed: truncated, a bad length, an
 * unknown type byte, a count that runs past the message. Servers answer it
 * with SQLSTATE 08P01 (protocol_violation) and close the connection.
 */
export class ProtocolDecodeError extends Data.TaggedError("ProtocolDecodeError")<{
  /** The protocol's name of the message being decoded, or "frame" for framing errors. */
  readonly messageName: string
  readonly reason: string
}> {
  override get message(): string {
    return `invalid ${this.messageName} message: ${this.reason}`
  }
}
