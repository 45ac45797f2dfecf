import { codecForOid, inferOid } from "../types/registry.js"
import { formatError } from "./CopyErrors.js"

/**
 * Converts the raw fields of a parsed COPY row to JS values with the type
 * codecs: string fields (text/CSV) with each type's text decoder, byte fields
 * (binary) with its binary decoder; null stays null. Throws `TypeDecodeError`
 * for a bad value, `CopyFormatError` when the row and `oids` differ in length.
 */
export const decodeCopyValues = (
  row: ReadonlyArray<string | Uint8Array | null>,
  oids: ReadonlyArray<number>,
  line = 0
): Array<unknown> => {
  if (row.length > oids.length) throw formatError("extra data after last expected column", line)
  if (row.length < oids.length) throw formatError(`missing data for column ${row.length + 1}`, line)
  const out = new Array<unknown>(row.length)
  for (let i = 0; i < row.length; i++) {
    const f = row[i]
    if (f === null || f === undefined) out[i] = null
    else if (typeof f === "string") out[i] = codecForOid(oids[i]!).decodeText(f)
    else out[i] = codecForOid(oids[i]!).decodeBinary(f, 0, f.byteLength)
  }
  return out
}

/** The type OID for column `i`: the given one, else one inferred from the value. */
export const columnOid = (oids: ReadonlyArray<number> | undefined, i: number, value: unknown): number =>
  oids?.[i] ?? inferOid(value)

/**
 * Converts JS values to text/CSV fields with each type's text encoder
 * (null and undefined are NULL). Without `oids`, types are inferred per value
 * (`inferOid`). Throws `TypeEncodeError`.
 */
export const encodeCopyTextValues = (
  values: ReadonlyArray<unknown>,
  oids?: ReadonlyArray<number>
): Array<string | null> =>
  values.map((v, i) => (v === null || v === undefined ? null : codecForOid(columnOid(oids, i, v)).encodeText(v)))
