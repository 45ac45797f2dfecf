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
