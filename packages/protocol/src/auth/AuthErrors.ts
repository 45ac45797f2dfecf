import { Data } from "effect"

/**
 * A SCRAM exchange that cannot go on. `kind` tells the server what to answer:
 * "protocol" for a malformed or out-of-order exchange (SQLSTATE 08P01), "auth" for a
 * failed proof, a failed channel binding check or a downgrade attempt (28P01/28000).
 * On the client, "auth" means the server could not prove it knows the password.
 */
export class ScramError extends Data.TaggedError("ScramError")<{
  readonly reason: string
  readonly kind: "protocol" | "auth"
}> {
  override get message(): string {
    return this.kind === "auth" ? `SCRAM authentication failed: ${this.reason}` : `malformed SCRAM message: ${this.reason}`
  }
}

/**
 * Input an auth computation cannot use: a malformed stored MD5 hash, a salt of the wrong
 * size, an iteration count out of range, a certificate whose signature algorithm gives no
 * tls-server-end-point hash. A configuration or programming error, not a client's fault.
 */
export class AuthInputError extends Data.TaggedError("AuthInputError")<{
  readonly reason: string
}> {
  override get message(): string {
    return this.reason
  }
}
