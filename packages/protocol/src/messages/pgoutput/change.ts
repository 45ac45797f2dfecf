/** Row changes: Insert, Update, Delete, Truncate. */
import { Schema } from "effect"
import type { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { invalid } from "../common.js"
import { Oid, StreamXid } from "./fields.js"
import { decodeTupleData, encodeTupleData, TupleData } from "./tuple.js"
import { DELETE, INSERT, TRUNCATE, UPDATE } from "./typeBytes.js"

const PART_KEY = 0x4b // 'K'
const PART_OLD = 0x4f // 'O'
const PART_NEW = 0x4e // 'N'

/**
 * The old values carried by Update and Delete: `"key"` ('K') is the replica
 * identity key columns (other columns null), `"old"` ('O') the whole old row
 * (REPLICA IDENTITY FULL).
 */
export const OldTuple = Schema.Struct({
  kind: Schema.Literal("key", "old"),
  tuple: TupleData
})
export type OldTuple = typeof OldTuple.Type

/** 'I': a new row. */
export const Insert = Schema.TaggedStruct("Insert", {
  xid: StreamXid,
  relationOid: Oid,
  newTuple: TupleData
})
export type Insert = typeof Insert.Type

/** 'U': a changed row; `old` is present when the key changed or the relation's identity is FULL. */
export const Update = Schema.TaggedStruct("Update", {
  xid: StreamXid,
  relationOid: Oid,
  old: Schema.optional(OldTuple),
  newTuple: TupleData
})
export type Update = typeof Update.Type

/** 'D': a deleted row, identified by its key or its whole old row. */
export const Delete = Schema.TaggedStruct("Delete", {
  xid: StreamXid,
  relationOid: Oid,
  old: OldTuple
})
export type Delete = typeof Delete.Type

/** 'T': TRUNCATE of one or more relations. */
export const Truncate = Schema.TaggedStruct("Truncate", {
  xid: StreamXid,
  /** Option bit 1. */
  cascade: Schema.Boolean,
  /** Option bit 2. */
  restartIdentity: Schema.Boolean,
  relationOids: Schema.Array(Oid)
})
export type Truncate = typeof Truncate.Type

const encodeOld = (w: Writer, old: OldTuple): void => {
  w.int8(old.kind === "key" ? PART_KEY : PART_OLD)
  encodeTupleData(w, old.tuple)
}

export const encodeInsert = (w: Writer, m: Omit<Insert, "_tag">): void => {
  w.int8(INSERT)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.uint32(m.relationOid).int8(PART_NEW)
  encodeTupleData(w, m.newTuple)
}

export const encodeUpdate = (w: Writer, m: Omit<Update, "_tag">): void => {
  w.int8(UPDATE)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.uint32(m.relationOid)
  if (m.old !== undefined) encodeOld(w, m.old)
  w.int8(PART_NEW)
  encodeTupleData(w, m.newTuple)
}

export const encodeDelete = (w: Writer, m: Omit<Delete, "_tag">): void => {
  w.int8(DELETE)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.uint32(m.relationOid)
  encodeOld(w, m.old)
}

export const encodeTruncate = (w: Writer, m: Omit<Truncate, "_tag">): void => {
  w.int8(TRUNCATE)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.int32(m.relationOids.length).int8((m.cascade ? 1 : 0) | (m.restartIdentity ? 2 : 0))
  for (const oid of m.relationOids) w.uint32(oid)
}

const partName = (b: number): string => `0x${b.toString(16)}`

const expectNew = (b: number): void => {
  if (b !== PART_NEW) invalid(`expected 'N' before the new tuple, got ${partName(b)}`)
}

export const decodeInsert = (r: Reader, hasXid: boolean): Insert => {
  const xid = hasXid ? r.uint32() : undefined
  const relationOid = r.uint32()
  expectNew(r.uint8())
  const newTuple = decodeTupleData(r)
  return xid === undefined
    ? { _tag: "Insert", relationOid, newTuple }
    : { _tag: "Insert", xid, relationOid, newTuple }
}

export const decodeUpdate = (r: Reader, hasXid: boolean): Update => {
  const xid = hasXid ? r.uint32() : undefined
  const relationOid = r.uint32()
  let part = r.uint8()
  let old: OldTuple | undefined
  if (part === PART_KEY || part === PART_OLD) {
    old = { kind: part === PART_KEY ? "key" : "old", tuple: decodeTupleData(r) }
    part = r.uint8()
  }
  expectNew(part)
  const newTuple = decodeTupleData(r)
  const m: { -readonly [K in keyof Update]: Update[K] } = { _tag: "Update", relationOid, newTuple }
  if (xid !== undefined) m.xid = xid
  if (old !== undefined) m.old = old
  return m
}

export const decodeDelete = (r: Reader, hasXid: boolean): Delete => {
  const xid = hasXid ? r.uint32() : undefined
  const relationOid = r.uint32()
  const part = r.uint8()
  if (part !== PART_KEY && part !== PART_OLD) invalid(`expected 'K' or 'O' before the old tuple, got ${partName(part)}`)
  const old: OldTuple = { kind: part === PART_KEY ? "key" : "old", tuple: decodeTupleData(r) }
  return xid === undefined
    ? { _tag: "Delete", relationOid, old }
    : { _tag: "Delete", xid, relationOid, old }
}

export const decodeTruncate = (r: Reader, hasXid: boolean): Truncate => {
  const xid = hasXid ? r.uint32() : undefined
  const n = r.int32()
  const options = r.uint8()
  if (n < 0 || n * 4 > r.remaining) invalid(`Truncate relation count ${n} runs past the message`)
  const relationOids = new Array<number>(n)
  for (let i = 0; i < n; i++) relationOids[i] = r.uint32()
  const cascade = (options & 1) !== 0
  const restartIdentity = (options & 2) !== 0
  return xid === undefined
    ? { _tag: "Truncate", cascade, restartIdentity, relationOids }
    : { _tag: "Truncate", xid, cascade, restartIdentity, relationOids }
}
