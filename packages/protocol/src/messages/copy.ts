/**
 * The COPY sub-protocol: CopyData and CopyDone (both directions), CopyFail
 * (frontend), and CopyInResponse / CopyOutResponse / CopyBothResponse
 * (backend), which open it.
 */
import { Schema } from "effect"
import type { Reader } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"
import {
  Array16,
  Bytes,
  CString,
  FormatCode,
  invalid,
  readInt16List,
  readView,
  writeInt16List
} from "./common.js"

/** CopyData: a piece of the COPY stream; `data` is a view into the input. */
export const CopyData = Schema.TaggedStruct("CopyData", { data: Bytes })
export type CopyData = typeof CopyData.Type

export const encodeCopyData = (w: Writer, m: CopyData): void => {
  const at = w.beginMessage(0x64)
  w.bytes(m.data)
  w.endMessage(at)
}

export const decodeCopyData = (r: Reader): CopyData => ({ _tag: "CopyData", data: readView(r, r.remaining) })

export const CopyDone = Schema.TaggedStruct("CopyDone", {})
export type CopyDone = typeof CopyDone.Type
const copyDone: CopyDone = Object.freeze({ _tag: "CopyDone" })

export const encodeCopyDone = (w: Writer, _m?: CopyDone): void => {
  w.endMessage(w.beginMessage(0x63))
}

export const decodeCopyDone = (r: Reader): CopyDone => {
  r.done("CopyDone")
  return copyDone
}

/** CopyFail: the frontend aborts a COPY FROM STDIN with this error message. */
export const CopyFail = Schema.TaggedStruct("CopyFail", { message: CString })
export type CopyFail = typeof CopyFail.Type

export const encodeCopyFail = (w: Writer, m: CopyFail): void => {
  const at = w.beginMessage(0x66)
  w.cstring(m.message)
  w.endMessage(at)
}

export const decodeCopyFail = (r: Reader): CopyFail => {
  const message = r.cstring()
  r.done("CopyFail")
  return { _tag: "CopyFail", message }
}

// --- the responses that start a COPY ------------------------------------------

/** Overall COPY format: 0 textual (text or CSV), 1 binary. */
export const CopyFormat = Schema.Literal(0, 1)
export type CopyFormat = typeof CopyFormat.Type

const copyResponseFields = {
  format: CopyFormat,
  /** Per-column format codes (all 0 when `format` is 0). */
  columnFormats: Array16(FormatCode)
}

const readCopyFormat = (r: Reader): CopyFormat => {
  const f = r.int8()
  if (f !== 0 && f !== 1) invalid(`copy format ${f} is neither 0 nor 1`)
  return f as CopyFormat
}

export const CopyInResponse = Schema.TaggedStruct("CopyInResponse", copyResponseFields)
export type CopyInResponse = typeof CopyInResponse.Type

export const encodeCopyInResponse = (w: Writer, m: CopyInResponse): void => {
  const at = w.beginMessage(0x47)
  w.int8(m.format)
  writeInt16List(w, m.columnFormats)
  w.endMessage(at)
}

export const decodeCopyInResponse = (r: Reader): CopyInResponse => {
  const format = readCopyFormat(r)
  const columnFormats = readInt16List(r, "column formats")
  r.done("CopyInResponse")
  return { _tag: "CopyInResponse", format, columnFormats }
}

export const CopyOutResponse = Schema.TaggedStruct("CopyOutResponse", copyResponseFields)
export type CopyOutResponse = typeof CopyOutResponse.Type

export const encodeCopyOutResponse = (w: Writer, m: CopyOutResponse): void => {
  const at = w.beginMessage(0x48)
  w.int8(m.format)
  writeInt16List(w, m.columnFormats)
  w.endMessage(at)
}

export const decodeCopyOutResponse = (r: Reader): CopyOutResponse => {
  const format = readCopyFormat(r)
  const columnFormats = readInt16List(r, "column formats")
  r.done("CopyOutResponse")
  return { _tag: "CopyOutResponse", format, columnFormats }
}

/** CopyBothResponse: starts a CopyBoth exchange (streaming replication). */
export const CopyBothResponse = Schema.TaggedStruct("CopyBothResponse", copyResponseFields)
export type CopyBothResponse = typeof CopyBothResponse.Type

export const encodeCopyBothResponse = (w: Writer, m: CopyBothResponse): void => {
  const at = w.beginMessage(0x57)
  w.int8(m.format)
  writeInt16List(w, m.columnFormats)
  w.endMessage(at)
}

export const decodeCopyBothResponse = (r: Reader): CopyBothResponse => {
  const format = readCopyFormat(r)
  const columnFormats = readInt16List(r, "column formats")
  r.done("CopyBothResponse")
  return { _tag: "CopyBothResponse", format, columnFormats }
}
