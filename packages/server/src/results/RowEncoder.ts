import { type AnyTypeCodec, codecForOid, type Writer } from "@pgwire-ts/protocol"
import type { Field } from "./Field.js"
import { EncodedRow, type Row } from "./QueryResult.js"

/** 0 = text, 1 = binary, per column. */
export type FormatCode = 0 | 1

/** A row the encoder cannot send: wrong width, or a value its column type cannot encode. */
export class RowEncodeError extends Error {
  readonly _tag = "RowEncodeError"
}

const DATA_ROW = 0x44

/**
 * Encodes rows of one result into DataRow messages, straight into the
 * outbox's Writer (no per-cell buffers). Each column has its type's codec and
 * a format code: simple query is all text; extended query passes the
 * client's Bind result formats.
 */
export class RowEncoder {
  private readonly codecs: ReadonlyArray<AnyTypeCodec>
  private readonly binary: ReadonlyArray<boolean>
  readonly width: number

  constructor(
    readonly fields: ReadonlyArray<Field>,
    formats: ReadonlyArray<FormatCode> = []
  ) {
    this.width = fields.length
    this.codecs = fields.map((f) => codecForOid(f.typeOid))
    // Bind's rule: no codes = all text, one code = all columns, else one per column.
    this.binary = fields.map((_, i) => (formats.length === 1 ? formats[0] : formats[i] ?? 0) === 1)
  }

  /** Appends one DataRow; throws RowEncodeError (the message is then not written). */
  encode(w: Writer, row: Row): void {
    const start = w.length
    try {
      if (row instanceof EncodedRow) this.encodeCells(w, row.cells)
      else this.encodeValues(w, row)
    } catch (e) {
      w.length = start
      throw e instanceof RowEncodeError ? e : new RowEncodeError(this.describe(e))
    }
  }

  private encodeValues(w: Writer, row: ReadonlyArray<unknown>): void {
    const n = this.width
    if (row.length !== n) throw new RowEncodeError(`row has ${row.length} values but the result has ${n} columns`)
    const at = w.beginMessage(DATA_ROW)
    w.int16(n)
    for (let i = 0; i < n; i++) {
      const v = row[i]
      if (v === null || v === undefined) {
        w.int32(-1)
        continue
      }
      this.column = i
      const lenAt = w.reserveInt32()
      const codec = this.codecs[i]!
      if (this.binary[i]) {
        codec.encodeBinary(w, typeof v === "string" ? codec.decodeText(v) : v)
      } else {
        w.string(typeof v === "string" ? v : codec.encodeText(v))
      }
      w.patchInt32(lenAt, w.length - lenAt - 4)
    }
    w.endMessage(at)
  }

  private encodeCells(w: Writer, cells: ReadonlyArray<Uint8Array | null>): void {
    const n = this.width
    if (cells.length !== n) throw new RowEncodeError(`row has ${cells.length} values but the result has ${n} columns`)
    const at = w.beginMessage(DATA_ROW)
    w.int16(n)
    for (let i = 0; i < n; i++) {
      const c = cells[i]!
      if (c === null) w.int32(-1)
      else w.int32(c.byteLength).bytes(c)
    }
    w.endMessage(at)
  }

  // Column being encoded, for the error message.
  private column = 0

  private describe(e: unknown): string {
    const f = this.fields[this.column]
    const reason = e instanceof Error ? e.message : String(e)
    return `cannot encode column "${f?.name}" (type ${this.codecs[this.column]?.name}): ${reason}`
  }
}
