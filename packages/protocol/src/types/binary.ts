// Big-endian reads from a Uint8Array, bounds-checked by the callers (each codec
// checks the value's length once, then reads without further checks).

export const readInt16 = (b: Uint8Array, p: number): number => (((b[p]! << 8) | b[p + 1]!) << 16) >> 16

export const readUint16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!

export const readInt32 = (b: Uint8Array, p: number): number =>
  (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!

export const readUint32 = (b: Uint8Array, p: number): number => readInt32(b, p) >>> 0

export const readInt64 = (b: Uint8Array, p: number): bigint =>
  (BigInt(readInt32(b, p)) << 32n) | BigInt(readUint32(b, p + 4))

/**
 * An int64 as a number when it is a safe integer (|v| < 2^53), else `undefined`
 * (the caller falls back to `readInt64`). Avoids BigInt on the common path.
 */
export const readInt64Safe = (b: Uint8Array, p: number): number | undefined => {
  const hi = readInt32(b, p)
  if (hi < -0x200000 || hi >= 0x200000) return undefined
  return hi * 4294967296 + readUint32(b, p + 4)
}

const floatScratch = new DataView(new ArrayBuffer(8))

export const readFloat32 = (b: Uint8Array, p: number): number => {
  floatScratch.setUint32(0, readUint32(b, p))
  return floatScratch.getFloat32(0)
}

export const readFloat64 = (b: Uint8Array, p: number): number => {
  floatScratch.setUint32(0, readUint32(b, p))
  floatScratch.setUint32(4, readUint32(b, p + 4))
  return floatScratch.getFloat64(0)
}

const decoder = new TextDecoder("utf-8", { fatal: true })

/** UTF-8 text of `b[start, end)`, or `undefined` when the bytes are not valid UTF-8. */
export const utf8 = (b: Uint8Array, start: number, end: number): string | undefined => {
  if (Buffer.isBuffer(b)) {
    // Buffer's decoder is the fastest; it substitutes U+FFFD, so a replacement
    // character in the output means we must validate.
    const s = b.toString("utf8", start, end)
    if (s.indexOf("\ufffd") < 0) return s
  }
  try {
    return decoder.decode(b.subarray(start, end))
  } catch {
    return undefined
  }
}
