/**
 * The pgoutput message union, its stateless encoder and the stateful decoder.
 */
import { Schema } from "effect"
import { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { ProtocolDecodeError } from "../../errors/ProtocolDecodeError.js"
import { invalid } from "../common.js"
import {
  Delete,
  decodeDelete,
  decodeInsert,
  decodeTruncate,
  decodeUpdate,
  encodeDelete,
  encodeInsert,
  encodeTruncate,
  encodeUpdate,
  Insert,
  Truncate,
  Update
} from "./change.js"
import { ProtocolVersion } from "./fields.js"
import { decodeRelation, decodeType, encodeRelation, encodeType, Relation, Type } from "./relation.js"
import {
  decodeStreamAbort,
  decodeStreamCommit,
  decodeStreamStart,
  decodeStreamStop,
  encodeStreamAbort,
  encodeStreamCommit,
  encodeStreamStart,
  encodeStreamStop,
  StreamAbort,
  StreamCommit,
  StreamStart,
  StreamStop
} from "./stream.js"
import {
  Begin,
  Commit,
  decodeBegin,
  decodeCommit,
  decodeMessage,
  decodeOrigin,
  encodeBegin,
  encodeCommit,
  encodeMessage,
  encodeOrigin,
  Message,
  Origin
} from "./transaction.js"
import {
  BeginPrepare,
  CommitPrepared,
  decodeBeginPrepare,
  decodeCommitPrepared,
  decodePrepare,
  decodeRollbackPrepared,
  decodeStreamPrepare,
  encodeBeginPrepare,
  encodeCommitPrepared,
  encodePrepare,
  encodeRollbackPrepared,
  encodeStreamPrepare,
  Prepare,
  RollbackPrepared,
  StreamPrepare
} from "./twoPhase.js"
import {
  BEGIN,
  COMMIT,
  ORIGIN,
  MESSAGE,
  RELATION,
  TYPE,
  INSERT,
  UPDATE,
  DELETE,
  TRUNCATE,
  STREAM_START,
  STREAM_STOP,
  STREAM_COMMIT,
  STREAM_ABORT,
  BEGIN_PREPARE,
  PREPARE,
  COMMIT_PREPARED,
  ROLLBACK_PREPARED,
  STREAM_PREPARE
} from "./typeBytes.js"

export const PgOutputMessage = Schema.Union(
  Begin,
  Message,
  Commit,
  Origin,
  Relation,
  Type,
  Insert,
  Update,
  Delete,
  Truncate,
  StreamStart,
  StreamStop,
  StreamCommit,
  StreamAbort,
  BeginPrepare,
  Prepare,
  CommitPrepared,
  RollbackPrepared,
  StreamPrepare
)
export type PgOutputMessage = typeof PgOutputMessage.Type

/** The lowest pgoutput protocol version that has each message. */
export const MIN_PROTOCOL_VERSION: Readonly<Record<PgOutputMessage["_tag"], ProtocolVersion>> = {
  Begin: 1,
  Message: 1,
  Commit: 1,
  Origin: 1,
  Relation: 1,
  Type: 1,
  Insert: 1,
  Update: 1,
  Delete: 1,
  Truncate: 1,
  StreamStart: 2,
  StreamStop: 2,
  StreamCommit: 2,
  StreamAbort: 2,
  BeginPrepare: 3,
  Prepare: 3,
  CommitPrepared: 3,
  RollbackPrepared: 3,
  StreamPrepare: 3
}

/**
 * Writes one pgoutput message (the XLogData data, with no length prefix).
 * Stateless: an optional `xid` is written when present, so the caller sets
 * it exactly on the messages inside a StreamStart/StreamStop block.
 */
export const encodePgOutputMessage = (w: Writer, m: PgOutputMessage): void => {
  switch (m._tag) {
    case "Begin":
      return encodeBegin(w, m)
    case "Message":
      return encodeMessage(w, m)
    case "Commit":
      return encodeCommit(w, m)
    case "Origin":
      return encodeOrigin(w, m)
    case "Relation":
      return encodeRelation(w, m)
    case "Type":
      return encodeType(w, m)
    case "Insert":
      return encodeInsert(w, m)
    case "Update":
      return encodeUpdate(w, m)
    case "Delete":
      return encodeDelete(w, m)
    case "Truncate":
      return encodeTruncate(w, m)
    case "StreamStart":
      return encodeStreamStart(w, m)
    case "StreamStop":
      return encodeStreamStop(w, m)
    case "StreamCommit":
      return encodeStreamCommit(w, m)
    case "StreamAbort":
      return encodeStreamAbort(w, m)
    case "BeginPrepare":
      return encodeBeginPrepare(w, m)
    case "Prepare":
      return encodePrepare(w, m)
    case "CommitPrepared":
      return encodeCommitPrepared(w, m)
    case "RollbackPrepared":
      return encodeRollbackPrepared(w, m)
    case "StreamPrepare":
      return encodeStreamPrepare(w, m)
  }
}

const NAMES: Record<number, PgOutputMessage["_tag"]> = {
  [BEGIN]: "Begin",
  [MESSAGE]: "Message",
  [COMMIT]: "Commit",
  [ORIGIN]: "Origin",
  [RELATION]: "Relation",
  [TYPE]: "Type",
  [INSERT]: "Insert",
  [UPDATE]: "Update",
  [DELETE]: "Delete",
  [TRUNCATE]: "Truncate",
  [STREAM_START]: "StreamStart",
  [STREAM_STOP]: "StreamStop",
  [STREAM_COMMIT]: "StreamCommit",
  [STREAM_ABORT]: "StreamAbort",
  [BEGIN_PREPARE]: "BeginPrepare",
  [PREPARE]: "Prepare",
  [COMMIT_PREPARED]: "CommitPrepared",
  [ROLLBACK_PREPARED]: "RollbackPrepared",
  [STREAM_PREPARE]: "StreamPrepare"
}

export interface PgOutputDecoderOptions {
  /** The `proto_version` given to START_REPLICATION. */
  readonly protoVersion: ProtocolVersion
}

/**
 * Decodes a stream of pgoutput messages (the `data` of each XLogData, in
 * order). It must see every message of the stream: it tracks whether it is
 * between StreamStart and StreamStop, which decides whether the changes carry
 * an Xid (protocol version 2 and later). Messages of a protocol version above
 * `protoVersion`, a nested StreamStart, a StreamStop outside a block, unknown
 * type bytes, truncated or overlong messages throw `ProtocolDecodeError`
 * naming the message, and leave the decoder's state unchanged.
 *
 * Byte fields of the result (tuple values, Message content) are views into
 * the input: copy them to keep them after the input buffer is reused.
 */
export class PgOutputDecoder {
  readonly protoVersion: ProtocolVersion
  private streaming = false
  private readonly reader = new Reader(new Uint8Array(0))

  constructor(options: PgOutputDecoderOptions) {
    const v = options.protoVersion
    if (v !== 1 && v !== 2 && v !== 3 && v !== 4) {
      throw new ProtocolDecodeError({ messageName: "pgoutput", reason: `unsupported protocol version ${String(v)}` })
    }
    this.protoVersion = v
  }

  /** True between StreamStart and StreamStop. */
  get inStream(): boolean {
    return this.streaming
  }

  /** Forgets the stream state, e.g. before reading a new START_REPLICATION stream. */
  reset(): void {
    this.streaming = false
  }

  /** Decodes one message from `bytes[start, end)`. */
  decode(bytes: Uint8Array, start = 0, end = bytes.byteLength): PgOutputMessage {
    if (start < 0 || end > bytes.byteLength) {
      throw new ProtocolDecodeError({ messageName: "pgoutput", reason: `range ${start}..${end} is outside the input` })
    }
    if (end <= start) throw new ProtocolDecodeError({ messageName: "pgoutput", reason: "empty message" })
    const type = bytes[start]!
    const name = NAMES[type]
    if (name === undefined) {
      throw new ProtocolDecodeError({ messageName: "pgoutput", reason: `unknown message type 0x${type.toString(16)}` })
    }
    const min = MIN_PROTOCOL_VERSION[name]
    if (this.protoVersion < min) {
      throw new ProtocolDecodeError({
        messageName: name,
        reason: `needs protocol version ${min}, the stream uses ${this.protoVersion}`
      })
    }
    const r = this.reader.reset(bytes, start + 1, end)
    let m: PgOutputMessage
    try {
      m = this.body(type, r)
      r.done(name)
    } catch (e) {
      throw new ProtocolDecodeError({ messageName: name, reason: e instanceof Error ? e.message : String(e) })
    }
    if (m._tag === "StreamStart") this.streaming = true
    else if (m._tag === "StreamStop") this.streaming = false
    return m
  }

  private body(type: number, r: Reader): PgOutputMessage {
    const hasXid = this.streaming && this.protoVersion >= 2
    switch (type) {
      case BEGIN:
        return decodeBegin(r)
      case MESSAGE:
        return decodeMessage(r, hasXid)
      case COMMIT:
        return decodeCommit(r)
      case ORIGIN:
        return decodeOrigin(r)
      case RELATION:
        return decodeRelation(r, hasXid)
      case TYPE:
        return decodeType(r, hasXid)
      case INSERT:
        return decodeInsert(r, hasXid)
      case UPDATE:
        return decodeUpdate(r, hasXid)
      case DELETE:
        return decodeDelete(r, hasXid)
      case TRUNCATE:
        return decodeTruncate(r, hasXid)
      case STREAM_START:
        if (this.streaming) invalid("StreamStart inside a stream block (no StreamStop since the last StreamStart)")
        return decodeStreamStart(r)
      case STREAM_STOP:
        if (!this.streaming) invalid("StreamStop outside a stream block")
        return decodeStreamStop(r)
      case STREAM_COMMIT:
        return decodeStreamCommit(r)
      case STREAM_ABORT:
        return decodeStreamAbort(r, this.protoVersion)
      case BEGIN_PREPARE:
        return decodeBeginPrepare(r)
      case PREPARE:
        return decodePrepare(r)
      case COMMIT_PREPARED:
        return decodeCommitPrepared(r)
      case ROLLBACK_PREPARED:
        return decodeRollbackPrepared(r)
      case STREAM_PREPARE:
        return decodeStreamPrepare(r)
      default:
        return invalid(`unknown message type 0x${type.toString(16)}`)
    }
  }
}
