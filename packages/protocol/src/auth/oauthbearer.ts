/**
 * The SASL mechanism OAUTHBEARER (RFC 7628) as PostgreSQL 18 uses it: the
 * client initial response (GS2 header, then `\x01`-separated key=value pairs
 * with `auth=Bearer <token>`), the server's error JSON sent as a challenge when
 * a token is refused or asked for, and the client's one-byte `\x01` answer to it.
 * Pure byte/string work; no I/O.
 */
import { Data } from "effect"

export const OAUTHBEARER = "OAUTHBEARER"

/** PostgreSQL's limit on a SASL message during OAUTHBEARER (PG_MAX_AUTH_TOKEN_LENGTH). */
export const OAUTHBEARER_MAX_MESSAGE_LENGTH = 65535

/** RFC 7628's kvsep: ends each key=value pair, and alone is the client's answer to the error challenge. */
export const OAUTHBEARER_KVSEP = 0x01

/**
 * An OAUTHBEARER message that cannot be used. `kind`: "protocol" for a malformed
 * message from the peer (SQLSTATE 08P01), "unsupported" for a well-formed feature
 * PostgreSQL refuses (an authzid: 0A000), "input" for a value we were asked to send
 * that the grammar cannot carry (a token with a space, a host with a control character).
 */
export class OAuthBearerError extends Data.TaggedError("OAuthBearerError")<{
  readonly reason: string
  readonly kind: "protocol" | "unsupported" | "input"
}> {
  override get message(): string {
    return this.kind === "protocol" ? `malformed OAUTHBEARER message: ${this.reason}` : this.reason
  }
}

const protocolError = (reason: string) => new OAuthBearerError({ reason, kind: "protocol" })
const inputError = (reason: string) => new OAuthBearerError({ reason, kind: "input" })

/** The parsed client initial response. Unknown keys are ignored, as RFC 7628 section 3.1 asks. */
export interface OAuthBearerClientResponse {
  /** "n": the client does not support channel binding; "y": it does but thinks the server does not. */
  readonly channelBindingFlag: "n" | "y"
  /** The GS2 authzid (`a=`), when the client sent one (PostgreSQL refuses it). */
  readonly authzid: string | undefined
  /** The raw `auth` value: "" asks for discovery, otherwise an HTTP Authorization value such as "Bearer abc". */
  readonly auth: string
  readonly host: string | undefined
  readonly port: string | undefined
}

/** Printable form of a peer's byte for an error reason (never more than one byte of the peer's text). */
const showByte = (b: number | undefined): string =>
  b === undefined ? "end of message" : b >= 0x21 && b <= 0x7e ? `"${String.fromCharCode(b)}"` : `0x${b.toString(16).padStart(2, "0")}`

const isAlpha = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
// RFC 7628 value = *(VCHAR / SP / HTAB / CR / LF)
const isValueByte = (b: number) => (b >= 0x21 && b <= 0x7e) || b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a

const latin1 = (data: Uint8Array, start: number, end: number): string => {
  let s = ""
  for (let i = start; i < end; i++) s += String.fromCharCode(data[i]!)
  return s
}

/**
 * Parses a client initial response (`gs2-header kvsep *kvpair kvsep`). Throws
 * OAuthBearerError: kind "protocol" for anything off the grammar (including a
 * "p" channel-binding flag, a NUL byte, a missing `auth`, bytes after the final
 * kvsep), kind "unsupported" for an authzid.
 */
export const parseOAuthBearerClientResponse = (data: Uint8Array): OAuthBearerClientResponse => {
  if (data.length === 0) throw protocolError("the message is empty")
  if (data.length > OAUTHBEARER_MAX_MESSAGE_LENGTH) throw protocolError(`the message is longer than ${OAUTHBEARER_MAX_MESSAGE_LENGTH} bytes`)
  if (data.includes(0)) throw protocolError("the message contains a NUL byte")
  let i = 0
  const flag = data[i]
  if (flag === 0x70 /* p */) {
    throw protocolError("the client message includes channel binding data, which OAUTHBEARER does not support")
  }
  if (flag !== 0x6e /* n */ && flag !== 0x79 /* y */) throw protocolError(`unexpected channel-binding flag ${showByte(flag)}`)
  i++
  if (data[i] !== 0x2c) throw protocolError(`comma expected, but found ${showByte(data[i])}`)
  i++
  let authzid: string | undefined
  if (data[i] === 0x61 /* a */) {
    if (data[i + 1] !== 0x3d) throw protocolError(`"=" expected after "a", but found ${showByte(data[i + 1])}`)
    const end = data.indexOf(0x2c, i + 2)
    if (end < 0) throw protocolError("the GS2 header does not end with a comma")
    authzid = latin1(data, i + 2, end)
    i = end
  }
  if (data[i] !== 0x2c) throw protocolError(`unexpected attribute ${showByte(data[i])} in the GS2 header`)
  i++
  if (data[i] !== OAUTHBEARER_KVSEP) throw protocolError(`key-value separator expected, but found ${showByte(data[i])}`)
  i++

  let auth: string | undefined
  let host: string | undefined
  let port: string | undefined
  for (;;) {
    if (i >= data.length) throw protocolError("the message does not end with a terminator")
    const end = data.indexOf(OAUTHBEARER_KVSEP, i)
    if (end < 0) throw protocolError("the message contains an unterminated key/value pair")
    if (end === i) {
      i++
      break
    }
    const eq = data.indexOf(0x3d, i)
    if (eq < 0 || eq > end) throw protocolError("the message contains a key without a value")
    if (eq === i) throw protocolError("the message contains an empty key name")
    for (let k = i; k < eq; k++) if (!isAlpha(data[k]!)) throw protocolError("the message contains an invalid key name")
    for (let k = eq + 1; k < end; k++) if (!isValueByte(data[k]!)) throw protocolError("the message contains an invalid value")
    const key = latin1(data, i, eq)
    const value = latin1(data, eq + 1, end)
    if (key === "auth") {
      if (auth !== undefined) throw protocolError("the message contains multiple auth values")
      auth = value
    } else if (key === "host") {
      host = value
    } else if (key === "port") {
      port = value
    }
    i = end + 1
  }
  if (auth === undefined) throw protocolError("the message does not contain an auth value")
  if (i !== data.length) throw protocolError("the message contains additional data after the final terminator")
  return { channelBindingFlag: flag === 0x79 ? "y" : "n", authzid, auth, host, port }
}

/** What an `auth` value holds: a request for discovery, a bearer token, or something a server must refuse. */
export type BearerCredentials =
  | { readonly _tag: "Discovery" }
  | { readonly _tag: "Token"; readonly token: string }
  | { readonly _tag: "Malformed"; readonly reason: string }

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** True when `token` fits RFC 6750's b64token, the only form a Bearer credential may take. */
export const isBearerToken = (token: string): boolean => B64TOKEN.test(token)

/**
 * Reads an `auth` value as RFC 6750 credentials: "Bearer" (any case), one or
 * more spaces, a b64token. An empty value is a discovery request. A malformed
 * value is not a protocol error: PostgreSQL only logs it (its reason never
 * quotes the token) and answers as for an invalid token.
 */
export const parseBearerCredentials = (auth: string): BearerCredentials => {
  if (auth === "") return { _tag: "Discovery" }
  if (auth.length < 7 || auth.slice(0, 7).toLowerCase() !== "bearer ") {
    return { _tag: "Malformed", reason: "the client response indicated a non-Bearer authentication scheme" }
  }
  let start = 7
  while (auth.charCodeAt(start) === 0x20) start++
  const token = auth.slice(start)
  if (token === "") return { _tag: "Malformed", reason: "the bearer token is empty" }
  if (!isBearerToken(token)) return { _tag: "Malformed", reason: "the bearer token is not in the correct format" }
  return { _tag: "Token", token }
}

export interface OAuthBearerInitialResponseOptions {
  /** The bearer token; undefined or "" sends the empty `auth=` of a discovery request. */
  readonly token?: string | undefined
  readonly host?: string | undefined
  readonly port?: string | number | undefined
}

const checkValue = (what: string, value: string): void => {
  for (let k = 0; k < value.length; k++) {
    const c = value.charCodeAt(k)
    if (!isValueByte(c)) throw inputError(`the OAUTHBEARER ${what} contains a character the message cannot carry (code ${c})`)
  }
}

/**
 * The client initial response: `n,,\x01auth=Bearer <token>\x01[host=...\x01][port=...\x01]\x01`.
 * Throws OAuthBearerError("input") for a token that is not a b64token, or a host/port the grammar cannot carry.
 */
export const buildOAuthBearerInitialResponse = (options: OAuthBearerInitialResponseOptions = {}): Uint8Array => {
  const token = options.token ?? ""
  if (token !== "" && !isBearerToken(token)) {
    throw inputError("the bearer token is not an RFC 6750 b64token (letters, digits, -._~+/ and trailing =)")
  }
  let text = `n,,\x01auth=${token === "" ? "" : `Bearer ${token}`}\x01`
  if (options.host !== undefined) {
    checkValue("host", options.host)
    text += `host=${options.host}\x01`
  }
  if (options.port !== undefined) {
    const port = String(options.port)
    checkValue("port", port)
    text += `port=${port}\x01`
  }
  text += "\x01"
  const out = new Uint8Array(text.length)
  for (let k = 0; k < text.length; k++) out[k] = text.charCodeAt(k)
  if (out.length > OAUTHBEARER_MAX_MESSAGE_LENGTH) throw inputError(`the OAUTHBEARER message is longer than ${OAUTHBEARER_MAX_MESSAGE_LENGTH} bytes`)
  return out
}

/** The client's answer to the error challenge: a single kvsep. */
export const OAUTHBEARER_ERROR_ACK: Uint8Array = Uint8Array.of(OAUTHBEARER_KVSEP)

/** True when a SASLResponse is exactly the one-byte kvsep answer to the error challenge. */
export const isOAuthBearerErrorAck = (data: Uint8Array): boolean => data.length === 1 && data[0] === OAUTHBEARER_KVSEP

/** The error challenge of RFC 7628 section 3.2.2, as PostgreSQL sends it. */
export interface OAuthBearerChallenge {
  /** "invalid_token" from PostgreSQL. */
  readonly status: string
  /** The OpenID discovery document's URL the client should use for its OAuth flow. */
  readonly openidConfiguration: string | undefined
  /** Space-separated scopes the token needs. */
  readonly scope: string | undefined
}

/**
 * The discovery URL for an issuer, as PostgreSQL builds it: the issuer plus
 * "/.well-known/openid-configuration", unless the issuer already names a
 * well-known document.
 */
export const oauthDiscoveryUrl = (issuer: string): string =>
  issuer.includes("/.well-known/") ? issuer : `${issuer}/.well-known/openid-configuration`

const encoder = new TextEncoder()

/** The server's error challenge: `{"status":"invalid_token","openid-configuration":...,"scope":...}` (UTF-8 JSON). */
export const buildOAuthBearerChallenge = (options: { readonly issuer: string; readonly scope: string }): Uint8Array =>
  encoder.encode(
    JSON.stringify({ status: "invalid_token", "openid-configuration": oauthDiscoveryUrl(options.issuer), scope: options.scope })
  )

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

const optionalString = (o: Record<string, unknown>, key: string): string | undefined => {
  const v = o[key]
  if (v === undefined) return undefined
  if (typeof v !== "string") throw protocolError(`the server's error challenge has a non-string "${key}"`)
  return v
}

/** Parses the server's error challenge. Throws OAuthBearerError("protocol") for anything but a JSON object with a string status. */
export const parseOAuthBearerChallenge = (data: Uint8Array): OAuthBearerChallenge => {
  if (data.length > OAUTHBEARER_MAX_MESSAGE_LENGTH) throw protocolError(`the server's error challenge is longer than ${OAUTHBEARER_MAX_MESSAGE_LENGTH} bytes`)
  let parsed: unknown
  try {
    parsed = JSON.parse(strictUtf8.decode(data))
  } catch {
    throw protocolError("the server's error challenge is not JSON")
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw protocolError("the server's error challenge is not a JSON object")
  }
  const o = parsed as Record<string, unknown>
  const status = optionalString(o, "status")
  if (status === undefined) throw protocolError("the server's error challenge has no status")
  return { status, openidConfiguration: optionalString(o, "openid-configuration"), scope: optionalString(o, "scope") }
}
