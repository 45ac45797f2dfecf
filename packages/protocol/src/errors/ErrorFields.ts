/**
 * The fields of ErrorResponse and NoticeResponse (protocol.sgml "Error and
 * Notice Message Fields"), under descriptive names, with the table mapping
 * the one-letter wire codes to those names.
 */
import { Schema } from "effect"
import type { Reader } from "../buffer/Reader.js"
import type { Writer } from "../buffer/Writer.js"
import { CString, invalid } from "../messages/common.js"

/**
 * Wire code of each known field, in the order PostgreSQL sends them (the
 * encoder writes this order, so re-encoding PostgreSQL's messages gives the
 * same bytes).
 */
export const ErrorFieldCodes = {
  severity: "S",
  severityNonLocalized: "V",
  code: "C",
  message: "M",
  detail: "D",
  hint: "H",
  position: "P",
  internalPosition: "p",
  internalQuery: "q",
  where: "W",
  schemaName: "s",
  tableName: "t",
  columnName: "c",
  dataTypeName: "d",
  constraintName: "n",
  file: "F",
  line: "L",
  routine: "R"
} as const

export type ErrorFieldName = keyof typeof ErrorFieldCodes

/** Field name of each known wire code ("S" -> "severity"...). */
export const ErrorFieldNames: Readonly<Record<string, ErrorFieldName>> = Object.freeze(
  Object.fromEntries(Object.entries(ErrorFieldCodes).map(([name, code]) => [code, name as ErrorFieldName]))
)

/** Known field names in wire order. */
export const errorFieldOrder: ReadonlyArray<ErrorFieldName> = Object.keys(ErrorFieldCodes) as Array<ErrorFieldName>

/**
 * A field code not in the table: one character for one non-zero byte
 * (String.fromCharCode of the byte, 1..255).
 */
export const UnknownErrorFieldCode = Schema.String.pipe(
  Schema.filter(
    (s) => s.length === 1 && s.charCodeAt(0) >= 1 && s.charCodeAt(0) <= 255 && ErrorFieldNames[s] === undefined,
    {
      identifier: "UnknownErrorFieldCode",
      description: "one character (byte 1..255) that is not a known field code",
      arbitrary: () => (fc) =>
        fc
          .integer({ min: 1, max: 255 })
          .map((n) => String.fromCharCode(n))
          .filter((s) => ErrorFieldNames[s] === undefined)
    }
  )
)

export const ErrorFields = Schema.Struct({
  /** S: ERROR, FATAL, PANIC, WARNING, NOTICE, DEBUG, INFO or LOG, possibly localized. */
  severity: CString,
  /** V: the severity, never localized (PostgreSQL 9.6+). */
  severityNonLocalized: Schema.optional(CString),
  /** C: the SQLSTATE code. */
  code: CString,
  /** M: the primary message. */
  message: CString,
  /** D */
  detail: Schema.optional(CString),
  /** H */
  hint: Schema.optional(CString),
  /** P: a decimal cursor position into the query string, 1-based, in characters. */
  position: Schema.optional(CString),
  /** p: as P, into `internalQuery`. */
  internalPosition: Schema.optional(CString),
  /** q */
  internalQuery: Schema.optional(CString),
  /** W: context / call stack, one entry per line. */
  where: Schema.optional(CString),
  /** s */
  schemaName: Schema.optional(CString),
  /** t */
  tableName: Schema.optional(CString),
  /** c */
  columnName: Schema.optional(CString),
  /** d */
  dataTypeName: Schema.optional(CString),
  /** n */
  constraintName: Schema.optional(CString),
  /** F: source file. */
  file: Schema.optional(CString),
  /** L: source line. */
  line: Schema.optional(CString),
  /** R: source routine. */
  routine: Schema.optional(CString),
  /** Fields with codes this table does not know, kept in order so re-encoding loses nothing. */
  unknownFields: Schema.optional(Schema.NonEmptyArray(Schema.Tuple(UnknownErrorFieldCode, CString)))
})
export type ErrorFields = typeof ErrorFields.Type

const nameByByte: Array<ErrorFieldName | undefined> = new Array(256).fill(undefined)
for (const name of errorFieldOrder) nameByByte[ErrorFieldCodes[name].charCodeAt(0)] = name

/**
 * Reads the fields of an ErrorResponse/NoticeResponse body up to its zero
 * terminator. A repeated field keeps its last value. Fails (ReadPastEnd) on a
 * missing terminator or when S, C or M is absent.
 */
export const decodeErrorFields = (r: Reader): ErrorFields => {
  const out: Record<string, unknown> = {}
  let unknown: Array<readonly [string, string]> | undefined
  for (;;) {
    const code = r.uint8()
    if (code === 0) break
    const value = r.cstring()
    const name = nameByByte[code]
    if (name !== undefined) out[name] = value
    else (unknown ??= []).push([String.fromCharCode(code), value])
  }
  if (out.severity === undefined) invalid("missing severity field (S)")
  if (out.code === undefined) invalid("missing code field (C)")
  if (out.message === undefined) invalid("missing message field (M)")
  if (unknown !== undefined) out.unknownFields = unknown
  return out as ErrorFields
}

/**
 * Writes the fields in PostgreSQL's order, then the unknown ones, then the
 * terminator. A value is cut at its first NUL, as PostgreSQL's C strings
 * would be, so a handler's message cannot inject fields or break framing.
 */
export const encodeErrorFields = (w: Writer, f: ErrorFields): void => {
  for (let i = 0; i < errorFieldOrder.length; i++) {
    const name = errorFieldOrder[i]!
    const value = f[name]
    if (value !== undefined) w.int8(ErrorFieldCodes[name].charCodeAt(0)).cstring(cutAtNul(value))
  }
  if (f.unknownFields !== undefined) {
    for (const [code, value] of f.unknownFields) w.int8(code.charCodeAt(0)).cstring(cutAtNul(value))
  }
  w.int8(0)
}

const cutAtNul = (s: string): string => {
  const i = s.indexOf("\0")
  return i < 0 ? s : s.slice(0, i)
}
