import type { Writer } from "../buffer/Writer.js"
import { Oid } from "./oids.js"
import { binaryError, encodeError, preview, textError } from "./TypeErrors.js"
import type { TypeCodec } from "./TypeCodec.js"

// boolin accepts any unambiguous prefix of these words (case-insensitive),
// plus "1"/"0", surrounded by whitespace.
const TRUE_WORDS = ["true", "yes", "on"]
const FALSE_WORDS = ["false", "no", "off"]

const matchesWord = (s: string, words: ReadonlyArray<string>): boolean => {
  for (const w of words) {
    // "o" alone is ambiguous (on/off); boolin wants at least 2 chars for those.
    if (s.length > 0 && s.length <= w.length && w.startsWith(s) && (w[0] !== "o" || s.length >= 2)) return true
  }
  return false
}

const parseBool = (text: string): boolean => {
  if (text === "t") return true
  if (text === "f") return false
  const s = text.trim().toLowerCase()
  if (s === "1" || matchesWord(s, TRUE_WORDS)) return true
  if (s === "0" || matchesWord(s, FALSE_WORDS)) return false
  throw textError("bool", `invalid input syntax for type boolean: ${preview(text)}`)
}

const checkBool = (v: unknown): boolean => {
  if (typeof v !== "boolean") throw encodeError("bool", `expected a boolean, got ${typeof v}`)
  return v
}

/** bool ↔ boolean. Text `t`/`f`; binary one byte (any nonzero byte is true, as in boolrecv). */
export const boolCodec: TypeCodec<boolean> = {
  oid: Oid.bool,
  arrayOid: Oid._bool,
  name: "bool",
  encodeText: (v) => (checkBool(v) ? "t" : "f"),
  decodeText: parseBool,
  encodeBinary: (w: Writer, v) => {
    w.int8(checkBool(v) ? 1 : 0)
  },
  decodeBinary: (buf, start, end) => {
    if (end - start !== 1) throw binaryError("bool", `expected 1 byte, got ${end - start}`)
    return buf[start] !== 0
  }
}
