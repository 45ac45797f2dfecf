import type { Writer } from "../buffer/Writer.js"
import { readInt16, readInt32, readInt64, readUint32 } from "./binary.js"
import { Oid } from "./oids.js"
import {
  binaryError,
  describeValue,
  encodeError,
  preview,
  SQLSTATE_OUT_OF_RANGE,
  textError
} from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// Like int2in/int4in/int8in (PostgreSQL 15): optional surrounding whitespace,
// an optional sign, decimal digits only.
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

/** Parses a decimal integer that must fit in [min, max] (both safe integers). */
const parseSmallInt = (typeName: string, text: string, min: number, max: number): number => {
  let i = 0
  let n = text.length
  while (i < n && isSpace(text.charCodeAt(i))) i++
  while (n > i && isSpace(text.charCodeAt(n - 1))) n--
  let negative = false
  const sign = text.charCodeAt(i)
  if (sign === 45 /* - */ || sign === 43 /* + */) {
    negative = sign === 45
    i++
  }
  if (i >= n) throw textError(typeName, `invalid input syntax for type ${typeName}: ${preview(text)}`)
  let v = 0
  for (; i < n; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw textError(typeName, `invalid input syntax for type ${typeName}: ${preview(text)}`)
    v = v * 10 + d
    // Past 2^53 precision would be lost; any such value is out of range anyway.
    if (v > 9007199254740991) break
  }
  if (negative) v = 0 - v // never -0
  if (i < n || v < min || v > max) {
    // Distinguish trailing garbage after an overlong number from a pure range error.
    for (; i < n; i++) {
      const d = text.charCodeAt(i) - 48
      if (d < 0 || d > 9) throw textError(typeName, `invalid input syntax for type ${typeName}: ${preview(text)}`)
    }
    throw textError(typeName, `value ${preview(text)} is out of range for type ${typeName}`, SQLSTATE_OUT_OF_RANGE)
  }
  return v
}

const INT8_MIN = -(2n ** 63n)
const INT8_MAX = 2n ** 63n - 1n

const INT8_SYNTAX = /^[+-]?[0-9]+$/

const parseInt8 = (text: string): bigint => {
  const s = text.trim()
  if (!INT8_SYNTAX.test(s)) throw textError("int8", `invalid input syntax for type bigint: ${preview(text)}`)
  const v = BigInt(s)
  if (v < INT8_MIN || v > INT8_MAX) {
    throw textError("int8", `value ${preview(text)} is out of range for type bigint`, SQLSTATE_OUT_OF_RANGE)
  }
  return v
}

/** A JS number or bigint that must be an integer in [min, max]. */
const checkInt = (typeName: string, v: unknown, min: number, max: number): number => {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= min && v <= max) return v
    throw encodeError(typeName, `${v} is not an integer in [${min}, ${max}]`)
  }
  if (typeof v === "bigint" && v >= BigInt(min) && v <= BigInt(max)) return Number(v)
  throw encodeError(typeName, `expected an integer in [${min}, ${max}], got ${describeValue(v)}`)
}

const checkInt8 = (v: unknown): bigint => {
  if (typeof v === "bigint") {
    if (v >= INT8_MIN && v <= INT8_MAX) return v
  } else if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return BigInt(v)
  } else if (typeof v === "string") {
    const s = v.trim()
    if (INT8_SYNTAX.test(s)) {
      const n = BigInt(s)
      if (n >= INT8_MIN && n <= INT8_MAX) return n
    }
  }
  throw encodeError("int8", `expected a bigint in the int8 range or a safe integer number, got ${describeValue(v)}`)
}

const fixedLength = (typeName: string, start: number, end: number, n: number): void => {
  if (end - start !== n) throw binaryError(typeName, `expected ${n} bytes, got ${end - start}`)
}

/** int2 ↔ number. Encoders also accept a bigint in range. */
export const int2Codec: TypeCodec<number, number | bigint> = {
  oid: Oid.int2,
  arrayOid: Oid._int2,
  name: "int2",
  encodeText: (v) => String(checkInt("int2", v, -32768, 32767)),
  decodeText: (s) => parseSmallInt("int2", s, -32768, 32767),
  encodeBinary: (w: Writer, v) => {
    w.int16(checkInt("int2", v, -32768, 32767))
  },
  decodeBinary: (buf, start, end) => {
    fixedLength("int2", start, end, 2)
    return readInt16(buf, start)
  }
}

/** int4 ↔ number. Encoders also accept a bigint in range. */
export const int4Codec: TypeCodec<number, number | bigint> = {
  oid: Oid.int4,
  arrayOid: Oid._int4,
  name: "int4",
  encodeText: (v) => String(checkInt("int4", v, -2147483648, 2147483647)),
  decodeText: (s) => parseSmallInt("int4", s, -2147483648, 2147483647),
  encodeBinary: (w: Writer, v) => {
    w.int32(checkInt("int4", v, -2147483648, 2147483647))
  },
  decodeBinary: (buf, start, end) => {
    fixedLength("int4", start, end, 4)
    return readInt32(buf, start)
  }
}

/** int8 ↔ bigint (lossless). Encoders also accept a safe-integer number or a decimal string. */
export const int8Codec: TypeCodec<bigint, bigint | number | string> = {
  oid: Oid.int8,
  arrayOid: Oid._int8,
  name: "int8",
  encodeText: (v) => checkInt8(v).toString(),
  decodeText: parseInt8,
  encodeBinary: (w: Writer, v) => {
    w.int64(checkInt8(v))
  },
  decodeBinary: (buf, start, end) => {
    fixedLength("int8", start, end, 8)
    return readInt64(buf, start)
  }
}

/**
 * oid ↔ number (unsigned 32-bit). Text input accepts a negative number down to
 * -2147483648 and wraps it, like oidin ("-1" is 4294967295).
 */
export const oidCodec: TypeCodec<number, number | bigint> = {
  oid: Oid.oid,
  arrayOid: Oid._oid,
  name: "oid",
  encodeText: (v) => String(checkInt("oid", v, 0, 4294967295)),
  decodeText: (s) => parseSmallInt("oid", s, -2147483648, 4294967295) >>> 0,
  encodeBinary: (w: Writer, v) => {
    w.uint32(checkInt("oid", v, 0, 4294967295))
  },
  decodeBinary: (buf, start, end) => {
    fixedLength("oid", start, end, 4)
    return readUint32(buf, start)
  }
}
