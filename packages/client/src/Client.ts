/**
 * The client: one PostgreSQL connection as a scoped service.
 *
 * `Client.connect(config)` opens it in the current Scope (closing the Scope
 * sends Terminate and closes the socket); `Client.layer(config)` provides it
 * as the `Client` service.
 */
import { NodeSocket } from "@effect/platform-node"
import {
  type CopyColumns,
  type CopyEncodeError,
  type CopyFormatError,
  type CopyOptions,
  type CopyOptionsError,
  type CopyRowOf,
  type ErrorFields,
  type NotificationResponse,
  type TypeEncodeError,
  decodeCopyStream,
  encodeCopyValuesStream,
  type ProtocolVersion,
  type TransactionStatus,
  Writer,
  encodeTerminate
} from "@pgwire-ts/protocol"
import { Config, Context, Deferred, Effect, Exit, ExecutionStrategy, Layer, PubSub, Scope, Stream } from "effect"
import { type ClientConfig, type ClientOptions, resolveClientConfig } from "./config/ClientConfig.js"
import { clientOptionsFromEnv } from "./config/fromEnv.js"
import { parseConnectionString } from "./config/parseConnectionString.js"
import { sendCancelRequest } from "./connection/cancel.js"
import { ConnectionCore } from "./connection/ConnectionCore.js"
import { StartupRequest, type StartupOutcome } from "./connection/Startup.js"
import { StatementCache } from "./connection/StatementCache.js"
import { PgConnectionError, PgError, type PgQueryError, PgValueError } from "./errors.js"
import { CloseStatementRequest } from "./requests/CloseStatement.js"
import { CopyInRequest } from "./requests/CopyIn.js"
import { CopyOutRequest } from "./requests/CopyOut.js"
import { ExtendedQueryRequest } from "./requests/ExtendedQuery.js"
import { PipelineRequest } from "./requests/Pipeline.js"
import { PrepareRequest } from "./requests/Prepare.js"
import { PreparedStatement, type ResultFormat } from "./requests/PreparedStatement.js"
import { type SimpleQueryEvent, SimpleQueryRequest } from "./requests/SimpleQuery.js"
import type { QueryResult } from "./results/QueryResult.js"
import { ResultBuffer } from "./results/ResultBuffer.js"
import type { Row } from "./results/RowDecoder.js"
import { openTransport } from "./transport/openTransport.js"
import { registerCore } from "./replication/clientInternals.js"

/** A NOTIFY received on a LISTENing connection. */
export type Notification = NotificationResponse
/** A NoticeResponse's fields (severity, code, message...). */
export type Notice = ErrorFields

export interface ExecuteOptions {
  /**
   * "binary" (default): results in binary for every column whose type has a
   * codec. "text": every column in text. Both decode to the same values.
   */
  readonly resultFormat?: ResultFormat | undefined
  /**
   * true (default, unless statementCacheSize is 0): prepare the SQL once per
   * connection and reuse it. false: a one-shot unnamed statement with text
   * parameters whose types the server infers, and text results.
   */
  readonly prepare?: boolean | undefined
}

export interface StreamOptions extends ExecuteOptions {
  /**
   * Rows per Execute: the portal is fetched in batches of this size, the next
   * one only when the consumer has taken the last (PortalSuspended in between).
   * 0 (default): one Execute for all rows; a slow consumer still holds memory
   * bounded, as the socket stops being read.
   */
  readonly batchSize?: number | undefined
}

/** One query of a `pipeline`. */
export interface PipelineQuery {
  readonly statement: string | PreparedStatement
  readonly params?: ReadonlyArray<unknown> | undefined
}

/** The Client service. */
export interface PgClient {
  readonly config: ClientConfig
  /** The backend's process ID (BackendKeyData). */
  readonly processId: number
  /** The cancel key as received. */
  readonly secretKey: Uint8Array
  /** The protocol version in use after negotiation. */
  readonly protocolVersion: ProtocolVersion
  /** True when the connection is encrypted. */
  readonly tls: boolean
  /** Server parameters (ParameterStatus), kept current. */
  readonly serverParameters: ReadonlyMap<string, string>
  /** The transaction status of the last ReadyForQuery. */
  readonly transactionStatus: Effect.Effect<TransactionStatus>

  /** Simple query: every statement of `sql`, rows decoded from text. */
  readonly query: (sql: string) => Effect.Effect<ReadonlyArray<QueryResult>, PgQueryError>
  /** Simple query as a Stream of events per statement (fields, rows, completion). */
  readonly queryStream: (sql: string) => Stream.Stream<SimpleQueryEvent, PgQueryError>
  /** Parse + Describe: a named statement with the server's parameter and result types. */
  readonly prepare: (sql: string, paramTypes?: ReadonlyArray<number>) => Effect.Effect<PreparedStatement, PgQueryError>
  /** Extended query with parameters; concurrent calls are pipelined in order. */
  readonly execute: (
    statement: string | PreparedStatement,
    params?: ReadonlyArray<unknown>,
    options?: ExecuteOptions
  ) => Effect.Effect<QueryResult, PgQueryError>
  /**
   * Many executions written at once before a single Sync: the server runs them
   * in one implicit transaction, so the first error fails the whole pipeline
   * (the PgError's `query` says which) and rolls back what ran before it.
   */
  readonly pipeline: (
    queries: ReadonlyArray<PipelineQuery>,
    options?: ExecuteOptions
  ) => Effect.Effect<ReadonlyArray<QueryResult>, PgQueryError>
  /** Extended query whose rows arrive as a Stream (portal batches with `batchSize`). */
  readonly stream: (
    statement: string | PreparedStatement,
    params?: ReadonlyArray<unknown>,
    options?: StreamOptions
  ) => Stream.Stream<Row, PgQueryError>
  /** Close (statement). */
  readonly closeStatement: (statement: PreparedStatement) => Effect.Effect<void, PgQueryError>
  /** COPY ... FROM STDIN fed by a Stream of bytes (or strings, sent as UTF-8); succeeds with the row count. */
  readonly copyFrom: <E, R>(
    sql: string,
    data: Stream.Stream<Uint8Array | string, E, R>
  ) => Effect.Effect<number | undefined, PgQueryError | E, R>
  /** COPY ... TO STDOUT as a Stream of the CopyData chunks. */
  readonly copyTo: (sql: string) => Stream.Stream<Uint8Array, PgQueryError>
  /**
   * COPY ... FROM STDIN fed by rows of JS values, encoded in the format of
   * `options` (which must match the statement's; default text) by the type
   * codecs of `columns.oids`, or by types inferred from the values.
   */
  readonly copyFromRows: <E, R>(
    sql: string,
    rows: Stream.Stream<ReadonlyArray<unknown>, E, R>,
    options?: CopyOptions,
    columns?: CopyColumns
  ) => Effect.Effect<number | undefined, PgQueryError | E | CopyEncodeError | CopyOptionsError | TypeEncodeError, R>
  /** COPY ... TO STDOUT parsed into rows of raw fields (strings for text/CSV, bytes for binary, null for NULL). */
  readonly copyToRows: <O extends CopyOptions>(
    sql: string,
    options: O,
    columns?: CopyColumns
  ) => Stream.Stream<CopyRowOf<O>, PgQueryError | CopyFormatError | CopyOptionsError>
  /** Asks the server to cancel what this connection runs now (CancelRequest on a new connection). */
  readonly cancel: Effect.Effect<void, PgConnectionError>
  /** Every notification this connection receives, while the Stream runs (it subscribes when it starts). */
  readonly notifications: Stream.Stream<Notification>
  /** LISTEN on `channel` (subscribed before LISTEN is sent, so nothing is missed); UNLISTEN when the Scope closes. */
  readonly listen: (channel: string) => Effect.Effect<Stream.Stream<Notification>, PgQueryError, Scope.Scope>
  /** Every notice this connection receives, while the Stream runs (it subscribes when it starts). */
  readonly notices: Stream.Stream<Notice>
  /** Subscribes now (nothing is missed from here on); the Stream gives the notices until the Scope closes. */
  readonly subscribeNotices: Effect.Effect<Stream.Stream<Notice>, never, Scope.Scope>
  /** Subscribes now; the Stream gives every notification until the Scope closes. */
  readonly subscribeNotifications: Effect.Effect<Stream.Stream<Notification>, never, Scope.Scope>
  /** Succeeds with the reason once the connection has ended. */
  readonly closed: Effect.Effect<PgConnectionError>
}

const isQueryError = (u: unknown): u is PgQueryError =>
  u instanceof PgError || u instanceof PgValueError || u instanceof PgConnectionError

const settle = <A>(resume: (effect: Effect.Effect<A, PgQueryError>) => void) => (result: A | PgQueryError): void =>
  resume(isQueryError(result) ? Effect.fail(result) : Effect.succeed(result as A))

const quoteIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`

// A cached statement the server dropped (DISCARD ALL) or whose result shape changed.
const isStaleStatementError = (e: PgQueryError): boolean =>
  e instanceof PgError && (e.code === "26000" || (e.code === "0A000" && e.message.includes("cached plan")))

/** Resolves user input (a connection string or options) to a validated ClientConfig. */
export const resolveConfig = (input: string | ClientOptions): Effect.Effect<ClientConfig, PgConnectionError> =>
  Effect.try({
    try: () => resolveClientConfig(typeof input === "string" ? parseConnectionString(input) : input),
    catch: (e) => e instanceof PgConnectionError ? e : new PgConnectionError({ reason: "Config", message: String(e), cause: e })
  })

const make = (config: ClientConfig): Effect.Effect<PgClient, PgConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    const transport = yield* openTransport(config)
    const duplex = transport.duplex

    const notificationHub = yield* PubSub.unbounded<Notification>()
    const noticeHub = yield* PubSub.unbounded<Notice>()
    const serverParameters = new Map<string, string>()
    const core = new ConnectionCore(duplex, {
      onNotification: (n) => void notificationHub.unsafeOffer(n),
      onNotice: (fields) => {
        void noticeHub.unsafeOffer(fields)
        config.onNotice?.(fields)
      },
      onParameterStatus: (name, value) => void serverParameters.set(name, value)
    })
    const closedSignal = yield* Deferred.make<PgConnectionError>()

    const socket = yield* NodeSocket.fromDuplex(Effect.succeed(duplex))
    const write = yield* socket.writer

    // The reader: the socket's data events drive `core.onData`; when it ends, the connection is over.
    const started = yield* Deferred.make<StartupOutcome, PgConnectionError>()
    const startup = new StartupRequest(core, config, transport.peerCertificate, (result) => {
      Deferred.unsafeDone(started, result instanceof PgConnectionError ? Exit.fail(result) : Exit.succeed(result))
    })
    yield* socket.run((chunk) => core.onData(chunk), {
      onOpen: Effect.sync(() => {
        duplex.resume()
        startup.start()
      })
    }).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Effect.sync(() => {
          core.fail(new PgConnectionError({
            reason: "Closed",
            message: "the server closed the connection",
            cause: Exit.isFailure(exit) ? exit.cause : undefined
          }))
          Deferred.unsafeDone(closedSignal, Exit.succeed(core.closed!))
        })
      ),
      Effect.forkScoped
    )
    // The writer: sends what requests accumulate.
    yield* core.writerLoop(write).pipe(
      Effect.catchAll((cause) =>
        Effect.sync(() => core.fail(new PgConnectionError({ reason: "Closed", message: "writing to the server failed", cause })))
      ),
      Effect.forkScoped
    )
    // Closing the Scope: Terminate, then the socket closes.
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        if (core.closed !== undefined) return Effect.void
        const w = new Writer(8)
        encodeTerminate(w)
        return write(w.take()).pipe(
          Effect.timeout("1 second"),
          Effect.ignore,
          Effect.zipRight(Effect.sync(() => {
            core.fail(new PgConnectionError({ reason: "Closed", message: "the connection was closed" }))
            Deferred.unsafeDone(closedSignal, Exit.succeed(core.closed!))
          }))
        )
      })
    )

    const outcome = yield* Deferred.await(started)

    // ---- requests ----------------------------------------------------------------------------

    const prepareNamed = (name: string, sql: string, paramTypes: ReadonlyArray<number>, done: (r: PreparedStatement | PgQueryError) => void) => {
      const request = new PrepareRequest(name, sql, paramTypes, done)
      core.submit(request)
    }
    const closeNamed = (name: string, done: (r: PgQueryError | undefined) => void) => {
      const request = new CloseStatementRequest(name, done)
      core.submit(request)
    }
    const cache = new StatementCache(
      config.statementCacheSize,
      (name, sql, done) => prepareNamed(name, sql, [], done),
      (name) => closeNamed(name, () => {})
    )
    let prepared = 0

    const prepare = (sql: string, paramTypes: ReadonlyArray<number> = []) =>
      Effect.async<PreparedStatement, PgQueryError>((resume) => {
        prepareNamed(`pgwire_ts_p${++prepared}`, sql, paramTypes, settle(resume))
      })

    const closeStatement = (statement: PreparedStatement) =>
      Effect.async<void, PgQueryError>((resume) => {
        closeNamed(statement.name, (error) => resume(error === undefined ? Effect.void : Effect.fail(error)))
      })

    const collect = (sql: string, statement: PreparedStatement | undefined, params: ReadonlyArray<unknown>, format: ResultFormat) =>
      Effect.async<QueryResult, PgQueryError>((resume) => {
        const request = new ExtendedQueryRequest(core, sql, statement, params, format, 0, { _tag: "Collect", done: settle(resume) })
        request.submit()
        return Effect.sync(() => request.abandon())
      })

    const usesCache = (options: ExecuteOptions | undefined): boolean => options?.prepare !== false && config.statementCacheSize > 0

    // The statement to run `sql` with: a cached one, or undefined for one-shot execution.
    const statementFor = (
      statement: string | PreparedStatement,
      options: ExecuteOptions | undefined
    ): Effect.Effect<PreparedStatement | undefined, PgQueryError> =>
      typeof statement !== "string" ? Effect.succeed(statement) : usesCache(options) ? cache.get(statement) : Effect.succeed(undefined)

    // A cached statement the server no longer has is dropped from the cache; outside a
    // transaction block the execution is retried once with a fresh Parse (it never ran).
    // Handled in the completion callback: the hot path gets no extra Effect steps.
    const executeCached = (sql: string, params: ReadonlyArray<unknown>, format: ResultFormat, retried: boolean): Effect.Effect<QueryResult, PgQueryError> => {
      const attempt = (st: PreparedStatement) =>
        Effect.async<QueryResult, PgQueryError>((resume) => {
          const request = new ExtendedQueryRequest(core, sql, st, params, format, 0, {
            _tag: "Collect",
            done: (result) => {
              if (!isQueryError(result)) return resume(Effect.succeed(result))
              if (isStaleStatementError(result)) {
                cache.invalidate(sql, st)
                if (!retried && core.transactionStatus === "I") return resume(executeCached(sql, params, format, true))
              }
              resume(Effect.fail(result))
            }
          })
          request.submit()
          return Effect.sync(() => request.abandon())
        })
      const cached = cache.peek(sql)
      return cached !== undefined ? attempt(cached) : Effect.flatMap(cache.get(sql), attempt)
    }

    const execute = (statement: string | PreparedStatement, params: ReadonlyArray<unknown> = [], options?: ExecuteOptions) => {
      const format = options?.resultFormat ?? "binary"
      if (typeof statement !== "string") return collect(statement.sql, statement, params, format)
      if (!usesCache(options)) return collect(statement, undefined, params, "text")
      return executeCached(statement, params, format, false)
    }

    const stream = (statement: string | PreparedStatement, params: ReadonlyArray<unknown> = [], options?: StreamOptions) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const st = yield* statementFor(statement, options)
        const sql = typeof statement === "string" ? statement : statement.sql
        const batchSize = Math.max(0, Math.floor(options?.batchSize ?? 0))
        let request: ExtendedQueryRequest | undefined
        const buffer = new ResultBuffer<Row, PgQueryError>(core, config.maxBufferedRows, () => request?.fetchMore())
        request = new ExtendedQueryRequest(core, sql, st, params, st === undefined ? "text" : options?.resultFormat ?? "binary", batchSize, {
          _tag: "Stream",
          buffer
        })
        const r = request
        yield* Effect.acquireRelease(Effect.sync(() => r.submit()), () => Effect.sync(() => r.abandon()))
        return Stream.repeatEffectChunkOption(buffer.pull)
      }))

    const pipeline = (queries: ReadonlyArray<PipelineQuery>, options?: ExecuteOptions) =>
      Effect.gen(function*() {
        const cached = usesCache(options)
        // Prepare each distinct SQL once (concurrently: their Parses are pipelined too).
        const distinct = [...new Set(queries.flatMap((q) => (typeof q.statement === "string" && cached ? [q.statement] : [])))]
        const statements = new Map<string, PreparedStatement>()
        yield* Effect.forEach(distinct, (sql) => Effect.map(cache.get(sql), (st) => void statements.set(sql, st)), {
          concurrency: "unbounded",
          discard: true
        })
        const items = queries.map((q) =>
          typeof q.statement !== "string"
            ? { sql: q.statement.sql, statement: q.statement, params: q.params ?? [] }
            : { sql: q.statement, statement: statements.get(q.statement), params: q.params ?? [] }
        )
        const format = options?.resultFormat ?? "binary"
        return yield* Effect.async<ReadonlyArray<QueryResult>, PgQueryError>((resume) => {
          const request = new PipelineRequest(core, items, format, settle(resume))
          core.submit(request)
          return Effect.sync(() => request.abandon())
        })
      })

    const query = (sql: string) =>
      Effect.async<ReadonlyArray<QueryResult>, PgQueryError>((resume) => {
        const request = new SimpleQueryRequest(core, sql, { _tag: "Collect", done: settle(resume) })
        request.submit()
        return Effect.sync(() => request.abandon())
      })

    const queryStream = (sql: string) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const buffer = new ResultBuffer<SimpleQueryEvent, PgQueryError>(core, config.maxBufferedRows)
        const request = new SimpleQueryRequest(core, sql, { _tag: "Stream", buffer })
        yield* Effect.acquireRelease(Effect.sync(() => request.submit()), () => Effect.sync(() => request.abandon()))
        return Stream.repeatEffectChunkOption(buffer.pull)
      }))

    const copyTo = (sql: string) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const buffer = new ResultBuffer<Uint8Array, PgQueryError>(core, config.maxBufferedRows)
        const request = new CopyOutRequest(core, sql, buffer)
        yield* Effect.acquireRelease(Effect.sync(() => request.submit()), () => Effect.sync(() => request.abandon()))
        return Stream.repeatEffectChunkOption(buffer.pull)
      }))

    const copyFrom = <E, R>(sql: string, data: Stream.Stream<Uint8Array | string, E, R>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const request = new CopyInRequest(core, sql)
          request.submit()
          return request
        }),
        (request) =>
          Effect.gen(function*() {
            yield* request.ready.await
            const sent = yield* Stream.runForEach(data, (chunk) =>
              request.send(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)).pipe(Effect.either)
            if (sent._tag === "Left") {
              const e = sent.left
              if (isQueryError(e)) {
                request.abort("the client stopped the COPY")
                yield* request.done.await
                return yield* Effect.fail(e)
              }
              // The data Stream failed: CopyFail makes the server roll the COPY back.
              request.abort(`the data stream failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 1000))
              yield* Effect.ignore(request.done.await)
              return yield* Effect.fail(e)
            }
            request.finish()
            return yield* request.done.await
          }),
        (request, exit) => Effect.sync(() => {
          if (Exit.isInterrupted(exit)) request.abort("the COPY was interrupted")
          else request.finish()
        })
      )

    const listen = (channel: string) =>
      Effect.gen(function*() {
        const subscription = yield* PubSub.subscribe(notificationHub)
        yield* query(`LISTEN ${quoteIdent(channel)}`)
        yield* Effect.addFinalizer(() => Effect.ignore(query(`UNLISTEN ${quoteIdent(channel)}`)))
        return Stream.fromQueue(subscription).pipe(Stream.filter((n) => n.channel === channel))
      })

    const client: PgClient = {
      config,
      processId: outcome.processId,
      secretKey: outcome.secretKey,
      protocolVersion: outcome.protocolVersion,
      tls: transport.tls !== undefined,
      serverParameters,
      transactionStatus: Effect.sync(() => core.transactionStatus),
      query,
      queryStream,
      prepare,
      execute,
      pipeline,
      stream,
      closeStatement,
      copyFrom,
      copyTo,
      copyFromRows: (sql, rows, options = { format: "text" }, columns) => copyFrom(sql, encodeCopyValuesStream(options, columns)(rows)),
      copyToRows: (sql, options, columns) => decodeCopyStream(options, columns)(copyTo(sql)),
      cancel: sendCancelRequest(config, outcome.processId, outcome.secretKey),
      notifications: Stream.fromPubSub(notificationHub),
      listen,
      notices: Stream.fromPubSub(noticeHub),
      subscribeNotices: Stream.fromPubSub(noticeHub, { scoped: true }),
      subscribeNotifications: Stream.fromPubSub(notificationHub, { scoped: true }),
      closed: Deferred.await(closedSignal)
    }
    registerCore(client, core)
    return client
  })

/**
 * Opens a connection in the current Scope. A failed attempt releases what it
 * opened at once; a connection closes (Terminate) when the Scope closes.
 */
export const connect = (input: string | ClientOptions): Effect.Effect<PgClient, PgConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    const config = yield* resolveConfig(input)
    const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const opening = make(config).pipe(Scope.extend(scope))
    const timed = config.connectTimeoutMs > 0
      ? Effect.timeoutFail(opening, {
        duration: config.connectTimeoutMs,
        onTimeout: () => new PgConnectionError({ reason: "Connect", message: `no connection within ${config.connectTimeoutMs} ms` })
      })
      : opening
    return yield* Effect.onError(timed, (cause) => Scope.close(scope, Exit.failCause(cause)))
  })

/** The Client service tag, with its constructors. */
export class Client extends Context.Tag("@pgwire-ts/client/Client")<Client, PgClient>() {
  static readonly connect = connect
  /** A Layer holding one connection for its lifetime. */
  static readonly layer = (input: string | ClientOptions): Layer.Layer<Client, PgConnectionError> => Layer.scoped(Client, connect(input))
  /** The same, with options from an Effect Config (e.g. `clientOptionsFromEnv`). */
  static readonly layerConfig = (config: Config.Config<ClientOptions>): Layer.Layer<Client, PgConnectionError | import("effect/ConfigError").ConfigError> =>
    Layer.scoped(Client, Effect.flatMap(config, connect))
  /** Options from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE, PGAPPNAME... */
  static readonly fromEnv = clientOptionsFromEnv
}

export { parseConnectionString }
