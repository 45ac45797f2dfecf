import crypto from "node:crypto"
import { describe, expect, it } from "vitest"
import {
  formatScramVerifier,
  isMockScramVerifier,
  makeScramVerifier,
  mockScramVerifier,
  parseScramVerifier,
  ScramClientSession,
  ScramError,
  type ScramMechanism,
  ScramServerSession,
  type ScramVerifier
} from "../src/auth/index.js"

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"))
const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"))

// Runs `f`, expecting a ScramError of the given kind; returns it.
const scramError = (f: () => unknown, kind: "protocol" | "auth"): ScramError => {
  let caught: unknown
  try {
    f()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(ScramError)
  const e = caught as ScramError
  expect(e._tag).toBe("ScramError")
  expect(e.kind, e.reason).toBe(kind)
  return e
}

// RFC 7677 section 3.
const RFC = {
  password: "pencil",
  clientNonce: "rOprNGfwEbeRWgbNEkqO",
  serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
  salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  // RFC 7677's value. (Our brief quoted "...nLTJMVMY8ns=", which is 43 characters and cannot
  // be 32 bytes of base64; the RFC and every implementation we checked have this one.)
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
}

describe("SCRAM-SHA-256: RFC 7677 test vector", () => {
  const verifier = makeScramVerifier(RFC.password, { salt: b64(RFC.salt), iterations: 4096 })

  it("the client produces the RFC's messages", () => {
    const client = new ScramClientSession({ password: RFC.password, mechanism: "SCRAM-SHA-256", username: "user", clientNonce: RFC.clientNonce })
    expect(client.clientFirstMessage()).toBe(RFC.clientFirst)
    expect(client.handleServerFirst(utf8(RFC.serverFirst))).toBe(RFC.clientFinal)
    client.verifyServerFinal(utf8(RFC.serverFinal))
    expect(client.authenticated).toBe(true)
  })

  it("the server produces the RFC's messages", () => {
    const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256", serverNonce: RFC.serverNonce })
    expect(server.handleClientFirst(utf8(RFC.clientFirst))).toBe(RFC.serverFirst)
    expect(server.authenticated).toBe(false)
    expect(server.handleClientFinal(utf8(RFC.clientFinal))).toBe(RFC.serverFinal)
    expect(server.authenticated).toBe(true)
  })

  it("the verifier round-trips through PostgreSQL's text form", () => {
    const text = formatScramVerifier(verifier)
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/)
    expect(parseScramVerifier(text)).toEqual(verifier)
  })
})

// One full exchange between our two sessions; returns what each side ended with.
const exchange = (opts: {
  verifier: ScramVerifier
  password: string
  serverMechanism: ScramMechanism
  clientMechanism?: ScramMechanism
  serverBinding?: Uint8Array
  clientBinding?: Uint8Array
  tamperClientFinal?: (s: string) => string
}) => {
  const server = new ScramServerSession({
    verifier: opts.verifier,
    mechanism: opts.serverMechanism,
    ...(opts.serverBinding ? { channelBindingData: opts.serverBinding } : {})
  })
  const client = new ScramClientSession({
    password: opts.password,
    mechanism: opts.clientMechanism ?? opts.serverMechanism,
    ...(opts.clientBinding ? { channelBindingData: opts.clientBinding } : {})
  })
  const serverFirst = server.handleClientFirst(utf8(client.clientFirstMessage()))
  let clientFinal = client.handleServerFirst(utf8(serverFirst))
  if (opts.tamperClientFinal) clientFinal = opts.tamperClientFinal(clientFinal)
  const serverFinal = server.handleClientFinal(utf8(clientFinal))
  client.verifyServerFinal(utf8(serverFinal))
  return { server, client, clientFinal }
}

describe("SCRAM sessions talking to each other", () => {
  const verifier = makeScramVerifier("correct horse", { iterations: 4096 })
  const cbind = crypto.createHash("sha256").update("a server certificate").digest()

  it("plain SCRAM-SHA-256 authenticates both ways", () => {
    const { server, client, clientFinal } = exchange({ verifier, password: "correct horse", serverMechanism: "SCRAM-SHA-256" })
    expect(server.authenticated && client.authenticated).toBe(true)
    expect(clientFinal.startsWith("c=biws,")).toBe(true)
  })

  it("SCRAM-SHA-256-PLUS binds the channel", () => {
    const { server, client, clientFinal } = exchange({
      verifier, password: "correct horse", serverMechanism: "SCRAM-SHA-256-PLUS", serverBinding: cbind, clientBinding: cbind
    })
    expect(server.authenticated && client.authenticated).toBe(true)
    const c = Buffer.from(/^c=([^,]+)/.exec(clientFinal)![1]!, "base64")
    expect(c.subarray(0, 24).toString()).toBe("p=tls-server-end-point,,")
    expect(c.subarray(24)).toEqual(cbind)
  })

  it("over TLS, a client that could bind but was offered no -PLUS sends y, and a server without TLS accepts it", () => {
    const { server, clientFinal } = exchange({ verifier, password: "correct horse", serverMechanism: "SCRAM-SHA-256", clientBinding: cbind })
    expect(server.authenticated).toBe(true)
    expect(clientFinal.startsWith("c=eSws,")).toBe(true)
  })

  it("a wrong password fails on the server with kind auth", () => {
    scramError(() => exchange({ verifier, password: "wrong horse", serverMechanism: "SCRAM-SHA-256" }), "auth")
  })

  it("a tampered proof fails with kind auth", () => {
    scramError(() => exchange({
      verifier, password: "correct horse", serverMechanism: "SCRAM-SHA-256",
      tamperClientFinal: (s) => {
        const proof = Buffer.from(s.slice(s.indexOf(",p=") + 3), "base64")
        proof[0]! ^= 1
        return s.slice(0, s.indexOf(",p=") + 3) + proof.toString("base64")
      }
    }), "auth")
  })

  it("a tampered channel binding fails with kind auth", () => {
    const other = crypto.createHash("sha256").update("a man in the middle").digest()
    const e = scramError(() => exchange({
      verifier, password: "correct horse", serverMechanism: "SCRAM-SHA-256-PLUS", serverBinding: cbind, clientBinding: other
    }), "auth")
    expect(e.reason).toMatch(/channel binding/)
  })

  it("a downgrade (y while the server can bind) fails with kind auth", () => {
    const e = scramError(() => exchange({
      verifier, password: "correct horse", serverMechanism: "SCRAM-SHA-256", serverBinding: cbind, clientBinding: cbind
    }), "auth")
    expect(e.reason).toMatch(/channel binding negotiation/)
  })

  it("n with the -PLUS mechanism, and p= with the plain one, are protocol errors", () => {
    const plusServer = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256-PLUS", channelBindingData: cbind })
    scramError(() => plusServer.handleClientFirst(utf8("n,,n=,r=abc")), "protocol")
    const plainServer = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256", channelBindingData: cbind })
    scramError(() => plainServer.handleClientFirst(utf8("p=tls-server-end-point,,n=,r=abc")), "protocol")
    const plusNoTls = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256-PLUS" })
    scramError(() => plusNoTls.handleClientFirst(utf8("p=tls-server-end-point,,n=,r=abc")), "protocol")
    const plusOther = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256-PLUS", channelBindingData: cbind })
    scramError(() => plusOther.handleClientFirst(utf8("p=tls-unique,,n=,r=abc")), "protocol")
    // Peer text quoted in a reason is made printable and short.
    const nasty = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256-PLUS", channelBindingData: cbind })
    const reason = scramError(() => nasty.handleClientFirst(utf8(`p=\u001b[31m${"x".repeat(500)},,n=,r=abc`)), "protocol").reason
    expect(reason).toMatch(/^[\x20-\x7e]{1,120}$/)
  })

  it("c=biws after a y header is refused: the binding must repeat the header the client sent", () => {
    const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256" })
    const client = new ScramClientSession({ password: "correct horse", mechanism: "SCRAM-SHA-256", channelBindingData: cbind })
    const first = client.clientFirstMessage()
    expect(first.startsWith("y,,n=,r=")).toBe(true)
    const final = client.handleServerFirst(utf8(server.handleClientFirst(utf8(first))))
    expect(final.startsWith("c=eSws,")).toBe(true)
    scramError(() => server.handleClientFinal(utf8(final.replace("c=eSws,", "c=biws,"))), "protocol")
  })

  it("a PostgreSQL-style client (n=, empty user name) and n=* are accepted; the name is ignored", () => {
    for (const user of ["", "*", "someone=2Celse"]) {
      const server = new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256", serverNonce: "SN" })
      expect(server.handleClientFirst(utf8(`n,,n=${user},r=CN`))).toBe(`r=CNSN,s=${Buffer.from(verifier.salt).toString("base64")},i=4096`)
    }
  })
})

describe("ScramServerSession rejects malformed and out-of-order messages", () => {
  const verifier = makeScramVerifier("pw", { iterations: 1 })
  const fresh = () => new ScramServerSession({ verifier, mechanism: "SCRAM-SHA-256", serverNonce: "SN" })

  it.each([
    ["empty", ""],
    ["no GS2 header", "n=,r=abc"],
    ["unknown flag", "x,,n=,r=abc"],
    ["flag without comma", "n"],
    ["authzid", "n,a=admin,n=,r=abc"],
    ["mandatory extension", "n,,m=ext,n=,r=abc"],
    ["missing user", "n,,r=abc"],
    ["missing nonce", "n,,n="],
    ["empty nonce", "n,,n=,r="],
    ["non-printable nonce", "n,,n=,r=a\u0001b"],
    ["non-ASCII nonce", "n,,n=,r=caf\u00e9"],
    ["NUL byte", "n,,n=,r=ab\u0000c"],
    ["attribute without name", "n,,n=,r=abc,=x"],
    ["trailing comma", "n,,n=,r=abc,"]
  ])("client-first: %s", (_name, message) => {
    scramError(() => fresh().handleClientFirst(utf8(message)), "protocol")
  })

  it("client-first accepts and ignores optional extensions after the nonce", () => {
    expect(fresh().handleClientFirst(utf8("n,,n=,r=abc,x=1"))).toMatch(/^r=abcSN,/)
  })

  // A valid client-first followed by a client-final built by `final` from the combined nonce.
  const afterFirst = (final: (nonce: string) => string) => {
    const server = fresh()
    server.handleClientFirst(utf8("n,,n=,r=CN"))
    return () => server.handleClientFinal(utf8(final("CNSN")))
  }
  const proof = Buffer.alloc(32, 7).toString("base64")

  it.each([
    ["missing c", (n: string) => `r=${n},p=${proof}`],
    ["c not base64", (n: string) => `c=bi*s,r=${n},p=${proof}`],
    ["c for another header", (n: string) => `c=eSws,r=${n},p=${proof}`],
    ["nonce mismatch", (n: string) => `c=biws,r=${n}x,p=${proof}`],
    ["client nonce only", () => `c=biws,r=CN,p=${proof}`],
    ["missing proof", (n: string) => `c=biws,r=${n}`],
    ["proof not last", (n: string) => `c=biws,r=${n},p=${proof},x=1`],
    ["short proof", (n: string) => `c=biws,r=${n},p=${Buffer.alloc(31).toString("base64")}`],
    ["proof not base64", (n: string) => `c=biws,r=${n},p=!!!!`],
    ["proof in non-canonical base64 (unused bits set)", (n: string) => `c=biws,r=${n},p=${proof.slice(0, -2)}d=`],
    ["proof without padding", (n: string) => `c=biws,r=${n},p=${proof.slice(0, -1)}`],
    ["two proofs", (n: string) => `c=biws,r=${n},p=${proof},p=${proof}`]
  ])("client-final: %s", (_name, final) => {
    scramError(afterFirst(final), "protocol")
  })

  it("client-final accepts extensions before the proof (and then checks the proof)", () => {
    scramError(afterFirst((n) => `c=biws,r=${n},x=1,p=${proof}`), "auth")
  })

  it("messages out of order, and any message after a failure, are protocol errors", () => {
    scramError(() => fresh().handleClientFinal(utf8("c=biws,r=x,p=" + proof)), "protocol")
    const server = fresh()
    server.handleClientFirst(utf8("n,,n=,r=CN"))
    scramError(() => server.handleClientFirst(utf8("n,,n=,r=CN")), "protocol")
    scramError(() => server.handleClientFinal(utf8(`c=biws,r=CNSN,p=${proof}`)), "protocol")
    expect(server.authenticated).toBe(false)
    const failed = fresh()
    scramError(() => failed.handleClientFirst(utf8("garbage")), "protocol")
    scramError(() => failed.handleClientFirst(utf8("n,,n=,r=CN")), "protocol")
  })

  it("a finished session accepts nothing more", () => {
    const { server } = exchange({ verifier, password: "pw", serverMechanism: "SCRAM-SHA-256" })
    scramError(() => server.handleClientFinal(utf8("c=biws")), "protocol")
    expect(server.authenticated).toBe(false)
  })
})

describe("ScramClientSession checks the server", () => {
  const first = (opts?: { maxIterations?: number }) => {
    const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256", clientNonce: "CN", ...opts })
    client.clientFirstMessage()
    return client
  }
  const salt = Buffer.alloc(16, 1).toString("base64")

  it.each([
    ["nonce that does not extend ours", `r=XXSN,s=${salt},i=4096`],
    ["nonce equal to ours", `r=CN,s=${salt},i=4096`],
    ["missing salt", "r=CNSN,i=4096"],
    ["empty salt", "r=CNSN,s=,i=4096"],
    ["salt not base64", "r=CNSN,s=a?b=,i=4096"],
    ["iterations zero", `r=CNSN,s=${salt},i=0`],
    ["iterations negative", `r=CNSN,s=${salt},i=-1`],
    ["iterations not a number", `r=CNSN,s=${salt},i=4k`],
    ["iterations over the cap", `r=CNSN,s=${salt},i=1000001`],
    ["huge iterations", `r=CNSN,s=${salt},i=99999999999999999999999`],
    ["mandatory extension", `m=x,r=CNSN,s=${salt},i=4096`],
    ["garbage at the end", `r=CNSN,s=${salt},i=4096,x=1`],
    ["an error instead", "e=other-error"]
  ])("server-first: %s", (_name, message) => {
    scramError(() => first().handleServerFirst(utf8(message)), "protocol")
  })

  it("the iteration cap is configurable", () => {
    expect(first({ maxIterations: 4 }).handleServerFirst(utf8(`r=CNSN,s=${salt},i=4`))).toMatch(/^c=biws,r=CNSN,p=/)
    scramError(() => first({ maxIterations: 4 }).handleServerFirst(utf8(`r=CNSN,s=${salt},i=5`)), "protocol")
  })

  it("a server that does not know the password is caught by its signature", () => {
    const real = makeScramVerifier("pw", { iterations: 16 })
    const impostor = { ...real, serverKey: crypto.randomBytes(32) }
    const server = new ScramServerSession({ verifier: impostor, mechanism: "SCRAM-SHA-256" })
    const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" })
    const serverFinal = server.handleClientFinal(utf8(client.handleServerFirst(utf8(server.handleClientFirst(utf8(client.clientFirstMessage()))))))
    scramError(() => client.verifyServerFinal(utf8(serverFinal)), "auth")
    expect(client.authenticated).toBe(false)
  })

  it("an e= server-final is surfaced as kind auth with the server's reason", () => {
    const client = first()
    client.handleServerFirst(utf8(`r=CNSN,s=${salt},i=1`))
    expect(scramError(() => client.verifyServerFinal(utf8("e=invalid-proof")), "auth").reason).toContain("invalid-proof")
  })

  it.each([
    ["malformed signature", "v=abc"],
    ["short signature", `v=${Buffer.alloc(31).toString("base64")}`],
    ["unknown attribute", "x=1"],
    ["extra attribute", `v=${Buffer.alloc(32).toString("base64")},x=1`],
    ["empty", ""]
  ])("server-final: %s", (_name, message) => {
    const client = first()
    client.handleServerFirst(utf8(`r=CNSN,s=${salt},i=1`))
    scramError(() => client.verifyServerFinal(utf8(message)), "protocol")
  })

  it("steps out of order are protocol errors", () => {
    const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" })
    scramError(() => client.handleServerFirst(utf8(`r=CNSN,s=${salt},i=1`)), "protocol")
    const c2 = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" })
    c2.clientFirstMessage()
    scramError(() => c2.clientFirstMessage(), "protocol")
    scramError(() => c2.verifyServerFinal(utf8("v=x")), "protocol")
  })

  it("-PLUS without channel binding data is refused before anything is sent", () => {
    scramError(() => new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256-PLUS" }).clientFirstMessage(), "protocol")
  })

  it("a non-printable client nonce is refused", () => {
    scramError(() => new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256", clientNonce: "a,b" }).clientFirstMessage(), "protocol")
  })

  it("escapes , and = in the user name", () => {
    const client = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256", username: "a,b=c", clientNonce: "N" })
    expect(client.clientFirstMessage()).toBe("n,,n=a=2Cb=3Dc,r=N")
  })

  it("random nonces are 24 base64 characters and differ per session", () => {
    const a = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" }).clientFirstMessage()
    const b = new ScramClientSession({ password: "pw", mechanism: "SCRAM-SHA-256" }).clientFirstMessage()
    expect(a).toMatch(/^n,,n=,r=[A-Za-z0-9+/]{24}$/)
    expect(a).not.toBe(b)
  })
})

describe("mock verifier for unknown users", () => {
  const secret = crypto.randomBytes(32)

  it("is deterministic per user and secret, looks like a real verifier, and differs per user", () => {
    const a = mockScramVerifier("ghost", secret)
    expect(mockScramVerifier("ghost", secret)).toEqual(a)
    expect(mockScramVerifier("ghost2", secret).salt).not.toEqual(a.salt)
    expect(mockScramVerifier("ghost", crypto.randomBytes(32)).salt).not.toEqual(a.salt)
    expect(a.salt.length).toBe(16)
    expect(a.iterations).toBe(4096)
    expect(isMockScramVerifier(a)).toBe(true)
    expect(isMockScramVerifier(makeScramVerifier("x", { iterations: 1 }))).toBe(false)
    expect(parseScramVerifier(formatScramVerifier(a))).toEqual(a)
  })

  it("an unknown user fails exactly like a wrong password", () => {
    const mock = scramError(() => exchange({ verifier: mockScramVerifier("ghost", secret), password: "anything", serverMechanism: "SCRAM-SHA-256" }), "auth")
    const wrong = scramError(() => exchange({ verifier: makeScramVerifier("real"), password: "anything", serverMechanism: "SCRAM-SHA-256" }), "auth")
    expect(mock.reason).toBe(wrong.reason)
  })

  it("fails even with the proof that matches its keys (PostgreSQL's doomed flag)", () => {
    // Build a session over a mock verifier whose keys we control, then send the matching proof.
    const real = makeScramVerifier("pw", { iterations: 1 })
    const mock = mockScramVerifier("ghost", secret, { iterations: 1 })
    const doomedVerifier = Object.assign(mock, { salt: real.salt, storedKey: real.storedKey, serverKey: real.serverKey })
    scramError(() => exchange({ verifier: doomedVerifier, password: "pw", serverMechanism: "SCRAM-SHA-256" }), "auth")
    expect(exchange({ verifier: real, password: "pw", serverMechanism: "SCRAM-SHA-256" }).server.authenticated).toBe(true)
  })
})

describe("verifier text form", () => {
  it("rejects anything but a well-formed SCRAM-SHA-256 secret", () => {
    const good = formatScramVerifier(makeScramVerifier("pw", { iterations: 10 }))
    expect(parseScramVerifier(good)).toBeDefined()
    const [, iterSalt, keys] = good.split("$") as [string, string, string]
    const [, salt] = iterSalt.split(":") as [string, string]
    const [stored, server] = keys.split(":") as [string, string]
    for (const bad of [
      "", "md5" + "0".repeat(32), "pw", good.replace("SCRAM-SHA-256", "SCRAM-SHA-1"),
      `SCRAM-SHA-256$0:${salt}$${keys}`, `SCRAM-SHA-256$-1:${salt}$${keys}`, `SCRAM-SHA-256$2147483648:${salt}$${keys}`,
      `SCRAM-SHA-256$10:$${keys}`, `SCRAM-SHA-256$10:${salt}$${stored}`, `SCRAM-SHA-256$10:${salt}$${stored}:${server}:x`,
      `SCRAM-SHA-256$10:${salt}$${stored.slice(4)}:${server}`, `SCRAM-SHA-256$10:${salt}$${stored}:${server.replace("=", "")}`,
      `SCRAM-SHA-256$10:${salt}!$${keys}`, good + "$"
    ]) {
      expect(parseScramVerifier(bad), bad).toBeUndefined()
    }
  })

  it("makeScramVerifier rejects bad options with AuthInputError", () => {
    for (const options of [{ iterations: 0 }, { iterations: 1.5 }, { iterations: 2 ** 31 }, { salt: new Uint8Array(0) }]) {
      expect(() => makeScramVerifier("pw", options)).toThrow(expect.objectContaining({ _tag: "AuthInputError" }))
    }
  })

  it("uses 4096 iterations and a fresh 16-byte salt by default", () => {
    const a = makeScramVerifier("pw")
    const b = makeScramVerifier("pw")
    expect(a.iterations).toBe(4096)
    expect(a.salt.length).toBe(16)
    expect(a.salt).not.toEqual(b.salt)
    expect(a.storedKey).not.toEqual(b.storedKey)
  })
})
