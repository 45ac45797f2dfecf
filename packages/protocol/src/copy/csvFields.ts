import type { ByteScratch } from "./ByteScratch.js"
import { formatError } from "./CopyErrors.js"
import { rangeEquals } from "./rangeEquals.js"

/**
 * Splits one line of CSV COPY data (already checked to be UTF-8 without NUL;
 * it may span several physical lines when a quoted field holds newlines) into
 * fields, as PostgreSQL's COPY FROM does: quoted and unquoted parts may
 * alternate within a field (`a"b,c"d` is `ab,cd`); inside quotes ESCAPE before
 * QUOTE or ESCAPE stands for that character; a field is NULL when it has no
 * quote at all and its raw bytes equal the NULL string (so `""` is an empty
 * string, not NULL). An unterminated quoted field throws `CopyFormatError`.
 */
export const splitCsvLine = (
  b: Buffer,
  s: number,
  e: number,
  delimiter: number,
  quote: number,
  escape: number,
  nullBytes: Uint8Array,
  scratch: ByteScratch,
  line: number,
  out: Array<string | null>
): void => {
  let p = s
  for (;;) {
    const fieldStart = p
    let foundDelimiter = false
    // Fast path: an unquoted field is a slice of the line.
    while (p < e) {
      const c = b[p]!
      if (c === delimiter || c === quote) break
      p++
    }
    let rawEnd = p
    if (p < e && b[p] === quote) {
      scratch.length = 0
      scratch.range(b, fieldStart, p)
      p++
      for (;;) {
        // In quotes.
        for (;;) {
          if (p >= e) throw formatError("unterminated CSV quoted field", line)
          const c = b[p++]!
          if (c === escape && p < e) {
            const next = b[p]!
            if (next === escape || next === quote) {
              scratch.byte(next)
              p++
              continue
            }
          }
          if (c === quote) break
          scratch.byte(c)
        }
        // Out of quotes, until the delimiter, the end, or another quote.
        let reopened = false
        for (;;) {
          rawEnd = p
          if (p >= e) break
          const c = b[p++]!
          if (c === delimiter) {
            foundDelimiter = true
            break
          }
          if (c === quote) {
            reopened = true
            break
          }
          scratch.byte(c)
        }
        if (!reopened) break
      }
      out.push(scratch.buf.toString("utf8", 0, scratch.length))
    } else {
      if (p < e) {
        foundDelimiter = true
        p++
      }
      out.push(rangeEquals(b, fieldStart, rawEnd, nullBytes) ? null : b.toString("utf8", fieldStart, rawEnd))
    }
    if (!foundDelimiter) return
  }
}
