/**
 * TupleData, the row image inside Insert, Update and Delete: an Int16 column
 * count, then per column a kind byte ('n' null, 'u' unchanged TOASTed value
 * not sent, 't' text, 'b' binary) and, for 't' and 'b', an Int32 length and
 * the value's bytes.
 */
import { Schema } from "effect"
import type { Reader } from "../../buffer/Reader.js"
import type { Writer } from "../../buffer/Writer.js"
import { Array16, Bytes, invalid } from "../common.js"
import { readView } from "./view.js"

export const NullColumn = Schema.Struct({ kind: Schema.Literal("null") })
/** An unchanged TOASTed value: PostgreSQL does not send it, the subscriber keeps its copy. */
export const UnchangedColumn = Schema.Struct({ kind: Schema.Literal("unchanged") })
/** A value in text format (the bytes of its text representation, in the server encoding). */
export const TextColumn = Schema.Struct({ kind: Schema.Literal("text"), value: Bytes })
/** A value in binary format (with the `binary` option). */
export const BinaryColumn = Schema.Struct({ kind: Schema.Literal("binary"), value: Bytes })

export const TupleColumn = Schema.Union(NullColumn, UnchangedColumn, TextColumn, BinaryColumn)
export type TupleColumn = typeof TupleColumn.Type

/** The columns of one row, in the relation's column order. Values are views into the decoded bytes. */
export const TupleData = Array16(TupleColumn)
export type TupleData = typeof TupleData.Type

// Null and unchanged columns carry nothing, so every decode shares one object for each.
const NULL_COLUMN: TupleColumn = Object.freeze({ kind: "null" })
const UNCHANGED_COLUMN: TupleColumn = Object.freeze({ kind: "unchanged" })

const KIND_NULL = 0x6e // 'n'
const KIND_UNCHANGED = 0x75 // 'u'
const KIND_TEXT = 0x74 // 't'
const KIND_BINARY = 0x62 // 'b'

export const encodeTupleData = (w: Writer, columns: TupleData): void => {
  w.int16(columns.length)
  for (const c of columns) {
    switch (c.kind) {
      case "null":
        w.int8(KIND_NULL)
        break
      case "unchanged":
        w.int8(KIND_UNCHANGED)
        break
      case "text":
        w.int8(KIND_TEXT).int32(c.value.byteLength).bytes(c.value)
        break
      case "binary":
        w.int8(KIND_BINARY).int32(c.value.byteLength).bytes(c.value)
        break
    }
  }
}

export const decodeTupleData = (r: Reader): TupleData => {
  // Each column takes at least its kind byte.
  const n = r.count16(1, "TupleData column count")
  const columns = new Array<TupleColumn>(n)
  for (let i = 0; i < n; i++) {
    const kind = r.uint8()
    switch (kind) {
      case KIND_NULL:
        columns[i] = NULL_COLUMN
        break
      case KIND_UNCHANGED:
        columns[i] = UNCHANGED_COLUMN
        break
      case KIND_TEXT:
        columns[i] = { kind: "text", value: readView(r, r.count32(1, "TupleData column length")) }
        break
      case KIND_BINARY:
        columns[i] = { kind: "binary", value: readView(r, r.count32(1, "TupleData column length")) }
        break
      default:
        invalid(`TupleData column ${i}: unknown kind byte 0x${kind.toString(16)}`)
    }
  }
  return columns
}
