import { codecForOid, defaultTextCodec, type Bind, SqlState, TypeDecodeError } from "@pgwire-ts/protocol"
import { PgError } from "../errors/PgError.js"
import type { Field } from "../results/Field.js"
import type { FormatCode } from "../results/RowEncoder.js"

/**
 * Bind's format codes and values, checked and decoded as PostgreSQL does
 * (postgres.c exec_bind_message): bad code 22023, wrong counts 08P01, bad
 * values with the codec's SQLSTATE (22P02 text, 22P03 binary...). Pure
 * functions that return a PgError instead of throwing.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true })

const ALL_TEXT: ReadonlyArray<FormatCode> = []
const textFormats = new Map<number, ReadonlyArray<FormatCode>>()
const binaryFormats = new Map<number, ReadonlyArray<FormatCode>>()

// The same few resolved arrays serve every Bind of a given width.
const uniform = (code: FormatCode, n: number): ReadonlyArray<FormatCode> => {
  const cache = code === 0 ? textFormats : binaryFormats
  let formats = cache.get(n)
  if (formats === undefined) {
    formats = Object.freeze(new Array<FormatCode>(n).fill(code))
    if (n <= 64) cache.set(n, formats)
  }
  return formats
}

const checkCodes = (codes: ReadonlyArray<number>): PgError | undefined => {
  for (const c of codes) {
    if (c !== 0 && c !== 1) return PgError.make(SqlState.InvalidParameterValue, `unsupported format code: ${c}`)
  }
  return undefined
}

/** One format code per result column; `fields` undefined (no rows): the codes are not used. */
export const resolveResultFormats = (
  codes: ReadonlyArray<number>,
  fields: ReadonlyArray<Field> | undefined
): ReadonlyArray<FormatCode> | PgError => {
  const bad = checkCodes(codes)
  if (bad !== undefined) return bad
  if (fields === undefined) return ALL_TEXT
  const n = fields.length
  if (codes.length === 0) return uniform(0, n)
  if (codes.length === 1) return uniform(codes[0] as FormatCode, n)
  if (codes.length !== n) {
    return PgError.make(SqlState.ProtocolViolation, `bind message has ${codes.length} result formats but query has ${n} columns`)
  }
  return codes as ReadonlyArray<FormatCode>
}

/** Bind's parameter values decoded with the codec of each parameter's type (null = NULL). */
export const decodeParameters = (
  bind: Bind,
  parameterTypes: ReadonlyArray<number>
): ReadonlyArray<unknown> | PgError => {
  const formats = bind.paramFormats
  const values = bind.params
  const n = values.length
  const bad = checkCodes(formats)
  if (bad !== undefined) return bad
  if (formats.length > 1 && formats.length !== n) {
    return PgError.make(SqlState.ProtocolViolation, `bind message has ${formats.length} parameter formats but ${n} parameters`)
  }
  if (n !== parameterTypes.length) {
    return PgError.make(
      SqlState.ProtocolViolation,
      `bind message supplies ${n} parameters, but prepared statement "${bind.statement}" requires ${parameterTypes.length}`
    )
  }
  const out = new Array<unknown>(n)
  for (let i = 0; i < n; i++) {
    const bytes = values[i]!
    if (bytes === null) {
      out[i] = null
      continue
    }
    const binary = (formats.length === 1 ? formats[0] : formats[i] ?? 0) === 1
    const oid = parameterTypes[i]!
    const codec = oid === 0 ? defaultTextCodec : codecForOid(oid)
    if (binary) {
      try {
        out[i] = codec.decodeBinary(bytes, 0, bytes.byteLength)
      } catch (e) {
        return PgError.make(
          e instanceof TypeDecodeError ? e.sqlState : SqlState.InvalidBinaryRepresentation,
          `incorrect binary data format in bind parameter ${i + 1}`,
          { detail: e instanceof Error ? e.message : String(e) }
        )
      }
      continue
    }
    let text: string
    try {
      text = utf8.decode(bytes)
    } catch {
      return PgError.make(SqlState.CharacterNotInRepertoire, `invalid byte sequence for encoding "UTF8" in bind parameter ${i + 1}`)
    }
    try {
      out[i] = codec.decodeText(text)
    } catch (e) {
      const portal = bind.portal === "" ? "unnamed portal" : `portal "${bind.portal}"`
      const where = `${portal} parameter $${i + 1} = '${text.length > 64 ? text.slice(0, 64) + "..." : text}'`
      return PgError.make(
        e instanceof TypeDecodeError ? e.sqlState : SqlState.InvalidTextRepresentation,
        e instanceof Error ? e.message : String(e),
        { where }
      )
    }
  }
  return out
}
