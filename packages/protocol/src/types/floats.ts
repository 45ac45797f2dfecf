import type { Writer } from "../buffer/Writer.js"
import { readFloat32, readFloat64 } from "./binary.js"
import { Oid } from "./oids.js"
import { binaryError, encodeError, preview, SQLSTATE_OUT_OF_RANGE, textError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

/**
 * Formats shortest round-trip digits the way float4out/float8out do
 * (PostgreSQL 12+, extra_float_digits = 1, the default): fixed notation when
 * the decimal exponent is in [-4, maxFixedExponent), else `d.ddde+XX`.
 * `digits` has no leading/trailing zeros; `exponent` is that of the first digit.
 */
const formatShortest = (negative: boolean, digits: string, exponent: number, maxFixedExponent: number): string => {
  let out: string
  const n = digits.length
  if (exponent < -4 || exponent >= maxFixedExponent) {
    const mantissa = n === 1 ? digits : digits[0] + "." + digits.slice(1)
    const e = Math.abs(exponent)
    out = mantissa + (exponent < 0 ? "e-" : "e+") + (e < 10 ? "0" + e : String(e))
  } else if (exponent < 0) {
    out = "0." + "0".repeat(-exponent - 1) + digits
  } else if (exponent + 1 >= n) {
    out = digits + "0".repeat(exponent + 1 - n)
  } else {
    out = digits.slice(0, exponent + 1) + "." + digits.slice(exponent + 1)
  }
  return negative ? "-" + out : out
}

/** Splits JS's shortest representation (`toString`/`toPrecision` output) into digits and exponent. */
const splitDecimal = (s: string): { digits: string; exponent: number } => {
  let mantissa = s
  let exp = 0
  const e = s.indexOf("e")
  if (e >= 0) {
    mantissa = s.slice(0, e)
    exp = Number(s.slice(e + 1))
  }
  const dot = mantissa.indexOf(".")
  let intPart = dot < 0 ? mantissa : mantissa.slice(0, dot)
  const frac = dot < 0 ? "" : mantissa.slice(dot + 1)
  let all = intPart + frac
  let exponent = intPart.length - 1 + exp
  // Leading zeros (as in "0.00123") shift the exponent.
  let lead = 0
  while (lead < all.length - 1 && all[lead] === "0") lead++
  all = all.slice(lead)
  exponent -= lead
  let trail = all.length
  while (trail > 1 && all[trail - 1] === "0") trail--
  intPart = all.slice(0, trail)
  return { digits: intPart, exponent }
}

const specialText = (v: number): string | undefined => {
  if (v !== v) return "NaN"
  if (v === Infinity) return "Infinity"
  if (v === -Infinity) return "-Infinity"
  if (v === 0) return Object.is(v, -0) ? "-0" : "0"
  return undefined
}

// PostgreSQL prints the shortest decimal that lies strictly inside the
// rounding interval of the value (its Ryu build does not accept the interval
// bounds), the closest one to the value when several have that length.
// JS's Number#toString picks the same digits except that it accepts a bound
// when round-half-even reads it back as the value; that can only happen for
// |v| >= 2^52, where the bounds are (half-)integers, so only there we check.

const TWO_52 = 2 ** 52
const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0

/** 4 × the rounding interval bounds of a double >= 2^52, as exact integers. */
const boundsTimes4 = (a: number): { lo: bigint; hi: bigint } => {
  f64[0] = a
  const hiWord = u32[HI]!
  const biased = (hiWord >>> 20) & 0x7ff
  const m = (BigInt(hiWord & 0xfffff) << 32n) | BigInt(u32[1 - HI]!) | (1n << 52n)
  const q = BigInt(biased - 1075) // a = m * 2^q, q >= 0 here
  const hi = (2n * m + 1n) << (q + 1n)
  const lo = m === 1n << 52n ? (4n * m - 1n) << q : (2n * m - 1n) << (q + 1n)
  return { lo, hi }
}

/** Whether the decimal `s` (JS number syntax) lies strictly between lo/4 and hi/4. */
const strictlyInside = (s: string, lo: bigint, hi: bigint): boolean => {
  const { digits, exponent } = splitDecimal(s)
  const e = exponent - (digits.length - 1)
  let d = BigInt(digits) * 4n
  let l = lo
  let h = hi
  if (e >= 0) d *= 10n ** BigInt(e)
  else {
    const scale = 10n ** BigInt(-e)
    l *= scale
    h *= scale
  }
  return d > l && d < h
}

/** The digits PostgreSQL prints for a double >= 2^52 whose JS shortest form sits on a bound. */
const shortestStrictly = (a: number, jsShortest: string): string => {
  const { lo, hi } = boundsTimes4(a)
  if (strictlyInside(jsShortest, lo, hi)) return jsShortest
  for (let p = splitDecimal(jsShortest).digits.length + 1; p <= 17; p++) {
    const candidate = a.toPrecision(p)
    if (strictlyInside(candidate, lo, hi)) return candidate
  }
  return a.toPrecision(17)
}

/** float8 text exactly as PostgreSQL writes it (shortest exact digits, PostgreSQL's layout). */
export const formatFloat8 = (v: number): string => {
  const special = specialText(v)
  if (special !== undefined) return special
  const negative = v < 0
  const a = negative ? -v : v
  const s = a >= TWO_52 ? shortestStrictly(a, String(a)) : String(a)
  const { digits, exponent } = splitDecimal(s)
  return formatShortest(negative, digits, exponent, 15)
}

const f32 = new Float32Array(1)
const f32bits = new Uint32Array(f32.buffer)

/** The float32 neighbour of a positive float32 value, as a double (exact). */
const nextFloat32 = (a: number, up: boolean): number => {
  f32[0] = a
  f32bits[0] = f32bits[0]! + (up ? 1 : -1)
  return f32[0]!
}

/** d × 10^k as the nearest double (one correctly rounded operation while 10^|k| is exact). */
const scaled = (d: number, k: number): number =>
  k >= 0 ? (k <= 22 ? d * 10 ** k : Number(`${d}e${k}`)) : k >= -22 ? d / 10 ** -k : Number(`${d}e${k}`)

// Result of fitAt: the digits and decimal exponent of the first digit.
const fit = { digits: 0, exponent: 0 }

/**
 * Whether some p-digit decimal lies strictly inside (lo, hi); the nearest to
 * the value first, else its neighbour on the other side. `digits`/`exponent`
 * are the value's shortest double digits, close enough to round from.
 */
const fitAt = (digits: string, exponent: number, a: number, p: number, lo: number, hi: number, widest: number): boolean => {
  let d = Number(digits.slice(0, p))
  let e = exponent
  if (digits.charCodeAt(p) >= 53) {
    d += 1
    if (d === 10 ** p) {
      d = 10 ** (p - 1)
      e += 1
    }
  }
  const k = e - p + 1
  const n = scaled(d, k)
  if (n > lo && n < hi) {
    fit.digits = d
    fit.exponent = e
    return true
  }
  // The neighbour is a whole decimal step away on the far side of the value:
  // it can only fit when half a step is below the interval's wider half.
  const step = scaled(1, k)
  if (step / 2 >= widest) return false
  const other = n < a ? d + 1 : d - 1
  const o = scaled(other, k)
  if (!(o > lo && o < hi)) return false
  // A neighbour of 10^p or 10^(p-1) - 1 changes the digit count.
  fit.digits = other
  fit.exponent = other >= 10 ** p ? e + 1 : other < 10 ** (p - 1) ? e - 1 : e
  return true
}

/**
 * float4 text as PostgreSQL writes it: the shortest decimal strictly inside
 * the float32 rounding interval (bounds are exact doubles), nearest first.
 */
export const formatFloat4 = (v: number): string => {
  const special = specialText(v)
  if (special !== undefined) return special
  const negative = v < 0
  const a = negative ? -v : v
  // Midpoints to the neighbouring float32 values; the largest float32 has no finite upper neighbour.
  const lo = (a + nextFloat32(a, false)) / 2
  const up = nextFloat32(a, true)
  const hi = up === Infinity ? a + (a - nextFloat32(a, false)) / 2 : (a + up) / 2
  const widest = Math.max(hi - a, a - lo)
  // The double's shortest digits read back as a exactly, so they fit; look
  // for fewer. A p-digit fit is also a (p+1)-digit fit (binary search), and
  // 9 digits always identify a float32.
  const full = splitDecimal(String(a))
  let digits = full.digits
  let exponent = full.exponent
  let low = 1
  let high = Math.min(full.digits.length - 1, 9)
  while (low <= high) {
    const p = (low + high) >> 1
    if (fitAt(full.digits, full.exponent, a, p, lo, hi, widest)) {
      digits = trimZeros(String(fit.digits))
      exponent = fit.exponent
      high = p - 1
    } else {
      low = p + 1
    }
  }
  return formatShortest(negative, digits, exponent, 6)
}

const trimZeros = (s: string): string => {
  let end = s.length
  while (end > 1 && s.charCodeAt(end - 1) === 48) end--
  return s.slice(0, end)
}

const isSpaceCode = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

const FLOAT_SYNTAX = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/
const HAS_NONZERO_DIGIT = /[1-9]/

/** float4in/float8in: decimal with optional exponent, or NaN/Infinity/inf in any case, with surrounding whitespace. */
const parseFloatText = (typeName: string, text: string, single: boolean): number => {
  const s = isSpaceCode(text.charCodeAt(0)) || isSpaceCode(text.charCodeAt(text.length - 1)) ? text.trim() : text
  if (FLOAT_SYNTAX.test(s)) {
    const d = Number(s)
    const v = single ? Math.fround(d) : d
    if (v === Infinity || v === -Infinity || (v === 0 && HAS_NONZERO_DIGIT.test(s.replace(/[eE].*$/, "")))) {
      throw textError(typeName, `${preview(text)} is out of range for type ${single ? "real" : "double precision"}`, SQLSTATE_OUT_OF_RANGE)
    }
    return v
  }
  switch (s.toLowerCase()) {
    case "nan":
    case "+nan":
    case "-nan":
      return NaN
    case "infinity":
    case "+infinity":
    case "inf":
    case "+inf":
      return Infinity
    case "-infinity":
    case "-inf":
      return -Infinity
  }
  throw textError(typeName, `invalid input syntax for type ${single ? "real" : "double precision"}: ${preview(text)}`)
}

const checkNumber = (typeName: string, v: unknown): number => {
  if (typeof v === "number") return v
  if (typeof v === "bigint") return Number(v)
  throw encodeError(typeName, `expected a number, got ${typeof v}`)
}

/**
 * float4 ↔ number. Encoding rounds to the nearest float32 (as PostgreSQL does
 * on input); a finite number beyond the float32 range is an encode error.
 */
export const float4Codec: TypeCodec<number, number | bigint> = {
  oid: Oid.float4,
  arrayOid: Oid._float4,
  name: "float4",
  encodeText: (v) => formatFloat4(toFloat32(v)),
  decodeText: (s) => parseFloatText("float4", s, true),
  encodeBinary: (w: Writer, v) => {
    w.float32(toFloat32(v))
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 4) throw binaryError("float4", `expected 4 bytes, got ${end - start}`)
    return readFloat32(buf, start)
  }
}

const toFloat32 = (v: unknown): number => {
  const d = checkNumber("float4", v)
  const f = Math.fround(d)
  if ((f === Infinity || f === -Infinity) && d === d && d !== f) {
    throw encodeError("float4", `${d} is out of range for type real`)
  }
  return f
}

/** float8 ↔ number, NaN and ±Infinity included; `-0` is kept. */
export const float8Codec: TypeCodec<number, number | bigint> = {
  oid: Oid.float8,
  arrayOid: Oid._float8,
  name: "float8",
  encodeText: (v) => formatFloat8(checkNumber("float8", v)),
  decodeText: (s) => parseFloatText("float8", s, false),
  encodeBinary: (w: Writer, v) => {
    w.float64(checkNumber("float8", v))
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 8) throw binaryError("float8", `expected 8 bytes, got ${end - start}`)
    return readFloat64(buf, start)
  }
}
