/**
 * Streamed in-progress transactions (protocol version 2 and later):
 * StreamStart, StreamStop, StreamCommit, StreamAbort. Changes between
 * StreamStart and StreamStop carry their Xid.
 */
import { Schema } from "effect"
import type { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { invalid } from "../common.js"
import { Lsn, PgTimestamp } from "../replication.js"
import { Xid } from "./fields.js"
import { STREAM_ABORT, STREAM_COMMIT, STREAM_START, STREAM_STOP } from "./typeBytes.js"

/** 'S': opens a block of changes of the in-progress transaction `xid`. */
export const StreamStart = Schema.TaggedStruct("StreamStart", {
  xid: Xid,
  /** True for the first block of this transaction. */
  firstSegment: Schema.Boolean
})
export type StreamStart = typeof StreamStart.Type

/** 'E': closes the block opened by StreamStart. */
export const StreamStop = Schema.TaggedStruct("StreamStop", {})
export type StreamStop = typeof StreamStop.Type

/** 'c': commits a streamed transaction. Its flags byte is unused (written as 0, ignored on read). */
export const StreamCommit = Schema.TaggedStruct("StreamCommit", {
  xid: Xid,
  commitLsn: Lsn,
  endLsn: Lsn,
  commitTime: PgTimestamp
})
export type StreamCommit = typeof StreamCommit.Type

/** The abort position and time, sent only with `streaming = parallel` (protocol version 4). */
export const StreamAbortParallel = Schema.Struct({
  abortLsn: Lsn,
  abortTime: PgTimestamp
})
export type StreamAbortParallel = typeof StreamAbortParallel.Type

/** 'A': aborts a streamed (sub)transaction. */
export const StreamAbort = Schema.TaggedStruct("StreamAbort", {
  xid: Xid,
  /** The aborted subtransaction, equal to `xid` when the whole transaction aborts. */
  subXid: Xid,
  parallel: Schema.optional(StreamAbortParallel)
})
export type StreamAbort = typeof StreamAbort.Type

export const encodeStreamStart = (w: Writer, m: Omit<StreamStart, "_tag">): void => {
  w.int8(STREAM_START).uint32(m.xid).int8(m.firstSegment ? 1 : 0)
}

export const decodeStreamStart = (r: Reader): StreamStart => {
  const xid = r.uint32()
  const firstSegment = r.uint8() !== 0
  return { _tag: "StreamStart", xid, firstSegment }
}

export const encodeStreamStop = (w: Writer, _m?: Omit<StreamStop, "_tag">): void => {
  w.int8(STREAM_STOP)
}

export const decodeStreamStop = (_r: Reader): StreamStop => ({ _tag: "StreamStop" })

export const encodeStreamCommit = (w: Writer, m: Omit<StreamCommit, "_tag">): void => {
  w.int8(STREAM_COMMIT).uint32(m.xid).int8(0).uint64(m.commitLsn).uint64(m.endLsn).int64(m.commitTime)
}

export const decodeStreamCommit = (r: Reader): StreamCommit => {
  const xid = r.uint32()
  r.uint8()
  const commitLsn = r.uint64()
  const endLsn = r.uint64()
  const commitTime = r.int64()
  return { _tag: "StreamCommit", xid, commitLsn, endLsn, commitTime }
}

export const encodeStreamAbort = (w: Writer, m: Omit<StreamAbort, "_tag">): void => {
  w.int8(STREAM_ABORT).uint32(m.xid).uint32(m.subXid)
  if (m.parallel !== undefined) w.uint64(m.parallel.abortLsn).int64(m.parallel.abortTime)
}

/**
 * Whether the parallel fields are present depends on the `streaming` option,
 * not only on the protocol version, so from version 4 on the decoder reads
 * them when the message has the 16 bytes for them.
 */
export const decodeStreamAbort = (r: Reader, protoVersion: number): StreamAbort => {
  const xid = r.uint32()
  const subXid = r.uint32()
  if (protoVersion >= 4 && r.remaining > 0) {
    if (r.remaining !== 16) invalid(`expected 0 or 16 bytes of parallel abort fields, got ${r.remaining}`)
    const abortLsn = r.uint64()
    const abortTime = r.int64()
    return { _tag: "StreamAbort", xid, subXid, parallel: { abortLsn, abortTime } }
  }
  return { _tag: "StreamAbort", xid, subXid }
}
