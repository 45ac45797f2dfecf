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

type CopyResponseTag = "CopyInResponse" | "CopyOutResponse" | "CopyBothResponse"

// The three responses share one body (format, per-column formats) and differ
// only in type byte and tag, so one encoder and one decoder serve all three.
const encodeCopyResponse = (
  w: Writer,
  typeByte: number,
  m: { readonly format: CopyFormat; readonly columnFormats: ReadonlyArray<number> }
): void => {
  const at = w.beginMessage(typeByte)
  w.int8(m.format)
  writeInt16List(w, m.columnFormats)
  w.endMessage(at)
}

const decodeCopyResponse = <T extends CopyResponseTag>(
  r: Reader,
  tag: T
): { _tag: T; format: CopyFormat; columnFormats: Array<number> } => {
  const format = readCopyFormat(r)
  const columnFormats = readInt16List(r, "column formats")
  r.done(tag)
  return { _tag: tag, format, columnFormats }
}

export const CopyInResponse = Schema.TaggedStruct("CopyInResponse", copyResponseFields)
export type CopyInResponse = typeof CopyInResponse.Type

export const encodeCopyInResponse = (w: Writer, m: CopyInResponse): void => encodeCopyResponse(w, 0x47, m)

export const decodeCopyInResponse = (r: Reader): CopyInResponse => decodeCopyResponse(r, "CopyInResponse")

export const CopyOutResponse = Schema.TaggedStruct("CopyOutResponse", copyResponseFields)
export type CopyOutResponse = typeof CopyOutResponse.Type

export const encodeCopyOutResponse = (w: Writer, m: CopyOutResponse): void => encodeCopyResponse(w, 0x48, m)

export const decodeCopyOutResponse = (r: Reader): CopyOutResponse => decodeCopyResponse(r, "CopyOutResponse")

/** CopyBothResponse: starts a CopyBoth exchange (streaming replication). */
export const CopyBothResponse = Schema.TaggedStruct("CopyBothResponse", copyResponseFields)
export type CopyBothResponse = typeof CopyBothResponse.Type

export const encodeCopyBothResponse = (w: Writer, m: CopyBothResponse): void => encodeCopyResponse(w, 0x57, m)

export const decodeCopyBothResponse = (r: Reader): CopyBothResponse => decodeCopyResponse(r, "CopyBothResponse")
