import type { Writer } from "../buffer/Writer.js"
import { Oid } from "./oids.js"
import { binaryError, encodeError, preview, textError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// uuid ↔ string in the canonical lowercase form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
// Input takes what uuid_in takes: any case, optional braces, and a hyphen
// after any group of four hex digits (or none).

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const LOOSE = /^\{?[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}\}?$/

/** Value of a lowercase hex digit (the canonical form has no others). */
const hexDigit = (c: number): number => (c <= 57 ? c - 48 : c - 87)

/** Canonical form of uuid input text, or undefined if it is not a uuid. */
const canonicalUuid = (s: string): string | undefined => {
  if (CANONICAL.test(s)) return s
  if (!LOOSE.test(s) || (s[0] === "{") !== (s[s.length - 1] === "}")) return undefined
  const hex = s.replace(/[{}-]/g, "").toLowerCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const checkUuid = (v: unknown): string => {
  const c = typeof v === "string" ? canonicalUuid(v) : undefined
  if (c === undefined) throw encodeError("uuid", `not a uuid: ${typeof v === "string" ? preview(v) : typeof v}`)
  return c
}

export const uuidCodec: TypeCodec<string> = {
  oid: Oid.uuid,
  arrayOid: Oid._uuid,
  name: "uuid",
  encodeText: checkUuid,
  decodeText: (s) => {
    const c = canonicalUuid(s)
    if (c === undefined) throw textError("uuid", `invalid input syntax for type uuid: ${preview(s)}`)
    return c
  },
  encodeBinary: (w: Writer, v) => {
    const c = checkUuid(v)
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i++
      w.int8((hexDigit(c.charCodeAt(i)) << 4) | hexDigit(c.charCodeAt(i + 1)))
    }
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 16) throw binaryError("uuid", `expected 16 bytes, got ${end - start}`)
    const h = (Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)).toString("hex", start, end)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
}
