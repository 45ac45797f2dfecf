import type { Writer } from "../buffer/Writer.js"
import { readInt32, readUint32 } from "./binary.js"
import { binaryError, encodeError, preview, textError, type TypeDecodeError } from "./TypeErrors.js"
import type { PgArray, PgArrayInput, TypeCodec } from "./TypeCodec.js"

// Arrays of any element codec, in both wire formats.
//
// Text (array_in/array_out): `{1,2,NULL}`, `{{1,2},{3,4}}`, `{}`; an element is
// double-quoted when it is empty, is `NULL` in any case, or contains a quote,
// backslash, brace, the delimiter or whitespace; inside quotes `"` and `\` are
// backslash-escaped. Unquoted `NULL` is SQL NULL. A leading dimension
// decoration (`[0:1]={7,8}`) is accepted and the lower bounds dropped.
//
// Binary (array_send): int32 ndim, int32 has-nulls flag, uint32 element OID,
// ndim × (int32 length, int32 lower bound), then each element as int32 length
// (-1 for NULL) and its bytes.
//
// Multi-dimensional arrays decode to nested JS arrays and encode from
// rectangular nested arrays. An array with no elements is `[]` (ndim 0).

/** PostgreSQL's MAXDIM. */
const MAX_DIMS = 6

// ---- shape of a JS value ----

/** Dimensions of a rectangular nested JS array; an empty dimension anywhere makes it `[]`. */
const shapeOf = (typeName: string, value: unknown): Array<number> => {
  if (!Array.isArray(value)) throw encodeError(typeName, `expected an array, got ${typeof value}`)
  const dims: Array<number> = []
  let level: unknown = value
  while (Array.isArray(level)) {
    dims.push(level.length)
    if (dims.length > MAX_DIMS) throw encodeError(typeName, `more than ${MAX_DIMS} dimensions`)
    if (level.length === 0) break
    level = level[0]
  }
  if (dims.includes(0)) {
    if (!isAllEmpty(value)) throw encodeError(typeName, "multidimensional arrays must have sub-arrays with matching dimensions")
    return []
  }
  checkShape(typeName, value, dims, 0)
  return dims
}

const isAllEmpty = (v: unknown): boolean => Array.isArray(v) && v.every(isAllEmpty)

const checkShape = (typeName: string, level: ReadonlyArray<unknown>, dims: ReadonlyArray<number>, depth: number): void => {
  if (level.length !== dims[depth]) {
    throw encodeError(typeName, "multidimensional arrays must have sub-arrays with matching dimensions")
  }
  const inner = depth < dims.length - 1
  for (const e of level) {
    if (Array.isArray(e) !== inner) {
      throw encodeError(typeName, "multidimensional arrays must have sub-arrays with matching dimensions")
    }
    if (inner) checkShape(typeName, e as ReadonlyArray<unknown>, dims, depth + 1)
  }
}

// ---- text ----

const isArraySpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12

/** array_out's quoting of one element's text. */
export const quoteArrayElement = (s: string, delimiter: number): string => {
  let needsQuote = s.length === 0 || (s.length === 4 && s.toUpperCase() === "NULL")
  let needsEscape = false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 34 || c === 92) {
      needsQuote = true
      needsEscape = true
    } else if (c === 123 || c === 125 || c === delimiter || isArraySpace(c)) {
      needsQuote = true
    }
  }
  if (!needsQuote) return s
  return '"' + (needsEscape ? s.replace(/["\\]/g, "\\$&") : s) + '"'
}

const encodeTextLevel = <I>(elem: TypeCodec<unknown, I>, level: ReadonlyArray<unknown>, delimiter: number, delimiterText: string): string => {
  let out = "{"
  for (let i = 0; i < level.length; i++) {
    if (i > 0) out += delimiterText
    const e = level[i]
    if (e === null || e === undefined) out += "NULL"
    else if (Array.isArray(e)) out += encodeTextLevel(elem, e, delimiter, delimiterText)
    else out += quoteArrayElement(elem.encodeText(e as I), delimiter)
  }
  return out + "}"
}

/** Parser state for array_in; one per decode call. */
class TextArrayParser<A> {
  pos = 0
  /** Element counts seen at each depth, to check the array is rectangular. */
  readonly dims: Array<number> = []
  constructor(
    readonly s: string,
    readonly elem: TypeCodec<A, unknown>,
    readonly typeName: string,
    readonly delimiter: string
  ) {
    this.delimiterCode = delimiter.charCodeAt(0)
  }
  readonly delimiterCode: number

  fail(reason: string): TypeDecodeError {
    return textError(this.typeName, `malformed array literal: ${preview(this.s)}: ${reason}`)
  }

  skipSpace(): void {
    while (this.pos < this.s.length && isArraySpace(this.s.charCodeAt(this.pos))) this.pos++
  }

  /** `[lb:ub]...=` before the braces: the sizes each dimension must have, or undefined if absent. */
  dimensionDecoration(): Array<number> | undefined {
    this.skipSpace()
    if (this.s[this.pos] !== "[") return undefined
    const sizes: Array<number> = []
    while (this.s[this.pos] === "[") {
      const close = this.s.indexOf("]", this.pos)
      const m = close < 0 ? null : /^\[(-?\d{1,10})(?::(-?\d{1,10}))?\]$/.exec(this.s.slice(this.pos, close + 1))
      if (m === null) throw this.fail("bad dimension decoration")
      const lower = m[2] === undefined ? 1 : Number(m[1])
      const upper = Number(m[2] ?? m[1])
      if (upper < lower) throw textError(this.typeName, "upper bound cannot be less than lower bound", "2202E")
      sizes.push(upper - lower + 1)
      this.pos = close + 1
      this.skipSpace()
    }
    if (sizes.length > MAX_DIMS) throw this.fail(`more than ${MAX_DIMS} dimensions`)
    if (this.s[this.pos] !== "=") throw this.fail('missing "=" after array dimensions')
    this.pos++
    this.skipSpace()
    return sizes
  }

  parse(): PgArray<A> {
    const declared = this.dimensionDecoration()
    if (this.s[this.pos] !== "{") throw this.fail('array value must start with "{"')
    const result = this.level(0)
    this.skipSpace()
    if (this.pos !== this.s.length) throw this.fail("junk after closing right brace")
    if (declared !== undefined) {
      const actual = result.length === 0 ? [] : this.dims
      if (declared.length !== actual.length || declared.some((n, i) => n !== actual[i])) {
        throw this.fail("specified array dimensions do not match array contents")
      }
    }
    return result
  }

  /** One `{...}` at `depth`, positioned on its `{`. */
  level(depth: number): PgArray<A> {
    if (depth >= MAX_DIMS) throw this.fail(`more than ${MAX_DIMS} dimensions`)
    this.pos++
    const out: PgArray<A> = []
    this.skipSpace()
    if (this.s[this.pos] === "}") {
      // Only the whole array may be empty: "{{}}" is malformed.
      if (depth > 0) throw this.fail("empty sub-array")
      this.pos++
      return out
    }
    let nested: boolean | undefined
    for (;;) {
      this.skipSpace()
      const isNested = this.s[this.pos] === "{"
      if (nested === undefined) nested = isNested
      else if (nested !== isNested) throw this.fail("multidimensional arrays must have sub-arrays with matching dimensions")
      out.push(isNested ? this.level(depth + 1) : this.element())
      this.skipSpace()
      const c = this.s[this.pos]
      if (c === this.delimiter) {
        this.pos++
      } else if (c === "}") {
        this.pos++
        break
      } else {
        throw this.fail(c === undefined ? "unexpected end of input" : `unexpected ${JSON.stringify(c)}`)
      }
    }
    this.record(depth, out.length, nested === true)
    return out
  }

  /** Checks every sub-array at a depth has the same length and nesting. */
  record(depth: number, count: number, nested: boolean): void {
    const expected = this.dims[depth]
    if (expected === undefined) {
      this.dims[depth] = count
      if (!nested && this.dims.length > depth + 1) throw this.fail("multidimensional arrays must have sub-arrays with matching dimensions")
    } else if (expected !== count || (!nested && this.dims.length > depth + 1)) {
      throw this.fail("multidimensional arrays must have sub-arrays with matching dimensions")
    }
  }

  /** One element, quoted or not, decoded with the element codec; unquoted NULL is null. */
  element(): A | null {
    const s = this.s
    if (s.charCodeAt(this.pos) === 34 /* " */) {
      const start = this.pos + 1
      const close = s.indexOf('"', start)
      const backslash = s.indexOf("\\", start)
      // Common case: no escapes before the closing quote.
      if (close >= 0 && (backslash < 0 || backslash > close)) {
        this.pos = close + 1
        return this.decode(s.slice(start, close))
      }
      return this.decode(this.quotedWithEscapes())
    }
    // Unquoted: up to the delimiter or "}", surrounding whitespace dropped.
    const start = this.pos
    let i = start
    const n = s.length
    for (; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c === this.delimiterCode || c === 125 /* } */ || c === 92 /* \ */ || c === 34 || c === 123 /* { */) break
    }
    const stop = s.charCodeAt(i)
    if (stop === 92 || stop === 34 || stop === 123) return this.unquotedWithEscapes()
    if (i >= n) throw this.fail("unexpected end of input")
    let end = i
    while (end > start && isArraySpace(s.charCodeAt(end - 1))) end--
    this.pos = i
    if (end === start) throw this.fail('unexpected delimiter or "}": empty unquoted element')
    if (end - start === 4 && s.slice(start, end).toUpperCase() === "NULL") return null
    return this.decode(s.slice(start, end))
  }

  /** A quoted element containing backslash escapes, positioned on its opening quote. */
  quotedWithEscapes(): string {
    const s = this.s
    let text = ""
    this.pos++
    for (;;) {
      const c = s[this.pos]
      if (c === undefined) throw this.fail("unterminated quoted string")
      this.pos++
      if (c === '"') return text
      if (c === "\\") {
        const next = s[this.pos]
        if (next === undefined) throw this.fail("unexpected end of input")
        text += next
        this.pos++
      } else {
        text += c
      }
    }
  }

  /** An unquoted element with backslash escapes (or a stray quote/brace, an error). */
  unquotedWithEscapes(): A | null {
    const s = this.s
    let text = ""
    let keep = 0
    let escaped = false
    for (;;) {
      const c = s[this.pos]
      if (c === undefined) throw this.fail("unexpected end of input")
      if (c === this.delimiter || c === "}") break
      if (c === '"' || c === "{") throw this.fail(`unexpected ${JSON.stringify(c)} character`)
      this.pos++
      if (c === "\\") {
        const next = s[this.pos]
        if (next === undefined) throw this.fail("unexpected end of input")
        text += next
        this.pos++
        escaped = true
        keep = text.length
      } else {
        text += c
        if (!isArraySpace(c.charCodeAt(0))) keep = text.length
      }
    }
    text = text.slice(0, keep)
    if (text.length === 0) throw this.fail('unexpected delimiter or "}": empty unquoted element')
    if (!escaped && text.length === 4 && text.toUpperCase() === "NULL") return null
    return this.decode(text)
  }

  decode(text: string): A {
    return this.elem.decodeText(text)
  }
}

// ---- binary ----

const writeBinaryLevel = <I>(w: Writer, elem: TypeCodec<unknown, I>, level: ReadonlyArray<unknown>): boolean => {
  let hasNull = false
  for (const e of level) {
    if (e === null || e === undefined) {
      w.int32(-1)
      hasNull = true
    } else if (Array.isArray(e)) {
      if (writeBinaryLevel(w, elem, e)) hasNull = true
    } else {
      const at = w.reserveInt32()
      elem.encodeBinary(w, e as I)
      w.patchInt32(at, w.length - at - 4)
    }
  }
  return hasNull
}

/** Reshapes a flat element list into nested arrays of the given dimensions. */
const nest = <A>(flat: Array<A | null>, dims: ReadonlyArray<number>, depth: number, offset: { i: number }): PgArray<A> => {
  const n = dims[depth]!
  const out: PgArray<A> = new Array(n)
  if (depth === dims.length - 1) {
    for (let k = 0; k < n; k++) out[k] = flat[offset.i++]!
  } else {
    for (let k = 0; k < n; k++) out[k] = nest(flat, dims, depth + 1, offset)
  }
  return out
}

const readBinaryArray = <A>(
  typeName: string,
  elem: TypeCodec<A, unknown>,
  buf: Uint8Array,
  start: number,
  end: number
): PgArray<A> => {
  if (end - start < 12) throw binaryError(typeName, `expected at least 12 bytes, got ${end - start}`)
  const ndim = readInt32(buf, start)
  const flags = readInt32(buf, start + 4)
  const elemOid = readUint32(buf, start + 8)
  if (ndim < 0 || ndim > MAX_DIMS) throw binaryError(typeName, `invalid number of dimensions: ${ndim}`)
  if (flags !== 0 && flags !== 1) throw binaryError(typeName, `invalid array flags: ${flags}`)
  if (elemOid !== elem.oid) throw binaryError(typeName, `wrong element type: ${elemOid}, expected ${elem.oid}`, "42804")
  let p = start + 12
  if (end - p < ndim * 8) throw binaryError(typeName, `${ndim} dimensions run past the value`)
  const dims: Array<number> = []
  let total = 1
  for (let d = 0; d < ndim; d++) {
    const size = readInt32(buf, p)
    const lbound = readInt32(buf, p + 4)
    p += 8
    if (size < 0) throw binaryError(typeName, `invalid array dimension ${size}`)
    // ArrayCheckBounds: lower bound + size must fit in int32.
    if (lbound + size > 2147483647) throw binaryError(typeName, "array upper bound is too large", "54000")
    dims.push(size)
    total *= size
  }
  if (ndim === 0 || total === 0) {
    if (p !== end) throw binaryError(typeName, `${end - p} trailing bytes after an empty array`)
    return []
  }
  // Every element takes at least its 4-byte length: bounds the allocation by the input size.
  if (total > (end - p) / 4) throw binaryError(typeName, `${total} elements cannot fit in ${end - p} bytes`)
  const flat: Array<A | null> = new Array(total)
  for (let i = 0; i < total; i++) {
    if (end - p < 4) throw binaryError(typeName, "element length runs past the value")
    const len = readInt32(buf, p)
    p += 4
    if (len === -1) {
      flat[i] = null
      continue
    }
    if (len < 0 || len > end - p) throw binaryError(typeName, `invalid element length ${len}`)
    flat[i] = elem.decodeBinary(buf, p, p + len)
    p += len
  }
  if (p !== end) throw binaryError(typeName, `${end - p} trailing bytes`)
  return ndim === 1 ? flat : nest(flat, dims, 0, { i: 0 })
}

/**
 * The codec of arrays of `elem` (PostgreSQL's `_name` type, OID `elem.arrayOid`).
 * `delimiter` is the element type's typdelim (`,` for every type here).
 */
export const makeArrayCodec = <A, I>(
  elem: TypeCodec<A, I>,
  options?: { readonly oid?: number; readonly name?: string; readonly delimiter?: string }
): TypeCodec<PgArray<A>, PgArrayInput<I>> => {
  const name = options?.name ?? `_${elem.name}`
  const delimiter = options?.delimiter ?? ","
  const delimiterCode = delimiter.charCodeAt(0)
  const anyElem = elem as TypeCodec<A, unknown>
  return {
    oid: options?.oid ?? elem.arrayOid,
    arrayOid: 0,
    name,
    encodeText: (v) => {
      const dims = shapeOf(name, v)
      if (dims.length === 0) return "{}"
      return encodeTextLevel(elem, v, delimiterCode, delimiter)
    },
    decodeText: (s) => new TextArrayParser(s, anyElem, name, delimiter).parse(),
    encodeBinary: (w, v) => {
      const dims = shapeOf(name, v)
      w.int32(dims.length)
      const flagsAt = w.reserveInt32()
      w.uint32(elem.oid)
      for (const d of dims) w.int32(d).int32(1)
      const hasNull = dims.length > 0 && writeBinaryLevel(w, elem, v)
      w.patchInt32(flagsAt, hasNull ? 1 : 0)
    },
    decodeBinary: (buf, start, end) => readBinaryArray(name, anyElem, buf, start, end)
  }
}

