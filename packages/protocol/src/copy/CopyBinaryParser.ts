import { ChunkBuffer } from "./ChunkBuffer.js"
import { formatError } from "./CopyErrors.js"
import { type CopyColumns, type CopyOptions, expectedColumnCount, resolveCopyOptions } from "./CopyOptions.js"
import type { CopyBinaryRow, CopyRowParser } from "./CopyRowParser.js"

/** `PGCOPY\n\377\r\n\0`: the first 11 bytes of binary COPY data. */
export const COPY_BINARY_SIGNATURE: Uint8Array = Uint8Array.of(0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00)

/** Largest field we accept: PostgreSQL cannot hold a value of 1 GiB or more either. */
export const MAX_COPY_BINARY_FIELD = 0x3fffffff

const HEADER_LENGTH = 19 // signature, int32 flags, int32 header extension length
const OIDS_FLAG = 1 << 16

const IN_HEADER = 0
const IN_EXTENSION = 1
const IN_TUPLES = 2
const DONE = 3

/**
 * Incremental parser of binary COPY data (`FORMAT binary`): the header
 * (signature, flags, extension skipped), tuples (int16 field count, then per
 * field an int32 length, -1 for NULL, and the bytes), and the int16 -1 trailer,
 * which is required. Rows hold each field's raw bytes (the type's binary wire
 * form; decode them with `decodeCopyValues` or a codec) as views into the
 * pushed chunks: the parser never writes into bytes it has handed out, but
 * copy them if you modify the chunks. See `CopyRowParser`.
 */
export class CopyBinaryParser implements CopyRowParser<CopyBinaryRow> {
  readonly format = "binary" as const
  private readonly data = new ChunkBuffer(true)
  private readonly columnCount: number | undefined
  private state = IN_HEADER
  private extensionLeft = 0
  /** Pending bytes needed before the tuple in progress can be complete. */
  private needed = 0
  private tuples = 0
  private ended = false
  private dataAfterTrailer = false

  constructor(options: Omit<CopyOptions, "format"> = {}, columns?: CopyColumns) {
    resolveCopyOptions({ ...options, format: "binary" })
    this.columnCount = expectedColumnCount(columns)
  }

  get finished(): boolean {
    return this.state === DONE
  }

  get line(): number {
    return this.tuples
  }

  get pendingBytes(): number {
    return this.data.pending
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw formatError("COPY data pushed after end of input", this.tuples)
    if (this.state === DONE) {
      if (chunk.byteLength > 0) this.dataAfterTrailer = true
      return
    }
    this.data.append(chunk)
  }

  next(): CopyBinaryRow | undefined {
    if (this.dataAfterTrailer) throw formatError("received copy data after EOF marker", this.tuples + 1)
    if (this.state === IN_HEADER && !this.readHeader()) return undefined
    if (this.state === IN_EXTENSION && !this.skipExtension()) return undefined
    if (this.state !== IN_TUPLES) return undefined
    const d = this.data
    if (d.pending < this.needed || d.pending === 0) {
      if (this.ended) throw this.truncated()
      return undefined
    }
    return this.readTuple()
  }

  end(): Array<CopyBinaryRow> {
    this.ended = true
    const rows: Array<CopyBinaryRow> = []
    for (let row = this.next(); row !== undefined; row = this.next()) rows.push(row)
    if (this.state !== DONE) throw this.truncated()
    return rows
  }

  *[Symbol.iterator](): Iterator<CopyBinaryRow> {
    for (let row = this.next(); row !== undefined; row = this.next()) yield row
  }

  private truncated() {
    const d = this.data
    switch (this.state) {
      case IN_HEADER:
        return formatError(
          d.pending < COPY_BINARY_SIGNATURE.length
            ? "COPY file signature not recognized"
            : d.pending < 15
              ? "invalid COPY file header (missing flags)"
              : "invalid COPY file header (missing length)",
          0
        )
      case IN_EXTENSION:
        return formatError("invalid COPY file header (wrong length)", 0)
      default:
        return d.pending === 0
          ? formatError("unexpected EOF in COPY data: missing the file trailer (int16 -1)", this.tuples)
          : formatError("unexpected EOF in COPY data", this.tuples + 1)
    }
  }

  private readHeader(): boolean {
    const d = this.data
    const b = d.buf
    const s = d.start
    const have = Math.min(d.pending, COPY_BINARY_SIGNATURE.length)
    for (let i = 0; i < have; i++) {
      if (b[s + i] !== COPY_BINARY_SIGNATURE[i]) throw formatError("COPY file signature not recognized", 0)
    }
    if (d.pending < HEADER_LENGTH) {
      if (this.ended) throw this.truncated()
      return false
    }
    const flags = b.readInt32BE(s + 11)
    if ((flags & OIDS_FLAG) !== 0) throw formatError("invalid COPY file header (WITH OIDS)", 0)
    if ((flags & ~OIDS_FLAG) >>> 16 !== 0) throw formatError("unrecognized critical flags in COPY file header", 0)
    const extension = b.readInt32BE(s + 15)
    if (extension < 0) throw formatError("invalid COPY file header (missing length)", 0)
    d.consume(s + HEADER_LENGTH)
    this.extensionLeft = extension
    this.state = IN_EXTENSION
    return true
  }

  private skipExtension(): boolean {
    const d = this.data
    const n = Math.min(this.extensionLeft, d.pending)
    d.consume(d.start + n)
    this.extensionLeft -= n
    if (this.extensionLeft > 0) {
      if (this.ended) throw this.truncated()
      return false
    }
    this.state = IN_TUPLES
    return true
  }

  private readTuple(): CopyBinaryRow | undefined {
    const d = this.data
    const b = d.buf
    const s = d.start
    const end = d.end
    const line = this.tuples + 1
    if (end - s < 2) return this.incomplete(2)
    const count = b.readInt16BE(s)
    if (count === -1) {
      d.consume(s + 2)
      this.state = DONE
      if (d.pending > 0) {
        this.dataAfterTrailer = true
        throw formatError("received copy data after EOF marker", line)
      }
      return undefined
    }
    if (this.columnCount !== undefined ? count !== this.columnCount : count < 0) {
      throw formatError(`row field count is ${count}, expected ${this.columnCount ?? "a count >= 0"}`, line)
    }
    const row: CopyBinaryRow = new Array(count)
    let p = s + 2
    for (let f = 0; f < count; f++) {
      if (end - p < 4) return this.incomplete(p + 4 - s)
      const length = b.readInt32BE(p)
      p += 4
      if (length === -1) {
        row[f] = null
        continue
      }
      if (length < -1 || length > MAX_COPY_BINARY_FIELD) throw formatError("invalid field size", line)
      if (end - p < length) return this.incomplete(p + length - s)
      row[f] = b.subarray(p, p + length)
      p += length
    }
    d.consume(p)
    this.tuples = line
    this.needed = 0
    return row
  }

  private incomplete(needed: number): undefined {
    if (this.ended) throw this.truncated()
    this.needed = needed
    return undefined
  }
}
