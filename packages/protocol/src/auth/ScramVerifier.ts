// The server's stored form of a SCRAM-SHA-256 password (RFC 5803 layout, as in pg_authid):
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, all binary values in base64.
import crypto from "node:crypto"
import { AuthInputError } from "./AuthErrors.js"
import { decodeBase64, encodeBase64 } from "./base64.js"
import { clientKeyOf, hmacSha256, SCRAM_KEY_LENGTH, saltedPassword, serverKeyOf, sha256 } from "./scramCrypto.js"

export interface ScramVerifier {
  readonly iterations: number
  readonly salt: Uint8Array
  readonly storedKey: Uint8Array
  readonly serverKey: Uint8Array
}

/** PostgreSQL's defaults: scram_iterations = 4096 and a 16-byte random salt. */
export const SCRAM_DEFAULT_ITERATIONS = 4096
export const SCRAM_DEFAULT_SALT_LENGTH = 16
// pg_authid stores the count as a C int.
const MAX_STORED_ITERATIONS = 2 ** 31 - 1

const checkIterations = (iterations: number): void => {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_STORED_ITERATIONS) {
    throw new AuthInputError({ reason: `SCRAM iteration count must be an integer from 1 to ${MAX_STORED_ITERATIONS}, got ${iterations}` })
  }
}

/**
 * Derives the stored verifier for a password (SASLprep'ed as PostgreSQL does), with a fresh
 * random 16-byte salt and 4096 iterations unless given. Throws AuthInputError for an empty
 * salt or an iteration count outside 1..2^31-1.
 */
export const makeScramVerifier = (
  password: string,
  options?: { readonly salt?: Uint8Array; readonly iterations?: number }
): ScramVerifier => {
  const iterations = options?.iterations ?? SCRAM_DEFAULT_ITERATIONS
  checkIterations(iterations)
  const salt = options?.salt ?? new Uint8Array(crypto.randomBytes(SCRAM_DEFAULT_SALT_LENGTH))
  if (salt.length === 0) throw new AuthInputError({ reason: "SCRAM salt must not be empty" })
  const salted = saltedPassword(password, salt, iterations)
  return { iterations, salt: Uint8Array.from(salt), storedKey: sha256(clientKeyOf(salted)), serverKey: serverKeyOf(salted) }
}

/** PostgreSQL's text form: `SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>`. */
export const formatScramVerifier = (v: ScramVerifier): string =>
  `SCRAM-SHA-256$${v.iterations}:${encodeBase64(v.salt)}$${encodeBase64(v.storedKey)}:${encodeBase64(v.serverKey)}`

const VERIFIER = /^SCRAM-SHA-256\$([1-9][0-9]{0,9}):([^$:]+)\$([^$:]+):([^$:]+)$/

/** Parses PostgreSQL's text form; undefined when `text` is anything else (an MD5 hash, a plaintext password, garbage). */
export const parseScramVerifier = (text: string): ScramVerifier | undefined => {
  const m = VERIFIER.exec(text)
  if (m === null) return undefined
  const iterations = Number(m[1])
  if (iterations > MAX_STORED_ITERATIONS) return undefined
  const salt = decodeBase64(m[2]!)
  const storedKey = decodeBase64(m[3]!)
  const serverKey = decodeBase64(m[4]!)
  if (salt === undefined || salt.length === 0) return undefined
  if (storedKey?.length !== SCRAM_KEY_LENGTH || serverKey?.length !== SCRAM_KEY_LENGTH) return undefined
  return { iterations, salt, storedKey, serverKey }
}

// Verifiers made by mockScramVerifier: a session over one of them fails even if, against all
// odds, the proof matched (PostgreSQL's "doomed" flag).
const mockVerifiers = new WeakSet<ScramVerifier>()

/** True for a verifier made by mockScramVerifier. */
export const isMockScramVerifier = (v: ScramVerifier): boolean => mockVerifiers.has(v)

/**
 * A verifier for a user that does not exist (or has no SCRAM secret), so the exchange runs
 * to the end and fails like a wrong password, never revealing whether the user exists.
 * Like PostgreSQL's scram_mock_salt, the salt is derived from the user name and a server
 * secret, so the same name always gets the same salt; give the same secret for the life of
 * the server (32 random bytes is plenty) and the iteration count real verifiers use.
 */
export const mockScramVerifier = (
  user: string,
  secret: Uint8Array,
  options?: { readonly iterations?: number }
): ScramVerifier => {
  if (secret.length === 0) throw new AuthInputError({ reason: "the mock SCRAM secret must not be empty" })
  const iterations = options?.iterations ?? SCRAM_DEFAULT_ITERATIONS
  checkIterations(iterations)
  const derive = (label: string) => hmacSha256(secret, `${label}\0${user}`)
  const verifier: ScramVerifier = {
    iterations,
    salt: derive("salt").subarray(0, SCRAM_DEFAULT_SALT_LENGTH),
    storedKey: derive("stored key"),
    serverKey: derive("server key")
  }
  mockVerifiers.add(verifier)
  return verifier
}
