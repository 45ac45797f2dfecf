export * from "./buffer/Reader.js"
export * from "./buffer/Writer.js"
export * from "./errors/ProtocolDecodeError.js"
export * from "./framer/MessageFramer.js"
export * from "./messages/replication.js"
export * as PgOutput from "./messages/pgoutput.js"
export {
  Array16,
  BINARY_FORMAT,
  Bytes,
  BytesOfLength,
  CString,
  FormatCode,
  Int8,
  Int16,
  Int32,
  Int64,
  MAX_SECRET_KEY_LENGTH,
  MIN_SECRET_KEY_LENGTH,
  NonEmptyCString,
  NullableBytes,
  SecretKey,
  TEXT_FORMAT,
  UInt16,
  UInt32,
  UInt64
} from "./messages/common.js"
export * from "./messages/startup.js"
export * from "./messages/frontend.js"
export * from "./messages/backend.js"
export * from "./messages/copy.js"
export * from "./messages/dispatch.js"
export * from "./messages/MessageStream.js"
export * from "./errors/ErrorFields.js"
export * from "./auth/index.js"
export * from "./errors/SqlState.js"
export * from "./types/index.js"
export * from "./copy/index.js"
export * from "./messages/textFastPaths.js"
