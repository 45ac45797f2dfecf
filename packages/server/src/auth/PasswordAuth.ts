import { makeScramVerifier, md5PasswordHash } from "@pgwire-ts/protocol"
import { timingSafeEqual } from "node:crypto"
import { Effect, Option } from "effect"
import type { Credential } from "../handlers/AuthSource.js"
import type { Conn } from "../connection/Conn.js"
import type { ConnectionEnd } from "../connection/ConnectionErrors.js"
import { passwordFailed, sameSecret } from "./authFailure.js"

const accepts = new Set(["PasswordMessage"] as const)

/** Cleartext password: AuthenticationCleartextPassword, then a PasswordMessage checked against any stored form. */
export const passwordAuth = (conn: Conn, user: string, credential: Option.Option<Credential>): Effect.Effect<void, ConnectionEnd> =>
  Effect.gen(function* () {
    conn.send({ _tag: "AuthenticationCleartextPassword" })
    yield* conn.flush
    const m = yield* conn.expect("authentication", accepts, "password")
    if (Option.isNone(credential) || m.password === "" || !matches(user, m.password, credential.value)) {
      return yield* passwordFailed(user)
    }
  })

const matches = (user: string, password: string, c: Credential): boolean => {
  try {
    return matchesUnsafe(user, password, c)
  } catch {
    // A stored credential the auth code cannot use never lets anyone in.
    return false
  }
}

const matchesUnsafe = (user: string, password: string, c: Credential): boolean => {
  switch (c._tag) {
    case "Plaintext":
      return sameSecret(password, c.password)
    case "Md5":
      return sameSecret(md5PasswordHash(user, password), c.hash)
    case "Scram": {
      const v = c.verifier
      const derived = makeScramVerifier(password, { salt: v.salt, iterations: v.iterations })
      return timingSafeEqual(derived.storedKey, v.storedKey) && timingSafeEqual(derived.serverKey, v.serverKey)
    }
  }
}
