// Property tests: any password authenticates with itself; arbitrary or mutated input only
// ever fails with our typed errors, never a RangeError/TypeError, and never authenticates.
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import {
  AuthInputError,
  formatScramVerifier,
  makeScramVerifier,
  parseScramVerifier,
  saslprep,
  ScramClientSession,
  ScramError,
  ScramServerSession,
  tlsServerEndPointHashAlgorithm
} from "../src/auth/index.js"

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"))
const anyPassword = fc.oneof(fc.string({ unit: "binary", maxLength: 20 }), fc.string({ unit: fc.char16bits(), maxLength: 20 }))

// Runs f; passes if it returns or throws a ScramError; reports anything else.
const onlyScramErrors = (f: () => unknown): "ok" | "ScramError" => {
  try {
    f()
    return "ok"
  } catch (e) {
    if (e instanceof ScramError) return "ScramError"
    throw e
  }
}

describe("SCRAM properties", () => {
  it("any password (any code points, lone surrogates too) authenticates with itself and not with another", () => {
    fc.assert(
      fc.property(anyPassword, anyPassword, fc.integer({ min: 1, max: 64 }), (password, other, iterations) => {
        const verifier = makeScramVerifier(password, { iterations })
        const run = (attempt: string) => {
          const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256" })
          const client = new ScramClientSession({ password: attempt, mechanism: "SCRAM-SHA-256" })
          const final = client.handleServerFirst(utf8(server.handleClientFirst(utf8(client.clientFirstMessage()))))
          return onlyScramErrors(() => client.verifyServerFinal(utf8(server.handleClientFinal(utf8(final)))))
        }
        expect(run(password)).toBe("ok")
        if (saslprep(other) !== saslprep(password)) expect(run(other)).toBe("ScramError")
      }),
      { numRuns: 200 }
    )
  })

  it("arbitrary bytes as client-first or client-final: a ScramError or a well-formed step, never another exception", () => {
    const verifier = makeScramVerifier("pw", { iterations: 1 })
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }), (first, final) => {
        const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256" })
        onlyScramErrors(() => server.handleClientFirst(first))
        expect(onlyScramErrors(() => server.handleClientFinal(final))).toBe("ScramError")
        expect(server.authenticated).toBe(false)
      }),
      { numRuns: 2000 }
    )
  })

  it("text-shaped garbage (attribute-like strings) gets the same treatment", () => {
    const verifier = makeScramVerifier("pw", { iterations: 1 })
    const piece = fc.oneof(fc.constantFrom("n", "y", "p", "a", "m", "r", "c", "s", "i", "v", "e", "=", ",", "==", "biws", "tls-server-end-point"), fc.string({ maxLength: 4 }))
    const message = fc.array(piece, { maxLength: 12 }).map((ps) => ps.join(""))
    fc.assert(
      fc.property(message, message, (first, final) => {
        const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256-PLUS", channelBindingData: new Uint8Array(32) })
        onlyScramErrors(() => server.handleClientFirst(utf8(first)))
        onlyScramErrors(() => server.handleClientFinal(utf8(final)))
        expect(server.authenticated).toBe(false)
        const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256", clientNonce: "N", maxIterations: 64 })
        client.clientFirstMessage()
        onlyScramErrors(() => client.handleServerFirst(utf8(first)))
        onlyScramErrors(() => client.verifyServerFinal(utf8(final)))
        expect(client.authenticated).toBe(false)
      }),
      { numRuns: 2000 }
    )
  })

  it("any single-byte change to a valid client-final-message is refused", () => {
    const verifier = makeScramVerifier("pw", { iterations: 1 })
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (position, delta) => {
        const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256" })
        const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" })
        const final = utf8(client.handleServerFirst(utf8(server.handleClientFirst(utf8(client.clientFirstMessage())))))
        const at = position % final.length
        final[at] = (final[at]! + delta) & 0xff
        expect(onlyScramErrors(() => server.handleClientFinal(final))).toBe("ScramError")
      }),
      { numRuns: 1000 }
    )
  })

  it("any single-byte change to a valid server-final-message is refused by the client", () => {
    const verifier = makeScramVerifier("pw", { iterations: 1 })
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (position, delta) => {
        const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256" })
        const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" })
        const final = client.handleServerFirst(utf8(server.handleClientFirst(utf8(client.clientFirstMessage()))))
        const serverFinal = utf8(server.handleClientFinal(utf8(final)))
        const at = position % serverFinal.length
        serverFinal[at] = (serverFinal[at]! + delta) & 0xff
        // Even a change to the unused low bits of the last base64 character: only canonical base64 is read.
        expect(onlyScramErrors(() => client.verifyServerFinal(serverFinal))).toBe("ScramError")
      }),
      { numRuns: 1000 }
    )
  })
})

describe("parsers never throw on arbitrary input", () => {
  it("parseScramVerifier: undefined or a verifier that formats back to the input", () => {
    const b64 = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((b) => Buffer.from(b).toString("base64"))
    const shaped = fc.tuple(fc.oneof(fc.nat().map(String), fc.string({ maxLength: 3 })), b64, b64, b64)
      .map(([i, s, k1, k2]) => `SCRAM-SHA-256$${i}:${s}$${k1}:${k2}`)
    fc.assert(
      fc.property(fc.oneof(shaped, fc.string({ maxLength: 60 })), (text) => {
        const v = parseScramVerifier(text)
        if (v !== undefined) expect(formatScramVerifier(v)).toBe(text)
      }),
      { numRuns: 3000 }
    )
  })

  it("saslprep returns a string for any input", () => {
    fc.assert(fc.property(anyPassword, (s) => void expect(typeof saslprep(s)).toBe("string")), { numRuns: 3000 })
  })

  it("tlsServerEndPointHashAlgorithm: a hash name or AuthInputError", () => {
    const derish = fc.array(fc.oneof(fc.constantFrom(0x30, 0x06, 0xa0, 0x80, 0x81, 0x82, 0x84), fc.integer({ min: 0, max: 255 })), { maxLength: 60 })
      .map((a) => new Uint8Array(a))
    fc.assert(
      fc.property(derish, (der) => {
        try {
          expect(typeof tlsServerEndPointHashAlgorithm(der)).toBe("string")
        } catch (e) {
          if (!(e instanceof AuthInputError)) throw e
        }
      }),
      { numRuns: 5000 }
    )
  })
})
