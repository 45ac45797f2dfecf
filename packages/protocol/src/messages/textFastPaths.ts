/**
 * Text fast paths for the two hottest client operations: a DataRow whose
 * columns are all text, straight to strings (no view per field), and a Bind
 * whose parameters are all text, straight from strings (no buffer per
 * parameter). They give exactly what `decodeDataRow` + UTF-8 decoding and
 * `encodeBind` + UTF-8 encoding give.
 */
import { Data } from "effect"
import type { Writer } from "../buffer/Writer.js"
import { ProtocolDecodeError } from "../errors/ProtocolDecodeError.js"

/** A message that cannot be encoded as given, e.g. a count past the protocol's Int16. */
export class MessageEncodeError extends Data.TaggedError("MessageEncodeError")<{
  readonly messageName: string
  readonly reason: string
}> {
  override get message(): string {
    return `cannot encode ${this.messageName}: ${this.reason}`
  }
}

// Node's Buffer has these native slicers; @types/node does not declare them.
// They skip toString's argument checks, which cost about 10% on short fields.
interface SlicingBuffer extends Buffer {
  latin1Slice(start: number, end: number): string
  utf8Slice(start: number, end: number): string
}

const asBuffer = (bytes: Uint8Array): SlicingBuffer =>
  (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as SlicingBuffer

const malformed = (reason: string): ProtocolDecodeError => new ProtocolDecodeError({ messageName: "DataRow", reason })

/**
 * Rows up to this many bytes are read as one Latin-1 string and sliced: V8 may
 * keep such a row string alive for as long as one of its fields lives (a
 * sliced string), so the bound keeps that retention small. Longer rows get a
 * fresh string per field.
 */
export const DATA_ROW_TEXT_SLICE_MAX = 1024

/**
 * Decodes the DataRow body `bytes[start, end)` (after the type byte and length)
 * into one string per column (UTF-8, invalid sequences as U+FFFD like
 * TextDecoder), null for SQL NULL. Pass `out` to reuse an array: its length is
 * set to the column count (its contents are unspecified after a throw).
 *
 * A row whose value bytes are all ASCII (the usual case for numbers, dates,
 * identifiers) becomes one Latin-1 string with a character per byte, and each
 * field a substring of it: one native call per row instead of one per field.
 *
 * Throws ProtocolDecodeError when the body is malformed (never a RangeError).
 */
export const decodeDataRowText = (
  bytes: Uint8Array,
  start: number,
  end: number,
  out?: Array<string | null>
): Array<string | null> => {
  const buf = asBuffer(bytes)
  if (!(start >= 0 && end <= buf.length && start <= end)) throw malformed(`range ${start}..${end} is outside the ${buf.length}-byte buffer`)
  if (end - start < 2) throw malformed("column count: needs 2 bytes")
  let p = start
  const n = (buf[p]! << 8) | buf[p + 1]!
  p += 2
  if (n * 4 > end - p) throw malformed(`column count ${n} runs past the message`)
  const values = out ?? new Array<string | null>(n)
  if (values.length !== n) values.length = n
  // One pass that checks the layout, slices the row string and ORs every value
  // byte; a row that turns out not to be ASCII is sliced again as UTF-8 below.
  const row = end - start <= DATA_ROW_TEXT_SLICE_MAX ? buf.latin1Slice(start, end) : undefined
  let high = 0
  for (let i = 0; i < n; i++) {
    if (end - p < 4) throw malformed(`column ${i}: length runs past the message`)
    const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!
    p += 4
    if (len < 0) {
      if (len !== -1) throw malformed(`column ${i}: negative length ${len}`)
      values[i] = null
      continue
    }
    if (len > end - p) throw malformed(`column ${i}: length ${len} runs past the message`)
    const fieldEnd = p + len
    if (row !== undefined) {
      values[i] = row.slice(p - start, fieldEnd - start)
      for (; p < fieldEnd; p++) high |= buf[p]!
    } else {
      values[i] = buf.utf8Slice(p, fieldEnd)
      p = fieldEnd
    }
  }
  if (p !== end) throw malformed(`${end - p} trailing bytes`)
  if (high >= 0x80) utf8Fields(buf, start + 2, n, values)
  return values
}

/** Re-reads the (already checked) fields starting at `p` as UTF-8. */
const utf8Fields = (buf: SlicingBuffer, p: number, n: number, values: Array<string | null>): void => {
  for (let i = 0; i < n; i++) {
    const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!
    p += 4
    if (len < 0) continue
    values[i] = buf.utf8Slice(p, p + len)
    p += len
  }
}

/**
 * Appends a Bind whose parameters are all text (no parameter format codes),
 * writing each string's UTF-8 straight into `w` and patching its length after.
 * Same bytes as `encodeBind` with the strings UTF-8 encoded (lone surrogates
 * become U+FFFD, as Buffer.from does). More than 65535 parameters or result
 * formats throws MessageEncodeError before anything is written.
 */
export const encodeBindText = (
  w: Writer,
  portal: string,
  statement: string,
  params: ReadonlyArray<string | null>,
  resultFormats: ReadonlyArray<number>
): void => {
  const n = params.length
  if (n > 0xffff) throw new MessageEncodeError({ messageName: "Bind", reason: `${n} parameters; the protocol allows 65535` })
  const nf = resultFormats.length
  if (nf > 0xffff) throw new MessageEncodeError({ messageName: "Bind", reason: `${nf} result formats; the protocol allows 65535` })
  const at = w.beginMessage(0x42)
  w.cstring(portal)
  w.cstring(statement)
  w.int16(0) // no parameter format codes: all text
  w.int16(n)
  for (let i = 0; i < n; i++) {
    const v = params[i]
    if (v === null || v === undefined) {
      w.int32(-1)
    } else {
      const lenAt = w.reserveInt32()
      w.string(v)
      w.patchInt32(lenAt, w.length - lenAt - 4)
    }
  }
  w.int16(nf)
  for (let i = 0; i < nf; i++) w.int16(resultFormats[i]!)
  w.endMessage(at)
}
