/**
 * Two-phase commit (protocol version 3 and later): BeginPrepare, Prepare,
 * CommitPrepared, RollbackPrepared, StreamPrepare. Their flags bytes are
 * unused (written as 0, ignored on read).
 */
import { Schema } from "effect"
import type { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { CString } from "../common.js"
import { Lsn, PgTimestamp } from "../replication.js"
import { Xid } from "./fields.js"
import { BEGIN_PREPARE, COMMIT_PREPARED, PREPARE, ROLLBACK_PREPARED, STREAM_PREPARE } from "./typeBytes.js"

const prepareFields = {
  prepareLsn: Lsn,
  /** The end LSN of the prepared transaction. */
  endLsn: Lsn,
  prepareTime: PgTimestamp,
  xid: Xid,
  /** The user-defined GID of the prepared transaction. */
  gid: CString
}

/** 'b': starts a transaction that will be prepared. */
export const BeginPrepare = Schema.TaggedStruct("BeginPrepare", prepareFields)
export type BeginPrepare = typeof BeginPrepare.Type

/** 'P': the transaction started by BeginPrepare is prepared. */
export const Prepare = Schema.TaggedStruct("Prepare", prepareFields)
export type Prepare = typeof Prepare.Type

/** 'p': a streamed transaction is prepared. */
export const StreamPrepare = Schema.TaggedStruct("StreamPrepare", prepareFields)
export type StreamPrepare = typeof StreamPrepare.Type

/** 'K': COMMIT PREPARED. */
export const CommitPrepared = Schema.TaggedStruct("CommitPrepared", {
  commitLsn: Lsn,
  endLsn: Lsn,
  commitTime: PgTimestamp,
  xid: Xid,
  gid: CString
})
export type CommitPrepared = typeof CommitPrepared.Type

/** 'r': ROLLBACK PREPARED. */
export const RollbackPrepared = Schema.TaggedStruct("RollbackPrepared", {
  /** The end LSN of the prepared transaction. */
  prepareEndLsn: Lsn,
  /** The end LSN of the rollback. */
  rollbackEndLsn: Lsn,
  prepareTime: PgTimestamp,
  rollbackTime: PgTimestamp,
  xid: Xid,
  gid: CString
})
export type RollbackPrepared = typeof RollbackPrepared.Type

type PrepareFields = Omit<BeginPrepare, "_tag">

export const encodeBeginPrepare = (w: Writer, m: PrepareFields): void => {
  // BeginPrepare alone has no flags byte.
  w.int8(BEGIN_PREPARE).uint64(m.prepareLsn).uint64(m.endLsn).int64(m.prepareTime).uint32(m.xid).cstring(m.gid)
}

export const decodeBeginPrepare = (r: Reader): BeginPrepare => {
  const prepareLsn = r.uint64()
  const endLsn = r.uint64()
  const prepareTime = r.int64()
  const xid = r.uint32()
  const gid = r.cstring()
  return { _tag: "BeginPrepare", prepareLsn, endLsn, prepareTime, xid, gid }
}

const encodeFlaggedPrepare = (w: Writer, type: number, m: PrepareFields): void => {
  w.int8(type).int8(0).uint64(m.prepareLsn).uint64(m.endLsn).int64(m.prepareTime).uint32(m.xid).cstring(m.gid)
}

const decodeFlaggedPrepare = <T extends "Prepare" | "StreamPrepare">(r: Reader, _tag: T) => {
  r.uint8()
  const prepareLsn = r.uint64()
  const endLsn = r.uint64()
  const prepareTime = r.int64()
  const xid = r.uint32()
  const gid = r.cstring()
  return { _tag, prepareLsn, endLsn, prepareTime, xid, gid }
}

export const encodePrepare = (w: Writer, m: PrepareFields): void => encodeFlaggedPrepare(w, PREPARE, m)
export const decodePrepare = (r: Reader): Prepare => decodeFlaggedPrepare(r, "Prepare")

export const encodeStreamPrepare = (w: Writer, m: PrepareFields): void => encodeFlaggedPrepare(w, STREAM_PREPARE, m)
export const decodeStreamPrepare = (r: Reader): StreamPrepare => decodeFlaggedPrepare(r, "StreamPrepare")

export const encodeCommitPrepared = (w: Writer, m: Omit<CommitPrepared, "_tag">): void => {
  w.int8(COMMIT_PREPARED).int8(0).uint64(m.commitLsn).uint64(m.endLsn).int64(m.commitTime).uint32(m.xid).cstring(m.gid)
}

export const decodeCommitPrepared = (r: Reader): CommitPrepared => {
  r.uint8()
  const commitLsn = r.uint64()
  const endLsn = r.uint64()
  const commitTime = r.int64()
  const xid = r.uint32()
  const gid = r.cstring()
  return { _tag: "CommitPrepared", commitLsn, endLsn, commitTime, xid, gid }
}

export const encodeRollbackPrepared = (w: Writer, m: Omit<RollbackPrepared, "_tag">): void => {
  w.int8(ROLLBACK_PREPARED)
    .int8(0)
    .uint64(m.prepareEndLsn)
    .uint64(m.rollbackEndLsn)
    .int64(m.prepareTime)
    .int64(m.rollbackTime)
    .uint32(m.xid)
    .cstring(m.gid)
}

export const decodeRollbackPrepared = (r: Reader): RollbackPrepared => {
  r.uint8()
  const prepareEndLsn = r.uint64()
  const rollbackEndLsn = r.uint64()
  const prepareTime = r.int64()
  const rollbackTime = r.int64()
  const xid = r.uint32()
  const gid = r.cstring()
  return { _tag: "RollbackPrepared", prepareEndLsn, rollbackEndLsn, prepareTime, rollbackTime, xid, gid }
}
