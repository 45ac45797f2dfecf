import {
  type AuthContext,
  type BackendMessage,
  type ErrorFields,
  type FrontendMessage,
  FrontendMessageStream,
  ProtocolDecodeError
} from "@pgwire-ts/protocol"
import { Effect, type MetricLabel } from "effect"
import type { CancelRegistryShape } from "../cancel/CancelRegistry.js"
import { ConnectionCancellation } from "../cancel/QueryCancellation.js"
import type { AuthSourceShape } from "../handlers/AuthSource.js"
import type { CopyHandlerShape } from "../handlers/CopyHandler.js"
import type { ReplicationHandlerShape } from "../replication/ReplicationHandler.js"
import type { ServerParametersShape } from "../handlers/ServerParameters.js"
import type { NotificationsShape } from "../notifications/Notifications.js"
import type { ExtendedEnv, ExtendedSession } from "./ExtendedSession.js"
import type { SimpleQueryHandlerShape } from "../handlers/SimpleQueryHandler.js"
import type { ServerConfig } from "../ServerOptions.js"
import type { Session, TransactionStatus } from "../session/Session.js"
import type { Transport } from "../transport/Transport.js"
import { PENDING, WAKE } from "../transport/Transport.js"
import { PgError } from "../errors/PgError.js"
import { ConnectionLost, type ConnectionEnd, FatalError, ProtocolViolation } from "./ConnectionErrors.js"
import { Outbox } from "./Outbox.js"
import type { Registry } from "./Registry.js"

/** What every connection of one server shares. */
export interface ServerEnv {
  readonly config: ServerConfig
  readonly simpleQuery: SimpleQueryHandlerShape | undefined
  /** QueryParser + ExtendedQueryHandler (+ PortalStore); undefined without both: Parse answers 0A000. */
  readonly extended: ExtendedEnv | undefined
  readonly authSource: AuthSourceShape | undefined
  readonly parameters: ServerParametersShape
  readonly registry: Registry
  /** Process ids, cancel keys, and CancelRequest matching (the `CancelRegistry` service, or one per server). */
  readonly cancelRegistry: CancelRegistryShape
  /** LISTEN/NOTIFY hub (the `Notifications` service, or one per server). */
  readonly notifications: NotificationsShape
  /** Row-level COPY for simple-query COPY statements, if provided. */
  readonly copyHandler: CopyHandlerShape | undefined
  /** Logical replication for `replication=database` connections, if provided. */
  readonly replication: ReplicationHandlerShape | undefined
  /** Secret behind the mock SCRAM salts of unknown users (stable for the server's life). */
  readonly mockScramSecret: Uint8Array
}

/**
 * One connection's state shared by its phases: the transport, the input
 * stream, the outbox, and what startup/auth established.
 */
export class Conn {
  readonly input: FrontendMessageStream
  readonly outbox: Outbox
  processId = 0
  secretKey: Uint8Array = new Uint8Array(0)
  /** Kept in step with the Ready phase's status; what `session.transactionStatus` reads. */
  transactionStatus: TransactionStatus = "I"
  /** Current ParameterStatus values. */
  readonly parameters = new Map<string, string>()
  session: Session | undefined
  /** The running query's cancel state (what a CancelRequest for this session triggers). */
  readonly cancellation: ConnectionCancellation
  /**
   * Output that waits for the session to be idle (notifications): run when a
   * wakeable read has no message to return, before it blocks, and again on a wake-up.
   */
  idleWork: (() => Effect.Effect<void, ConnectionLost> | undefined) | undefined
  /** Statements and portals, made on the first extended-query message. */
  extended: ExtendedSession | undefined
  /** Whether queries get a `pgwire.query` span (a real tracer is installed; see querySpan.ts). */
  tracing = false
  /** The connection fiber's metric labels (Effect.tagMetrics), for counters updated outside Effect steps. */
  metricLabels: ReadonlyArray<MetricLabel.MetricLabel> = []

  constructor(
    public transport: Transport,
    readonly env: ServerEnv
  ) {
    this.input = new FrontendMessageStream({
      maxMessageSize: env.config.maxMessageSize,
      maxStartupSize: env.config.maxStartupPacketSize
    })
    this.outbox = new Outbox((b) => this.transport.writeNow(b), env.config.outboxFlushBytes)
    this.cancellation = new ConnectionCancellation(env.cancelRegistry.cancelProcess)
  }

  switchTransport(t: Transport): void {
    this.transport = t
  }

  /**
   * The next whole message; fails with ConnectionLost at end of input. When
   * `wakeable`, a wake-up during a server drain fails with FATAL 57P01.
   */
  readMessage(authContext: AuthContext = "password", wakeable = false): Effect.Effect<FrontendMessage, ConnectionEnd> {
    const loop: Effect.Effect<FrontendMessage, ConnectionEnd> = Effect.suspend(() => {
      this.input.authContext = authContext
      const m = this.pollMessage(wakeable)
      if (m !== undefined) return m instanceof Error ? Effect.fail(m) : Effect.succeed(m)
      if (wakeable && this.idleWork !== undefined) {
        const idle = this.idleWork()
        if (idle !== undefined) return Effect.zipRight(idle, loop)
      }
      // Nothing whole yet: wait for more input (or a wake-up), then look again.
      return Effect.zipRight(this.transport.arrival, loop)
    })
    return loop
  }

  /**
   * `expect` without waiting: a message from input that has already arrived
   * (one of `accepts`, else a ProtocolViolation), or how the connection
   * ends; undefined when more input must be awaited (then use `expect`).
   */
  pollExpected<T extends FrontendMessage["_tag"]>(
    phase: string,
    accepts: ReadonlySet<T>,
    authContext: AuthContext,
    wakeable: boolean
  ): Extract<FrontendMessage, { _tag: T }> | ConnectionEnd | undefined {
    this.input.authContext = authContext
    const m = this.pollMessage(wakeable)
    if (m === undefined || m instanceof Error) return m
    return accepts.has(m._tag as T)
      ? (m as Extract<FrontendMessage, { _tag: T }>)
      : new ProtocolViolation({ reason: `unexpected ${m._tag} message during ${phase}` })
  }

  /**
   * The next message from input that has already arrived, in a plain loop
   * (no Effect steps), or how the connection ends (an Error, unlike any
   * message); undefined when more input must be awaited.
   */
  private pollMessage(wakeable: boolean): FrontendMessage | ConnectionEnd | undefined {
    for (;;) {
      let m: FrontendMessage | undefined
      try {
        m = this.input.next()
      } catch (e) {
        return new ProtocolViolation({ reason: e instanceof ProtocolDecodeError ? e.message : String(e) })
      }
      if (m !== undefined) return m
      const chunk = this.transport.poll()
      if (chunk === PENDING) return undefined
      if (chunk === undefined) return new ConnectionLost({})
      if (chunk === WAKE) {
        if (wakeable && this.env.registry.isDraining) return adminShutdown()
        // A wake-up for idle work (notifications): the caller runs it once no message is left.
        continue
      }
      this.input.push(chunk)
    }
  }

  /**
   * The next message, which must be one of `accepts`: anything else is a
   * protocol violation (the single check every phase goes through).
   */
  expect<T extends FrontendMessage["_tag"]>(
    phase: string,
    accepts: ReadonlySet<T>,
    authContext?: AuthContext,
    wakeable = false
  ): Effect.Effect<Extract<FrontendMessage, { _tag: T }>, ConnectionEnd> {
    return Effect.flatMap(this.readMessage(authContext, wakeable), (m) =>
      accepts.has(m._tag as T)
        ? Effect.succeed(m as Extract<FrontendMessage, { _tag: T }>)
        : Effect.fail(new ProtocolViolation({ reason: `unexpected ${m._tag} message during ${phase}` }))
    )
  }

  send(m: BackendMessage): void {
    this.outbox.send(m)
  }

  readonly flush: Effect.Effect<void, ConnectionLost> = Effect.suspend(() => this.outbox.flush).pipe(
    Effect.mapError((cause) => new ConnectionLost({ cause }))
  )

  /** Writes the outbox: undefined when the socket took it at once, else the Effect that waits for it. */
  flushNow(): Effect.Effect<void, ConnectionLost> | undefined {
    const pending = this.outbox.flushNow()
    return pending === undefined ? undefined : Effect.mapError(pending, (cause) => new ConnectionLost({ cause }))
  }

  readonly flushIfFull: Effect.Effect<void, ConnectionLost> = Effect.suspend(() => this.outbox.flushIfFull).pipe(
    Effect.mapError((cause) => new ConnectionLost({ cause }))
  )

  sendError(fields: ErrorFields): void {
    this.outbox.send({ _tag: "ErrorResponse", fields })
  }

  /** Writes a raw byte (the 'S'/'N' answers to SSLRequest and GSSENCRequest). */
  writeByte(byte: number): Effect.Effect<void, ConnectionLost> {
    return Effect.zipRight(this.flush, this.transport.write(Uint8Array.of(byte))).pipe(
      Effect.mapError((cause) => new ConnectionLost({ cause }))
    )
  }
}

/** What an idle session gets when the server shuts down (PostgreSQL's words). */
export const adminShutdown = () =>
  new FatalError({
    error: PgError.make("57P01", "terminating connection due to administrator command", { severity: "FATAL" })
  })
