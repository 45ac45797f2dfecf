import { ByteScratch } from "./ByteScratch.js"
import { formatError, optionsError } from "./CopyErrors.js"
import { CopyLineReader } from "./CopyLineReader.js"
import {
  type CopyColumns,
  type CopyFormatName,
  type CopyOptions,
  expectedColumnCount,
  type ResolvedCopyOptions,
  resolveCopyOptions
} from "./CopyOptions.js"
import type { CopyRowParser, CopyTextRow } from "./CopyRowParser.js"
import { checkUtf8 } from "./utf8Check.js"

const EMPTY = Buffer.alloc(0)

/**
 * What the text and CSV parsers share: lines from a `CopyLineReader`, the
 * UTF-8 check, HEADER (skip, or MATCH against the column names) and the
 * column count check with PostgreSQL's messages. Subclasses split a line into fields.
 */
export abstract class LineRowParser implements CopyRowParser<CopyTextRow> {
  readonly options: ResolvedCopyOptions
  protected readonly reader: CopyLineReader
  protected readonly scratch = new ByteScratch()
  protected readonly nullBytes: Buffer
  protected readonly delimiterByte: number
  private readonly columnCount: number | undefined
  private readonly columnNames: ReadonlyArray<string> | undefined
  private headerPending: boolean
  private ended = false

  constructor(
    readonly format: CopyFormatName,
    options: CopyOptions,
    columns: CopyColumns | undefined
  ) {
    this.options = resolveCopyOptions({ ...options, format })
    const o = this.options
    this.reader = new CopyLineReader(format === "csv", o.quote.charCodeAt(0), o.escape.charCodeAt(0))
    this.nullBytes = Buffer.from(o.null, "utf8")
    this.delimiterByte = o.delimiter.charCodeAt(0)
    this.columnCount = expectedColumnCount(columns)
    this.columnNames = columns?.names
    this.headerPending = o.header !== false
    if (o.header === "match" && this.columnNames === undefined) {
      throw optionsError("HEADER MATCH needs the column names", "42P10")
    }
  }

  /** Splits `b[s, e)` into `out`; throws `CopyFormatError`. */
  protected abstract split(b: Buffer, s: number, e: number, line: number, out: CopyTextRow): void

  /** Per-format adjustments of a data row (CSV: FORCE_NOT_NULL / FORCE_NULL). */
  protected adjust(_row: CopyTextRow): void {}

  get finished(): boolean {
    return this.reader.finished
  }

  get line(): number {
    return this.reader.lineNumber
  }

  get pendingBytes(): number {
    return this.reader.pending
  }

  push(chunk: Uint8Array): void {
    if (this.ended) throw formatError("COPY data pushed after end of input", this.line)
    this.reader.push(chunk)
  }

  next(): CopyTextRow | undefined {
    const r = this.reader
    while (r.readLine()) {
      const b = r.lineBuffer
      const s = r.lineStart
      const e = r.lineEnd
      const line = r.lineNumber
      checkUtf8(b, s, e, line, r.lineLimit)
      if (this.headerPending) {
        this.headerPending = false
        if (this.options.header === "match") this.matchHeader(b, s, e, line)
        continue
      }
      const count = this.columnCount
      if (count === 0) {
        if (e > s) throw formatError("extra data after last expected column", line)
        return []
      }
      const row: CopyTextRow = []
      this.split(b, s, e, line, row)
      if (count !== undefined) {
        if (row.length > count) throw formatError("extra data after last expected column", line)
        if (row.length < count) throw formatError(`missing data for column ${this.columnLabel(row.length)}`, line)
      }
      this.adjust(row)
      return row
    }
    // PostgreSQL matches the header even when the data has no line at all: an empty header.
    if (this.headerPending && (r.finished || this.ended) && this.options.header === "match") {
      this.headerPending = false
      this.matchHeader(EMPTY, 0, 0, 1)
    }
    return undefined
  }

  end(): Array<CopyTextRow> {
    this.ended = true
    this.reader.end()
    const rows: Array<CopyTextRow> = []
    for (let row = this.next(); row !== undefined; row = this.next()) rows.push(row)
    return rows
  }

  *[Symbol.iterator](): Iterator<CopyTextRow> {
    for (let row = this.next(); row !== undefined; row = this.next()) yield row
  }

  private columnLabel(index: number): string {
    const name = this.columnNames?.[index]
    return name === undefined ? String(index + 1) : `"${name}"`
  }

  private matchHeader(b: Buffer, s: number, e: number, line: number): void {
    const names = this.columnNames!
    const fields: CopyTextRow = []
    this.split(b, s, e, line, fields)
    if (fields.length !== names.length) {
      throw formatError(`wrong number of fields in header line: got ${fields.length}, expected ${names.length}`, line)
    }
    names.forEach((name, i) => {
      const got = fields[i]
      if (got === null) {
        throw formatError(
          `column name mismatch in header line field ${i + 1}: got null value ("${this.options.null}"), expected "${name}"`,
          line
        )
      }
      if (got !== name) {
        throw formatError(`column name mismatch in header line field ${i + 1}: got "${got}", expected "${name}"`, line)
      }
    })
  }
}
