/**
 * START_REPLICATION through a simple Query: CopyBothResponse, then CopyData
 * from the server (XLogData carrying one pgoutput message each, keepalives)
 * while we send StandbyStatusUpdates; CopyDone from either side, the two
 * CommandCompletes, ReadyForQuery. Holds the write gate for the whole
 * exchange (nothing else may be written into a COPY).
 */
import {
  decodeBackendMessage,
  decodeFromPrimary,
  encodeCopyDone,
  encodeQuery,
  encodeStandbyStatusUpdate,
  type PgOutput,
  type Writer
} from "@pgwire-ts/protocol"
import type { ConnectionCore, PendingRequest } from "../connection/ConnectionCore.js"
import { PgError, type PgQueryError } from "../errors.js"
import type { ResultBuffer } from "../results/ResultBuffer.js"
import { unexpected } from "../requests/unexpected.js"

/** One pgoutput message as it arrived, with the WAL position of its XLogData. */
export interface ReplicationMessage {
  /**
   * The XLogData's start position. For a Commit it is the transaction's end
   * (PostgreSQL's `end_lsn`): acknowledge it once the transaction is applied.
   */
  readonly lsn: bigint
  /** The server's WAL end when it sent the message. */
  readonly walEnd: bigint
  /** The server's clock when it sent the message (PostgreSQL microseconds). */
  readonly sendTime: bigint
  readonly message: PgOutput.PgOutputMessage
}

export interface StatusPositions {
  readonly writeLsn: bigint
  readonly flushLsn: bigint
  readonly applyLsn: bigint
  readonly sendTime: bigint
}

export interface StreamCallbacks {
  /** CopyBothResponse arrived (streaming), or the command failed before it. */
  readonly onStarted: (error: PgQueryError | undefined) => void
  /** A keepalive asked for an immediate status update. */
  readonly onReplyRequested: () => void
  /** The exchange is over (ReadyForQuery, or the connection ended). */
  readonly onEnd: () => void
}

const COPY_DATA = 0x64

export class StartReplicationRequest implements PendingRequest {
  private error: PgQueryError | undefined = undefined
  private streaming = false
  private copyDoneSent = false
  private finished = false
  /** The newest XLogData position received. */
  received = 0n
  /** The newest WAL end the server reported. */
  walEnd = 0n

  constructor(
    private readonly conn: ConnectionCore,
    readonly sql: string,
    private readonly decoder: PgOutput.PgOutputDecoder,
    private readonly buffer: ResultBuffer<ReplicationMessage, PgQueryError>,
    private readonly callbacks: StreamCallbacks
  ) {}

  submit(): void {
    this.conn.submit(this, true)
  }

  write(w: Writer): void {
    encodeQuery(w, { _tag: "Query", sql: this.sql })
  }

  /** True between CopyBothResponse and our CopyDone: status updates may be sent. */
  get canSend(): boolean {
    return this.streaming && !this.copyDoneSent && !this.finished
  }

  sendStatus(positions: StatusPositions, replyRequested = false): void {
    if (!this.canSend) return
    this.conn.writeMore((w) => {
      const at = w.beginMessage(COPY_DATA)
      encodeStandbyStatusUpdate(w, { ...positions, replyRequested })
      w.endMessage(at)
    })
  }

  /** Ends our side of the COPY; the server answers with its CopyDone and the end of the command. */
  endCopy(): void {
    if (!this.canSend) return
    this.copyDoneSent = true
    this.conn.writeMore((w) => encodeCopyDone(w))
  }

  fail(error: PgQueryError): void {
    if (this.finished) return
    this.finished = true
    this.conn.release(this)
    if (!this.streaming) this.callbacks.onStarted(error)
    this.buffer.fail(error)
    this.callbacks.onEnd()
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): boolean {
    if (type === COPY_DATA) {
      if (!this.streaming) throw unexpected("CopyData", "START_REPLICATION before CopyBothResponse")
      this.onCopyData(new Uint8Array(buf.buffer, buf.byteOffset + start, end - start))
      return false
    }
    const m = decodeBackendMessage(type, buf, start, end)
    switch (m._tag) {
      case "CopyBothResponse":
        this.streaming = true
        this.callbacks.onStarted(undefined)
        return false
      case "CopyDone":
        // The server ended its side: end ours, as the protocol asks.
        this.endCopy()
        return false
      case "CommandComplete":
      case "RowDescription":
      case "DataRow":
        // "COPY 0" and "START_REPLICATION"; a timeline switch's result row (physical) is of no use here.
        return false
      case "ErrorResponse":
        this.error ??= PgError.fromFields(m.fields, this.sql)
        return false
      case "ReadyForQuery": {
        this.finished = true
        this.conn.release(this)
        const error = this.error
        if (!this.streaming) this.callbacks.onStarted(error ?? new PgError({ severity: "ERROR", code: "08P01", message: "START_REPLICATION ended without streaming" }))
        if (error !== undefined) this.buffer.fail(error)
        else this.buffer.end()
        this.callbacks.onEnd()
        return true
      }
      default:
        throw unexpected(m._tag, "START_REPLICATION")
    }
  }

  private onCopyData(payload: Uint8Array): void {
    const r = decodeFromPrimary(payload)
    switch (r._tag) {
      case "XLogData": {
        if (r.walStart > this.received) this.received = r.walStart
        if (r.walEnd > this.walEnd) this.walEnd = r.walEnd
        const message = this.decoder.decode(r.data)
        this.buffer.push({ lsn: r.walStart, walEnd: r.walEnd, sendTime: r.sendTime, message })
        return
      }
      case "PrimaryKeepalive":
        if (r.walEnd > this.walEnd) this.walEnd = r.walEnd
        if (r.replyRequested) this.callbacks.onReplyRequested()
        return
      case "PrimaryStatusUpdate":
        return
    }
  }
}
