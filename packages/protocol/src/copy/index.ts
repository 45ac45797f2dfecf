// COPY data formats (text, CSV, binary) in both directions, as PostgreSQL reads and writes them:
// - parse: `makeCopyParser(options, columns)` (or CopyTextParser / CopyCsvParser /
//   CopyBinaryParser): push CopyData payloads, read rows; `decodeCopyStream` for a Stream;
// - write: `CopyEncoder` (header, rows or JS values through the type codecs, trailer) into a
//   reusable Writer; `encodeCopyStream` / `encodeCopyValuesStream` for a Stream;
// - statements: `parseCopyStatement(sql)` and `resolveCopyOptions` with PostgreSQL's checks.
// Errors: CopyFormatError (bad data, SQLSTATE 22P04/22021), CopyOptionsError, CopyEncodeError.
export {
  CopyEncodeError,
  CopyFormatError,
  CopyOptionsError,
  SQLSTATE_BAD_COPY_FILE_FORMAT,
  SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE
} from "./CopyErrors.js"
export {
  type CopyColumns,
  type CopyColumnSelection,
  type CopyDirection,
  type CopyFormatName,
  type CopyOptions,
  type ResolvedCopyOptions,
  resolveCopyOptions
} from "./CopyOptions.js"
export { type CopyStatement, parseCopyStatement } from "./CopyStatement.js"
export type { CopyBinaryRow, CopyRowParser, CopyTextRow } from "./CopyRowParser.js"
export { CopyTextParser } from "./CopyTextParser.js"
export { CopyCsvParser } from "./CopyCsvParser.js"
export { COPY_BINARY_SIGNATURE, CopyBinaryParser, MAX_COPY_BINARY_FIELD } from "./CopyBinaryParser.js"
export { type CopyRowOf, makeCopyParser, parseCopyRows } from "./makeCopyParser.js"
export { encodeCopyTextRow, writeCopyTextValue } from "./encodeText.js"
export { encodeCopyCsvRow, writeCopyCsvValue } from "./encodeCsv.js"
export { encodeCopyBinaryRow, writeCopyBinaryHeader, writeCopyBinaryTrailer } from "./encodeBinary.js"
export { CopyEncoder } from "./CopyEncoder.js"
export { decodeCopyValues, encodeCopyTextValues } from "./copyValues.js"
export { decodeCopyStream, encodeCopyStream, encodeCopyValuesStream } from "./copyStreams.js"
