/** Schema metadata sent before the first change of a relation: Relation and Type. */
import { Schema } from "effect"
import type { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { Array16, CString, Int32, invalid } from "../common.js"
import { Oid, StreamXid } from "./fields.js"
import { RELATION, TYPE } from "./typeBytes.js"

/**
 * The relation's REPLICA IDENTITY (pg_class.relreplident 'd' / 'n' / 'f' / 'i'):
 * which old values Update and Delete carry.
 */
export const ReplicaIdentity = Schema.Literal("default", "nothing", "full", "index")
export type ReplicaIdentity = typeof ReplicaIdentity.Type

export const RelationColumn = Schema.Struct({
  /** Flags bit 1: the column is part of the replica identity key. */
  isKey: Schema.Boolean,
  name: CString,
  typeOid: Oid,
  /** pg_attribute.atttypmod (-1 when the type has none). */
  typeModifier: Int32
})
export type RelationColumn = typeof RelationColumn.Type

/** 'R': describes a relation; sent before its first change and again after it changes. */
export const Relation = Schema.TaggedStruct("Relation", {
  xid: StreamXid,
  relationOid: Oid,
  /** Empty for pg_catalog. */
  namespace: CString,
  name: CString,
  replicaIdentity: ReplicaIdentity,
  /** The columns included in the publication. */
  columns: Array16(RelationColumn)
})
export type Relation = typeof Relation.Type

const IDENTITY_BYTE: Record<ReplicaIdentity, number> = {
  default: 0x64, // 'd'
  nothing: 0x6e, // 'n'
  full: 0x66, // 'f'
  index: 0x69 // 'i'
}

const identityOf = (b: number): ReplicaIdentity => {
  switch (b) {
    case 0x64:
      return "default"
    case 0x6e:
      return "nothing"
    case 0x66:
      return "full"
    case 0x69:
      return "index"
    default:
      return invalid(`unknown replica identity byte 0x${b.toString(16)}`)
  }
}

export const encodeRelation = (w: Writer, m: Omit<Relation, "_tag">): void => {
  w.int8(RELATION)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.uint32(m.relationOid).cstring(m.namespace).cstring(m.name).int8(IDENTITY_BYTE[m.replicaIdentity])
  w.int16(m.columns.length)
  for (const c of m.columns) {
    w.int8(c.isKey ? 1 : 0).cstring(c.name).uint32(c.typeOid).int32(c.typeModifier)
  }
}

export const decodeRelation = (r: Reader, hasXid: boolean): Relation => {
  const xid = hasXid ? r.uint32() : undefined
  const relationOid = r.uint32()
  const namespace = r.cstring()
  const name = r.cstring()
  const replicaIdentity = identityOf(r.uint8())
  // flags + name terminator + type OID + typmod
  const n = r.count16(10, "Relation column count")
  const columns = new Array<RelationColumn>(n)
  for (let i = 0; i < n; i++) {
    const isKey = (r.uint8() & 1) !== 0
    const colName = r.cstring()
    const typeOid = r.uint32()
    const typeModifier = r.int32()
    columns[i] = { isKey, name: colName, typeOid, typeModifier }
  }
  return xid === undefined
    ? { _tag: "Relation", relationOid, namespace, name, replicaIdentity, columns }
    : { _tag: "Relation", xid, relationOid, namespace, name, replicaIdentity, columns }
}

/** 'Y': names a non-built-in type used by a following Relation. */
export const Type = Schema.TaggedStruct("Type", {
  xid: StreamXid,
  typeOid: Oid,
  /** Empty for pg_catalog. */
  namespace: CString,
  name: CString
})
export type Type = typeof Type.Type

export const encodeType = (w: Writer, m: Omit<Type, "_tag">): void => {
  w.int8(TYPE)
  if (m.xid !== undefined) w.uint32(m.xid)
  w.uint32(m.typeOid).cstring(m.namespace).cstring(m.name)
}

export const decodeType = (r: Reader, hasXid: boolean): Type => {
  const xid = hasXid ? r.uint32() : undefined
  const typeOid = r.uint32()
  const namespace = r.cstring()
  const name = r.cstring()
  return xid === undefined
    ? { _tag: "Type", typeOid, namespace, name }
    : { _tag: "Type", xid, typeOid, namespace, name }
}
