// The server side of one SCRAM-SHA-256(-PLUS) exchange, following PostgreSQL's auth-scram.c:
// the user name in client-first-message is ignored (the startup packet's user is the one
// authenticated), authzid and mandatory extensions are refused, and the channel binding
// type can only be tls-server-end-point.
import crypto from "node:crypto"
import { encodeBase64, decodeBase64 } from "./base64.js"
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
  concatBytes,
  constantTimeEqual,
  hmacSha256,
  SCRAM_KEY_LENGTH,
  sha256,
  wireTextOf,
  xor
} from "./scramCrypto.js"
import { isMockScramVerifier, type ScramVerifier } from "./ScramVerifier.js"

/** Random bytes in a nonce, as PostgreSQL (SCRAM_RAW_NONCE_LEN): 24 base64 characters. */
export const SCRAM_RAW_NONCE_LENGTH = 18

export interface ScramServerOptions {
  readonly verifier: ScramVerifier
  /** The mechanism the client chose in SASLInitialResponse. */
  readonly mechanism: ScramMechanism
  /**
   * The tls-server-end-point hash of the server's certificate (tlsServerEndPointHash):
   * present if and only if the connection uses TLS, so the server offers SCRAM-SHA-256-PLUS.
   */
  readonly channelBindingData?: Uint8Array
  /** Fixed server nonce, for test vectors only; by default 18 random bytes in base64. */
  readonly serverNonce?: string
}

type State =
  | { readonly _tag: "AwaitingClientFirst" }
  | {
    readonly _tag: "AwaitingClientFinal"
    readonly gs2Header: Uint8Array
    readonly nonce: string
    readonly clientFirstBare: Uint8Array
    readonly serverFirst: Uint8Array
  }
  | { readonly _tag: "Done" }
  | { readonly _tag: "Failed" }

/**
 * One exchange: `handleClientFirst` with the SASLInitialResponse data returns the
 * server-first-message (AuthenticationSASLContinue), `handleClientFinal` with the
 * SASLResponse data returns the server-final-message (AuthenticationSASLFinal). Both throw
 * ScramError: kind "protocol" for a malformed or out-of-order message (answer 08P01), kind
 * "auth" for a wrong password, a failed channel binding check or a downgrade attempt. After
 * an error the session is spent.
 */
export class ScramServerSession {
  private state: State = { _tag: "AwaitingClientFirst" }
  private readonly doomed: boolean

  constructor(private readonly options: ScramServerOptions) {
    this.doomed = isMockScramVerifier(options.verifier)
  }

  /** True once handleClientFinal has accepted the proof. */
  get authenticated(): boolean {
    return this.state._tag === "Done"
  }

  handleClientFirst(message: Uint8Array): string {
    if (this.state._tag !== "AwaitingClientFirst") throw this.fail(protocolError("client-first-message out of order"))
    try {
      return this.clientFirst(wireTextOf(message))
    } catch (e) {
      throw this.fail(e)
    }
  }

  handleClientFinal(message: Uint8Array): string {
    const state = this.state
    if (state._tag !== "AwaitingClientFinal") throw this.fail(protocolError("client-final-message out of order"))
    try {
      return this.clientFinal(state, wireTextOf(message))
    } catch (e) {
      throw this.fail(e)
    }
  }

  private fail(e: unknown): unknown {
    this.state = { _tag: "Failed" }
    return e
  }

  private clientFirst(text: string): string {
    const what = "client-first-message"
    checkNoNul(text, what)
    const { mechanism, channelBindingData } = this.options
    const plus = mechanism === SCRAM_SHA_256_PLUS
    if (plus && channelBindingData === undefined) {
      throw protocolError("SCRAM-SHA-256-PLUS was selected, but channel binding needs a TLS connection")
    }
    if (mechanism !== SCRAM_SHA_256_PLUS && mechanism !== "SCRAM-SHA-256") {
      throw protocolError(`unsupported SASL mechanism "${sanitizeForReason(String(mechanism))}"`)
    }

    // gs2-header = gs2-cbind-flag "," [authzid] ","
    const firstComma = text.indexOf(",")
    const secondComma = firstComma < 0 ? -1 : text.indexOf(",", firstComma + 1)
    if (secondComma < 0) throw protocolError(`${what}: incomplete GS2 header`)
    const flag = text.slice(0, firstComma)
    const authzid = text.slice(firstComma + 1, secondComma)
    if (flag === "n") {
      if (plus) throw protocolError("the client selected SCRAM-SHA-256-PLUS, but the message does not include channel binding data")
    } else if (flag === "y") {
      if (plus) throw protocolError("the client selected SCRAM-SHA-256-PLUS, but the message does not include channel binding data")
      // The client could bind but believes we cannot: someone removed -PLUS from our offer.
      if (channelBindingData !== undefined) {
        throw authError("channel binding negotiation error: the client supports channel binding but thinks the server does not, and this server does")
      }
    } else if (flag.startsWith("p=")) {
      if (!plus) throw protocolError("the client selected SCRAM-SHA-256 without channel binding, but the message includes channel binding data")
      if (flag.slice(2) !== TLS_SERVER_END_POINT) throw protocolError(`unsupported channel binding type "${sanitizeForReason(flag.slice(2))}"`)
    } else {
      throw protocolError(`${what}: unexpected channel binding flag`)
    }
    if (authzid !== "") throw protocolError("authorization identity (authzid) is not supported")

    const bareText = text.slice(secondComma + 1)
    const attributes = parseAttributes(bareText, what)
    if (attributes[0]?.name === "m") throw protocolError("the client requires an unsupported SCRAM extension")
    expectAttribute(attributes, 0, "n", what) // ignored: the startup packet names the user
    const clientNonce = expectAttribute(attributes, 1, "r", what).value
    if (!isScramPrintable(clientNonce)) throw protocolError(`${what}: the nonce is empty or not printable`)
    // Optional extensions after the nonce are allowed and ignored.

    const serverNonce = this.options.serverNonce ?? encodeBase64(crypto.randomBytes(SCRAM_RAW_NONCE_LENGTH))
    if (!isScramPrintable(serverNonce)) throw protocolError("the server nonce is not printable")
    const nonce = clientNonce + serverNonce
    const { salt, iterations } = this.options.verifier
    const serverFirst = `r=${nonce},s=${encodeBase64(salt)},i=${iterations}`
    this.state = {
      _tag: "AwaitingClientFinal",
      gs2Header: bytesOfWireText(text.slice(0, secondComma + 1)),
      nonce,
      clientFirstBare: bytesOfWireText(bareText),
      serverFirst: bytesOfWireText(serverFirst)
    }
    return serverFirst
  }

  private clientFinal(state: Extract<State, { _tag: "AwaitingClientFinal" }>, text: string): string {
    const what = "client-final-message"
    checkNoNul(text, what)
    const attributes = parseAttributes(text, what)

    // c = base64(gs2-header [+ cbind-data]): repeats the header and, with -PLUS, carries the binding.
    const binding = decodeBase64(expectAttribute(attributes, 0, "c", what).value)
    if (binding === undefined) throw protocolError(`${what}: channel binding attribute is not base64`)
    const { channelBindingData, mechanism } = this.options
    const expectedBinding = mechanism === SCRAM_SHA_256_PLUS && channelBindingData !== undefined
      ? concatBytes(state.gs2Header, channelBindingData)
      : state.gs2Header
    if (!constantTimeEqual(binding, expectedBinding)) {
      if (mechanism === SCRAM_SHA_256_PLUS) throw authError("channel binding check failed")
      throw protocolError(`${what}: unexpected channel binding attribute`)
    }

    const nonce = expectAttribute(attributes, 1, "r", what).value
    if (!constantTimeEqual(bytesOfWireText(nonce), bytesOfWireText(state.nonce))) throw protocolError(`${what}: nonce does not match`)

    const proofAttribute = attributes[attributes.length - 1]!
    if (attributes.length < 3 || proofAttribute.name !== "p") throw protocolError(`${what}: the proof must be the last attribute`)
    for (const a of attributes.slice(2, -1)) {
      if (a.name === "p") throw protocolError(`${what}: more than one proof`)
    }
    const proof = decodeBase64(proofAttribute.value)
    if (proof === undefined || proof.length !== SCRAM_KEY_LENGTH) throw protocolError(`${what}: malformed proof`)

    const authMessage = authMessageOf(state.clientFirstBare, state.serverFirst, text.slice(0, proofAttribute.offset - 1))
    const { storedKey, serverKey } = this.options.verifier
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); it must hash to StoredKey.
    const clientKey = xor(proof, hmacSha256(storedKey, authMessage))
    const proofMatches = constantTimeEqual(sha256(clientKey), storedKey)
    // The proof is computed even for a mock verifier, so an unknown user costs the same time.
    if (!proofMatches || this.doomed) throw authError("invalid proof: password authentication failed")

    this.state = { _tag: "Done" }
    return `v=${encodeBase64(hmacSha256(serverKey, authMessage))}`
  }
}
