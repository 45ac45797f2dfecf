/**
 * DataRow bytes to a row object, on the hot path: the column layout is read in
 * place (no per-value views) and each value goes straight to its type's codec
 * from the protocol package (decodeBinary on the bytes, decodeText on the
 * UTF-8 text). A row of text columns only is read by the protocol's
 * decodeDataRowText (one string per column straight from the chunk).
 */
import { type AnyTypeCodec, type FieldDescription, ProtocolDecodeError, codecForOid, decodeDataRowText } from "@pgwire-ts/protocol"

/** A row: column name to decoded value (null for SQL NULL). A repeated column name keeps the last value. */
export type Row = Record<string, unknown>

const malformed = (reason: string): ProtocolDecodeError => new ProtocolDecodeError({ messageName: "DataRow", reason })

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength))

export class RowDecoder {
  readonly names: ReadonlyArray<string>
  readonly codecs: ReadonlyArray<AnyTypeCodec>
  /** Per column: true when the value arrives in binary format. */
  readonly binary: ReadonlyArray<boolean>
  /** Index of the column being decoded, for error messages. */
  column = 0
  /** No column in binary: rows go through decodeDataRowText. */
  private readonly allText: boolean
  /** The texts of the row being decoded (reused: rows are decoded one at a time). */
  private readonly texts: Array<string | null> = []

  /** `formats`: the format of each column as requested (a statement's RowDescription always says text). */
  constructor(readonly fields: ReadonlyArray<FieldDescription>, formats?: ReadonlyArray<number>) {
    this.names = fields.map((f) => f.name)
    this.codecs = fields.map((f) => codecForOid(f.typeOid))
    this.binary = fields.map((f, i) => (formats === undefined ? f.format : formats.length === 1 ? formats[0]! : formats[i] ?? 0) === 1)
    this.allText = !this.binary.includes(true)
  }

  /**
   * Decodes the DataRow body `buf[start, end)`. Throws ProtocolDecodeError when
   * the message is malformed, TypeDecodeError when a value is not valid for its
   * type (`column` then says which).
   */
  decode(bytes: Uint8Array, start: number, end: number): Row {
    if (this.allText) return this.decodeText(bytes, start, end)
    const buf = asBuffer(bytes)
    const names = this.names
    const codecs = this.codecs
    const binary = this.binary
    const n = names.length
    if (end - start < 2) throw malformed("column count: needs 2 bytes")
    let p = start
    const count = (buf[p]! << 8) | buf[p + 1]!
    p += 2
    if (count !== n) throw malformed(`${count} columns, but the row description has ${n}`)
    const row: Row = {}
    for (let i = 0; i < n; i++) {
      if (end - p < 4) throw malformed(`column ${i}: length runs past the message`)
      const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!
      p += 4
      if (len < 0) {
        if (len !== -1) throw malformed(`column ${i}: negative length ${len}`)
        row[names[i]!] = null
        continue
      }
      if (len > end - p) throw malformed(`column ${i}: length ${len} runs past the message`)
      this.column = i
      row[names[i]!] = binary[i] ? codecs[i]!.decodeBinary(buf, p, p + len) : codecs[i]!.decodeText(buf.toString("utf8", p, p + len))
      p += len
    }
    if (p !== end) throw malformed(`${end - p} trailing bytes`)
    return row
  }

  private decodeText(bytes: Uint8Array, start: number, end: number): Row {
    const texts = decodeDataRowText(bytes, start, end, this.texts)
    const names = this.names
    const codecs = this.codecs
    const n = names.length
    if (texts.length !== n) throw malformed(`${texts.length} columns, but the row description has ${n}`)
    const row: Row = {}
    for (let i = 0; i < n; i++) {
      const text = texts[i]
      if (text === null || text === undefined) {
        row[names[i]!] = null
        continue
      }
      this.column = i
      row[names[i]!] = codecs[i]!.decodeText(text)
    }
    return row
  }
}
