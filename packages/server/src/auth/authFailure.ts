import { SqlState } from "@pgwire-ts/protocol"
import { timingSafeEqual } from "node:crypto"
import { PgError } from "../errors/PgError.js"
import { FatalError } from "../connection/ConnectionErrors.js"

/** The one answer to a wrong password and to an unknown user alike, so users cannot be enumerated. */
export const passwordFailed = (user: string): FatalError =>
  new FatalError({
    error: PgError.make(SqlState.InvalidPassword, `password authentication failed for user "${user}"`, { severity: "FATAL" })
  })

export const authSpecFailed = (message: string): FatalError =>
  new FatalError({ error: PgError.make(SqlState.InvalidAuthorizationSpecification, message, { severity: "FATAL" }) })

export const protocolFailed = (message: string): FatalError =>
  new FatalError({ error: PgError.make(SqlState.ProtocolViolation, message, { severity: "FATAL" }) })

/** Constant-time string comparison (UTF-8 bytes). */
export const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "utf8")
  const y = Buffer.from(b, "utf8")
  return x.byteLength === y.byteLength && timingSafeEqual(x, y)
}
