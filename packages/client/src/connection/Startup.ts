/**
 * The startup phase as a request at the head of the queue: StartupMessage,
 * protocol version negotiation, the authentication exchange (cleartext, MD5,
 * SCRAM-SHA-256, SCRAM-SHA-256-PLUS, OAUTHBEARER), BackendKeyData, and the first
 * ReadyForQuery.
 */
import {
  type BackendMessage,
  type ProtocolVersion,
  type Writer,
  PROTOCOL_3_0,
  PROTOCOL_3_2,
  ScramClientSession,
  ScramError,
  decodeBackendMessage,
  encodePasswordMessage,
  encodeSASLInitialResponse,
  encodeSASLResponse,
  encodeStartupMessage,
  md5ClientResponse,
  OAUTHBEARER,
  OAuthBearerError
} from "@pgwire-ts/protocol"
import { Effect, Exit, Fiber, Redacted } from "effect"
import { fetchToken, OAuthBearerExchange, prefersOAuthBearer } from "../auth/OAuthBearer.js"
import type { AuthMethodName, ClientConfig } from "../config/ClientConfig.js"
import { PgConnectionError, type PgQueryError } from "../errors.js"
import { chooseSaslMechanism, refuseMethod } from "./authPolicy.js"
import type { ConnectionCore, PendingRequest } from "./ConnectionCore.js"

export interface StartupOutcome {
  readonly processId: number
  /** The cancel key exactly as received (4 bytes in 3.0, up to 256 in 3.2). */
  readonly secretKey: Uint8Array
  readonly protocolVersion: ProtocolVersion
}

const versionOf = (name: "3.0" | "3.2"): ProtocolVersion => (name === "3.2" ? PROTOCOL_3_2 : PROTOCOL_3_0)

const AUTH_FAILURE_CODES = new Set(["28P01", "28000"])

export class StartupRequest implements PendingRequest {
  readonly handlesFatal = true
  private scram: ScramClientSession | undefined = undefined
  private oauth: OAuthBearerExchange | undefined = undefined
  private tokenFiber: Fiber.RuntimeFiber<string, unknown> | undefined = undefined
  private method: AuthMethodName | undefined = undefined
  private processId = 0
  private secretKey: Uint8Array | undefined = undefined
  private version: ProtocolVersion
  private finished = false
  private authenticated = false
  private parameters: Record<string, string> = {}

  constructor(
    private readonly conn: ConnectionCore,
    private readonly config: ClientConfig,
    private readonly peerCertificate: Uint8Array | undefined,
    private readonly done: (result: StartupOutcome | PgConnectionError) => void
  ) {
    this.version = versionOf(config.maxProtocolVersion)
  }

  start(): void {
    const c = this.config
    const parameters: Record<string, string> = {
      user: c.user,
      database: c.database,
      client_encoding: "UTF8",
      // The codecs read dates and times in ISO style.
      DateStyle: "ISO, MDY"
    }
    if (c.applicationName !== undefined) parameters.application_name = c.applicationName
    if (c.options !== undefined) parameters.options = c.options
    Object.assign(parameters, c.parameters)
    this.parameters = parameters
    this.conn.submit(this)
  }

  write(w: Writer): void {
    encodeStartupMessage(w, { _tag: "StartupMessage", protocolVersion: this.version, parameters: this.parameters })
  }

  fail(error: PgQueryError): void {
    this.finish(error instanceof PgConnectionError ? error : new PgConnectionError({ reason: "Startup", message: error.message, cause: error }))
  }

  private finish(result: StartupOutcome | PgConnectionError): void {
    if (this.finished) return
    this.finished = true
    if (this.tokenFiber !== undefined) Effect.runFork(Fiber.interrupt(this.tokenFiber))
    this.done(result)
  }

  // Fails startup and the connection; returns true so the request leaves the queue.
  private abort(error: PgConnectionError): boolean {
    this.finish(error)
    this.conn.fail(error)
    return true
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "NegotiateProtocolVersion":
        return this.negotiate(m.newestVersion, m.unrecognizedOptions)
      case "BackendKeyData":
        this.processId = m.processId
        this.secretKey = m.secretKey
        if (this.version.minor === 0 && m.secretKey.length !== 4) {
          return this.abort(new PgConnectionError({ reason: "Protocol", message: `a ${m.secretKey.length}-byte cancel key in protocol 3.0` }))
        }
        return false
      case "ReadyForQuery":
        if (!this.authenticated) {
          return this.abort(new PgConnectionError({ reason: "Protocol", message: "ReadyForQuery before authentication" }))
        }
        this.finish({ processId: this.processId, secretKey: this.secretKey ?? new Uint8Array(0), protocolVersion: this.version })
        return true
      case "ErrorResponse": {
        const f = m.fields
        // After an OAUTHBEARER challenge the server's issuer and scope say how to get a token.
        const challenge = this.oauth?.challenge
        return this.abort(new PgConnectionError({
          reason: AUTH_FAILURE_CODES.has(f.code) ? "Auth" : "Startup",
          message: challenge === undefined ? f.message : `${f.message}: ${challenge.message}`,
          code: f.code,
          fields: f,
          ...(challenge !== undefined ? { cause: challenge } : {})
        }))
      }
      default:
        return this.authenticate(m)
    }
  }

  // The protocol text calls the field the newest minor version; PostgreSQL sends the whole
  // version code (major << 16 | minor), as libpq reads it. Both forms are accepted.
  private negotiate(newest: number, unrecognized: ReadonlyArray<string>): boolean {
    const major = newest > 0xffff ? newest >>> 16 : 3
    const minor = newest & 0xffff
    const requested = this.version.minor
    const min = versionOf(this.config.minProtocolVersion).minor
    if (major !== 3 || minor > requested || minor < min || (minor !== 0 && minor !== 2)) {
      return this.abort(new PgConnectionError({
        reason: "Protocol",
        message: `the server offers protocol ${major}.${minor}; we asked for 3.${requested} and accept 3.${min} at least`
      }))
    }
    if (unrecognized.length > 0) {
      return this.abort(new PgConnectionError({ reason: "Protocol", message: `the server rejected protocol options we never sent: ${unrecognized.join(", ")}` }))
    }
    this.version = minor === 2 ? PROTOCOL_3_2 : PROTOCOL_3_0
    return false
  }

  private password(): string | PgConnectionError {
    const p = this.config.password
    if (p === undefined) return new PgConnectionError({ reason: "Auth", message: "the server asked for a password, but none was given" })
    return Redacted.value(p)
  }

  private authenticate(m: BackendMessage): boolean {
    const conn = this.conn
    switch (m._tag) {
      case "AuthenticationOk": {
        if (this.method === undefined) {
          const refused = refuseMethod(this.config, "none")
          if (refused !== undefined) return this.abort(refused)
          this.method = "none"
        }
        if (this.scram !== undefined && !this.scram.authenticated) {
          // A server that skips the SASL outcome never proved it knows the password.
          return this.abort(new PgConnectionError({ reason: "Auth", message: "the server ended SCRAM authentication without proving its identity" }))
        }
        this.authenticated = true
        return false
      }
      case "AuthenticationCleartextPassword":
      case "AuthenticationMD5Password": {
        const method = m._tag === "AuthenticationMD5Password" ? "md5" : "password"
        const refused = refuseMethod(this.config, method)
        if (refused !== undefined) return this.abort(refused)
        const password = this.password()
        if (typeof password !== "string") return this.abort(password)
        this.method = method
        const text = m._tag === "AuthenticationMD5Password" ? md5ClientResponse(this.config.user, password, m.salt) : password
        conn.writeMore((w) => encodePasswordMessage(w, { _tag: "PasswordMessage", password: text }))
        return false
      }
      case "AuthenticationSASL": {
        if (prefersOAuthBearer(m.mechanisms, this.config.oauthBearerToken !== undefined)) return this.startOAuthBearer()
        const refused = refuseMethod(this.config, "scram-sha-256")
        if (refused !== undefined) return this.abort(refused)
        const choice = chooseSaslMechanism(this.config, m.mechanisms, this.peerCertificate)
        if (choice instanceof PgConnectionError) return this.abort(choice)
        const password = this.password()
        if (typeof password !== "string") return this.abort(password)
        this.method = "scram-sha-256"
        return this.scramStep(() => {
          const session = new ScramClientSession({
            password,
            mechanism: choice.mechanism,
            ...(choice.channelBindingData !== undefined ? { channelBindingData: choice.channelBindingData } : {})
          })
          this.scram = session
          const first = Buffer.from(session.clientFirstMessage(), "utf8")
          conn.writeMore((w) => encodeSASLInitialResponse(w, { _tag: "SASLInitialResponse", mechanism: choice.mechanism, data: first }))
        })
      }
      case "AuthenticationSASLContinue":
        if (this.oauth !== undefined) {
          const oauth = this.oauth
          return this.oauthStep(() => {
            const ack = oauth.onChallenge(m.data)
            conn.writeMore((w) => encodeSASLResponse(w, { _tag: "SASLResponse", data: ack }))
          })
        }
        return this.scramStep(() => {
          if (this.scram === undefined) throw new ScramError({ kind: "protocol", reason: "SASLContinue before SASL" })
          const final = Buffer.from(this.scram.handleServerFirst(m.data), "utf8")
          conn.writeMore((w) => encodeSASLResponse(w, { _tag: "SASLResponse", data: final }))
        })
      case "AuthenticationSASLFinal":
        if (this.oauth !== undefined) {
          return this.abort(new PgConnectionError({ reason: "Protocol", message: "AuthenticationSASLFinal during OAUTHBEARER, which has no outcome data" }))
        }
        return this.scramStep(() => {
          if (this.scram === undefined) throw new ScramError({ kind: "protocol", reason: "SASLFinal before SASL" })
          this.scram.verifyServerFinal(m.data)
        })
      case "AuthenticationGSS":
      case "AuthenticationSSPI":
      case "AuthenticationKerberosV5":
      case "AuthenticationGSSContinue": {
        const method = m._tag === "AuthenticationSSPI" ? "sspi" : "gss"
        return this.abort(refuseMethod(this.config, method) ?? new PgConnectionError({
          reason: "AuthMethodNotAllowed",
          message: `the server asked for ${m._tag}, which this client does not support`
        }))
      }
      default:
        return this.abort(new PgConnectionError({ reason: "Protocol", message: `unexpected ${m._tag} during startup` }))
    }
  }

  // OAUTHBEARER: a fixed token (or none: discovery) is sent at once; a token Effect is run first.
  private startOAuthBearer(): boolean {
    const refused = refuseMethod(this.config, "oauth")
    if (refused !== undefined) return this.abort(refused)
    this.method = "oauth"
    const oauth = new OAuthBearerExchange()
    this.oauth = oauth
    const send = (token: string | undefined): boolean =>
      this.oauthStep(() => {
        const data = oauth.initialResponse(token)
        this.conn.writeMore((w) => encodeSASLInitialResponse(w, { _tag: "SASLInitialResponse", mechanism: OAUTHBEARER, data }))
      })
    const source = this.config.oauthBearerToken
    if (source === undefined) return send(undefined)
    if (typeof source === "string") return send(source)
    if (Redacted.isRedacted(source)) return send(Redacted.value(source))
    const fiber = Effect.runFork(fetchToken(source))
    this.tokenFiber = fiber
    fiber.addObserver((exit) => {
      this.tokenFiber = undefined
      if (this.finished || this.authenticated) return
      if (Exit.isSuccess(exit)) {
        if (exit.value === "") return void this.abort(new PgConnectionError({ reason: "Auth", message: "the OAuth token provider gave an empty token" }))
        return void send(exit.value)
      }
      this.abort(new PgConnectionError({ reason: "Auth", message: "the OAuth token provider failed", cause: exit.cause }))
    })
    return false
  }

  private oauthStep(step: () => void): boolean {
    try {
      step()
      return false
    } catch (e) {
      if (e instanceof OAuthBearerError) {
        return this.abort(new PgConnectionError({ reason: e.kind === "protocol" ? "Protocol" : "Auth", message: e.message, cause: e }))
      }
      throw e
    }
  }

  private scramStep(step: () => void): boolean {
    try {
      step()
      return false
    } catch (e) {
      if (e instanceof ScramError) {
        return this.abort(new PgConnectionError({ reason: e.kind === "auth" ? "Auth" : "Protocol", message: e.message, cause: e }))
      }
      throw e
    }
  }
}
