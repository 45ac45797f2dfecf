/**
 * Typed frontend messages (client to server), except the COPY ones (copy.ts)
 * and the untyped startup packets (startup.ts). Each `encodeX` writes the
 * whole message; each `decodeX` reads the body after the length word and
 * throws `ReadPastEnd` on bad input (the dispatchers turn it into a
 * `ProtocolDecodeError` naming the message).
 */
import { Schema } from "effect"
import type { Reader } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"
import {
  Array16,
  Bytes,
  CString,
  FormatCode,
  Int32,
  NullableBytes,
  UInt32,
  invalid,
  readCopy,
  readInt16List,
  readOidList,
  readValueList,
  writeInt16List,
  writeNullableBytes,
  writeOidList,
  writeValueList
} from "./common.js"

// Type bytes.
export const FrontendType = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  /** PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse all use 'p'. */
  PasswordMessage: 0x70, // p
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58 // X
} as const

const StatementOrPortal = Schema.Literal("S", "P")

const readKind = (r: Reader): "S" | "P" => {
  const b = r.uint8()
  if (b === 0x53) return "S"
  if (b === 0x50) return "P"
  return invalid(`kind byte ${b} is neither 'S' nor 'P'`)
}

// --- authentication responses ('p') -----------------------------------------

/** PasswordMessage: a cleartext or MD5-hashed password. */
export const PasswordMessage = Schema.TaggedStruct("PasswordMessage", { password: CString })
export type PasswordMessage = typeof PasswordMessage.Type

export const encodePasswordMessage = (w: Writer, m: PasswordMessage): void => {
  const at = w.beginMessage(0x70)
  w.cstring(m.password)
  w.endMessage(at)
}

export const decodePasswordMessage = (r: Reader): PasswordMessage => {
  const password = r.cstring()
  r.done("PasswordMessage")
  return { _tag: "PasswordMessage", password }
}

/** SASLInitialResponse: the chosen mechanism and its initial response (null when absent, length -1). A copy. */
export const SASLInitialResponse = Schema.TaggedStruct("SASLInitialResponse", {
  mechanism: CString,
  data: NullableBytes
})
export type SASLInitialResponse = typeof SASLInitialResponse.Type

export const encodeSASLInitialResponse = (w: Writer, m: SASLInitialResponse): void => {
  const at = w.beginMessage(0x70)
  w.cstring(m.mechanism)
  writeNullableBytes(w, m.data)
  w.endMessage(at)
}

export const decodeSASLInitialResponse = (r: Reader): SASLInitialResponse => {
  const mechanism = r.cstring()
  const len = r.int32()
  let data: Uint8Array | null = null
  if (len !== -1) {
    if (len < 0) invalid(`negative response length ${len}`)
    data = readCopy(r, len)
  }
  r.done("SASLInitialResponse")
  return { _tag: "SASLInitialResponse", mechanism, data }
}

/** SASLResponse: mechanism data (the rest of the message). A copy. */
export const SASLResponse = Schema.TaggedStruct("SASLResponse", { data: Bytes })
export type SASLResponse = typeof SASLResponse.Type

export const encodeSASLResponse = (w: Writer, m: SASLResponse): void => {
  const at = w.beginMessage(0x70)
  w.bytes(m.data)
  w.endMessage(at)
}

export const decodeSASLResponse = (r: Reader): SASLResponse => ({
  _tag: "SASLResponse",
  data: readCopy(r, r.remaining)
})

/** GSSResponse: GSSAPI/SSPI data (the rest of the message). A copy. */
export const GSSResponse = Schema.TaggedStruct("GSSResponse", { data: Bytes })
export type GSSResponse = typeof GSSResponse.Type

export const encodeGSSResponse = (w: Writer, m: GSSResponse): void => {
  const at = w.beginMessage(0x70)
  w.bytes(m.data)
  w.endMessage(at)
}

export const decodeGSSResponse = (r: Reader): GSSResponse => ({
  _tag: "GSSResponse",
  data: readCopy(r, r.remaining)
})

// --- simple query -------------------------------------------------------------

export const Query = Schema.TaggedStruct("Query", { sql: CString })
export type Query = typeof Query.Type

export const encodeQuery = (w: Writer, m: Query): void => {
  const at = w.beginMessage(0x51)
  w.cstring(m.sql)
  w.endMessage(at)
}

export const decodeQuery = (r: Reader): Query => {
  const sql = r.cstring()
  r.done("Query")
  return { _tag: "Query", sql }
}

// --- extended query ------------------------------------------------------------

/** Parse: `name` "" is the unnamed statement; `paramTypes` are OIDs, 0 = unspecified. */
export const Parse = Schema.TaggedStruct("Parse", {
  name: CString,
  sql: CString,
  paramTypes: Array16(UInt32)
})
export type Parse = typeof Parse.Type

export const encodeParse = (w: Writer, m: Parse): void => {
  const at = w.beginMessage(0x50)
  w.cstring(m.name)
  w.cstring(m.sql)
  writeOidList(w, m.paramTypes)
  w.endMessage(at)
}

export const decodeParse = (r: Reader): Parse => {
  const name = r.cstring()
  const sql = r.cstring()
  const paramTypes = readOidList(r, "parameter types")
  r.done("Parse")
  return { _tag: "Parse", name, sql, paramTypes }
}

/**
 * Bind. `paramFormats` and `resultFormats` are carried as sent (0, 1 or a
 * single code for all; other values are for the server to reject).
 * `params` (null = SQL NULL) are views into the input.
 */
export const Bind = Schema.TaggedStruct("Bind", {
  portal: CString,
  statement: CString,
  paramFormats: Array16(FormatCode),
  params: Array16(NullableBytes),
  resultFormats: Array16(FormatCode)
})
export type Bind = typeof Bind.Type

export const encodeBind = (w: Writer, m: Bind): void => {
  const at = w.beginMessage(0x42)
  w.cstring(m.portal)
  w.cstring(m.statement)
  writeInt16List(w, m.paramFormats)
  const params = m.params
  const n = params.length
  w.int16(n)
  for (let i = 0; i < n; i++) {
    const v = params[i]!
    if (v === null) {
      w.int32(-1)
    } else {
      w.int32(v.length) // not byteLength: same value, read faster by V8
      w.bytes(v)
    }
  }
  writeInt16List(w, m.resultFormats)
  w.endMessage(at)
}

export const decodeBind = (r: Reader): Bind => {
  const portal = r.cstring()
  const statement = r.cstring()
  const paramFormats = readInt16List(r, "parameter formats")
  const params = readValueList(r, "parameters")
  const resultFormats = readInt16List(r, "result formats")
  r.done("Bind")
  return { _tag: "Bind", portal, statement, paramFormats, params, resultFormats }
}

/** Describe: `kind` "S" a prepared statement, "P" a portal. */
export const Describe = Schema.TaggedStruct("Describe", { kind: StatementOrPortal, name: CString })
export type Describe = typeof Describe.Type

export const encodeDescribe = (w: Writer, m: Describe): void => {
  const at = w.beginMessage(0x44)
  w.int8(m.kind === "S" ? 0x53 : 0x50)
  w.cstring(m.name)
  w.endMessage(at)
}

export const decodeDescribe = (r: Reader): Describe => {
  const kind = readKind(r)
  const name = r.cstring()
  r.done("Describe")
  return { _tag: "Describe", kind, name }
}

/** Execute: `maxRows` 0 means no limit (PostgreSQL also treats negatives so). */
export const Execute = Schema.TaggedStruct("Execute", { portal: CString, maxRows: Int32 })
export type Execute = typeof Execute.Type

export const encodeExecute = (w: Writer, m: Execute): void => {
  const at = w.beginMessage(0x45)
  w.cstring(m.portal)
  w.int32(m.maxRows)
  w.endMessage(at)
}

export const decodeExecute = (r: Reader): Execute => {
  const portal = r.cstring()
  const maxRows = r.int32()
  r.done("Execute")
  return { _tag: "Execute", portal, maxRows }
}

/** Close: `kind` "S" a prepared statement, "P" a portal. */
export const Close = Schema.TaggedStruct("Close", { kind: StatementOrPortal, name: CString })
export type Close = typeof Close.Type

export const encodeClose = (w: Writer, m: Close): void => {
  const at = w.beginMessage(0x43)
  w.int8(m.kind === "S" ? 0x53 : 0x50)
  w.cstring(m.name)
  w.endMessage(at)
}

export const decodeClose = (r: Reader): Close => {
  const kind = readKind(r)
  const name = r.cstring()
  r.done("Close")
  return { _tag: "Close", kind, name }
}

export const Flush = Schema.TaggedStruct("Flush", {})
export type Flush = typeof Flush.Type
const flush: Flush = Object.freeze({ _tag: "Flush" })

export const encodeFlush = (w: Writer, _m?: Flush): void => {
  w.endMessage(w.beginMessage(0x48))
}

export const decodeFlush = (r: Reader): Flush => {
  r.done("Flush")
  return flush
}

export const Sync = Schema.TaggedStruct("Sync", {})
export type Sync = typeof Sync.Type
const sync: Sync = Object.freeze({ _tag: "Sync" })

export const encodeSync = (w: Writer, _m?: Sync): void => {
  w.endMessage(w.beginMessage(0x53))
}

export const decodeSync = (r: Reader): Sync => {
  r.done("Sync")
  return sync
}

export const Terminate = Schema.TaggedStruct("Terminate", {})
export type Terminate = typeof Terminate.Type
const terminate: Terminate = Object.freeze({ _tag: "Terminate" })

export const encodeTerminate = (w: Writer, _m?: Terminate): void => {
  w.endMessage(w.beginMessage(0x58))
}

export const decodeTerminate = (r: Reader): Terminate => {
  r.done("Terminate")
  return terminate
}

// --- function call -------------------------------------------------------------

/** FunctionCall (the fast-path interface). `args` (null = SQL NULL) are views into the input. */
export const FunctionCall = Schema.TaggedStruct("FunctionCall", {
  functionOid: UInt32,
  argFormats: Array16(FormatCode),
  args: Array16(NullableBytes),
  resultFormat: FormatCode
})
export type FunctionCall = typeof FunctionCall.Type

export const encodeFunctionCall = (w: Writer, m: FunctionCall): void => {
  const at = w.beginMessage(0x46)
  w.uint32(m.functionOid)
  writeInt16List(w, m.argFormats)
  writeValueList(w, m.args)
  w.int16(m.resultFormat)
  w.endMessage(at)
}

export const decodeFunctionCall = (r: Reader): FunctionCall => {
  const functionOid = r.uint32()
  const argFormats = readInt16List(r, "argument formats")
  const args = readValueList(r, "arguments")
  const resultFormat = r.int16()
  r.done("FunctionCall")
  return { _tag: "FunctionCall", functionOid, argFormats, args, resultFormat }
}
