import crypto from "node:crypto"
import { describe, expect, it } from "vitest"
import { AuthInputError, isMd5PasswordHash, md5ClientResponse, md5PasswordHash, md5SaltedResponse, verifyMd5Response } from "../src/auth/index.js"

// Independent of our code: the formula spelled out with node:crypto.
const md5 = (b: Buffer) => crypto.createHash("md5").update(b).digest("hex")

describe("MD5 password authentication", () => {
  const salt = new Uint8Array([0xde, 0xad, 0xbe, 0xef])

  it("stored hash is md5(password + user); the response is md5(hex + salt)", () => {
    const stored = md5PasswordHash("alice", "secret")
    expect(stored).toBe("md5" + md5(Buffer.from("secretalice")))
    expect(isMd5PasswordHash(stored)).toBe(true)
    const response = md5SaltedResponse(stored, salt)
    expect(response).toBe("md5" + md5(Buffer.concat([Buffer.from(stored.slice(3)), Buffer.from(salt)])))
    expect(md5ClientResponse("alice", "secret", salt)).toBe(response)
  })

  it("verifies the right response and nothing else", () => {
    const stored = md5PasswordHash("alice", "secret")
    expect(verifyMd5Response(stored, salt, md5ClientResponse("alice", "secret", salt))).toBe(true)
    expect(verifyMd5Response(stored, salt, md5ClientResponse("alice", "Secret", salt))).toBe(false)
    expect(verifyMd5Response(stored, salt, md5ClientResponse("bob", "secret", salt))).toBe(false)
    expect(verifyMd5Response(stored, new Uint8Array([1, 2, 3, 4]), md5ClientResponse("alice", "secret", salt))).toBe(false)
    const good = md5ClientResponse("alice", "secret", salt)
    for (const bad of ["", good.slice(0, -1), good + "0", good.toUpperCase(), stored, good.replace(/.$/, "\u0161")]) {
      expect(verifyMd5Response(stored, salt, bad), bad).toBe(false)
    }
  })

  it("malformed stored hashes and salts: AuthInputError to compute, false to verify", () => {
    const stored = md5PasswordHash("alice", "secret")
    for (const bad of ["", "secret", stored.toUpperCase(), stored.slice(0, -1), "md5" + "g".repeat(32), "SCRAM-SHA-256$4096:x$y:z"]) {
      expect(isMd5PasswordHash(bad)).toBe(false)
      expect(() => md5SaltedResponse(bad, salt)).toThrow(AuthInputError)
      expect(verifyMd5Response(bad, salt, "md5" + "0".repeat(32))).toBe(false)
    }
    for (const badSalt of [new Uint8Array(0), new Uint8Array(3), new Uint8Array(5)]) {
      expect(() => md5SaltedResponse(stored, badSalt)).toThrow(AuthInputError)
      expect(verifyMd5Response(stored, badSalt, md5SaltedResponse(stored, salt))).toBe(false)
    }
  })

  it("hashes user names and passwords as UTF-8", () => {
    expect(md5PasswordHash("j\u00fcrgen", "p\u00e4ss")).toBe("md5" + md5(Buffer.from("p\u00e4ssj\u00fcrgen", "utf8")))
  })
})
