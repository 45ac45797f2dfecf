import { Data } from "effect"

/** A server that cannot start: a port in use, bad TLS material, a missing handler its options need. */
export class ServerError extends Data.TaggedError("ServerError")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return this.reason
  }
}
