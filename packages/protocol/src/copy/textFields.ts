import type { ByteScratch } from "./ByteScratch.js"
import { rangeEquals } from "./rangeEquals.js"
import { checkUtf8 } from "./utf8Check.js"

const BACKSLASH = 0x5c

const isOctal = (c: number): boolean => c >= 0x30 && c <= 0x37
const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1

/**
 * Splits one line of text-format COPY data (already checked to be UTF-8
 * without NUL) into fields, as PostgreSQL's COPY FROM does: a field is NULL
 * when its raw bytes equal the NULL string; backslash sequences are `\b \f \n
 * \r \t \v`, octal `\N`..`\NNN`, hex `\xN`/`\xNN`, and a backslash before any
 * other byte (the delimiter, a backslash) stands for that byte. A trailing
 * lone backslash is dropped. A value de-escaped to a NUL byte or to invalid
 * UTF-8 throws `CopyFormatError` (22021).
 */
export const splitTextLine = (
  b: Buffer,
  s: number,
  e: number,
  delimiter: number,
  nullBytes: Uint8Array,
  scratch: ByteScratch,
  line: number,
  out: Array<string | null>
): void => {
  let p = s
  for (;;) {
    const fieldStart = p
    let rawEnd = p
    let foundDelimiter = false
    let escaped = false
    let sawNonAscii = false
    // Fast path: a run with no backslash is a slice of the line.
    while (p < e) {
      const c = b[p]!
      if (c === delimiter || c === BACKSLASH) break
      p++
    }
    rawEnd = p
    if (p < e && b[p] === BACKSLASH) {
      escaped = true
      scratch.length = 0
      scratch.range(b, fieldStart, p)
      for (;;) {
        rawEnd = p
        if (p >= e) break
        let c = b[p++]!
        if (c === delimiter) {
          foundDelimiter = true
          break
        }
        if (c === BACKSLASH) {
          if (p >= e) break
          c = b[p++]!
          if (isOctal(c)) {
            let v = c - 0x30
            if (p < e && isOctal(b[p]!)) {
              v = (v << 3) + b[p++]! - 0x30
              if (p < e && isOctal(b[p]!)) v = (v << 3) + b[p++]! - 0x30
            }
            c = v & 0xff
            if (c === 0 || c >= 0x80) sawNonAscii = true
          } else if (c === 0x78 /* x */) {
            if (p < e && hexValue(b[p]!) >= 0) {
              let v = hexValue(b[p++]!)
              if (p < e && hexValue(b[p]!) >= 0) v = (v << 4) + hexValue(b[p++]!)
              c = v
              if (c === 0 || c >= 0x80) sawNonAscii = true
            }
          } else if (c === 0x62 /* b */) c = 0x08
          else if (c === 0x66 /* f */) c = 0x0c
          else if (c === 0x6e /* n */) c = 0x0a
          else if (c === 0x72 /* r */) c = 0x0d
          else if (c === 0x74 /* t */) c = 0x09
          else if (c === 0x76 /* v */) c = 0x0b
        }
        scratch.byte(c)
      }
    } else if (p < e) {
      foundDelimiter = true
      p++
    }

    if (rangeEquals(b, fieldStart, rawEnd, nullBytes)) {
      out.push(null)
    } else if (!escaped) {
      out.push(b.toString("utf8", fieldStart, rawEnd))
    } else {
      if (sawNonAscii) checkUtf8(scratch.buf, 0, scratch.length, line)
      out.push(scratch.buf.toString("utf8", 0, scratch.length))
    }
    if (!foundDelimiter) return
  }
}
