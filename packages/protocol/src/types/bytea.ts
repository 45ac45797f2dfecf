import type { Writer } from "../buffer/Writer.js"
import { Oid } from "./oids.js"
import { encodeError, preview, SQLSTATE_INVALID_PARAMETER, textError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// bytea ↔ Uint8Array (a plain Uint8Array, always a copy, never a view into
// the input). Text output is the hex format `\x0aff`; text input also takes
// the legacy escape format (`abc\\\000`), as byteain does.

const isHexSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13

const hexValue = (c: number): number => {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** Hex format after the `\x`: pairs of hex digits, whitespace allowed between pairs. */
const decodeHex = (text: string): Uint8Array => {
  const hex = text.slice(2)
  if (hex.length % 2 === 0) {
    // Node's hex decoder stops at the first bad pair: all bytes decoded means all valid.
    const b = Buffer.from(hex, "hex")
    if (b.length * 2 === hex.length) return new Uint8Array(b.buffer, b.byteOffset, b.length)
  }
  const out = new Uint8Array(hex.length >> 1)
  let n = 0
  for (let i = 0; i < hex.length; ) {
    const c = hex.charCodeAt(i)
    if (isHexSpace(c)) {
      i++
      continue
    }
    const hi = hexValue(c)
    if (hi < 0) throw textError("bytea", `invalid hexadecimal digit: ${preview(hex[i]!)}`, SQLSTATE_INVALID_PARAMETER)
    if (i + 1 >= hex.length) throw textError("bytea", "invalid hexadecimal data: odd number of digits", SQLSTATE_INVALID_PARAMETER)
    const lo = hexValue(hex.charCodeAt(i + 1))
    if (lo < 0) throw textError("bytea", `invalid hexadecimal digit: ${preview(hex[i + 1]!)}`, SQLSTATE_INVALID_PARAMETER)
    out[n++] = (hi << 4) | lo
    i += 2
  }
  return out.slice(0, n)
}

const isOctal = (c: number, max: number): boolean => c >= 48 && c <= max

/** Escape format: `\\` is a backslash, `\ooo` an octal byte, anything else its UTF-8 bytes. */
const decodeEscape = (text: string): Uint8Array => {
  const src = Buffer.from(text, "utf8")
  const out = new Uint8Array(src.length)
  let n = 0
  for (let i = 0; i < src.length; ) {
    const c = src[i]!
    if (c !== 92) {
      out[n++] = c
      i++
    } else if (src[i + 1] === 92) {
      out[n++] = 92
      i += 2
    } else if (
      i + 3 < src.length &&
      isOctal(src[i + 1]!, 51) &&
      isOctal(src[i + 2]!, 55) &&
      isOctal(src[i + 3]!, 55)
    ) {
      out[n++] = ((src[i + 1]! - 48) << 6) | ((src[i + 2]! - 48) << 3) | (src[i + 3]! - 48)
      i += 4
    } else {
      throw textError("bytea", "invalid input syntax for type bytea")
    }
  }
  return out.slice(0, n)
}

const checkBytes = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return v
  throw encodeError("bytea", `expected a Uint8Array, got ${typeof v}`)
}

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))

export const byteaCodec: TypeCodec<Uint8Array> = {
  oid: Oid.bytea,
  arrayOid: Oid._bytea,
  name: "bytea",
  encodeText: (v) => "\\x" + asBuffer(checkBytes(v)).toString("hex"),
  decodeText: (s) => (s.charCodeAt(0) === 92 && s.charCodeAt(1) === 120 ? decodeHex(s) : decodeEscape(s)),
  encodeBinary: (w: Writer, v) => {
    w.bytes(checkBytes(v))
  },
  decodeBinary: (buf, start, end) => new Uint8Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + end))
}
