/**
 * Parameter values for Bind. With a described statement each value goes in
 * binary through its parameter type's codec; a value that codec refuses
 * (e.g. the string "42" for an int4) goes as text, for the server to parse.
 * Without parameter types (one-shot execution) every value goes as text and
 * the server infers the types.
 */
import {
  type AnyTypeCodec,
  BINARY_FORMAT,
  TEXT_FORMAT,
  TypeEncodeError,
  Writer,
  codecForOid,
  encodeBind,
  encodeBindText,
  inferOid,
  knownCodecForOid
} from "@pgwire-ts/protocol"
import { PgValueError } from "../errors.js"

// The encoded values of one Bind; reused, as binds are written one at a time.
const scratch = new Writer(4096)

const textOf = (value: unknown, codec: AnyTypeCodec | undefined): string => {
  if (typeof value === "string") return value
  // Inference reads -0 as the integer 0; the sign matters to float columns.
  if (Object.is(value, -0)) return "-0"
  if (codec !== undefined) {
    try {
      return codec.encodeText(value)
    } catch (e) {
      if (!(e instanceof TypeEncodeError)) throw e
    }
  }
  return codecForOid(inferOid(value)).encodeText(value)
}

const parameterError = (index: number, typeOid: number | undefined, e: unknown): PgValueError =>
  new PgValueError({
    kind: "parameter",
    at: index + 1,
    typeOid,
    message: `parameter $${index + 1}: ${e instanceof Error ? e.message : String(e)}`,
    cause: e
  })

/**
 * Appends a Bind of `params` to `w`. `paramTypes` empty means untyped (text for
 * all). Throws PgValueError for a value no codec can encode, or a wrong count.
 */
export const writeBind = (
  w: Writer,
  portal: string,
  statement: string,
  paramTypes: ReadonlyArray<number>,
  params: ReadonlyArray<unknown>,
  resultFormats: ReadonlyArray<number>
): void => {
  const n = params.length
  if (paramTypes.length > 0 && n !== paramTypes.length) {
    throw new PgValueError({ kind: "parameter", message: `the statement takes ${paramTypes.length} parameters, ${n} given` })
  }
  if (n > 65535) throw new PgValueError({ kind: "parameter", message: `${n} parameters; the protocol allows 65535` })
  if (paramTypes.length === 0) return writeUntypedBind(w, portal, statement, params, resultFormats)
  scratch.reset()
  const formats = new Array<number>(n)
  const ends = new Array<number>(n)
  const isNull = new Array<boolean>(n)
  for (let i = 0; i < n; i++) {
    const value = params[i]
    isNull[i] = value === null || value === undefined
    formats[i] = TEXT_FORMAT
    if (isNull[i]) {
      ends[i] = scratch.length
      continue
    }
    const oid = paramTypes.length > 0 ? paramTypes[i]! : undefined
    const codec = oid !== undefined ? knownCodecForOid(oid) : undefined
    const mark = scratch.length
    try {
      if (codec !== undefined) {
        try {
          codec.encodeBinary(scratch, value)
          formats[i] = BINARY_FORMAT
        } catch (e) {
          if (!(e instanceof TypeEncodeError)) throw e
          scratch.length = mark
        }
      }
      if (formats[i] === TEXT_FORMAT) scratch.string(textOf(value, codec ?? (oid !== undefined ? codecForOid(oid) : undefined)))
    } catch (e) {
      scratch.length = mark
      throw parameterError(i, oid, e)
    }
    ends[i] = scratch.length
  }
  // Views taken after encoding: the scratch buffer may have grown meanwhile.
  const bytes = scratch.view()
  const values = new Array<Uint8Array | null>(n)
  let start = 0
  for (let i = 0; i < n; i++) {
    values[i] = isNull[i] ? null : bytes.subarray(start, ends[i])
    start = ends[i]!
  }
  encodeBind(w, {
    _tag: "Bind",
    portal,
    statement,
    paramFormats: formats.every((f) => f === TEXT_FORMAT) ? [] : formats,
    params: values,
    resultFormats
  })
}

/** Untyped: every value as text, written straight into the Bind (no scratch copy). */
const writeUntypedBind = (
  w: Writer,
  portal: string,
  statement: string,
  params: ReadonlyArray<unknown>,
  resultFormats: ReadonlyArray<number>
): void => {
  const n = params.length
  const texts = new Array<string | null>(n)
  for (let i = 0; i < n; i++) {
    const value = params[i]
    if (value === null || value === undefined) {
      texts[i] = null
      continue
    }
    try {
      texts[i] = textOf(value, undefined)
    } catch (e) {
      throw parameterError(i, undefined, e)
    }
  }
  encodeBindText(w, portal, statement, texts, resultFormats)
}
