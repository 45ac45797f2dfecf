import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import {
  buildOAuthBearerChallenge,
  buildOAuthBearerInitialResponse,
  isBearerToken,
  isOAuthBearerErrorAck,
  OAUTHBEARER_ERROR_ACK,
  OAUTHBEARER_MAX_MESSAGE_LENGTH,
  OAuthBearerError,
  oauthDiscoveryUrl,
  parseBearerCredentials,
  parseOAuthBearerChallenge,
  parseOAuthBearerClientResponse
} from "../src/auth/index.js"

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const text = (b: Uint8Array) => String.fromCharCode(...b)

const oauthError = (f: () => unknown, kind: OAuthBearerError["kind"]): OAuthBearerError => {
  let caught: unknown
  try {
    f()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(OAuthBearerError)
  const e = caught as OAuthBearerError
  expect(e.kind, e.reason).toBe(kind)
  return e
}

describe("OAUTHBEARER client initial response", () => {
  it("builds the exact bytes libpq sends for discovery and for a token", () => {
    expect(text(buildOAuthBearerInitialResponse())).toBe("n,,\x01auth=\x01\x01")
    expect(text(buildOAuthBearerInitialResponse({ token: "abc.DEF-_~+/==" }))).toBe("n,,\x01auth=Bearer abc.DEF-_~+/==\x01\x01")
    expect(text(buildOAuthBearerInitialResponse({ token: "t", host: "db.example", port: 5432 }))).toBe(
      "n,,\x01auth=Bearer t\x01host=db.example\x01port=5432\x01\x01"
    )
  })

  it("parses what it builds", () => {
    expect(parseOAuthBearerClientResponse(buildOAuthBearerInitialResponse({ token: "tok", host: "h", port: "1" }))).toEqual({
      channelBindingFlag: "n",
      authzid: undefined,
      auth: "Bearer tok",
      host: "h",
      port: "1"
    })
    expect(parseOAuthBearerClientResponse(buildOAuthBearerInitialResponse()).auth).toBe("")
  })

  it("accepts the y flag, an authzid (reported), and ignores unknown keys", () => {
    const r = parseOAuthBearerClientResponse(bytes("y,a=alice,\x01xtra=any value\t\r\n\x01auth=Bearer x\x01\x01"))
    expect(r).toEqual({ channelBindingFlag: "y", authzid: "alice", auth: "Bearer x", host: undefined, port: undefined })
  })

  const malformed: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["empty", "", /empty/],
    ["channel binding requested", "p=tls-server-end-point,,\x01auth=Bearer x\x01\x01", /channel binding/],
    ["unknown flag", "x,,\x01auth=\x01\x01", /channel-binding flag "x"/],
    ["no comma after the flag", "n\x01auth=\x01\x01", /comma expected, but found 0x01/],
    ["unknown GS2 attribute", "n,b=x,\x01auth=\x01\x01", /unexpected attribute "b"/],
    ["authzid without =", "n,a,\x01auth=\x01\x01", /"=" expected/],
    ["authzid without a closing comma", "n,a=x", /does not end with a comma/],
    ["no kvsep after the header", "n,,auth=\x01\x01", /key-value separator expected/],
    ["no auth", "n,,\x01host=h\x01\x01", /does not contain an auth value/],
    ["two auth values", "n,,\x01auth=\x01auth=Bearer x\x01\x01", /multiple auth values/],
    ["no final terminator", "n,,\x01auth=Bearer x\x01", /terminator/],
    ["unterminated pair", "n,,\x01auth=Bearer x", /unterminated/],
    ["a key without a value", "n,,\x01auth\x01\x01", /key without a value/],
    ["an empty key", "n,,\x01=x\x01auth=\x01\x01", /empty key/],
    ["a key with a digit", "n,,\x01k1=x\x01auth=\x01\x01", /invalid key name/],
    ["a value with a control byte", "n,,\x01auth=Bearer \x02\x01\x01", /invalid value/],
    ["a value with a high byte", "n,,\x01auth=Bearer \xe9\x01\x01", /invalid value/],
    ["data after the terminator", "n,,\x01auth=\x01\x01x", /additional data/],
    ["a NUL byte", "n,,\x01auth=\x00\x01\x01", /NUL/]
  ]
  for (const [name, input, reason] of malformed) {
    it(`refuses ${name} as a protocol error`, () => {
      const e = oauthError(() => parseOAuthBearerClientResponse(bytes(input)), "protocol")
      expect(e.reason).toMatch(reason)
      expect(e.message).toMatch(/^malformed OAUTHBEARER message: /)
    })
  }

  it("refuses a message over PostgreSQL's 65535-byte limit", () => {
    const long = bytes(`n,,\x01auth=Bearer ${"a".repeat(OAUTHBEARER_MAX_MESSAGE_LENGTH)}\x01\x01`)
    expect(oauthError(() => parseOAuthBearerClientResponse(long), "protocol").reason).toMatch(/longer than 65535/)
    expect(oauthError(() => buildOAuthBearerInitialResponse({ token: "a".repeat(OAUTHBEARER_MAX_MESSAGE_LENGTH) }), "input").reason).toMatch(/longer/)
  })

  it("refuses to build what the grammar cannot carry", () => {
    oauthError(() => buildOAuthBearerInitialResponse({ token: "has space" }), "input")
    oauthError(() => buildOAuthBearerInitialResponse({ token: "a\x01auth=Bearer b" }), "input")
    oauthError(() => buildOAuthBearerInitialResponse({ token: "=abc" }), "input")
    oauthError(() => buildOAuthBearerInitialResponse({ token: "t", host: "h\x01ost" }), "input")
    oauthError(() => buildOAuthBearerInitialResponse({ token: "t", host: "hé" }), "input")
  })

  it("never throws anything but OAuthBearerError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        try {
          parseOAuthBearerClientResponse(data)
        } catch (e) {
          expect(e).toBeInstanceOf(OAuthBearerError)
        }
      }),
      { numRuns: 2000 }
    )
    // Mostly-valid messages reach the deeper branches.
    const alphabet = fc.constantFrom(..."ny,a=\x01authBer hostpr1\x00".split(""))
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (chars) => {
        try {
          parseOAuthBearerClientResponse(bytes(`n,,\x01${chars.join("")}`))
        } catch (e) {
          expect(e).toBeInstanceOf(OAuthBearerError)
        }
      }),
      { numRuns: 2000 }
    )
  })

  it("round-trips any b64token, host and port", () => {
    const b64char = fc.constantFrom(..."ABCXYZabcxyz0189-._~+/".split(""))
    const token = fc.tuple(fc.array(b64char, { minLength: 1, maxLength: 40 }), fc.nat(3)).map(([cs, pad]) => cs.join("") + "=".repeat(pad))
    const value = fc.array(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), { maxLength: 20 }).map((cs) => cs.join(""))
    fc.assert(
      fc.property(token, value, fc.integer({ min: 1, max: 65535 }), (t, host, port) => {
        const r = parseOAuthBearerClientResponse(buildOAuthBearerInitialResponse({ token: t, host, port }))
        expect(r.host).toBe(host)
        expect(r.port).toBe(String(port))
        expect(parseBearerCredentials(r.auth)).toEqual({ _tag: "Token", token: t })
      })
    )
  })
})

describe("Bearer credentials", () => {
  it("an empty auth value is a discovery request", () => {
    expect(parseBearerCredentials("")).toEqual({ _tag: "Discovery" })
  })

  it("the scheme is case-insensitive and extra spaces are skipped", () => {
    expect(parseBearerCredentials("bEaReR   abc==")).toEqual({ _tag: "Token", token: "abc==" })
  })

  it("other schemes, empty and malformed tokens are Malformed, never quoting the token", () => {
    const cases = ["Basic dXNlcg==", "Bearer", "Bearer ", "Bearer    ", "Bearer a b", "Bearer a=b", "Bearer =", "Bearer sécret"]
    for (const c of cases) {
      const r = parseBearerCredentials(c)
      expect(r._tag, c).toBe("Malformed")
      if (r._tag === "Malformed") expect(r.reason).not.toContain("cret")
    }
    expect(isBearerToken("a-b.c_d~e+f/g==")).toBe(true)
    expect(isBearerToken("")).toBe(false)
  })
})

describe("OAUTHBEARER error challenge", () => {
  it("builds PostgreSQL's discovery JSON", () => {
    const json = JSON.parse(new TextDecoder().decode(buildOAuthBearerChallenge({ issuer: "https://idp.example", scope: "openid pg" })))
    expect(json).toEqual({
      status: "invalid_token",
      "openid-configuration": "https://idp.example/.well-known/openid-configuration",
      scope: "openid pg"
    })
    expect(oauthDiscoveryUrl("https://idp.example/.well-known/oauth-authorization-server")).toBe(
      "https://idp.example/.well-known/oauth-authorization-server"
    )
  })

  it("escapes what it puts in the JSON", () => {
    const data = buildOAuthBearerChallenge({ issuer: 'https://x/"q"\\', scope: "a\nb" })
    expect(parseOAuthBearerChallenge(data)).toEqual({
      status: "invalid_token",
      openidConfiguration: 'https://x/"q"\\/.well-known/openid-configuration',
      scope: "a\nb"
    })
  })

  it("parses a challenge with only a status", () => {
    expect(parseOAuthBearerChallenge(bytes('{"status":"invalid_token"}'))).toEqual({
      status: "invalid_token",
      openidConfiguration: undefined,
      scope: undefined
    })
  })

  it("refuses what is not a challenge", () => {
    for (const bad of ["", "nope", "[]", "null", '"s"', "{}", '{"status":1}', '{"status":"x","scope":[]}', '{"status":"x","openid-configuration":null}']) {
      oauthError(() => parseOAuthBearerChallenge(bytes(bad)), "protocol")
    }
    oauthError(() => parseOAuthBearerChallenge(Uint8Array.of(0x7b, 0xff, 0x7d)), "protocol")
  })

  it("the client's answer is a single kvsep", () => {
    expect(Array.from(OAUTHBEARER_ERROR_ACK)).toEqual([1])
    expect(isOAuthBearerErrorAck(Uint8Array.of(1))).toBe(true)
    expect(isOAuthBearerErrorAck(Uint8Array.of(1, 1))).toBe(false)
    expect(isOAuthBearerErrorAck(new Uint8Array(0))).toBe(false)
  })
})
