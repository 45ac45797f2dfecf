import type { Writer } from "../buffer/Writer.js"
import { type ResolvedCopyOptions, resolveCopyOptions } from "./CopyOptions.js"
import { nulInValue } from "./encodeText.js"

const LF = 0x0a
const CR = 0x0d

const defaultCsv = resolveCopyOptions({ format: "csv" })
const never = (): boolean => false

/**
 * Appends one value in CSV COPY quoting, byte for byte what PostgreSQL's COPY
 * TO writes: quoted when `forceQuote`, when it contains the delimiter, the
 * quote, `\n` or `\r`, when it equals the NULL string (so it reads back as a
 * value), or when it is `\.` alone in a one-column row (so it is not read as
 * the end-of-data marker); inside quotes, QUOTE and ESCAPE are preceded by ESCAPE.
 */
export const writeCopyCsvValue = (
  w: Writer,
  value: string,
  options: ResolvedCopyOptions,
  forceQuote: boolean,
  singleColumn: boolean
): void => {
  const delimiter = options.delimiter.charCodeAt(0)
  const quote = options.quote.charCodeAt(0)
  const escape = options.escape.charCodeAt(0)
  const n = value.length
  let quoted = forceQuote || value === options.null || (singleColumn && value === "\\.")
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c === delimiter || c === quote || c === LF || c === CR) quoted = true
    else if (c === 0) throw nulInValue()
  }
  if (!quoted) {
    w.string(value)
    return
  }
  w.int8(quote)
  let run = 0
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c !== quote && c !== escape) continue
    // The character itself starts the next run, after its escape.
    if (run < i) w.string(value.slice(run, i))
    w.int8(escape)
    run = i
  }
  w.string(run === 0 ? value : value.slice(run))
  w.int8(quote)
}

/**
 * Appends one row of CSV COPY data (`FORMAT csv`): fields quoted as needed,
 * separated by the delimiter, NULL written as the NULL string (unquoted), and
 * a newline. `forceQuote(i)` is FORCE_QUOTE for column `i`. Throws
 * `CopyEncodeError` for a value containing NUL.
 */
export const encodeCopyCsvRow = (
  w: Writer,
  row: ReadonlyArray<string | null>,
  options: ResolvedCopyOptions = defaultCsv,
  forceQuote: (index: number) => boolean = never
): void => {
  const delimiter = options.delimiter.charCodeAt(0)
  const single = row.length === 1
  for (let i = 0; i < row.length; i++) {
    if (i > 0) w.int8(delimiter)
    const v = row[i]
    if (v === null || v === undefined) w.string(options.null)
    else writeCopyCsvValue(w, v, options, forceQuote(i), single)
  }
  w.int8(LF)
}
