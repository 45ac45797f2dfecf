import * as Socket from "@effect/platform/Socket"
import {
  type BackendMessage,
  decodeBackendMessage,
  encodeFrontendMessage,
  type ErrorFields,
  type FieldDescription,
  type FrontendMessage,
  md5ClientResponse,
  ProtocolDecodeError,
  SCRAM_SHA_256,
  ScramClientSession,
  Writer
} from "@pgwire-ts/protocol"
import { Data, Effect, Exit, Queue, type Scope } from "effect"

/** A test client failed: the server closed, sent an error during startup, or sent something unexpected. */
export class TestClientError extends Data.TaggedError("TestClientError")<{
  readonly reason: string
  /** The ErrorResponse fields, when the server answered with one. */
  readonly error?: ErrorFields | undefined
}> {
  override get message(): string {
    return this.error ? `${this.reason}: ${this.error.code} ${this.error.message}` : this.reason
  }
}

export interface StartupOptions {
  readonly user?: string | undefined
  readonly database?: string | undefined
  readonly password?: string | undefined
  /** More StartupMessage parameters (application_name, `_pq_.` options...). */
  readonly parameters?: Readonly<Record<string, string>> | undefined
  /** Protocol version to ask for (default 3.0). */
  readonly protocol?: { readonly major: number; readonly minor: number } | undefined
}

export interface StartupOutcome {
  readonly processId: number
  readonly secretKey: Uint8Array
  readonly parameters: ReadonlyMap<string, string>
  /** The NegotiateProtocolVersion the server sent, if any. */
  readonly negotiated: { readonly newestVersion: number; readonly unrecognizedOptions: ReadonlyArray<string> } | undefined
  /** Authentication requests seen, in order ("AuthenticationSASL"...). */
  readonly authentication: ReadonlyArray<string>
  readonly transactionStatus: "I" | "T" | "E"
}

/** One statement's outcome in a simple query. */
export type StatementOutcome =
  | {
    readonly _tag: "Rows"
    readonly fields: ReadonlyArray<FieldDescription>
    /** Text-format values, null for NULL. */
    readonly rows: ReadonlyArray<ReadonlyArray<string | null>>
    readonly tag: string
  }
  | { readonly _tag: "Command"; readonly tag: string }
  | { readonly _tag: "Empty" }

export interface QueryOutcome {
  readonly results: ReadonlyArray<StatementOutcome>
  /** The ErrorResponse that ended the query string, if any. */
  readonly error: ErrorFields | undefined
  readonly notices: ReadonlyArray<ErrorFields>
  readonly parameterChanges: ReadonlyArray<readonly [string, string]>
  readonly transactionStatus: "I" | "T" | "E"
}

/** A minimal frontend over any platform Socket, for tests: raw bytes, decoded messages, startup and simple query. */
export interface TestClient {
  readonly send: (bytes: Uint8Array) => Effect.Effect<void, TestClientError>
  readonly sendMessage: (...messages: ReadonlyArray<FrontendMessage>) => Effect.Effect<void, TestClientError>
  /** The next backend message; fails once the server has closed. */
  readonly receive: Effect.Effect<BackendMessage, TestClientError>
  /** One raw byte (the answer to SSLRequest / GSSENCRequest). */
  readonly receiveByte: Effect.Effect<number, TestClientError>
  /** Every message until the server closes the connection. */
  readonly receiveUntilClosed: Effect.Effect<ReadonlyArray<BackendMessage>, TestClientError>
  readonly startup: (options?: StartupOptions) => Effect.Effect<StartupOutcome, TestClientError>
  readonly query: (sql: string) => Effect.Effect<QueryOutcome, TestClientError>
  /** Sends Terminate and closes. */
  readonly terminate: Effect.Effect<void>
  /** Closes without Terminate (a client that vanishes). */
  readonly close: Effect.Effect<void>
}

const encoder = new TextEncoder()
const utf8 = new TextDecoder()

export const makeTestClient = (socket: Socket.Socket): Effect.Effect<TestClient, never, Scope.Scope> =>
  Effect.gen(function* () {
    // Bounded, and the socket handler waits on it: a client that stops reading
    // stops taking chunks from the socket, like a real slow reader.
    const chunks = yield* Queue.bounded<Uint8Array | null>(4)
    yield* socket.run((chunk) => Queue.offer(chunks, Uint8Array.prototype.slice.call(chunk))).pipe(
      Effect.exit,
      Effect.zipRight(Queue.offer(chunks, null)),
      Effect.forkScoped
    )
    const write = yield* socket.writer
    let pending: Uint8Array = new Uint8Array(0)
    let ended = false

    const closedError = () => new TestClientError({ reason: "the server closed the connection" })

    // Makes at least `n` bytes available in `pending`.
    const fill = (n: number): Effect.Effect<void, TestClientError> =>
      Effect.suspend(() => {
        if (pending.byteLength >= n) return Effect.void
        if (ended) return Effect.fail(closedError())
        return Effect.flatMap(Queue.take(chunks), (c) => {
          if (c === null) {
            ended = true
            return Effect.fail(closedError())
          }
          if (pending.byteLength === 0) {
            pending = c
          } else {
            const joined = new Uint8Array(pending.byteLength + c.byteLength)
            joined.set(pending, 0)
            joined.set(c, pending.byteLength)
            pending = joined
          }
          return fill(n)
        })
      })

    const receiveByte = Effect.zipRight(
      fill(1),
      Effect.sync(() => {
        const b = pending[0]!
        pending = pending.subarray(1)
        return b
      })
    )

    // One whole message from `pending`, decoded synchronously, or undefined if more bytes are needed.
    const takeMessage = (): BackendMessage | undefined => {
      if (pending.byteLength < 5) return undefined
      const len = ((pending[1]! << 24) | (pending[2]! << 16) | (pending[3]! << 8) | pending[4]!) >>> 0
      if (len < 4) throw new TestClientError({ reason: `bad message length ${len}` })
      if (pending.byteLength < 1 + len) return undefined
      const m = decodeBackendMessage(pending[0]!, pending, 5, 1 + len)
      pending = pending.subarray(1 + len)
      return m
    }

    const receive: Effect.Effect<BackendMessage, TestClientError> = Effect.suspend(() => {
      let m: BackendMessage | undefined
      try {
        m = takeMessage()
      } catch (e) {
        return Effect.fail(
          e instanceof TestClientError ? e : new TestClientError({ reason: e instanceof ProtocolDecodeError ? e.message : String(e) })
        )
      }
      return m !== undefined ? Effect.succeed(m) : Effect.zipRight(fill(pending.byteLength + 1), receive)
    })

    const receiveUntilClosed: Effect.Effect<ReadonlyArray<BackendMessage>, TestClientError> = Effect.gen(function* () {
      const out: Array<BackendMessage> = []
      for (;;) {
        const exit = yield* Effect.exit(receive)
        if (Exit.isSuccess(exit)) out.push(exit.value)
        else if (ended && pending.byteLength === 0) return out
        else return yield* Effect.failCause(exit.cause)
      }
    })

    const send = (bytes: Uint8Array) =>
      write(bytes).pipe(Effect.mapError((cause) => new TestClientError({ reason: `write failed: ${String(cause)}` })))

    const sendMessage = (...messages: ReadonlyArray<FrontendMessage>) =>
      Effect.suspend(() => {
        const w = new Writer(256)
        for (const m of messages) encodeFrontendMessage(w, m)
        return send(w.take())
      })

    const startup = (options: StartupOptions = {}): Effect.Effect<StartupOutcome, TestClientError> =>
      Effect.gen(function* () {
        const user = options.user ?? "test"
        const parameters: Record<string, string> = { user, ...options.parameters }
        if (options.database !== undefined) parameters["database"] = options.database
        yield* sendMessage({
          _tag: "StartupMessage",
          protocolVersion: options.protocol ?? { major: 3, minor: 0 },
          parameters
        })
        const params = new Map<string, string>()
        const authentication: Array<string> = []
        let negotiated: StartupOutcome["negotiated"]
        let processId = 0
        let secretKey: Uint8Array = new Uint8Array(0)
        let scram: ScramClientSession | undefined
        const password = () => {
          if (options.password === undefined) throw new TestClientError({ reason: "the server asked for a password" })
          return options.password
        }
        for (;;) {
          const m = yield* receive
          switch (m._tag) {
            case "NegotiateProtocolVersion":
              negotiated = { newestVersion: m.newestVersion, unrecognizedOptions: m.unrecognizedOptions }
              break
            case "AuthenticationOk":
              authentication.push(m._tag)
              break
            case "AuthenticationCleartextPassword":
              authentication.push(m._tag)
              yield* sendMessage({ _tag: "PasswordMessage", password: yield* Effect.try({ try: password, catch: (e) => e as TestClientError }) })
              break
            case "AuthenticationMD5Password": {
              authentication.push(m._tag)
              const pw = yield* Effect.try({ try: password, catch: (e) => e as TestClientError })
              yield* sendMessage({ _tag: "PasswordMessage", password: md5ClientResponse(user, pw, m.salt) })
              break
            }
            case "AuthenticationSASL": {
              authentication.push(m._tag)
              const pw = yield* Effect.try({ try: password, catch: (e) => e as TestClientError })
              if (!m.mechanisms.includes(SCRAM_SHA_256)) {
                return yield* new TestClientError({ reason: `no usable SASL mechanism in ${m.mechanisms.join(", ")}` })
              }
              scram = new ScramClientSession({ password: pw, mechanism: SCRAM_SHA_256 })
              yield* sendMessage({
                _tag: "SASLInitialResponse",
                mechanism: SCRAM_SHA_256,
                data: encoder.encode(scram.clientFirstMessage())
              })
              break
            }
            case "AuthenticationSASLContinue": {
              authentication.push(m._tag)
              const session = scram
              if (session === undefined) return yield* new TestClientError({ reason: "SASLContinue before SASL" })
              const final = yield* Effect.try({
                try: () => session.handleServerFirst(m.data),
                catch: (e) => new TestClientError({ reason: String(e) })
              })
              yield* sendMessage({ _tag: "SASLResponse", data: encoder.encode(final) })
              break
            }
            case "AuthenticationSASLFinal": {
              authentication.push(m._tag)
              const session = scram
              if (session === undefined) return yield* new TestClientError({ reason: "SASLFinal before SASL" })
              yield* Effect.try({
                try: () => session.verifyServerFinal(m.data),
                catch: (e) => new TestClientError({ reason: String(e) })
              })
              break
            }
            case "ParameterStatus":
              params.set(m.name, m.value)
              break
            case "BackendKeyData":
              processId = m.processId
              secretKey = m.secretKey
              break
            case "ErrorResponse":
              return yield* new TestClientError({ reason: "startup failed", error: m.fields })
            case "NoticeResponse":
              break
            case "ReadyForQuery":
              return { processId, secretKey, parameters: params, negotiated, authentication, transactionStatus: m.status }
            default:
              return yield* new TestClientError({ reason: `unexpected ${m._tag} during startup` })
          }
        }
      })

    const query = (sql: string): Effect.Effect<QueryOutcome, TestClientError> =>
      Effect.gen(function* () {
        yield* sendMessage({ _tag: "Query", sql })
        const results: Array<StatementOutcome> = []
        const notices: Array<ErrorFields> = []
        const parameterChanges: Array<readonly [string, string]> = []
        let error: ErrorFields | undefined
        let fields: ReadonlyArray<FieldDescription> | undefined
        let rows: Array<ReadonlyArray<string | null>> = []
        for (;;) {
          const m = yield* receive
          switch (m._tag) {
            case "RowDescription":
              fields = m.fields
              rows = []
              break
            case "DataRow":
              rows.push(m.values.map((v) => (v === null ? null : utf8.decode(v))))
              break
            case "CommandComplete":
              results.push(fields ? { _tag: "Rows", fields, rows, tag: m.tag } : { _tag: "Command", tag: m.tag })
              fields = undefined
              break
            case "EmptyQueryResponse":
              results.push({ _tag: "Empty" })
              break
            case "ErrorResponse":
              error = m.fields
              break
            case "NoticeResponse":
              notices.push(m.fields)
              break
            case "ParameterStatus":
              parameterChanges.push([m.name, m.value])
              break
            case "ReadyForQuery":
              return { results, error, notices, parameterChanges, transactionStatus: m.status }
            default:
              return yield* new TestClientError({ reason: `unexpected ${m._tag} during a simple query` })
          }
        }
      })

    const close = write(new Socket.CloseEvent(1000)).pipe(Effect.ignore)

    return {
      send,
      sendMessage,
      receive,
      receiveByte,
      receiveUntilClosed,
      startup,
      query,
      terminate: Effect.zipRight(sendMessage({ _tag: "Terminate" }).pipe(Effect.ignore), close),
      close
    } satisfies TestClient
  })
