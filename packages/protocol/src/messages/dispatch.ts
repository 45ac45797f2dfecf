/**
 * Per-direction message unions, encoders and decoders that switch on the tag
 * or the type byte, and the typed error every decode failure becomes.
 */
import { Schema } from "effect"
import { Reader } from "../buffer/Reader.js"
import { Writer } from "../buffer/Writer.js"
import { ProtocolDecodeError } from "../errors/ProtocolDecodeError.js"
import { UNTYPED } from "../framer/MessageFramer.js"
import * as B from "./backend.js"
import * as C from "./copy.js"
import * as F from "./frontend.js"
import * as S from "./startup.js"

export const FrontendMessage = Schema.Union(
  S.StartupMessage,
  S.SSLRequest,
  S.GSSENCRequest,
  S.CancelRequest,
  F.PasswordMessage,
  F.SASLInitialResponse,
  F.SASLResponse,
  F.GSSResponse,
  F.Query,
  F.Parse,
  F.Bind,
  F.Describe,
  F.Execute,
  F.Close,
  F.Flush,
  F.Sync,
  F.Terminate,
  F.FunctionCall,
  C.CopyData,
  C.CopyDone,
  C.CopyFail
)
export type FrontendMessage = typeof FrontendMessage.Type

export const BackendMessage = Schema.Union(
  B.AuthenticationOk,
  B.AuthenticationKerberosV5,
  B.AuthenticationCleartextPassword,
  B.AuthenticationMD5Password,
  B.AuthenticationGSS,
  B.AuthenticationGSSContinue,
  B.AuthenticationSSPI,
  B.AuthenticationSASL,
  B.AuthenticationSASLContinue,
  B.AuthenticationSASLFinal,
  B.BackendKeyData,
  B.NegotiateProtocolVersion,
  B.ParameterStatus,
  B.ReadyForQuery,
  B.RowDescription,
  B.DataRow,
  B.CommandComplete,
  B.EmptyQueryResponse,
  B.ErrorResponse,
  B.NoticeResponse,
  B.NotificationResponse,
  B.ParameterDescription,
  B.ParseComplete,
  B.BindComplete,
  B.CloseComplete,
  B.NoData,
  B.PortalSuspended,
  B.FunctionCallResponse,
  C.CopyInResponse,
  C.CopyOutResponse,
  C.CopyBothResponse,
  C.CopyData,
  C.CopyDone
)
export type BackendMessage = typeof BackendMessage.Type

// --- encoding --------------------------------------------------------------------

/** Appends the whole message (type byte, length, body) to `w`. */
export const encodeFrontendMessage = (w: Writer, m: FrontendMessage): void => {
  switch (m._tag) {
    case "StartupMessage":
      return S.encodeStartupMessage(w, m)
    case "SSLRequest":
      return S.encodeSSLRequest(w, m)
    case "GSSENCRequest":
      return S.encodeGSSENCRequest(w, m)
    case "CancelRequest":
      return S.encodeCancelRequest(w, m)
    case "PasswordMessage":
      return F.encodePasswordMessage(w, m)
    case "SASLInitialResponse":
      return F.encodeSASLInitialResponse(w, m)
    case "SASLResponse":
      return F.encodeSASLResponse(w, m)
    case "GSSResponse":
      return F.encodeGSSResponse(w, m)
    case "Query":
      return F.encodeQuery(w, m)
    case "Parse":
      return F.encodeParse(w, m)
    case "Bind":
      return F.encodeBind(w, m)
    case "Describe":
      return F.encodeDescribe(w, m)
    case "Execute":
      return F.encodeExecute(w, m)
    case "Close":
      return F.encodeClose(w, m)
    case "Flush":
      return F.encodeFlush(w, m)
    case "Sync":
      return F.encodeSync(w, m)
    case "Terminate":
      return F.encodeTerminate(w, m)
    case "FunctionCall":
      return F.encodeFunctionCall(w, m)
    case "CopyData":
      return C.encodeCopyData(w, m)
    case "CopyDone":
      return C.encodeCopyDone(w, m)
    case "CopyFail":
      return C.encodeCopyFail(w, m)
    default:
      return unknownTag("frontend", m)
  }
}

/** Appends the whole message (type byte, length, body) to `w`. */
export const encodeBackendMessage = (w: Writer, m: BackendMessage): void => {
  switch (m._tag) {
    case "DataRow":
      return B.encodeDataRow(w, m)
    case "AuthenticationOk":
      return B.encodeAuthenticationOk(w, m)
    case "AuthenticationKerberosV5":
      return B.encodeAuthenticationKerberosV5(w, m)
    case "AuthenticationCleartextPassword":
      return B.encodeAuthenticationCleartextPassword(w, m)
    case "AuthenticationMD5Password":
      return B.encodeAuthenticationMD5Password(w, m)
    case "AuthenticationGSS":
      return B.encodeAuthenticationGSS(w, m)
    case "AuthenticationGSSContinue":
      return B.encodeAuthenticationGSSContinue(w, m)
    case "AuthenticationSSPI":
      return B.encodeAuthenticationSSPI(w, m)
    case "AuthenticationSASL":
      return B.encodeAuthenticationSASL(w, m)
    case "AuthenticationSASLContinue":
      return B.encodeAuthenticationSASLContinue(w, m)
    case "AuthenticationSASLFinal":
      return B.encodeAuthenticationSASLFinal(w, m)
    case "BackendKeyData":
      return B.encodeBackendKeyData(w, m)
    case "NegotiateProtocolVersion":
      return B.encodeNegotiateProtocolVersion(w, m)
    case "ParameterStatus":
      return B.encodeParameterStatus(w, m)
    case "ReadyForQuery":
      return B.encodeReadyForQuery(w, m)
    case "RowDescription":
      return B.encodeRowDescription(w, m)
    case "CommandComplete":
      return B.encodeCommandComplete(w, m)
    case "EmptyQueryResponse":
      return B.encodeEmptyQueryResponse(w, m)
    case "ErrorResponse":
      return B.encodeErrorResponse(w, m)
    case "NoticeResponse":
      return B.encodeNoticeResponse(w, m)
    case "NotificationResponse":
      return B.encodeNotificationResponse(w, m)
    case "ParameterDescription":
      return B.encodeParameterDescription(w, m)
    case "ParseComplete":
      return B.encodeParseComplete(w, m)
    case "BindComplete":
      return B.encodeBindComplete(w, m)
    case "CloseComplete":
      return B.encodeCloseComplete(w, m)
    case "NoData":
      return B.encodeNoData(w, m)
    case "PortalSuspended":
      return B.encodePortalSuspended(w, m)
    case "FunctionCallResponse":
      return B.encodeFunctionCallResponse(w, m)
    case "CopyInResponse":
      return C.encodeCopyInResponse(w, m)
    case "CopyOutResponse":
      return C.encodeCopyOutResponse(w, m)
    case "CopyBothResponse":
      return C.encodeCopyBothResponse(w, m)
    case "CopyData":
      return C.encodeCopyData(w, m)
    case "CopyDone":
      return C.encodeCopyDone(w, m)
    default:
      return unknownTag("backend", m)
  }
}

// Only reachable from untyped code: a message object the unions do not describe.
const unknownTag = (direction: string, m: never): never => {
  throw new TypeError(`not a ${direction} message: _tag ${JSON.stringify((m as { _tag?: unknown })._tag)}`)
}

const frontendTags: ReadonlySet<string> = new Set<FrontendMessage["_tag"]>([
  "StartupMessage",
  "SSLRequest",
  "GSSENCRequest",
  "CancelRequest",
  "PasswordMessage",
  "SASLInitialResponse",
  "SASLResponse",
  "GSSResponse",
  "Query",
  "Parse",
  "Bind",
  "Describe",
  "Execute",
  "Close",
  "Flush",
  "Sync",
  "Terminate",
  "FunctionCall",
  "CopyData",
  "CopyDone",
  "CopyFail"
])

/** The bytes of one or more messages of either direction, as a fresh buffer. For tests and tools, not the hot path. */
export const encodeToBytes = (...messages: ReadonlyArray<FrontendMessage | BackendMessage>): Uint8Array => {
  const w = new Writer(256)
  for (const m of messages) {
    if (frontendTags.has(m._tag)) encodeFrontendMessage(w, m as FrontendMessage)
    else encodeBackendMessage(w, m as BackendMessage)
  }
  return w.take()
}

// --- decoding --------------------------------------------------------------------

/**
 * Which message a frontend 'p' is: the protocol reuses that type byte for
 * every authentication response, so the server says what its auth phase expects.
 */
export type AuthContext = "password" | "sasl-initial" | "sasl" | "gss"

// One reader re-targeted per message: decoding allocates only the messages.
const reader = new Reader(new Uint8Array(0))

// The Reader reads through a Buffer; a plain Uint8Array chunk gets one Buffer
// view, reused for every message framed from that chunk.
let lastInput: Uint8Array | undefined
let lastBuffer: Buffer = Buffer.alloc(0)
const asBuffer = (b: Uint8Array): Buffer => {
  // Checked first: the messages of one chunk come in a row, and Buffer.isBuffer costs more.
  if (b === lastInput) return lastBuffer
  lastInput = b
  lastBuffer = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)
  return lastBuffer
}

const typeName = (type: number): string =>
  type >= 0x20 && type < 0x7f ? `'${String.fromCharCode(type)}' (0x${type.toString(16)})` : `0x${type.toString(16)}`

const toDecodeError = (e: unknown, messageName: string): ProtocolDecodeError => {
  if (e instanceof ProtocolDecodeError) return e
  // ReadPastEnd and `invalid` carry their reason; anything else is still bad input, not a crash.
  const reason = e instanceof Error ? e.message : String(e)
  return new ProtocolDecodeError({ messageName, reason })
}

const frontendName = (type: number, authContext: AuthContext): string => {
  switch (type) {
    case UNTYPED:
      return "StartupMessage"
    case 0x42:
      return "Bind"
    case 0x43:
      return "Close"
    case 0x64:
      return "CopyData"
    case 0x63:
      return "CopyDone"
    case 0x66:
      return "CopyFail"
    case 0x44:
      return "Describe"
    case 0x45:
      return "Execute"
    case 0x48:
      return "Flush"
    case 0x46:
      return "FunctionCall"
    case 0x50:
      return "Parse"
    case 0x70:
      return authContext === "sasl-initial"
        ? "SASLInitialResponse"
        : authContext === "sasl"
          ? "SASLResponse"
          : authContext === "gss"
            ? "GSSResponse"
            : "PasswordMessage"
    case 0x51:
      return "Query"
    case 0x53:
      return "Sync"
    case 0x58:
      return "Terminate"
    default:
      return "FrontendMessage"
  }
}

const decodeAuthenticationResponse = (r: Reader, authContext: AuthContext): FrontendMessage => {
  switch (authContext) {
    case "sasl-initial":
      return F.decodeSASLInitialResponse(r)
    case "sasl":
      return F.decodeSASLResponse(r)
    case "gss":
      return F.decodeGSSResponse(r)
    default:
      return F.decodePasswordMessage(r)
  }
}

const decodeFrontendBody = (type: number, r: Reader, authContext: AuthContext): FrontendMessage => {
  switch (type) {
    case 0x42:
      return F.decodeBind(r)
    case 0x45:
      return F.decodeExecute(r)
    case 0x53:
      return F.decodeSync(r)
    case 0x50:
      return F.decodeParse(r)
    case 0x44:
      return F.decodeDescribe(r)
    case 0x51:
      return F.decodeQuery(r)
    case 0x64:
      return C.decodeCopyData(r)
    case 0x63:
      return C.decodeCopyDone(r)
    case 0x66:
      return C.decodeCopyFail(r)
    case 0x43:
      return F.decodeClose(r)
    case 0x48:
      return F.decodeFlush(r)
    case 0x58:
      return F.decodeTerminate(r)
    case 0x46:
      return F.decodeFunctionCall(r)
    case 0x70:
      return decodeAuthenticationResponse(r, authContext)
    case UNTYPED:
      return S.decodeStartupPacket(r)
    default:
      throw new ProtocolDecodeError({ messageName: "FrontendMessage", reason: `unknown type byte ${typeName(type)}` })
  }
}

/**
 * Decodes the frontend message whose body is `buffer[start, end)` (as
 * `MessageFramer` yields it). `type` UNTYPED decodes a startup packet by its
 * request code. Throws `ProtocolDecodeError` for any bad input. Byte fields
 * of Bind, FunctionCall and CopyData are views into `buffer`.
 */
export const decodeFrontendMessage = (
  type: number,
  buffer: Uint8Array,
  start: number,
  end: number,
  authContext: AuthContext = "password"
): FrontendMessage => {
  const r = reader.reset(asBuffer(buffer), start, end)
  try {
    return decodeFrontendBody(type, r, authContext)
  } catch (e) {
    throw toDecodeError(
      e,
      type === UNTYPED && end - start >= 4
        ? S.startupPacketName(S.peekInt32(reader.reset(buffer, start, end)))
        : frontendName(type, authContext)
    )
  }
}

const backendName = (type: number, buffer: Uint8Array, start: number, end: number): string => {
  switch (type) {
    case 0x52:
      return end - start >= 4 ? B.authenticationName(S.peekInt32(reader.reset(buffer, start, end))) : "Authentication"
    case 0x4b:
      return "BackendKeyData"
    case 0x32:
      return "BindComplete"
    case 0x33:
      return "CloseComplete"
    case 0x43:
      return "CommandComplete"
    case 0x57:
      return "CopyBothResponse"
    case 0x64:
      return "CopyData"
    case 0x63:
      return "CopyDone"
    case 0x47:
      return "CopyInResponse"
    case 0x48:
      return "CopyOutResponse"
    case 0x44:
      return "DataRow"
    case 0x49:
      return "EmptyQueryResponse"
    case 0x45:
      return "ErrorResponse"
    case 0x56:
      return "FunctionCallResponse"
    case 0x76:
      return "NegotiateProtocolVersion"
    case 0x6e:
      return "NoData"
    case 0x4e:
      return "NoticeResponse"
    case 0x41:
      return "NotificationResponse"
    case 0x74:
      return "ParameterDescription"
    case 0x53:
      return "ParameterStatus"
    case 0x31:
      return "ParseComplete"
    case 0x73:
      return "PortalSuspended"
    case 0x5a:
      return "ReadyForQuery"
    case 0x54:
      return "RowDescription"
    default:
      return "BackendMessage"
  }
}

const decodeBackendBody = (type: number, r: Reader): BackendMessage => {
  switch (type) {
    case 0x44:
      return B.decodeDataRow(r)
    case 0x43:
      return B.decodeCommandComplete(r)
    case 0x54:
      return B.decodeRowDescription(r)
    case 0x5a:
      return B.decodeReadyForQuery(r)
    case 0x64:
      return C.decodeCopyData(r)
    case 0x31:
      return B.decodeParseComplete(r)
    case 0x32:
      return B.decodeBindComplete(r)
    case 0x33:
      return B.decodeCloseComplete(r)
    case 0x6e:
      return B.decodeNoData(r)
    case 0x73:
      return B.decodePortalSuspended(r)
    case 0x74:
      return B.decodeParameterDescription(r)
    case 0x49:
      return B.decodeEmptyQueryResponse(r)
    case 0x45:
      return B.decodeErrorResponse(r)
    case 0x4e:
      return B.decodeNoticeResponse(r)
    case 0x41:
      return B.decodeNotificationResponse(r)
    case 0x53:
      return B.decodeParameterStatus(r)
    case 0x52:
      return B.decodeAuthentication(r)
    case 0x4b:
      return B.decodeBackendKeyData(r)
    case 0x76:
      return B.decodeNegotiateProtocolVersion(r)
    case 0x56:
      return B.decodeFunctionCallResponse(r)
    case 0x47:
      return C.decodeCopyInResponse(r)
    case 0x48:
      return C.decodeCopyOutResponse(r)
    case 0x57:
      return C.decodeCopyBothResponse(r)
    case 0x63:
      return C.decodeCopyDone(r)
    default:
      throw new ProtocolDecodeError({ messageName: "BackendMessage", reason: `unknown type byte ${typeName(type)}` })
  }
}

/**
 * Decodes the backend message whose body is `buffer[start, end)` (as
 * `MessageFramer` yields it). Throws `ProtocolDecodeError` for any bad input.
 * DataRow values, CopyData data and FunctionCallResponse results are views
 * into `buffer`.
 */
export const decodeBackendMessage = (type: number, buffer: Uint8Array, start: number, end: number): BackendMessage => {
  const r = reader.reset(asBuffer(buffer), start, end)
  try {
    return decodeBackendBody(type, r)
  } catch (e) {
    throw toDecodeError(e, backendName(type, buffer, start, end))
  }
}
