import { md5PasswordHash, verifyMd5Response } from "@pgwire-ts/protocol"
import { randomBytes } from "node:crypto"
import { Effect, Option } from "effect"
import type { Credential } from "../handlers/AuthSource.js"
import type { Conn } from "../connection/Conn.js"
import type { ConnectionEnd } from "../connection/ConnectionErrors.js"
import { passwordFailed } from "./authFailure.js"

const accepts = new Set(["PasswordMessage"] as const)

/**
 * MD5: AuthenticationMD5Password with a random salt, then the client's
 * "md5" + md5(md5(password + user) + salt). Unknown users go through the same
 * exchange against a random hash, so they fail the same way.
 */
export const md5Auth = (
  conn: Conn,
  user: string,
  credential: Option.Option<Exclude<Credential, { _tag: "Scram" }>>
): Effect.Effect<void, ConnectionEnd> =>
  Effect.gen(function* () {
    const salt = new Uint8Array(randomBytes(4))
    conn.send({ _tag: "AuthenticationMD5Password", salt })
    yield* conn.flush
    const m = yield* conn.expect("authentication", accepts, "password")
    const stored = Option.match(credential, {
      onNone: () => md5PasswordHash(user, randomBytes(16).toString("hex")),
      onSome: (c) => (c._tag === "Md5" ? c.hash : md5PasswordHash(user, c.password))
    })
    const ok = Option.isSome(credential) && verifyMd5Response(stored, salt, m.password)
    if (!ok) return yield* passwordFailed(user)
  })
