import type { Writer } from "../buffer/Writer.js"
import { utf8 } from "./binary.js"
import { Oid } from "./oids.js"
import { binaryError, encodeError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// json/jsonb ↔ string: the JSON text itself, lossless (JSON.parse would round
// big numbers; PostgreSQL keeps them exact). Values are not validated here:
// PostgreSQL validates what it receives, and users JSON.parse what they get.
// Encoders also accept any other JS value and send JSON.stringify of it; a
// string is always taken to be JSON text already.

const toJsonText = (typeName: string, v: unknown): string => {
  if (typeof v === "string") return v
  let s: string | undefined
  try {
    s = JSON.stringify(v)
  } catch (e) {
    throw encodeError(typeName, `JSON.stringify failed: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (s === undefined) throw encodeError(typeName, `${typeof v} has no JSON form`)
  return s
}

const decodeJsonBytes = (typeName: string, buf: Uint8Array, start: number, end: number): string => {
  const s = end >= start ? utf8(buf, start, end) : undefined
  if (s === undefined) throw binaryError(typeName, "invalid byte sequence for encoding UTF8", "22021")
  return s
}

export const jsonCodec: TypeCodec<string, unknown> = {
  oid: Oid.json,
  arrayOid: Oid._json,
  name: "json",
  encodeText: (v) => toJsonText("json", v),
  decodeText: (s) => s,
  encodeBinary: (w: Writer, v) => {
    w.string(toJsonText("json", v))
  },
  decodeBinary: (buf, start, end) => decodeJsonBytes("json", buf, start, end)
}

/** jsonb's binary form is a version byte (1) and the JSON text. */
export const jsonbCodec: TypeCodec<string, unknown> = {
  oid: Oid.jsonb,
  arrayOid: Oid._jsonb,
  name: "jsonb",
  encodeText: (v) => toJsonText("jsonb", v),
  decodeText: (s) => s,
  encodeBinary: (w: Writer, v) => {
    const s = toJsonText("jsonb", v)
    w.int8(1).string(s)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start < 1) throw binaryError("jsonb", "missing version byte")
    if (buf[start] !== 1) throw binaryError("jsonb", `unsupported jsonb version number ${buf[start]}`)
    return decodeJsonBytes("jsonb", buf, start + 1, end)
  }
}
