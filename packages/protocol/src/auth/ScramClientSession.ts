// The client side of one SCRAM-SHA-256(-PLUS) exchange, as libpq runs it: the user name in
// client-first-message is empty (the server takes it from the startup packet), and the
// GS2 flag says whether the client could have bound the channel.
import crypto from "node:crypto"
import { decodeBase64, encodeBase64 } from "./base64.js"
import {
  authError,
  checkNoNul,
  expectAttribute,
  isScramPrintable,
  parseAttributes,
  protocolError,
  sanitizeForReason,
  SCRAM_SHA_256_PLUS,
  type ScramMechanism,
  TLS_SERVER_END_POINT
} from "./scramAttributes.js"
import {
  authMessageOf,
  bytesOfWireText,
  clientKeyOf,
  concatBytes,
  constantTimeEqual,
  hmacSha256,
  SCRAM_KEY_LENGTH,
  saltedPassword,
  serverKeyOf,
  sha256,
  wireTextOf,
  xor
} from "./scramCrypto.js"
import { SCRAM_RAW_NONCE_LENGTH } from "./ScramServerSession.js"

/** Default cap on the server's iteration count: PBKDF2 runs on the caller's thread. */
export const SCRAM_DEFAULT_MAX_ITERATIONS = 1_000_000

export interface ScramClientOptions {
  readonly password: string
  /** The mechanism to use, chosen from the server's AuthenticationSASL list. */
  readonly mechanism: ScramMechanism
  /**
   * The tls-server-end-point hash of the server's certificate (tlsServerEndPointHash of the
   * peer certificate). Required with SCRAM-SHA-256-PLUS. With SCRAM-SHA-256 its presence
   * sends the "y" flag (we could bind, the server did not offer -PLUS), so a server that does
   * support binding detects the downgrade; leave it out to send "n".
   */
  readonly channelBindingData?: Uint8Array
  /** Name sent in client-first-message; PostgreSQL ignores it. Default: empty, as libpq. */
  readonly username?: string
  /** Fixed client nonce, for test vectors only; by default 18 random bytes in base64. */
  readonly clientNonce?: string
  /** Largest iteration count accepted from the server (default 1,000,000). */
  readonly maxIterations?: number
}

type State =
  | { readonly _tag: "Initial" }
  | { readonly _tag: "AwaitingServerFirst"; readonly clientFirstBare: Uint8Array; readonly gs2Header: Uint8Array; readonly nonce: string }
  | { readonly _tag: "AwaitingServerFinal"; readonly expectedSignature: Uint8Array }
  | { readonly _tag: "Done" }
  | { readonly _tag: "Failed" }

// saslname: "," and "=" are escaped as =2C and =3D (RFC 5802 section 5.1).
const saslname = (name: string): string => name.replaceAll("=", "=3D").replaceAll(",", "=2C")

/**
 * One exchange: `clientFirstMessage()` for SASLInitialResponse, `handleServerFirst` with
 * the AuthenticationSASLContinue data returns client-final-message for SASLResponse, and
 * `verifyServerFinal` with the AuthenticationSASLFinal data checks the server's signature.
 * All throw ScramError: kind "protocol" for malformed or out-of-order messages, kind "auth"
 * when the server sends an error (e=...) or cannot prove it knows the password.
 */
export class ScramClientSession {
  private state: State = { _tag: "Initial" }

  constructor(private readonly options: ScramClientOptions) {}

  /** True once verifyServerFinal has accepted the server's signature. */
  get authenticated(): boolean {
    return this.state._tag === "Done"
  }

  clientFirstMessage(): string {
    if (this.state._tag !== "Initial") throw this.fail(protocolError("client-first-message already sent"))
    const { mechanism, channelBindingData } = this.options
    let flag: string
    if (mechanism === SCRAM_SHA_256_PLUS) {
      if (channelBindingData === undefined || channelBindingData.length === 0) {
        throw this.fail(protocolError("SCRAM-SHA-256-PLUS needs the server certificate's tls-server-end-point hash"))
      }
      flag = `p=${TLS_SERVER_END_POINT}`
    } else if (mechanism === "SCRAM-SHA-256") {
      flag = channelBindingData === undefined ? "n" : "y"
    } else {
      throw this.fail(protocolError(`unsupported SASL mechanism "${sanitizeForReason(String(mechanism))}"`))
    }
    const nonce = this.options.clientNonce ?? encodeBase64(crypto.randomBytes(SCRAM_RAW_NONCE_LENGTH))
    if (!isScramPrintable(nonce)) throw this.fail(protocolError("the client nonce is empty or not printable"))
    const gs2Header = `${flag},,`
    const bare = `n=${saslname(this.options.username ?? "")},r=${nonce}`
    this.state = {
      _tag: "AwaitingServerFirst",
      clientFirstBare: new Uint8Array(Buffer.from(bare, "utf8")),
      gs2Header: bytesOfWireText(gs2Header),
      nonce
    }
    return gs2Header + bare
  }

  handleServerFirst(message: Uint8Array): string {
    const state = this.state
    if (state._tag !== "AwaitingServerFirst") throw this.fail(protocolError("server-first-message out of order"))
    try {
      return this.serverFirst(state, message)
    } catch (e) {
      throw this.fail(e)
    }
  }

  verifyServerFinal(message: Uint8Array): void {
    const state = this.state
    if (state._tag !== "AwaitingServerFinal") throw this.fail(protocolError("server-final-message out of order"))
    try {
      this.serverFinal(state, wireTextOf(message))
    } catch (e) {
      throw this.fail(e)
    }
  }

  private fail(e: unknown): unknown {
    this.state = { _tag: "Failed" }
    return e
  }

  private serverFirst(state: Extract<State, { _tag: "AwaitingServerFirst" }>, message: Uint8Array): string {
    const what = "server-first-message"
    const text = wireTextOf(message)
    checkNoNul(text, what)
    const attributes = parseAttributes(text, what)
    if (attributes[0]?.name === "m") throw protocolError("the server requires an unsupported SCRAM extension")
    const nonce = expectAttribute(attributes, 0, "r", what).value
    const saltText = expectAttribute(attributes, 1, "s", what).value
    const iterationText = expectAttribute(attributes, 2, "i", what).value
    if (attributes.length > 3) throw protocolError(`${what}: unexpected attribute "${attributes[3]!.name}"`)

    if (nonce.length <= state.nonce.length || !nonce.startsWith(state.nonce) || !isScramPrintable(nonce)) {
      throw protocolError(`${what}: the nonce does not extend ours`)
    }
    const salt = decodeBase64(saltText)
    if (salt === undefined || salt.length === 0) throw protocolError(`${what}: malformed salt`)
    const maxIterations = this.options.maxIterations ?? SCRAM_DEFAULT_MAX_ITERATIONS
    if (!/^[1-9][0-9]{0,15}$/.test(iterationText) || Number(iterationText) > maxIterations) {
      throw protocolError(`${what}: iteration count must be from 1 to ${maxIterations}, got "${sanitizeForReason(iterationText)}"`)
    }
    const iterations = Number(iterationText)

    const { mechanism, channelBindingData } = this.options
    const binding = mechanism === SCRAM_SHA_256_PLUS && channelBindingData !== undefined
      ? concatBytes(state.gs2Header, channelBindingData)
      : state.gs2Header
    const withoutProof = `c=${encodeBase64(binding)},r=${nonce}`
    const authMessage = authMessageOf(state.clientFirstBare, message, withoutProof)
    const salted = saltedPassword(this.options.password, salt, iterations)
    const clientKey = clientKeyOf(salted)
    const proof = xor(clientKey, hmacSha256(sha256(clientKey), authMessage))
    this.state = { _tag: "AwaitingServerFinal", expectedSignature: hmacSha256(serverKeyOf(salted), authMessage) }
    return `${withoutProof},p=${encodeBase64(proof)}`
  }

  private serverFinal(state: Extract<State, { _tag: "AwaitingServerFinal" }>, text: string): void {
    const what = "server-final-message"
    checkNoNul(text, what)
    const attributes = parseAttributes(text, what)
    const first = attributes[0]!
    if (first.name === "e") throw authError(`the server rejected the exchange: ${sanitizeForReason(first.value)}`)
    const signature = decodeBase64(expectAttribute(attributes, 0, "v", what).value)
    if (attributes.length > 1) throw protocolError(`${what}: unexpected attribute "${attributes[1]!.name}"`)
    if (signature === undefined || signature.length !== SCRAM_KEY_LENGTH) throw protocolError(`${what}: malformed server signature`)
    if (!constantTimeEqual(signature, state.expectedSignature)) throw authError("the server's signature is wrong: it does not know the password")
    this.state = { _tag: "Done" }
  }
}
