import type { Writer } from "../buffer/Writer.js"
import { codecForOid } from "../types/registry.js"
import { CopyEncodeError, optionsError } from "./CopyErrors.js"
import {
  type CopyColumns,
  type CopyOptions,
  expectedColumnCount,
  type ResolvedCopyOptions,
  resolveCopyOptions,
  selectColumns
} from "./CopyOptions.js"
import { columnOid } from "./copyValues.js"
import {
  checkBinaryFieldCount,
  encodeCopyBinaryRow,
  writeCopyBinaryHeader,
  writeCopyBinaryTrailer
} from "./encodeBinary.js"
import { encodeCopyCsvRow, writeCopyCsvValue } from "./encodeCsv.js"
import { encodeCopyTextRow, writeCopyTextValue } from "./encodeText.js"

/**
 * Writes COPY data in one format with one set of options, as PostgreSQL's
 * COPY TO does: `writeHeader` (binary: the file header; text/CSV with HEADER:
 * the column names line), then `writeRow` (raw fields) or `writeValues` (JS
 * values through the type codecs of `columns.oids`) per row, then
 * `writeTrailer` (binary: the -1 trailer; nothing for text/CSV). Everything is
 * appended to a caller's reusable `Writer`. Input-only options (FORCE_NOT_NULL,
 * FORCE_NULL) are ignored; HEADER MATCH writes the header.
 * Throws `CopyOptionsError` from the constructor; `CopyEncodeError` (or a
 * codec's `TypeEncodeError`) per row.
 */
export class CopyEncoder {
  readonly options: ResolvedCopyOptions
  private readonly columnCount: number | undefined
  private readonly forceQuote: (index: number) => boolean

  constructor(
    options: CopyOptions,
    private readonly columns: CopyColumns = {}
  ) {
    this.options = resolveCopyOptions(options)
    this.columnCount = expectedColumnCount(columns)
    this.forceQuote =
      this.options.format === "csv"
        ? selectColumns(this.options.forceQuote, "FORCE_QUOTE", columns.names, this.columnCount)
        : () => false
    if (this.options.header !== false && columns.names === undefined) {
      throw optionsError("HEADER needs the column names", "42P10")
    }
  }

  get format() {
    return this.options.format
  }

  writeHeader(w: Writer): void {
    const o = this.options
    if (o.format === "binary") return writeCopyBinaryHeader(w)
    if (o.header === false) return
    const names = this.columns.names!
    const delimiter = o.delimiter.charCodeAt(0)
    names.forEach((name, i) => {
      if (i > 0) w.int8(delimiter)
      if (o.format === "csv") writeCopyCsvValue(w, name, o, false, names.length === 1)
      else writeCopyTextValue(w, name, delimiter)
    })
    w.int8(0x0a)
  }

  writeTrailer(w: Writer): void {
    if (this.options.format === "binary") writeCopyBinaryTrailer(w)
  }

  /** One row of raw fields: strings for text/CSV, bytes (each type's binary form) for binary; null for NULL. */
  writeRow(w: Writer, row: ReadonlyArray<string | Uint8Array | null>): void {
    this.checkCount(row.length)
    const binary = this.options.format === "binary"
    for (const f of row) {
      if (f === null || f === undefined) continue
      if (binary ? !(f instanceof Uint8Array) : typeof f !== "string") {
        throw new CopyEncodeError({
          reason: `a ${this.options.format} COPY field must be ${binary ? "a Uint8Array" : "a string"} or null, got ${typeof f}`
        })
      }
    }
    const start = w.length
    try {
      if (binary) encodeCopyBinaryRow(w, row as ReadonlyArray<Uint8Array | null>)
      else if (this.options.format === "csv") encodeCopyCsvRow(w, row as ReadonlyArray<string | null>, this.options, this.forceQuote)
      else encodeCopyTextRow(w, row as ReadonlyArray<string | null>, this.options)
    } catch (e) {
      // Leave no half-written row behind.
      w.length = start
      throw e
    }
  }

  /**
   * One row of JS values, each encoded by the codec of its column's OID
   * (`columns.oids`; without it the type is inferred per value, see
   * `inferOid`). null and undefined are NULL.
   */
  writeValues(w: Writer, values: ReadonlyArray<unknown>): void {
    this.checkCount(values.length)
    const oids = this.columns.oids
    if (this.options.format !== "binary") {
      const fields = values.map((v, i) =>
        v === null || v === undefined ? null : codecForOid(columnOid(oids, i, v)).encodeText(v)
      )
      return this.writeRow(w, fields)
    }
    checkBinaryFieldCount(values.length)
    const start = w.length
    try {
      w.int16(values.length)
      for (let i = 0; i < values.length; i++) {
        const v = values[i]
        if (v === null || v === undefined) {
          w.int32(-1)
          continue
        }
        const at = w.reserveInt32()
        codecForOid(columnOid(oids, i, v)).encodeBinary(w, v)
        w.patchInt32(at, w.length - at - 4)
      }
    } catch (e) {
      // Leave no half-written tuple behind.
      w.length = start
      throw e
    }
  }

  private checkCount(n: number): void {
    const count = this.columnCount
    if (count !== undefined && n !== count) {
      throw new CopyEncodeError({ reason: `row has ${n} fields, the COPY has ${count} columns` })
    }
  }
}
