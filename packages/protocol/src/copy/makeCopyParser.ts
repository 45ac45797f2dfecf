import { CopyBinaryParser } from "./CopyBinaryParser.js"
import { CopyCsvParser } from "./CopyCsvParser.js"
import { type CopyColumns, type CopyOptions, resolveCopyOptions } from "./CopyOptions.js"
import type { CopyBinaryRow, CopyRowParser, CopyTextRow } from "./CopyRowParser.js"
import { CopyTextParser } from "./CopyTextParser.js"

/** The row type a parser of these options yields: bytes per field for binary, strings otherwise. */
export type CopyRowOf<O extends Pick<CopyOptions, "format">> = O["format"] extends "binary"
  ? CopyBinaryRow
  : "binary" extends O["format"]
    ? CopyTextRow | CopyBinaryRow
    : CopyTextRow

/** The parser for `options.format`. Throws `CopyOptionsError` for invalid options. */
export const makeCopyParser = <O extends CopyOptions>(options: O, columns?: CopyColumns): CopyRowParser<CopyRowOf<O>> => {
  const { format, ...rest } = options
  switch (format) {
    case "binary":
      return new CopyBinaryParser(rest, columns) as unknown as CopyRowParser<CopyRowOf<O>>
    case "csv":
      return new CopyCsvParser(rest, columns) as unknown as CopyRowParser<CopyRowOf<O>>
    case "text":
      return new CopyTextParser(rest, columns) as unknown as CopyRowParser<CopyRowOf<O>>
    default:
      resolveCopyOptions(options) // throws PostgreSQL's "COPY format ... not recognized"
      throw new Error("unreachable")
  }
}

/** Parses complete COPY data given as chunks: every row, `end()` included. Throws `CopyFormatError`. */
export const parseCopyRows = <O extends CopyOptions>(
  options: O,
  chunks: Iterable<Uint8Array>,
  columns?: CopyColumns
): Array<CopyRowOf<O>> => {
  const parser = makeCopyParser(options, columns)
  const rows: Array<CopyRowOf<O>> = []
  for (const chunk of chunks) {
    parser.push(chunk)
    for (let row = parser.next(); row !== undefined; row = parser.next()) rows.push(row)
  }
  rows.push(...parser.end())
  return rows
}
