import type { CopyFormatName } from "./CopyOptions.js"

/** One row of text or CSV COPY data: a string per field, null for NULL. */
export type CopyTextRow = Array<string | null>
/** One row of binary COPY data: each field's bytes (the type's binary form), null for NULL. */
export type CopyBinaryRow = Array<Uint8Array | null>

/**
 * An incremental COPY data parser. Push chunks as they arrive (split anywhere:
 * inside an escape, a quoted field, a UTF-8 character, a length word), read
 * the rows complete so far with `next()` (or by iterating), then call `end()`
 * for the rest. It keeps only the bytes of the row in progress.
 *
 * `next()` and `end()` throw `CopyFormatError` on malformed data; after an
 * error the parser is unusable (PostgreSQL aborts the COPY too).
 */
export interface CopyRowParser<Row> extends Iterable<Row> {
  readonly format: CopyFormatName
  /** Adds input. The parser may keep a reference to `chunk` (no copy): do not modify it afterwards. */
  push(chunk: Uint8Array): void
  /** The next complete row, or undefined when more input is needed (or the data has ended). */
  next(): Row | undefined
  /**
   * Declares the end of input and returns the rows not yet read: the last line
   * without a terminator in text/CSV (as PostgreSQL accepts it). Throws on a
   * truncated row, an unterminated quoted field, or binary data without its trailer.
   */
  end(): Array<Row>
  /** True once the end-of-data marker (`\.`, or the binary trailer) was read; later text input is ignored. */
  readonly finished: boolean
  /** Bytes received and not yet returned as rows: after draining `next()`, at most the row in progress. */
  readonly pendingBytes: number
  /** PostgreSQL's line number of the row last read (binary: the tuple number), for error messages. */
  readonly line: number
}
