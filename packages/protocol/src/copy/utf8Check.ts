import { isUtf8 } from "node:buffer"
import { formatError, SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE } from "./CopyErrors.js"

/** Byte length a UTF-8 lead byte announces (1 for a byte that cannot start a character). */
const sequenceLength = (c: number): number =>
  (c & 0x80) === 0 ? 1 : (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : (c & 0xf8) === 0xf0 ? 4 : 1

const hex = (c: number): string => "0x" + c.toString(16).padStart(2, "0")

/**
 * The first NUL or invalid UTF-8 sequence in `b[s, e)`, as PostgreSQL prints it
 * ("0xe2 0x28 0xa1": as many bytes as the lead byte announces, read on up to
 * `limit` since PostgreSQL sees the bytes after the line too).
 */
const describeBadSequence = (b: Uint8Array, s: number, e: number, limit: number): string => {
  let i = s
  while (i < e) {
    const c = b[i]!
    const len = sequenceLength(c)
    if (c === 0 || (len === 1 && c >= 0x80) || i + len > e || !isUtf8(b.subarray(i, i + len))) {
      return Array.from(b.subarray(i, Math.min(i + len, limit)), hex).join(" ")
    }
    i += len
  }
  return "?"
}

/**
 * Checks that `b[s, e)` is text PostgreSQL can store: valid UTF-8 with no NUL
 * byte. Throws `CopyFormatError` with SQLSTATE 22021 and PostgreSQL's message.
 */
export const checkUtf8 = (b: Buffer, s: number, e: number, line: number, limit = e): void => {
  const v = b.subarray(s, e)
  if (isUtf8(v) && v.indexOf(0) < 0) return
  throw formatError(
    `invalid byte sequence for encoding "UTF8": ${describeBadSequence(b, s, e, limit)}`,
    line,
    SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE
  )
}
