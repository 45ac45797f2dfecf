// SASLprep (RFC 4013) the way PostgreSQL's pg_saslprep applies it to SCRAM passwords: a
// password that is not valid UTF-8, or that SASLprep would reject, is used as is instead of
// failing, so the result is always usable as the password.
import { L_CAT, MAPPED_TO_NOTHING, NON_ASCII_SPACE, PROHIBITED, RAND_AL_CAT } from "./saslprepTables.js"

// Binary search over a flat list of inclusive [first, last] ranges.
const inTable = (table: ReadonlyArray<number>, cp: number): boolean => {
  let lo = 0
  let hi = table.length / 2 - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (cp < table[mid * 2]!) hi = mid - 1
    else if (cp > table[mid * 2 + 1]!) lo = mid + 1
    else return true
  }
  return false
}

const ASCII_ONLY = /^[\x00-\x7f]*$/
// A lone surrogate has no UTF-8 form: PostgreSQL would see invalid UTF-8.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * The SASLprep form of a password, or the password unchanged when SASLprep does not apply:
 * pure ASCII (PostgreSQL skips it, control characters included), invalid UTF-8, a result
 * that is empty, holds prohibited or unassigned (Unicode 3.2) code points, or breaks the
 * bidirectional rules of RFC 3454 section 6.
 */
export const saslprep = (password: string): string => {
  if (ASCII_ONLY.test(password) || LONE_SURROGATE.test(password)) return password

  // 1. Map: non-ASCII spaces to U+0020, "commonly mapped to nothing" removed.
  let mapped = ""
  for (const ch of password) {
    const cp = ch.codePointAt(0)!
    if (inTable(NON_ASCII_SPACE, cp)) mapped += " "
    else if (!inTable(MAPPED_TO_NOTHING, cp)) mapped += ch
  }
  if (mapped.length === 0) return password

  // 2. Normalize with NFKC.
  const normalized = mapped.normalize("NFKC")

  // 3. Prohibit; 4. check bidi.
  const codePoints = Array.from(normalized, (ch) => ch.codePointAt(0)!)
  let hasRandAL = false
  let hasL = false
  for (const cp of codePoints) {
    if (inTable(PROHIBITED, cp)) return password
    if (inTable(RAND_AL_CAT, cp)) hasRandAL = true
    if (inTable(L_CAT, cp)) hasL = true
  }
  if (hasRandAL) {
    const first = codePoints[0]!
    const last = codePoints[codePoints.length - 1]!
    if (hasL || !inTable(RAND_AL_CAT, first) || !inTable(RAND_AL_CAT, last)) return password
  }
  return normalized
}
