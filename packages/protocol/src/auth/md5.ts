// PostgreSQL's MD5 password scheme: the stored hash is "md5" + md5(password + user), and the
// client proves it knows that hash with "md5" + md5(hex part of the hash + 4-byte salt).
import crypto from "node:crypto"
import { AuthInputError } from "./AuthErrors.js"
import { constantTimeEqual } from "./scramCrypto.js"

const MD5_HASH = /^md5[0-9a-f]{32}$/
/** Size of the salt in AuthenticationMD5Password. */
export const MD5_SALT_LENGTH = 4

const md5Hex = (...parts: ReadonlyArray<Uint8Array | string>): string => {
  const h = crypto.createHash("md5")
  for (const p of parts) h.update(p)
  return h.digest("hex")
}

/** True for a stored MD5 password hash as PostgreSQL writes it: "md5" and 32 lower-case hex digits. */
export const isMd5PasswordHash = (text: string): boolean => MD5_HASH.test(text)

/** The hash PostgreSQL stores in pg_authid.rolpassword: "md5" + hex(md5(password + user)). */
export const md5PasswordHash = (user: string, password: string): string => "md5" + md5Hex(password, user)

/**
 * What the client sends in PasswordMessage for AuthenticationMD5Password:
 * "md5" + hex(md5(storedHash without "md5" + salt)).
 * Throws AuthInputError for a malformed stored hash or a salt that is not 4 bytes.
 */
export const md5SaltedResponse = (storedHash: string, salt: Uint8Array): string => {
  if (!isMd5PasswordHash(storedHash)) throw new AuthInputError({ reason: "not an MD5 password hash (\"md5\" + 32 hex digits)" })
  if (salt.length !== MD5_SALT_LENGTH) throw new AuthInputError({ reason: `an MD5 salt has ${MD5_SALT_LENGTH} bytes, got ${salt.length}` })
  return "md5" + md5Hex(storedHash.slice(3), salt)
}

/** The client's PasswordMessage content for AuthenticationMD5Password. */
export const md5ClientResponse = (user: string, password: string, salt: Uint8Array): string =>
  md5SaltedResponse(md5PasswordHash(user, password), salt)

/**
 * Checks a client's MD5 response in constant time. False, never an exception, for any
 * response that does not match, including a malformed stored hash or salt.
 */
export const verifyMd5Response = (storedHash: string, salt: Uint8Array, response: string): boolean => {
  if (!isMd5PasswordHash(storedHash) || salt.length !== MD5_SALT_LENGTH) return false
  const expected = Buffer.from(md5SaltedResponse(storedHash, salt), "utf8")
  return constantTimeEqual(expected, Buffer.from(response, "utf8"))
}
