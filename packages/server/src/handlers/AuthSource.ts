import {
  md5PasswordHash,
  makeScramVerifier,
  parseScramVerifier,
  type ScramVerifier
} from "@pgwire-ts/protocol"
import { Context, Effect, Layer, Option } from "effect"
import type { StartupInfo } from "../session/Session.js"

/** A user's stored secret, as an AuthSource returns it. */
export type Credential =
  | { readonly _tag: "Plaintext"; readonly password: string }
  /** "md5" + md5(password + user), as pg_authid stores it. */
  | { readonly _tag: "Md5"; readonly hash: string }
  | { readonly _tag: "Scram"; readonly verifier: ScramVerifier }

export class CredentialError extends Error {
  readonly _tag = "CredentialError"
}

export const Credential = {
  plaintext: (password: string): Credential => ({ _tag: "Plaintext", password }),
  /** The MD5 hash PostgreSQL would store for this user and password. */
  md5: (user: string, password: string): Credential => ({ _tag: "Md5", hash: md5PasswordHash(user, password) }),
  /** An already computed "md5..." hash. */
  md5Hash: (hash: string): Credential => ({ _tag: "Md5", hash }),
  /** Derives a SCRAM-SHA-256 verifier (PBKDF2: call once and keep it, not per login). */
  scram: (password: string, options?: { readonly iterations?: number; readonly salt?: Uint8Array }): Credential => ({
    _tag: "Scram",
    verifier: makeScramVerifier(password, options)
  }),
  /** Parses PostgreSQL's text form `SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`; throws CredentialError if malformed. */
  scramVerifier: (text: string): Credential => {
    const verifier = parseScramVerifier(text)
    if (verifier === undefined) throw new CredentialError("not a SCRAM-SHA-256 verifier")
    return { _tag: "Scram", verifier }
  }
} as const

/** Looks a user up and returns the stored credential, or none for an unknown user. */
export interface AuthSourceShape {
  readonly lookup: (user: string, info: StartupInfo) => Effect.Effect<Option.Option<Credential>>
}

export class AuthSource extends Context.Tag("@pgwire-ts/server/AuthSource")<AuthSource, AuthSourceShape>() {
  static layer(lookup: AuthSourceShape["lookup"]): Layer.Layer<AuthSource> {
    return Layer.succeed(AuthSource, { lookup })
  }

  /** A fixed table of users; a plain string value is a plaintext password. */
  static fromRecord(users: Readonly<Record<string, Credential | string>>): Layer.Layer<AuthSource> {
    const table = new Map<string, Credential>()
    for (const [user, c] of Object.entries(users)) table.set(user, typeof c === "string" ? Credential.plaintext(c) : c)
    return AuthSource.layer((user) => Effect.succeed(Option.fromNullable(table.get(user))))
  }
}
