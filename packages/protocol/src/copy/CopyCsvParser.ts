import { splitCsvLine } from "./csvFields.js"
import { type CopyColumns, type CopyOptions, expectedColumnCount, selectColumns } from "./CopyOptions.js"
import type { CopyTextRow } from "./CopyRowParser.js"
import { LineRowParser } from "./LineRowParser.js"

/**
 * Incremental parser of CSV COPY data (`FORMAT csv`): rows of strings, null
 * for an unquoted NULL string (default: an empty unquoted field). Applies
 * FORCE_NOT_NULL and FORCE_NULL (by column name, which needs `columns.names`,
 * or `*`); FORCE_QUOTE, an output option, is ignored. See `CopyRowParser`.
 */
export class CopyCsvParser extends LineRowParser {
  private readonly quoteByte: number
  private readonly escapeByte: number
  private readonly forceNotNull: (index: number) => boolean
  private readonly forceNull: (index: number) => boolean
  private readonly forcing: boolean

  constructor(options: Omit<CopyOptions, "format"> = {}, columns?: CopyColumns) {
    super("csv", { ...options, format: "csv" }, columns)
    const o = this.options
    this.quoteByte = o.quote.charCodeAt(0)
    this.escapeByte = o.escape.charCodeAt(0)
    const count = expectedColumnCount(columns)
    this.forceNotNull = selectColumns(o.forceNotNull, "FORCE_NOT_NULL", columns?.names, count)
    this.forceNull = selectColumns(o.forceNull, "FORCE_NULL", columns?.names, count)
    this.forcing = o.forceNotNull.length > 0 || o.forceNull.length > 0
  }

  protected split(b: Buffer, s: number, e: number, line: number, out: CopyTextRow): void {
    splitCsvLine(b, s, e, this.delimiterByte, this.quoteByte, this.escapeByte, this.nullBytes, this.scratch, line, out)
  }

  protected override adjust(row: CopyTextRow): void {
    if (!this.forcing) return
    const nullString = this.options.null
    for (let i = 0; i < row.length; i++) {
      const v = row[i]
      if (v === null) {
        if (this.forceNotNull(i)) row[i] = nullString
      } else if (this.forceNull(i) && v === nullString) {
        row[i] = null
      }
    }
  }
}
