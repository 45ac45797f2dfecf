// tls-server-end-point (RFC 5929 section 4.1) with certificates openssl makes at test time.
import { execFileSync } from "node:child_process"
import crypto from "node:crypto"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AuthInputError, tlsServerEndPointHash, tlsServerEndPointHashAlgorithm } from "../src/auth/index.js"

let dir: string
const openssl = (...args: Array<string>): string => execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

// A self-signed certificate over `key` signed with the given digest and signature options; returns its DER.
let serial = 0
const certificate = (key: string, digest: string | undefined, sigopts: ReadonlyArray<string> = []): Uint8Array => {
  const name = `cert${serial++}`
  openssl("req", "-x509", "-new", "-key", key, "-out", `${name}.pem`, "-subj", "/CN=localhost", "-days", "1",
    ...(digest ? [`-${digest}`] : []), ...sigopts.flatMap((o) => ["-sigopt", o]))
  openssl("x509", "-in", `${name}.pem`, "-outform", "DER", "-out", `${name}.der`)
  return new Uint8Array(fs.readFileSync(path.join(dir, `${name}.der`)))
}

// What openssl itself says the signature algorithm is, to check our DER reading independently.
const opensslSignature = (der: Uint8Array): string => {
  const file = path.join(dir, `check${serial++}.der`)
  fs.writeFileSync(file, der)
  const text = openssl("x509", "-inform", "DER", "-in", file, "-noout", "-text")
  const alg = /Signature Algorithm: (\S+)/.exec(text)![1]!
  const pssHash = /Hash Algorithm: (\S+)/.exec(text)?.[1]
  return alg === "rsassaPss" ? `rsassaPss/${pssHash}` : alg
}

const expectAuthInputError = (f: () => unknown, pattern: RegExp) => {
  let caught: unknown
  try {
    f()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(AuthInputError)
  expect((caught as AuthInputError).reason).toMatch(pattern)
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgwire-cbind-"))
  openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key")
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "ec.key")
  openssl("genpkey", "-algorithm", "ED25519", "-out", "ed25519.key")
  openssl("genpkey", "-algorithm", "ED448", "-out", "ed448.key")
}, 60_000)
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe("tlsServerEndPointHash picks the certificate's signature hash", () => {
  const cases: ReadonlyArray<readonly [string, string, string | undefined, ReadonlyArray<string>, string, string]> = [
    // [case, key, digest, sigopts, openssl's name for the signature, expected hash]
    ["RSA with SHA-256", "rsa.key", "sha256", [], "sha256WithRSAEncryption", "sha256"],
    ["RSA with SHA-384", "rsa.key", "sha384", [], "sha384WithRSAEncryption", "sha384"],
    ["RSA with SHA-512", "rsa.key", "sha512", [], "sha512WithRSAEncryption", "sha512"],
    ["RSA with SHA-224", "rsa.key", "sha224", [], "sha224WithRSAEncryption", "sha224"],
    ["RSA with SHA-1: upgraded to SHA-256", "rsa.key", "sha1", [], "sha1WithRSAEncryption", "sha256"],
    ["RSA with MD5: upgraded to SHA-256", "rsa.key", "md5", [], "md5WithRSAEncryption", "sha256"],
    ["ECDSA with SHA-384", "ec.key", "sha384", [], "ecdsa-with-SHA384", "sha384"],
    ["ECDSA with SHA-256", "ec.key", "sha256", [], "ecdsa-with-SHA256", "sha256"],
    ["ECDSA with SHA-512", "ec.key", "sha512", [], "ecdsa-with-SHA512", "sha512"],
    ["ECDSA with SHA-1: upgraded to SHA-256", "ec.key", "sha1", [], "ecdsa-with-SHA1", "sha256"],
    ["RSASSA-PSS with SHA-384 (hash from the parameters)", "rsa.key", "sha384", ["rsa_padding_mode:pss", "rsa_pss_saltlen:-1"], "rsassaPss/sha384", "sha384"],
    ["RSASSA-PSS with SHA-512", "rsa.key", "sha512", ["rsa_padding_mode:pss", "rsa_pss_saltlen:-1"], "rsassaPss/sha512", "sha512"],
    ["RSASSA-PSS with SHA-1: upgraded to SHA-256", "rsa.key", "sha1", ["rsa_padding_mode:pss", "rsa_pss_saltlen:-1"], "rsassaPss/sha1", "sha256"],
    ["RSA with SHA3-256", "rsa.key", "sha3-256", [], "RSA-SHA3-256", "sha3-256"]
  ]

  it.each(cases)("%s", (_case, key, digest, sigopts, opensslName, hash) => {
    const der = certificate(key, digest, sigopts)
    expect(opensslSignature(der)).toBe(opensslName)
    expect(tlsServerEndPointHashAlgorithm(der)).toBe(hash)
    const expected = crypto.createHash(hash).update(der).digest()
    expect(Buffer.from(tlsServerEndPointHash(der)).equals(expected)).toBe(true)
  })

  it("hashes the whole DER certificate (any byte changes the result)", () => {
    const der = certificate("ec.key", "sha384")
    const a = tlsServerEndPointHash(der)
    const b = tlsServerEndPointHash(certificate("ec.key", "sha384"))
    expect(a.length).toBe(48)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })

  it.each([["ed25519.key", "Ed25519"], ["ed448.key", "Ed448"]])("%s: no signature hash, so no channel binding (as PostgreSQL)", (key, name) => {
    const der = certificate(key, undefined)
    expectAuthInputError(() => tlsServerEndPointHash(der), new RegExp(name))
  })

  it("rejects bytes that are not one DER certificate with AuthInputError", () => {
    const der = certificate("ec.key", "sha256")
    const pem = new Uint8Array(fs.readFileSync(path.join(dir, `cert${serial - 1}.pem`)))
    const withTrailing = new Uint8Array([...der, 0])
    for (const bad of [new Uint8Array(0), new Uint8Array([0x30]), crypto.randomBytes(64), der.subarray(0, der.length - 1), der.subarray(0, 40), pem, withTrailing]) {
      expectAuthInputError(() => tlsServerEndPointHash(bad), /tls-server-end-point/)
    }
  })
})

// Hand-made DER for what openssl will not produce; the hash choice reads only the outer structure.
const tlv = (tag: number, ...content: Array<Uint8Array>): Uint8Array => {
  const body = Buffer.concat(content)
  const n = body.length
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
  return new Uint8Array([tag, ...len, ...body])
}
const oid = (dotted: string): Uint8Array => {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...Array<number>]
  const bytes = [a * 40 + b]
  for (const arc of rest) {
    const groups = [arc & 0x7f]
    for (let v = arc >>> 7; v > 0; v >>>= 7) groups.unshift((v & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return tlv(0x06, new Uint8Array(bytes))
}
const fakeCertificate = (algorithm: Uint8Array): Uint8Array =>
  tlv(0x30, tlv(0x30, new Uint8Array(200)), algorithm, tlv(0x03, new Uint8Array([0, 1, 2])))

describe("tlsServerEndPointHashAlgorithm on hand-made structures", () => {
  const PSS = "1.2.840.113549.1.1.10"

  it("RSASSA-PSS without parameters, or with the default hash, means SHA-1: upgraded to SHA-256", () => {
    expect(tlsServerEndPointHashAlgorithm(fakeCertificate(tlv(0x30, oid(PSS))))).toBe("sha256")
    expect(tlsServerEndPointHashAlgorithm(fakeCertificate(tlv(0x30, oid(PSS), tlv(0x30))))).toBe("sha256")
    expect(tlsServerEndPointHashAlgorithm(fakeCertificate(tlv(0x30, oid(PSS), tlv(0x05))))).toBe("sha256")
    // Parameters that start with saltLength [2]: hashAlgorithm is the default.
    expect(tlsServerEndPointHashAlgorithm(fakeCertificate(tlv(0x30, oid(PSS), tlv(0x30, tlv(0xa2, tlv(0x02, new Uint8Array([20])))))))).toBe("sha256")
  })

  it("RSASSA-PSS with an explicit hash, long-form lengths included", () => {
    const params = tlv(0x30, tlv(0xa0, tlv(0x30, oid("2.16.840.1.101.3.4.2.3"), tlv(0x05))))
    const der = tlv(0x30, tlv(0x30, new Uint8Array(300)), tlv(0x30, oid(PSS), params), tlv(0x03, new Uint8Array(300)))
    expect(der[1]).toBe(0x82)
    expect(tlsServerEndPointHashAlgorithm(der)).toBe("sha512")
  })

  it("unknown algorithms and broken structures are AuthInputErrors", () => {
    const bad = [
      fakeCertificate(tlv(0x30, oid("1.2.3.4"))), // unknown signature algorithm
      fakeCertificate(tlv(0x30, oid(PSS), tlv(0x30, tlv(0xa0, tlv(0x30, oid("1.2.3.4")))))), // unknown PSS hash
      fakeCertificate(tlv(0x30)), // AlgorithmIdentifier without an OID
      fakeCertificate(tlv(0x31, oid("1.2.840.113549.1.1.11"))), // not a SEQUENCE
      fakeCertificate(tlv(0x30, tlv(0x06))), // empty OID
      tlv(0x30, tlv(0x30, new Uint8Array(10))), // no signatureAlgorithm
      new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), // length past the end
      new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]), // length of length too big
      new Uint8Array([0x30, 0x80]), // indefinite length is not DER
      new Uint8Array([0x1f, 0x81, 0x01, 0x00]) // multi-byte tag
    ]
    for (const der of bad) expect(() => tlsServerEndPointHashAlgorithm(der), Buffer.from(der).toString("hex")).toThrow(AuthInputError)
    expect(tlsServerEndPointHashAlgorithm(fakeCertificate(tlv(0x30, oid("1.2.840.113549.1.1.11"), tlv(0x05))))).toBe("sha256")
  })
})
