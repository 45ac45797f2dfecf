import type { Writer } from "../buffer/Writer.js"
import { CopyEncodeError } from "./CopyErrors.js"
import { type ResolvedCopyOptions, resolveCopyOptions } from "./CopyOptions.js"

const BACKSLASH = 0x5c
const NEWLINE = 0x0a

const defaultText = resolveCopyOptions({ format: "text" })

export const nulInValue = (): CopyEncodeError =>
  new CopyEncodeError({ reason: "a text value cannot contain a NUL character (PostgreSQL text cannot hold it)" })

/** The letter of the backslash escape PostgreSQL writes for a control character, or 0 if it writes it raw. */
const escapeLetter = (c: number): number => {
  switch (c) {
    case 0x08:
      return 0x62 // b
    case 0x0c:
      return 0x66 // f
    case 0x0a:
      return 0x6e // n
    case 0x0d:
      return 0x72 // r
    case 0x09:
      return 0x74 // t
    case 0x0b:
      return 0x76 // v
    default:
      return 0
  }
}

/**
 * Appends one value in text-format COPY escaping, byte for byte what
 * PostgreSQL's COPY TO writes: backslash, the delimiter and the control
 * characters `\b \f \n \r \t \v` are escaped; other control characters are
 * written as they are.
 */
export const writeCopyTextValue = (w: Writer, value: string, delimiter: number): void => {
  let run = 0
  const n = value.length
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    let escaped: number
    if (c < 0x20) {
      if (c === 0) throw nulInValue()
      escaped = escapeLetter(c)
      if (escaped === 0) {
        if (c !== delimiter) continue
        escaped = c
      }
    } else if (c === BACKSLASH || c === delimiter) {
      escaped = c
    } else {
      continue
    }
    if (run < i) w.string(value.slice(run, i))
    w.int8(BACKSLASH).int8(escaped)
    run = i + 1
  }
  w.string(run === 0 ? value : value.slice(run))
}

/**
 * Appends one row of text-format COPY data (`FORMAT text`): the fields
 * escaped, separated by the delimiter, NULL written as the NULL string, and a
 * newline. Throws `CopyEncodeError` for a value containing NUL.
 */
export const encodeCopyTextRow = (
  w: Writer,
  row: ReadonlyArray<string | null>,
  options: ResolvedCopyOptions = defaultText
): void => {
  const delimiter = options.delimiter.charCodeAt(0)
  for (let i = 0; i < row.length; i++) {
    if (i > 0) w.int8(delimiter)
    const v = row[i]
    if (v === null || v === undefined) w.string(options.null)
    else writeCopyTextValue(w, v, delimiter)
  }
  w.int8(NEWLINE)
}
