/**
 * Streaming replication messages (protocol.sgml "Streaming Replication
 * Protocol"). They travel as CopyData payloads during CopyBoth: encoders write
 * the payload only (from its 'w' / 'k' / 's' / 'r' / 'h' / 'p' byte on), and
 * decoders take exactly one CopyData payload.
 *
 * From the primary (walsender): XLogData 'w', PrimaryKeepalive 'k',
 * PrimaryStatusUpdate 's'. From the standby (receiver): StandbyStatusUpdate
 * 'r', HotStandbyFeedback 'h', RequestPrimaryStatusUpdate 'p'.
 * `decodeFromPrimary` / `decodeFromStandby` accept one direction each (what a
 * client and a server receive); `decodeReplicationMessage` accepts both.
 *
 * LSNs are unsigned 64-bit `bigint`s; timestamps are signed 64-bit `bigint`
 * microseconds since 2000-01-01 00:00 UTC (the PostgreSQL epoch).
 */
import { Data, Option, ParseResult, Schema } from "effect"
import { Reader } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"
import { ProtocolDecodeError } from "../errors/ProtocolDecodeError.js"
import { Bytes, Int64, UInt32, UInt64 } from "./common.js"
import { restView } from "./pgoutput/view.js"

// ---------------------------------------------------------------------------
// LSN (XLogRecPtr)

/** A WAL location (XLogRecPtr): an unsigned 64-bit number. */
export const Lsn = UInt64.annotations({ identifier: "Lsn" })
export type Lsn = typeof Lsn.Type

const MASK32 = 0xffffffffn

/**
 * PostgreSQL's text form of an LSN: the high and low 32 bits in upper-case hex
 * without padding, as `pg_lsn` output and the replication commands print it
 * (`formatLsn(0x16B374D848n) === "16/B374D848"`).
 */
export const formatLsn = (lsn: bigint): string => {
  const v = BigInt.asUintN(64, lsn)
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & MASK32).toString(16).toUpperCase()}`
}

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/

/** Parses `X/X` (1 to 8 hex digits each side, any case, as `pg_lsn` accepts); None if malformed. */
export const parseLsn = (text: string): Option.Option<bigint> => {
  const m = LSN_TEXT.exec(text)
  if (m === null) return Option.none()
  return Option.some((BigInt(`0x${m[1]!}`) << 32n) | BigInt(`0x${m[2]!}`))
}

/** An LSN in its `X/X` text form, decoded to a `bigint` (for START_REPLICATION arguments, IDENTIFY_SYSTEM rows). */
export const LsnFromString = Schema.transformOrFail(Schema.String, Lsn, {
  strict: true,
  decode: (text, _, ast) =>
    Option.match(parseLsn(text), {
      onNone: () => ParseResult.fail(new ParseResult.Type(ast, text, `expected an LSN like "16/B374D848"`)),
      onSome: ParseResult.succeed
    }),
  encode: (lsn) => ParseResult.succeed(formatLsn(lsn))
}).annotations({ identifier: "LsnFromString" })

// ---------------------------------------------------------------------------
// Timestamps (TimestampTz on the wire)

/** A PostgreSQL timestamp: microseconds since 2000-01-01 00:00 UTC, signed 64-bit. */
export const PgTimestamp = Int64.annotations({ identifier: "PgTimestamp" })
export type PgTimestamp = typeof PgTimestamp.Type

/** 2000-01-01T00:00:00Z in Unix milliseconds. */
export const PG_EPOCH_UNIX_MS = 946_684_800_000
const PG_EPOCH_UNIX_MS_N = BigInt(PG_EPOCH_UNIX_MS)
/** PostgreSQL's `infinity` / `-infinity` timestamps (DT_NOEND / DT_NOBEGIN). */
export const PG_TIMESTAMP_INFINITY = 2n ** 63n - 1n
export const PG_TIMESTAMP_MINUS_INFINITY = -(2n ** 63n)

/** A time that has no PostgreSQL timestamp (NaN, an invalid Date, or past the 64-bit range). */
export class InvalidPgTimestamp extends Data.TaggedError("InvalidPgTimestamp")<{ readonly reason: string }> {
  override get message(): string {
    return `invalid timestamp: ${this.reason}`
  }
}

/**
 * Unix milliseconds (fraction kept to the microsecond) to a PostgreSQL
 * timestamp; ±Infinity map to PostgreSQL's ±infinity. Throws
 * `InvalidPgTimestamp` for NaN or a value past the 64-bit range.
 */
export const pgTimestampFromUnixMs = (ms: number): bigint => {
  if (ms === Infinity) return PG_TIMESTAMP_INFINITY
  if (ms === -Infinity) return PG_TIMESTAMP_MINUS_INFINITY
  if (Number.isNaN(ms)) throw new InvalidPgTimestamp({ reason: "NaN" })
  const whole = Math.floor(ms)
  const us = (BigInt(whole) - PG_EPOCH_UNIX_MS_N) * 1000n + BigInt(Math.round((ms - whole) * 1000))
  if (us >= PG_TIMESTAMP_INFINITY || us <= PG_TIMESTAMP_MINUS_INFINITY) {
    throw new InvalidPgTimestamp({ reason: `${ms} ms is outside the 64-bit microsecond range` })
  }
  return us
}

/** A PostgreSQL timestamp to Unix milliseconds (fractional below 1 ms); ±infinity map to ±Infinity. */
export const pgTimestampToUnixMs = (ts: bigint): number => {
  if (ts === PG_TIMESTAMP_INFINITY) return Infinity
  if (ts === PG_TIMESTAMP_MINUS_INFINITY) return -Infinity
  // Split so that the integral part stays exact past 2^53 microseconds.
  const ms = ts / 1000n
  const rest = ts % 1000n
  return Number(ms + PG_EPOCH_UNIX_MS_N) + Number(rest) / 1000
}

/** See `pgTimestampFromUnixMs`; an invalid Date throws `InvalidPgTimestamp`. */
export const pgTimestampFromDate = (date: Date): bigint => pgTimestampFromUnixMs(date.getTime())

/** A PostgreSQL timestamp to a Date (millisecond precision; ±infinity and values past Date's range give an invalid Date). */
export const pgTimestampToDate = (ts: bigint): Date => new Date(Math.floor(pgTimestampToUnixMs(ts)))

/** The current time as a PostgreSQL timestamp, for `sendTime` fields. */
export const pgTimestampNow = (): bigint => pgTimestampFromUnixMs(Date.now())

// ---------------------------------------------------------------------------
// Messages from the primary

/** 'w': a section of the WAL stream (for logical replication, one output plugin message). */
export const XLogData = Schema.TaggedStruct("XLogData", {
  /** The starting point of the WAL data in this message. */
  walStart: Lsn,
  /** The current end of WAL on the server. */
  walEnd: Lsn,
  sendTime: PgTimestamp,
  /** A view into the CopyData payload; copy it to keep it past the input buffer's reuse. */
  data: Bytes
})
export type XLogData = typeof XLogData.Type

/** 'k': a sender keepalive. */
export const PrimaryKeepalive = Schema.TaggedStruct("PrimaryKeepalive", {
  /** The current end of WAL on the server. */
  walEnd: Lsn,
  sendTime: PgTimestamp,
  /** The client should reply as soon as possible to avoid a timeout disconnect. */
  replyRequested: Schema.Boolean
})
export type PrimaryKeepalive = typeof PrimaryKeepalive.Type

/** 's': the primary's answer to RequestPrimaryStatusUpdate (newer servers only). */
export const PrimaryStatusUpdate = Schema.TaggedStruct("PrimaryStatusUpdate", {
  /** The latest WAL write position on the server. */
  writeLsn: Lsn,
  /** Oldest transaction id in the commit phase, epoch in the high 32 bits (or the next xid if none). */
  oldestXidInCommit: UInt64,
  /** The next transaction id to be assigned, epoch in the high 32 bits. */
  nextXid: UInt64,
  sendTime: PgTimestamp
})
export type PrimaryStatusUpdate = typeof PrimaryStatusUpdate.Type

// ---------------------------------------------------------------------------
// Messages from the standby

/** 'r': the receiver's progress; each LSN is the last byte + 1 written / flushed / applied. */
export const StandbyStatusUpdate = Schema.TaggedStruct("StandbyStatusUpdate", {
  writeLsn: Lsn,
  flushLsn: Lsn,
  applyLsn: Lsn,
  sendTime: PgTimestamp,
  /** Asks the server to reply immediately (a ping). */
  replyRequested: Schema.Boolean
})
export type StandbyStatusUpdate = typeof StandbyStatusUpdate.Type

/** 'h': hot standby feedback; xmin and catalogXmin both 0 means feedback stops. */
export const HotStandbyFeedback = Schema.TaggedStruct("HotStandbyFeedback", {
  sendTime: PgTimestamp,
  xmin: UInt32,
  xminEpoch: UInt32,
  catalogXmin: UInt32,
  catalogXminEpoch: UInt32
})
export type HotStandbyFeedback = typeof HotStandbyFeedback.Type

/** 'p': asks the primary for a PrimaryStatusUpdate (newer servers only). */
export const RequestPrimaryStatusUpdate = Schema.TaggedStruct("RequestPrimaryStatusUpdate", {
  sendTime: PgTimestamp
})
export type RequestPrimaryStatusUpdate = typeof RequestPrimaryStatusUpdate.Type

export const ReplicationFromPrimary = Schema.Union(XLogData, PrimaryKeepalive, PrimaryStatusUpdate)
export type ReplicationFromPrimary = typeof ReplicationFromPrimary.Type
export const ReplicationFromStandby = Schema.Union(StandbyStatusUpdate, HotStandbyFeedback, RequestPrimaryStatusUpdate)
export type ReplicationFromStandby = typeof ReplicationFromStandby.Type
export const ReplicationMessage = Schema.Union(ReplicationFromPrimary, ReplicationFromStandby)
export type ReplicationMessage = typeof ReplicationMessage.Type

// Payload type bytes.
const XLOG_DATA = 0x77 // 'w'
const PRIMARY_KEEPALIVE = 0x6b // 'k'
const PRIMARY_STATUS_UPDATE = 0x73 // 's'
const STANDBY_STATUS_UPDATE = 0x72 // 'r'
const HOT_STANDBY_FEEDBACK = 0x68 // 'h'
const REQUEST_PRIMARY_STATUS_UPDATE = 0x70 // 'p'

// ---------------------------------------------------------------------------
// Encoders: each writes one CopyData payload.

export const encodeXLogData = (w: Writer, m: Omit<XLogData, "_tag">): void => {
  w.int8(XLOG_DATA).uint64(m.walStart).uint64(m.walEnd).int64(m.sendTime).bytes(m.data)
}

/**
 * Writes the XLogData header (25 bytes) alone, for a caller that appends the
 * WAL data (e.g. a pgoutput message) right after it in the same Writer.
 */
export const encodeXLogDataHeader = (w: Writer, walStart: bigint, walEnd: bigint, sendTime: bigint): void => {
  w.int8(XLOG_DATA).uint64(walStart).uint64(walEnd).int64(sendTime)
}

export const encodePrimaryKeepalive = (w: Writer, m: Omit<PrimaryKeepalive, "_tag">): void => {
  w.int8(PRIMARY_KEEPALIVE).uint64(m.walEnd).int64(m.sendTime).int8(m.replyRequested ? 1 : 0)
}

export const encodePrimaryStatusUpdate = (w: Writer, m: Omit<PrimaryStatusUpdate, "_tag">): void => {
  w.int8(PRIMARY_STATUS_UPDATE).uint64(m.writeLsn).uint64(m.oldestXidInCommit).uint64(m.nextXid).int64(m.sendTime)
}

export const encodeStandbyStatusUpdate = (w: Writer, m: Omit<StandbyStatusUpdate, "_tag">): void => {
  w.int8(STANDBY_STATUS_UPDATE)
    .uint64(m.writeLsn)
    .uint64(m.flushLsn)
    .uint64(m.applyLsn)
    .int64(m.sendTime)
    .int8(m.replyRequested ? 1 : 0)
}

export const encodeHotStandbyFeedback = (w: Writer, m: Omit<HotStandbyFeedback, "_tag">): void => {
  w.int8(HOT_STANDBY_FEEDBACK)
    .int64(m.sendTime)
    .uint32(m.xmin)
    .uint32(m.xminEpoch)
    .uint32(m.catalogXmin)
    .uint32(m.catalogXminEpoch)
}

export const encodeRequestPrimaryStatusUpdate = (w: Writer, m: Omit<RequestPrimaryStatusUpdate, "_tag">): void => {
  w.int8(REQUEST_PRIMARY_STATUS_UPDATE).int64(m.sendTime)
}

export const encodeReplicationMessage = (w: Writer, m: ReplicationMessage): void => {
  switch (m._tag) {
    case "XLogData":
      return encodeXLogData(w, m)
    case "PrimaryKeepalive":
      return encodePrimaryKeepalive(w, m)
    case "PrimaryStatusUpdate":
      return encodePrimaryStatusUpdate(w, m)
    case "StandbyStatusUpdate":
      return encodeStandbyStatusUpdate(w, m)
    case "HotStandbyFeedback":
      return encodeHotStandbyFeedback(w, m)
    case "RequestPrimaryStatusUpdate":
      return encodeRequestPrimaryStatusUpdate(w, m)
  }
}

// ---------------------------------------------------------------------------
// Decoders: each reads the payload after its type byte and checks nothing is left.

/** A Byte1 boolean: PostgreSQL writes 0 or 1 and reads any non-zero byte as true, as we do. */
const flag = (r: Reader): boolean => r.uint8() !== 0

export const decodeXLogData = (r: Reader): XLogData => {
  const walStart = r.uint64()
  const walEnd = r.uint64()
  const sendTime = r.int64()
  return { _tag: "XLogData", walStart, walEnd, sendTime, data: restView(r) }
}

export const decodePrimaryKeepalive = (r: Reader): PrimaryKeepalive => {
  const walEnd = r.uint64()
  const sendTime = r.int64()
  const replyRequested = flag(r)
  r.done("PrimaryKeepalive")
  return { _tag: "PrimaryKeepalive", walEnd, sendTime, replyRequested }
}

export const decodePrimaryStatusUpdate = (r: Reader): PrimaryStatusUpdate => {
  const writeLsn = r.uint64()
  const oldestXidInCommit = r.uint64()
  const nextXid = r.uint64()
  const sendTime = r.int64()
  r.done("PrimaryStatusUpdate")
  return { _tag: "PrimaryStatusUpdate", writeLsn, oldestXidInCommit, nextXid, sendTime }
}

export const decodeStandbyStatusUpdate = (r: Reader): StandbyStatusUpdate => {
  const writeLsn = r.uint64()
  const flushLsn = r.uint64()
  const applyLsn = r.uint64()
  const sendTime = r.int64()
  const replyRequested = flag(r)
  r.done("StandbyStatusUpdate")
  return { _tag: "StandbyStatusUpdate", writeLsn, flushLsn, applyLsn, sendTime, replyRequested }
}

export const decodeHotStandbyFeedback = (r: Reader): HotStandbyFeedback => {
  const sendTime = r.int64()
  const xmin = r.uint32()
  const xminEpoch = r.uint32()
  const catalogXmin = r.uint32()
  const catalogXminEpoch = r.uint32()
  r.done("HotStandbyFeedback")
  return { _tag: "HotStandbyFeedback", sendTime, xmin, xminEpoch, catalogXmin, catalogXminEpoch }
}

export const decodeRequestPrimaryStatusUpdate = (r: Reader): RequestPrimaryStatusUpdate => {
  const sendTime = r.int64()
  r.done("RequestPrimaryStatusUpdate")
  return { _tag: "RequestPrimaryStatusUpdate", sendTime }
}

const NAMES: Record<number, string> = {
  [XLOG_DATA]: "XLogData",
  [PRIMARY_KEEPALIVE]: "PrimaryKeepalive",
  [PRIMARY_STATUS_UPDATE]: "PrimaryStatusUpdate",
  [STANDBY_STATUS_UPDATE]: "StandbyStatusUpdate",
  [HOT_STANDBY_FEEDBACK]: "HotStandbyFeedback",
  [REQUEST_PRIMARY_STATUS_UPDATE]: "RequestPrimaryStatusUpdate"
}

const describeByte = (b: number): string =>
  b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}' (0x${b.toString(16)})` : `0x${b.toString(16)}`

// Decoding is synchronous and never re-entered, so one Reader serves every call.
const reader = new Reader(new Uint8Array(0))

const decodeWith = <A>(bytes: Uint8Array, direction: string, body: (type: number, r: Reader) => A | undefined): A => {
  if (bytes.byteLength === 0) {
    throw new ProtocolDecodeError({ messageName: direction, reason: "empty CopyData payload" })
  }
  const type = bytes[0]!
  const r = reader.reset(bytes, 1, bytes.byteLength)
  let out: A | undefined
  try {
    out = body(type, r)
  } catch (e) {
    throw new ProtocolDecodeError({
      messageName: NAMES[type] ?? direction,
      reason: e instanceof Error ? e.message : String(e)
    })
  }
  if (out === undefined) {
    throw new ProtocolDecodeError({ messageName: direction, reason: `unknown message type ${describeByte(type)}` })
  }
  return out
}

const fromPrimary = (type: number, r: Reader): ReplicationFromPrimary | undefined => {
  switch (type) {
    case XLOG_DATA:
      return decodeXLogData(r)
    case PRIMARY_KEEPALIVE:
      return decodePrimaryKeepalive(r)
    case PRIMARY_STATUS_UPDATE:
      return decodePrimaryStatusUpdate(r)
    default:
      return undefined
  }
}

const fromStandby = (type: number, r: Reader): ReplicationFromStandby | undefined => {
  switch (type) {
    case STANDBY_STATUS_UPDATE:
      return decodeStandbyStatusUpdate(r)
    case HOT_STANDBY_FEEDBACK:
      return decodeHotStandbyFeedback(r)
    case REQUEST_PRIMARY_STATUS_UPDATE:
      return decodeRequestPrimaryStatusUpdate(r)
    default:
      return undefined
  }
}

/**
 * Decodes a CopyData payload sent by the primary (what a replication client
 * receives). XLogData's `data` is a view into `bytes`. Throws
 * `ProtocolDecodeError` naming the message on bad input.
 */
export const decodeFromPrimary = (bytes: Uint8Array): ReplicationFromPrimary =>
  decodeWith(bytes, "replication message from primary", fromPrimary)

/**
 * Decodes a CopyData payload sent by the standby (what a replication server
 * receives). Throws `ProtocolDecodeError` naming the message on bad input.
 */
export const decodeFromStandby = (bytes: Uint8Array): ReplicationFromStandby =>
  decodeWith(bytes, "replication message from standby", fromStandby)

/** Decodes a CopyData payload of either direction (the type bytes do not overlap). */
export const decodeReplicationMessage = (bytes: Uint8Array): ReplicationMessage =>
  decodeWith(bytes, "replication message", (type, r) => fromPrimary(type, r) ?? fromStandby(type, r))
