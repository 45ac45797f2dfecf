import { TypeDecodeError } from "@pgwire-ts/protocol"
import { PgValueError } from "../errors.js"
import type { Row, RowDecoder } from "../results/RowDecoder.js"
import { unexpected } from "./unexpected.js"

/** Wraps a codec's refusal of a value the server sent; the request fails, the connection stays. */
export const resultValueError = (e: TypeDecodeError, decoder: RowDecoder): PgValueError =>
  new PgValueError({
    kind: "result",
    at: decoder.names[decoder.column],
    typeOid: decoder.fields[decoder.column]?.typeOid,
    message: `column "${decoder.names[decoder.column]}": ${e.message}`,
    cause: e
  })

/**
 * Decodes one DataRow for a query, a statement execution or a pipeline: the
 * row, or the PgValueError a codec's refusal of a value becomes (the caller
 * keeps it as the request's error). A DataRow before any row description
 * means the stream is out of step: that throws `unexpected`, as does any
 * other decoding fault.
 */
export const decodeDataRow = (
  decoder: RowDecoder | undefined,
  request: string,
  buf: Uint8Array,
  start: number,
  end: number
): Row | PgValueError => {
  if (decoder === undefined) throw unexpected("DataRow", `${request} before a row description`)
  try {
    return decoder.decode(buf, start, end)
  } catch (e) {
    if (!(e instanceof TypeDecodeError)) throw e
    return resultValueError(e, decoder)
  }
}
