import type { HotStandbyFeedback, PgOutput, StandbyStatusUpdate } from "@pgwire-ts/protocol"
import { Context, type Duration, type Effect, Layer, type Option, type Scope, type Stream } from "effect"
import type { PgError } from "../errors/PgError.js"
import type { Session } from "../session/Session.js"
import type { PgOutputOptions } from "./pgOutputOptions.js"

/** IDENTIFY_SYSTEM's answer. */
export interface SystemIdentity {
  /** The cluster's unique identifier (PostgreSQL prints a 64-bit number in decimal). */
  readonly systemId: string
  readonly timeline: number
  /** The current WAL flush position: where streaming could start now. */
  readonly xlogPos: bigint
  /** The database connected to (null on a physical connection). */
  readonly dbName: string | null
}

/** What to do with the snapshot a new logical slot is built on (the option SNAPSHOT, or the old keywords). */
export type SnapshotAction = "export" | "use" | "nothing"

/** CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL plugin [options]. */
export interface CreateSlotRequest {
  readonly name: string
  readonly temporary: boolean
  /** The output plugin, e.g. "pgoutput". */
  readonly plugin: string
  readonly snapshot: SnapshotAction
  readonly twoPhase: boolean
  readonly failover: boolean
}

/** The new slot, as CREATE_REPLICATION_SLOT reports it. */
export interface CreatedSlot {
  /** The position from which streaming on this slot can start. */
  readonly consistentPoint: bigint
  /** The exported snapshot's name (snapshot "export"), else null. */
  readonly snapshotName: string | null
}

/** READ_REPLICATION_SLOT's answer for an existing slot. */
export interface SlotInfo {
  readonly slotType: "physical" | "logical"
  readonly restartLsn: bigint | null
  readonly restartTli: number | null
}

/** TIMELINE_HISTORY's answer. */
export interface TimelineHistory {
  readonly filename: string
  readonly content: Uint8Array
}

/** START_REPLICATION SLOT name LOGICAL lsn (options). */
export interface StartReplicationRequest {
  readonly slot: string
  /** The LSN the client asked to start from (0 = from where the slot's confirmed position is). */
  readonly startLsn: bigint
  /** The options as given (name → value; a bare name has no value). */
  readonly options: ReadonlyMap<string, string | undefined>
  /** The same options read as pgoutput's, validated as PostgreSQL does. */
  readonly pgoutput: PgOutputOptions
}

/**
 * One message to send in an XLogData. `lsn` is the WAL position the message
 * stands for (the XLogData's walStart): what a client acknowledges. A
 * `Uint8Array` is sent as is (an output plugin other than pgoutput).
 */
export interface WalMessage {
  readonly lsn: bigint
  readonly message: PgOutput.PgOutputMessage | Uint8Array
}

/**
 * Asks for a PrimaryKeepalive now, in order with the messages (e.g. once the
 * handler has caught up, so a client waiting for a WAL position hears of it).
 */
export interface KeepaliveRequest {
  readonly _tag: "KeepaliveRequest"
  readonly replyRequested: boolean
  /**
   * The WAL end to report from now on, when the handler has read past what
   * it sent (changes nobody subscribed to). Default: the newest LSN sent.
   */
  readonly walEnd?: bigint | undefined
}

export const KeepaliveRequest = (options: { readonly replyRequested?: boolean; readonly walEnd?: bigint } = {}): KeepaliveRequest => ({
  _tag: "KeepaliveRequest",
  replyRequested: options.replyRequested ?? false,
  walEnd: options.walEnd
})

/** What a handler gives for START_REPLICATION: the changes, and where the client's feedback goes. */
export interface ReplicationStream {
  /**
   * The messages to send, in WAL order. When it ends the server ends the
   * COPY (CopyDone); when it fails, the client gets the error and the
   * connection stays usable.
   */
  readonly changes: Stream.Stream<WalMessage | KeepaliveRequest, PgError>
  /**
   * The client's StandbyStatusUpdate. `flushLsn` is what it has durably
   * applied: the slot may forget everything before it.
   */
  readonly onStandbyStatus?: ((update: StandbyStatusUpdate) => Effect.Effect<void, PgError>) | undefined
  readonly onHotStandbyFeedback?: ((feedback: HotStandbyFeedback) => Effect.Effect<void, PgError>) | undefined
}

/**
 * The logical replication side of a server, for connections opened with
 * `replication=database`. The library parses the replication commands and
 * answers each with PostgreSQL's result shape; the handler owns the slots
 * and produces the changes. Ordinary SQL on such a connection still goes to
 * the SimpleQueryHandler.
 */
export interface ReplicationHandlerShape {
  readonly identifySystem: (session: Session) => Effect.Effect<SystemIdentity, PgError>
  readonly createSlot: (request: CreateSlotRequest, session: Session) => Effect.Effect<CreatedSlot, PgError>
  /** `wait`: wait for the slot to become inactive instead of failing (DROP_REPLICATION_SLOT ... WAIT). */
  readonly dropSlot: (name: string, options: { readonly wait: boolean }, session: Session) => Effect.Effect<void, PgError>
  /** READ_REPLICATION_SLOT; None gives PostgreSQL's row of NULLs. Absent: every slot reads as missing. */
  readonly readSlot?: ((name: string, session: Session) => Effect.Effect<Option.Option<SlotInfo>, PgError>) | undefined
  /** TIMELINE_HISTORY; absent: 58P01 as for a missing history file. */
  readonly timelineHistory?: ((timeline: number, session: Session) => Effect.Effect<TimelineHistory, PgError>) | undefined
  /** SHOW name; None falls back to the session's parameters, then to the SimpleQueryHandler. */
  readonly show?: ((name: string, session: Session) => Effect.Effect<Option.Option<string>, PgError>) | undefined
  /**
   * START_REPLICATION: the stream of changes. Its Scope stays open while
   * streaming and closes when it ends (client CopyDone, error, disconnect).
   */
  readonly startReplication: (
    request: StartReplicationRequest,
    session: Session
  ) => Effect.Effect<ReplicationStream, PgError, Scope.Scope>
  /** A PrimaryKeepalive when nothing was sent for this long. Default 10 seconds. */
  readonly keepaliveInterval?: Duration.DurationInput | undefined
  /**
   * A silent client gets a keepalive asking for a reply after half of this,
   * and the connection ends after all of it (wal_sender_timeout). Default
   * 60 seconds; 0 disables.
   */
  readonly senderTimeout?: Duration.DurationInput | undefined
}

export class ReplicationHandler extends Context.Tag("@pgwire-ts/server/ReplicationHandler")<
  ReplicationHandler,
  ReplicationHandlerShape
>() {
  static layer(handler: ReplicationHandlerShape): Layer.Layer<ReplicationHandler> {
    return Layer.succeed(ReplicationHandler, handler)
  }

  /** Builds the handler with dependencies; its resources live as long as the layer. */
  static layerEffect<E, R>(
    make: Effect.Effect<ReplicationHandlerShape, E, R>
  ): Layer.Layer<ReplicationHandler, E, Exclude<R, Scope.Scope>> {
    return Layer.scoped(ReplicationHandler, make)
  }
}
