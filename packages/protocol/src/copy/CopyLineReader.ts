import { ChunkBuffer } from "./ChunkBuffer.js"
import { formatError } from "./CopyErrors.js"

const LF = 0x0a
const CR = 0x0d
const BACKSLASH = 0x5c
const DOT = 0x2e

// Line terminator style: fixed by the first line, as PostgreSQL does; mixing styles is an error.
const EOL_UNKNOWN = 0
const EOL_NL = 1
const EOL_CR = 2
const EOL_CRNL = 3

/**
 * Splits text or CSV COPY data into lines the way PostgreSQL's COPY FROM does:
 * - a line ends at `\n`, `\r\n` or `\r`, and the first line fixes which one; a
 *   bare `\r` or `\n` of the other style is an error;
 * - text format: a backslash escapes the next byte, so `\` + newline is data;
 * - CSV: newlines inside quotes are data; ESCAPE only counts inside quotes;
 * - the end-of-data marker `\.` + newline ends the input (text format: anywhere
 *   in a line, the bytes before it are the last line; CSV: only alone on a line,
 *   otherwise it is data); everything after it is ignored;
 * - at the end of input, a last line without a terminator is a line.
 *
 * Scanning resumes where it stopped when more bytes arrive, so a line split
 * into many chunks is scanned once. It only stops before a byte whose meaning
 * depends on bytes not received yet (`\r`, a backslash).
 */
export class CopyLineReader {
  private readonly data = new ChunkBuffer(false)
  /** Where scanning resumes, relative to `data.start`. */
  private scanOffset = 0
  private inQuote = false
  private lastWasEscape = false
  private eol = EOL_UNKNOWN
  private reading = false
  private ended = false
  /** True once the end-of-data marker was read. */
  finished = false
  /** PostgreSQL's line number of the line being read (1-based, header included, CSV newlines inside quotes counted). */
  lineNumber = 0
  /** The last line read: bytes `[lineStart, lineEnd)` of `lineBuffer`, without its terminator. Valid until the next `readLine`. */
  lineBuffer: Buffer = Buffer.alloc(0)
  lineStart = 0
  lineEnd = 0
  /** The end of the line's terminator in `lineBuffer` (error messages show a bad sequence up to it). */
  lineLimit = 0

  private readonly escape: number
  /** Bytes the scanner must look at one by one; runs of other bytes are skipped in a tight loop. */
  private readonly special = new Uint8Array(256)

  constructor(
    private readonly csv: boolean,
    private readonly quote: number,
    escape: number
  ) {
    // When ESCAPE is QUOTE a doubled quote simply toggles twice: no escape tracking.
    this.escape = escape === quote ? -1 : escape
    for (const c of [LF, CR, BACKSLASH]) this.special[c] = 1
    if (csv) {
      this.special[quote] = 1
      if (this.escape >= 0) this.special[this.escape] = 1
    }
  }

  push(chunk: Uint8Array): void {
    if (!this.finished) this.data.append(chunk)
  }

  /** No more input: a last line without terminator becomes readable. */
  end(): void {
    this.ended = true
  }

  /** Bytes received and not yet returned as lines. */
  get pending(): number {
    return this.data.pending
  }

  /**
   * Reads the next line into `lineBuffer`/`lineStart`/`lineEnd`. False when more
   * input is needed, or at the end of the data. Throws `CopyFormatError`.
   */
  readLine(): boolean {
    if (this.finished) return false
    const d = this.data
    const b = d.buf
    const n = d.end
    const start = d.start
    if (!this.reading) {
      if (start >= n) return false
      this.reading = true
      this.lineNumber++
    }
    const csv = this.csv
    const special = this.special
    let i = start + this.scanOffset
    for (;;) {
      // Ordinary bytes change nothing but CSV's "last byte was ESCAPE".
      if (i < n && special[b[i]!] === 0) {
        i++
        while (i < n && special[b[i]!] === 0) i++
        this.lastWasEscape = false
      }
      if (i >= n) {
        if (!this.ended) {
          this.scanOffset = i - start
          return false
        }
        return this.emit(b, start, n, n)
      }
      const c = b[i]!
      const backslashMatters = c === BACKSLASH && (!csv || i === start)
      if (!this.ended) {
        // Stop before a byte we cannot interpret yet; no state has changed for it.
        const lookahead =
          c === CR ? 1 : backslashMatters ? (i + 1 < n && b[i + 1] === DOT ? (this.eol === EOL_CRNL ? 3 : 2) : 1) : 0
        if (i + lookahead >= n && lookahead > 0) {
          this.scanOffset = i - start
          return false
        }
      }
      if (csv) {
        if (this.inQuote && c === this.escape) this.lastWasEscape = !this.lastWasEscape
        if (c === this.quote && !this.lastWasEscape) this.inQuote = !this.inQuote
        if (c !== this.escape) this.lastWasEscape = false
        if (this.inQuote && c === (this.eol === EOL_NL ? LF : CR)) this.lineNumber++
      }
      if (c === CR && !(csv && this.inQuote)) {
        if (this.eol === EOL_UNKNOWN || this.eol === EOL_CRNL) {
          if (i + 1 < n && b[i + 1] === LF) {
            this.eol = EOL_CRNL
            return this.emit(b, start, i, i + 2)
          }
          if (this.eol === EOL_CRNL) throw this.strayCarriageReturn()
          this.eol = EOL_CR
        } else if (this.eol === EOL_NL) {
          throw this.strayCarriageReturn()
        }
        return this.emit(b, start, i, i + 1)
      }
      if (c === LF && !(csv && this.inQuote)) {
        if (this.eol === EOL_CR || this.eol === EOL_CRNL) {
          throw formatError(csv ? "unquoted newline found in data" : "literal newline found in data", this.lineNumber)
        }
        this.eol = EOL_NL
        return this.emit(b, start, i, i + 1)
      }
      if (backslashMatters) {
        // Only reachable without a next byte at the end of input: the backslash is data.
        if (i + 1 >= n) return this.emit(b, start, n, n)
        if (b[i + 1] === DOT) {
          if (this.isEndMarker(b, i + 2, n)) {
            this.finished = true
            this.reading = false
            d.consume(d.end)
            if (i === start) return false
            this.setLine(b, start, i, i)
            return true
          }
        } else if (!csv) {
          i += 2
          continue
        }
      }
      i++
    }
  }

  /** `\.` was read, `at` is the byte after the dot: is it the end-of-data marker? */
  private isEndMarker(b: Buffer, at: number, n: number): boolean {
    const csv = this.csv
    let j = at
    if (this.eol === EOL_CRNL) {
      const c = j < n ? b[j]! : 0
      j++
      if (c === LF) {
        if (csv) return false
        throw formatError("end-of-copy marker does not match previous newline style", this.lineNumber)
      }
      if (c !== CR) {
        if (csv) return false
        throw formatError("end-of-copy marker corrupt", this.lineNumber)
      }
    }
    const c = j < n ? b[j]! : 0
    if (c !== CR && c !== LF) {
      if (csv) return false
      throw formatError("end-of-copy marker corrupt", this.lineNumber)
    }
    if (((this.eol === EOL_NL || this.eol === EOL_CRNL) && c !== LF) || (this.eol === EOL_CR && c !== CR)) {
      throw formatError("end-of-copy marker does not match previous newline style", this.lineNumber)
    }
    return true
  }

  private strayCarriageReturn() {
    return formatError(
      this.csv ? "unquoted carriage return found in data" : "literal carriage return found in data",
      this.lineNumber
    )
  }

  private setLine(b: Buffer, start: number, end: number, limit: number): void {
    this.lineBuffer = b
    this.lineStart = start
    this.lineEnd = end
    this.lineLimit = limit
  }

  private emit(b: Buffer, start: number, contentEnd: number, next: number): true {
    this.setLine(b, start, contentEnd, next)
    this.data.consume(next)
    this.scanOffset = 0
    this.reading = false
    this.inQuote = false
    this.lastWasEscape = false
    return true
  }
}
