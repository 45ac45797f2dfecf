/**
 * Backend messages (server to client), except the COPY ones (copy.ts). Each
 * `encodeX` writes the whole message; each `decodeX` reads the body after the
 * length word and throws `ReadPastEnd` on bad input (the dispatchers turn it
 * into a `ProtocolDecodeError` naming the message).
 */
import { Schema } from "effect"
import type { Reader } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"
import { ErrorFields, decodeErrorFields, encodeErrorFields } from "../errors/ErrorFields.js"
import {
  Array16,
  Bytes,
  BytesOfLength,
  CString,
  FormatCode,
  Int16,
  Int32,
  NonEmptyCString,
  NullableBytes,
  SecretKey,
  UInt32,
  checkSecretKeyLength,
  invalid,
  readCopy,
  readNullableBytes,
  readOidList,
  writeNullableBytes,
  writeOidList
} from "./common.js"

// Type bytes.
export const BackendType = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyBothResponse: 0x57, // W
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54 // T
} as const

// --- authentication ('R') --------------------------------------------------------

/** The Int32 that follows the length in every 'R' message. */
export const AuthenticationCode = {
  AuthenticationOk: 0,
  AuthenticationKerberosV5: 2,
  AuthenticationCleartextPassword: 3,
  AuthenticationMD5Password: 5,
  AuthenticationGSS: 7,
  AuthenticationGSSContinue: 8,
  AuthenticationSSPI: 9,
  AuthenticationSASL: 10,
  AuthenticationSASLContinue: 11,
  AuthenticationSASLFinal: 12
} as const

const beginAuthentication = (w: Writer, code: number): number => {
  const at = w.beginMessage(0x52)
  w.int32(code)
  return at
}

const expectAuthenticationCode = (r: Reader, code: number): void => {
  const got = r.int32()
  if (got !== code) invalid(`authentication code ${got}, expected ${code}`)
}

export const AuthenticationOk = Schema.TaggedStruct("AuthenticationOk", {})
export type AuthenticationOk = typeof AuthenticationOk.Type
const authenticationOk: AuthenticationOk = Object.freeze({ _tag: "AuthenticationOk" })

export const encodeAuthenticationOk = (w: Writer, _m?: AuthenticationOk): void => {
  w.endMessage(beginAuthentication(w, 0))
}

export const decodeAuthenticationOk = (r: Reader): AuthenticationOk => {
  expectAuthenticationCode(r, 0)
  r.done("AuthenticationOk")
  return authenticationOk
}

export const AuthenticationKerberosV5 = Schema.TaggedStruct("AuthenticationKerberosV5", {})
export type AuthenticationKerberosV5 = typeof AuthenticationKerberosV5.Type
const authenticationKerberosV5: AuthenticationKerberosV5 = Object.freeze({ _tag: "AuthenticationKerberosV5" })

export const encodeAuthenticationKerberosV5 = (w: Writer, _m?: AuthenticationKerberosV5): void => {
  w.endMessage(beginAuthentication(w, 2))
}

export const decodeAuthenticationKerberosV5 = (r: Reader): AuthenticationKerberosV5 => {
  expectAuthenticationCode(r, 2)
  r.done("AuthenticationKerberosV5")
  return authenticationKerberosV5
}

export const AuthenticationCleartextPassword = Schema.TaggedStruct("AuthenticationCleartextPassword", {})
export type AuthenticationCleartextPassword = typeof AuthenticationCleartextPassword.Type
const authenticationCleartextPassword: AuthenticationCleartextPassword = Object.freeze({
  _tag: "AuthenticationCleartextPassword"
})

export const encodeAuthenticationCleartextPassword = (w: Writer, _m?: AuthenticationCleartextPassword): void => {
  w.endMessage(beginAuthentication(w, 3))
}

export const decodeAuthenticationCleartextPassword = (r: Reader): AuthenticationCleartextPassword => {
  expectAuthenticationCode(r, 3)
  r.done("AuthenticationCleartextPassword")
  return authenticationCleartextPassword
}

/** AuthenticationMD5Password: `salt` is 4 bytes (a copy). */
export const AuthenticationMD5Password = Schema.TaggedStruct("AuthenticationMD5Password", { salt: BytesOfLength(4) })
export type AuthenticationMD5Password = typeof AuthenticationMD5Password.Type

export const encodeAuthenticationMD5Password = (w: Writer, m: AuthenticationMD5Password): void => {
  const at = beginAuthentication(w, 5)
  w.bytes(m.salt)
  w.endMessage(at)
}

export const decodeAuthenticationMD5Password = (r: Reader): AuthenticationMD5Password => {
  expectAuthenticationCode(r, 5)
  const salt = readCopy(r, 4)
  r.done("AuthenticationMD5Password")
  return { _tag: "AuthenticationMD5Password", salt }
}

export const AuthenticationGSS = Schema.TaggedStruct("AuthenticationGSS", {})
export type AuthenticationGSS = typeof AuthenticationGSS.Type
const authenticationGSS: AuthenticationGSS = Object.freeze({ _tag: "AuthenticationGSS" })

export const encodeAuthenticationGSS = (w: Writer, _m?: AuthenticationGSS): void => {
  w.endMessage(beginAuthentication(w, 7))
}

export const decodeAuthenticationGSS = (r: Reader): AuthenticationGSS => {
  expectAuthenticationCode(r, 7)
  r.done("AuthenticationGSS")
  return authenticationGSS
}

/** AuthenticationGSSContinue: GSSAPI or SSPI data (a copy). */
export const AuthenticationGSSContinue = Schema.TaggedStruct("AuthenticationGSSContinue", { data: Bytes })
export type AuthenticationGSSContinue = typeof AuthenticationGSSContinue.Type

export const encodeAuthenticationGSSContinue = (w: Writer, m: AuthenticationGSSContinue): void => {
  const at = beginAuthentication(w, 8)
  w.bytes(m.data)
  w.endMessage(at)
}

export const decodeAuthenticationGSSContinue = (r: Reader): AuthenticationGSSContinue => {
  expectAuthenticationCode(r, 8)
  return { _tag: "AuthenticationGSSContinue", data: readCopy(r, r.remaining) }
}

export const AuthenticationSSPI = Schema.TaggedStruct("AuthenticationSSPI", {})
export type AuthenticationSSPI = typeof AuthenticationSSPI.Type
const authenticationSSPI: AuthenticationSSPI = Object.freeze({ _tag: "AuthenticationSSPI" })

export const encodeAuthenticationSSPI = (w: Writer, _m?: AuthenticationSSPI): void => {
  w.endMessage(beginAuthentication(w, 9))
}

export const decodeAuthenticationSSPI = (r: Reader): AuthenticationSSPI => {
  expectAuthenticationCode(r, 9)
  r.done("AuthenticationSSPI")
  return authenticationSSPI
}

/** AuthenticationSASL: the mechanisms the server offers, in its order of preference. */
export const AuthenticationSASL = Schema.TaggedStruct("AuthenticationSASL", {
  mechanisms: Schema.Array(NonEmptyCString)
})
export type AuthenticationSASL = typeof AuthenticationSASL.Type

export const encodeAuthenticationSASL = (w: Writer, m: AuthenticationSASL): void => {
  const at = beginAuthentication(w, 10)
  for (const name of m.mechanisms) w.cstring(name)
  w.int8(0)
  w.endMessage(at)
}

export const decodeAuthenticationSASL = (r: Reader): AuthenticationSASL => {
  expectAuthenticationCode(r, 10)
  const mechanisms: Array<string> = []
  for (;;) {
    const name = r.cstring()
    if (name === "") break
    mechanisms.push(name)
  }
  r.done("AuthenticationSASL")
  return { _tag: "AuthenticationSASL", mechanisms }
}

/** AuthenticationSASLContinue: a SASL challenge (a copy). */
export const AuthenticationSASLContinue = Schema.TaggedStruct("AuthenticationSASLContinue", { data: Bytes })
export type AuthenticationSASLContinue = typeof AuthenticationSASLContinue.Type

export const encodeAuthenticationSASLContinue = (w: Writer, m: AuthenticationSASLContinue): void => {
  const at = beginAuthentication(w, 11)
  w.bytes(m.data)
  w.endMessage(at)
}

export const decodeAuthenticationSASLContinue = (r: Reader): AuthenticationSASLContinue => {
  expectAuthenticationCode(r, 11)
  return { _tag: "AuthenticationSASLContinue", data: readCopy(r, r.remaining) }
}

/** AuthenticationSASLFinal: SASL outcome "additional data" (a copy). */
export const AuthenticationSASLFinal = Schema.TaggedStruct("AuthenticationSASLFinal", { data: Bytes })
export type AuthenticationSASLFinal = typeof AuthenticationSASLFinal.Type

export const encodeAuthenticationSASLFinal = (w: Writer, m: AuthenticationSASLFinal): void => {
  const at = beginAuthentication(w, 12)
  w.bytes(m.data)
  w.endMessage(at)
}

export const decodeAuthenticationSASLFinal = (r: Reader): AuthenticationSASLFinal => {
  expectAuthenticationCode(r, 12)
  return { _tag: "AuthenticationSASLFinal", data: readCopy(r, r.remaining) }
}

export const AuthenticationMessage = Schema.Union(
  AuthenticationOk,
  AuthenticationKerberosV5,
  AuthenticationCleartextPassword,
  AuthenticationMD5Password,
  AuthenticationGSS,
  AuthenticationGSSContinue,
  AuthenticationSSPI,
  AuthenticationSASL,
  AuthenticationSASLContinue,
  AuthenticationSASLFinal
)
export type AuthenticationMessage = typeof AuthenticationMessage.Type

/** Name of the 'R' message an authentication code announces, for error messages. */
export const authenticationName = (code: number): string => {
  for (const [name, c] of Object.entries(AuthenticationCode)) if (c === code) return name
  return "Authentication"
}

/** Decodes any 'R' message by its authentication code; an unknown code fails. */
export const decodeAuthentication = (r: Reader): AuthenticationMessage => {
  const at = r.pos
  const code = r.int32()
  r.pos = at
  switch (code) {
    case 0:
      return decodeAuthenticationOk(r)
    case 2:
      return decodeAuthenticationKerberosV5(r)
    case 3:
      return decodeAuthenticationCleartextPassword(r)
    case 5:
      return decodeAuthenticationMD5Password(r)
    case 7:
      return decodeAuthenticationGSS(r)
    case 8:
      return decodeAuthenticationGSSContinue(r)
    case 9:
      return decodeAuthenticationSSPI(r)
    case 10:
      return decodeAuthenticationSASL(r)
    case 11:
      return decodeAuthenticationSASLContinue(r)
    case 12:
      return decodeAuthenticationSASLFinal(r)
    default:
      return invalid(`unknown authentication code ${code}`)
  }
}

// --- startup ---------------------------------------------------------------------

/**
 * BackendKeyData: what a CancelRequest must quote. The secret key is 4 bytes
 * in protocol 3.0 and 4 to 256 bytes in 3.2 (the rest of the message); a copy.
 */
export const BackendKeyData = Schema.TaggedStruct("BackendKeyData", { processId: Int32, secretKey: SecretKey })
export type BackendKeyData = typeof BackendKeyData.Type

export const encodeBackendKeyData = (w: Writer, m: BackendKeyData): void => {
  const at = w.beginMessage(0x4b)
  w.int32(m.processId)
  w.bytes(m.secretKey)
  w.endMessage(at)
}

export const decodeBackendKeyData = (r: Reader): BackendKeyData => {
  const processId = r.int32()
  const n = r.remaining
  checkSecretKeyLength(n)
  return { _tag: "BackendKeyData", processId, secretKey: readCopy(r, n) }
}

/**
 * NegotiateProtocolVersion: the newest protocol version the server supports for
 * the requested major, and the `_pq_.` options it did not recognize.
 * protocol.sgml calls the first field the "newest minor version", but
 * PostgreSQL sends the whole version code ((major << 16) | minor, e.g. 196608
 * for 3.0: see the golden capture negotiate-3.2) and libpq 18 reads it as one,
 * so `newestVersion` holds the code as sent on the wire.
 */
export const NegotiateProtocolVersion = Schema.TaggedStruct("NegotiateProtocolVersion", {
  newestVersion: Int32,
  unrecognizedOptions: Schema.Array(CString)
})
export type NegotiateProtocolVersion = typeof NegotiateProtocolVersion.Type

export const encodeNegotiateProtocolVersion = (w: Writer, m: NegotiateProtocolVersion): void => {
  const at = w.beginMessage(0x76)
  w.int32(m.newestVersion)
  w.int32(m.unrecognizedOptions.length)
  for (const name of m.unrecognizedOptions) w.cstring(name)
  w.endMessage(at)
}

export const decodeNegotiateProtocolVersion = (r: Reader): NegotiateProtocolVersion => {
  const newestVersion = r.int32()
  const n = r.count32(1, "unrecognized options")
  const unrecognizedOptions = new Array<string>(n)
  for (let i = 0; i < n; i++) unrecognizedOptions[i] = r.cstring()
  r.done("NegotiateProtocolVersion")
  return { _tag: "NegotiateProtocolVersion", newestVersion, unrecognizedOptions }
}

export const ParameterStatus = Schema.TaggedStruct("ParameterStatus", { name: CString, value: CString })
export type ParameterStatus = typeof ParameterStatus.Type

export const encodeParameterStatus = (w: Writer, m: ParameterStatus): void => {
  const at = w.beginMessage(0x53)
  w.cstring(m.name)
  w.cstring(m.value)
  w.endMessage(at)
}

export const decodeParameterStatus = (r: Reader): ParameterStatus => {
  const name = r.cstring()
  const value = r.cstring()
  r.done("ParameterStatus")
  return { _tag: "ParameterStatus", name, value }
}

/** Transaction status: "I" idle, "T" in a transaction block, "E" in a failed one. */
export const TransactionStatus = Schema.Literal("I", "T", "E")
export type TransactionStatus = typeof TransactionStatus.Type

export const ReadyForQuery = Schema.TaggedStruct("ReadyForQuery", { status: TransactionStatus })
export type ReadyForQuery = typeof ReadyForQuery.Type
const readyIdle: ReadyForQuery = Object.freeze({ _tag: "ReadyForQuery", status: "I" })
const readyInTransaction: ReadyForQuery = Object.freeze({ _tag: "ReadyForQuery", status: "T" })
const readyFailed: ReadyForQuery = Object.freeze({ _tag: "ReadyForQuery", status: "E" })

export const encodeReadyForQuery = (w: Writer, m: ReadyForQuery): void => {
  const at = w.beginMessage(0x5a)
  w.int8(m.status.charCodeAt(0))
  w.endMessage(at)
}

export const decodeReadyForQuery = (r: Reader): ReadyForQuery => {
  const b = r.uint8()
  r.done("ReadyForQuery")
  switch (b) {
    case 0x49:
      return readyIdle
    case 0x54:
      return readyInTransaction
    case 0x45:
      return readyFailed
    default:
      return invalid(`transaction status byte ${b} is not 'I', 'T' or 'E'`)
  }
}

// --- query results -----------------------------------------------------------------

/** One column of a RowDescription. */
export const FieldDescription = Schema.Struct({
  name: CString,
  /** The table's OID if the column is a plain table column, else 0. */
  tableOid: UInt32,
  /** The column's attribute number in that table, else 0. */
  columnAttributeNumber: Int16,
  typeOid: UInt32,
  /** pg_type.typlen: negative for variable-width types. */
  typeSize: Int16,
  /** pg_attribute.atttypmod. */
  typeModifier: Int32,
  /** 0 text, 1 binary (always 0 in the answer to Describe of a statement). */
  format: FormatCode
})
export type FieldDescription = typeof FieldDescription.Type

export const RowDescription = Schema.TaggedStruct("RowDescription", { fields: Array16(FieldDescription) })
export type RowDescription = typeof RowDescription.Type

export const encodeRowDescription = (w: Writer, m: RowDescription): void => {
  const at = w.beginMessage(0x54)
  const fields = m.fields
  const n = fields.length
  w.int16(n)
  for (let i = 0; i < n; i++) {
    const f = fields[i]!
    w.cstring(f.name)
    w.uint32(f.tableOid)
    w.int16(f.columnAttributeNumber)
    w.uint32(f.typeOid)
    w.int16(f.typeSize)
    w.int32(f.typeModifier)
    w.int16(f.format)
  }
  w.endMessage(at)
}

// Each field is at least a NUL and 18 bytes of numbers.
const MIN_FIELD_DESCRIPTION_SIZE = 19

export const decodeRowDescription = (r: Reader): RowDescription => {
  const n = r.count16(MIN_FIELD_DESCRIPTION_SIZE, "fields")
  const buf = r.buf
  const end = r.end
  let p = r.pos
  const fields = new Array<FieldDescription>(n)
  // Inlined reads: one bounds check per field instead of one per number.
  for (let i = 0; i < n; i++) {
    const nul = buf.indexOf(0, p)
    if (nul < 0 || nul >= end) return invalid(`field ${i}: name has no terminator`)
    const name = buf.toString("utf8", p, nul)
    p = nul + 1
    if (end - p < 18) return invalid(`field ${i}: runs past the message`)
    const tableOid = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0
    const columnAttributeNumber = (((buf[p + 4]! << 8) | buf[p + 5]!) << 16) >> 16
    const typeOid = ((buf[p + 6]! << 24) | (buf[p + 7]! << 16) | (buf[p + 8]! << 8) | buf[p + 9]!) >>> 0
    const typeSize = (((buf[p + 10]! << 8) | buf[p + 11]!) << 16) >> 16
    const typeModifier = (buf[p + 12]! << 24) | (buf[p + 13]! << 16) | (buf[p + 14]! << 8) | buf[p + 15]!
    const format = (((buf[p + 16]! << 8) | buf[p + 17]!) << 16) >> 16
    p += 18
    fields[i] = { name, tableOid, columnAttributeNumber, typeOid, typeSize, typeModifier, format }
  }
  if (p !== end) return invalid(`${end - p} trailing bytes`)
  r.pos = p
  return { _tag: "RowDescription", fields }
}

/**
 * DataRow: one value per column, null for SQL NULL. Decoded values are views
 * into the input chunk (no copy): they stay valid as the framer never reuses
 * a chunk, but they keep the whole chunk alive; copy a value to keep it long.
 */
export const DataRow = Schema.TaggedStruct("DataRow", { values: Array16(NullableBytes) })
export type DataRow = typeof DataRow.Type

export const encodeDataRow = (w: Writer, m: DataRow): void => {
  const values = m.values
  const n = values.length
  const at = w.beginMessage(0x44)
  w.int16(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]!
    if (v === null) {
      w.int32(-1)
    } else {
      w.int32(v.length) // not byteLength: same value, read faster by V8
      w.bytes(v)
    }
  }
  w.endMessage(at)
}

/**
 * Builds a decoded DataRow. V8 pretenures an object-literal allocation site
 * once most of its objects outlive a scavenge (a caller that keeps the rows of
 * a result does that); from then on every DataRow of the process would be
 * allocated in old space, and decoding a row stream runs about 4x slower. A
 * constructor call has no allocation site. Its prototype is Object.prototype,
 * so a decoded DataRow stays a plain object like every other message.
 */
const PlainDataRow = function (this: { _tag: "DataRow"; values: Array<Uint8Array | null> }, values: Array<Uint8Array | null>) {
  this._tag = "DataRow"
  this.values = values
} as unknown as { new (values: Array<Uint8Array | null>): DataRow; prototype: object }
PlainDataRow.prototype = Object.prototype

// The chunk the last DataRow came from, with its ArrayBuffer and offset: the
// rows of one chunk come in a row, and reading byteOffset per row costs more.
let viewSource: Uint8Array | undefined
let viewBuffer: ArrayBufferLike = new ArrayBuffer(0)
let viewBase = 0

export const decodeDataRow = (r: Reader): DataRow => {
  const buf = r.buf
  const end = r.end
  let p = r.pos
  if (end - p < 2) return invalid("column count: needs 2 bytes")
  const n = (buf[p]! << 8) | buf[p + 1]!
  p += 2
  if (n * 4 > end - p) return invalid(`column count ${n} runs past the message`)
  const values = new Array<Uint8Array | null>(n)
  if (buf !== viewSource) {
    viewSource = buf
    viewBuffer = buf.buffer
    viewBase = buf.byteOffset
  }
  const ab = viewBuffer
  const base = viewBase
  for (let i = 0; i < n; i++) {
    if (end - p < 4) return invalid(`column ${i}: length runs past the message`)
    const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!
    p += 4
    if (len < 0) {
      if (len !== -1) return invalid(`column ${i}: negative length ${len}`)
      values[i] = null
    } else {
      if (len > end - p) return invalid(`column ${i}: length ${len} runs past the message`)
      values[i] = new Uint8Array(ab, base + p, len)
      p += len
    }
  }
  if (p !== end) return invalid(`${end - p} trailing bytes`)
  r.pos = p
  return new PlainDataRow(values)
}

/** CommandComplete: the command tag, e.g. "SELECT 3", "INSERT 0 1". */
export const CommandComplete = Schema.TaggedStruct("CommandComplete", { tag: CString })
export type CommandComplete = typeof CommandComplete.Type

export const encodeCommandComplete = (w: Writer, m: CommandComplete): void => {
  const at = w.beginMessage(0x43)
  w.cstring(m.tag)
  w.endMessage(at)
}

export const decodeCommandComplete = (r: Reader): CommandComplete => {
  const tag = r.cstring()
  r.done("CommandComplete")
  return { _tag: "CommandComplete", tag }
}

/** EmptyQueryResponse: replaces CommandComplete for an empty query string. */
export const EmptyQueryResponse = Schema.TaggedStruct("EmptyQueryResponse", {})
export type EmptyQueryResponse = typeof EmptyQueryResponse.Type
const emptyQueryResponse: EmptyQueryResponse = Object.freeze({ _tag: "EmptyQueryResponse" })

export const encodeEmptyQueryResponse = (w: Writer, _m?: EmptyQueryResponse): void => {
  w.endMessage(w.beginMessage(0x49))
}

export const decodeEmptyQueryResponse = (r: Reader): EmptyQueryResponse => {
  r.done("EmptyQueryResponse")
  return emptyQueryResponse
}

// --- errors and notices ------------------------------------------------------------

export const ErrorResponse = Schema.TaggedStruct("ErrorResponse", { fields: ErrorFields })
export type ErrorResponse = typeof ErrorResponse.Type

export const encodeErrorResponse = (w: Writer, m: ErrorResponse): void => {
  const at = w.beginMessage(0x45)
  encodeErrorFields(w, m.fields)
  w.endMessage(at)
}

export const decodeErrorResponse = (r: Reader): ErrorResponse => {
  const fields = decodeErrorFields(r)
  r.done("ErrorResponse")
  return { _tag: "ErrorResponse", fields }
}

export const NoticeResponse = Schema.TaggedStruct("NoticeResponse", { fields: ErrorFields })
export type NoticeResponse = typeof NoticeResponse.Type

export const encodeNoticeResponse = (w: Writer, m: NoticeResponse): void => {
  const at = w.beginMessage(0x4e)
  encodeErrorFields(w, m.fields)
  w.endMessage(at)
}

export const decodeNoticeResponse = (r: Reader): NoticeResponse => {
  const fields = decodeErrorFields(r)
  r.done("NoticeResponse")
  return { _tag: "NoticeResponse", fields }
}

// --- asynchronous ------------------------------------------------------------------

/** NotificationResponse: a NOTIFY on `channel` from backend `processId`. */
export const NotificationResponse = Schema.TaggedStruct("NotificationResponse", {
  processId: Int32,
  channel: CString,
  payload: CString
})
export type NotificationResponse = typeof NotificationResponse.Type

export const encodeNotificationResponse = (w: Writer, m: NotificationResponse): void => {
  const at = w.beginMessage(0x41)
  w.int32(m.processId)
  w.cstring(m.channel)
  w.cstring(m.payload)
  w.endMessage(at)
}

export const decodeNotificationResponse = (r: Reader): NotificationResponse => {
  const processId = r.int32()
  const channel = r.cstring()
  const payload = r.cstring()
  r.done("NotificationResponse")
  return { _tag: "NotificationResponse", processId, channel, payload }
}

// --- extended query ----------------------------------------------------------------

/** ParameterDescription: the type OID of each parameter of a described statement. */
export const ParameterDescription = Schema.TaggedStruct("ParameterDescription", { typeOids: Array16(UInt32) })
export type ParameterDescription = typeof ParameterDescription.Type

export const encodeParameterDescription = (w: Writer, m: ParameterDescription): void => {
  const at = w.beginMessage(0x74)
  writeOidList(w, m.typeOids)
  w.endMessage(at)
}

export const decodeParameterDescription = (r: Reader): ParameterDescription => {
  const typeOids = readOidList(r, "parameter types")
  r.done("ParameterDescription")
  return { _tag: "ParameterDescription", typeOids }
}

export const ParseComplete = Schema.TaggedStruct("ParseComplete", {})
export type ParseComplete = typeof ParseComplete.Type
const parseComplete: ParseComplete = Object.freeze({ _tag: "ParseComplete" })

export const encodeParseComplete = (w: Writer, _m?: ParseComplete): void => {
  w.endMessage(w.beginMessage(0x31))
}

export const decodeParseComplete = (r: Reader): ParseComplete => {
  r.done("ParseComplete")
  return parseComplete
}

export const BindComplete = Schema.TaggedStruct("BindComplete", {})
export type BindComplete = typeof BindComplete.Type
const bindComplete: BindComplete = Object.freeze({ _tag: "BindComplete" })

export const encodeBindComplete = (w: Writer, _m?: BindComplete): void => {
  w.endMessage(w.beginMessage(0x32))
}

export const decodeBindComplete = (r: Reader): BindComplete => {
  r.done("BindComplete")
  return bindComplete
}

export const CloseComplete = Schema.TaggedStruct("CloseComplete", {})
export type CloseComplete = typeof CloseComplete.Type
const closeComplete: CloseComplete = Object.freeze({ _tag: "CloseComplete" })

export const encodeCloseComplete = (w: Writer, _m?: CloseComplete): void => {
  w.endMessage(w.beginMessage(0x33))
}

export const decodeCloseComplete = (r: Reader): CloseComplete => {
  r.done("CloseComplete")
  return closeComplete
}

/** NoData: the described statement or portal returns no rows. */
export const NoData = Schema.TaggedStruct("NoData", {})
export type NoData = typeof NoData.Type
const noData: NoData = Object.freeze({ _tag: "NoData" })

export const encodeNoData = (w: Writer, _m?: NoData): void => {
  w.endMessage(w.beginMessage(0x6e))
}

export const decodeNoData = (r: Reader): NoData => {
  r.done("NoData")
  return noData
}

/** PortalSuspended: Execute's row limit was reached; the portal can be executed again. */
export const PortalSuspended = Schema.TaggedStruct("PortalSuspended", {})
export type PortalSuspended = typeof PortalSuspended.Type
const portalSuspended: PortalSuspended = Object.freeze({ _tag: "PortalSuspended" })

export const encodePortalSuspended = (w: Writer, _m?: PortalSuspended): void => {
  w.endMessage(w.beginMessage(0x73))
}

export const decodePortalSuspended = (r: Reader): PortalSuspended => {
  r.done("PortalSuspended")
  return portalSuspended
}

// --- function call -----------------------------------------------------------------

/** FunctionCallResponse: the result (null for SQL NULL), a view into the input. */
export const FunctionCallResponse = Schema.TaggedStruct("FunctionCallResponse", { result: NullableBytes })
export type FunctionCallResponse = typeof FunctionCallResponse.Type

export const encodeFunctionCallResponse = (w: Writer, m: FunctionCallResponse): void => {
  const at = w.beginMessage(0x56)
  writeNullableBytes(w, m.result)
  w.endMessage(at)
}

export const decodeFunctionCallResponse = (r: Reader): FunctionCallResponse => {
  const result = readNullableBytes(r, "result")
  r.done("FunctionCallResponse")
  return { _tag: "FunctionCallResponse", result }
}
