import { ProtocolDecodeError } from "@pgwire-ts/protocol"

/** A message the request cannot receive at this point: the connection's stream is out of step. */
export const unexpected = (tag: string, request: string): ProtocolDecodeError =>
  new ProtocolDecodeError({ messageName: tag, reason: `unexpected in reply to ${request}` })
