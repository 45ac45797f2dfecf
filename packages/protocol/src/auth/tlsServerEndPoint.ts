// tls-server-end-point channel binding data (RFC 5929 section 4.1): the hash of the server's
// DER certificate, with the hash function of the certificate's signature algorithm, except
// that MD5 and SHA-1 are replaced by SHA-256. Node does not expose the signature algorithm,
// so we read it from the DER ourselves: Certificate ::= SEQUENCE { tbsCertificate,
// signatureAlgorithm AlgorithmIdentifier, signatureValue }.
import crypto from "node:crypto"
import { AuthInputError } from "./AuthErrors.js"

interface Der {
  readonly tag: number
  readonly start: number // first content byte
  readonly end: number // one past the last content byte
}

const invalid = (reason: string): AuthInputError => new AuthInputError({ reason: `tls-server-end-point: ${reason}` })

// One DER element at `at`, bounded by `limit`.
const readDer = (bytes: Uint8Array, at: number, limit: number): Der => {
  if (at + 2 > limit) throw invalid("truncated DER")
  const tag = bytes[at]!
  if ((tag & 0x1f) === 0x1f) throw invalid("multi-byte DER tags are not expected in a certificate header")
  let length = bytes[at + 1]!
  let start = at + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || start + count > limit) throw invalid("bad DER length")
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!
    start += count
  }
  const end = start + length
  if (end > limit) throw invalid("DER element runs past its container")
  return { tag, start, end }
}

const SEQUENCE = 0x30
const OID = 0x06
const CONTEXT_0 = 0xa0

const readSequence = (bytes: Uint8Array, at: number, limit: number, what: string): Der => {
  const el = readDer(bytes, at, limit)
  if (el.tag !== SEQUENCE) throw invalid(`${what} is not a SEQUENCE`)
  return el
}

const oidText = (bytes: Uint8Array, el: Der): string => {
  if (el.tag !== OID || el.end === el.start) throw invalid("expected an OBJECT IDENTIFIER")
  const arcs: Array<number> = []
  let value = 0
  for (let i = el.start; i < el.end; i++) {
    value = value * 128 + (bytes[i]! & 0x7f)
    if (!(bytes[i]! & 0x80)) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80)
      else arcs.push(value)
      value = 0
    }
  }
  return arcs.join(".")
}

// An AlgorithmIdentifier: its OID and the DER of its parameters, if any.
const readAlgorithm = (bytes: Uint8Array, el: Der): { readonly oid: string; readonly params: Der | undefined } => {
  const oid = readDer(bytes, el.start, el.end)
  const params = oid.end < el.end ? readDer(bytes, oid.end, el.end) : undefined
  return { oid: oidText(bytes, oid), params }
}

const HASH_OIDS: Readonly<Record<string, string>> = {
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
  "2.16.840.1.101.3.4.2.5": "sha512-224",
  "2.16.840.1.101.3.4.2.6": "sha512-256",
  "2.16.840.1.101.3.4.2.7": "sha3-224",
  "2.16.840.1.101.3.4.2.8": "sha3-256",
  "2.16.840.1.101.3.4.2.9": "sha3-384",
  "2.16.840.1.101.3.4.2.10": "sha3-512"
}

// Signature algorithm OID -> the hash it signs with.
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  "1.2.840.113549.1.1.4": "md5", // md5WithRSAEncryption
  "1.2.840.113549.1.1.5": "sha1", // sha1WithRSAEncryption
  "1.3.14.3.2.29": "sha1", // sha1WithRSASignature (OIW)
  "1.2.840.113549.1.1.14": "sha224",
  "1.2.840.113549.1.1.11": "sha256",
  "1.2.840.113549.1.1.12": "sha384",
  "1.2.840.113549.1.1.13": "sha512",
  "1.2.840.113549.1.1.15": "sha512-224",
  "1.2.840.113549.1.1.16": "sha512-256",
  "1.2.840.10045.4.1": "sha1", // ecdsa-with-SHA1
  "1.2.840.10045.4.3.1": "sha224",
  "1.2.840.10045.4.3.2": "sha256",
  "1.2.840.10045.4.3.3": "sha384",
  "1.2.840.10045.4.3.4": "sha512",
  "1.2.840.10040.4.3": "sha1", // dsa-with-sha1
  "2.16.840.1.101.3.4.3.1": "sha224", // dsa-with-sha224
  "2.16.840.1.101.3.4.3.2": "sha256", // dsa-with-sha256
  "2.16.840.1.101.3.4.3.9": "sha3-224", // ecdsa-with-sha3-*
  "2.16.840.1.101.3.4.3.10": "sha3-256",
  "2.16.840.1.101.3.4.3.11": "sha3-384",
  "2.16.840.1.101.3.4.3.12": "sha3-512",
  "2.16.840.1.101.3.4.3.13": "sha3-224", // RSASSA-PKCS1-v1_5 with sha3-*
  "2.16.840.1.101.3.4.3.14": "sha3-256",
  "2.16.840.1.101.3.4.3.15": "sha3-384",
  "2.16.840.1.101.3.4.3.16": "sha3-512"
}

const RSASSA_PSS = "1.2.840.113549.1.1.10"
const NO_HASH: Readonly<Record<string, string>> = { "1.3.101.112": "Ed25519", "1.3.101.113": "Ed448" }

// RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] AlgorithmIdentifier DEFAULT sha1, ... }
const pssHash = (bytes: Uint8Array, params: Der | undefined): string => {
  if (params === undefined || params.tag !== SEQUENCE || params.start === params.end) return "sha1"
  const first = readDer(bytes, params.start, params.end)
  if (first.tag !== CONTEXT_0) return "sha1"
  const algorithm = readAlgorithm(bytes, readSequence(bytes, first.start, first.end, "PSS hashAlgorithm"))
  const hash = HASH_OIDS[algorithm.oid]
  if (hash === undefined) throw invalid(`unknown RSASSA-PSS hash algorithm ${algorithm.oid}`)
  return hash
}

/** The hash function tls-server-end-point uses for a DER certificate, by node:crypto name. */
export const tlsServerEndPointHashAlgorithm = (certificateDer: Uint8Array): string => {
  const cert = readSequence(certificateDer, 0, certificateDer.length, "Certificate")
  if (cert.end !== certificateDer.length) throw invalid("trailing bytes after the certificate")
  const tbs = readSequence(certificateDer, cert.start, cert.end, "tbsCertificate")
  const algorithm = readAlgorithm(certificateDer, readSequence(certificateDer, tbs.end, cert.end, "signatureAlgorithm"))
  const noHash = NO_HASH[algorithm.oid]
  if (noHash !== undefined) throw invalid(`${noHash} certificates have no signature hash, so channel binding is undefined for them`)
  const hash = algorithm.oid === RSASSA_PSS ? pssHash(certificateDer, algorithm.params) : SIGNATURE_HASHES[algorithm.oid]
  if (hash === undefined) throw invalid(`unknown certificate signature algorithm ${algorithm.oid}`)
  return hash === "md5" || hash === "sha1" ? "sha256" : hash
}

/**
 * The tls-server-end-point channel binding data for a server certificate in DER form:
 * what the server passes as channelBindingData for its own certificate, and the client for
 * the certificate the server presented. Throws AuthInputError when the bytes are not a
 * certificate or its signature algorithm has no usable hash (Ed25519, Ed448, unknown OIDs),
 * as PostgreSQL does; a server should then not offer SCRAM-SHA-256-PLUS.
 */
export const tlsServerEndPointHash = (certificateDer: Uint8Array): Uint8Array => {
  try {
    new crypto.X509Certificate(certificateDer)
  } catch (e) {
    throw invalid(`not a DER X.509 certificate (${e instanceof Error ? e.message : String(e)})`)
  }
  const algorithm = tlsServerEndPointHashAlgorithm(certificateDer)
  let hash: crypto.Hash
  try {
    hash = crypto.createHash(algorithm)
  } catch {
    throw invalid(`hash ${algorithm} is not available in this Node.js build`)
  }
  return new Uint8Array(hash.update(certificateDer).digest())
}
