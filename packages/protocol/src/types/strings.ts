import type { Writer } from "../buffer/Writer.js"
import { utf8 } from "./binary.js"
import { Oid } from "./oids.js"
import { binaryError, encodeError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// Character types are JS strings. The text and the binary form are both the
// UTF-8 characters (the session's client_encoding must be UTF8); binary input
// that is not valid UTF-8 is an error, as in textrecv.

const checkString = (typeName: string, v: unknown): string => {
  if (typeof v !== "string") throw encodeError(typeName, `expected a string, got ${typeof v}`)
  return v
}

const decodeUtf8 = (typeName: string, buf: Uint8Array, start: number, end: number): string => {
  if (end < start) throw binaryError(typeName, `negative length ${end - start}`)
  const s = utf8(buf, start, end)
  if (s === undefined) throw binaryError(typeName, "invalid byte sequence for encoding UTF8", "22021")
  return s
}

/** A codec for a type whose text and binary forms are both its UTF-8 characters. */
export const makeStringCodec = (name: string, oid: number, arrayOid: number): TypeCodec<string> => ({
  oid,
  arrayOid,
  name,
  encodeText: (v) => checkString(name, v),
  decodeText: (s) => s,
  encodeBinary: (w: Writer, v) => {
    w.string(checkString(name, v))
  },
  decodeBinary: (buf, start, end) => decodeUtf8(name, buf, start, end)
})

export const textCodec = makeStringCodec("text", Oid.text, Oid._text)
export const varcharCodec = makeStringCodec("varchar", Oid.varchar, Oid._varchar)
/** bpchar (`char(n)`): values keep the blank padding PostgreSQL sends. */
export const bpcharCodec = makeStringCodec("bpchar", Oid.bpchar, Oid._bpchar)
/** name: PostgreSQL truncates input past 63 bytes; values are passed through unchanged here. */
export const nameCodec = makeStringCodec("name", Oid.name, Oid._name)
/** xml: its text; PostgreSQL validates it. */
export const xmlCodec = makeStringCodec("xml", Oid.xml, Oid._xml)

/**
 * The codec for a type we have no codec for (and for `unknown`, OID 705):
 * values are their text. Encoders also take numbers, bigints and booleans
 * (`String(v)`, booleans as `t`/`f`). In binary format the value is its raw
 * UTF-8 bytes, which is right for text-like types only: ask for text format
 * for types you do not know.
 */
export const makeTextPassthroughCodec = (name: string, oid: number, arrayOid: number): TypeCodec<string, string | number | bigint | boolean> => {
  const toText = (v: unknown): string => {
    switch (typeof v) {
      case "string":
        return v
      case "number":
      case "bigint":
        return String(v)
      case "boolean":
        return v ? "t" : "f"
    }
    throw encodeError(name, `expected a string, number, bigint or boolean, got ${typeof v}`)
  }
  return {
    oid,
    arrayOid,
    name,
    encodeText: toText,
    decodeText: (s) => s,
    encodeBinary: (w: Writer, v) => {
      w.string(toText(v))
    },
    decodeBinary: (buf, start, end) => decodeUtf8(name, buf, start, end)
  }
}

export const unknownCodec = makeTextPassthroughCodec("unknown", Oid.unknown, 0)

// "char" is one byte. charout writes a byte >= 128 as \ooo (PostgreSQL 15+),
// and 0 as the empty string; charin reads \ooo back, else takes the first byte.
const charText = (byte: number): string =>
  byte === 0 ? "" : byte < 128 ? String.fromCharCode(byte) : "\\" + byte.toString(8).padStart(3, "0")

const charByte = (s: string): number => {
  if (s.length === 4 && s[0] === "\\" && /^[0-3][0-7][0-7]$/.test(s.slice(1))) return parseInt(s.slice(1), 8)
  if (s.length === 0) return 0
  const c = s.charCodeAt(0)
  // charin keeps only the first byte of a multibyte character.
  return c < 128 ? c : Buffer.from(s, "utf8")[0]!
}

/** `"char"` (the one-byte internal type, OID 18) ↔ string: its text form (`"r"`, `""` for 0, `"\\201"` for bytes ≥ 128). */
export const charCodec: TypeCodec<string> = {
  oid: Oid.char,
  arrayOid: Oid._char,
  name: "char",
  encodeText: (v) => charText(charByte(checkString("char", v))),
  decodeText: (s) => charText(charByte(s)),
  encodeBinary: (w: Writer, v) => {
    w.int8(charByte(checkString("char", v)))
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 1) throw binaryError("char", `expected 1 byte, got ${end - start}`)
    return charText(buf[start]!)
  }
}
