/**
 * The untyped packets a frontend may open a connection with: StartupMessage,
 * SSLRequest, GSSENCRequest and CancelRequest. They have no type byte; the
 * first Int32 of the body (a protocol version or a request code) tells them
 * apart. Decoders read the whole body after the length word, that Int32 included.
 */
import { Schema } from "effect"
import type { Reader } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"
import {
  CString,
  Int32,
  NonEmptyCString,
  SecretKey,
  UInt16,
  checkSecretKeyLength,
  invalid,
  readCopy
} from "./common.js"

/** 1234 in the high 16 bits marks a request code rather than a protocol version. */
export const REQUEST_CODE_MAJOR = 1234
export const CANCEL_REQUEST_CODE = 80877102
export const SSL_REQUEST_CODE = 80877103
export const GSSENC_REQUEST_CODE = 80877104

export const ProtocolVersion = Schema.Struct({
  /** Any major except 1234, which would read as a request code. */
  major: UInt16.pipe(Schema.filter((n) => n !== REQUEST_CODE_MAJOR, { description: "not 1234" })),
  minor: UInt16
})
export type ProtocolVersion = typeof ProtocolVersion.Type

export const PROTOCOL_3_0: ProtocolVersion = Object.freeze({ major: 3, minor: 0 })
export const PROTOCOL_3_2: ProtocolVersion = Object.freeze({ major: 3, minor: 2 })

/** The Int32 form of a version (3.2 is 0x00030002). */
export const protocolVersionCode = (v: ProtocolVersion): number => ((v.major << 16) | v.minor) >>> 0

// ---------------------------------------------------------------------------

/**
 * StartupMessage. `parameters` holds the name/value pairs (`user` is
 * required by PostgreSQL, the server checks that; `_pq_.` names are protocol
 * options); a repeated name keeps its last value, as in PostgreSQL. Names
 * cannot be empty: an empty name is the list terminator on the wire.
 */
export const StartupMessage = Schema.TaggedStruct("StartupMessage", {
  protocolVersion: ProtocolVersion,
  parameters: Schema.Record({ key: NonEmptyCString, value: CString })
})
export type StartupMessage = typeof StartupMessage.Type

export const encodeStartupMessage = (w: Writer, m: StartupMessage): void => {
  const at = w.beginMessage(0)
  w.int32(protocolVersionCode(m.protocolVersion))
  for (const name of Object.keys(m.parameters)) w.cstring(name).cstring(m.parameters[name]!)
  w.int8(0)
  w.endMessage(at)
}

export const decodeStartupMessage = (r: Reader): StartupMessage => {
  const version = r.int32()
  if (version >>> 16 === REQUEST_CODE_MAJOR) invalid(`request code ${version} is not a protocol version`)
  const parameters: Record<string, string> = {}
  for (;;) {
    const name = r.cstring()
    if (name === "") break
    const value = r.cstring()
    // An own property even for "__proto__", which plain assignment would swallow.
    if (name === "__proto__") {
      Object.defineProperty(parameters, name, { value, enumerable: true, writable: true, configurable: true })
    } else {
      parameters[name] = value
    }
  }
  r.done("StartupMessage")
  return {
    _tag: "StartupMessage",
    protocolVersion: { major: version >>> 16, minor: version & 0xffff },
    parameters
  }
}

// ---------------------------------------------------------------------------

/** SSLRequest: asks to upgrade the connection to TLS; answered with one byte 'S' or 'N'. */
export const SSLRequest = Schema.TaggedStruct("SSLRequest", {})
export type SSLRequest = typeof SSLRequest.Type
const sslRequest: SSLRequest = Object.freeze({ _tag: "SSLRequest" })

export const encodeSSLRequest = (w: Writer, _m?: SSLRequest): void => {
  const at = w.beginMessage(0)
  w.int32(SSL_REQUEST_CODE)
  w.endMessage(at)
}

export const decodeSSLRequest = (r: Reader): SSLRequest => {
  expectCode(r, SSL_REQUEST_CODE)
  r.done("SSLRequest")
  return sslRequest
}

/** GSSENCRequest: asks for GSSAPI encryption; answered with one byte 'G' or 'N'. */
export const GSSENCRequest = Schema.TaggedStruct("GSSENCRequest", {})
export type GSSENCRequest = typeof GSSENCRequest.Type
const gssencRequest: GSSENCRequest = Object.freeze({ _tag: "GSSENCRequest" })

export const encodeGSSENCRequest = (w: Writer, _m?: GSSENCRequest): void => {
  const at = w.beginMessage(0)
  w.int32(GSSENC_REQUEST_CODE)
  w.endMessage(at)
}

export const decodeGSSENCRequest = (r: Reader): GSSENCRequest => {
  expectCode(r, GSSENC_REQUEST_CODE)
  r.done("GSSENCRequest")
  return gssencRequest
}

/**
 * CancelRequest, sent on a new connection. The secret key is 4 bytes in
 * protocol 3.0 and 4 to 256 bytes in 3.2 (the rest of the packet); it is a
 * copy, not a view.
 */
export const CancelRequest = Schema.TaggedStruct("CancelRequest", {
  processId: Int32,
  secretKey: SecretKey
})
export type CancelRequest = typeof CancelRequest.Type

export const encodeCancelRequest = (w: Writer, m: CancelRequest): void => {
  const at = w.beginMessage(0)
  w.int32(CANCEL_REQUEST_CODE)
  w.int32(m.processId)
  w.bytes(m.secretKey)
  w.endMessage(at)
}

export const decodeCancelRequest = (r: Reader): CancelRequest => {
  expectCode(r, CANCEL_REQUEST_CODE)
  const processId = r.int32()
  const n = r.remaining
  checkSecretKeyLength(n)
  return { _tag: "CancelRequest", processId, secretKey: readCopy(r, n) }
}

// ---------------------------------------------------------------------------

export type StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest
export const StartupPacket = Schema.Union(StartupMessage, SSLRequest, GSSENCRequest, CancelRequest)

/** Name of the untyped packet a first Int32 announces, for error messages. */
export const startupPacketName = (code: number): string =>
  code === CANCEL_REQUEST_CODE
    ? "CancelRequest"
    : code === SSL_REQUEST_CODE
      ? "SSLRequest"
      : code === GSSENC_REQUEST_CODE
        ? "GSSENCRequest"
        : code >>> 16 === REQUEST_CODE_MAJOR
          ? "request"
          : "StartupMessage"

/** Decodes any untyped packet by its first Int32; an unknown request code fails. */
export const decodeStartupPacket = (r: Reader): StartupPacket => {
  const code = peekInt32(r)
  switch (code) {
    case CANCEL_REQUEST_CODE:
      return decodeCancelRequest(r)
    case SSL_REQUEST_CODE:
      return decodeSSLRequest(r)
    case GSSENC_REQUEST_CODE:
      return decodeGSSENCRequest(r)
  }
  if (code >>> 16 === REQUEST_CODE_MAJOR) return invalid(`unknown request code ${code}`)
  return decodeStartupMessage(r)
}

/** The first Int32 of an untyped packet, without moving the reader. */
export const peekInt32 = (r: Reader): number => {
  const at = r.pos
  const v = r.int32()
  r.pos = at
  return v
}

const expectCode = (r: Reader, code: number): void => {
  const got = r.int32()
  if (got !== code) invalid(`request code ${got}, expected ${code}`)
}
