// The SCRAM-SHA-256 key derivations of RFC 5802 section 3, on node:crypto.
import crypto from "node:crypto"
import { saslprep } from "./saslprep.js"

/** SHA-256 output size: the length of every SCRAM key, proof and signature. */
export const SCRAM_KEY_LENGTH = 32

export const hmacSha256 = (key: Uint8Array, data: Uint8Array | string): Uint8Array =>
  new Uint8Array(crypto.createHmac("sha256", key).update(data).digest())

export const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(crypto.createHash("sha256").update(data).digest())

/** Hi(Normalize(password), salt, i): PBKDF2-HMAC-SHA-256 with one output block. */
export const saltedPassword = (password: string, salt: Uint8Array, iterations: number): Uint8Array =>
  new Uint8Array(crypto.pbkdf2Sync(Buffer.from(saslprep(password), "utf8"), salt, iterations, SCRAM_KEY_LENGTH, "sha256"))

export const clientKeyOf = (salted: Uint8Array): Uint8Array => hmacSha256(salted, "Client Key")
export const serverKeyOf = (salted: Uint8Array): Uint8Array => hmacSha256(salted, "Server Key")

export const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!
  return out
}

/** Constant time for equal lengths; a length is never secret here, so a mismatch returns at once. */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && crypto.timingSafeEqual(a, b)

export const concatBytes = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Protocol text as the bytes on the wire: SCRAM attributes are ASCII, and latin1 keeps any other byte as is. */
export const bytesOfWireText = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "latin1"))
export const wireTextOf = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")

const COMMA = bytesOfWireText(",")

/**
 * RFC 5802 AuthMessage, which both proofs and the server signature sign:
 * client-first-message-bare "," server-first-message "," client-final-message-without-proof.
 */
export const authMessageOf = (clientFirstBare: Uint8Array, serverFirst: Uint8Array, clientFinalWithoutProof: string): Uint8Array =>
  concatBytes(clientFirstBare, COMMA, serverFirst, COMMA, bytesOfWireText(clientFinalWithoutProof))
