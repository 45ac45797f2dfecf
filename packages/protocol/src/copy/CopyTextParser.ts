import type { CopyColumns, CopyOptions } from "./CopyOptions.js"
import type { CopyTextRow } from "./CopyRowParser.js"
import { LineRowParser } from "./LineRowParser.js"
import { splitTextLine } from "./textFields.js"

/**
 * Incremental parser of text-format COPY data (`FORMAT text`): rows of
 * strings, null for the NULL string (default `\N`). See `CopyRowParser`.
 * `columns.count` (or `names.length`) makes rows with another field count an
 * error; `names` is needed for HEADER MATCH.
 */
export class CopyTextParser extends LineRowParser {
  constructor(options: Omit<CopyOptions, "format"> = {}, columns?: CopyColumns) {
    super("text", { ...options, format: "text" }, columns)
  }

  protected split(b: Buffer, s: number, e: number, line: number, out: CopyTextRow): void {
    splitTextLine(b, s, e, this.delimiterByte, this.nullBytes, this.scratch, line, out)
  }
}
