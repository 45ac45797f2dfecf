/** Transaction framing and transaction-scoped messages: Begin, Commit, Origin, Message. */
import { Schema } from "effect"
import type { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { Bytes, CString } from "../common.js"
import { Lsn, PgTimestamp } from "../replication.js"
import { StreamXid, Xid } from "./fields.js"
import { readView } from "./view.js"
import { BEGIN, COMMIT, MESSAGE, ORIGIN } from "./typeBytes.js"

/** 'B': starts a (non-streamed) transaction. */
export const Begin = Schema.TaggedStruct("Begin", {
  /** The final LSN of the transaction. */
  finalLsn: Lsn,
  commitTime: PgTimestamp,
  xid: Xid
})
export type Begin = typeof Begin.Type

export const encodeBegin = (w: Writer, m: Omit<Begin, "_tag">): void => {
  w.int8(BEGIN).uint64(m.finalLsn).int64(m.commitTime).uint32(m.xid)
}

export const decodeBegin = (r: Reader): Begin => {
  const finalLsn = r.uint64()
  const commitTime = r.int64()
  const xid = r.uint32()
  return { _tag: "Begin", finalLsn, commitTime, xid }
}

/** 'C': ends the transaction started by Begin. Its flags byte is unused (written as 0, ignored on read). */
export const Commit = Schema.TaggedStruct("Commit", {
  commitLsn: Lsn,
  /** The end LSN of the transaction: what the subscriber acknowledges once applied. */
  endLsn: Lsn,
  commitTime: PgTimestamp
})
export type Commit = typeof Commit.Type

export const encodeCommit = (w: Writer, m: Omit<Commit, "_tag">): void => {
  w.int8(COMMIT).int8(0).uint64(m.commitLsn).uint64(m.endLsn).int64(m.commitTime)
}

export const decodeCommit = (r: Reader): Commit => {
  r.uint8()
  const commitLsn = r.uint64()
  const endLsn = r.uint64()
  const commitTime = r.int64()
  return { _tag: "Commit", commitLsn, endLsn, commitTime }
}

/** 'O': the transaction came from another replication origin. Never carries an Xid. */
export const Origin = Schema.TaggedStruct("Origin", {
  /** The LSN of the commit on the origin server. */
  originLsn: Lsn,
  name: CString
})
export type Origin = typeof Origin.Type

export const encodeOrigin = (w: Writer, m: Omit<Origin, "_tag">): void => {
  w.int8(ORIGIN).uint64(m.originLsn).cstring(m.name)
}

export const decodeOrigin = (r: Reader): Origin => {
  const originLsn = r.uint64()
  const name = r.cstring()
  return { _tag: "Origin", originLsn, name }
}

/** 'M': a logical decoding message written by `pg_logical_emit_message` (sent with the `messages` option). */
export const Message = Schema.TaggedStruct("Message", {
  xid: StreamXid,
  /** Flags bit 1: the message is part of its transaction (else it was emitted immediately). */
  transactional: Schema.Boolean,
  lsn: Lsn,
  prefix: CString,
  /** A view into the decoded bytes. */
  content: Bytes
})
export type Message = typeof Message.Type

export const encodeMessage = (w: Writer, m: Omit<Message, "_tag">): void => {
  w.int8(MESSAGE)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.int8(m.transactional ? 1 : 0).uint64(m.lsn).cstring(m.prefix).int32(m.content.byteLength).bytes(m.content)
}

export const decodeMessage = (r: Reader, hasXid: boolean): Message => {
  const xid = hasXid ? r.uint32() : undefined
  const transactional = (r.uint8() & 1) !== 0
  const lsn = r.uint64()
  const prefix = r.cstring()
  const content = readView(r, r.count32(1, "Message content length"))
  return xid === undefined
    ? { _tag: "Message", transactional, lsn, prefix, content }
    : { _tag: "Message", xid, transactional, lsn, prefix, content }
}
