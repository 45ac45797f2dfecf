/**
 * Logical replication from PostgreSQL (or any server speaking the streaming
 * replication protocol with pgoutput): a `replication=database` connection,
 * the slot created if asked, START_REPLICATION, and the decoded pgoutput
 * messages as a Stream. Acknowledged positions go back to the server as
 * StandbyStatusUpdates (at once, on the server's request, and on an
 * interval); the server keeps them as the slot's confirmed position, so a
 * new stream on the same slot resumes after the last acknowledged
 * transaction: nothing acknowledged is sent again, nothing unacknowledged is lost.
 */
import { type Lsn, parseLsn, PgOutput, pgTimestampNow } from "@pgwire-ts/protocol"
import { Deferred, Duration, Effect, Exit, Option, Schedule, type Scope, Stream } from "effect"
import { connect, type PgClient } from "../Client.js"
import type { ClientOptions } from "../config/ClientConfig.js"
import { parseConnectionString } from "../config/parseConnectionString.js"
import { PgConnectionError, PgError, type PgQueryError } from "../errors.js"
import { ResultBuffer } from "../results/ResultBuffer.js"
import { coreOf } from "./clientInternals.js"
import { createSlotCommand, dropSlotCommand, startReplicationCommand } from "./commands.js"
import { type ReplicationMessage, StartReplicationRequest } from "./StartReplicationRequest.js"

export interface ReplicationConnectionOptions {
  /** Where to connect (a connection string or options); `replication=database` is added. */
  readonly connection: string | ClientOptions
}

export interface LogicalReplicationOptions extends ReplicationConnectionOptions {
  readonly slot: string
  /** The publication(s) whose changes to receive. */
  readonly publication: string | ReadonlyArray<string>
  /** pgoutput protocol version: 1 (default), 2 (streaming), 3 (two-phase), 4 (parallel streaming). */
  readonly protoVersion?: 1 | 2 | 3 | 4 | undefined
  /**
   * Where to start: default 0/0, which lets the server start at the slot's
   * confirmed position (everything after the last acknowledged transaction).
   */
  readonly startLsn?: bigint | string | undefined
  /** Create the slot first (kept if it already exists, unless `temporary`). */
  readonly createSlot?: boolean | undefined
  /** With `createSlot`: a slot dropped when this connection ends. */
  readonly temporary?: boolean | undefined
  /** Column values in binary instead of text. */
  readonly binary?: boolean | undefined
  /** Logical decoding messages (pg_logical_emit_message) too. */
  readonly messages?: boolean | undefined
  /** Large transactions streamed while in progress (protocol version 2+; "parallel" needs 4). */
  readonly streaming?: boolean | "parallel" | undefined
  /** Prepared transactions decoded at PREPARE (protocol version 3+; the slot must be created with it). */
  readonly twoPhase?: boolean | undefined
  /** "none": only changes that have no replication origin (PostgreSQL 16+). */
  readonly origin?: "any" | "none" | undefined
  /** A StandbyStatusUpdate at least this often. Default 10 seconds. */
  readonly statusInterval?: Duration.DurationInput | undefined
}

/** An open replication stream. */
export interface LogicalReplicationStream {
  /**
   * The decoded messages in order, each with its XLogData position. Run it
   * once. Ends after `stop` (or the server ending the stream), fails with the
   * server's error or the connection's.
   */
  readonly messages: Stream.Stream<ReplicationMessage, PgQueryError>
  /**
   * Everything up to `lsn` is applied (pass a Commit's `lsn`/`endLsn`): sent
   * to the server now; the slot resumes after it. Positions only move forward.
   */
  readonly ack: (lsn: bigint) => Effect.Effect<void>
  /** The newest acknowledged position. */
  readonly acknowledged: Effect.Effect<bigint>
  /** The slot's consistent point when this stream created it. */
  readonly createdSlot: Option.Option<{ readonly consistentPoint: bigint }>
  /** Ends streaming cleanly (last status update, CopyDone); `messages` ends after what is in flight. */
  readonly stop: Effect.Effect<void>
}

/** How long a clean stop waits for the server to finish the COPY before the connection just closes. */
const STOP_TIMEOUT = Duration.seconds(5)

const invalidOption = (message: string) => new PgConnectionError({ reason: "Config", message })

const resolveStartLsn = (v: bigint | string | undefined): Effect.Effect<bigint, PgConnectionError> => {
  if (v === undefined) return Effect.succeed(0n)
  if (typeof v === "bigint") return v >= 0n && v < 1n << 64n ? Effect.succeed(v) : Effect.fail(invalidOption(`startLsn ${v} is not a 64-bit LSN`))
  return Option.match(parseLsn(v), {
    onNone: () => Effect.fail(invalidOption(`startLsn "${v}" is not an LSN like "16/B374D848"`)),
    onSome: Effect.succeed
  })
}

const withReplication = (input: string | ClientOptions): ClientOptions => {
  const options = typeof input === "string" ? parseConnectionString(input) : input
  return { ...options, parameters: { ...options.parameters, replication: "database" } }
}

/** A `replication=database` connection in the current Scope (replication commands and SQL, simple protocol only). */
export const connectReplication = (input: string | ClientOptions): Effect.Effect<PgClient, PgConnectionError, Scope.Scope> =>
  Effect.suspend(() => {
    try {
      return connect(withReplication(input))
    } catch (e) {
      return Effect.fail(e instanceof PgConnectionError ? e : invalidOption(String(e)))
    }
  })

const firstRow = (results: ReadonlyArray<{ readonly rows: ReadonlyArray<Record<string, unknown>> }>) => results[0]?.rows[0] ?? {}

const lsnOf = (value: unknown): bigint => (typeof value === "string" ? Option.getOrElse(parseLsn(value), () => 0n) : 0n)

/** CREATE_REPLICATION_SLOT … LOGICAL pgoutput on an open replication connection; the slot's consistent point. */
export const createSlotOn = (
  client: PgClient,
  slot: string,
  options: { readonly temporary?: boolean | undefined; readonly twoPhase?: boolean | undefined } = {}
): Effect.Effect<{ readonly consistentPoint: bigint }, PgQueryError> =>
  Effect.map(client.query(createSlotCommand(slot, options)), (results) => ({
    consistentPoint: lsnOf(firstRow(results)["consistent_point"])
  }))

const openStream = (options: LogicalReplicationOptions): Effect.Effect<LogicalReplicationStream, PgQueryError, Scope.Scope> =>
  Effect.gen(function* () {
    const protoVersion = options.protoVersion ?? 1
    if (![1, 2, 3, 4].includes(protoVersion)) return yield* invalidOption(`protoVersion ${protoVersion} is not 1, 2, 3 or 4`)
    const publications = typeof options.publication === "string" ? [options.publication] : options.publication
    if (publications.length === 0) return yield* invalidOption("at least one publication is needed")
    const startLsn = yield* resolveStartLsn(options.startLsn)
    const statusInterval = Duration.decode(options.statusInterval ?? "10 seconds")

    const client = yield* connectReplication(options.connection)
    let createdSlot = Option.none<{ readonly consistentPoint: bigint }>()
    if (options.createSlot === true) {
      const created = yield* createSlotOn(client, options.slot, { temporary: options.temporary, twoPhase: options.twoPhase }).pipe(
        Effect.map(Option.some),
        // An existing (permanent) slot is what we want: resume from it.
        Effect.catchIf(
          (e): e is PgError => e instanceof PgError && e.code === "42710" && options.temporary !== true,
          () => Effect.succeed(Option.none())
        )
      )
      createdSlot = created
    }

    const core = coreOf(client)
    let acked = startLsn
    const decoder = new PgOutput.PgOutputDecoder({ protoVersion })
    const buffer = new ResultBuffer<ReplicationMessage, PgQueryError>(core, client.config.maxBufferedRows)
    const started = yield* Deferred.make<void, PgQueryError>()
    const ended = yield* Deferred.make<void>()
    let request: StartReplicationRequest | undefined
    const positions = () => {
      const received = request?.received ?? 0n
      return { writeLsn: received > acked ? received : acked, flushLsn: acked, applyLsn: acked, sendTime: pgTimestampNow() }
    }
    request = new StartReplicationRequest(
      core,
      startReplicationCommand(options.slot, startLsn, {
        protoVersion,
        publications,
        binary: options.binary,
        messages: options.messages,
        streaming: options.streaming,
        twoPhase: options.twoPhase,
        origin: options.origin
      }),
      decoder,
      buffer,
      {
        onStarted: (error) => Deferred.unsafeDone(started, error === undefined ? Exit.void : Exit.fail(error)),
        onReplyRequested: () => request?.sendStatus(positions()),
        onEnd: () => Deferred.unsafeDone(ended, Exit.void)
      }
    )
    const r = request
    const stop = Effect.suspend(() => {
      // The last positions first: the server records them before it sees the CopyDone.
      r.sendStatus(positions())
      r.endCopy()
      return Deferred.await(ended).pipe(Effect.timeout(STOP_TIMEOUT), Effect.ignore)
    })
    // Closing the Scope: the consumer is gone, so what is buffered is dropped (a full buffer pauses reading, and the end must be read).
    yield* Effect.acquireRelease(Effect.sync(() => r.submit()), () => Effect.zipRight(Effect.sync(() => buffer.abandon()), stop))
    yield* Deferred.await(started)
    yield* Effect.sync(() => r.sendStatus(positions())).pipe(
      Effect.repeat(Schedule.spaced(statusInterval)),
      Effect.raceFirst(Deferred.await(ended)),
      Effect.forkScoped
    )

    const ack = (lsn: bigint) =>
      Effect.sync(() => {
        if (lsn <= acked) return
        acked = lsn
        r.sendStatus(positions())
      })
    return {
      messages: Stream.repeatEffectChunkOption(buffer.pull),
      ack,
      acknowledged: Effect.sync(() => acked),
      createdSlot,
      stop
    } satisfies LogicalReplicationStream
  })

/** Logical replication as a client: streams and slot management on `replication=database` connections. */
export const LogicalReplication = {
  /** Opens the stream in the current Scope (closing it stops streaming cleanly, then closes the connection). */
  stream: openStream,
  /** CREATE_REPLICATION_SLOT name LOGICAL pgoutput (no snapshot) on a connection of its own. */
  createSlot: (
    options: ReplicationConnectionOptions & { readonly slot: string; readonly twoPhase?: boolean | undefined }
  ): Effect.Effect<{ readonly consistentPoint: bigint }, PgQueryError> =>
    Effect.scoped(Effect.flatMap(connectReplication(options.connection), (c) => createSlotOn(c, options.slot, { twoPhase: options.twoPhase }))),
  /** DROP_REPLICATION_SLOT name [WAIT] on a connection of its own. */
  dropSlot: (options: ReplicationConnectionOptions & { readonly slot: string; readonly wait?: boolean | undefined }): Effect.Effect<void, PgQueryError> =>
    Effect.scoped(Effect.flatMap(connectReplication(options.connection), (c) => Effect.asVoid(c.query(dropSlotCommand(options.slot, options.wait))))),
  /** IDENTIFY_SYSTEM: the server's system id, timeline, current WAL position and database. */
  identifySystem: (
    options: ReplicationConnectionOptions
  ): Effect.Effect<{ readonly systemId: string; readonly timeline: number; readonly xlogPos: Lsn; readonly dbName: string | null }, PgQueryError> =>
    Effect.scoped(
      Effect.flatMap(connectReplication(options.connection), (c) =>
        Effect.map(c.query("IDENTIFY_SYSTEM"), (results) => {
          const row = firstRow(results)
          return {
            systemId: String(row["systemid"]),
            timeline: Number(row["timeline"]),
            xlogPos: lsnOf(row["xlogpos"]),
            dbName: row["dbname"] === null || row["dbname"] === undefined ? null : String(row["dbname"])
          }
        })
      )
    )
} as const
