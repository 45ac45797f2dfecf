import type { Writer } from "../buffer/Writer.js"
import { readInt16, readUint16 } from "./binary.js"
import { Oid } from "./oids.js"
import { binaryError, encodeError, preview, SQLSTATE_OUT_OF_RANGE, textError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// numeric values are strings in PostgreSQL's own output form (numeric_out):
// an optional "-", the integer digits without leading zeros, then "." and
// exactly dscale fraction digits (trailing zeros are part of the value's
// scale and are kept), or "NaN", "Infinity", "-Infinity". Never an exponent.
//
// Binary form (numeric_send): int16 ndigits, int16 weight, uint16 sign,
// uint16 dscale, then ndigits base-10000 digits; the first digit is worth
// 10000^weight. Leading and trailing zero digits are not sent.

const SIGN_POS = 0x0000
const SIGN_NEG = 0x4000
const SIGN_NAN = 0xc000
const SIGN_PINF = 0xd000
const SIGN_NINF = 0xf000

/** numeric's limits: 131072 digits before the decimal point, 16383 after. */
const MAX_INT_DIGITS = 131072
const MAX_DSCALE = 0x3fff

const CANONICAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/
const SYNTAX = /^([+-])?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/

/**
 * Normalizes numeric input syntax (numeric_in: whitespace, sign, exponent,
 * leading zeros, NaN/Infinity/inf in any case) to numeric_out's canonical form.
 * Returns a string describing the problem instead of throwing, so text decode
 * and encode can each raise their own error type.
 */
const normalize = (text: string): string | { readonly reason: string; readonly outOfRange: boolean } => {
  if (CANONICAL.test(text) && !isNegativeZero(text)) return text
  const s = text.trim()
  const m = SYNTAX.exec(s)
  if (m === null || (m[2]!.length === 0 && (m[3] === undefined || m[3].length === 0))) {
    switch (s.toLowerCase()) {
      case "nan":
        return "NaN"
      case "infinity":
      case "+infinity":
      case "inf":
      case "+inf":
        return "Infinity"
      case "-infinity":
      case "-inf":
        return "-Infinity"
    }
    return { reason: `invalid input syntax for type numeric: ${preview(text)}`, outOfRange: false }
  }
  const negative = m[1] === "-"
  const intDigits = m[2]!
  const fracDigits = m[3] ?? ""
  const exponentText = m[4]
  // Exponents this large can only overflow or underflow; reject before allocating.
  const exponent = exponentText === undefined ? 0 : exponentText.length > 7 ? NaN : Number(exponentText)
  if (exponent !== exponent || Math.abs(exponent) > 1000000) {
    return { reason: `value ${preview(text)} overflows numeric format`, outOfRange: true }
  }
  const digits = intDigits + fracDigits
  // Position of the decimal point within `digits` after applying the exponent.
  const point = intDigits.length + exponent
  const dscale = Math.max(0, fracDigits.length - exponent)
  let first = 0
  while (first < digits.length && first < point && digits.charCodeAt(first) === 48) first++
  const intLength = point - first
  if (intLength > MAX_INT_DIGITS || dscale > MAX_DSCALE) {
    return { reason: `value ${preview(text)} overflows numeric format`, outOfRange: true }
  }
  let intPart: string
  if (point <= first || first >= digits.length) intPart = "0"
  else if (point <= digits.length) intPart = digits.slice(first, point)
  else intPart = digits.slice(first) + "0".repeat(point - digits.length)
  let frac = ""
  if (dscale > 0) {
    if (point >= 0) frac = digits.slice(point)
    else frac = "0".repeat(-point) + digits
    frac = frac.slice(0, dscale)
  }
  const body = dscale > 0 ? intPart + "." + frac : intPart
  return negative && !isZeroBody(body) ? "-" + body : body
}

const isZeroBody = (body: string): boolean => {
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i)
    if (c !== 48 && c !== 46) return false
  }
  return true
}

const isNegativeZero = (s: string): boolean => s.charCodeAt(0) === 45 && isZeroBody(s.slice(1))

/** Canonical numeric text of a numeric input string (`" 1.50E2 "` → `"150"`); throws `TypeDecodeError`. */
export const parseNumeric = (text: string): string => {
  const r = normalize(text)
  if (typeof r === "string") return r
  throw textError("numeric", r.reason, r.outOfRange ? SQLSTATE_OUT_OF_RANGE : undefined)
}

/** Canonical text of what the numeric encoders accept: a numeric string, a number (NaN/±Infinity too) or a bigint. */
const toNumericText = (v: unknown): string => {
  if (typeof v === "string") {
    const r = normalize(v)
    if (typeof r === "string") return r
    throw encodeError("numeric", r.reason)
  }
  if (typeof v === "number") {
    if (v !== v) return "NaN"
    if (v === Infinity) return "Infinity"
    if (v === -Infinity) return "-Infinity"
    const r = normalize(String(v))
    if (typeof r === "string") return r
    throw encodeError("numeric", r.reason)
  }
  if (typeof v === "bigint") return v.toString()
  throw encodeError("numeric", `expected a numeric string, number or bigint, got ${typeof v}`)
}

/** Value of the 4 decimal digits s[first, first+4), where positions outside [lo, hi) count as 0. */
const group4 = (s: string, first: number, lo: number, hi: number): number => {
  let v = 0
  for (let i = first; i < first + 4; i++) v = v * 10 + (i >= lo && i < hi ? s.charCodeAt(i) - 48 : 0)
  return v
}

// Reused across calls: base-10000 digits of the value being written.
const groups: Array<number> = []

/** Writes numeric_send's form of a canonical numeric string. */
export const writeNumeric = (w: Writer, s: string): void => {
  if (s === "NaN" || s === "Infinity" || s === "-Infinity") {
    // PostgreSQL sends dscale 0 for NaN and 32 for the infinities (what its
    // special-value header yields); we send the same bytes.
    if (s === "NaN") w.int16(0).int16(0).int16(SIGN_NAN).int16(0)
    else w.int16(0).int16(0).int16(s === "Infinity" ? SIGN_PINF : SIGN_NINF).int16(32)
    return
  }
  const negative = s.charCodeAt(0) === 45
  const intLo = negative ? 1 : 0
  let dot = s.indexOf(".", intLo)
  if (dot < 0) dot = s.length
  const dscale = dot < s.length ? s.length - dot - 1 : 0
  // An integer part of "0" contributes no digits.
  const intHi = dot - intLo === 1 && s.charCodeAt(intLo) === 48 ? intLo : dot
  const intGroups = Math.ceil((intHi - intLo) / 4)
  const fracGroups = Math.ceil(dscale / 4)
  groups.length = 0
  for (let j = 0; j < intGroups; j++) groups.push(group4(s, intHi - 4 * (intGroups - j), intLo, intHi))
  for (let k = 0; k < fracGroups; k++) groups.push(group4(s, dot + 1 + 4 * k, dot + 1, s.length))
  let first = 0
  let last = groups.length - 1
  while (first <= last && groups[first] === 0) first++
  while (last >= first && groups[last] === 0) last--
  const ndigits = last - first + 1
  const weight = ndigits > 0 ? intGroups - 1 - first : 0
  w.int16(ndigits).int16(weight).int16(ndigits > 0 && negative ? SIGN_NEG : SIGN_POS).int16(dscale)
  for (let i = first; i <= last; i++) w.int16(groups[i]!)
}

const pad4 = (d: number): string => (d >= 1000 ? String(d) : d >= 100 ? "0" + d : d >= 10 ? "00" + d : "000" + d)

/** The base-10000 digit at index i of a numeric value at p, 0 outside [0, ndigits). */
const digitAt = (buf: Uint8Array, p: number, ndigits: number, i: number): number =>
  i < 0 || i >= ndigits ? 0 : readUint16(buf, p + 2 * i)

/** Reads numeric_send's form into canonical text; digits past dscale are truncated, as numeric_recv does. */
export const readNumeric = (buf: Uint8Array, start: number, end: number): string => {
  if (end - start < 8) throw binaryError("numeric", `expected at least 8 bytes, got ${end - start}`)
  const ndigits = readUint16(buf, start)
  const weight = readInt16(buf, start + 2)
  const sign = readUint16(buf, start + 4)
  const dscale = readUint16(buf, start + 6)
  if (end - start !== 8 + 2 * ndigits) {
    throw binaryError("numeric", `${ndigits} digits need ${8 + 2 * ndigits} bytes, got ${end - start}`)
  }
  if (sign === SIGN_NAN) return "NaN"
  if (sign === SIGN_PINF) return "Infinity"
  if (sign === SIGN_NINF) return "-Infinity"
  if (sign !== SIGN_POS && sign !== SIGN_NEG) throw binaryError("numeric", `invalid sign 0x${sign.toString(16)}`)
  if (dscale > MAX_DSCALE) throw binaryError("numeric", `invalid scale ${dscale}`)
  const p = start + 8
  for (let i = 0; i < ndigits; i++) {
    const d = readUint16(buf, p + 2 * i)
    if (d >= 10000) throw binaryError("numeric", `invalid digit ${d}`)
  }
  // Integer part: digits of weights weight..0, i.e. indexes 0..weight.
  let intPart = ""
  for (let i = 0; i <= weight; i++) {
    const d = digitAt(buf, p, ndigits, i)
    intPart = intPart.length === 0 ? (d === 0 ? "" : String(d)) : intPart + pad4(d)
  }
  let nonZero = intPart.length > 0
  if (!nonZero) intPart = "0"
  if (dscale === 0) return sign === SIGN_NEG && nonZero ? "-" + intPart : intPart
  // Fraction: the digit of weight -k is at index weight + k.
  let frac = ""
  const fracGroups = Math.ceil(dscale / 4)
  for (let k = 1; k <= fracGroups; k++) {
    const d = digitAt(buf, p, ndigits, weight + k)
    frac += pad4(d)
  }
  if (frac.length > dscale) frac = frac.slice(0, dscale)
  if (!nonZero) {
    for (let i = 0; i < frac.length; i++) {
      if (frac.charCodeAt(i) !== 48) {
        nonZero = true
        break
      }
    }
  }
  const body = intPart + "." + frac
  return sign === SIGN_NEG && nonZero ? "-" + body : body
}

/**
 * numeric ↔ string (lossless, arbitrary precision, see above). Encoders accept
 * any numeric input syntax (`"1.5e3"`, `" 007 "`), a number or a bigint, and
 * send the canonical form.
 */
export const numericCodec: TypeCodec<string, string | number | bigint> = {
  oid: Oid.numeric,
  arrayOid: Oid._numeric,
  name: "numeric",
  encodeText: toNumericText,
  decodeText: parseNumeric,
  encodeBinary: (w, v) => writeNumeric(w, toNumericText(v)),
  decodeBinary: readNumeric
}
