/**
 * START_REPLICATION's CopyBoth phase, on the server's copy-both sub-protocol
 * (connection/CopyBoth.ts): the handler's changes go out as XLogData, the
 * client's StandbyStatusUpdate / HotStandbyFeedback come in and reach the
 * handler, keepalives go out on a timer (asking for a reply once the client
 * has been silent for half the sender timeout) and when the client or the
 * handler asks. Everything sent is encoded in stream order by one fiber, so a
 * keepalive's WAL end never runs ahead of the XLogData before it.
 *
 * Ends as PostgreSQL's walsender: the client's CopyDone (or the handler's
 * stream ending) gives CopyDone, CommandComplete "COPY 0", CommandComplete
 * "START_REPLICATION", ReadyForQuery; a handler error gives ErrorResponse and
 * ReadyForQuery (the connection stays usable); a client silent for the whole
 * sender timeout is disconnected.
 */
import {
  decodeFromStandby,
  encodePrimaryKeepalive,
  encodeXLogDataHeader,
  PgOutput,
  pgTimestampFromUnixMs,
  ProtocolDecodeError,
  SqlState,
  Writer
} from "@pgwire-ts/protocol"
import { Cause, Chunk, Clock, Duration, Effect, Exit, Option, Queue, Stream } from "effect"
import type { Conn } from "../connection/Conn.js"
import { type ConnectionEnd, ConnectionLost } from "../connection/ConnectionErrors.js"
import { runCopyBoth } from "../connection/CopyBoth.js"
import { Phase } from "../connection/Phase.js"
import { copyBoth } from "../copy/CopyResult.js"
import { PgError } from "../errors/PgError.js"
import { CurrentSession } from "../session/CurrentSession.js"
import type {
  KeepaliveRequest,
  ReplicationHandlerShape,
  ReplicationStream,
  StartReplicationRequest,
  WalMessage
} from "./ReplicationHandler.js"

/** What goes out, in order: a handler's message, or a keepalive (encoded when its turn comes). */
type Outgoing = WalMessage | KeepaliveRequest

const durationMs = (d: Duration.DurationInput | undefined, fallback: number): number =>
  d === undefined ? fallback : Duration.toMillis(Duration.decode(d))

/** A failure of the handler (its start, its stream, a feedback callback) as the ErrorResponse to send. */
const handlerError = (cause: Cause.Cause<unknown>, what: string): Effect.Effect<PgError> => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && failure.value instanceof PgError) return Effect.succeed(failure.value)
  return Effect.as(
    Effect.logError(`replication handler failed (${what})`, cause),
    PgError.make(SqlState.InternalError, `internal error in the replication handler (${what})`)
  )
}

/** A handler message pgoutput or the protocol cannot carry. */
class InvalidWalMessage extends Error {}

/**
 * Runs START_REPLICATION once its command was parsed and checked; returns the
 * next phase (Ready after a clean end or a handler error) or how the connection ends.
 */
export const runLogicalStreaming = (
  conn: Conn,
  handler: ReplicationHandlerShape,
  request: StartReplicationRequest
): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.scoped(
    Effect.gen(function* () {
      const session = conn.session!
      const started = yield* Effect.exit(handler.startReplication(request, session))
      if (Exit.isFailure(started)) {
        if (Cause.isInterruptedOnly(started.cause)) return yield* Effect.interrupt
        return yield* answerError(conn, yield* handlerError(started.cause, "startReplication"))
      }
      // A client that vanished gets no answer (writing to its socket could wait forever).
      let peerGone = false
      conn.transport.setPeerClosedHandler(() => {
        peerGone = true
      })
      const ended = yield* Effect.exit(
        runCopyBoth(conn, copyBoth({ run: yield* streams(handler, request, started.value), tag: "COPY 0" })).pipe(
          Effect.provideService(CurrentSession, session),
          Effect.ensuring(Effect.sync(() => conn.transport.setPeerClosedHandler(undefined)))
        )
      )
      if (peerGone) return yield* new ConnectionLost({})
      if (Exit.isSuccess(ended)) {
        conn.send({ _tag: "CommandComplete", tag: "START_REPLICATION" })
        conn.send({ _tag: "ReadyForQuery", status: conn.transactionStatus })
        yield* conn.flush
        return Phase.Ready({ transactionStatus: conn.transactionStatus })
      }
      const failure = Cause.failureOption(ended.cause)
      if (Option.isSome(failure) && !(failure.value instanceof PgError)) return yield* Effect.fail(failure.value)
      if (Cause.isInterruptedOnly(ended.cause)) return yield* Effect.interrupt
      const defect = Cause.dieOption(ended.cause)
      if (Option.isSome(defect) && defect.value instanceof InvalidWalMessage) {
        yield* Effect.logError("replication handler sent a message that cannot be sent", ended.cause)
        return yield* answerError(conn, PgError.make(SqlState.InternalError, `invalid replication message: ${defect.value.message}`))
      }
      return yield* answerError(conn, yield* handlerError(ended.cause, "stream"))
    })
  ).pipe(Effect.annotateLogs({ "pgwire.process_id": conn.processId }))

const answerError = (conn: Conn, error: PgError): Effect.Effect<Phase, ConnectionEnd> =>
  Effect.gen(function* () {
    if (conn.transactionStatus === "T") conn.transactionStatus = "E"
    conn.sendError(error.toFields())
    if (error.isFatal) {
      yield* conn.flush
      return Phase.Closed({ reason: "fatal error" })
    }
    conn.send({ _tag: "ReadyForQuery", status: conn.transactionStatus })
    yield* conn.flush
    return Phase.Ready({ transactionStatus: conn.transactionStatus })
  })

/** The copy-both `run` function: inbound feedback in, XLogData and keepalives out. */
const streams = (handler: ReplicationHandlerShape, request: StartReplicationRequest, source: ReplicationStream) =>
  Effect.gen(function* () {
    const keepaliveMs = Math.max(1, durationMs(handler.keepaliveInterval, 10_000))
    const timeoutMs = Math.max(0, durationMs(handler.senderTimeout, 60_000))
    const protoVersion = request.pgoutput.protoVersion
    const replies = yield* Queue.unbounded<Outgoing>()
    const w = new Writer(1024)

    /** The newest position sent (what keepalives report, as PostgreSQL's sentPtr). */
    let walEnd = request.startLsn
    let lastSentAt = yield* Clock.currentTimeMillis
    let lastHeardAt = lastSentAt
    let pinged = false

    const encode = (m: Outgoing, now: number): Uint8Array => {
      w.reset()
      if ("_tag" in m) {
        if (m.walEnd !== undefined && m.walEnd > walEnd) walEnd = m.walEnd
        encodePrimaryKeepalive(w, { walEnd, sendTime: pgTimestampFromUnixMs(now), replyRequested: m.replyRequested })
        return w.take()
      }
      try {
        const body = m.message
        if (!(body instanceof Uint8Array)) {
          const min = PgOutput.MIN_PROTOCOL_VERSION[body._tag]
          if (min === undefined || min > protoVersion) {
            throw new Error(`${String(body._tag)} needs pgoutput protocol version ${String(min)}, the client asked for ${protoVersion}`)
          }
        }
        encodeXLogDataHeader(w, m.lsn, m.lsn, pgTimestampFromUnixMs(now))
        if (body instanceof Uint8Array) w.bytes(body)
        else PgOutput.encodePgOutputMessage(w, body)
      } catch (e) {
        throw new InvalidWalMessage(e instanceof Error ? e.message : String(e))
      }
      if (m.lsn > walEnd) walEnd = m.lsn
      return w.take()
    }

    // The first thing PostgreSQL sends after CopyBothResponse: a keepalive with its position.
    const first: Stream.Stream<Outgoing> = Stream.make<[Outgoing]>({ _tag: "KeepaliveRequest", replyRequested: false })

    // Timer: a keepalive when nothing was sent for keepaliveMs, a reply request once the client has been
    // silent for half the timeout, the end after all of it. It sleeps until the earliest of those is due.
    const tick: Effect.Effect<Option.Option<Outgoing>, PgError> = Effect.gen(function* () {
      const due = Math.min(
        lastSentAt + keepaliveMs,
        timeoutMs > 0 ? lastHeardAt + (pinged ? timeoutMs : timeoutMs / 2) : Number.POSITIVE_INFINITY
      )
      yield* Effect.sleep(Math.max(1, Math.ceil(due - (yield* Clock.currentTimeMillis))))
      const now = yield* Clock.currentTimeMillis
      const silent = now - lastHeardAt
      if (timeoutMs > 0 && silent >= timeoutMs) {
        yield* Effect.logInfo("terminating replication connection due to replication timeout")
        return yield* Effect.fail(
          PgError.make(SqlState.ConnectionFailure, "terminating replication connection due to replication timeout", { severity: "FATAL" })
        )
      }
      if (timeoutMs > 0 && silent >= timeoutMs / 2 && !pinged) {
        pinged = true
        return Option.some<Outgoing>({ _tag: "KeepaliveRequest", replyRequested: true })
      }
      return now - lastSentAt >= keepaliveMs ? Option.some<Outgoing>({ _tag: "KeepaliveRequest", replyRequested: false }) : Option.none()
    })
    const timer = Stream.repeatEffect(tick).pipe(Stream.filterMap((o) => o))

    const feedback = (payload: Uint8Array): Effect.Effect<void, PgError> =>
      Effect.gen(function* () {
        lastHeardAt = yield* Clock.currentTimeMillis
        pinged = false
        const m = yield* Effect.try({
          try: () => decodeFromStandby(payload),
          catch: (e) => PgError.make(SqlState.ProtocolViolation, e instanceof ProtocolDecodeError ? e.message : String(e), { severity: "FATAL" })
        })
        switch (m._tag) {
          case "StandbyStatusUpdate":
            if (source.onStandbyStatus !== undefined) yield* source.onStandbyStatus(m)
            if (m.replyRequested) yield* Queue.offer(replies, { _tag: "KeepaliveRequest", replyRequested: false })
            return
          case "HotStandbyFeedback":
            if (source.onHotStandbyFeedback !== undefined) yield* source.onHotStandbyFeedback(m)
            return
          case "RequestPrimaryStatusUpdate":
            // We have no transaction ids to report; a keepalive says where we are.
            yield* Queue.offer(replies, { _tag: "KeepaliveRequest", replyRequested: false })
            return
        }
      })

    return (inbound: Stream.Stream<Uint8Array, PgError>): Stream.Stream<Uint8Array, PgError> => {
      // The handler's stream decides when the server's side ends; keepalives only ride along.
      const outgoing = Stream.merge(Stream.concat(first, source.changes), Stream.merge(timer, Stream.fromQueue(replies)), {
        haltStrategy: "left"
      })
      // The client's CopyDone ends `inbound`, and with it everything we send.
      const clientSide = Stream.drain(Stream.mapEffect(inbound, feedback))
      return Stream.merge(outgoing, clientSide, { haltStrategy: "either" }).pipe(
        Stream.mapChunksEffect((chunk) =>
          Effect.map(Clock.currentTimeMillis, (now) => {
            lastSentAt = now
            const out = new Array<Uint8Array>(chunk.length)
            let i = 0
            for (const m of chunk) out[i++] = encode(m, now)
            return Chunk.unsafeFromArray(out)
          })
        )
      )
    }
  })
