/**
 * Field schemas shared by the message modules. They describe the values a
 * message may carry (so a message built by a user can be validated at an API
 * edge) and generate the values of the round-trip property tests; the hot-path
 * decoders never run them.
 */
import { Schema } from "effect"
import { type Reader, ReadPastEnd } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed()

/**
 * A protocol String (NUL-terminated on the wire): no NUL inside, and
 * well-formed UTF-16 (no lone surrogate), so it survives UTF-8 encoding and
 * decoding unchanged. The generated values mix ASCII and any Unicode.
 */
export const CString = Schema.String.pipe(
  Schema.filter((s) => !s.includes("\0") && isWellFormed(s), {
    identifier: "CString",
    description: "a string without NUL that is well-formed UTF-16",
    arbitrary: () => (fc) =>
      fc.oneof(fc.string(), fc.string({ unit: "binary" })).filter((s) => !s.includes("\0"))
  })
)

/** A CString that cannot be empty, for names whose empty value would read as a list terminator. */
export const NonEmptyCString = CString.pipe(Schema.minLength(1))

export const Int8 = Schema.Int.pipe(Schema.between(-128, 127, { identifier: "Int8" }))
export const Int16 = Schema.Int.pipe(Schema.between(-32768, 32767, { identifier: "Int16" }))
export const UInt16 = Schema.Int.pipe(Schema.between(0, 65535, { identifier: "UInt16" }))
export const Int32 = Schema.Int.pipe(Schema.between(-2147483648, 2147483647, { identifier: "Int32" }))
export const UInt32 = Schema.Int.pipe(Schema.between(0, 4294967295, { identifier: "UInt32" }))
export const Int64 = Schema.BigIntFromSelf.pipe(
  Schema.betweenBigInt(-(2n ** 63n), 2n ** 63n - 1n, { identifier: "Int64" })
)
export const UInt64 = Schema.BigIntFromSelf.pipe(Schema.betweenBigInt(0n, 2n ** 64n - 1n, { identifier: "UInt64" }))

/** Raw bytes. */
export const Bytes = Schema.Uint8ArrayFromSelf

/** A length-prefixed value where length -1 means SQL NULL. */
export const NullableBytes = Schema.NullOr(Bytes)

/** Bytes of an exact length. */
export const BytesOfLength = (n: number) =>
  Bytes.pipe(
    Schema.filter((b) => b.byteLength === n, {
      description: `exactly ${n} bytes`,
      arbitrary: () => (fc) => fc.uint8Array({ minLength: n, maxLength: n })
    })
  )

/**
 * A format code as carried on the wire: 0 is text, 1 is binary. Messages
 * carry any Int16 unchanged (PostgreSQL rejects other values at the
 * semantic level, so the server validates them, not the decoder).
 */
export const FormatCode = Int16
export type FormatCode = typeof FormatCode.Type
export const TEXT_FORMAT = 0
export const BINARY_FORMAT = 1

/**
 * An Int16-counted list: at most 65535 items. A plain filter rather than
 * `maxItems`, so generated test values stay small.
 */
export const Array16 = <S extends Schema.Schema.Any>(item: S) =>
  Schema.Array(item).pipe(Schema.filter((a) => a.length <= 65535, { description: "at most 65535 items" }))

/**
 * The secret key of a cancel request / BackendKeyData: 4 bytes in protocol
 * 3.0, 4 to 256 bytes in 3.2.
 */
export const MIN_SECRET_KEY_LENGTH = 4
export const MAX_SECRET_KEY_LENGTH = 256
export const SecretKey = Bytes.pipe(
  Schema.filter((b) => b.byteLength >= MIN_SECRET_KEY_LENGTH && b.byteLength <= MAX_SECRET_KEY_LENGTH, {
    identifier: "SecretKey",
    description: "4 to 256 bytes",
    arbitrary: () => (fc) =>
      fc.oneof(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: MIN_SECRET_KEY_LENGTH, maxLength: MAX_SECRET_KEY_LENGTH })
      )
  })
)

/**
 * Rejects a message body whose content is not valid. Thrown inside decoders
 * like `ReadPastEnd`; the dispatchers turn both into a `ProtocolDecodeError`
 * naming the message.
 */
export const invalid = (reason: string): never => {
  throw new ReadPastEnd(reason)
}

/** Rejects a secret key shorter than 4 or longer than 256 bytes. */
export const checkSecretKeyLength = (n: number): void => {
  if (n < MIN_SECRET_KEY_LENGTH || n > MAX_SECRET_KEY_LENGTH) {
    invalid(`secret key length ${n} is outside ${MIN_SECRET_KEY_LENGTH}..${MAX_SECRET_KEY_LENGTH}`)
  }
}

// --- shared readers and writers for counted lists ---------------------------

/** Int16 count, then that many Int16. */
export const readInt16List = (r: Reader, what: string): Array<number> => {
  const n = r.count16(2, what)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = r.int16()
  return out
}

export const writeInt16List = (w: Writer, list: ReadonlyArray<number>): void => {
  w.int16(list.length)
  for (let i = 0; i < list.length; i++) w.int16(list[i]!)
}

/** Int16 count, then that many unsigned Int32 (OIDs). */
export const readOidList = (r: Reader, what: string): Array<number> => {
  const n = r.count16(4, what)
  const out = new Array<number>(n)
  for (let i = 0; i < n; i++) out[i] = r.uint32()
  return out
}

export const writeOidList = (w: Writer, list: ReadonlyArray<number>): void => {
  w.int16(list.length)
  for (let i = 0; i < list.length; i++) w.uint32(list[i]!)
}

/**
 * Int16 count, then per value an Int32 length (-1 for NULL) and the bytes,
 * returned as views into the input. Any other negative length fails.
 */
export const readValueList = (r: Reader, what: string): Array<Uint8Array | null> => {
  const n = r.count16(4, what)
  const out = new Array<Uint8Array | null>(n)
  for (let i = 0; i < n; i++) out[i] = readNullableBytes(r, what)
  return out
}

export const writeValueList = (w: Writer, list: ReadonlyArray<Uint8Array | null>): void => {
  w.int16(list.length)
  for (let i = 0; i < list.length; i++) writeNullableBytes(w, list[i]!)
}

/** Int32 length (-1 for NULL) and the bytes as a view. */
export const readNullableBytes = (r: Reader, what: string): Uint8Array | null => {
  const len = r.int32()
  if (len === -1) return null
  if (len < 0) invalid(`${what}: negative value length ${len}`)
  return readView(r, len)
}

/**
 * `n` bytes as a plain Uint8Array view into the input (not a Buffer, so
 * decoded values compare equal to the Uint8Arrays a user builds).
 */
export const readView = (r: Reader, n: number): Uint8Array => {
  const p = r.pos
  if (n < 0 || n > r.end - p) throw new ReadPastEnd(`bytes: needs ${n} bytes, ${r.end - p} left`)
  r.pos = p + n
  const buf = r.buf
  return new Uint8Array(buf.buffer, buf.byteOffset + p, n)
}

/** `n` bytes as a fresh Uint8Array that does not keep the input alive. */
export const readCopy = (r: Reader, n: number): Uint8Array => {
  const p = r.pos
  if (n < 0 || n > r.end - p) throw new ReadPastEnd(`bytes: needs ${n} bytes, ${r.end - p} left`)
  r.pos = p + n
  const out = new Uint8Array(n)
  out.set(r.buf.subarray(p, p + n))
  return out
}

export const writeNullableBytes = (w: Writer, v: Uint8Array | null): void => {
  if (v === null) {
    w.int32(-1)
  } else {
    w.int32(v.byteLength)
    w.bytes(v)
  }
}

